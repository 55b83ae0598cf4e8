"""The raw-page archive's cost on the dev corpus (issue 18, item 1): bytes per page, CPU per page.

Every page of `../shared/corpus` is compressed at a few zstd levels (CPU time per page, median of
REPEATS, `time.process_time`), and written once through `PageArchive` at the level the archive
uses, so the figure includes what the file system really spends (allocated blocks, the 256
fan-out folders). No Ray, no HTTP: this measures the archive alone.

    python benchmarks/bench_archive.py [REPEATS]      # prints a table and one JSON line
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
LEVELS = (1, 3, 9, 19)


def _pages() -> list[bytes]:
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text("utf-8").splitlines() if line.strip()]
    return [(CORPUS / row["html"]).read_bytes() for row in rows]


def _cpu_per_page(fn, items, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        started = time.process_time()
        for item in items:
            fn(item)
        runs.append((time.process_time() - started) / len(items))
    return statistics.median(runs)


def measure(repeats: int = 3) -> dict:
    sys.path.insert(0, str(HERE.parent))
    from ray_import.archive import LEVEL, PageArchive, compress, decompress

    pages = _pages()
    raw = [len(page) for page in pages]
    result: dict = {"pages": len(pages), "raw_bytes_mean": round(statistics.mean(raw)),
                    "raw_bytes_median": round(statistics.median(raw)), "levels": {}}
    for level in LEVELS:
        blobs = [compress(page, level) for page in pages]
        sizes = [len(blob) for blob in blobs]
        result["levels"][level] = {
            "bytes_mean": round(statistics.mean(sizes)),
            "bytes_median": round(statistics.median(sizes)),
            "ratio": round(sum(raw) / sum(sizes), 2),
            # Level 19 takes ~0.1 s a page: once is enough to show it does not pay.
            "compress_ms": round(_cpu_per_page(lambda p, lv=level: compress(p, lv), pages,
                                               1 if level > 9 else repeats) * 1000, 3),
            "decompress_ms": round(_cpu_per_page(decompress, blobs, repeats) * 1000, 3),
        }
    with tempfile.TemporaryDirectory() as folder:
        archive = PageArchive(folder)
        for page in pages:
            archive.put(page)
        files = [path for _, path in archive.hashes()]
        allocated = sum(path.stat().st_blocks * 512 for path in files)
        result["archive"] = {"level": LEVEL, "files": len(files),
                             "disk_bytes_per_page": round(allocated / len(files)),
                             "file_bytes_per_page": round(sum(p.stat().st_size for p in files) / len(files))}
    return result


def main() -> None:
    if not (CORPUS / "manifest.jsonl").is_file():
        print("skipped: ../shared/corpus is absent")
        return
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    r = measure(repeats)
    print(f"{r['pages']} corpus pages, raw {r['raw_bytes_mean'] / 1000:.0f} kB mean, "
          f"{r['raw_bytes_median'] / 1000:.0f} kB median")
    print("| zstd level | bytes/page (mean) | median | ratio | compress ms/page | decompress ms/page |")
    print("|---|---|---|---|---|---|")
    for level, row in r["levels"].items():
        print(f"| {level} | {row['bytes_mean']:,} | {row['bytes_median']:,} | {row['ratio']}x "
              f"| {row['compress_ms']} | {row['decompress_ms']} |")
    a = r["archive"]
    print(f"archive (level {a['level']}): {a['files']} files, {a['file_bytes_per_page']:,} bytes/page in files, "
          f"{a['disk_bytes_per_page']:,} bytes/page allocated on disk")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
