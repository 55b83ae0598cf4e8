"""RecipeStore: the output folder's files and their SQLite index, without Ray.

The `*.recipe.json` files are the truth; `.ray-import/catalog.sqlite3` is an index of them (URL
keys → slug, and each file's size and mtime). Opening a folder compares the index with a directory
listing and parses only the files that are new or changed, so a current index opens without
reading any recipe. Files are written atomically: temp file in the same folder, fsync, rename,
fsync of the folder. `_CatalogActor` (catalog.py) owns one store per folder; the CLI's read-only
commands open it directly.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scraper.errors import CatalogError, SaveFailed

from .slugs import is_valid_slug
from .urls import try_normalize

SUFFIX = ".recipe.json"
STATE_DIR = ".ray-import"
DB_NAME = "catalog.sqlite3"
SCHEMA_VERSION = "1"
log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipes (
    slug TEXT PRIMARY KEY, source_url TEXT NOT NULL, title TEXT,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS urls (key TEXT PRIMARY KEY, slug TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS urls_slug ON urls (slug);
"""


@dataclass
class SyncReport:
    """What opening the folder had to do to bring the index up to date."""

    indexed: int = 0
    parsed: int = 0
    removed: int = 0
    rebuilt: bool = False
    corrupt: list[str] = field(default_factory=list)
    seconds: float = 0.0


def recipe_keys(document: dict[str, Any]) -> list[str]:
    """The URL keys under which a saved recipe is found: as given, canonical, after redirects.

    A canonical URL that is only a site's home page says nothing about the recipe and is skipped,
    or every recipe of such a site would look like the same one.
    """
    keys = []
    provenance = document.get("provenance") or {}
    for url in (document.get("source_url"), document.get("canonical_url"), provenance.get("final_url")):
        key = try_normalize(url)
        if key and "/" in key and key not in keys:
            keys.append(key)
    return keys


def prepare_folder(folder: Path | str) -> Path:
    """Create the output folder if needed and check that it can be written.

    Raises:
        CatalogError: naming the folder, when it cannot be created or written.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / STATE_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise CatalogError(f"cannot create output folder {folder}: {exc.strerror or exc}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CatalogError(f"output folder {folder} is not writable")
    return folder


class RecipeStore:
    """One output folder. Not thread-safe: one owner (the catalog actor) at a time."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = prepare_folder(folder)
        self.db_path = self.folder / STATE_DIR / DB_NAME
        self.last_sync = SyncReport()
        self._batch_table = False
        self._db = self._open_db()
        self.sync()

    # -- opening ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {row[0]}")
        db.execute("SELECT count(*) FROM recipes").fetchone()
        return db

    def _open_db(self) -> sqlite3.Connection:
        """Open the index; a corrupt or foreign database is set aside and rebuilt from the files."""
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self.db_path.with_name(f"{DB_NAME}.corrupt-{int(time.time())}")
            log.warning("catalog database %s is unusable (%s); rebuilding it from the files", self.db_path, exc)
            for suffix in ("", "-wal", "-shm"):
                path = Path(f"{self.db_path}{suffix}")
                if path.exists():
                    path.replace(Path(f"{aside}{suffix}"))
            self.last_sync.rebuilt = True
            return self._connect()

    def _scan(self) -> dict[str, tuple[int, int]]:
        files = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith(".tmp-"):
                    # A temp file left by a crash mid-write: the rename never happened.
                    Path(entry.path).unlink(missing_ok=True)
                elif name.endswith(SUFFIX) and not name.startswith(".") and entry.is_file():
                    stat = entry.stat()
                    files[name[: -len(SUFFIX)]] = (stat.st_mtime_ns, stat.st_size)
        return files

    def sync(self) -> SyncReport:
        """Bring the index in line with the folder, parsing only new or changed files."""
        started = time.perf_counter()
        report = SyncReport(rebuilt=self.last_sync.rebuilt)
        on_disk = self._scan()
        indexed = {
            slug: (mtime, size)
            for slug, mtime, size in self._db.execute("SELECT slug, mtime_ns, size FROM recipes")
        }
        db = self._db
        db.execute("BEGIN")
        try:
            for slug in indexed.keys() - on_disk.keys():
                db.execute("DELETE FROM recipes WHERE slug=?", (slug,))
                db.execute("DELETE FROM urls WHERE slug=?", (slug,))
                report.removed += 1
            for slug, stat in on_disk.items():
                if indexed.get(slug) == stat:
                    continue
                report.parsed += 1
                document = self._read_document(slug)
                if document is None:
                    report.corrupt.append(f"{slug}{SUFFIX}")
                    db.execute("DELETE FROM recipes WHERE slug=?", (slug,))
                    db.execute("DELETE FROM urls WHERE slug=?", (slug,))
                    continue
                self._index(slug, document, stat)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for name in report.corrupt:
            aside = self._set_aside(name)
            log.warning("%s in %s is not a valid recipe file; moved to %s", name, self.folder, aside)
        report.indexed = self.count()
        report.seconds = time.perf_counter() - started
        self.last_sync = report
        return report

    def _set_aside(self, name: str) -> Path:
        """Move a corrupt file out of the way (never delete or overwrite it)."""
        folder = self.folder / STATE_DIR / "corrupt"
        folder.mkdir(exist_ok=True)
        target = folder / name
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{name}.{n}"
        (self.folder / name).replace(target)
        return target

    def check(self, repair: bool = False) -> list[str]:
        """Verify every file against the index; with `repair`, rebuild the index from the files.

        Returns one line per problem found (before any repair).
        """
        problems: list[str] = []
        on_disk = self._scan()
        rows = {slug: (url, (mtime, size)) for slug, url, mtime, size in
                self._db.execute("SELECT slug, source_url, mtime_ns, size FROM recipes")}
        keys_by_slug: dict[str, set[str]] = {}
        for key, slug in self._db.execute("SELECT key, slug FROM urls"):
            keys_by_slug.setdefault(slug, set()).add(key)
        for slug in sorted(rows.keys() - on_disk.keys()):
            problems.append(f"{slug}{SUFFIX}: in the index but not on disk")
        owner: dict[str, str] = {}
        for slug in sorted(on_disk):
            name = f"{slug}{SUFFIX}"
            document = self._read_document(slug)
            if document is None:
                problems.append(f"{name}: not a valid recipe file")
                continue
            if document.get("slug") != slug or not is_valid_slug(slug):
                problems.append(f"{name}: its slug field is {document.get('slug')!r}")
            if slug not in rows:
                problems.append(f"{name}: on disk but not in the index")
            elif rows[slug][1] != on_disk[slug]:
                problems.append(f"{name}: changed since it was indexed")
            for key in recipe_keys(document):
                if key in owner and owner[key] != slug:
                    problems.append(f"{name}: same URL as {owner[key]}{SUFFIX} ({key})")
                owner.setdefault(key, slug)
                if slug in rows and key not in keys_by_slug.get(slug, set()) and self.lookup(key) is None:
                    problems.append(f"{name}: URL key {key} missing from the index")
        if repair:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM recipes")
            self._db.execute("DELETE FROM urls")
            self._db.execute("COMMIT")
            self.sync()
        return problems

    def _read_document(self, slug: str) -> dict[str, Any] | None:
        try:
            document = json.loads((self.folder / f"{slug}{SUFFIX}").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(document, dict) or not isinstance(document.get("source_url"), str):
            return None
        return document

    def _index(self, slug: str, document: dict[str, Any], stat: tuple[int, int]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO recipes VALUES (?, ?, ?, ?, ?)",
            (slug, document["source_url"], document.get("title"), stat[0], stat[1]),
        )
        for key in recipe_keys(document):
            self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (key, slug))

    # -- queries ---------------------------------------------------------------------------
    def lookup(self, key: str) -> str | None:
        row = self._db.execute("SELECT slug FROM urls WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def slug_taken(self, slug: str) -> bool:
        if self._db.execute("SELECT 1 FROM recipes WHERE slug=?", (slug,)).fetchone():
            return True
        return (self.folder / f"{slug}{SUFFIX}").exists()

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM recipes").fetchone()[0]

    def list_recipes(self) -> Iterator[tuple[str, str | None, str]]:
        yield from self._db.execute("SELECT slug, title, source_url FROM recipes ORDER BY slug")

    def read(self, slug: str) -> dict[str, Any] | None:
        if not is_valid_slug(slug):
            return None
        return self._read_document(slug)

    # -- writing ---------------------------------------------------------------------------
    def write(self, slug: str, document: dict[str, Any], extra_keys: list[str] = ()) -> None:
        """Write `<slug>.recipe.json` atomically and index it under its URL keys."""
        if not is_valid_slug(slug):
            raise SaveFailed(f"refusing to write an invalid slug {slug!r}", stage="save")
        path = self.folder / f"{slug}{SUFFIX}"
        data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        tmp_name = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".tmp-{slug}-", dir=self.folder)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
            tmp_name = None
            dir_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            stat = path.stat()
        except OSError as exc:
            raise SaveFailed(f"cannot write {path}: {exc.strerror or exc}", stage="save") from exc
        finally:
            if tmp_name:
                Path(tmp_name).unlink(missing_ok=True)
        self._db.execute("BEGIN")
        self._index(slug, document, (stat.st_mtime_ns, stat.st_size))
        for key in extra_keys:
            self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (key, slug))
        self._db.execute("COMMIT")

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
        self._db.execute("INSERT OR REPLACE INTO urls VALUES (?, ?)", (key, slug))

    def close(self) -> None:
        self._db.close()
