"""What the fetch step checks before any request and reads from an answer's headers: a URL
fit to fetch (absolute http(s), bounded, no control characters) and Retry-After as seconds.

Apart from fetch.py so that what takes URLs from users (urls.py, discovery, sitemaps) checks
them the one way the fetch step does, without importing the HTTP client. Pure: no network.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from urllib.parse import urlsplit

from .errors import InvalidURL

MAX_URL_LENGTH = 8192


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
