"""ImportService: the long-lived engine behind `ray-import serve`.

The same catalog actor, fetch gateways, LLM gateway and per-recipe tasks as `ray-import run`; the
difference is where URLs come from. A batch run reads a file; the service takes URLs from HTTP
requests at any time. One engine thread (the driver loop of pipeline.py, fed from an inbox)
submits and collects the tasks; request handlers only claim URLs in the catalog, append to the
inbox and read progress records, so a POST never waits for an import.

Why not Ray Serve replicas: the state that makes the API correct — one progress id per URL in
progress, the queue bound, the event fan-out — must live in one place. In Serve it would be an
actor that every request calls anyway, and a controller, an HTTP proxy and a replica would be
three more ~100-200 MB processes; the work that needs a cluster is already spread by Ray tasks.
`ray-import serve --address` runs this driver on the head node of a cluster.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ray
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from scraper.politeness import host_key

from .config import ImportConfig
from .gateway import cancel_fetch
from .metrics import Metrics
from .pipeline import _Batch, _DECISION_FIELDS, _Pending
from .results import ImportResult
from .runtime import ensure_ray
from .urls import normalize_url

TERMINAL = {"imported", "exists", "duplicate", "failed", "timeout", "cancelled", "crashed"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,199}$")


class QueueFull(Exception):
    """More imports than `serve.max_queue` would be queued or running."""

    def __init__(self, active: int, limit: int, retry_after: int) -> None:
        super().__init__(f"the import queue is full ({active} queued or running, serve.max_queue={limit}); "
                         f"retry in {retry_after}s")
        self.retry_after = retry_after


class Progress(BaseModel):
    """One import as the API shows it (JSON field names in camelCase)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    progress_id: str
    url: str
    status: str = Field(description="queued | running | imported | exists | duplicate | failed | "
                                    "timeout | cancelled | crashed")
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
        return self.status in TERMINAL


@dataclass(eq=False)
class Subscriber:
    """One SSE client: its loop and queue; `ids` limits it to some imports."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue
    ids: set[str] | None = None
    dropped: bool = False


@dataclass
class _Entry:
    record: Progress
    key: str
    step_since: float = field(default_factory=time.monotonic)
    cancel_requested: bool = False


class _Engine(_Batch):
    """The batch driver loop, fed from the service's inbox instead of a URL file."""

    def __init__(self, service: ImportService) -> None:
        super().__init__([], service.cfg, emit=lambda result: None)
        self.service = service
        self.exhausted = True
        self.report_steps = True

    def _event(self, event: str, pending: _Pending, **fields: Any) -> None:
        self.service._changed(pending, event, fields)

    def _emit(self, pending: _Pending, result: ImportResult) -> None:
        self.service._finished(pending.id, result)

    def loop(self, stop: threading.Event) -> None:
        service = self.service
        while not stop.is_set():
            for pending in service._take_inbox():
                self.queue.add(pending)
            for progress_id, done in service._take_cancels():
                done.set_result(self._cancel_one(progress_id))
            self._refill()
            if self.in_flight or self.saving:
                self._wait(0.05)
                self._expire()
                service._meters.set_in_flight(len(self.in_flight))
            else:
                service._wake.wait(0.5)
                service._wake.clear()

    def _cancel_one(self, progress_id: str) -> bool:
        """Cancel a queued or running import; False when it is not (or no longer) ours.

        An import whose recipe is being saved is past cancelling: it finishes as imported.
        """
        pending = self.queue.remove(lambda p: p.id == progress_id)
        if pending is not None:
            self.catalog.release([(pending.key, pending.token)])
            self._emit(pending, _cancelled(pending.url, "cancelled before it started"))
            return True
        for ref, pending in list(self.in_flight.items()):
            if pending.id == progress_id:
                cancel_fetch(pending.page_ref)
                ray.cancel(ref, force=True)
                self._finish(ref, _cancelled(pending.url, "cancelled while running"), release=True)
                return True
        return False

    def shutdown(self) -> None:
        """Cancel whatever runs and free every claim, so nothing stays claimed or half-written."""
        for pending in self.service._take_inbox():
            self.queue.add(pending)
        self.cancel()
        self.close()


def _cancelled(url: str, why: str) -> ImportResult:
    return ImportResult(url=url, status="cancelled", error_kind="cancelled", error=why,
                        finished_at=time.time())


class ImportService:
    """Accepts URLs at any time, imports them with the batch machinery, reports progress.

    Thread-safe: request handlers (any thread, any event loop) and the engine thread share it
    under one lock; subscribers get events through their own loop's `call_soon_threadsafe`.

    Example:
        >>> service = ImportService(ImportConfig(out="recipes")).start()
        >>> record, created = asyncio.run(service.submit("https://example.com/pie"))
        >>> service.get(record.progress_id).status
        'queued'
    """

    def __init__(self, cfg: ImportConfig) -> None:
        self.cfg = cfg
        self.out = Path(cfg.out).resolve()
        self._lock = threading.RLock()
        self._entries: dict[str, _Entry] = {}  # progress id → entry
        self._done_order: deque[str] = deque()  # finished progress ids, in the order they finished
        self._active: dict[str, str] = {}  # URL key → progress id of its import in progress
        self._inbox: deque[_Pending] = deque()
        self._cancels: deque[tuple[str, Future]] = deque()
        self._subscribers: set[Subscriber] = set()
        self._recent: deque[tuple[int, str, str]] = deque(maxlen=1000)  # (seq, id, SSE event name)
        self._seq = itertools.count(1)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._meters = Metrics()
        self._claims_waiting: dict[asyncio.AbstractEventLoop, list] = {}
        self._claimers: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
        self._engine: _Engine | None = None
        self._thread: threading.Thread | None = None
        self.started_at = time.time()

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> ImportService:
        """Start (or join) Ray, open the catalog and the gateways, start the engine thread."""
        ensure_ray(self.cfg)
        self._engine = _Engine(self)
        self._thread = threading.Thread(target=self._engine.loop, args=(self._stop,), daemon=True,
                                        name="ray-import-serve")
        self._thread.start()
        return self

    def close_streams(self) -> None:
        """End every SSE stream (before the HTTP server stops, so none is cut mid-event)."""
        with self._lock:
            for sub in list(self._subscribers):
                self._close(sub)

    def stop(self) -> None:
        """Stop taking work, cancel what runs, release every claim, close the SSE streams."""
        self.close_streams()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._engine is not None:
            try:
                self._engine.shutdown()
            except Exception:  # noqa: BLE001 - Ctrl-C in a terminal stops Ray's processes too
                pass
            self._engine = None

    @property
    def catalog(self) -> Any:
        return self._engine.catalog.handle

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
                self._publish(progress_id, "queued")
        if new:
            try:
                decisions = await self._claim([url for _, url in new], refresh)
            except Exception as exc:
                for progress_id, url in new:
                    self._finished(progress_id, ImportResult(url=url, status="crashed", error_kind="crashed",
                                                             error=f"catalog unavailable: {exc}"[:500]))
                raise
            with self._lock:
                for (progress_id, url), d in zip(new, decisions, strict=True):
                    entry = self._entries[progress_id]
                    if d["status"] == "claimed" and entry.cancel_requested:
                        self.catalog.release.remote([(d["key"], d["token"])])
                        self._finished(progress_id, _cancelled(url, "cancelled before it started"))
                    elif d["status"] == "claimed":
                        self._inbox.append(_Pending(url, None, d["key"], d["token"],
                                                    host_key(urlsplit(url).hostname), id=progress_id))
                    else:
                        fields = {k: v for k, v in d.items() if k in _DECISION_FIELDS}
                        self._finished(progress_id, ImportResult(url=url, finished_at=time.time(), **fields))
            self._wake.set()
        return out

    async def _claim(self, urls: list[str], refresh: bool) -> list[dict[str, Any]]:
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
                        decisions = await self.catalog.claim_batch.remote(
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
            done: Future = Future()
            self._cancels.append((progress_id, done))
        self._wake.set()
        await asyncio.wait_for(asyncio.wrap_future(done), timeout)
        return self.get(progress_id)

    def recipe_path(self, slug: str) -> Path | None:
        """The saved recipe file of a slug, or None (slugs are checked: no path tricks)."""
        if not SLUG.match(slug):
            return None
        path = self.out / f"{slug}.recipe.json"
        return path if path.is_file() else None

    def health(self) -> dict[str, Any]:
        with self._lock:
            running = sum(1 for pid in self._active.values() if self._entries[pid].record.status == "running")
            alive = self._thread is not None and self._thread.is_alive()
            return {"status": "ok" if alive else "stopped", "queued": len(self._active) - running,
                    "running": running, "subscribers": len(self._subscribers),
                    "uptime_s": round(time.time() - self.started_at, 1)}

    # -- the event stream ---------------------------------------------------------------------

    def subscribe(self, ids: set[str] | None = None, last_event_id: int | None = None,
                  maxsize: int = 10_000) -> Subscriber:
        """A queue of `(seq, event name, record as JSON)` for the calling event loop.

        First come the current records of `ids` (so a client that subscribes late still learns
        an outcome), or with `last_event_id` the events it missed that are still remembered.
        """
        sub = Subscriber(asyncio.get_running_loop(), asyncio.Queue(maxsize), ids)
        with self._lock:
            if last_event_id is not None:
                for seq, progress_id, event in self._recent:
                    if seq > last_event_id and (ids is None or progress_id in ids):
                        entry = self._entries.get(progress_id)
                        if entry is not None:
                            sub.queue.put_nowait((seq, event, event_json(entry.record)))
            elif ids:
                for progress_id in ids:
                    entry = self._entries.get(progress_id)
                    if entry is not None:
                        event = entry.record.status if entry.record.done else "progress"
                        sub.queue.put_nowait((0, event, event_json(entry.record)))
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def _publish(self, progress_id: str, event: str) -> None:
        """Called under the lock; hands the event to every interested subscriber's loop."""
        seq = next(self._seq)
        self._recent.append((seq, progress_id, event))
        if not self._subscribers:
            return
        data = event_json(self._entries[progress_id].record)  # serialised once for every client
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscriber]] = {}
        for sub in self._subscribers:
            if sub.ids is None or progress_id in sub.ids:
                by_loop.setdefault(sub.loop, []).append(sub)
        for loop, subs in by_loop.items():
            if loop.is_closed():  # the clients are gone
                self._subscribers.difference_update(subs)
                continue
            # One wake-up of each loop per event, not one per client.
            loop.call_soon_threadsafe(self._offer, subs, (seq, event, data))

    def _offer(self, subs: list[Subscriber], item: Any) -> None:
        # Runs in the subscribers' loop. A client that does not keep up is dropped rather than
        # buffered without bound; it can reconnect with Last-Event-ID.
        for sub in subs:
            if sub.dropped:
                continue
            try:
                sub.queue.put_nowait(item)
            except asyncio.QueueFull:
                sub.dropped = True
                self.unsubscribe(sub)
                sub.queue.get_nowait()
                sub.queue.put_nowait(None)

    def _close(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)
        try:
            sub.loop.call_soon_threadsafe(_put_end, sub)
        except RuntimeError:
            pass

    # -- called from the engine thread --------------------------------------------------------

    def _drain(self, queue: deque) -> list:
        with self._lock:
            items = list(queue)
            queue.clear()
            return items

    def _take_inbox(self) -> list[_Pending]:
        return self._drain(self._inbox)

    def _take_cancels(self) -> list[tuple[str, Future]]:
        return self._drain(self._cancels)

    def _changed(self, pending: _Pending, event: str, fields: dict[str, Any]) -> None:
        step = {"queued": "fetch", "needs_llm": "structure"}.get(event)
        if event == "started":
            step = "enrich" if pending.structured else "extract"
        elif event == "step_started":
            step = fields["step"]
        if step is None:
            return
        with self._lock:
            entry = self._entries.get(pending.id)
            if entry is None or entry.record.done:
                return
            record = entry.record
            now = time.monotonic()
            if record.step not in (None, "queued", step):
                record.steps[record.step] = round(now - entry.step_since, 4)
            entry.step_since = now
            record.status = "running"
            record.step = step
            record.updated_at = time.time()
            self._publish(pending.id, "step")

    def _finished(self, progress_id: str | None, result: ImportResult) -> None:
        self._meters.result(result)
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
            self._publish(progress_id, result.status)
            # Finished records are forgotten oldest-finished first, beyond serve.history.
            self._done_order.append(progress_id)
            while len(self._done_order) > self.cfg.serve.history:
                self._entries.pop(self._done_order.popleft(), None)


def _put_end(sub: Subscriber) -> None:
    try:
        sub.queue.put_nowait(None)
    except asyncio.QueueFull:
        sub.queue.get_nowait()
        sub.queue.put_nowait(None)


def event_json(record: Progress) -> str:
    return json.dumps(record.model_dump(mode="json", by_alias=True), ensure_ascii=False)
