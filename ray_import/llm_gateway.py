"""The LLM gateway: one async Ray actor through which every LLM request of a run goes.

Why an actor and not a call inside the per-recipe task: an LLM answer takes seconds to minutes.
A task waiting on it would hold a ~200 MB worker process and its `memory` reservation the whole
time (20 idle workers measured ~3.4 GB here), so memory, not the endpoint, would set the pace.
An async actor waits on hundreds of requests in one process; the task that parses the page hands
over compact text and ends, and a new task enriches and saves the answer once it exists. The
actor is also the single place where `llm.max_concurrency` is enforced for the whole cluster,
and the owner of the LLM answer cache (llm_cache.py, issue 18): it runs on the driver's node,
as the catalog does, so the cache's SQLite file is in the output folder on a local disk.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import openai
import ray
from pydantic import SecretStr
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from scraper.errors import PageError
from scraper.settings import LLMSettings
from scraper.structure import FormatState, LLMUsage, structure

from .llm_cache import DB_NAME, LLMCache, structure_cached
from .results import LLMOutcome, StepFailure


class _LLMGateway:
    def __init__(self, settings: LLMSettings, api_key: SecretStr | None, cache_path: str | None = None) -> None:
        self._settings = settings
        self._cache = LLMCache(cache_path, settings.cache_max_entries) \
            if cache_path and settings.cache_max_entries else None
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=api_key.get_secret_value() if api_key else "not-needed",
            max_retries=0,  # retries are ours: backoff with jitter, Retry-After, a cap
            timeout=settings.timeout_s,
        )
        self._limit = asyncio.Semaphore(settings.max_concurrency)
        self._state = FormatState()
        self._in_flight = 0
        self.max_in_flight = 0

    async def structure(self, text: str, content_sha256: str = "") -> LLMOutcome:
        """Never raises for a bad page or endpoint: failures travel as values.

        With the page's hash the answer cache is asked first, and a fresh answer is kept.
        """
        hit = {}
        try:
            if self._cache is not None and content_sha256:
                done = await structure_cached(text, content_sha256, cache=self._cache, client=self._client,
                                              settings=self._settings, state=self._state,
                                              limiter=self._counted())
                hit = {"cache_hit": done.hit is not None, "saved_usd": done.saved_usd}
                if done.error is not None:  # a reply without a recipe (perhaps a kept one: free)
                    raise done.error
                recipe, usage = done.recipe, done.usage
            else:
                recipe, usage = await structure(text, client=self._client, settings=self._settings,
                                                state=self._state, limiter=self._counted())
        except PageError as exc:
            usage = exc.usage or LLMUsage()
            failure = StepFailure(kind=exc.kind, stage="structure", message=exc.message, attempts=exc.attempts)
            return LLMOutcome(failure=failure, **self._usage(usage), **hit)
        return LLMOutcome(recipe=recipe, **self._usage(usage), **hit)

    def _usage(self, usage: LLMUsage) -> dict[str, float]:
        return {"calls": usage.calls, "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens, "seconds": round(usage.seconds, 3),
                "cost_usd": usage.cost(self._settings)}

    def _counted(self) -> _Counted:
        return _Counted(self)

    async def stats(self) -> dict[str, int]:
        cache = self._cache.stats() if self._cache is not None else {}
        return {"max_in_flight": self.max_in_flight, "json_schema": self._state.json_schema is not False,
                **{f"cache_{name}": value for name, value in cache.items()}}


class _Counted:
    """The concurrency cap, held only while a request is on the wire."""

    def __init__(self, gateway: _LLMGateway) -> None:
        self._gateway = gateway

    async def __aenter__(self) -> None:
        await self._gateway._limit.acquire()
        self._gateway._in_flight += 1
        self._gateway.max_in_flight = max(self._gateway.max_in_flight, self._gateway._in_flight)

    async def __aexit__(self, *exc: object) -> None:
        self._gateway._in_flight -= 1
        self._gateway._limit.release()


def api_key_from_env(settings: LLMSettings) -> SecretStr | None:
    """Read on the driver and handed to the actor in memory: never in a file, log or runtime_env."""
    value = os.environ.get(settings.api_key_env)
    return SecretStr(value) if value else None


def start_gateway(settings: LLMSettings, out: Path | str | None = None) -> ray.actor.ActorHandle:
    """The run's LLM gateway, on this node; with `out`, its answer cache is in that folder."""
    actor = ray.remote(num_cpus=0, max_concurrency=10_000, max_restarts=3, max_task_retries=1)(_LLMGateway)
    cache = str(Path(out).resolve() / ".ray-import" / DB_NAME) if out is not None else None
    return actor.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
        node_id=ray.get_runtime_context().get_node_id(), soft=False)).remote(
        settings, api_key_from_env(settings), cache)
