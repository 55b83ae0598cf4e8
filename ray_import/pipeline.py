"""run_import: stream URLs through the catalog and the tasks, results in completion order.

The driver holds at most `max_in_flight` task refs plus one claim batch, reads the URL source
lazily, and writes each result to the report as it arrives, so its memory does not grow with the
batch. Load on sites is limited by task resources (and later per-host caps), not by this loop.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import RayError, TaskCancelledError

from .catalog import Catalog
from .gateway import Gateways
from .config import ImportConfig
from .progress import NullProgress
from .report import ReportWriter, default_report_path
from .results import ImportResult
from .runtime import ensure_ray
from .tasks import Started, submit


@dataclass
class _Pending:
    url: str
    line: int | None
    key: str
    token: str
    started_at: float | None = None


@dataclass
class RunSummary:
    """What `run_import` returns: counts, where the report is, and the exit code it implies."""

    counts: dict[str, int]
    errors_by_kind: dict[str, int]
    report: str
    failed_urls: str | None
    wall_seconds: float
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    interrupted: bool = False
    catalog: dict[str, Any] = field(default_factory=dict)
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in ("imported", "exists", "duplicate"))

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed else 0


def _batches(items: Iterator[tuple[int | None, str]], size: int) -> Iterator[list[tuple[int | None, str]]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


def run_import(
    urls: Iterable[str | tuple[int | None, str]],
    cfg: ImportConfig,
    *,
    report_path: Path | None = None,
    progress: NullProgress | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
) -> RunSummary:
    """Import every URL into `cfg.out`; never raises for a bad URL or page.

    Args:
        urls: URLs, or (line number, URL) pairs from `inputs.read_url_file`.
        cfg: the resolved config.
        report_path: where the JSON report goes (default `<out>/reports/run-<time>.json`).
        progress: fed one result at a time (default: silent).
        on_result: called with each result as it arrives.

    Raises:
        CatalogError: the output folder cannot be used.

    Example:
        >>> summary = run_import(["https://example.com/pie"], ImportConfig(out="recipes"))
        >>> summary.exit_code
        0
    """
    started = time.monotonic()
    ensure_ray(cfg)
    catalog = Catalog.open(cfg.out)
    gateways = Gateways(cfg.fetch)
    progress = progress or NullProgress()
    report = ReportWriter(report_path or default_report_path(Path(cfg.out)), _public_config(cfg))
    cfg_ref = ray.put(cfg)
    batch_id = uuid.uuid4().hex
    pairs = ((None, u) if isinstance(u, str) else u for u in urls)
    batches = _batches(iter(pairs), cfg.claim_batch_size)
    ready_to_submit: deque[_Pending] = deque()
    in_flight: dict[Any, _Pending] = {}
    interrupted = False

    def emit(result: ImportResult) -> None:
        report.add(result)
        progress.update(result)
        if on_result:
            on_result(result)

    def refill() -> bool:
        """Top up in-flight tasks; False once the input is exhausted and nothing is queued."""
        while len(in_flight) < cfg.max_in_flight:
            if not ready_to_submit:
                chunk = next(batches, None)
                if chunk is None:
                    return bool(in_flight)
                decisions = ray.get(catalog.handle.claim_batch.remote(
                    [url for _, url in chunk], cfg.refresh, batch_id))
                for (line, url), d in zip(chunk, decisions, strict=True):
                    if d["status"] == "claimed":
                        ready_to_submit.append(_Pending(url, line, d["key"], d["token"]))
                    else:
                        emit(ImportResult(url=url, line=line, **{k: v for k, v in d.items() if k in _DECISION_FIELDS}))
                continue
            pending = ready_to_submit.popleft()
            page_ref = gateways.for_url(pending.url).fetch.remote(pending.url)
            ref = submit(pending.url, pending.key, pending.token, page_ref, cfg_ref, cfg, catalog.handle)
            in_flight[ref] = pending
        return True

    try:
        while refill() or in_flight:
            if not in_flight:
                continue
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=1.0)
            for ref in ready:
                _take(ref, in_flight, emit, catalog)
            _expire(cfg, in_flight, emit, catalog)
    except KeyboardInterrupt:
        interrupted = True
        _cancel_all(in_flight, ready_to_submit, emit, catalog)
        for chunk in batches:
            for line, url in chunk:
                emit(ImportResult(url=url, line=line, status="cancelled", error_kind="cancelled",
                                  error="run interrupted before this URL was started"))
    finally:
        progress.close()
        try:
            fetch_stats = gateways.stats()
            gateways.close()
        except Exception:  # noqa: BLE001 - Ray may already be shutting down on Ctrl-C
            fetch_stats = {}
        try:
            catalog.handle.end_batch.remote(batch_id)
        except Exception:  # noqa: BLE001 - Ray may already be shutting down on Ctrl-C
            pass
    summary = report.finish(time.monotonic() - started, {
        "catalog": catalog.info, "interrupted": interrupted, "hosts": fetch_stats,
    })
    return RunSummary(
        counts=summary["counts"],
        errors_by_kind=summary["errors_by_kind"],
        report=summary["report"],
        failed_urls=summary["failed_urls"],
        wall_seconds=summary["wall_seconds"],
        steps=summary["steps"],
        interrupted=interrupted,
        catalog=catalog.info,
        hosts=fetch_stats,
    )


_DECISION_FIELDS = {"status", "slug", "error_kind", "error", "duplicate_of"}


def _take(ref: Any, in_flight: dict[Any, _Pending], emit: Callable[[ImportResult], None], catalog: Catalog) -> None:
    pending = in_flight[ref]
    try:
        item = ray.get(next(ref))
    except StopIteration:
        # The generator ended without a result (it should not): account for the URL anyway.
        del in_flight[ref]
        catalog.release([(pending.key, pending.token)])
        emit(ImportResult(url=pending.url, line=pending.line, status="crashed",
                          error_kind="crashed", error="task ended without a result"))
        return
    except RayError as exc:
        del in_flight[ref]
        catalog.release([(pending.key, pending.token)])
        kind = "cancelled" if isinstance(exc, TaskCancelledError) else "crashed"
        emit(ImportResult(url=pending.url, line=pending.line, status=kind, error_kind=kind,
                          error=_first_line(exc)))
        return
    if isinstance(item, Started):
        pending.started_at = time.monotonic()
        return
    del in_flight[ref]
    emit(item.model_copy(update={"line": pending.line}))


def _expire(cfg: ImportConfig, in_flight: dict[Any, _Pending], emit: Callable[[ImportResult], None], catalog: Catalog) -> None:
    """Cancel tasks that have been running (not queued) for longer than task.timeout_s."""
    now = time.monotonic()
    for ref, pending in list(in_flight.items()):
        if pending.started_at is not None and now - pending.started_at > cfg.task.timeout_s:
            ray.cancel(ref, force=True)
            del in_flight[ref]
            catalog.release([(pending.key, pending.token)])
            emit(ImportResult(url=pending.url, line=pending.line, status="timeout", error_kind="timeout",
                              error_stage="task",
                              error=f"task ran longer than task.timeout_s={cfg.task.timeout_s:g}s; cancelled"))


def _cancel_all(in_flight: dict[Any, _Pending], queued: deque[_Pending],
                emit: Callable[[ImportResult], None], catalog: Catalog) -> None:
    for ref in in_flight:
        ray.cancel(ref, force=True)
    for pending in [*in_flight.values(), *queued]:
        emit(ImportResult(url=pending.url, line=pending.line, status="cancelled", error_kind="cancelled",
                          error="run interrupted"))
    try:
        catalog.release([(p.key, p.token) for p in [*in_flight.values(), *queued]])
    except Exception:  # noqa: BLE001 - the actor may be gone already
        pass
    in_flight.clear()
    queued.clear()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:500] if text else type(exc).__name__


def _public_config(cfg: ImportConfig) -> dict[str, Any]:
    return cfg.model_dump(mode="json")
