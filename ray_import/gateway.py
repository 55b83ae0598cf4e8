"""The fetch gateway: async Ray actors that do all the waiting on sites.

Why not fetch inside the per-recipe task: a task holds a CPU slot and a ~200 MB worker for as
long as it runs, so a site answering in 300 ms (or stalling for 20 s) would keep a core idle.
An async actor waits on thousands of sockets in one process; the CPU-bound task that parses the
page is submitted with the fetch's ObjectRef as its argument, and Ray schedules it only once the
page has arrived. Hosts are sharded over the gateways by a stable hash, so each host's politeness
limits (in flight, interval, Retry-After) hold across the whole cluster, and so does each
origin's robots.txt, read once by the gateway that owns its host (`fetch.robots = "obey"`).
"""

from __future__ import annotations

import zlib
from typing import Any
from urllib.parse import urlsplit

import ray

from scraper.errors import PageError
from scraper.fetch import Fetcher
from scraper.models import FetchedPage, NotModified
from scraper.politeness import host_key
from scraper.robots import robots_url_for
from scraper.settings import FetchSettings

from .results import StepFailure


class _FetchGateway:
    def __init__(self, settings: FetchSettings, keep_body: bool = False) -> None:
        # keep_body: each page's bytes travel with it, for the archive (issue 18).
        self._fetcher = Fetcher(settings, obey_robots=True, keep_body=keep_body)

    async def fetch(self, url: str, etag: str | None = None,
                    last_modified: str | None = None) -> FetchedPage | NotModified | StepFailure:
        """Never raises for a bad page: the failure travels as a value to the parse task.

        With the page's stored validators (a `--refresh`), a 304 answer is `NotModified`. A URL
        its robots.txt disallows fails with kind `robots_disallowed`, never requested.
        """
        try:
            return await self._fetcher.fetch(url, etag=etag, last_modified=last_modified)
        except PageError as exc:
            return StepFailure(kind=exc.kind, stage=exc.stage or "fetch", message=exc.message,
                               attempts=exc.attempts)

    async def read_robots_ahead(self, urls: list[str]) -> int:
        """Start reading the robots.txt of these queued URLs' origins (see RobotsCache.read_ahead)."""
        robots = self._fetcher.robots
        return robots.read_ahead(urls) if robots is not None else 0

    async def stats(self) -> dict[str, dict[str, float]]:
        return self._fetcher.stats()


def cancel_fetch(page_ref: Any) -> None:
    """Stop the gateway's fetch behind `page_ref` (an import was cancelled or timed out).

    Cancelling the parse task that waits on the page does not reach the fetch: without this the
    gateway would go on retrying a slow or busy site for the URL's whole retry budget. On an
    async actor `ray.cancel` cancels the method's asyncio task; a finished fetch is untouched.
    """
    if page_ref is not None:
        ray.cancel(page_ref)


class Gateways:
    """The run's fetch gateways; `for_url` picks the one that owns the URL's host."""

    def __init__(self, settings: FetchSettings, count: int | None = None, *, keep_body: bool = False) -> None:
        actor = ray.remote(num_cpus=0, max_concurrency=max(1000, settings.max_connections * 4),
                           max_restarts=3, max_task_retries=1)(_FetchGateway)
        self._actors = [actor.remote(settings, keep_body) for _ in range(count or settings.gateways)]

    def for_url(self, url: str) -> Any:
        return self._actors[self._index(url)]

    def _index(self, url: str) -> int:
        host = host_key(urlsplit(url).hostname)
        return zlib.crc32(host.encode()) % len(self._actors)

    def read_robots_ahead(self, urls: list[str]) -> None:
        """Have each URL's gateway start reading its origin's robots.txt; answers nothing."""
        by_actor: dict[int, dict[str, str]] = {}
        for url in urls:
            try:
                origin = robots_url_for(url)
            except ValueError:  # a malformed URL: its own fetch reports it
                continue
            by_actor.setdefault(self._index(url), {}).setdefault(origin, url)
        for index, firsts in by_actor.items():  # one URL per robots.txt
            self._actors[index].read_robots_ahead.remote(list(firsts.values()))

    def stats(self) -> dict[str, dict[str, int]]:
        merged: dict[str, dict[str, int]] = {}
        for stats in ray.get([a.stats.remote() for a in self._actors]):
            merged.update(stats)
        return merged

    def close(self) -> None:
        for actor in self._actors:
            ray.kill(actor)
