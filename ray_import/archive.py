"""The raw-page archive: every fetched page's bytes, compressed, stored once by their SHA-256.

Why keep them (issue 18): an extraction fix, a recipe-scrapers upgrade or a better ingredient
parser helps only pages fetched after it lands, unless the pages already imported can be read
again. `ray-import reprocess` reads them from here, with no request to any site.

Layout: `<out>/.ray-import/pages/<sha256[:2]>/<sha256>.zst`, one zstd frame of the body exactly as
the site sent it (after HTTP content decoding), so the name is `provenance.content_sha256` of the
recipes made from it, and `zstd -d` reads a file by hand. The 256-way fan-out keeps folders small
(100 000 pages: ~400 files a folder). The frame carries its size and a checksum, so truncation
and bit rot are found by zstd itself; the name is checked against the content on top.

Writes are atomic (atomic.py: temp file, rename): a reader finds the page whole or absent. They
are not fsynced: a fsync costs ~7 ms here, as much as the recipe's own save, and it would halve
what the catalog saves per second. A power cut may lose a page written just before it, or leave
it empty; `ray-import check` finds it (missing, truncated, not its hash) and `--repair` drops its
row, so the URL is fetched and archived again by the next run, and an empty file is written
again by the next `put` of the page. The same bytes are written once: a page already present is
not written again (two writers of the same name write the same bytes, so the race is harmless). What each URL's fetch
said (status, headers, time) lives in the catalog index, not here (archive_index.py).

No Ray here; `compress` runs in the task that parsed the page, on any node (so a fifth of its
bytes travel to the catalog's node, with the recipe's save), and `PageArchive` in the catalog
actor, where the output folder is.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from .atomic import is_stale_temp, write_atomically
from .errors import ArchivedPageCorrupt, PageNotArchived

STATE_DIR = ".ray-import"  # the store's (store.STATE_DIR), repeated to keep this module light
PAGES_DIR = "pages"
SUFFIX = ".zst"
#: On by default: a page costs about a fifth of its size (dev corpus: 308 kB raw, 58 kB stored,
#: 60 kB allocated on disk: benchmarks/bench_archive.py), and without the pages `reprocess` has
#: nothing to read, so every later fix would need a new crawl of every site.
ARCHIVE_DEFAULT = True
#: zstd level 3 (zstd's own default): 0.8 ms of CPU a page. Level 9 stores 9 % less for 4x the
#: CPU, level 19 14 % less for 130x; the import spends it on every page.
LEVEL = 3
#: Largest page `decompress` inflates: a frame that declares more is corrupt (the fetch step
#: never keeps a body over `fetch.max_bytes`, 10 MB by default), not an allocation to attempt.
MAX_PAGE_BYTES = 256 * 1024 * 1024
_NAME = re.compile(r"[0-9a-f]{64}")


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def compress(body: bytes, level: int = LEVEL) -> bytes:
    """One zstd frame of `body`, with its size and a checksum in the frame."""
    compressor = zstandard.ZstdCompressor(level=level, write_checksum=True, write_content_size=True)
    return compressor.compress(body)


def decompress(blob: bytes) -> bytes:
    """The body in `blob`.

    Raises:
        ValueError: not one complete zstd frame (truncated, bit rot, not zstd), or one that
            declares no size or more than MAX_PAGE_BYTES.
    """
    try:
        size = zstandard.frame_content_size(blob)
    except zstandard.ZstdError as exc:
        raise ValueError(f"not a zstd frame ({exc})") from None
    if size < 0 or size > MAX_PAGE_BYTES:
        raise ValueError(f"zstd frame declares {'no' if size < 0 else size} content size")
    try:
        return zstandard.ZstdDecompressor().decompress(blob)
    except zstandard.ZstdError as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class Stored:
    """What `put` did: the page's hash, its size raw and on disk, whether it was new."""

    sha256: str
    size: int
    stored_size: int
    new: bool


@dataclass
class ArchiveCheck:
    """What `verify` found: one line per problem, the hashes concerned, and the totals."""

    problems: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    corrupt: set[str] = field(default_factory=set)
    pages: int = 0
    stored_bytes: int = 0
    unreferenced: int = 0

    @property
    def broken(self) -> set[str]:
        """The hashes whose page cannot be read back: their index rows must go."""
        return self.missing | self.corrupt


class PageArchive:
    """The page store of one output folder. Thread-safe: every write is a rename of its own file.

    Example:
        >>> archive = PageArchive(Path("recipes"))
        >>> stored = archive.put(b"<html>...</html>")
        >>> archive.get(stored.sha256)
        b'<html>...</html>'
    """

    def __init__(self, folder: Path | str, *, readonly: bool = False) -> None:
        self.root = Path(folder) / STATE_DIR / PAGES_DIR
        self.readonly = readonly

    def path(self, sha256: str) -> Path:
        if not _NAME.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / f"{sha256}{SUFFIX}"

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, body: bytes) -> Stored:
        """Archive `body` unless the same bytes already are.

        Raises:
            OSError: from the file system (a full disk: ENOSPC); nothing half-written is left.
        """
        sha = sha256_hex(body)
        return self._write(sha, len(body), lambda: compress(body))

    def put_compressed(self, sha256: str, blob: bytes, *, size: int | None = None) -> Stored:
        """Archive a page `compress`ed elsewhere (by the task that parsed it).

        Without `size` the blob is inflated and hashed first: bytes that went wrong are refused,
        never stored under a name they do not hash to. The catalog passes the size the task
        measured instead, and only the frame's header is checked against it: inflating and
        hashing every page (~0.4 ms) would be done by the one actor every save waits on, for
        bytes that Ray carried intact; `verify` checks them all later.

        Raises:
            ValueError: `blob` is not a zstd frame (of `size` bytes, or hashing to `sha256`).
            OSError: from the file system.
        """
        if size is None:
            body = decompress(blob)
            if sha256_hex(body) != sha256:
                raise ValueError(f"compressed page does not hash to {sha256}")
            size = len(body)
        else:
            try:
                declared = zstandard.frame_content_size(blob)
            except zstandard.ZstdError as exc:
                raise ValueError(f"not a zstd frame ({exc})") from None
            if declared != size:
                raise ValueError(f"zstd frame declares {declared} bytes, not {size}")
        return self._write(sha256, size, lambda: blob)

    def _write(self, sha: str, size: int, blob: Callable[[], bytes]) -> Stored:
        path = self.path(sha)
        try:
            if (stored := path.stat().st_size) > 0:  # an empty one is a power cut's: write it again
                return Stored(sha, size, stored, new=False)
        except FileNotFoundError:
            pass
        if self.readonly:
            raise PermissionError(f"{self.root} is open read-only")
        path.parent.mkdir(parents=True, exist_ok=True)
        stat = write_atomically(path, blob(), durable=False)
        return Stored(sha, size, stat.st_size, new=True)

    def get(self, sha256: str, url: str = "") -> bytes:
        """The page's bytes, checked against their hash.

        Raises:
            PageNotArchived: no such page.
            ArchivedPageCorrupt: truncated, not zstd, or not hashing to its name.
        """
        path = self.path(sha256)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise PageNotArchived(f"page {sha256[:12]} is not in the archive", url=url,
                                  stage="archive") from None
        except OSError as exc:
            raise ArchivedPageCorrupt(f"cannot read {path}: {exc.strerror or exc}", url=url,
                                      stage="archive") from exc
        try:
            body = decompress(blob)
        except ValueError as exc:
            raise ArchivedPageCorrupt(f"{path} is corrupt: {exc}", url=url, stage="archive") from None
        if sha256_hex(body) != sha256:
            raise ArchivedPageCorrupt(f"{path} does not hash to its name", url=url, stage="archive")
        return body

    def hashes(self) -> Iterator[tuple[str, Path]]:
        """(hash, path) of every page file; temp files and foreign names are not pages."""
        if not self.root.is_dir():
            return
        for bucket in sorted(self.root.iterdir()):
            if not bucket.is_dir():
                continue
            for entry in sorted(bucket.iterdir(), key=lambda p: p.name):
                name = entry.name
                sha = name[: -len(SUFFIX)]
                if name.endswith(SUFFIX) and _NAME.fullmatch(sha) and sha[:2] == bucket.name:
                    yield sha, entry

    def verify(self, referenced: Mapping[str, int] | Iterable[str], deep: bool = True) -> ArchiveCheck:
        """Check every page the index refers to, and every page file, against its name.

        `referenced` maps each hash an index row needs to the stored size the row recorded (0:
        unknown). `deep` inflates and hashes each file (~10 s per 100 000 pages); without it a
        file is checked by its size and frame header only, which finds a truncated file but not
        one altered in place. A file no row refers to is counted, not a problem: the page of a
        URL fetched again since, useless but harmless (`prune` removes them).
        """
        check = ArchiveCheck()
        wanted = dict(referenced) if isinstance(referenced, Mapping) else dict.fromkeys(referenced, 0)
        seen = set()
        for sha, path in self.hashes():
            seen.add(sha)
            check.pages += 1
            try:
                blob = path.read_bytes()
                check.stored_bytes += len(blob)
                if deep and sha256_hex(decompress(blob)) != sha:
                    raise ValueError("its content does not hash to its name")
                if wanted.get(sha) and wanted[sha] != len(blob):
                    raise ValueError(f"{len(blob)} bytes where the index says {wanted[sha]}")
                zstandard.get_frame_parameters(blob)
            except (OSError, ValueError, zstandard.ZstdError) as exc:
                why = exc.strerror if isinstance(exc, OSError) else exc
                check.problems.append(f"{self._shown(path)}: archived page is corrupt ({why})")
                check.corrupt.add(sha)
            if sha not in wanted:
                check.unreferenced += 1
        for sha in sorted(wanted.keys() - seen):
            check.problems.append(f"{self._shown(self.path(sha))}: in the index but not in the archive")
            check.missing.add(sha)
        return check

    def set_aside(self, sha256: str) -> Path | None:
        """Move a broken page file to `.ray-import/corrupt/pages/` (never deleted); a writer's act."""
        if self.readonly:
            raise PermissionError(f"{self.root} is open read-only")
        path = self.path(sha256)
        if not path.exists():
            return None
        folder = self.root.parent / "corrupt" / PAGES_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{path.name}.{n}"
        path.replace(target)
        return target

    def prune(self, keep: Iterable[str]) -> int:
        """Delete the page files whose hash is not in `keep`, and stale temp files.

        Returns how many pages were deleted.
        """
        if self.readonly:
            raise PermissionError(f"{self.root} is open read-only")
        keep = set(keep)
        removed = 0
        for sha, path in list(self.hashes()):
            if sha not in keep:
                path.unlink(missing_ok=True)
                removed += 1
        self.clean_temps()
        return removed

    def clean_temps(self, now: float | None = None) -> int:
        """Remove our temp files left by a crash mid-write (only stale ones: atomic.py)."""
        now = time.time() if now is None else now
        removed = 0
        if not self.root.is_dir():
            return 0
        for bucket in self.root.iterdir():
            if not bucket.is_dir():
                continue
            with os.scandir(bucket) as entries:
                for entry in entries:
                    if is_stale_temp(entry, now):
                        Path(entry.path).unlink(missing_ok=True)
                        removed += 1
        return removed

    def _shown(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent.parent))
