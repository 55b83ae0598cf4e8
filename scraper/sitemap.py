"""sitemap: read sitemaps.org files (a `urlset` or a `sitemapindex`, plain or `.xml.gz`) and
plain-text sitemaps (one URL a line) into URL entries with their `lastmod`.

Pure: bytes in, entries out; discover (ray_import.discovery) fetches and decides what to follow.
A sitemap is hostile input like a page: XML goes through defusedxml, so it can neither declare
entities (the "billion laughs" expansion) nor reach external ones (XXE: local files, intranet
URLs); gzip is inflated with a bound, so a bomb stops at the limit; entries past the per-file
limit are counted, not kept. Every error is a `BadSitemap` whose one-line message names the URL.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden

from .errors import BadSitemap, InvalidURL
from .url_values import validate_url

# sitemaps.org: a sitemap file holds at most 50 000 URLs and 50 MB, uncompressed.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_SITEMAP_URLS = 50_000
_GZIP_MAGIC = b"\x1f\x8b"
_W3C_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

Kind = Literal["urlset", "index", "text"]


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None


@dataclass(frozen=True)
class Sitemap:
    """One sitemap file: the pages it lists (`urlset`, `text`) or the sitemaps (`index`)."""

    url: str
    kind: Kind
    entries: tuple[SitemapEntry, ...]
    skipped: int = 0  # entries without a usable absolute http(s) URL
    over_limit: int = 0  # entries past `max_urls`, not kept


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.3g} MiB"
    return f"{n / 1024:.3g} KiB" if n >= 1024 else f"{n} bytes"


def inflate(body: bytes, *, url: str, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """`body` un-gzipped when it starts with the gzip magic (every member), else as it is.

    Raises:
        BadSitemap: it inflates past `limit` (a gzip bomb stops there), or is not valid gzip.
    """
    if not body.startswith(_GZIP_MAGIC):
        return body
    out = bytearray()
    data = body
    try:
        while data.startswith(_GZIP_MAGIC):
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += member.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise BadSitemap(f"{url}: inflates to more than {human_size(limit)} (the limit): not read",
                                 url=url, stage="discover")
            if not member.eof:
                raise BadSitemap(f"{url}: the gzip data ends early", url=url, stage="discover")
            data = member.unused_data
    except zlib.error as exc:
        raise BadSitemap(f"{url}: not valid gzip ({exc})", url=url, stage="discover") from exc
    return bytes(out)


def parse_lastmod(text: str | None) -> datetime | None:
    """A W3C Datetime (`2024`, `2024-05`, `2024-05-01`, `2024-05-01T10:00+02:00`...) in UTC, or
    None for anything else: a bad lastmod costs its entry nothing."""
    text = (text or "").strip()
    if not text:
        return None
    if match := _W3C_PARTIAL.match(text):
        year, month = int(match.group(1)), int(match.group(2) or 1)
        return datetime(year, month, 1, tzinfo=UTC) if 1 <= month <= 12 else None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _usable(loc: str | None) -> str | None:
    if not loc:
        return None
    try:
        return validate_url(loc)
    except InvalidURL:
        return None


def _local(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag.rpartition("}")[0]


def parse_sitemap(body: bytes, *, url: str, max_bytes: int = MAX_SITEMAP_BYTES,
                  max_urls: int = MAX_SITEMAP_URLS) -> Sitemap:
    """The entries of one sitemap file as fetched (gzipped or not, XML or plain text).

    Raises:
        BadSitemap: malformed XML, entities declared, not a sitemap (say, an HTML page), or
            more than `max_bytes` once inflated.

    Example:
        >>> parse_sitemap(b"https://example.org/recipes/pie\\n", url="https://example.org/s.txt").kind
        'text'
    """
    data = inflate(body, url=url, limit=max_bytes)
    if len(data) > max_bytes:
        raise BadSitemap(f"{url}: more than {human_size(max_bytes)} (the limit): not read", url=url,
                         stage="discover")
    data = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if data.startswith(b"<"):
        return _parse_xml(data, url, max_urls)
    return _parse_text(data, url, max_urls)


def _parse_text(data: bytes, url: str, max_urls: int) -> Sitemap:
    entries: list[SitemapEntry] = []
    skipped = over = 0
    for line in data.decode("utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        if (loc := _usable(line)) is None:
            skipped += 1
        elif len(entries) >= max_urls:
            over += 1
        else:
            entries.append(SitemapEntry(loc))
    return Sitemap(url=url, kind="text", entries=tuple(entries), skipped=skipped, over_limit=over)


def _entry(element: Any) -> SitemapEntry | None:
    """A <url> or <sitemap> element's own <loc> and <lastmod> (an image or video extension nests
    a <loc> of its own deeper, in its own namespace: not the page's)."""
    ns = _namespace(element.tag)
    loc = lastmod = None
    for child in element:
        if not isinstance(child.tag, str) or _namespace(child.tag) != ns:
            continue
        if _local(child.tag) == "loc" and loc is None:
            loc = (child.text or "").strip()
        elif _local(child.tag) == "lastmod" and lastmod is None:
            lastmod = parse_lastmod(child.text)
    usable = _usable(loc)
    return None if usable is None else SitemapEntry(usable, lastmod)


def _parse_xml(data: bytes, url: str, max_urls: int) -> Sitemap:
    entries: list[SitemapEntry] = []
    skipped = over = depth = 0
    kind: Kind = "urlset"
    root = None
    item = "url"
    try:
        for event, element in safe_xml.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    root, name = element, _local(element.tag)
                    if name not in ("urlset", "sitemapindex"):
                        raise BadSitemap(f"{url}: not a sitemap (its root element is <{name[:40]}>)",
                                         url=url, stage="discover")
                    kind, item = ("urlset", "url") if name == "urlset" else ("index", "sitemap")
                continue
            if depth == 2:
                if _local(element.tag) == item:
                    if (entry := _entry(element)) is None:
                        skipped += 1
                    elif len(entries) >= max_urls:
                        over += 1
                    else:
                        entries.append(entry)
                if root is not None:
                    root.remove(element)  # keep memory flat on a 50 000-entry file
            depth -= 1
    except EntitiesForbidden as exc:
        raise BadSitemap(f"{url}: declares an XML entity ({exc.name!r}): refused, entities can read "
                         "local files or expand without bound", url=url, stage="discover") from exc
    except ExternalReferenceForbidden as exc:
        raise BadSitemap(f"{url}: refers to an external XML resource: refused", url=url,
                         stage="discover") from exc
    except DefusedXmlException as exc:
        raise BadSitemap(f"{url}: unsafe XML refused ({type(exc).__name__})", url=url,
                         stage="discover") from exc
    except ParseError as exc:
        raise BadSitemap(f"{url}: malformed XML ({exc})", url=url, stage="discover") from exc
    return Sitemap(url=url, kind=kind, entries=tuple(entries), skipped=skipped, over_limit=over)
