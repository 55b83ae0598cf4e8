"""Atomic writes into the output folder, and the temp files they leave when a process dies.

A recipe file is written as a temp file in the same folder, fsynced, renamed over its name, and
the folder fsynced, so a reader never sees half a file. Our temp files are named
`.tmp-<slug>-<12 hex>.ray-import`; cleanup removes only names of that shape, and only once they
are TEMP_MAX_AGE_S old: a younger one may be another process's write in progress (issue 13,
item 1: opening a folder used to delete every `.tmp-*` file in it, someone else's included).
Files are created 0o666 less the umask, like any file a program writes (item 17: mkstemp's
0o600 is meant for secrets, and made recipe files unreadable to the app's other users).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from pathlib import Path

TEMP_SUFFIX = ".ray-import"
TEMP_MAX_AGE_S = 3600.0
_TEMP_NAME = re.compile(r"\.tmp-[a-z0-9-]+-[0-9a-f]{12}" + re.escape(TEMP_SUFFIX))
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> os.stat_result:
    """Replace `path` with `data` (temp file, fsync, rename, fsync of the folder).

    `durable=False` skips both fsyncs (~7 ms a file here): still atomic (a reader sees the old
    file or the new one, never half), but a power cut may lose the new file or leave it empty.
    Only for files whose loss a check finds and a later run makes good (archived pages).

    Raises:
        OSError: from the file system; no temp file is left behind.
    """
    fd, tmp = _create_temp(path.parent, path.name.split(".", 1)[0])
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
        if not durable:
            return path.stat()
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return path.stat()
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)


def _create_temp(folder: Path, stem: str) -> tuple[int, str]:
    for _ in range(16):
        name = str(folder / f".tmp-{stem}-{secrets.token_hex(6)}{TEMP_SUFFIX}")
        try:
            return os.open(name, _FLAGS, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temp file name", str(folder))


def is_stale_temp(entry: os.DirEntry[str], now: float) -> bool:
    """One of our temp files, old enough that no write can still be using it."""
    if not _TEMP_NAME.fullmatch(entry.name):
        return False
    try:
        return now - entry.stat(follow_symlinks=False).st_mtime > TEMP_MAX_AGE_S
    except OSError:
        return False
