"""What each URL's fetch said, kept in the catalog index beside the URL keys (issue 18).

One row per URL key (the catalog's normalised URL): the URL as given, where it ended after
redirects, the HTTP status, the headers that decide how the bytes read (Content-Type and its
charset) or whether they changed (ETag, Last-Modified), when it was fetched, and the SHA-256 that
names its page in the archive (archive.py). A new fetch of the URL replaces its row; the page it
replaced stays in the archive until pruned. Only the latest fetch is kept: reprocess reads the
page the saved recipe was made from, and older ones help nobody.

`PageCopy` is what travels: the page compressed where it was parsed, with what its row needs.
Functions take the store's sqlite3 connection (autocommit, `isolation_level=None`) and join its
transactions when one is open; no Ray, and no files but through `store_pages`. The table is additive (CREATE IF NOT
EXISTS), so an index of schema 1 gains it without a rebuild. Unlike the `recipes` and `urls`
tables it cannot be rebuilt from the recipe files in full: `record_from_document` recovers what a
recipe's provenance says (enough to reprocess it), so a lost database loses only the failed pages'
rows, and those URLs are fetched again by the next run anyway.
"""

from __future__ import annotations

import email.message
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from scraper.models import FetchedPage

from .archive import PageArchive, compress
from .urls import try_normalize

SCHEMA = """
CREATE TABLE IF NOT EXISTS fetches (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, final_url TEXT NOT NULL, status INTEGER NOT NULL,
    content_type TEXT NOT NULL, encoding TEXT NOT NULL, etag TEXT, last_modified TEXT,
    fetched_at TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    stored_size INTEGER NOT NULL, outcome TEXT NOT NULL, slug TEXT);
CREATE INDEX IF NOT EXISTS fetches_sha256 ON fetches (sha256);
CREATE INDEX IF NOT EXISTS fetches_slug ON fetches (slug);
"""
log = logging.getLogger(__name__)
_COLUMNS = ("key", "url", "final_url", "status", "content_type", "encoding", "etag", "last_modified",
            "fetched_at", "sha256", "size", "stored_size", "outcome", "slug")


class PageRecord(BaseModel):
    """One URL's fetch: the catalog row, and what reprocess rebuilds the FetchedPage from.

    `outcome` is what the import made of it (`imported`, or the failure kind, e.g.
    `not_a_recipe`), and `slug` the recipe saved from it, if any.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime
    sha256: str
    size: int
    stored_size: int = 0
    outcome: str = "imported"
    slug: str | None = None

    @property
    def charset(self) -> str | None:
        return header_charset(self.content_type)

    @classmethod
    def from_page(cls, key: str, page: FetchedPage, size: int, stored_size: int = 0, *,
                  etag: str | None = None, last_modified: str | None = None,
                  outcome: str = "imported", slug: str | None = None) -> PageRecord:
        """The row for a page as the fetch step returned it (`size`: its body's length in bytes)."""
        return cls(key=key, url=page.url, final_url=page.final_url, status=page.status,
                   content_type=page.content_type, encoding=page.encoding, etag=etag,
                   last_modified=last_modified, fetched_at=page.fetched_at, sha256=page.content_sha256,
                   size=size, stored_size=stored_size, outcome=outcome, slug=slug)


@dataclass(frozen=True, slots=True)
class PageCopy:
    """A fetched page on its way to the archive: compressed by the task that parsed it, carried
    with the save (or the release, when the page failed) to the catalog, which stores it.

    Example:
        >>> copy = PageCopy.of(page)  # None when the fetch kept no body (archive = false)
        >>> copy.record("example.com/pie", outcome="imported", slug="pie").sha256 == page.content_sha256
        True
    """

    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime
    sha256: str
    size: int
    blob: bytes = field(repr=False)

    @classmethod
    def of(cls, page: FetchedPage) -> PageCopy | None:
        if page.body is None:
            return None
        return cls(page.url, page.final_url, page.status, page.content_type, page.encoding, page.etag,
                   page.last_modified, page.fetched_at, page.content_sha256, len(page.body),
                   compress(page.body))

    def record(self, key: str, *, outcome: str, slug: str | None = None, stored_size: int = 0) -> PageRecord:
        """The catalog row of this fetch, under the URL's catalog key."""
        return PageRecord(key=key, url=self.url, final_url=self.final_url, status=self.status,
                          content_type=self.content_type, encoding=self.encoding, etag=self.etag,
                          last_modified=self.last_modified, fetched_at=self.fetched_at, sha256=self.sha256,
                          size=self.size, stored_size=stored_size or len(self.blob), outcome=outcome,
                          slug=slug)


def header_charset(content_type: str) -> str | None:
    """The charset of a Content-Type header, parsed exactly as httpx does for the fetch step.

    The fetch step decodes with httpx's `Response.charset_encoding`; reprocess must hand
    `decode_html` the same value to get the same text back from the same bytes.
    """
    if not content_type:
        return None
    message = email.message.Message()
    message["content-type"] = content_type
    return message.get_content_charset(failobj=None)


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the table if needed (called after index_db.prepare)."""
    db.executescript(SCHEMA)


def _row(record: PageRecord) -> tuple[Any, ...]:
    data = record.model_dump(mode="json")
    return tuple(data[name] for name in _COLUMNS)


def put(db: sqlite3.Connection, records: Iterable[PageRecord]) -> None:
    """Record each fetch, replacing the URL key's earlier one."""
    db.executemany(f"INSERT OR REPLACE INTO fetches VALUES ({', '.join('?' * len(_COLUMNS))})",
                   [_row(record) for record in records])


def store_pages(db: sqlite3.Connection, archive: PageArchive,
                pages: Iterable[tuple[str, PageCopy, str, str | None]]) -> list[PageRecord]:
    """Write each (key, page, outcome, slug)'s page to the archive; returns the rows to record.

    A page that cannot be written (a full disk, a bad frame) is left out, logged: losing an
    archived page loses a later reprocess of it, never the import itself. The page is on disk
    before its row is recorded, so a row never names a page that was not written.
    """
    rows = []
    for key, page, outcome, slug in pages:
        try:
            stored = archive.put_compressed(page.sha256, page.blob, size=page.size)
        except (OSError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            log.warning("page of %s not archived: %s", page.url, why)
            continue
        rows.append(page.record(key, outcome=outcome, slug=slug, stored_size=stored.stored_size))
    return rows


def _record(row: tuple[Any, ...]) -> PageRecord:
    return PageRecord(**dict(zip(_COLUMNS, row, strict=True)))


def get(db: sqlite3.Connection, key: str) -> PageRecord | None:
    row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM fetches WHERE key=?", (key,)).fetchone()
    return _record(row) if row else None


def for_slug(db: sqlite3.Connection, slug: str) -> PageRecord | None:
    """The fetch a saved recipe was made from (the latest, when several URLs brought it)."""
    row = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM fetches WHERE slug=? ORDER BY fetched_at DESC"
                     " LIMIT 1", (slug,)).fetchone()
    return _record(row) if row else None


def records(db: sqlite3.Connection, outcome: str | None = None) -> Iterator[PageRecord]:
    """Every row in key order, or those with one outcome; streamed, not loaded at once."""
    return _rows(db, "WHERE outcome=?", (outcome,)) if outcome else _rows(db)


def failed(db: sqlite3.Connection) -> Iterator[PageRecord]:
    """The rows of fetched pages that made no recipe (no slug: `not_a_recipe` and the like), in
    key order; a page a later run saved, or found a duplicate of, has a slug in its row."""
    return _rows(db, "WHERE slug IS NULL")


def _rows(db: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[PageRecord]:
    for row in db.execute(f"SELECT {', '.join(_COLUMNS)} FROM fetches {where} ORDER BY key", params):
        yield _record(row)


def made(db: sqlite3.Connection, key: str, slug: str) -> None:
    """The URL key's archived page made the recipe `slug` after all (`reprocess --failed`)."""
    db.execute("UPDATE fetches SET outcome='imported', slug=? WHERE key=?", (slug, key))


def referenced(db: sqlite3.Connection) -> dict[str, int]:
    """The page hashes some row needs, with the stored size recorded (`PageArchive.verify`, `prune`)."""
    return dict(db.execute("SELECT sha256, max(stored_size) FROM fetches GROUP BY sha256"))


def forget(db: sqlite3.Connection, hashes: Iterable[str]) -> list[str]:
    """Drop the rows of pages that cannot be read back; returns their URLs, in key order.

    A repair calls this for missing or corrupt pages: the URL then has no archived page, so
    reprocess reports it instead of reading it, and its next fetch archives it again.
    """
    hashes = sorted(set(hashes))
    urls: list[str] = []
    for sha in hashes:
        urls += [url for (url,) in db.execute("SELECT url FROM fetches WHERE sha256=? ORDER BY key", (sha,))]
        db.execute("DELETE FROM fetches WHERE sha256=?", (sha,))
    return urls


def stats(db: sqlite3.Connection) -> dict[str, int]:
    """Rows, distinct pages, and their bytes raw and stored (each page counted once)."""
    rows = db.execute("SELECT count(*) FROM fetches").fetchone()[0]
    pages, size, stored = db.execute(
        "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(stored_size), 0) FROM"
        " (SELECT sha256, max(size) AS size, max(stored_size) AS stored_size FROM fetches GROUP BY sha256)"
    ).fetchone()
    return {"rows": rows, "pages": pages, "bytes": size, "stored_bytes": stored}


def record_from_document(document: dict[str, Any], slug: str, size: int = 0,
                         stored_size: int = 0) -> PageRecord | None:
    """The row a saved recipe's provenance implies, for an index rebuilt from the files.

    The status was a success (the recipe was saved) and the encoding is unknown: decode_html
    then goes by BOM, meta tag and UTF-8, which is what the header said on all but odd pages.
    None when the file lacks what a row needs.
    """
    provenance = document.get("provenance") or {}
    url = document.get("source_url")
    sha = provenance.get("content_sha256")
    key = try_normalize(url) if isinstance(url, str) else None
    fetched_at = provenance.get("fetched_at")
    if not (key and isinstance(sha, str) and len(sha) == 64 and isinstance(fetched_at, str)):
        return None
    try:
        return PageRecord(key=key, url=url, final_url=provenance.get("final_url") or url, status=200,
                          content_type=provenance.get("content_type") or "",
                          encoding=provenance.get("encoding") or "", fetched_at=fetched_at,
                          sha256=sha, size=size, stored_size=stored_size, outcome="imported", slug=slug)
    except ValueError:
        return None
