"""The driver loop of `ray-import run` and `ray-import serve`: one loop, built by composition.

A work source (sources.py) hands it claimed URLs: the lines of a URL file or stream, claimed in
the catalog a chunk at a time, or the service's inbox of URLs its requests claimed. The driver
submits each URL to its fetch gateway and a parse task (tasks.py), at most `max_in_flight` at
once and round-robin over hosts (hostqueue.py), takes task output in completion order, sends
each finished recipe to the catalog to be saved, and cancels tasks that run past
`task.timeout_s`. Listeners hear each state change of a URL and each final result: the run's
report, progress bar, event stream and metrics, or the service's progress records.

The driver alone gives back the claim of every URL that does not end ok (a page failure, a
crash, a timeout, a cancel, a failed save): tasks never see the catalog. On the hot path a
result costs one `ray.wait` over the refs in flight and a few dict operations; a failure adds
one release sent to the catalog without waiting for it. A fetched page's compressed bytes ride
on the save or on that release to the archive (issue 18): no call of their own. `ray-import
reprocess` runs this same loop over pages read from the archive (`reprocess=True`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import ray
from ray.exceptions import RayError, TaskCancelledError

from .archive_index import PageCopy
from .catalog import Catalog, last_line
from .config import ImportConfig
from .errors import CatalogError
from .gateway import Gateways, cancel_fetch
from .hostqueue import HostQueue
from .results import ImportResult
from .sources import Claimed, Taken, WorkSource
from .tasks import Enriched, Failed, NeedsLLM, Started, Step, submit, submit_finish

POLL_S = 0.1  # longest wait for task output: how soon new work, a cancel or a stop is noticed
IDLE_S = 0.5  # longest wait for new work while nothing runs
EXPIRE_EVERY_S = 0.25  # how often running tasks are checked against task.timeout_s


class Listener(Protocol):
    """What the driver tells: `event` for each state change of a URL, `result` for its end."""

    def event(self, item: Claimed, name: str, fields: dict[str, Any]) -> None:
        """`queued` (submitted), `started` (a task began running), `step_started`, `needs_llm`."""

    def result(self, item: Claimed | None, result: ImportResult) -> None:
        """A URL's final result; `item` is None for a line the catalog answered when claimed."""


@dataclass(slots=True)
class _Flight:
    """A URL submitted and not settled: what the driver knows of its current task."""

    item: Claimed
    page_ref: Any = None  # the fetch gateway's answer, until the URL is settled
    started_at: float | None = None  # monotonic: when the current task began running
    started: Started | None = None


class Driver:
    """Imports what `source` gives, telling `listeners`; see the module docstring.

    Args:
        cfg: the resolved config.
        catalog: the output folder's catalog, which claimed the source's URLs.
        source: where claimed URLs come from (sources.py).
        listeners: told of every state change and result, in this order.
        steps: have tasks tell each step as it begins (the service shows the current step).
        reprocess: `ray-import reprocess` (issue 18): pages come from the archive, not the
            network (archive_pages.py), and each save rewrites the URL's recipe in place.
    """

    def __init__(self, cfg: ImportConfig, catalog: Catalog, source: WorkSource,
                 listeners: Sequence[Listener], *, steps: bool = False, reprocess: bool = False) -> None:
        self.cfg = cfg
        self.catalog = catalog
        self.source = source
        self.listeners = list(listeners)
        self.steps = steps
        self.reprocess = reprocess
        if reprocess:
            from .archive_pages import ArchivePages

            self.gateways: Gateways | ArchivePages = ArchivePages(cfg.out)
        else:  # with `archive`, each page's bytes travel with it, to be archived when saved
            self.gateways = Gateways(cfg.fetch, keep_body=cfg.archive)
        self.llm = None
        if cfg.llm.effective_mode != "off":
            from .llm_gateway import start_gateway  # the openai client: only when an LLM is configured

            self.llm = start_gateway(cfg.llm, cfg.out)
        self.cfg_ref = ray.put(cfg)
        self.queue: HostQueue[Claimed] = HostQueue(per_host=cfg.fetch.per_host_concurrency * 2)
        self.lookahead = max(cfg.claim_batch_size, cfg.max_in_flight * 4)
        self.in_flight: dict[Any, _Flight] = {}
        # Catalog saves under way: save ref → (URL, the task's output, when the save was sent).
        self.saving: dict[Any, tuple[_Flight, Enriched, float]] = {}
        self._next_expiry = 0.0
        # The gateways read queued URLs' robots.txt ahead; their cache skips what it has or reads.
        self._robots_ahead = isinstance(self.gateways, Gateways) and cfg.fetch.robots == "obey"

    # -- the loop -----------------------------------------------------------------------------

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Import until the source has ended and every URL is settled, or `should_stop()`.

        A stop leaves work unsettled: `cancel` accounts for it.
        """
        while not should_stop():
            for key, done in self.source.cancels():
                done.set_result(self._cancel_one(key))
            self._top_up()
            while len(self.in_flight) < self.cfg.max_in_flight and (item := self.queue.pop()) is not None:
                self._submit(item)
            if self.in_flight or self.saving:
                self._collect(POLL_S)
                now = time.monotonic()
                if now >= self._next_expiry:
                    self._expire(now)
                    self._next_expiry = now + EXPIRE_EVERY_S
            elif self.queue.size == 0:
                if self.source.ended:
                    return
                self._accept(self.source.take(self.cfg.claim_batch_size, wait_s=IDLE_S))

    def _top_up(self) -> None:
        """Take work from the source, a chunk at a time, until `lookahead` URLs wait."""
        while self.queue.size < self.lookahead and not self.source.ended:
            if not self._accept(self.source.take(self.cfg.claim_batch_size)):
                return

    def _accept(self, taken: Taken) -> bool:
        for item in taken.claimed:
            self.queue.add(item)
        if taken.claimed and self._robots_ahead:
            self._read_robots_ahead(taken.claimed)
        answered = False
        for result in taken.answered:
            self._report(None, result)
            answered = True
        return answered or bool(taken.claimed)

    def _read_robots_ahead(self, claimed: Sequence[Claimed]) -> None:
        """Queued URLs' robots.txt read while earlier pages are fetched, not just before their own."""
        assert isinstance(self.gateways, Gateways)
        self.gateways.read_robots_ahead([item.url for item in claimed])

    def _submit(self, item: Claimed) -> None:
        gateway = self.gateways.for_url(item.url)
        if (item.etag or item.last_modified) and not self.cfg.force:
            # A refresh of a page fetched before: a 304 ends it `unchanged`, nothing parsed.
            page_ref = gateway.fetch.remote(item.url, item.etag, item.last_modified)
        else:
            page_ref = gateway.fetch.remote(item.url)
        flight = _Flight(item, page_ref=page_ref)
        ref = submit(item.url, flight.page_ref, self.cfg_ref, self.cfg, steps=self.steps)
        self.in_flight[ref] = flight
        self._event(flight, "queued", line=item.line)

    def _collect(self, timeout: float) -> None:
        """Take whatever task output or save answer is ready (at most one wait of `timeout`).

        Everything ready is taken in one pass: after the first item, a second wait with no
        timeout collects the rest, so a burst of results costs two waits, not one per result.
        """
        refs = [*self.in_flight, *self.saving]
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        for ref in ready:
            if ref in self.saving:
                self._saved(ref)
            else:
                self._step(ref)

    def _step(self, ref: Any) -> None:
        """The next item a task yields (see tasks.py for the protocol)."""
        flight = self.in_flight[ref]
        url = flight.item.url
        try:
            item = ray.get(next(ref))
        except StopIteration:
            # The generator ended without a result (it should not): account for the URL anyway.
            self._finish(ref, ImportResult(url=url, status="crashed", error_kind="crashed",
                                           error="task ended without a result"))
            return
        except RayError as exc:
            kind = "cancelled" if isinstance(exc, TaskCancelledError) else "crashed"
            self._finish(ref, ImportResult(url=url, status=kind, error_kind=kind, error=last_line(exc)))
            return
        if isinstance(item, Started):
            flight.started_at = time.monotonic()
            flight.started = item
            self._event(flight, "started", node_id=item.node_id, pid=item.pid, at=item.at)
        elif isinstance(item, Step):
            self._event(flight, "step_started", step=item.name, at=item.at)
        elif isinstance(item, NeedsLLM):
            self._event(flight, "needs_llm")
            # The parse task is done; the LLM answers in the gateway, then a new task enriches.
            del self.in_flight[ref]
            flight.started_at = None
            outcome_ref = self.llm.structure.remote(item.text, item.content_sha256)
            new = submit_finish(url, outcome_ref, flight.page_ref, self.cfg_ref, self.cfg, item.seconds,
                                steps=self.steps)
            self.in_flight[new] = flight
        elif isinstance(item, Enriched):
            # The task is done; the catalog allocates the slug and writes the file.
            del self.in_flight[ref]
            self._event(flight, "step_started", step="save")
            save = self.catalog.start_save(flight.item.key, flight.item.token, item.document, page=item.page,
                                           keep_duplicates=self.cfg.keep_duplicates, reprocess=self.reprocess)
            self.saving[save] = (flight, item, time.perf_counter())
        elif isinstance(item, Failed):  # a fetched page that made no recipe: archived all the same
            self._finish(ref, item.result, item.page)
        else:
            self._finish(ref, item)

    def _saved(self, ref: Any) -> None:
        flight, item, sent = self.saving.pop(ref)
        done = {"attempts": item.attempts, "extractor": item.extractor, "finished_at": time.time(),
                "seconds": {**item.seconds, "save": round(time.perf_counter() - sent, 4)}, **item.extra}
        try:
            answer = self.catalog.save_answer(ref)
        except CatalogError as exc:
            result = ImportResult(url=flight.item.url, status="crashed", error_kind="crashed",
                                  error_stage="save", error=str(exc), **done)
        else:
            result = ImportResult(url=flight.item.url, status=answer.status, slug=answer.slug,
                                  error_kind=answer.error_kind, error=answer.error,
                                  error_stage="save" if answer.status == "failed" else None,
                                  changed=None if answer.changed is None else list(answer.changed), **done)
        self._settle(flight, result)

    def _expire(self, now: float) -> None:
        """Cancel tasks that have been running (not queued) for longer than task.timeout_s."""
        limit = self.cfg.task.timeout_s
        for ref, flight in list(self.in_flight.items()):
            if flight.started_at is not None and now - flight.started_at > limit:
                ray.cancel(ref, force=True)
                self._finish(ref, ImportResult(
                    url=flight.item.url, status="timeout", error_kind="timeout", error_stage="task",
                    error=f"task ran longer than task.timeout_s={limit:g}s; cancelled"))

    # -- outcomes -----------------------------------------------------------------------------

    def _finish(self, ref: Any, result: ImportResult, page: PageCopy | None = None) -> None:
        self._settle(self.in_flight.pop(ref), result, page)

    def _settle(self, flight: _Flight, result: ImportResult, page: PageCopy | None = None) -> None:
        """A submitted URL's end: its host has room again, its claim is given back unless a save
        ended it (`unchanged` saved nothing: its file stays as it was), and the listeners hear
        where and when it ran."""
        flight.page_ref = None
        item = flight.item
        self.queue.done(item)
        if not result.ok or result.status == "unchanged":
            # A failed page's bytes ride on the release, so archiving them costs no round trip.
            pages = [(item.key, page, result.error_kind or result.status)] if page is not None else []
            self.catalog.release([(item.key, item.token)], pages)
        where: dict[str, Any] = {"line": item.line, "finished_at": result.finished_at or time.time()}
        if flight.started is not None:
            where.update(node_id=flight.started.node_id, pid=flight.started.pid, started_at=flight.started.at)
        self._report(item, result.model_copy(update=where))

    def _give_up(self, items: list[Claimed], why: str) -> None:
        """URLs never submitted, or no longer running, end `cancelled`; their claims go back."""
        try:
            self.catalog.release([(item.key, item.token) for item in items])
        except Exception:  # noqa: BLE001 - Ray may be gone already (Ctrl-C stops its processes)
            pass
        for item in items:
            self._report(item, _cancelled(item, why))

    def _event(self, flight: _Flight, name: str, **fields: Any) -> None:
        for listener in self.listeners:
            listener.event(flight.item, name, fields)

    def _report(self, item: Claimed | None, result: ImportResult) -> None:
        for listener in self.listeners:
            listener.result(item, result)

    # -- cancelling and closing ---------------------------------------------------------------

    def _cancel_one(self, key: str) -> bool:
        """Cancel the queued or running import of `key`; False when it is not (or no longer) ours.

        An import whose recipe is being saved is past cancelling: it finishes as imported.
        """
        item = self.source.withdraw(key) or self.queue.remove(lambda waiting: waiting.key == key)
        if item is not None:
            self._give_up([item], "cancelled before it started")
            return True
        for ref, flight in self.in_flight.items():
            if flight.item.key == key:
                cancel_fetch(flight.page_ref)
                ray.cancel(ref, force=True)
                self._finish(ref, _cancelled(flight.item, "cancelled while running"))
                return True
        return False

    def cancel(self, why: str = "run interrupted") -> None:
        """Ctrl-C or a stop: cancel what runs, account for every URL not yet done, free the claims."""
        if self.saving:
            # Saves are quick and already in the catalog's hands: let them land and report them.
            ray.wait(list(self.saving), num_returns=len(self.saving), timeout=10)
            for ref in list(self.saving):
                self._saved(ref)
        for ref, flight in self.in_flight.items():
            cancel_fetch(flight.page_ref)  # the gateway stops retrying its site (issue 13, item 6)
            ray.cancel(ref, force=True)
        left = self.source.drain(why)
        unfinished = [flight.item for flight in self.in_flight.values()] + self.queue.drain() + left.claimed
        self.in_flight.clear()
        self._give_up(unfinished, why)
        for result in left.answered:
            self._report(None, result)

    def close(self) -> dict[str, dict[str, int]]:
        """Stop the gateways; returns the per-host fetch statistics (and the LLM gateway's)."""
        try:
            stats = self.gateways.stats()
            self.gateways.close()
            if self.llm is not None:
                stats["llm"] = ray.get(self.llm.stats.remote())
                ray.kill(self.llm)
        except Exception:  # noqa: BLE001 - Ray may already be shutting down on Ctrl-C
            stats = {}
        return stats


def _cancelled(item: Claimed, why: str) -> ImportResult:
    return ImportResult(url=item.url, line=item.line, status="cancelled", error_kind="cancelled", error=why)
