"""Diagnostic for the throughput benchmark: ray-import's own per-page steps, in one process.

The same pages through `scraper.fetch.fetch`, `scraper.extract.extract` and `scraper.enrich.enrich`
one after the other, without Ray, the catalog or files, with the GC settings of ray-import's
workers (`ray_import.worker_setup`). It separates the two reasons ray-import can
be slower than the recipe-scrapers baseline: its steps doing more work per page (this script's
step sums vs the baseline's CPU) and running them under Ray (these sums vs the same steps' sums in
ray-import's report).

Usage:
    python benchmarks/baselines/steps_inline.py URLS_FILE --proxy http://127.0.0.1:PORT
Prints one JSON line: {"pages", "ok", "failed", "seconds", "step_totals_s", "cpu_s"}.
"""

from __future__ import annotations

import argparse
import json
import time

STARTED = time.perf_counter()

from ray_import.worker_setup import setup as worker_setup  # noqa: E402
from scraper.enrich import enrich  # noqa: E402
from scraper.extract import extract  # noqa: E402
from scraper.fetch import fetch  # noqa: E402
from scraper.settings import EnrichSettings, FetchSettings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("--proxy", required=True)
    args = parser.parse_args()
    worker_setup()  # the GC settings ray-import's workers run with (issue 15), for a like-for-like split
    urls = [line.strip() for line in open(args.urls, encoding="utf-8-sig")
            if line.strip() and not line.lstrip().startswith("#")]
    fetch_settings = FetchSettings(proxy=args.proxy, per_host_interval_s=0)
    enrich_settings = EnrichSettings()
    totals = {"fetch": 0.0, "extract": 0.0, "enrich": 0.0}
    ok = failed = 0
    cpu0 = time.process_time()
    for url in urls:
        try:
            t0 = time.perf_counter()
            page = fetch(url, fetch_settings)
            t1 = time.perf_counter()
            recipe = extract(page)
            t2 = time.perf_counter()
            enrich(recipe, page, enrich_settings)
            t3 = time.perf_counter()
        except Exception:  # noqa: BLE001 - a page that fails is counted, not fatal
            failed += 1
            continue
        totals["fetch"] += t1 - t0
        totals["extract"] += t2 - t1
        totals["enrich"] += t3 - t2
        ok += 1
    print(json.dumps({"pages": len(urls), "ok": ok, "failed": failed,
                      "seconds": round(time.perf_counter() - STARTED, 3),
                      "cpu_s": round(time.process_time() - cpu0, 3),
                      "step_totals_s": {k: round(v, 3) for k, v in totals.items()}}))


if __name__ == "__main__":
    main()
