"""run_import: one batch of URLs into the output folder, with signals, a report and a summary.

The work is the driver's (driver.py): the URL lines are claimed in the catalog a chunk at a time
(sources.UrlLines), so the driver's memory does not grow with the batch, and each result goes
to the report, the progress bar, the event stream and the metrics as it arrives (the listeners
here). Ctrl-C and SIGTERM stop the batch at a safe point; every URL is accounted for.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scraper.errors import DiskFull

from .catalog import Catalog
from .config import ImportConfig
from .driver import Driver
from .events import EventWriter
from .metrics import Metrics
from .progress import NullProgress
from .report import ReportWriter, default_report_path
from .results import OK_STATUSES, ImportResult
from .runtime import ensure_ray
from .sources import Claimed, UrlLines


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
    # reprocess: recipes changed and how many changed each field (issue 18); empty for a run.
    changed: dict[str, Any] = field(default_factory=dict)
    ray_start_seconds: float = 0.0
    stopped: str | None = None  # why the batch stopped before its end ("disk full: ...")
    report_error: str | None = None  # why the report could not be written

    @property
    def failed(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in OK_STATUSES)

    @property
    def exit_code(self) -> int:
        if self.interrupted:  # 128 + the signal, as a shell reports it: 130 Ctrl-C, 143 SIGTERM
            return 128 + (self.stop_signal or signal.SIGINT)
        return 1 if self.failed else 0


class _RunListener:
    """The run's listener (driver.Listener): report, progress bar, event stream, the caller's
    callback; and the one reason a batch stops by itself, a full disk."""

    def __init__(self, report: ReportWriter, progress: NullProgress, writer: EventWriter | None,
                 on_result: Callable[[ImportResult], None] | None) -> None:
        self.report, self.progress, self.writer, self.on_result = report, progress, writer, on_result
        self.stopped: str | None = None  # why the batch must stop ("disk full: ...")

    def event(self, item: Claimed, name: str, fields: dict[str, Any]) -> None:
        if self.writer:
            self.writer(name, item.url, **fields)

    def result(self, item: Claimed | None, result: ImportResult) -> None:
        self.report.add(result)
        self.progress.update(result)
        if self.writer:
            self.writer.result(result)
        if self.on_result:
            self.on_result(result)
        if result.error_kind == DiskFull.kind and self.stopped is None:
            # Every later save would fail too: stop rather than fetch the rest for nothing.
            self.stopped = result.error or "disk full"


def run_import(
    urls: Iterable[str | tuple[int | None, str]],
    cfg: ImportConfig,
    *,
    report_path: Path | None = None,
    progress: NullProgress | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
    events: str | Path | None = None,
    stop: threading.Event | None = None,
    reprocess: bool = False,
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
        reprocess: read the pages from the archive and rewrite the recipes in place
            (`reprocessing.reprocess`, which gives the URLs; issue 18).

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
    writer = EventWriter(events) if events is not None else None
    catalog = source = driver = None
    interrupted = False
    stopped = None
    hosts: dict[str, dict[str, int]] = {}
    stop = stop or threading.Event()
    with _signals_set(stop) as received:
        try:
            catalog = Catalog.open(cfg.out)
            source = UrlLines(urls, catalog, cfg.refresh)
            report_to = report_path or default_report_path(Path(cfg.out))
            report = ReportWriter(report_to, cfg.model_dump(mode="json"))
            listener = _RunListener(report, progress, writer, on_result)
            driver = Driver(cfg, catalog, source, [listener, Metrics()], reprocess=reprocess)
            driver.run(lambda: stop.is_set() or listener.stopped is not None)
            if stop.is_set():
                raise KeyboardInterrupt
            if listener.stopped is not None:
                stopped = f"{listener.stopped}; batch stopped"
                driver.cancel("batch stopped: disk full")
        except KeyboardInterrupt:
            interrupted = True
            if driver is not None:
                driver.cancel()
        finally:
            progress.close()
            if driver is not None:
                hosts = driver.close()
            _close_quietly(source)
            _close_quietly(catalog)
            if writer:
                writer.close()
    if driver is None:  # interrupted before anything started
        raise KeyboardInterrupt
    summary = report.finish(time.monotonic() - started, {
        "catalog": catalog.info, "interrupted": interrupted, "hosts": hosts,
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
        catalog=catalog.info,
        hosts=hosts,
        llm=summary["llm"],
        changed=summary.get("changed", {}),
        ray_start_seconds=summary["ray_start_seconds"],
        stopped=stopped,
        report_error=summary.get("report_error"),
    )


@contextlib.contextmanager
def _signals_set(stop: threading.Event) -> Iterator[list[int]]:
    """While the run lasts, Ctrl-C and SIGTERM set `stop`; yields the signals received.

    The loop stops at its next safe point, so no URL is lost between being taken from one
    structure and put in the next; a second signal interrupts at once. Without this, SIGTERM
    (kill, docker stop, systemd) would end the process through Ray's handler, with no report and
    the claims left held (issue 13, item 8). Signals can be handled in the main thread only.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def on_signal(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _close_quietly(closable: UrlLines | Catalog | None) -> None:
    """Close at the end of a run, which Ray may be shutting down under (Ctrl-C)."""
    if closable is not None:
        try:
            closable.close()
        except Exception:  # noqa: BLE001
            pass
