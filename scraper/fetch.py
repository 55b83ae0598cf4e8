"""fetch: URL → FetchedPage, over httpx (asyncio).

This is the only module that knows httpx: its exceptions are translated here, once, into the typed
errors of `scraper.errors` (transient ones are retried by `retry.acall_with_retries`). Redirects
are followed hop by hop, so every hop is checked (scheme, count) and counted against its host's
politeness limits. Proxies come from `fetch.proxy`, else `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`.
"""

from __future__ import annotations

import asyncio
import codecs
import email.utils
import hashlib
import ipaddress
import re
import socket
import time
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from .errors import (
    BlockedAddress,
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
from .retry import RetryPolicy, acall_with_retries
from .settings import FetchSettings

HTML_TYPES = ("text/html", "application/xhtml+xml")
BUSY_STATUSES = {408, 425, 429}
MAX_URL_LENGTH = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast and address not in METADATA_ADDRESSES


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
        try:
            async with asyncio.timeout(self.settings.total_timeout_s), self._connections:
                current = url
                for hop in range(self.settings.max_redirects + 1):
                    host = urlsplit(current).hostname or ""
                    if self.settings.block_private_networks:
                        await self._refuse_private(url, current)
                    async with self.limiter.slot(host):
                        response = await client.send(client.build_request("GET", current), stream=True)
                        try:
                            if response.is_redirect:
                                location = response.headers.get("Location", "")
                                current = urljoin(current, location)
                                if urlsplit(current).scheme not in ("http", "https"):
                                    raise InvalidURL(
                                        f"redirected to a non-http(s) URL: {current[:200]}", url=url, stage="fetch"
                                    )
                                continue
                            return await self._read(url, current, response)
                        except ServerBusy as exc:
                            if exc.retry_after:
                                self.limiter.pause(host, min(exc.retry_after, self.settings.max_retry_after_s))
                            raise
                        finally:
                            await response.aclose()
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

    async def _refuse_private(self, url: str, current: str) -> None:
        """Refuse a hop whose host is, or resolves to, an address a service must not reach."""
        parts = urlsplit(current)
        host = (parts.hostname or "").lower().rstrip(".")
        if host in self.settings.allow_private_hosts:
            return
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
                )
            except (socket.gaierror, UnicodeError) as exc:
                raise ConnectFailed(f"host {host} does not resolve: {exc}", url=url, stage="fetch") from exc
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
        for address in addresses:
            if not _is_public(address):
                raise BlockedAddress(
                    f"refused: {host} is a private or local address ({address}); "
                    "fetch.block_private_networks is on",
                    url=url,
                    stage="fetch",
                )

    async def _read(self, url: str, final_url: str, response: httpx.Response) -> FetchedPageParts:
        status = response.status_code
        if status in BUSY_STATUSES or status >= 500:
            raise ServerBusy(
                status=status, url=url, retry_after=parse_retry_after(response.headers.get("Retry-After"))
            )
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


def fetch(url: str, settings: FetchSettings | None = None) -> FetchedPage:
    """Synchronous one-off fetch (scripts, tests); batch imports go through the fetch gateway."""

    async def run() -> FetchedPage:
        fetcher = Fetcher(settings)
        try:
            return await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    return asyncio.run(run())
