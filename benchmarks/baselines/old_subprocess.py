"""The old architecture: one Python subprocess per recipe, each running the whole pipeline.

What the cooking app's importer did behind its web server: for every recipe, start a fresh
Python process that imports the scraping stack (recipe-scrapers, extruct, ingredient-parser-nlp,
an HTTP client, the LLM client: ~2-3 CPU-seconds each on this machine), fetches the page, calls
the LLM on it (the old system structured every recipe with the LLM), enriches and writes the
file. Concurrency is a semaphore (`-c 8`, its plan) or none at all (`-c 50`, what it did).
The child runs the same steps as ray-import (the `scraper` package), so only the design differs.

    python benchmarks/baselines/old_subprocess.py URLS_FILE --out DIR -c 8 --base-url URL [--proxy P]
Prints one JSON line: {"ok", "failed", "processing_s"}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

CHILD = r"""
import asyncio, json, sys
from pathlib import Path
import openai
from scraper.enrich import enrich
from scraper.errors import PageError
from scraper.fetch import fetch
from scraper.readable import page_text
from scraper.settings import FetchSettings, LLMSettings
from scraper.structure import structure

url, out, base_url, proxy = sys.argv[1:5]
llm = LLMSettings(base_url=base_url, model="fake-recipe-llm", max_attempts=30, backoff_max_s=2)
try:
    page = fetch(url, FetchSettings(proxy=proxy or None, per_host_interval_s=0))
    async def ask():
        client = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0)
        try:
            return await structure(page_text(page.html, 24000), client=client, settings=llm)
        finally:
            await client.close()
    recipe, _ = asyncio.run(ask())
    enriched = enrich(recipe, page)
except PageError as exc:
    sys.exit(3)
name = url.rstrip("/").rsplit("/", 1)[-1] or "index"
Path(out, f"{abs(hash(url))}-{name[:40]}.recipe.json").write_text(enriched.model_dump_json())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("--out", required=True)
    parser.add_argument("-c", "--concurrency", type=int, default=8)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--proxy", default="")
    args = parser.parse_args()
    urls = [u.strip() for u in Path(args.urls).read_text().splitlines() if u.strip()]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    gate = threading.Semaphore(args.concurrency)
    results: list[int] = []

    def one(url: str) -> None:
        with gate:
            done = subprocess.run([sys.executable, "-c", CHILD, url, args.out, args.base_url, args.proxy],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            results.append(done.returncode)

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(u,)) for u in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = sum(1 for rc in results if rc == 0)
    print(json.dumps({"ok": ok, "failed": len(results) - ok,
                      "processing_s": round(time.monotonic() - started, 2)}))


if __name__ == "__main__":
    main()
