"""Per-host politeness for asyncio fetchers: a cap on requests in flight per host, a minimum
interval between request starts (raised for a host whose robots.txt asks for a Crawl-delay),
and Retry-After pauses that hold back the whole host.

Pure asyncio, no Ray: the fetch gateway actor owns one HostLimiter, and because hosts are sharded
to gateways by a stable hash, each host's limits hold cluster-wide.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


def host_key(hostname: str | None) -> str:
    """The host as one site's name: lower case, no trailing dot, no leading `www.` labels.

    The one definition of `www.` stripping: politeness limits, catalog keys (ray_import/urls.py)
    and a recipe's `host` field all go through it, so they agree on what "one host" is.
    """
    host = (hostname or "").lower().rstrip(".")
    while host.startswith("www."):
        host = host[4:]
    return host


@dataclass
class _Host:
    gate: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    paused_until: float = 0.0
    in_flight: int = 0
    max_in_flight: int = 0
    requests: int = 0
    last_start: float | None = None
    interval_s: float | None = None  # this host's own, when its Crawl-delay raised it
    crawl_delay: float | None = None  # what its robots.txt asked for


class HostLimiter:
    """Admit requests to each host at most `concurrency` at a time, `interval_s` apart."""

    def __init__(self, concurrency: int, interval_s: float) -> None:
        self.concurrency = concurrency
        self.interval_s = interval_s
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(asyncio.Semaphore(self.concurrency))
        return state

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        state = self._host(host_key(host))
        loop = asyncio.get_running_loop()
        async with state.gate:
            while True:
                async with state.lock:
                    now = loop.time()
                    start = max(now, state.next_start, state.paused_until)
                    if start <= now:
                        state.last_start = now
                        state.next_start = now + (state.interval_s or self.interval_s)
                        break
                # Sleep outside the lock, then re-check: a Retry-After may have pushed the start.
                await asyncio.sleep(start - now)
            state.in_flight += 1
            state.requests += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                yield
            finally:
                state.in_flight -= 1

    def pause(self, host: str, seconds: float) -> None:
        """Hold every request to `host` for `seconds` (the host's Retry-After)."""
        state = self._host(host_key(host))
        until = asyncio.get_running_loop().time() + max(seconds, 0.0)
        state.paused_until = max(state.paused_until, until)

    def slow(self, host: str, crawl_delay: float, interval_s: float) -> None:
        """Space `host`'s request starts `interval_s` apart from now on (its robots.txt asked for
        `crawl_delay`; the caller capped it), if that is slower than its interval: never faster."""
        state = self._host(host_key(host))
        state.crawl_delay = crawl_delay
        if interval_s <= (state.interval_s or self.interval_s):
            return
        state.interval_s = interval_s
        if state.last_start is not None:  # the next start waits the new interval in full
            state.next_start = max(state.next_start, state.last_start + interval_s)

    def stats(self) -> dict[str, dict[str, float]]:
        """Per host: requests in flight now, at most, and in all; for a host slowed by its
        Crawl-delay also `interval_s` (from), `crawl_interval_s` (to) and `crawl_delay_s` (asked)."""
        out: dict[str, dict[str, float]] = {}
        for host, s in self._hosts.items():
            out[host] = {"in_flight": s.in_flight, "max_in_flight": s.max_in_flight, "requests": s.requests}
            if s.interval_s is not None and s.crawl_delay is not None:
                out[host].update(interval_s=self.interval_s, crawl_interval_s=s.interval_s,
                                 crawl_delay_s=s.crawl_delay)
        return out
