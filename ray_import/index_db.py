"""The SQLite side of a RecipeStore: opening its index for writing or as a read-only snapshot,
and telling a corrupt database from a full disk. No Ray, no recipe files here.

Why the distinction matters (issue 13, item 9): a database that SQLite calls corrupt, or that is
not ours, is set aside and rebuilt from the files; one that fails because the disk is full, an
I/O error or a lock is left exactly as it is, since the index it holds (aliases included) is
still good once the cause is gone.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from scraper.fingerprint import FINGERPRINT_VERSION

from . import archive_index
from .errors import ForeignIndexError

SCHEMA_VERSION = "1"
# Bumped whenever recipe_keys changes, so an index built under the old rule is rebuilt from the
# files (2: a canonical URL on another site is no longer a key).
KEYS_VERSION = "2"
NO_SPACE = {errno.ENOSPC, errno.EDQUOT}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipes (
    slug TEXT PRIMARY KEY, source_url TEXT NOT NULL, title TEXT,
    mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, fingerprint TEXT);
CREATE TABLE IF NOT EXISTS urls (key TEXT PRIMARY KEY, slug TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS urls_slug ON urls (slug);
"""


def prepare(db: sqlite3.Connection) -> sqlite3.Connection:
    """Create the tables if needed and check the versions.

    Raises:
        ForeignIndexError: another schema version.
        sqlite3.Error: as SQLite raises it (corrupt, full, I/O...).
    """
    db.executescript(_SCHEMA)
    versions = dict(db.execute("SELECT key, value FROM meta"))
    if versions.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ForeignIndexError(f"schema version {versions['schema_version']}")
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
    if versions.get("keys_version") != KEYS_VERSION:
        # Keys made under another rule may be wrong (a foreign canonical URL): re-derive them all
        # from the files; the store's sync() then parses every file once.
        db.execute("BEGIN")
        db.execute("DELETE FROM recipes")
        db.execute("DELETE FROM urls")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('keys_version', ?)", (KEYS_VERSION,))
        db.execute("COMMIT")
    _prepare_fingerprints(db, versions.get("fingerprint_version"))
    # What each URL's fetch said (issue 18): additive, and kept by every rebuild above (the
    # recipe files cannot give it back in full: archive_index.py).
    archive_index.ensure_schema(db)
    db.execute("SELECT count(*) FROM recipes").fetchone()
    return db


def _prepare_fingerprints(db: sqlite3.Connection, version: str | None) -> None:
    """Each recipe's fingerprint (scraper/fingerprint.py), which the catalog dedups by (issue 18).

    An index made before them (or under another FINGERPRINT_VERSION) forgets its recipe rows,
    not its URL keys (aliases stay): the store's sync() then parses every file once, and
    indexes each one's fingerprint as it does for a new file.
    """
    if "fingerprint" not in {row[1] for row in db.execute("PRAGMA table_info(recipes)")}:
        db.execute("ALTER TABLE recipes ADD COLUMN fingerprint TEXT")
    if version != str(FINGERPRINT_VERSION):
        db.execute("BEGIN")
        db.execute("DELETE FROM recipes")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint_version', ?)", (str(FINGERPRINT_VERSION),))
        db.execute("COMMIT")
    db.execute("CREATE INDEX IF NOT EXISTS recipes_fingerprint ON recipes (fingerprint)")


def connect(path: Path) -> sqlite3.Connection:
    """The writer's connection (WAL)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return prepare(db)
    except BaseException:
        db.close()
        raise


def memory() -> sqlite3.Connection:
    return prepare(sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False))


def reader(path: Path) -> sqlite3.Connection:
    """A read-only connection beside the catalog actor, which writes: it reads through the WAL
    (the last run's rows are there until a checkpoint), and in WAL mode it never blocks the writer.
    For writing commands only: unlike `snapshot`, it may create the -shm file."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def snapshot(path: Path) -> tuple[sqlite3.Connection, str]:
    """The index at `path` copied into memory, and why it could not be read ("" when it could).

    A reader must not write, lock or create anything in the folder (issue 13, item 1): a plain
    read-only connection to a WAL database creates its -wal and -shm files. `immutable=1` reads
    the file as it stands and ignores a running writer's WAL; whatever the copy misses, the
    store's sync() catches up from the recipe files, as for any stale index.
    """
    if not path.is_file():
        return memory(), ""
    copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        disk = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            disk.backup(copy)
        finally:
            disk.close()
        return prepare(copy), ""
    except (sqlite3.Error, ForeignIndexError) as exc:
        copy.close()
        return memory(), str(exc)


def is_corrupt(exc: BaseException) -> bool:
    """Only what SQLite calls corrupt, or a database that is not ours, may be set aside."""
    if isinstance(exc, ForeignIndexError):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def no_space(exc: BaseException, folder: Path) -> bool:
    """The disk is full: SQLite says so, or fails to grow a file on a disk with no room left
    (a full tmpfs answers SQLITE_IOERR_SHMSIZE, not SQLITE_FULL)."""
    if isinstance(exc, OSError):
        return exc.errno in NO_SPACE
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return False
    if code & 0xFF == sqlite3.SQLITE_FULL:
        return True
    if code & 0xFF != sqlite3.SQLITE_IOERR:
        return False
    try:
        fs = os.statvfs(folder)
    except OSError:
        return False
    return fs.f_bavail * fs.f_frsize < 64 * 1024


def rollback(db: sqlite3.Connection) -> None:
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # SQLite may have rolled back on its own (it does on SQLITE_FULL)
