"""Baseline for the throughput benchmark: what a user would write without ray-import.

One process, one loop: fetch each page with httpx (through the same proxy, one at a time), hand
the HTML to recipe-scrapers' `scrape_html(html, org_url=url, supported_only=False)`, and write
one JSON file per page (`scraper.to_json()`). No ingredient parsing, no catalog, no retries: it
does less work per page than ray-import, so ratios against it are conservative for ray-import.

Usage:
    python benchmarks/baselines/sequential.py URLS_FILE --out DIR [--proxy http://127.0.0.1:PORT]
Prints one JSON line: {"pages", "ok", "failed", "seconds", "first_result_s"}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path

STARTED = time.perf_counter()

import httpx  # noqa: E402 - imports are part of what the baseline costs
from recipe_scrapers import scrape_html  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("--out", required=True)
    parser.add_argument("--proxy")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    urls = [line.strip() for line in open(args.urls, encoding="utf-8-sig")
            if line.strip() and not line.lstrip().startswith("#")]
    ok = failed = 0
    first = None
    with httpx.Client(proxy=args.proxy, timeout=30, follow_redirects=True) as client:
        for url in urls:
            try:
                response = client.get(url)
                response.raise_for_status()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    data = scrape_html(response.text, org_url=url, supported_only=False).to_json()
                name = hashlib.sha1(url.encode()).hexdigest()[:16]
                (out / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
                ok += 1
            except Exception as exc:  # noqa: BLE001 - a user's loop logs and goes on
                print(f"{url}: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
                failed += 1
            if first is None:
                first = time.perf_counter() - STARTED
    print(json.dumps({"pages": len(urls), "ok": ok, "failed": failed,
                      "seconds": round(time.perf_counter() - STARTED, 3),
                      "first_result_s": round(first or 0.0, 3)}))


if __name__ == "__main__":
    main()
