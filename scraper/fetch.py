"""fetch: URL → FetchedPage, over httpx (asyncio).

This is the only module that knows httpx: its exceptions are translated here, once, into the typed
errors of `scraper.errors` (transient ones are retried by `retry.acall_with_retries`). Redirects
are followed hop by hop, so every hop is checked (scheme, count) and counted against its host's
politeness limits. Proxies come from `fetch.proxy`, else `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`.

`fetch.total_timeout_s` is the site's time, not the queue's: waiting for the host's turn (its
interval, a Retry-After pause another page of it got) or for a free connection does not count.
"""

from __future__ import annotations

import asyncio
import codecs
import email.utils
import hashlib
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import (
    ConnectFailed,
    FetchTimeout,
    HTTPRejected,
    InvalidURL,
    NotHTML,
    ServerBusy,
    TooLarge,
)
from .models import FetchedPage
from .politeness import HostLimiter
from .private_networks import exempt, peer_guard, refuse_private_host
from .private_networks import is_public as _is_public  # noqa: F401 - tests import it from here
from .retry import RetryPolicy, acall_with_retries
from .settings import FetchSettings

HTML_TYPES = ("text/html", "application/xhtml+xml")
BUSY_STATUSES = {408, 425, 429}
MAX_URL_LENGTH = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def validate_url(url: str) -> str:
    """Reject what is not an absolute http(s) URL, before any network use."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"URL is longer than {MAX_URL_LENGTH} characters", url=url[:100] + "…", stage="fetch")
    if any(ord(ch) < 32 or ch == "\ufffd" for ch in url):
        raise InvalidURL("URL contains control characters or bytes that are not UTF-8", url=url, stage="fetch")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidURL(f"malformed URL: {exc}", url=url, stage="fetch") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidURL(
            f"unsupported scheme {parts.scheme or '(none)'!r}: only http and https URLs are imported",
            url=url,
            stage="fetch",
        )
    if not parts.hostname:
        raise InvalidURL("URL has no host", url=url, stage="fetch")
    if any(ch.isspace() for ch in url):
        raise InvalidURL("URL contains whitespace", url=url, stage="fetch")
    return url


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode with the HTTP header's charset first, then a BOM, the page's meta tag, UTF-8.

    A declared charset that does not decode the bytes cleanly loses to the next candidate; when
    none is clean, the first candidate decodes with replacement characters rather than failing.
    """
    candidates: list[str] = []
    for name in (header_charset,):
        if codec := _known_codec(name):
            candidates.append(codec)
    if body.startswith(codecs.BOM_UTF8):
        candidates.append("utf-8-sig")
    if match := _META_CHARSET.search(body[:8192]):
        if codec := _known_codec(match.group(1).decode("ascii", "ignore")):
            candidates.append(codec)
    candidates += ["utf-8", "cp1252"]
    for codec in candidates:
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            if codec in ("utf-8", "utf-8-sig") and (text := _mostly_utf8(body)) is not None:
                return text, codec
            continue
    return body.decode(candidates[0], errors="replace"), candidates[0]


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 with a few stray bytes is still UTF-8: decode it with replacement characters.

    Text in a legacy 8-bit charset has (almost) no valid multi-byte sequences, so it fails this
    test and goes on to the next candidate (cp1252).
    """
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - invalid
    return text if multibyte > invalid else None


class Fetcher:
    """Fetches pages over one pooled `httpx.AsyncClient`, politely and with retries.

    Waiting (on a slow site, a backoff, a host's Retry-After) is an `await`, so thousands of
    fetches wait at the cost of a few kilobytes each instead of a worker process each. The fetch
    gateway actor holds one Fetcher; `fetch()` below wraps one for synchronous callers.
    """

    def __init__(self, settings: FetchSettings | None = None, limiter: HostLimiter | None = None) -> None:
        self.settings = settings or FetchSettings()
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

    def _ensure_client(self) -> httpx.AsyncClient:
        if self._client is None:
            s = self.settings
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(
                    connect=s.connect_timeout_s, read=s.read_timeout_s,
                    write=s.read_timeout_s, pool=None,
                ),
                limits=httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_connections),
                headers={
                    "User-Agent": s.user_agent,
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                    "Accept-Language": "en,fr;q=0.8,*;q=0.5",
                },
                proxy=s.proxy,
                trust_env=s.proxy is None,
            )
            self._connections = asyncio.Semaphore(s.max_connections)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str) -> FetchedPage:
        """Download one page, retrying transient failures with capped, jittered backoff.

        Raises:
            TransientError: still failing after `settings.max_attempts` attempts.
            PermanentError: a bad URL, a 4xx, not HTML, or over `settings.max_bytes`.
        """
        url = validate_url(url)
        started = time.perf_counter()
        (final_url, status, content_type, body, charset), attempts = await acall_with_retries(
            lambda _attempt: self._attempt(url), self._policy
        )
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
        )

    async def _attempt(self, url: str) -> FetchedPageParts:
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
                # The host's turn and a free connection first: the budget is the site's time.
                async with self.limiter.slot(urlsplit(current).hostname or ""), self._connections:
                    async with budget.spend():
                        outcome = await self._hop(client, url, current)
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

    async def _hop(self, client: httpx.AsyncClient, url: str, current: str) -> str | FetchedPageParts:
        """One request: the URL a redirect points to, or the page."""
        host = urlsplit(current).hostname or ""
        request = client.build_request("GET", current)
        if self.settings.block_private_networks and not exempt(host, self.settings.allow_private_hosts):
            # Checks the address the connection reached (DNS rebinding); see private_networks.
            request.extensions["trace"] = peer_guard(url, host, request.url.raw_host.decode("ascii"))
        response = await client.send(request, stream=True)
        try:
            if response.is_redirect:
                location = response.headers.get("Location", "").strip()
                if not location:  # urljoin would make it a redirect to itself, 5 times over
                    raise HTTPRejected(status=response.status_code, url=url,
                                       detail=f"redirect {response.status_code} without a Location header")
                target = urljoin(current, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    raise InvalidURL(f"redirected to a non-http(s) URL: {target[:200]}", url=url, stage="fetch")
                return target
            return await self._read(url, current, response)
        except ServerBusy as exc:
            # Over the cap, the URL fails at once (see _read) and the host is not held back.
            if exc.retry_after and exc.retry_after <= self.settings.max_retry_after_s:
                self.limiter.pause(host, exc.retry_after)
            raise
        finally:
            await response.aclose()

    async def _read(self, url: str, final_url: str, response: httpx.Response) -> FetchedPageParts:
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
        if mime and mime not in HTML_TYPES:
            raise NotHTML(content_type=content_type, url=url)
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit and "content-encoding" not in response.headers:
            raise TooLarge(limit=limit, url=url)
        chunks: list[bytes] = []
        size = 0
        # aiter_bytes yields decompressed bytes, so a gzip bomb stops at the limit.
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLarge(limit=limit, url=url)
            chunks.append(chunk)
        body = b"".join(chunks)
        if not mime and body.lstrip()[:1] != b"<":
            raise NotHTML(content_type="", url=url)
        return final_url, status, content_type, body, response.charset_encoding

    def stats(self) -> dict[str, dict[str, int]]:
        return self.limiter.stats()


FetchedPageParts = tuple[str, int, str, bytes, "str | None"]


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
