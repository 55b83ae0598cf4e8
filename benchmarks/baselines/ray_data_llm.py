"""Ray's own answer: Ray Data's LLM batch processor for OpenAI-compatible HTTP endpoints.

`ray.data.llm.HttpRequestProcessorConfig` + `build_processor` over the same page texts that
ray-import sends (read from a JSON-lines file the benchmark prepares: this side does the LLM part
only, no fetching or parsing), the first `--limit` of them (default 8: with 2 requests in flight
at 20 s each, 64 pages would take over 10 minutes). Needs `pip install 'ray[data]'`.

    python benchmarks/baselines/ray_data_llm.py TEXTS.jsonl --url http://.../v1/chat/completions
Prints one JSON line: {"ok", "failed", "processing_s"}.
"""

from __future__ import annotations

import argparse
import json
import time

import ray
from ray.data.llm import HttpRequestProcessorConfig, build_processor

from scraper.structure import build_messages, parse_reply, recipe_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("texts")
    parser.add_argument("--url", required=True)
    parser.add_argument("--model", default="fake-recipe-llm")
    parser.add_argument("--limit", type=int, default=8)
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.texts, encoding="utf-8")][: args.limit]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    schema = recipe_schema()
    # Ray 2.60's HTTP stage awaits the requests of a batch one after the other, and each of its
    # actors takes a CPU: on 2 cores that is 2 requests in flight, whatever the batch size.
    config = HttpRequestProcessorConfig(url=args.url, batch_size=1, concurrency=2, qps=100, max_retries=20)
    processor = build_processor(
        config,
        preprocess=lambda row: {"payload": {
            "model": args.model, "messages": build_messages(row["text"], schema),
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "recipe", "schema": schema, "strict": True}}}},
        postprocess=lambda row: {"content": row["http_response"]["choices"][0]["message"]["content"]},
    )
    started = time.monotonic()
    out = processor(ray.data.from_items(rows)).take_all()
    processing = time.monotonic() - started
    ok = 0
    for row in out:
        try:
            parse_reply(row["content"])
            ok += 1
        except Exception:  # noqa: BLE001 - counted as failed
            pass
    ray.shutdown()  # so no late Ray log line comes after the JSON line on stdout
    print(json.dumps({"ok": ok, "failed": len(rows) - ok, "processing_s": round(processing, 2)}))


if __name__ == "__main__":
    main()
