"""Where the driver's work comes from: URLs the catalog has claimed, ready to import.

`UrlLines` (`ray-import run`, `run_import`): the lines of a URL file, a list, or a stream,
claimed in the catalog a chunk at a time as the driver asks for more; the lines the catalog
answers at once (exists, duplicate, an invalid URL) come back as results. `Inbox` (`ray-import
serve`): URLs that the service's requests have claimed already, and the cancellations asked for
meanwhile. Both read the catalog's decisions through `apply_claims`, so `exists` or `duplicate`
means the same in a report and in the API.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from scraper.politeness import host_key

from .catalog import Catalog
from .results import ClaimDecision, ImportResult

Line = tuple[int | None, str]  # (line number in the URL file, or None; the URL as given)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A URL claimed in the catalog, to be imported by the driver that holds the claim."""

    url: str
    key: str  # the catalog's key of the URL; one claim per key at a time, so it names the import
    token: str  # the claim: the save and the release name it
    host: str  # for per-host round-robin (hostqueue.py)
    line: int | None = None  # its line in the URL file; None for the API
    # A refresh of a page saved before: its last fetch's validators, for a conditional fetch.
    etag: str | None = None
    last_modified: str | None = None


class Taken(NamedTuple):
    """What a source hands over: claimed URLs to import, and results the catalog gave at once."""

    claimed: list[Claimed]
    answered: Iterable[ImportResult] = ()


class WorkSource(Protocol):
    """The driver's side of a source (see the module docstring)."""

    @property
    def ended(self) -> bool:
        """No more work will come."""

    def take(self, n: int, wait_s: float = 0.0) -> Taken:
        """Up to `n` more URLs; waits up to `wait_s` for a first one when there is none yet."""

    def cancels(self) -> list[tuple[str, Future]]:
        """Imports to cancel, by URL key, each with the future that gets whether it was."""

    def withdraw(self, key: str) -> Claimed | None:
        """Take back a claimed URL not handed over yet (its import is cancelled)."""

    def drain(self, why: str) -> Taken:
        """All the source still holds, once the driver stops: claimed URLs (the driver cancels
        them and gives their claims back), and the results of lines never claimed."""


def apply_claims(lines: Sequence[Line], decisions: Sequence[ClaimDecision]) -> list[Claimed | ImportResult]:
    """What each of the catalog's claim decisions means for its URL, in order: a Claimed URL to
    import, or its final result now (exists, duplicate, failed)."""
    out: list[Claimed | ImportResult] = []
    for (line, url), d in zip(lines, decisions, strict=True):
        if d.status == "claimed":
            out.append(Claimed(url, d.key, d.token, host_key(urlsplit(url).hostname), line,
                               d.etag, d.last_modified))
        else:
            out.append(ImportResult(url=url, line=line, status=d.status, slug=d.slug, error_kind=d.error_kind,
                                    error=d.error, duplicate_of=d.duplicate_of))
    return out


class _Lines(Protocol):
    finite: bool
    READ_AHEAD: int

    def take(self, n: int, wait_s: float = 0.0) -> tuple[list[Line], bool]: ...


class _IteratorLines:
    """A list or a file's lines behind `inputs.StreamLines.take`, so every input is read one way."""

    finite = True
    READ_AHEAD = 0

    def __init__(self, urls: Iterable[str | Line]) -> None:
        self._pairs: Iterator[Line] = ((None, u) if isinstance(u, str) else u for u in urls)

    def take(self, n: int, wait_s: float = 0.0) -> tuple[list[Line], bool]:
        chunk = list(itertools.islice(self._pairs, n))
        return chunk, len(chunk) < n


class UrlLines:
    """The URLs of one batch, claimed in the catalog a chunk at a time (`ray-import run`).

    Within the batch (`batch_id`) a URL seen before is a duplicate; `close` makes the catalog
    forget what the batch has seen.
    """

    def __init__(self, urls: Iterable[str | Line], catalog: Catalog, refresh: bool = False) -> None:
        # A stream (stdin, a pipe: inputs.StreamLines) gives its lines as they come and may never
        # end: a take returns what has arrived, and a stop does not wait for the rest.
        self._lines: _Lines = urls if hasattr(urls, "take") else _IteratorLines(urls)  # type: ignore
        self._catalog = catalog
        self._refresh = refresh
        self.batch_id = uuid.uuid4().hex
        self.ended = False

    def take(self, n: int, wait_s: float = 0.0) -> Taken:
        chunk, self.ended = self._lines.take(n, wait_s)
        if not chunk:
            return Taken([])
        decisions = self._catalog.claim([url for _, url in chunk], self._refresh, self.batch_id)
        outcomes = apply_claims(chunk, decisions)
        return Taken([o for o in outcomes if isinstance(o, Claimed)],
                     [o for o in outcomes if isinstance(o, ImportResult)])

    def cancels(self) -> list[tuple[str, Future]]:
        return []

    def withdraw(self, key: str) -> Claimed | None:
        return None

    def drain(self, why: str) -> Taken:
        """The lines not read yet, as `cancelled` (of a stream, only those it has given)."""
        if self._lines.finite:
            chunks = iter(lambda: self._lines.take(1024)[0], [])
        else:
            chunks = iter([self._lines.take(self._lines.READ_AHEAD)[0]])
        self.ended = True
        return Taken([], (ImportResult(url=url, line=line, status="cancelled", error_kind="cancelled",
                                       error=f"{why} before this URL was started")
                          for chunk in chunks for line, url in chunk))

    def close(self) -> None:
        self._catalog.end_batch(self.batch_id)


class Inbox:
    """URLs claimed by the service's requests, waiting for the driver; and cancellations asked for.

    Thread-safe: request handlers put, the driver's thread takes. It never ends by itself: the
    service stops the driver instead (and `wake`s it, should it be waiting here).
    """

    ended = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: deque[Claimed] = deque()
        self._cancels: deque[tuple[str, Future]] = deque()
        self._wake = threading.Event()

    def put(self, items: list[Claimed], cancel: Iterable[str] = ()) -> None:
        """Hand over claimed URLs; `cancel` names those already cancelled while they were being
        claimed (in the same step, so the driver finds them queued, not running)."""
        with self._lock:
            self._items.extend(items)
            self._cancels.extend((key, Future()) for key in cancel)
        self._wake.set()

    def cancel(self, key: str) -> Future:
        """Ask the driver to cancel the import of `key`; the future gets whether it was."""
        done: Future = Future()
        with self._lock:
            self._cancels.append((key, done))
        self._wake.set()
        return done

    def wake(self) -> None:
        self._wake.set()

    def take(self, n: int, wait_s: float = 0.0) -> Taken:
        if wait_s:
            self._wake.clear()  # before looking: a put from now on ends the wait
            with self._lock:
                idle = not self._items and not self._cancels
            if idle:
                self._wake.wait(wait_s)
        with self._lock:
            return Taken([self._items.popleft() for _ in range(min(n, len(self._items)))])

    def cancels(self) -> list[tuple[str, Future]]:
        with self._lock:
            cancels = list(self._cancels)
            self._cancels.clear()
        return cancels

    def withdraw(self, key: str) -> Claimed | None:
        with self._lock:
            for item in self._items:
                if item.key == key:
                    self._items.remove(item)
                    return item
        return None

    def drain(self, why: str) -> Taken:
        with self._lock:
            items = list(self._items)
            self._items.clear()
        return Taken(items)
