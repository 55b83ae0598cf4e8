"""fetch: URL → FetchedPage, over httpx (asyncio).

This is the only module that knows httpx: its exceptions are translated here, once, into the typed
errors of `scraper.errors` (transient ones are retried by `retry.acall_with_retries`). Redirects
are followed hop by hop, so every hop is checked (scheme, count) and counted against its host's
politeness limits. Proxies come from `fetch.proxy`, else `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`.

With `obey_robots` (the fetch gateway's), each hop's URL is first checked against its origin's
robots.txt (robots.py), read once through this same fetcher, and the origin's Crawl-delay raises
its host's interval. `fetch_file` reads what is not a page (robots.txt, sitemaps), bounded.

`fetch.total_timeout_s` is the site's time, not the queue's: waiting for the host's turn (its
interval, a Retry-After pause another page of it got) or for a free connection does not count.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .charset import decode_html
from .errors import (
    BadSitemap,
    ConnectFailed,
    FetchTimeout,
    HTTPRejected,
    InvalidURL,
    NotHTML,
    ServerBusy,
    TooLarge,
)
from .models import FetchedPage, NotModified
from .origin_pools import transports
from .politeness import HostLimiter
from .private_networks import exempt, peer_guard, refuse_private_host
from .private_networks import is_public as _is_public  # noqa: F401 - tests import it from here
from .retry import RetryPolicy, acall_with_retries
from .robots import ROBOTS_MAX_BYTES, RobotsCache, crawl_interval, product_token
from .settings import FetchSettings
from .url_values import parse_retry_after, validate_url

HTML_TYPES = ("text/html", "application/xhtml+xml")
BUSY_STATUSES = {408, 425, 429}


@dataclass(frozen=True)
class FetchedFile:
    """A file as the server sent it (after Content-Encoding, before any gzip of its own)."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    truncated: bool = False  # the body is the first `max_bytes` only


@dataclass(frozen=True)
class _Bound:
    """How `fetch_file` reads, where a page fetch has its own rules (HTML only, max_bytes)."""

    max_bytes: int
    truncate: bool  # past max_bytes: keep the first max_bytes (robots.txt), or fail (TooLarge)
    follow: Callable[[str], bool] | None = None  # a redirect target it refuses is not requested
    robots_txt: bool = False  # robots.txt itself: not checked against robots.txt


class Fetcher:
    """Fetches pages over one pooled `httpx.AsyncClient`, politely and with retries.

    Waiting (on a slow site, a backoff, a host's Retry-After) is an `await`, so thousands of
    fetches wait at the cost of a few kilobytes each instead of a worker process each. The fetch
    gateway actor holds one Fetcher; `fetch()` below wraps one for synchronous callers.

    With `obey_robots` and `settings.robots == "obey"`, `robots` is the fetcher's RobotsCache:
    every hop of every fetch is checked against it first (see the module docstring).
    """

    def __init__(self, settings: FetchSettings | None = None, limiter: HostLimiter | None = None,
                 *, keep_body: bool = False, obey_robots: bool = False) -> None:
        self.settings = settings or FetchSettings()
        # Return each page's bytes too (FetchedPage.body), for the archive (issue 18).
        self.keep_body = keep_body
        self.limiter = limiter or HostLimiter(
            self.settings.per_host_concurrency, self.settings.per_host_interval_s
        )
        self._policy = RetryPolicy(
            self.settings.max_attempts,
            self.settings.backoff_base_s,
            self.settings.backoff_max_s,
            self.settings.max_retry_after_s,
        )
        self._client: httpx.AsyncClient | None = None
        self._connections: asyncio.Semaphore | None = None
        self.robots: RobotsCache | None = None
        if obey_robots and self.settings.robots == "obey":
            self.robots = RobotsCache(self.fetch_robots, token=product_token(self.settings.user_agent),
                                      expiry_s=self.settings.robots_expiry_s)

    def _ensure_client(self) -> httpx.AsyncClient:
        if self._client is None:
            s = self.settings
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(
                    connect=s.connect_timeout_s, read=s.read_timeout_s,
                    write=s.read_timeout_s, pool=None,
                ),
                # Limits of httpx's own pools, used only if origin_pools falls back to them.
                limits=httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_connections),
                headers={
                    "User-Agent": s.user_agent,
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                    "Accept-Language": "en,fr;q=0.8,*;q=0.5",
                },
                trust_env=s.proxy is None,
                # A small pool per origin, through the proxy if any (origin_pools.py, issue 15).
                **transports(per_origin=httpx.Limits(max_connections=s.per_host_concurrency,
                                                     max_keepalive_connections=s.per_host_concurrency),
                             max_origins=s.max_connections, proxy=s.proxy, trust_env=s.proxy is None),
            )
            self._connections = asyncio.Semaphore(s.max_connections)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, *, etag: str | None = None,
                    last_modified: str | None = None) -> FetchedPage | NotModified:
        """Download one page, retrying transient failures with capped, jittered backoff.

        `etag` / `last_modified` (the page's validators from its last import) make the request
        conditional (If-None-Match / If-Modified-Since): a 304 answer is `NotModified`, and only
        then; without them the answer is always a FetchedPage.

        Raises:
            TransientError: still failing after `settings.max_attempts` attempts.
            PermanentError: a bad URL, a 4xx, not HTML, or over `settings.max_bytes`;
                RobotsDisallowed when robots.txt is obeyed and forbids a hop.
        """
        url = validate_url(url)
        started = time.perf_counter()
        conditional = {name: value for name, value in (("If-None-Match", etag),
                                                       ("If-Modified-Since", last_modified)) if value}
        (final_url, status, content_type, body, charset, validators), attempts = await acall_with_retries(
            lambda _attempt: self._attempt(url, conditional=conditional), self._policy
        )
        if status == 304:
            return NotModified(url=url, final_url=final_url, etag=validators[0] or etag,
                               last_modified=validators[1] or last_modified, attempts=attempts,
                               seconds=round(time.perf_counter() - started, 4))
        html, encoding = decode_html(body, charset)
        return FetchedPage(
            url=url,
            final_url=final_url,
            status=status,
            content_type=content_type,
            encoding=encoding,
            html=html,
            content_sha256=hashlib.sha256(body).hexdigest(),
            fetched_at=datetime.now(UTC),
            attempts=attempts,
            seconds=round(time.perf_counter() - started, 4),
            etag=validators[0],
            last_modified=validators[1],
            body=body if self.keep_body else None,
        )

    async def fetch_file(self, url: str, *, max_bytes: int, truncate: bool = False,
                         follow: Callable[[str], bool] | None = None, robots_txt: bool = False) -> FetchedFile:
        """Download `url`, of any content type, politely and with retries; return its bytes.

        Args:
            max_bytes: the most bytes read, counted after Content-Encoding is undone (a gzip
                bomb stops there).
            truncate: past `max_bytes`, keep the first `max_bytes` (True) or fail (False).
            follow: a redirect target it refuses is not requested (a sitemap that redirects
                to another host); robots.txt follows redirects anywhere (RFC 9309 §2.3.1.2).
            robots_txt: the file is a robots.txt, which no robots.txt governs.

        Raises:
            TransientError: still failing after `settings.max_attempts` attempts (5xx, 429,
                timeouts, connection failures).
            PermanentError: a bad URL, a 4xx (`HTTPRejected`, with `status`), too many
                redirects (`HTTPRejected`, status 310), `TooLarge` without `truncate`,
                `BadSitemap` for a redirect `follow` refuses, RobotsDisallowed.
        """
        url = validate_url(url)
        bound = _Bound(max_bytes, truncate, follow, robots_txt)
        (final_url, status, content_type, body, _charset, _validators), _attempts = await acall_with_retries(
            lambda _attempt: self._attempt(url, bound), self._policy
        )
        return FetchedFile(url=url, final_url=final_url, status=status, content_type=content_type,
                           body=body[:max_bytes], truncated=len(body) > max_bytes)

    async def fetch_robots(self, url: str) -> FetchedFile:
        """A robots.txt: its first ROBOTS_MAX_BYTES, the rest ignored (RFC 9309 §2.5)."""
        return await self.fetch_file(url, max_bytes=ROBOTS_MAX_BYTES, truncate=True, robots_txt=True)

    async def _obey_robots(self, url: str, current: str) -> None:
        """Raise the refusal when `current` (a hop of `url`) is not allowed; pace its host as its
        robots.txt asks (Crawl-delay raises the interval, never lowers it, up to the cap)."""
        assert self.robots is not None
        robots = await self.robots.get(current)
        if robots.crawl_delay is not None:
            s = self.settings
            self.limiter.slow(urlsplit(current).hostname or "", robots.crawl_delay,
                              crawl_interval(s.per_host_interval_s, robots.crawl_delay, s.max_crawl_delay_s))
        if not robots.allowed(current):
            raise robots.refusal(url, current)

    async def _attempt(self, url: str, bound: _Bound | None = None,
                       conditional: dict[str, str] | None = None) -> FetchedPageParts:
        """One attempt: the redirect chain, hop by hop, each hop a polite request."""
        client = self._ensure_client()
        assert self._connections is not None
        budget = _Budget(self.settings.total_timeout_s)
        try:
            current = url
            for _hop in range(self.settings.max_redirects + 1):
                if self.settings.block_private_networks:
                    async with budget.spend():
                        await refuse_private_host(url, current, self.settings.allow_private_hosts)
                if self.robots is not None and not (bound and bound.robots_txt):
                    # Before the host's turn: reading robots.txt takes a turn of its own.
                    await self._obey_robots(url, current)
                # The host's turn and a free connection first: the budget is the site's time.
                async with self.limiter.slot(urlsplit(current).hostname or ""), self._connections:
                    async with budget.spend():
                        outcome = await self._hop(client, url, current, bound, conditional)
                if isinstance(outcome, str):
                    current = outcome
                    continue
                return outcome
            raise HTTPRejected(
                status=310, url=url, detail=f"more than {self.settings.max_redirects} redirects"
            )
        except TimeoutError as exc:
            raise FetchTimeout(
                f"page took longer than {self.settings.total_timeout_s:g}s in total", url=url, stage="fetch"
            ) from exc
        except httpx.UnsupportedProtocol as exc:
            raise InvalidURL(f"unsupported URL or redirect: {exc}", url=url, stage="fetch") from exc
        except httpx.InvalidURL as exc:
            raise InvalidURL(f"malformed URL: {exc}", url=url, stage="fetch") from exc
        except httpx.TimeoutException as exc:
            raise FetchTimeout(f"{type(exc).__name__}: no answer in time", url=url, stage="fetch") from exc
        except httpx.DecodingError as exc:
            raise HTTPRejected(status=200, url=url, detail=f"undecodable body: {exc}") from exc
        except httpx.TransportError as exc:
            raise ConnectFailed(
                f"{type(exc).__name__}: {exc or 'connection failed'}", url=url, stage="fetch"
            ) from exc

    async def _hop(self, client: httpx.AsyncClient, url: str, current: str, bound: _Bound | None = None,
                   conditional: dict[str, str] | None = None) -> str | FetchedPageParts:
        """One request: the URL a redirect points to, or the page (or file)."""
        host = urlsplit(current).hostname or ""
        request = client.build_request("GET", current, headers=conditional or None)
        if self.settings.block_private_networks and not exempt(host, self.settings.allow_private_hosts):
            # Checks the address the connection reached (DNS rebinding); see private_networks.
            request.extensions["trace"] = peer_guard(url, host, request.url.raw_host.decode("ascii"))
        response = await client.send(request, stream=True)
        try:
            if response.status_code == 304 and conditional:
                # Not modified since the validators sent: no body (RFC 9110 §15.4.5).
                return current, 304, "", b"", None, (response.headers.get("ETag"),
                                                      response.headers.get("Last-Modified"))
            if response.is_redirect:
                location = response.headers.get("Location", "").strip()
                if not location:  # urljoin would make it a redirect to itself, 5 times over
                    raise HTTPRejected(status=response.status_code, url=url,
                                       detail=f"redirect {response.status_code} without a Location header")
                target = urljoin(current, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    raise InvalidURL(f"redirected to a non-http(s) URL: {target[:200]}", url=url, stage="fetch")
                if bound is not None and bound.follow is not None and not bound.follow(target):
                    raise BadSitemap(f"{url}: redirected to {target[:200]}, another host: not followed",
                                     url=url, stage="discover")
                return target
            return await self._read(url, current, response, bound)
        except ServerBusy as exc:
            # Over the cap, the URL fails at once (see _read) and the host is not held back.
            if exc.retry_after and exc.retry_after <= self.settings.max_retry_after_s:
                self.limiter.pause(host, exc.retry_after)
            raise
        finally:
            await response.aclose()

    async def _read(self, url: str, final_url: str, response: httpx.Response,
                    bound: _Bound | None = None) -> FetchedPageParts:
        status = response.status_code
        if status in BUSY_STATUSES or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            cap = self.settings.max_retry_after_s
            detail = ""
            if retry_after is not None and retry_after > cap:
                # The site says "not now" for longer than we wait: `retry_delay` gives up at once.
                detail = (f"server answered HTTP {status} with Retry-After {_seconds(retry_after)}s, "
                          f"more than fetch.max_retry_after_s={cap:g}s: not retried")
            raise ServerBusy(status=status, url=url, retry_after=retry_after, detail=detail)
        if status >= 300:
            raise HTTPRejected(status=status, url=url)
        content_type = response.headers.get("Content-Type", "")
        mime = content_type.split(";")[0].strip().lower()
        if bound is None and mime and mime not in HTML_TYPES:
            raise NotHTML(content_type=content_type, url=url)
        limit = self.settings.max_bytes if bound is None else bound.max_bytes
        declared = response.headers.get("Content-Length", "")
        if (not (bound and bound.truncate) and declared.isdigit() and int(declared) > limit
                and "content-encoding" not in response.headers):
            raise TooLarge(limit=limit, url=url)
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes yields decompressed bytes, so a gzip bomb stops at the limit.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            chunks.append(chunk)
            if size > limit:
                if bound and bound.truncate:
                    break  # fetch_file keeps the first `limit` bytes and says it cut them
                raise TooLarge(limit=limit, url=url)
        body = b"".join(chunks)
        if bound is None and not mime and body.lstrip()[:1] != b"<":
            raise NotHTML(content_type="", url=url)
        validators = (response.headers.get("ETag"), response.headers.get("Last-Modified"))
        return final_url, status, content_type, body, response.charset_encoding, validators

    def stats(self) -> dict[str, dict[str, float]]:
        """Per host: requests, in flight, and for a host its Crawl-delay slowed, by how much."""
        return self.limiter.stats()


FetchedPageParts = tuple[str, int, str, bytes, "str | None", "tuple[str | None, str | None]"]


def _seconds(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:g}"


class _Budget:
    """What is left of one attempt's `fetch.total_timeout_s`; only `spend()` blocks use it."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    @asynccontextmanager
    async def spend(self) -> AsyncIterator[None]:
        """Raises TimeoutError when the block outlasts what is left."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            async with asyncio.timeout(max(self.left, 0.0)):
                yield
        finally:
            self.left -= loop.time() - began


def fetch(url: str, settings: FetchSettings | None = None) -> FetchedPage:
    """Synchronous one-off fetch (scripts, tests); batch imports go through the fetch gateway."""

    async def run() -> FetchedPage:
        fetcher = Fetcher(settings)
        try:
            return await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    return asyncio.run(run())
