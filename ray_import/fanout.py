"""The Server-Sent Events fan-out of `ray-import serve`: each progress event to the clients that want it.

Clients wait on asyncio loops (the HTTP server's), while events come from the driver's thread and
from request handlers. Each event is serialised once and handed to each client loop with one
`call_soon_threadsafe`, not one per client; a client that does not keep up is dropped (it can
reconnect with Last-Event-ID) rather than buffered without bound. No Ray here.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class _Record(Protocol):
    """A progress record (service.Progress) as the fan-out sees it."""

    status: str

    @property
    def done(self) -> bool: ...

    def model_dump(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(eq=False)
class Subscriber:
    """One SSE client: its loop and queue; `ids` limits it to some imports."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue
    ids: set[str] | None = None
    dropped: bool = False


class Fanout:
    """The subscribers, and the last `remember` events for clients that reconnect.

    `lock` is the service's: an event is published in the same step as its record changes, and
    a new subscriber's replay sees records and events that agree.
    """

    def __init__(self, lock: threading.RLock, remember: int = 1000) -> None:
        self._lock = lock
        self._subscribers: set[Subscriber] = set()
        self._recent: deque[tuple[int, str, str]] = deque(maxlen=remember)  # (seq, id, SSE event name)
        self._seq = itertools.count(1)

    def __len__(self) -> int:
        return len(self._subscribers)

    def subscribe(self, ids: set[str] | None, last_event_id: int | None, maxsize: int,
                  record: Callable[[str], _Record | None]) -> Subscriber:
        """A queue of `(seq, event name, record as JSON)` for the calling event loop.

        First come the current records of `ids` (so a client that subscribes late still learns
        an outcome), or with `last_event_id` the events it missed that are still remembered.
        """
        sub = Subscriber(asyncio.get_running_loop(), asyncio.Queue(maxsize), ids)
        with self._lock:
            if last_event_id is not None:
                for seq, progress_id, event in self._recent:
                    if seq > last_event_id and (ids is None or progress_id in ids):
                        if (current := record(progress_id)) is not None:
                            sub.queue.put_nowait((seq, event, event_json(current)))
            elif ids:
                for progress_id in ids:
                    if (current := record(progress_id)) is not None:
                        event = current.status if current.done else "progress"
                        sub.queue.put_nowait((0, event, event_json(current)))
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def publish(self, progress_id: str, event: str, record: _Record) -> None:
        """Called under the lock; hands the event to every interested subscriber's loop."""
        seq = next(self._seq)
        self._recent.append((seq, progress_id, event))
        if not self._subscribers:
            return
        data = event_json(record)  # serialised once for every client
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

    def close_all(self) -> None:
        """End every stream: each client gets the end marker (None) in its queue."""
        with self._lock:
            for sub in list(self._subscribers):
                self._subscribers.discard(sub)
                try:
                    sub.loop.call_soon_threadsafe(_put_end, sub)
                except RuntimeError:  # its loop is closed
                    pass


def _put_end(sub: Subscriber) -> None:
    try:
        sub.queue.put_nowait(None)
    except asyncio.QueueFull:
        sub.queue.get_nowait()
        sub.queue.put_nowait(None)


def event_json(record: _Record) -> str:
    return json.dumps(record.model_dump(mode="json", by_alias=True), ensure_ascii=False)
