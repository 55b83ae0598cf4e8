"""LLM stage (issue "LLM structuring"): 64 pages that need the LLM, a slow endpoint of limited
capacity, three designs side by side.

The fake OpenAI-compatible endpoint (ray_import/demo/fake_llm.py) answers after 20 s and takes
32 requests at once (429 with Retry-After beyond): the ideal makespan is 2 rounds = 40 s.
- ray-import: `ray-import run` with `llm.max_concurrency = 32`; the LLM wait happens in the async
  LLM gateway actor, the CPU steps in tasks. Makespan = the report's processing time (Ray's
  start-up excluded).
- naive: the LLM call inside the per-recipe task (baselines/llm_in_task.py; 1/32 CPU per task so
  64 can wait at once: one worker process per waiting recipe).
- Ray Data: `ray.data.llm` HTTP request processor over the same page texts (LLM part only).
  Ray Data needs pyarrow, and Ray imports pyarrow in every one of its processes whenever it is
  importable (~36 MB RSS each): installed next to ray-import, it would weigh on ray-import's
  side too. So this side gets it from its own folder on PYTHONPATH (RAY_DATA_SITE, see
  INSTALL_RAY_DATA), and the report says when the main environment has pyarrow anyway.
Memory: peak total RSS / PSS of each side's whole process tree (the fake endpoint and the sample
site run in the benchmark process, outside every side's tree).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from typing import Any

from common import (
    BENCH,
    PY,
    REPO,
    WORK,
    Context,
    child_env,
    fmt,
    goal,
    log,
    median,
    pick,
    ray_import_run,
    ratio,
    run_measured,
    stats_of,
    write_lines,
)

NAME = "llm_stage"
TITLE = "LLM stage: 64 pages through a 20 s, capacity-32 endpoint"
PAGES, LATENCY_S, CAPACITY = 64, 20.0, 32
IDEAL_S = LATENCY_S * -(-PAGES // CAPACITY)
GOAL_MAKESPAN, GOAL_RSS_MB = 1.15, 1536
RAY_DATA_PAGES = 8  # Ray Data keeps 2 requests in flight on 2 cores: 64 pages would take > 10 min
RAY_DATA_SITE = WORK / "ray-data-site"
INSTALL_RAY_DATA = (f"pip install --target {RAY_DATA_SITE.relative_to(REPO)} --no-deps pyarrow pandas fsspec "
                    "python-dateutil tzdata")


def _ray_data_env(pyarrow_in_main_env: bool) -> tuple[dict[str, str] | None, str]:
    """The Ray Data side's environment, or None and why it cannot run."""
    if pyarrow_in_main_env:
        return child_env(), "pyarrow is in the main environment (every Ray process of every side loads it)"
    if (RAY_DATA_SITE / "pyarrow").is_dir():
        return child_env(PYTHONPATH=os.pathsep.join((str(REPO), str(RAY_DATA_SITE)))), f"pyarrow from {RAY_DATA_SITE.name}/"
    return None, f"Ray Data needs pyarrow; for this side only: `{INSTALL_RAY_DATA}`"


def _pages(ctx: Context, quick: bool) -> Path:
    """64 distinct pages without structured data, made from the shipped nodata-* pages."""
    from ray_import.demo.site import PAGES_DIR

    folder = ctx.dir(NAME, "pages", fresh=True)
    sources = sorted(PAGES_DIR.glob("nodata-*.html"))
    n = 16 if quick else PAGES
    for i in range(n):
        html = sources[i % len(sources)].read_text("utf-8")
        html = re.sub(r"<link[^>]+rel=.canonical.[^>]*>", "", html)
        html = re.sub(r"(<h1[^>]*>)(.*?)(</h1>)", rf"\g<1>\g<2> no. {i}\g<3>", html, count=1, flags=re.S)
        (folder / f"page-{i:03d}.html").write_text(html, "utf-8")
    return folder


def run(ctx: Context) -> dict[str, Any]:
    from ray_import.demo.fake_llm import FakeLLM, FakeLLMOptions
    from ray_import.demo.site import SampleSite
    from scraper.readable import page_text

    folder = _pages(ctx, ctx.quick)
    # Recorded with the section: a merged report's machine block may come from another run.
    pyarrow_in_main_env = importlib.util.find_spec("pyarrow") is not None
    ray_data_env, ray_data_note = _ray_data_env(pyarrow_in_main_env)
    runs: dict[str, list[dict[str, Any]]] = {}
    with SampleSite(pages_dir=folder) as site:
        urls_file = write_lines(ctx.dir(NAME) / "urls.txt", site.urls())
        texts = ctx.dir(NAME) / "texts.jsonl"
        write_lines(texts, [json.dumps({"text": page_text(p.read_text("utf-8"))})
                            for p in sorted(folder.glob("*.html"))])
        for rep in range(ctx.repeats):
            for side in ("ray_import", "naive", "ray_data"):
                with FakeLLM(FakeLLMOptions(latency_s=LATENCY_S, capacity=CAPACITY, retry_after_s=2)) as fake:
                    name = f"{NAME}-{side}-r{rep}"
                    out = ctx.dir(NAME) / f"out-{side}"
                    if side == "ray_import":
                        env = child_env(RAY_IMPORT_LLM__BASE_URL=fake.base_url,
                                        RAY_IMPORT_LLM__MODEL="fake-recipe-llm",
                                        RAY_IMPORT_LLM__MAX_CONCURRENCY=str(CAPACITY),
                                        RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S="0",
                                        RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY="16",
                                        RAY_IMPORT_NUM_CPUS="2")
                        result = ray_import_run(ctx, urls_file, out, name, env)
                        result["makespan_s"] = result["report"]["processing_s"]
                        result["ok"] = result["report"]["counts"].get("imported", 0)
                    elif side == "naive":
                        result = run_measured([PY, str(BENCH / "baselines" / "llm_in_task.py"), str(urls_file),
                                               "--out", str(out), "--base-url", fake.base_url],
                                              child_env(), name, ctx)
                        result["makespan_s"] = result["output"]["processing_s"]
                        result["ok"] = result["output"]["ok"]
                    else:
                        if ray_data_env is None:
                            runs.setdefault(side, [])
                            log(f"{name}: skipped: {ray_data_note}")
                            continue
                        result = run_measured([PY, str(BENCH / "baselines" / "ray_data_llm.py"), str(texts),
                                               "--url", f"{fake.base_url}/chat/completions",
                                               "--limit", str(RAY_DATA_PAGES)],
                                              ray_data_env, name, ctx)
                        result["makespan_s"] = result["output"]["processing_s"]
                        result["ok"] = result["output"]["ok"]
                    result["llm_max_in_flight"] = fake.stats["max_in_flight"]
                    result["rate_limited"] = fake.stats["rate_limited"]
                    runs.setdefault(side, []).append(result)
                    log(f"{name}: makespan {result['makespan_s']} s, wall {result['wall_s']} s, "
                        f"peak RSS {result['peak_rss_mb']} MB, ok {result['ok']}")
    pages = len(list(folder.glob("*.html")))
    ideal = LATENCY_S * -(-pages // CAPACITY)
    summary = {}
    for side, rs in runs.items():
        if not rs:
            summary[side] = {"skipped": ray_data_note}
            continue
        stats = stats_of(rs)
        stats.update(makespan_s=median(pick(rs, "makespan_s")), ok=median(pick(rs, "ok")),
                     rate_limited=median(pick(rs, "rate_limited")),
                     llm_max_in_flight=median(pick(rs, "llm_max_in_flight")))
        side_ideal = LATENCY_S * -(-min(pages, RAY_DATA_PAGES) // CAPACITY) if side == "ray_data" else ideal
        stats["ideal_s"] = side_ideal
        stats["vs_ideal"] = ratio(stats["makespan_s"], side_ideal)
        summary[side] = stats
    return {"pages": pages, "ideal_s": ideal, "summary": summary, "runs": runs, "ray_data": ray_data_note,
            "pyarrow_in_main_env": pyarrow_in_main_env}


def markdown(result: dict[str, Any]) -> list[str]:
    s = result["summary"]
    lines = [
        f"{result['pages']} pages without structured data; fake endpoint: {LATENCY_S:g} s latency, capacity "
        f"{CAPACITY} (429 beyond). Ideal makespan: **{fmt(result['ideal_s'])} s**. Makespan excludes each "
        "side's Ray start-up; memory is the peak of the side's whole process tree. Ray Data side: "
        f"{result.get('ray_data', 'ray[data] installed in the main environment')}"
        + (" — **so ray-import's memory here includes pyarrow in each of its Ray processes** (~36 MB RSS each)."
           if result.get("pyarrow_in_main_env", True) else "; the main environment has no pyarrow."),
        "",
        "| design | makespan s | × ideal | goal ≤ 1.15× | peak RSS MB | goal ≤ 1536 | peak PSS MB | pages ok | 429s | max in flight |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    labels = {"ray_import": "ray-import (async LLM gateway actor)", "naive": "naive: LLM call inside the task",
              "ray_data": f"Ray Data `ray.data.llm` (LLM part only, first {RAY_DATA_PAGES} pages: ideal 20 s)"}
    for side, label in labels.items():
        v = s.get(side)
        if not v or "skipped" in v:
            lines.append(f"| {label} | not run: {v.get('skipped') if v else 'n/a'} | | | | | | | | |")
            continue
        lines.append(
            f"| {label} | {fmt(v['makespan_s'])} | {fmt(v['vs_ideal'])} | {goal(v['vs_ideal'], GOAL_MAKESPAN, False)} "
            f"| {fmt(v['peak_rss_mb'])} | {goal(v['peak_rss_mb'], GOAL_RSS_MB, False)} | {fmt(v['peak_pss_mb'])} "
            f"| {fmt(v['ok'])} | {fmt(v['rate_limited'])} | {fmt(v['llm_max_in_flight'])} |")
    return lines


def goals(result: dict[str, Any]) -> list[str]:
    v = result["summary"].get("ray_import") or {}
    if not v or "skipped" in v:
        return []
    return [
        f"| {NAME} | makespan of {result['pages']} LLM pages / ideal | {fmt(v['vs_ideal'])}× "
        f"| ≤ {GOAL_MAKESPAN}× | {goal(v['vs_ideal'], GOAL_MAKESPAN, False)} |",
        f"| {NAME} | peak RSS, whole process tree (PSS {fmt(v['peak_pss_mb'])} MB) | {fmt(v['peak_rss_mb'])} MB "
        f"| ≤ {GOAL_RSS_MB} MB | {goal(v['peak_rss_mb'], GOAL_RSS_MB, False)} |",
    ]
