"""URL normalization: the catalog's key for "the same page".

Two URLs are the same page when they differ only in scheme, host case, a leading `www.`, a default
port, a fragment, tracking parameters (`utm_*`, `fbclid`, `gclid`...), the order of the other query
parameters, or a trailing slash.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from scraper.errors import InvalidURL
from scraper.url_values import validate_url
from scraper.politeness import host_key

TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid"}
_SAFE = "/:@!$&'()*+,;=-._~"


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


def normalize_url(url: str) -> str:
    """The catalog key of `url`, e.g. `example.com/recipes/pie?id=3`.

    Raises:
        InvalidURL: `url` is not an absolute http(s) URL.
    """
    url = validate_url(url)
    parts = urlsplit(url)
    host = host_key(parts.hostname)
    if ":" in host:  # IPv6: keep the brackets so the port stays apart from the address
        host = f"[{host}]"
    port = parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE).rstrip("/")
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    )
    key = host + path
    if query:
        # Values are re-encoded with nothing left "safe", so an encoded & = + stays encoded and
        # cannot merge two different queries into one key.
        key += "?" + urlencode(query, quote_via=quote, safe="")
    return key


def try_normalize(url: str | None) -> str | None:
    """Like normalize_url, None for anything that is not an http(s) URL."""
    if not url:
        return None
    try:
        return normalize_url(url)
    except InvalidURL:
        return None


def task_label(url: str) -> str:
    """`<host>/<path>`, capped: what a worker's process title shows of the URL it imports."""
    parts = urlsplit(url)
    label = f"{host_key(parts.hostname) or '?'}{parts.path or '/'}"
    return label[:120]
