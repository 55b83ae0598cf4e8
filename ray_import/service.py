"""ImportService: the long-lived engine behind `ray-import serve`.

The same catalog actor, fetch gateways, LLM gateway, per-recipe tasks and driver loop
(driver.py) as `ray-import run`; the difference is where URLs come from. A batch run reads a
file; the service takes URLs from HTTP requests at any time. One driver thread, fed from an
inbox (sources.Inbox), submits and collects the tasks; request handlers only claim URLs in the
catalog, put them in the inbox and read progress records, so a POST never waits for an import.
The driver tells the service what happens through a listener (`_Records`); the SSE fan-out is
fanout.py.

Why not Ray Serve replicas: the state that makes the API correct — one progress id per URL in
progress, the queue bound, the event fan-out — must live in one place. In Serve it would be an
actor that every request calls anyway, and a controller, an HTTP proxy and a replica would be
three more ~100-200 MB processes; the work that needs a cluster is already spread by Ray tasks.
`ray-import serve --address` runs this driver on the head node of a cluster.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .catalog import Catalog
from .config import ImportConfig, check_serve_config
from .driver import Driver
from .errors import QueueFull
from .fanout import Fanout, Subscriber
from .metrics import Metrics
from .results import FINAL_STATUSES, ClaimDecision, ImportResult
from .runtime import ensure_ray
from .slugs import is_valid_slug
from .sources import Claimed, Inbox, apply_claims
from .urls import normalize_url

class Progress(BaseModel):
    """One import as the API shows it (JSON field names in camelCase)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    progress_id: str
    url: str
    status: str = Field(description="queued | running | imported | exists | duplicate | unchanged | "
                                    "failed | timeout | cancelled | crashed")
    step: str | None = Field(None, description="queued | fetch | extract | structure | enrich | save; "
                                               "null once finished")
    steps: dict[str, float] = Field(default_factory=dict, description="seconds per finished step")
    slug: str | None = None
    duplicate_of: str | None = None
    error_kind: str | None = None
    error_stage: str | None = None
    error: str | None = None
    attempts: int = 0
    created_at: float
    updated_at: float
    finished_at: float | None = None

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass
class _Entry:
    record: Progress
    key: str
    step_since: float = field(default_factory=time.monotonic)
    cancel_requested: bool = False
    structured: bool = False  # the LLM has answered: the task that starts next enriches


class _Records:
    """The service's listener (driver.Listener): what the driver tells, onto the progress records."""

    def __init__(self, service: ImportService) -> None:
        self._service = service

    def event(self, item: Claimed, name: str, fields: dict[str, Any]) -> None:
        self._service._changed(item.key, name, fields)

    def result(self, item: Claimed | None, result: ImportResult) -> None:
        if item is not None:
            self._service._finished_key(item.key, result)


class ImportService:
    """Accepts URLs at any time, imports them with the batch machinery, reports progress.

    Thread-safe: request handlers (any thread, any event loop) and the driver thread share it
    under one lock; subscribers get events through their own loop's `call_soon_threadsafe`.

    Example:
        >>> service = ImportService(ImportConfig(out="recipes")).start()
        >>> record, created = asyncio.run(service.submit("https://example.com/pie"))
        >>> service.get(record.progress_id).status
        'queued'
    """

    def __init__(self, cfg: ImportConfig) -> None:
        check_serve_config(cfg)  # robots.txt is obeyed: API callers' URLs are not the operator's
        self.cfg = cfg
        self.out = Path(cfg.out).resolve()
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}  # progress id → entry
        self._done_order: deque[str] = deque()  # finished progress ids, in the order they finished
        self._active: dict[str, str] = {}  # URL key → progress id of its import in progress
        self._inbox = Inbox()
        self._fanout = Fanout(self._lock)
        self._stop = threading.Event()
        self._meters = Metrics()
        self._claims_waiting: dict[asyncio.AbstractEventLoop, list] = {}
        self._claimers: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
        self._catalog: Catalog | None = None
        self._driver: Driver | None = None
        self._thread: threading.Thread | None = None
        self.started_at = time.time()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> ImportService:
        """Start (or join) Ray, open the catalog and the gateways, start the driver thread."""
        ensure_ray(self.cfg)
        self._catalog = Catalog.open(self.cfg.out)
        listeners = [_Records(self), self._meters]
        self._driver = Driver(self.cfg, self._catalog, self._inbox, listeners, steps=True)
        self._thread = threading.Thread(target=self._driver.run, args=(self._stop.is_set,), daemon=True,
                                        name="ray-import-serve")
        self._thread.start()
        return self

    def close_streams(self) -> None:
        """End every SSE stream (before the HTTP server stops, so none is cut mid-event)."""
        self._fanout.close_all()

    def stop(self) -> None:
        """Stop taking work, cancel what runs, release every claim, close the SSE streams."""
        self.close_streams()
        self._stop.set()
        self._inbox.wake()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._driver is not None:
            try:
                self._driver.cancel()  # nothing stays claimed or half-written
                self._driver.close()
            except Exception:  # noqa: BLE001 - Ctrl-C in a terminal stops Ray's processes too
                pass
            self._driver = None
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    @property
    def catalog(self) -> Catalog | None:
        """The output folder's catalog while the service runs."""
        return self._catalog

    # -- requests -----------------------------------------------------------------------------

    async def submit(self, url: str, refresh: bool = False) -> tuple[Progress, bool]:
        """One URL; returns its record and whether this call created it."""
        return (await self.submit_many([url], refresh))[0]

    async def submit_many(self, urls: list[str], refresh: bool = False) -> list[tuple[Progress, bool]]:
        """Register URLs, claim the new ones in the catalog, queue them.

        A URL whose import is in progress gets its existing record (no second task); one already
        in the catalog is answered `exists` at once (unless `refresh`).

        Raises:
            InvalidURL: a URL cannot be imported (the message names it).
            QueueFull: accepting them would exceed `serve.max_queue`.
        """
        keys = [normalize_url(url) for url in urls]
        now = time.time()
        out: list[tuple[Progress, bool]] = []
        new: list[tuple[str, str]] = []  # (progress id, url)
        with self._lock:
            fresh = {key for key in keys if key not in self._active}
            active = len(self._active)
            if active + len(fresh) > self.cfg.serve.max_queue:
                raise QueueFull(active, self.cfg.serve.max_queue, self.cfg.serve.retry_after_s)
            for url, key in zip(urls, keys, strict=True):
                progress_id = self._active.get(key)
                if progress_id is not None:
                    out.append((self._entries[progress_id].record, False))
                    continue
                progress_id = uuid.uuid4().hex
                record = Progress(progress_id=progress_id, url=url, status="queued", step="queued",
                                  created_at=now, updated_at=now)
                self._entries[progress_id] = _Entry(record, key)
                self._active[key] = progress_id
                new.append((progress_id, url))
                out.append((record, True))
                self._fanout.publish(progress_id, "queued", record)
        if new:
            try:
                decisions = await self._claim([url for _, url in new], refresh)
            except Exception as exc:
                for progress_id, url in new:
                    self._answered(progress_id, ImportResult(url=url, status="crashed", error_kind="crashed",
                                                             error=f"catalog unavailable: {exc}"[:500]))
                raise
            claimed: list[Claimed] = []
            cancelled: list[str] = []  # cancelled while being claimed: the driver gives them up
            with self._lock:
                outcomes = apply_claims([(None, url) for _, url in new], decisions)
                for (progress_id, _), outcome in zip(new, outcomes, strict=True):
                    if isinstance(outcome, Claimed):
                        claimed.append(outcome)
                        if self._entries[progress_id].cancel_requested:
                            cancelled.append(outcome.key)
                    else:
                        self._answered(progress_id, outcome)
            self._inbox.put(claimed, cancel=cancelled)
        return out

    async def _claim(self, urls: list[str], refresh: bool) -> list[ClaimDecision]:
        """Claim URLs in the catalog, coalescing concurrent requests into one actor call.

        50 POSTs at once would otherwise be 50 round trips queued at one actor: the last would
        wait for all the others. Requests that arrive while a claim is under way go together
        in the next one, so nothing waits for a timer.
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        waiting = self._claims_waiting.setdefault(loop, [])
        waiting.append((urls, refresh, future))
        if loop not in self._claimers:
            self._claimers[loop] = loop.create_task(self._claimer(loop))
        return await future

    async def _claimer(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while waiting := self._claims_waiting.pop(loop, []):
                for refresh in (False, True):
                    group = [(urls, future) for urls, r, future in waiting if r == refresh]
                    if not group:
                        continue
                    try:
                        decisions = await self._catalog.claim_async(
                            [url for urls, _ in group for url in urls], refresh)
                    except Exception as exc:  # noqa: BLE001 - each waiting request raises it
                        for _, future in group:
                            future.set_exception(exc)
                        continue
                    start = 0
                    for urls, future in group:
                        future.set_result(decisions[start:start + len(urls)])
                        start += len(urls)
        finally:
            self._claimers.pop(loop, None)

    def get(self, progress_id: str) -> Progress | None:
        with self._lock:
            entry = self._entries.get(progress_id)
            return entry.record.model_copy() if entry else None

    async def cancel(self, progress_id: str, timeout: float = 10.0) -> Progress | None:
        """Cancel one import; returns its record afterwards (None if unknown)."""
        with self._lock:
            entry = self._entries.get(progress_id)
            if entry is None or entry.record.done:
                return entry.record.model_copy() if entry else None
            entry.cancel_requested = True
            done = self._inbox.cancel(entry.key)
        await asyncio.wait_for(asyncio.wrap_future(done), timeout)
        return self.get(progress_id)

    def recipe_path(self, slug: str) -> Path | None:
        """The saved recipe file of a slug, or None (slugs are checked: no path tricks)."""
        if not is_valid_slug(slug):
            return None
        path = self.out / f"{slug}.recipe.json"
        return path if path.is_file() else None

    def health(self) -> dict[str, Any]:
        with self._lock:
            running = sum(1 for pid in self._active.values() if self._entries[pid].record.status == "running")
            alive = self._thread is not None and self._thread.is_alive()
            return {"status": "ok" if alive else "stopped", "queued": len(self._active) - running,
                    "running": running, "subscribers": len(self._fanout),
                    "uptime_s": round(time.time() - self.started_at, 1)}

    # -- the event stream (fanout.py) ---------------------------------------------------------

    def subscribe(self, ids: set[str] | None = None, last_event_id: int | None = None,
                  maxsize: int = 10_000) -> Subscriber:
        """A queue of `(seq, event name, record as JSON)` for the calling event loop.

        First come the current records of `ids` (so a client that subscribes late still learns
        an outcome), or with `last_event_id` the events it missed that are still remembered.
        """
        return self._fanout.subscribe(ids, last_event_id, maxsize, self._record)

    def unsubscribe(self, sub: Subscriber) -> None:
        self._fanout.unsubscribe(sub)

    def _record(self, progress_id: str) -> Progress | None:
        entry = self._entries.get(progress_id)
        return entry.record if entry else None

    # -- what the driver tells (through _Records) ---------------------------------------------

    def _changed(self, key: str, event: str, fields: dict[str, Any]) -> None:
        step = {"queued": "fetch", "needs_llm": "structure"}.get(event)
        with self._lock:
            entry = self._entries.get(self._active.get(key, ""))
            if entry is None or entry.record.done:
                return
            if event == "needs_llm":
                entry.structured = True
            elif event == "started":
                step = "enrich" if entry.structured else "extract"
            elif event == "step_started":
                step = fields["step"]
            if step is None:
                return
            record = entry.record
            now = time.monotonic()
            if record.step not in (None, "queued", step):
                record.steps[record.step] = round(now - entry.step_since, 4)
            entry.step_since = now
            record.status = "running"
            record.step = step
            record.updated_at = time.time()
            self._fanout.publish(record.progress_id, "step", record)

    def _finished_key(self, key: str, result: ImportResult) -> None:
        with self._lock:
            self._finished(self._active.get(key), result)

    def _answered(self, progress_id: str, result: ImportResult) -> None:
        """A result the catalog gave when claiming (the driver never saw the URL)."""
        self._meters.result(None, result)
        self._finished(progress_id, result)

    def _finished(self, progress_id: str | None, result: ImportResult) -> None:
        with self._lock:
            entry = self._entries.get(progress_id) if progress_id else None
            if entry is None:
                return
            record = entry.record
            record.status = result.status
            record.step = None
            if result.seconds:
                record.steps = dict(result.seconds)
            record.slug = result.slug
            record.duplicate_of = result.duplicate_of
            record.error_kind, record.error_stage, record.error = result.error_kind, result.error_stage, result.error
            record.attempts = result.attempts
            record.finished_at = record.updated_at = result.finished_at or time.time()
            if self._active.get(entry.key) == progress_id:
                del self._active[entry.key]
            self._fanout.publish(progress_id, result.status, record)
            # Finished records are forgotten oldest-finished first, beyond serve.history.
            self._done_order.append(progress_id)
            while len(self._done_order) > self.cfg.serve.history:
                self._entries.pop(self._done_order.popleft(), None)
