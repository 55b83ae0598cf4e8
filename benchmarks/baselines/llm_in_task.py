"""The naive design: the LLM call made inside the per-recipe Ray task.

Each URL is one Ray task that fetches, finds no structured data, and calls the LLM itself,
waiting for the answer while holding its worker process. To let 64 such waits run at once on
2 CPUs, the task asks for 1/32 of a CPU (what a user does when "the tasks are only waiting"), so
Ray starts one worker process per waiting recipe. Same steps and same code as ray-import
(scraper.fetch / extract / readable / structure / enrich), so only the design differs.

    python benchmarks/baselines/llm_in_task.py URLS_FILE --out DIR --base-url URL --model M
Prints one JSON line: {"ok", "failed", "processing_s"} (processing: after ray.init, to the end).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import openai
import ray

from scraper.enrich import enrich
from scraper.errors import NotARecipe, PageError
from scraper.extract import extract
from scraper.fetch import fetch
from scraper.readable import page_text
from scraper.settings import FetchSettings, LLMSettings
from scraper.structure import structure


@ray.remote(num_cpus=1 / 32, max_retries=0)
def import_one(url: str, out: str, llm: LLMSettings) -> bool:
    try:
        page = fetch(url, FetchSettings(per_host_interval_s=0, per_host_concurrency=64))
        try:
            recipe = extract(page)
        except NotARecipe:
            async def ask():
                client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="not-needed", max_retries=0)
                try:
                    return await structure(page_text(page.html, llm.max_input_tokens * 4),
                                           client=client, settings=llm)
                finally:
                    await client.close()
            recipe, _ = asyncio.run(ask())
        enriched = enrich(recipe, page)
    except PageError:
        return False
    name = url.rstrip("/").rsplit("/", 1)[-1].replace(".html", "")
    Path(out, f"{name}.recipe.json").write_text(enriched.model_dump_json())
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("--out", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", default="fake-recipe-llm")
    args = parser.parse_args()
    urls = [u.strip() for u in Path(args.urls).read_text().splitlines() if u.strip()]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    llm = LLMSettings(base_url=args.base_url, model=args.model, max_attempts=60, timeout_s=120,
                      backoff_base_s=0.5, backoff_max_s=2)
    started = time.monotonic()
    done = ray.get([import_one.remote(u, args.out, llm) for u in urls])
    processing = time.monotonic() - started
    ray.shutdown()  # so no late Ray log line comes after the JSON line on stdout
    print(json.dumps({"ok": sum(done), "failed": len(done) - sum(done), "processing_s": round(processing, 2)}))


if __name__ == "__main__":
    main()
