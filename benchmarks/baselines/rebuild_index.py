"""Baseline for the catalog benchmark: the old importer's URL index, rebuilt by reading every file.

The old importer answered "is this URL imported already?" by reading and parsing every saved
recipe to build a URL → slug dict, on every request. This does exactly that once: list the
folder, json-parse each `*.recipe.json`, map its `source_url` and `canonical_url` to its slug
(as written, without normalising: cheaper than ray-import's keys, so the comparison is
conservative).

Usage:
    python benchmarks/baselines/rebuild_index.py FOLDER
Prints one JSON line: {"files", "urls", "seconds", "maxrss_mb"}.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

SUFFIX = ".recipe.json"


def rebuild(folder: Path) -> tuple[dict[str, str], int]:
    index: dict[str, str] = {}
    files = 0
    for path in folder.glob(f"*{SUFFIX}"):
        files += 1
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        slug = path.name[: -len(SUFFIX)]
        for key in ("source_url", "canonical_url"):
            if isinstance(document.get(key), str):
                index[document[key]] = slug
    return index, files


def main() -> None:
    folder = Path(sys.argv[1])
    started = time.perf_counter()
    index, files = rebuild(folder)
    seconds = time.perf_counter() - started
    print(json.dumps({"files": files, "urls": len(index), "seconds": round(seconds, 3),
                      "maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == "__main__":
    main()
