"""RecipeStore: the output folder's files and their SQLite index, without Ray.

The `*.recipe.json` files are the truth; `.ray-import/catalog.sqlite3` is an index of them (URL
keys → slug, and each file's size and mtime). Opening a folder compares the index with a directory
listing and parses only the files that are new or changed, so a current index opens without
reading any recipe. The files themselves (names, JSON, atomic writes) are recipe_files.py's; the
index is this module's. `_CatalogActor` (catalog.py) owns one store per folder; the CLI's
read-only commands open it directly with `readonly=True`.

A read-only store changes nothing in the folder (issue 13, item 1): it copies the index into
memory (`immutable=1`: no lock, no -wal or -shm file created), catches that copy up with the files
in memory, and reports corrupt files instead of moving them. Only a writer removes temp files, and
only stale ones of its own (atomic.py). A full disk or an I/O error is a CatalogError or DiskFull,
never a reason to set the database aside: only a database SQLite calls corrupt, or not ours, is
(index_db.py). Checking and repairing the folder is in repair.py.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scraper.fingerprint import recipe_fingerprint

from . import archive_index, index_db
from .archive import PageArchive
from .archive_index import PageCopy
from .errors import CatalogError, DiskFull, ForeignIndexError, SaveFailed
from .index_db import NO_SPACE, no_space, rollback
from .recipe_files import STATE_DIR, SUFFIX, prepare_folder, read_document, scan_folder, write_document
from .sites import same_site
from .store_pages import StorePages
from .slugs import is_valid_slug
from .urls import try_normalize

DB_NAME = "catalog.sqlite3"
log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What opening the folder had to do to bring the index up to date."""

    indexed: int = 0
    parsed: int = 0
    removed: int = 0
    rebuilt: bool = False
    corrupt: list[str] = field(default_factory=list)
    seconds: float = 0.0
    unusable: str = ""  # why the database could not be used, when it was rebuilt or bypassed


def recipe_keys(document: dict[str, Any]) -> list[str]:
    """The URL keys under which a saved recipe is found: as given, canonical, after redirects.

    A canonical URL that is only a site's home page says nothing about the recipe and is skipped,
    or every recipe of such a site would look like the same one. A canonical URL is the page's own
    claim, so it counts only on the page's own site (registrable domain of the URL it was read
    from, after redirects): otherwise any page could take over another site's URL (issue 13, item
    2). The final URL is always a key: the redirects that led there were the sites' own, and the
    page read is the one that URL serves.
    """
    keys = []
    provenance = document.get("provenance") or {}
    final = provenance.get("final_url")
    canonical = document.get("canonical_url")
    if not same_site(canonical, final or document.get("source_url")):
        canonical = None
    for url in (document.get("source_url"), canonical, final):
        key = try_normalize(url)
        if key and "/" in key and key not in keys:
            keys.append(key)
    return keys


class RecipeStore(StorePages):
    """One output folder. Not thread-safe: one owner (the catalog actor) at a time.

    Its archived pages' methods are StorePages' (store_pages.py)."""

    def __init__(self, folder: Path | str, *, readonly: bool = False) -> None:
        """Open `folder`; `readonly` never changes anything in it (list, show, check).

        Raises:
            CatalogError: the folder cannot be created or written (writer), does not exist
                (reader), or its database cannot be used for another reason than corruption.
        """
        self.readonly = readonly
        if readonly:
            self.folder = Path(folder)
            if not self.folder.is_dir():
                raise CatalogError(f"no output folder {self.folder}")
        else:
            self.folder = prepare_folder(folder)
        self.db_path = self.folder / STATE_DIR / DB_NAME
        self.archive = PageArchive(self.folder, readonly=readonly)  # fetched pages (issue 18)
        self.last_sync = SyncReport()
        self._batch_table = False
        self._db = self._open_snapshot() if readonly else self._open_db()
        self.sync()

    # -- opening ---------------------------------------------------------------------------
    def _open_db(self) -> sqlite3.Connection:
        """Open the index; only a corrupt or foreign database is set aside and rebuilt from the files.

        A full disk, an I/O error or a lock leaves the database as it is and raises CatalogError.
        """
        try:
            return index_db.connect(self.db_path)
        except (sqlite3.Error, ForeignIndexError) as exc:
            if not index_db.is_corrupt(exc):
                raise self._db_error(exc) from exc
            aside = self.db_path.with_name(f"{DB_NAME}.corrupt-{int(time.time())}")
            log.warning("catalog database %s is unusable (%s); rebuilding it from the files", self.db_path, exc)
            for suffix in ("", "-wal", "-shm"):
                path = Path(f"{self.db_path}{suffix}")
                if path.exists():
                    path.replace(Path(f"{aside}{suffix}"))
            self.last_sync.rebuilt = True
            self.last_sync.unusable = str(exc)
        try:
            return index_db.connect(self.db_path)
        except (sqlite3.Error, ForeignIndexError) as exc:
            raise self._db_error(exc) from exc

    def _open_snapshot(self) -> sqlite3.Connection:
        """A reader's index: an in-memory copy; an unusable database is left alone (built from the files)."""
        db, self.last_sync.unusable = index_db.snapshot(self.db_path)
        self.last_sync.rebuilt = bool(self.last_sync.unusable)
        return db

    def _db_error(self, exc: BaseException) -> CatalogError:
        full = "disk full: " if no_space(exc, self.folder) else ""
        return CatalogError(f"{full}cannot use the catalog database {self.db_path}: {exc}")

    def sync(self) -> SyncReport:
        """Bring the index in line with the folder, parsing only new or changed files.

        Raises:
            CatalogError: the database cannot be written (a full disk: "disk full: ...").
        """
        started = time.perf_counter()
        report = SyncReport(rebuilt=self.last_sync.rebuilt, unusable=self.last_sync.unusable)
        on_disk = self.files()
        indexed = self.indexed()
        db = self._db
        try:
            db.execute("BEGIN")
            for slug in indexed.keys() - on_disk.keys():
                db.execute("DELETE FROM recipes WHERE slug=?", (slug,))
                db.execute("DELETE FROM urls WHERE slug=?", (slug,))
                report.removed += 1
            for slug, stat in on_disk.items():
                if indexed.get(slug) == stat:
                    continue
                report.parsed += 1
                document = self.document(slug)
                if document is None:
                    report.corrupt.append(f"{slug}{SUFFIX}")
                    db.execute("DELETE FROM recipes WHERE slug=?", (slug,))
                    db.execute("DELETE FROM urls WHERE slug=?", (slug,))
                    continue
                self._index(slug, document, stat)
                self._recover_fetch(slug, document)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            rollback(db)
            raise self._db_error(exc) from exc
        except BaseException:
            rollback(db)
            raise
        for name in report.corrupt if not self.readonly else ():
            try:
                aside = self.set_aside(name)
            except OSError as exc:
                log.warning("%s in %s is not a valid recipe file and cannot be moved: %s",
                            name, self.folder, exc)
                continue
            log.warning("%s in %s is not a valid recipe file; moved to %s", name, self.folder, aside)
        report.indexed = self.count()
        report.seconds = time.perf_counter() - started
        self.last_sync = report
        return report

    def set_aside(self, name: str, kind: str = "corrupt") -> Path:
        """Move a file to `.ray-import/<kind>/` (never delete or overwrite it); a writer's act."""
        if self.readonly:
            raise CatalogError(f"{self.folder} is open read-only")
        folder = self.folder / STATE_DIR / kind
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{name}.{n}"
        (self.folder / name).replace(target)
        return target

    def files(self) -> dict[str, tuple[int, int]]:
        """Recipe files on disk: stem → (mtime_ns, size); a writer also removes its stale temp files."""
        return scan_folder(self.folder, remove_stale_temps=not self.readonly)

    def check(self, repair: bool = False) -> list[str]:
        """Verify every file against the index; with `repair`, fix what can be (see repair.py).

        Returns one line per problem found (before any repair).
        """
        from .repair import find_problems, repair_folder

        problems = find_problems(self)
        if repair:
            repair_folder(self)
        return problems

    def rebuild(self) -> None:
        """Forget the index (aliases too) and build it again from the files."""
        try:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM recipes")
            self._db.execute("DELETE FROM urls")
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            rollback(self._db)
            raise self._db_error(exc) from exc
        self.sync()

    def _index(self, slug: str, document: dict[str, Any], stat: tuple[int, int]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO recipes (slug, source_url, title, mtime_ns, size, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (slug, document["source_url"], document.get("title"), stat[0], stat[1],
             recipe_fingerprint(document)),
        )
        for key in recipe_keys(document):
            self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (key, slug))

    # -- queries ---------------------------------------------------------------------------
    def with_fingerprint(self, fingerprint: str | None) -> str | None:
        """The slug of a saved recipe with this fingerprint (the first indexed), or None."""
        if fingerprint is None:
            return None
        row = self._db.execute("SELECT slug FROM recipes WHERE fingerprint=? ORDER BY rowid LIMIT 1",
                               (fingerprint,)).fetchone()
        return row[0] if row else None

    def lookup(self, key: str) -> str | None:
        row = self._db.execute("SELECT slug FROM urls WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def slug_taken(self, slug: str) -> bool:
        if self._db.execute("SELECT 1 FROM recipes WHERE slug=?", (slug,)).fetchone():
            return True
        return (self.folder / f"{slug}{SUFFIX}").exists()

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM recipes").fetchone()[0]

    def indexed(self) -> dict[str, tuple[int, int]]:
        """Slug → (mtime_ns, size) of each file as the index knows it."""
        return {slug: (mtime, size) for slug, mtime, size in
                self._db.execute("SELECT slug, mtime_ns, size FROM recipes")}

    def keys_by_slug(self) -> dict[str, set[str]]:
        keys: dict[str, set[str]] = {}
        for key, slug in self._db.execute("SELECT key, slug FROM urls"):
            keys.setdefault(slug, set()).add(key)
        return keys

    def list_recipes(self) -> Iterator[tuple[str, str | None, str]]:
        yield from self._db.execute("SELECT slug, title, source_url FROM recipes ORDER BY slug")

    def document(self, stem: str) -> dict[str, Any] | None:
        """The parsed file `<stem>.recipe.json` whatever its name, None if it is not a recipe."""
        return read_document(self.folder, stem)

    # -- writing ---------------------------------------------------------------------------
    def write(self, slug: str, document: dict[str, Any], extra_keys: list[str] = (),
              page: tuple[str, PageCopy] | None = None, archived: str | None = None) -> None:
        """Write `<slug>.recipe.json` atomically and index it under its URL keys.

        `page` is the (URL key, fetched page) it was made from: archived first, and its fetch
        row recorded in the same transaction as the recipe's. `archived` is instead the URL key
        of an archived page it was made from again (`reprocess --failed`): that row gets the slug.

        Raises:
            DiskFull: no space left for the file or its index entry (nothing is left behind).
            SaveFailed: any other reason the file cannot be written or indexed.
        """
        if self.readonly:
            raise CatalogError(f"{self.folder} is open read-only")
        if not is_valid_slug(slug):
            raise SaveFailed(f"refusing to write an invalid slug {slug!r}", stage="save")
        path = self.folder / f"{slug}{SUFFIX}"
        existed = path.exists()
        rows = archive_index.store_pages(self._db, self.archive, [(*page, "imported", slug)] if page else [])
        try:
            stat = write_document(self.folder, slug, document)
        except OSError as exc:
            if exc.errno in NO_SPACE:
                raise DiskFull(f"disk full: cannot write {path}: {exc.strerror}", stage="save") from exc
            raise SaveFailed(f"cannot write {path}: {exc.strerror or exc}", stage="save") from exc
        try:
            self._db.execute("BEGIN")
            self._index(slug, document, (stat.st_mtime_ns, stat.st_size))
            for key in extra_keys:
                self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (key, slug))
            archive_index.put(self._db, rows)
            if archived is not None:
                archive_index.made(self._db, archived, slug)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            rollback(self._db)
            if not existed:
                # The save is reported failed, so its file must not stay (taking it back also
                # frees the space). A refreshed file stays: it replaced the old one; sync re-reads it.
                path.unlink(missing_ok=True)
            if no_space(exc, self.folder):
                raise DiskFull(f"disk full: cannot index {path} in {self.db_path}: {exc}",
                               stage="save") from exc
            raise SaveFailed(f"cannot index {path} in {self.db_path}: {exc}", stage="save") from exc

    def rewrite(self, slug: str, document: dict[str, Any]) -> None:
        """Write `<slug>.recipe.json` atomically without indexing it (a repair rebuilds the index).

        Raises:
            OSError: the file cannot be written; SaveFailed: the document is not valid JSON.
        """
        if self.readonly:
            raise CatalogError(f"{self.folder} is open read-only")
        write_document(self.folder, slug, document)

    # -- the keys a batch has seen ---------------------------------------------------------
    def first_in_batch(self, batch: str, pairs: list[tuple[str, str]]) -> list[str | None]:
        """Record each (key, URL) as seen by `batch`; for each, the URL that brought its key first.

        None where the key is new to the batch (a key repeated within `pairs` is new only once).
        Why SQLite: a batch of a million URLs must not grow the catalog actor's memory. The table
        is a TEMP one, private to this connection and kept in a temporary file beyond SQLite's
        small page cache, so it vanishes with the actor and never meets another process's run.
        """
        firsts: list[str | None] = []
        db = self._db
        if not self._batch_table:
            db.execute("PRAGMA temp_store=FILE")
            db.execute("CREATE TEMP TABLE IF NOT EXISTS batch_keys (batch TEXT NOT NULL, key TEXT NOT NULL,"
                       " url TEXT NOT NULL, PRIMARY KEY (batch, key)) WITHOUT ROWID")
            self._batch_table = True
        db.execute("BEGIN")
        try:
            for key, url in pairs:
                row = db.execute("SELECT url FROM batch_keys WHERE batch=? AND key=?", (batch, key)).fetchone()
                firsts.append(row[0] if row else None)
                if row is None:
                    db.execute("INSERT INTO batch_keys VALUES (?, ?, ?)", (batch, key, url))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return firsts

    def end_batch(self, batch: str) -> None:
        """Forget what `batch` has seen."""
        if self._batch_table:
            self._db.execute("DELETE FROM batch_keys WHERE batch=?", (batch,))

    def add_alias(self, key: str, slug: str) -> None:
        """Remember another URL of a saved recipe; only a shortcut, so a full disk just skips it."""
        try:
            self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (key, slug))
        except sqlite3.Error as exc:
            if not no_space(exc, self.folder):
                raise self._db_error(exc) from exc
            log.warning("disk full: alias %s of %s not recorded in %s", key, slug, self.db_path)

    def close(self) -> None:
        self._db.close()
