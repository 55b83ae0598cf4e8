"""The per-URL Ray tasks: thin glue around the scraper steps; the catalog saves.

`import_page` gets the fetched page as its argument — the ObjectRef of a fetch-gateway call — so
Ray starts it only once the page is there and it never waits on the network (gateway.py). When
the page has no structured recipe and an LLM is configured, it hands compact page text back to
the driver (`NeedsLLM`) and ends; the LLM gateway answers (llm_gateway.py), and `finish_llm`,
submitted with that answer's ObjectRef as argument, enriches and saves. No task ever waits on
the LLM either.

Both are streaming generator tasks: they first yield a `Started` marker, then (for `ray-import
serve` only) a `Step` marker as enrich begins, then their outcome: a failed result (`Failed`,
with the page, when it was fetched and is to be archived), or the `Enriched` document (with the
page, compressed here: issue 18), which the driver sends to the catalog actor to save, so a worker is free
as soon as the recipe is enriched and never waits on the catalog (from another node, a network
round trip). Tasks never see the catalog: the driver gives back the claim of a URL that fails.
The `Started` marker tells the driver when a task really began running (not when it was queued
or waiting for its argument), so `task.timeout_s` measures running time only. Expected failures
(`PageError`) become failed results and the task returns normally; anything else is a bug and
surfaces as a RayTaskError.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ray

from scraper.errors import NotARecipe, PageError
from scraper.models import FetchedPage, NotModified, Recipe

from .archive_index import PageCopy
from .config import ImportConfig
from .results import ImportResult, LLMOutcome, StepFailure
from .urls import task_label

T = TypeVar("T")


@dataclass(frozen=True)
class Started:
    """First item a task yields."""

    at: float
    pid: int
    node_id: str


@dataclass(frozen=True)
class Step:
    """A step begins (yielded only when the driver shows the current step: `ray-import serve`)."""

    name: str
    at: float


@dataclass(frozen=True)
class Enriched:
    """A recipe ready to save; the driver hands it to the catalog (see the module docstring)."""

    document: dict[str, Any]
    attempts: int
    extractor: str | None
    seconds: dict[str, float]
    extra: dict[str, Any] = field(default_factory=dict)
    page: PageCopy | None = None  # the page for the archive, saved with the recipe (issue 18)


@dataclass(frozen=True)
class Failed:
    """A fetched page that made no recipe: its failed result, and the page for the archive,
    which the driver hands to the catalog with the claim it gives back (issue 18)."""

    result: ImportResult
    page: PageCopy


@dataclass(frozen=True)
class NeedsLLM:
    """A page the LLM must structure: its compact text, and the timings so far."""

    text: str
    seconds: dict[str, float] = field(default_factory=dict)
    attempts: int = 1
    content_sha256: str = ""  # the page's: the LLM answer cache's key (issue 18)


def _started(task: str, url: str) -> Started:
    _show_url(task, url)
    return Started(at=time.time(), pid=os.getpid(), node_id=ray.get_runtime_context().get_node_id())


def _show_url(task: str, url: str) -> None:
    """Put the URL in the worker's process title, where the dashboard and `ps` show it.

    Why not in the task's name: Ray keeps a metrics series and state per distinct task name in
    the driver, the workers and the dashboard agent, for the life of the session, so one name per
    URL made every process grow by ~54 KB per imported URL. The process title is one string per
    worker, replaced by the next task (Ray resets it to `ray::IDLE` when the task ends), and it is
    what the dashboard's Cluster view lists for each worker process.
    """
    try:
        ray._raylet.setproctitle(f"ray::{task} {task_label(url)}")
    except Exception:  # noqa: BLE001 - a title is a convenience; never fail a page for it
        pass


def _timed(timings: dict[str, float], step: str, fn: Callable[..., T], *args: Any) -> T:
    started = time.perf_counter()
    try:
        return fn(*args)
    finally:
        timings[step] = round(time.perf_counter() - started, 4)


def _failed(url: str, exc: PageError | StepFailure, attempts: int, timings: dict[str, float],
            page: FetchedPage | None = None, **extra: Any) -> ImportResult | Failed:
    result = ImportResult(url=url, status="failed", error_kind=exc.kind, error_stage=exc.stage,
                          error=exc.message, attempts=attempts, seconds=timings, finished_at=time.time(),
                          **extra)
    copy = _archived(page)
    return Failed(result, copy) if copy is not None else result


def _archived(page: FetchedPage | None) -> PageCopy | None:
    """The page compressed for the archive, here where the CPU is (~0.7 ms a page: not a step of
    its own in the report or the events); None when the fetch kept no body."""
    return PageCopy.of(page) if page is not None else None


def _enrich(recipe: Recipe, page: FetchedPage, url: str, cfg: ImportConfig, timings: dict[str, float],
            steps: bool, **extra: Any) -> Iterator[Step | ImportResult | Failed | Enriched]:
    from scraper.enrich import enrich  # imported in the worker only (see _import_page)

    if steps:
        yield Step("enrich", time.time())
    try:
        enriched = _timed(timings, "enrich", enrich, recipe, page, cfg.enrich)
    except PageError as exc:
        yield _failed(url, exc, page.attempts, timings, page, **extra)
        return
    copy = _archived(page)
    yield Enriched(document=enriched.to_document(slug=""), attempts=page.attempts, extractor=recipe.extractor,
                   seconds=timings, extra=extra, page=copy)


def _import_page(
    fetched: FetchedPage | NotModified | StepFailure, url: str, cfg: ImportConfig, steps: bool = False,
) -> Iterator[Started | Step | NeedsLLM | Enriched | ImportResult | Failed]:
    # The parsing stack (recipe-scrapers, extruct, lxml: ~80 MB) is imported here, in the
    # worker, so the driver, which only submits these tasks, never loads it.
    from scraper.extract import extract
    from scraper.generic import INCOMPLETE_MESSAGE, is_incomplete
    from scraper.readable import page_text

    yield _started(IMPORT_TASK, url)
    if isinstance(fetched, StepFailure):
        yield _failed(url, fetched, fetched.attempts, {})
        return
    if isinstance(fetched, NotModified):  # a refresh the site answered 304: nothing to parse
        yield ImportResult(url=url, status="unchanged", attempts=fetched.attempts,
                           seconds={"fetch": fetched.seconds}, finished_at=time.time())
        return
    timings = {"fetch": fetched.seconds}
    mode = cfg.llm.effective_mode
    try:
        if mode == "always":
            raise NotARecipe("LLM mode is 'always'", url=url, stage="extract")
        recipe = _timed(timings, "extract", extract, fetched)
        if mode == "fallback" and is_incomplete(recipe):  # the LLM reads what heuristics could not
            raise NotARecipe(INCOMPLETE_MESSAGE, url=url, stage="extract")
    except NotARecipe as exc:
        if mode == "off":
            yield _failed(url, exc, fetched.attempts, timings, fetched)
            return
        text = _timed(timings, "readable", page_text, fetched.html, cfg.llm.max_input_tokens * 4)
        yield NeedsLLM(text=text, seconds=timings, attempts=fetched.attempts,
                       content_sha256=fetched.content_sha256)
        return
    except PageError as exc:
        yield _failed(url, exc, fetched.attempts, timings, fetched)
        return
    yield from _enrich(recipe, fetched, url, cfg, timings, steps)


def _finish_llm(
    outcome: LLMOutcome, page: FetchedPage, url: str, cfg: ImportConfig, timings: dict[str, float],
    steps: bool = False,
) -> Iterator[Started | Step | Enriched | ImportResult | Failed]:
    yield _started(FINISH_TASK, url)
    timings = {**timings, "structure": outcome.seconds}
    usage = {"llm_calls": outcome.calls, "llm_prompt_tokens": outcome.prompt_tokens,
             "llm_completion_tokens": outcome.completion_tokens, "llm_seconds": outcome.seconds,
             "llm_cost_usd": round(outcome.cost_usd, 6), "llm_cache_hits": int(outcome.cache_hit),
             "llm_saved_usd": round(outcome.saved_usd, 6)}
    if outcome.failure is not None or outcome.recipe is None:
        failure = outcome.failure or StepFailure(kind="llm_invalid", stage="structure", message="no recipe")
        yield _failed(url, failure, page.attempts, timings, page, **usage)
        return
    yield from _enrich(outcome.recipe, page, url, cfg, timings, steps, **usage)


# One constant name per kind of task (see _show_url for why the URL is not part of it).
IMPORT_TASK = "import_page"
FINISH_TASK = "finish_llm"
import_page = ray.remote(num_returns="streaming")(_import_page)
finish_llm = ray.remote(num_returns="streaming")(_finish_llm)


def task_options(name: str, cfg: ImportConfig) -> dict[str, Any]:
    """The Ray options of every per-URL task: the config's resources, no retry of our own errors."""
    return {
        "name": name,
        "num_cpus": cfg.task.num_cpus,
        "memory": cfg.task.memory_mb * 1024 * 1024 if cfg.task.memory_mb else None,
        "max_retries": cfg.task.max_retries,
        "retry_exceptions": False,
    }


def submit(url: str, page_ref: Any, cfg_ref: Any, cfg: ImportConfig, steps: bool = False) -> Any:
    """Submit one URL's parse task with the config's resources; returns its ObjectRefGenerator."""
    return import_page.options(**task_options(IMPORT_TASK, cfg)).remote(page_ref, url, cfg_ref, steps)


def submit_finish(url: str, outcome_ref: Any, page_ref: Any, cfg_ref: Any, cfg: ImportConfig,
                  timings: dict[str, float], steps: bool = False) -> Any:
    """Submit the task that enriches an LLM-structured recipe, once the LLM's answer exists."""
    return finish_llm.options(**task_options(FINISH_TASK, cfg)).remote(
        outcome_ref, page_ref, url, cfg_ref, timings, steps)
