"""HostQueue: claimed URLs waiting for a task, handed out round-robin over the hosts with room.

Why: a URL list that starts with 10 000 URLs of one site must not starve every other site, and
no host should have more tasks submitted than a few beyond what its politeness limit lets
through (the fetch gateway enforces the limit; this keeps the driver from piling work on one
host meanwhile). No Ray here.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class _OnHost(Protocol):
    @property
    def host(self) -> str: ...


T = TypeVar("T", bound=_OnHost)


class HostQueue(Generic[T]):
    """Items wait per host; `pop` takes the next host in turn that has fewer than `per_host` out."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.size = 0
        self._waiting: dict[str, deque[T]] = {}
        self._ring: deque[str] = deque()
        self._submitted: Counter[str] = Counter()

    def add(self, item: T) -> None:
        queue = self._waiting.get(item.host)
        if queue is None:
            queue = self._waiting[item.host] = deque()
            self._ring.append(item.host)
        queue.append(item)
        self.size += 1

    def pop(self) -> T | None:
        """The next item to submit (counted out for its host until `done`), or None for now."""
        for _ in range(len(self._ring)):
            host = self._ring[0]
            self._ring.rotate(-1)
            if self._submitted[host] < self.per_host:
                item = self._waiting[host].popleft()
                if not self._waiting[host]:
                    del self._waiting[host]
                    self._ring.remove(host)
                self._submitted[host] += 1
                self.size -= 1
                return item
        return None

    def done(self, item: T) -> None:
        """A popped item is finished: its host has room for one more."""
        self._submitted[item.host] -= 1
        if self._submitted[item.host] <= 0:
            del self._submitted[item.host]

    def remove(self, match: Callable[[T], bool]) -> T | None:
        """Take out the first waiting item that matches (a cancelled import: rare, so a scan)."""
        for host, queue in self._waiting.items():
            for item in queue:
                if match(item):
                    queue.remove(item)
                    if not queue:
                        del self._waiting[host]
                        self._ring.remove(host)
                    self.size -= 1
                    return item
        return None

    def drain(self) -> list[T]:
        """Every waiting item, and the queue empty."""
        items = [item for queue in self._waiting.values() for item in queue]
        self._waiting.clear()
        self._ring.clear()
        self.size = 0
        return items
