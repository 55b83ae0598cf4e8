"""robots.txt per RFC 9309: parse and match, what a failed fetch means, a cache per origin.

Parsing and matching are Protego's (Scrapy's parser: longest-match precedence with `allow`
winning ties, `*` and `$` patterns, the groups of one product token merged, Crawl-delay and
Sitemap lines). This module decides what ray-import matches as (`product_token`), what each
fetch outcome means (`robots_from_fetch`), how long a verdict lasts (`RobotsCache`) and how
Crawl-delay feeds the politeness layer (`crawl_interval`). It does no network itself: the cache
is handed a fetch function (`fetch.Fetcher.fetch_robots` in practice), so robots.txt goes
through the same per-host politeness, retries and private-network guard as the pages.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from protego import Protego

from .errors import (
    BlockedAddress,
    ConnectFailed,
    FetchTimeout,
    HTTPRejected,
    PageError,
    RobotsDisallowed,
    TransientError,
)

if TYPE_CHECKING:
    from .fetch import FetchedFile

# RFC 9309 §2.5: a crawler must parse at least 500 KiB; what is past the limit is ignored.
ROBOTS_MAX_BYTES = 500 * 1024
# RFC 9309 §2.4: a cached robots.txt should not be used for more than 24 hours.
DEFAULT_EXPIRY_S = 24 * 3600.0
# "Disallow for now" (an unreachable robots.txt) is asked again after this long, not a day.
UNREACHABLE_RETRY_S = 600.0
# Origins a cache keeps (the longest-fetched go first): a long-lived `serve` sees new sites
# for days, and a parsed robots.txt can be a large object.
MAX_CACHED_ORIGINS = 10_000
# A Crawl-delay over this is taken as this: one site must not park a batch for hours.
DEFAULT_MAX_CRAWL_DELAY_S = 30.0
FALLBACK_TOKEN = "ray-import"
# A robots.txt that failed this way failed for the whole host: its pages fail with the same
# error (a mistyped host is `connect`, not `robots_disallowed`), and are not fetched either.
_HOST_FAILURES = (ConnectFailed, FetchTimeout, BlockedAddress)

# Products of a browser-like User-Agent that name the browser engine, not the crawler.
_BROWSER_PRODUCTS = {
    "mozilla", "applewebkit", "khtml", "gecko", "chrome", "chromium", "safari", "firefox",
    "edg", "edge", "version", "mobile", "opr", "opera", "trident",
}
_PRODUCT = re.compile(r"(?:^|[\s(;,])([^\s/();,]+)/")
_TOKEN = re.compile(r"[A-Za-z_-]+")  # RFC 9309 §2.2.1: the product token's characters

Verdict = Literal["rules", "allow_all", "disallow_all"]


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the crawler's product in `user_agent`.

    Ours is browser-like with `ray-import/<version>` last; matching the whole string would let a
    `User-agent: Mozilla` group apply to us. The last product that is not a browser engine
    wins, and a User-Agent without one matches as `ray-import`.

    Example:
        >>> product_token("Mozilla/5.0 (X11) Chrome/126.0 Safari/537.36 ray-import/2.0")
        'ray-import'
    """
    names = [n for n in _PRODUCT.findall(user_agent or "")
             if _TOKEN.fullmatch(n) and n.lower() not in _BROWSER_PRODUCTS]
    if not names and _TOKEN.fullmatch((user_agent or "").strip()):
        return user_agent.strip()
    return names[-1] if names else FALLBACK_TOKEN


def robots_url_for(url: str) -> str:
    """The robots.txt that governs `url`: one per scheme, host and port (RFC 9309 §2.3)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme.lower(), netloc, "/robots.txt", "", ""))


def crawl_interval(base_s: float, crawl_delay: float | None, cap_s: float) -> float:
    """The least time between two request starts to a host: `per_host_interval_s` raised to the
    site's Crawl-delay, capped at `cap_s`; never lower than `base_s`."""
    if crawl_delay is None:
        return base_s
    return max(base_s, min(crawl_delay, cap_s))


@dataclass(frozen=True)
class Robots:
    """One origin's robots.txt as its fetch left it: rules, or "allow all", or "disallow all"."""

    url: str
    verdict: Verdict
    reason: str  # one line, for reports: what was fetched and what it means
    token: str = FALLBACK_TOKEN
    parser: Protego | None = field(default=None, repr=False, compare=False)
    truncated: bool = False
    cause: PageError | None = field(default=None, repr=False, compare=False)  # disallow_all's

    def allowed(self, url: str) -> bool:
        if self.verdict == "disallow_all":
            return False
        if self.verdict == "allow_all" or self.parser is None:
            return True
        return self.parser.can_fetch(url, self.token)

    def refusal(self, url: str, hop: str | None = None, *, stage: str = "fetch") -> PageError:
        """The error a URL this robots.txt does not allow fails with (`hop`: the redirect target
        that was refused, when it is not `url` itself).

        RobotsDisallowed names this robots.txt and why; when robots.txt could not be read because
        the host cannot be (no DNS answer, connection refused, timeout, a blocked address), the
        page fails with that same kind of error instead, naming the robots.txt it was reading.
        """
        cause = self.cause
        if self.verdict == "disallow_all" and isinstance(cause, _HOST_FAILURES):
            error = type(cause)(f"{cause.message} (reading {self.url})", url=url, stage=stage)
            error.attempts = cause.attempts
            return error
        detail = (self.reason if self.verdict == "disallow_all"
                  else f"{self.url} disallows this path for {self.token}")
        if hop is not None and hop != url:
            detail = f"redirected to {hop[:200]}: {detail}"
        return RobotsDisallowed(url=url, robots_url=self.url, detail=detail, stage=stage)

    def check(self, url: str, *, stage: str = "fetch") -> None:
        """Raises `refusal(url)` unless `url` is allowed."""
        if not self.allowed(url):
            raise self.refusal(url, stage=stage)

    @property
    def crawl_delay(self) -> float | None:
        """Seconds between requests the site asks of us (our group's, else `*`'s), if any."""
        if self.parser is None:
            return None
        return self.parser.crawl_delay(self.token)

    @property
    def sitemaps(self) -> tuple[str, ...]:
        """The Sitemap lines, made absolute against the robots.txt URL, in file order."""
        if self.parser is None:
            return ()
        return tuple(urljoin(self.url, s.strip()) for s in self.parser.sitemaps if s.strip())


def parse_robots(body: bytes, *, url: str, token: str = FALLBACK_TOKEN,
                 truncated: bool = False) -> Robots:
    """A fetched robots.txt (its first ROBOTS_MAX_BYTES) as rules for `token`."""
    if truncated or len(body) > ROBOTS_MAX_BYTES:
        # Past the limit is ignored (RFC 9309 §2.5); a cut last line is ignored with it, since
        # "Disallow: /recipes" cut to "Disallow: /rec" would be a different rule.
        body = body[:ROBOTS_MAX_BYTES]
        body = body[: body.rfind(b"\n") + 1]
        truncated = True
    text = body.decode("utf-8", errors="replace").removeprefix("\ufeff")
    parser = Protego.parse(text)
    cut = f", only its first {ROBOTS_MAX_BYTES // 1024} KiB read" if truncated else ""
    return Robots(url=url, verdict="rules", reason=f"{url} read{cut}", token=token,
                  parser=parser, truncated=truncated)


def robots_from_fetch(url: str, outcome: FetchedFile | PageError, *,
                      token: str = FALLBACK_TOKEN) -> Robots:
    """What a robots.txt fetch means (RFC 9309 §2.3.1).

    A 2xx is parsed; a 4xx, or more redirects than we follow, is "unavailable": everything is
    allowed. A 5xx, 429, timeout or connection failure (after the fetcher's retries) is
    "unreachable": everything is disallowed for now. So is anything else that stopped us reading
    it (a blocked address, an undecodable body): we could not learn the rules, so we assume none
    are granted.
    """
    if not isinstance(outcome, PageError):
        return parse_robots(outcome.body, url=url, token=token, truncated=outcome.truncated)
    if isinstance(outcome, HTTPRejected) and 300 <= outcome.status < 500:
        what = "too many redirects" if outcome.status == 310 else f"HTTP {outcome.status}"
        return Robots(url=url, verdict="allow_all", token=token,
                      reason=f"{url} is unavailable ({what}): every path allowed")
    why = outcome.message
    if not isinstance(outcome, TransientError):
        why = f"{outcome.kind}: {why}"
    return Robots(url=url, verdict="disallow_all", token=token, cause=outcome,
                  reason=f"{url} could not be read ({why}): every path disallowed for now")


class RobotsCache:
    """robots.txt per origin, fetched once and kept until it expires.

    Concurrent lookups for one origin share one fetch, which runs in a task of its own so that a
    cancelled caller (a cancelled import) does not cancel it for the others. A refresh that finds
    the file unreachable keeps the last good copy (RFC 9309 §2.4), asking again sooner.

    Example (inside a coroutine; a Fetcher made with `obey_robots=True` holds one as `.robots`):
        fetcher = Fetcher(settings)
        cache = RobotsCache(fetcher.fetch_robots, token=product_token(settings.user_agent))
        robots = await cache.check(url)  # raises RobotsDisallowed; robots.crawl_delay for politeness
    """

    def __init__(self, fetch: Callable[[str], Awaitable[FetchedFile]], *, token: str = FALLBACK_TOKEN,
                 expiry_s: float = DEFAULT_EXPIRY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.expiry_s = expiry_s
        self._fetch = fetch
        self._clock = clock
        self._entries: dict[str, tuple[Robots, float]] = {}
        self._pending: dict[str, asyncio.Task[Robots]] = {}
        self.fetches = 0

    async def get(self, url: str) -> Robots:
        """The robots.txt rules that govern `url`, fetching them when absent or expired."""
        key = robots_url_for(url)
        entry = self._entries.get(key)
        if entry is not None and entry[1] > self._clock():
            return entry[0]
        return await asyncio.shield(self._reading(key, entry))

    def _reading(self, key: str, entry: tuple[Robots, float] | None) -> asyncio.Task[Robots]:
        """The read of `key` under way, started now if none is: one request per origin at a time."""
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(self._refresh(key, entry[0] if entry else None))
            self._pending[key] = task
            task.add_done_callback(lambda _done: self._pending.pop(key, None))
        return task

    def read_ahead(self, urls: Iterable[str]) -> int:
        """Start reading, in the background, the robots.txt of each URL's origin that is neither
        cached nor being read; the number started. Call it inside the running loop.

        Why: a page queued behind others then finds its rules read, and its host's interval since
        that request already passed, when its turn comes, instead of paying both in a row (one
        site latency plus one interval per host, issue 15). The reads are the same requests
        `get` would make, in the host's politeness turns; errors end up in the rules as in `get`.
        """
        started = 0
        now = self._clock()
        for url in urls:
            try:
                key = robots_url_for(url)
            except ValueError:  # a malformed URL: its own fetch reports it
                continue
            entry = self._entries.get(key)
            if key in self._pending or (entry is not None and entry[1] > now):
                continue
            self._reading(key, entry).add_done_callback(_retrieved)
            started += 1
        return started

    async def check(self, url: str, *, stage: str = "fetch") -> Robots:
        """`get(url)`, raising RobotsDisallowed when `url` is not allowed."""
        robots = await self.get(url)
        robots.check(url, stage=stage)
        return robots

    def known(self) -> dict[str, Robots]:
        """Every robots.txt read so far, by URL (for the report: Crawl-delays, verdicts)."""
        return {key: robots for key, (robots, _) in self._entries.items()}

    async def _refresh(self, key: str, previous: Robots | None) -> Robots:
        self.fetches += 1
        try:
            outcome: FetchedFile | PageError = await self._fetch(key)
        except PageError as exc:
            outcome = exc
        robots = robots_from_fetch(key, outcome, token=self.token)
        ttl = self.expiry_s
        if robots.verdict == "disallow_all":
            ttl = min(self.expiry_s, UNREACHABLE_RETRY_S)
            if previous is not None and previous.verdict != "disallow_all":
                robots = previous
        self._entries.pop(key, None)  # re-inserted last: the dict's order is the reading order
        self._entries[key] = (robots, self._clock() + ttl)
        while len(self._entries) > MAX_CACHED_ORIGINS:
            del self._entries[next(iter(self._entries))]
        return robots


def _retrieved(read: asyncio.Future[Robots]) -> None:
    """A read nobody awaits yet: its error is retrieved (the rules hold the outcome, see `get`)."""
    if not read.cancelled():
        read.exception()
