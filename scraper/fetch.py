"""fetch: URL → FetchedPage, over httpx.

This is the only module that knows httpx: its exceptions are translated here, once, into the typed
errors of `scraper.errors` (transient ones are retried by `retry.call_with_retries`). Proxies come
from `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` through httpx's `trust_env`.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import re
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

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
from .retry import call_with_retries
from .settings import FetchSettings

HTML_TYPES = ("text/html", "application/xhtml+xml")
BUSY_STATUSES = {408, 425, 429}
MAX_URL_LENGTH = 8192
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_clients: dict[FetchSettings, httpx.Client] = {}
_clients_lock = threading.Lock()


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


def _client(settings: FetchSettings) -> httpx.Client:
    """One pooled client per worker process and settings: connections are reused across tasks."""
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            client = httpx.Client(
                follow_redirects=True,
                max_redirects=settings.max_redirects,
                timeout=httpx.Timeout(
                    connect=settings.connect_timeout_s,
                    read=settings.read_timeout_s,
                    write=settings.read_timeout_s,
                    pool=settings.connect_timeout_s,
                ),
                headers={
                    "User-Agent": settings.user_agent,
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                    "Accept-Language": "en,fr;q=0.8,*;q=0.5",
                },
                proxy=settings.proxy,
                trust_env=settings.proxy is None,
            )
            _clients[settings] = client
        return client


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
            continue
    return body.decode(candidates[0], errors="replace"), candidates[0]


def _fetch_once(url: str, settings: FetchSettings) -> FetchedPageParts:
    deadline = time.monotonic() + settings.total_timeout_s
    try:
        with _client(settings).stream("GET", url) as response:
            final_url = str(response.url)
            if urlsplit(final_url).scheme not in ("http", "https"):
                raise InvalidURL(f"redirected to a non-http(s) URL: {final_url}", url=url, stage="fetch")
            status = response.status_code
            if status in BUSY_STATUSES or status >= 500:
                raise ServerBusy(
                    status=status,
                    url=url,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
            if status >= 300:
                raise HTTPRejected(status=status, url=url)
            content_type = response.headers.get("Content-Type", "")
            mime = content_type.split(";")[0].strip().lower()
            if mime and mime not in HTML_TYPES:
                raise NotHTML(content_type=content_type, url=url)
            declared = response.headers.get("Content-Length", "")
            if (
                declared.isdigit()
                and int(declared) > settings.max_bytes
                and "content-encoding" not in response.headers
            ):
                raise TooLarge(limit=settings.max_bytes, url=url)
            chunks: list[bytes] = []
            size = 0
            # iter_bytes yields decompressed bytes, so a gzip bomb is stopped at max_bytes.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > settings.max_bytes:
                    raise TooLarge(limit=settings.max_bytes, url=url)
                if time.monotonic() > deadline:
                    raise FetchTimeout(
                        f"page took longer than {settings.total_timeout_s:g}s in total",
                        url=url,
                        stage="fetch",
                    )
                chunks.append(chunk)
            body = b"".join(chunks)
            if not mime and not body.lstrip()[:1] == b"<":
                raise NotHTML(content_type="", url=url)
            return final_url, status, content_type, body, response.charset_encoding
    except httpx.TooManyRedirects as exc:
        raise HTTPRejected(
            status=310, url=url, detail=f"more than {settings.max_redirects} redirects"
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
        raise ConnectFailed(f"{type(exc).__name__}: {exc or 'connection failed'}", url=url, stage="fetch") from exc


FetchedPageParts = tuple[str, int, str, bytes, "str | None"]


def fetch(url: str, settings: FetchSettings | None = None) -> FetchedPage:
    """Download one page, retrying transient failures with capped, jittered backoff.

    Raises:
        TransientError: still failing after `settings.max_attempts` attempts.
        PermanentError: a bad URL, a 4xx, not HTML, or over `settings.max_bytes`.
    """
    settings = settings or FetchSettings()
    url = validate_url(url)
    (final_url, status, content_type, body, charset), attempts = call_with_retries(
        lambda _attempt: _fetch_once(url, settings),
        max_attempts=settings.max_attempts,
        base_s=settings.backoff_base_s,
        max_s=settings.backoff_max_s,
        max_retry_after_s=settings.max_retry_after_s,
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
    )



