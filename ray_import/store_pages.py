"""The output folder's archived pages, as the store sees them (issue 18): a part of RecipeStore.

The pages themselves are archive.py's, their fetch rows archive_index.py's; this mixin joins
them to the store's database and folder: recording a saved or failed page, reading the row a
recipe was made from, checking and repairing the archive (repair.py), and giving a lost
database its rows back from the recipes' provenance. Kept apart from store.py, which changes
when the recipe index does.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from . import archive_index
from .archive import ArchiveCheck, PageArchive
from .archive_index import PageCopy, PageRecord
from .errors import CatalogError

log = logging.getLogger(__name__)


class StorePages:
    """RecipeStore's archive methods; expects `_db`, `archive`, `readonly`, `folder`, `db_path`."""

    _db: sqlite3.Connection
    archive: PageArchive
    readonly: bool
    folder: Path
    db_path: Path

    def _recover_fetch(self, slug: str, document: dict[str, Any]) -> None:
        """A file indexed without its fetch row (a lost database): the row its provenance implies,
        when its page is in the archive, so the recipe can still be reprocessed."""
        record = archive_index.record_from_document(document, slug)
        if record is None or archive_index.get(self._db, record.key) is not None:
            return
        try:
            stored = self.archive.path(record.sha256).stat().st_size
        except (OSError, ValueError):  # not archived, or not a hash at all
            return
        archive_index.put(self._db, [record.model_copy(update={"stored_size": stored})])

    def check_archive(self, deep: bool = True) -> ArchiveCheck:
        """Every archived page the index names, and every page file, checked (archive.verify)."""
        return self.archive.verify(archive_index.referenced(self._db), deep)

    def forget_pages(self, hashes: set[str]) -> list[str]:
        """Drop the fetch rows of pages that cannot be read back; returns their URLs."""
        return archive_index.forget(self._db, hashes)

    def fetch_record(self, slug: str) -> PageRecord | None:
        """The fetch a saved recipe was made from (reprocess reads its page from the archive)."""
        return archive_index.for_slug(self._db, slug)

    def validators(self, key: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified the URL key's last fetch got: what a refresh sends back."""
        record = archive_index.get(self._db, key)
        return (record.etag, record.last_modified) if record is not None else (None, None)

    def fetch_stats(self) -> dict[str, int]:
        """Fetch rows, distinct pages, and their bytes raw and stored (archive_index.stats)."""
        return archive_index.stats(self._db)

    def record_pages(self, pages: list[tuple[str, PageCopy, str, str | None]]) -> None:
        """Archive the pages of URLs that saved no recipe of their own: (key, page, outcome,
        slug), e.g. a `not_a_recipe` page, or a `duplicate` of `slug`. Never raises for a page:
        a page that cannot be kept is only logged (archive_index.store_pages)."""
        if self.readonly:
            raise CatalogError(f"{self.folder} is open read-only")
        rows = archive_index.store_pages(self._db, self.archive, pages)
        try:
            archive_index.put(self._db, rows)
        except sqlite3.Error as exc:
            log.warning("fetch rows of %d pages not recorded in %s: %s", len(rows), self.db_path, exc)
