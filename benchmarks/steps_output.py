"""Output guard for CPU work on the steps (issue 15): extract + enrich of every corpus page, dumped.

Runs `scraper.extract.extract` and `scraper.enrich.enrich` on each page of the corpus manifest,
from the saved HTML (no fetch, no Ray), and writes each resulting document as canonical JSON
(sorted keys, without the fetch/import timestamps) to one file per page. Two dumps taken before
and after a change to the steps must be byte-for-byte equal: `--compare REF_DIR` says which pages
differ and in which fields. Also prints the CPU seconds of the steps, the figure issue 15 tracks.

Usage:
    python benchmarks/steps_output.py OUT_DIR [--compare REF_DIR] [--repeat N] [--profile FILE] [--gc]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CORPUS = REPO.parent / "shared" / "corpus"

from scraper.enrich import enrich  # noqa: E402
from scraper.errors import PageError  # noqa: E402
from scraper.extract import extract  # noqa: E402
from scraper.models import FetchedPage  # noqa: E402
from scraper.settings import EnrichSettings  # noqa: E402

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def pages(manifest: Path) -> list[tuple[str, FetchedPage]]:
    """(id, page) for each manifest line, as the fetch step would have built it."""
    out = []
    for line in manifest.read_text("utf-8").splitlines():
        entry = json.loads(line)
        body = (manifest.parent / entry["html"]).read_bytes()
        out.append((entry["id"], FetchedPage(
            url=entry["url"], final_url=entry["url"], status=200, content_type="text/html; charset=utf-8",
            encoding="utf-8", html=body.decode("utf-8"), content_sha256=hashlib.sha256(body).hexdigest(),
            fetched_at=EPOCH,
        )))
    return out


def document(page: FetchedPage, settings: EnrichSettings) -> dict:
    try:
        enriched = enrich(extract(page), page, settings)
    except PageError as exc:
        return {"error": type(exc).__name__, "message": exc.message}
    doc = enriched.to_document(slug="")
    doc["provenance"].pop("imported_at")  # the only clock value: fetched_at is EPOCH
    return doc


def warm_up() -> None:
    """Load the NLP model and the parsers before timing: a worker pays that once, not per page."""
    from scraper.enrich import _nlp_parser

    if (parse := _nlp_parser()) is not None:
        parse("1 warm-up line")


def run(items: list[tuple[str, FetchedPage]], out: Path | None) -> float:
    settings = EnrichSettings()
    cpu = time.process_time()
    docs = [(page_id, document(page, settings)) for page_id, page in items]
    cpu = time.process_time() - cpu
    if out is not None:
        for page_id, doc in docs:
            path = out / f"{page_id.replace('/', '__')}.json"
            path.write_text(json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return cpu


def compare(out: Path, ref: Path) -> int:
    differ = 0
    for path in sorted(ref.glob("*.json")):
        mine = out / path.name
        if not mine.exists() or mine.read_bytes() != path.read_bytes():
            differ += 1
            a = json.loads(path.read_text("utf-8"))
            b = json.loads(mine.read_text("utf-8")) if mine.exists() else {}
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            print(f"DIFFERS {path.stem}: {fields}")
    print(f"{differ} of {len(list(ref.glob('*.json')))} pages differ")
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="more passes over the pages (CPU only)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first pass")
    parser.add_argument("--manifest", type=Path, default=CORPUS / "manifest.jsonl")
    parser.add_argument("--gc", action="store_true", help="the GC settings of ray-import's workers")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    items = pages(args.manifest)
    if args.gc:
        from ray_import.worker_setup import setup

        setup()
    warm_up()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
    cpus = [run(items, args.out)]
    if args.profile:
        profiler.disable()
        profiler.dump_stats(str(args.profile))
    cpus += [run(items, None) for _ in range(args.repeat - 1)]
    print(json.dumps({"pages": len(items), "cpu_s": [round(c, 2) for c in cpus]}))
    if args.compare and compare(args.out, args.compare):
        sys.exit(1)


if __name__ == "__main__":
    main()
