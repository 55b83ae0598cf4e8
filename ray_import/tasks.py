"""The per-URL Ray task: thin glue that parses a fetched page and hands the recipe to the catalog.

The page arrives as the task's argument, the ObjectRef of a fetch-gateway call: Ray starts the
task only when the page is there, so the task never waits on the network (see gateway.py).

It is a streaming generator task: it first yields a `Started` marker, then the `ImportResult`.
The marker tells the driver when the task really began running (not when it was queued), so
`task.timeout_s` measures running time only. Expected failures (`PageError`) become a failed
result and the task returns normally; anything else is a bug and surfaces as a RayTaskError.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import ray

from scraper.enrich import enrich
from scraper.errors import PageError
from scraper.extract import extract
from scraper.models import FetchedPage

from .config import ImportConfig
from .results import ImportResult, StepFailure
from .urls import task_label

T = TypeVar("T")


@dataclass(frozen=True)
class Started:
    """First item a task yields."""

    at: float
    pid: int
    node_id: str


def _timed(timings: dict[str, float], step: str, fn: Callable[..., T], *args: Any) -> T:
    started = time.perf_counter()
    try:
        return fn(*args)
    finally:
        timings[step] = round(time.perf_counter() - started, 4)


def _import_page(
    fetched: FetchedPage | StepFailure, url: str, key: str, token: str, cfg: ImportConfig, catalog: Any
) -> Iterator[Started | ImportResult]:
    yield Started(at=time.time(), pid=os.getpid(), node_id=ray.get_runtime_context().get_node_id())
    if isinstance(fetched, StepFailure):
        catalog.release.remote([(key, token)])
        yield ImportResult(url=url, status="failed", error_kind=fetched.kind, error_stage=fetched.stage,
                           error=fetched.message, attempts=fetched.attempts)
        return
    timings = {"fetch": fetched.seconds}
    try:
        recipe = _timed(timings, "extract", extract, fetched)
        enriched = _timed(timings, "enrich", enrich, recipe, fetched, cfg.enrich)
        document = enriched.to_document(slug="")
        saved = _timed(timings, "save", ray.get, catalog.save.remote(key, token, document))
    except PageError as exc:
        catalog.release.remote([(key, token)])
        yield ImportResult(url=url, status="failed", error_kind=exc.kind, error_stage=exc.stage,
                           error=exc.message, attempts=fetched.attempts, seconds=timings)
        return
    yield ImportResult(
        url=url,
        status=saved["status"],
        slug=saved.get("slug"),
        error_kind=saved.get("error_kind"),
        error=saved.get("error"),
        error_stage="save" if saved["status"] == "failed" else None,
        attempts=fetched.attempts,
        extractor=recipe.extractor,
        seconds=timings,
    )


import_page = ray.remote(num_returns="streaming")(_import_page)


def submit(url: str, key: str, token: str, page_ref: Any, cfg_ref: Any, cfg: ImportConfig, catalog: Any) -> Any:
    """Submit one URL's parse task with the config's resources; returns its ObjectRefGenerator."""
    return import_page.options(
        name=task_label(url),
        num_cpus=cfg.task.num_cpus,
        memory=cfg.task.memory_mb * 1024 * 1024 if cfg.task.memory_mb else None,
        max_retries=cfg.task.max_retries,
        retry_exceptions=False,
    ).remote(page_ref, url, key, token, cfg_ref, catalog)
