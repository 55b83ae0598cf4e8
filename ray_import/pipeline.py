"""run_import: stream URLs through the catalog and the tasks, results in completion order.

The driver holds at most `max_in_flight` task refs plus a bounded look-ahead of claimed URLs,
reads the URL source lazily, and writes each result to the report as it arrives, so its memory
does not grow with the batch. URLs are submitted round-robin over hosts, each host at most a
few ahead of what its politeness limit lets through, so a list that starts with 10 000 URLs of
one site does not starve every other site.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ray
from ray.exceptions import RayError, TaskCancelledError

from scraper.errors import DiskFull
from scraper.politeness import host_key

from .catalog import Catalog
from .config import ImportConfig
from .events import EventWriter
from .gateway import Gateways, cancel_fetch
from .progress import NullProgress
from .report import ReportWriter, default_report_path
from .results import ImportResult
from .runtime import ensure_ray
from .metrics import Metrics
from .tasks import Enriched, NeedsLLM, Started, Step, submit, submit_finish

_DECISION_FIELDS = {"status", "slug", "error_kind", "error", "duplicate_of"}


@dataclass
class _Pending:
    url: str
    line: int | None
    key: str
    token: str
    host: str
    started_at: float | None = None
    page_ref: Any = None
    started: Started | None = None
    id: str | None = None  # the service's progress id (ray-import serve)
    structured: bool = False  # the LLM has answered; the task running now is finish_llm


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
    # The signal that stopped the run (SIGINT, SIGTERM); None when `stop` was set from code.
    stop_signal: int | None = None
    catalog: dict[str, Any] = field(default_factory=dict)
    hosts: dict[str, dict[str, int]] = field(default_factory=dict)
    llm: dict[str, float] = field(default_factory=dict)
    ray_start_seconds: float = 0.0
    stopped: str | None = None  # why the batch stopped before its end ("disk full: ...")
    report_error: str | None = None  # why the report could not be written

    @property
    def failed(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in ("imported", "exists", "duplicate"))

    @property
    def exit_code(self) -> int:
        if self.interrupted:  # 128 + the signal, as a shell reports it: 130 Ctrl-C, 143 SIGTERM
            return 128 + (self.stop_signal or signal.SIGINT)
        return 1 if self.failed else 0


class _HostQueue:
    """Claimed URLs waiting for submission, handed out round-robin over hosts that have room."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.size = 0
        self._waiting: dict[str, deque[_Pending]] = {}
        self._ring: deque[str] = deque()
        self._submitted: Counter[str] = Counter()

    def add(self, pending: _Pending) -> None:
        queue = self._waiting.get(pending.host)
        if queue is None:
            queue = self._waiting[pending.host] = deque()
            self._ring.append(pending.host)
        queue.append(pending)
        self.size += 1

    def pop(self) -> _Pending | None:
        for _ in range(len(self._ring)):
            host = self._ring[0]
            self._ring.rotate(-1)
            if self._submitted[host] < self.per_host:
                pending = self._waiting[host].popleft()
                if not self._waiting[host]:
                    del self._waiting[host]
                    self._ring.remove(host)
                self._submitted[host] += 1
                self.size -= 1
                return pending
        return None

    def done(self, pending: _Pending) -> None:
        self._submitted[pending.host] -= 1
        if self._submitted[pending.host] <= 0:
            del self._submitted[pending.host]

    def remove(self, match: Callable[[_Pending], bool]) -> _Pending | None:
        """Take out the first waiting item that matches (a cancelled import)."""
        for host, queue in self._waiting.items():
            for pending in queue:
                if match(pending):
                    queue.remove(pending)
                    if not queue:
                        del self._waiting[host]
                        self._ring.remove(host)
                    self.size -= 1
                    return pending
        return None

    def drain(self) -> list[_Pending]:
        items = [p for queue in self._waiting.values() for p in queue]
        self._waiting.clear()
        self._ring.clear()
        self.size = 0
        return items


def _batches(items: Iterator[tuple[int | None, str]], size: int) -> Iterator[list[tuple[int | None, str]]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk


class _Batch:
    """One run's driver loop: claim, submit, take results, expire, cancel."""

    def __init__(self, urls: Iterable[str | tuple[int | None, str]], cfg: ImportConfig,
                 emit: Callable[[ImportResult], None], events: EventWriter | None = None) -> None:
        self.cfg = cfg
        self.emit = emit
        self.events = events
        self.catalog = Catalog.open(cfg.out)
        self.gateways = Gateways(cfg.fetch)
        self.llm = None
        if cfg.llm.effective_mode != "off":
            from .llm_gateway import start_gateway  # the openai client: only when an LLM is configured

            self.llm = start_gateway(cfg.llm)
        self.cfg_ref = ray.put(cfg)
        self.batch_id = uuid.uuid4().hex
        # A stream (stdin, a pipe) gives its lines as they come and may never end: the loop takes
        # what has arrived without blocking, and a stop does not wait for the rest
        # (inputs.StreamLines).
        self.stream = urls if hasattr(urls, "take") else None
        pairs = ((None, u) if isinstance(u, str) else u for u in urls)
        self.chunks = _batches(iter(pairs), cfg.claim_batch_size)
        self.exhausted = False
        self.queue = _HostQueue(per_host=cfg.fetch.per_host_concurrency * 2)
        self.lookahead = max(cfg.claim_batch_size, cfg.max_in_flight * 4)
        self.in_flight: dict[Any, _Pending] = {}
        # Catalog saves under way: save ref → (URL, the task's output, when the save was sent).
        self.saving: dict[Any, tuple[_Pending, Enriched, float]] = {}
        # Tasks yield a marker at each step only when someone shows the current step (serve).
        self.report_steps = False
        # Set when every later URL would fail the same way (a full disk): the batch stops.
        self.stopped: str | None = None

    def run(self, stop: threading.Event | None = None) -> None:
        while True:
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt
            if self.stopped:  # checked before topping up, so nothing more is sent in vain
                raise _Stopped(self.stopped)
            if not self._refill():
                return
            self._wait(1.0)
            self._expire()

    def _claim_more(self) -> bool:
        """Claim the next chunk of URLs; False once the source has no more (for now)."""
        if self.stream is not None:
            chunk, ended = self.stream.take(self.cfg.claim_batch_size)
            self.exhausted = ended and not chunk
        else:
            chunk = next(self.chunks, None)
            self.exhausted = chunk is None
        if not chunk:
            return False
        self._claim(chunk)
        return True

    def _claim(self, chunk: list[tuple[int | None, str]]) -> None:
        decisions = ray.get(self.catalog.handle.claim_batch.remote(
            [url for _, url in chunk], self.cfg.refresh, self.batch_id))
        for (line, url), d in zip(chunk, decisions, strict=True):
            if d["status"] == "claimed":
                host = host_key(urlsplit(url).hostname)
                self.queue.add(_Pending(url, line, d["key"], d["token"], host))
            else:
                self.emit(ImportResult(url=url, line=line, **{k: v for k, v in d.items() if k in _DECISION_FIELDS}))

    def _refill(self) -> bool:
        """Top up in-flight tasks; False once everything is done."""
        while len(self.in_flight) < self.cfg.max_in_flight:
            if self.queue.size < self.lookahead and not self.exhausted and self._claim_more():
                continue
            pending = self.queue.pop()
            if pending is None:
                break
            self._submit(pending)
        return bool(self.in_flight) or bool(self.saving) or self.queue.size > 0 or not self.exhausted

    def _wait(self, timeout: float) -> None:
        """Take whatever task output or save answer is ready (at most one wait of `timeout`)."""
        refs = [*self.in_flight, *self.saving]
        if not refs:
            if self.stream is not None and not self.exhausted and self.queue.size == 0:
                self._claim_waiting(timeout)  # nothing runs: wait for the stream's next lines
            return
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        for ref in ready:
            if ref in self.saving:
                self._saved(ref)
            else:
                self._take(ref)

    def _claim_waiting(self, timeout: float) -> None:
        chunk, ended = self.stream.take(self.cfg.claim_batch_size, wait_s=timeout)
        if chunk:
            self._claim(chunk)
        self.exhausted = ended and not chunk

    def _submit(self, pending: _Pending) -> None:
        pending.page_ref = self.gateways.for_url(pending.url).fetch.remote(pending.url)
        ref = submit(pending.url, pending.key, pending.token, pending.page_ref, self.cfg_ref, self.cfg,
                     self.catalog.handle, steps=self.report_steps)
        self.in_flight[ref] = pending
        self._event("queued", pending, line=pending.line)

    def _event(self, event: str, pending: _Pending, **fields: Any) -> None:
        """A state change of one URL (the service overrides this to update its progress records)."""
        if self.events:
            self.events(event, pending.url, **fields)

    def _emit(self, pending: _Pending, result: ImportResult) -> None:
        self.emit(result)

    def _finish(self, ref: Any, result: ImportResult, release: bool) -> None:
        self._settle(self.in_flight.pop(ref), result, release)

    def _settle(self, pending: _Pending, result: ImportResult, release: bool) -> None:
        pending.page_ref = None
        self.queue.done(pending)
        if release:
            self.catalog.release([(pending.key, pending.token)])
        where = {"line": pending.line, "finished_at": result.finished_at or time.time()}
        if pending.started is not None:
            where.update(node_id=pending.started.node_id, pid=pending.started.pid,
                         started_at=pending.started.at)
        self._emit(pending, result.model_copy(update=where))

    def _take(self, ref: Any) -> None:
        pending = self.in_flight[ref]
        try:
            item = ray.get(next(ref))
        except StopIteration:
            # The generator ended without a result (it should not): account for the URL anyway.
            self._finish(ref, ImportResult(url=pending.url, status="crashed", error_kind="crashed",
                                           error="task ended without a result"), release=True)
            return
        except RayError as exc:
            kind = "cancelled" if isinstance(exc, TaskCancelledError) else "crashed"
            self._finish(ref, ImportResult(url=pending.url, status=kind, error_kind=kind,
                                           error=_first_line(exc)), release=True)
            return
        if isinstance(item, Started):
            pending.started_at = time.monotonic()
            pending.started = item
            self._event("started", pending, node_id=item.node_id, pid=item.pid, at=item.at)
            return
        if isinstance(item, Step):
            self._event("step_started", pending, step=item.name, at=item.at)
            return
        if isinstance(item, NeedsLLM):
            self._event("needs_llm", pending)
            # The parse task is done; the LLM answers in the gateway, then a new task saves.
            del self.in_flight[ref]
            pending.started_at = None
            pending.structured = True
            outcome_ref = self.llm.structure.remote(item.text)
            new = submit_finish(pending.url, pending.key, pending.token, outcome_ref, pending.page_ref,
                                self.cfg_ref, self.cfg, self.catalog.handle, item.seconds,
                                steps=self.report_steps)
            self.in_flight[new] = pending
            return
        if isinstance(item, Enriched):
            # The task is done; the catalog allocates the slug and writes the file.
            del self.in_flight[ref]
            self._event("step_started", pending, step="save")
            save = self.catalog.handle.save.remote(pending.key, pending.token, item.document)
            self.saving[save] = (pending, item, time.perf_counter())
            return
        self._finish(ref, item, release=False)

    def _saved(self, ref: Any) -> None:
        pending, item, sent = self.saving.pop(ref)
        seconds = {**item.seconds, "save": round(time.perf_counter() - sent, 4)}
        try:
            saved = ray.get(ref)
        except RayError as exc:
            self._settle(pending, ImportResult(url=pending.url, status="crashed", error_kind="crashed",
                                               error_stage="save", error=_first_line(exc), seconds=seconds,
                                               attempts=item.attempts, finished_at=time.time(), **item.extra),
                         release=True)
            return
        self._settle(pending, ImportResult(
            url=pending.url, status=saved["status"], slug=saved.get("slug"), error_kind=saved.get("error_kind"),
            error=saved.get("error"), error_stage="save" if saved["status"] == "failed" else None,
            attempts=item.attempts, extractor=item.extractor, seconds=seconds, finished_at=time.time(),
            **item.extra), release=False)
        if saved.get("error_kind") == DiskFull.kind and self.stopped is None:
            # Every later save would fail too: stop rather than fetch the rest for nothing.
            self.stopped = saved.get("error") or "disk full"

    def _expire(self) -> None:
        """Cancel tasks that have been running (not queued) for longer than task.timeout_s."""
        limit = self.cfg.task.timeout_s
        now = time.monotonic()
        for ref, pending in list(self.in_flight.items()):
            if pending.started_at is not None and now - pending.started_at > limit:
                ray.cancel(ref, force=True)
                self._finish(ref, ImportResult(
                    url=pending.url, status="timeout", error_kind="timeout", error_stage="task",
                    error=f"task ran longer than task.timeout_s={limit:g}s; cancelled"), release=True)

    def cancel(self, why: str = "run interrupted") -> None:
        """Ctrl-C or a stop: cancel what runs, account for every URL not yet done, free the claims."""
        if self.saving:
            # Saves are quick and already in the catalog's hands: let them land and report them.
            ray.wait(list(self.saving), num_returns=len(self.saving), timeout=10)
            for ref in list(self.saving):
                self._saved(ref)
        for ref, pending in self.in_flight.items():
            cancel_fetch(pending.page_ref)  # the gateway stops retrying its site (issue 13, item 6)
            ray.cancel(ref, force=True)
        unfinished = [*self.in_flight.values(), *self.queue.drain()]
        self.in_flight.clear()
        for pending in unfinished:
            self._emit(pending, ImportResult(url=pending.url, line=pending.line, status="cancelled",
                                             error_kind="cancelled", error=why))
        try:
            self.catalog.release([(p.key, p.token) for p in unfinished])
        except Exception:  # noqa: BLE001 - the actor may be gone already
            pass
        rest = [self.stream.take(self.stream.READ_AHEAD)[0]] if self.stream is not None else self.chunks
        for chunk in rest:  # a stream: only the lines it has given
            for line, url in chunk:
                self.emit(ImportResult(url=url, line=line, status="cancelled", error_kind="cancelled",
                                       error=f"{why} before this URL was started"))

    def close(self) -> dict[str, dict[str, int]]:
        """Stop the gateways and forget the batch; returns the per-host fetch statistics."""
        try:
            stats = self.gateways.stats()
            self.gateways.close()
            if self.llm is not None:
                stats["llm"] = ray.get(self.llm.stats.remote())
                ray.kill(self.llm)
            self.catalog.handle.end_batch.remote(self.batch_id)
        except Exception:  # noqa: BLE001 - Ray may already be shutting down on Ctrl-C
            stats = {}
        return stats


def run_import(
    urls: Iterable[str | tuple[int | None, str]],
    cfg: ImportConfig,
    *,
    report_path: Path | None = None,
    progress: NullProgress | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
    events: str | Path | None = None,
    stop: threading.Event | None = None,
) -> RunSummary:
    """Import every URL into `cfg.out`; never raises for a bad URL or page.

    Args:
        urls: URLs, or (line number, URL) pairs from `inputs.read_url_file`.
        cfg: the resolved config.
        report_path: where the JSON report goes (default `<out>/reports/run-<time>.json`).
        progress: fed one result at a time (default: silent).
        on_result: called with each result as it arrives.
        events: write the JSON-lines event stream here ("-" for stdout; see events.py).
        stop: set it (from another thread) to stop the run as Ctrl-C would.

    Raises:
        CatalogError: the output folder cannot be used.
        ConfigError: the event stream cannot be written.

    Example:
        >>> summary = run_import(["https://example.com/pie"], ImportConfig(out="recipes"))
        >>> summary.exit_code
        0
    """
    started = time.monotonic()
    ensure_ray(cfg)
    startup = time.monotonic() - started
    progress = progress or NullProgress()
    batch = None
    report = None
    writer = EventWriter(events) if events is not None else None
    meters = Metrics()

    def emit(result: ImportResult) -> None:
        report.add(result)
        progress.update(result)
        meters.result(result)
        if batch is not None:
            meters.set_in_flight(len(batch.in_flight))
        if writer:
            writer.result(result)
        if on_result:
            on_result(result)

    interrupted = False
    stopped = None
    # Ctrl-C sets `stop`, and the loop stops at its next safe point, so no URL is lost between
    # being taken from one structure and put in the next; a second Ctrl-C interrupts at once.
    # SIGTERM (kill, docker stop, systemd) does the same: without it Ray's handler exits at once,
    # with no report and the claims left held (issue 13, item 8).
    stop = stop or threading.Event()
    previous: dict[int, Any] = {}
    received: list[int] = []
    if threading.current_thread() is threading.main_thread():
        def on_signal(signum: int, frame: Any) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            received.append(signum)
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        batch = _Batch(urls, cfg, emit, writer)
        report = ReportWriter(report_path or default_report_path(Path(cfg.out)), cfg.model_dump(mode="json"))
        batch.run(stop)
    except KeyboardInterrupt:
        interrupted = True
        if batch is not None and report is not None:
            batch.cancel()
    except _Stopped as exc:
        stopped = f"{exc}; batch stopped"
        batch.cancel("batch stopped: disk full")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        progress.close()
        hosts = batch.close() if batch is not None else {}
        if writer:
            writer.close()
    if report is None:  # interrupted before anything started
        raise KeyboardInterrupt
    summary = report.finish(time.monotonic() - started, {
        "catalog": batch.catalog.info, "interrupted": interrupted, "hosts": hosts,
        "ray_start_seconds": round(startup, 3), "stopped": stopped,
    })
    return RunSummary(
        counts=summary["counts"],
        errors_by_kind=summary["errors_by_kind"],
        report=summary["report"],
        failed_urls=summary["failed_urls"],
        wall_seconds=summary["wall_seconds"],
        steps=summary["steps"],
        interrupted=interrupted,
        stop_signal=received[0] if received else None,
        catalog=batch.catalog.info,
        hosts=hosts,
        llm=summary["llm"],
        ray_start_seconds=summary["ray_start_seconds"],
        stopped=stopped,
        report_error=summary.get("report_error"),
    )


class _Stopped(Exception):
    """The batch cannot go on (a full disk); the message says why."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:500] if text else type(exc).__name__
