"""The output folder's recipe files: making the folder, listing, reading and writing them.

`<slug>.recipe.json` files are the truth that the index (store.py) follows; this module knows
their names and their JSON, not the index. Writes are atomic (atomic.py). It changes when the
file format or the folder's layout does, the store when the index does.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .atomic import is_stale_temp, write_atomically
from .errors import CatalogError, SaveFailed

SUFFIX = ".recipe.json"
STATE_DIR = ".ray-import"


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


def scan_folder(folder: Path, *, remove_stale_temps: bool) -> dict[str, tuple[int, int]]:
    """The recipe files in `folder`: stem → (mtime_ns, size).

    With `remove_stale_temps` (a writer), our temp files left by a crash mid-write are removed
    once they are old enough that no write can still be using them; a reader removes nothing.
    """
    files = {}
    now = time.time()
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                if remove_stale_temps and is_stale_temp(entry, now):
                    Path(entry.path).unlink(missing_ok=True)
            elif name.endswith(SUFFIX) and entry.is_file():
                stat = entry.stat()
                files[name[: -len(SUFFIX)]] = (stat.st_mtime_ns, stat.st_size)
    return files


def read_document(folder: Path, stem: str) -> dict[str, Any] | None:
    """The parsed `<stem>.recipe.json`; None when it is unreadable or not a recipe document."""
    try:
        document = json.loads((folder / f"{stem}{SUFFIX}").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("source_url"), str):
        return None
    return document


def write_document(folder: Path, slug: str, document: dict[str, Any]) -> os.stat_result:
    """Write `<slug>.recipe.json`: temp file in the folder, fsync, rename, fsync of the folder.

    Raises:
        OSError: from the file system; SaveFailed: the document is not valid JSON.
    """
    path = folder / f"{slug}{SUFFIX}"
    try:
        # allow_nan=False: NaN/Infinity are not JSON and the app's parser rejects them; the
        # models make numbers finite, this is the last line of defence (issue 13, item 3).
        # A lone surrogate fails the UTF-8 encoding, also a ValueError.
        data = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False).encode("utf-8") + b"\n"
    except (ValueError, TypeError) as exc:
        raise SaveFailed(f"refusing to write {path}: not valid JSON ({exc})", stage="save") from exc
    return write_atomically(path, data)
