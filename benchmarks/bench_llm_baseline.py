"""3. The old architecture (one Python subprocess per recipe, an LLM call in each) vs ray-import.

Same pages (corpus, through the replay proxy), same steps (the `scraper` package), same LLM: the
fake OpenAI-compatible endpoint at 5 s latency, called for every recipe as the old system did
(ray-import with `llm.mode = "always"`, `llm.max_concurrency = 64`). Two settings the old system
knew: (a) its planned semaphore of 8 on 200 pages; (b) its unbounded `-c 50` on 50 pages.
Makespan excludes ray-import's start-up (report processing time); the old side has none to
exclude. Memory: peak total RSS and PSS of each side's whole process tree. The old side takes
~4 min (a) and ~50 s (b) a run and varies little, so the default profile runs it once and
ray-import `--repeats` times (common.Context.repeat_baseline); `--full` repeats both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common import (
    BENCH,
    CORPUS,
    PY,
    Context,
    child_env,
    fmt,
    goal,
    log,
    median,
    pick,
    ray_import_run,
    ratio,
    replay_proxy,
    run_measured,
    stats_of,
    write_lines,
)

NAME = "llm_baseline"
TITLE = "3. The old architecture: a subprocess per recipe, LLM at 5 s"
AVAILABLE = True
LATENCY_S = 5.0
SETTINGS = {"a": (200, 8), "b": (50, 50)}  # pages, old concurrency
QUICK = {"a": (40, 8), "b": (20, 20)}
GOALS = {"a": ("≥ 8× faster, PSS no higher", 8.0), "b": ("≥ 4× faster at ≤ 0.25× the RSS", 4.0)}
# Each setting's memory goal: which peak, and the most ray-import may use relative to the old side.
MEMORY_GOALS = {"a": ("peak_pss_mb", 1.0), "b": ("peak_rss_mb", 0.25)}


def _urls(ctx: Context, n: int) -> Path:
    urls = [u.strip() for u in (CORPUS / "urls.txt").read_text("utf-8").splitlines() if u.strip()][:n]
    return write_lines(ctx.dir(NAME) / f"urls-{n}.txt", urls)


def run(ctx: Context) -> dict[str, Any]:
    from ray_import.demo.fake_llm import FakeLLM, FakeLLMOptions

    runs: dict[str, list[dict[str, Any]]] = {}
    with replay_proxy(ctx, 0) as (proxy, proxy_pid):
        for setting, (pages, concurrency) in (QUICK if ctx.quick else SETTINGS).items():
            urls_file = _urls(ctx, pages)
            for rep in range(ctx.repeats):
                for side in ("old", "ray_import"):
                    if side == "old" and not ctx.repeat_baseline(runs.get(f"{setting}_old", [])):
                        continue  # long and steady: measured once in the default profile
                    with FakeLLM(FakeLLMOptions(latency_s=LATENCY_S)) as fake:
                        name = f"{NAME}-{setting}-{side}-r{rep}"
                        out = ctx.dir(NAME) / f"out-{setting}-{side}"
                        if side == "old":
                            result = run_measured(
                                [PY, str(BENCH / "baselines" / "old_subprocess.py"), str(urls_file), "--out", str(out),
                                 "-c", str(concurrency), "--base-url", fake.base_url, "--proxy", proxy],
                                child_env(), name, ctx, [proxy_pid])
                            result["makespan_s"] = result["output"]["processing_s"]
                            result["ok"] = result["output"]["ok"]
                        else:
                            env = child_env(RAY_IMPORT_FETCH__PROXY=proxy, RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S="0",
                                            RAY_IMPORT_LLM__BASE_URL=fake.base_url, RAY_IMPORT_LLM__MODE="always",
                                            RAY_IMPORT_LLM__MODEL="fake-recipe-llm",
                                            RAY_IMPORT_LLM__MAX_CONCURRENCY="64", RAY_IMPORT_NUM_CPUS="2")
                            result = ray_import_run(ctx, urls_file, out, name, env, [proxy_pid])
                            result["makespan_s"] = result["report"]["processing_s"]
                            result["ok"] = result["report"]["counts"].get("imported", 0)
                        result["llm_calls"] = fake.stats["completions_ok"]
                        runs.setdefault(f"{setting}_{side}", []).append(result)
                        log(f"{name}: makespan {result['makespan_s']} s, peak RSS {result['peak_rss_mb']} MB, "
                            f"PSS {result['peak_pss_mb']} MB, ok {result['ok']}")
    summary: dict[str, Any] = {}
    for setting, (pages, concurrency) in (QUICK if ctx.quick else SETTINGS).items():
        row: dict[str, Any] = {"pages": pages, "concurrency": concurrency}
        for side in ("old", "ray_import"):
            rs = runs[f"{setting}_{side}"]
            stats = stats_of(rs)
            stats.update(makespan_s=median(pick(rs, "makespan_s")), ok=median(pick(rs, "ok")),
                         llm_calls=median(pick(rs, "llm_calls")))
            row[side] = stats
        old, new = row["old"], row["ray_import"]
        row["speedup"] = ratio(old["makespan_s"], new["makespan_s"])
        row["rss_ratio"] = ratio(new["peak_rss_mb"], old["peak_rss_mb"])
        row["pss_ratio"] = ratio(new["peak_pss_mb"], old["peak_pss_mb"])
        summary[setting] = row
    return {"summary": summary, "runs": runs}


def markdown(result: dict[str, Any]) -> list[str]:
    lines = [
        "Old: `benchmarks/baselines/old_subprocess.py` (a thread per recipe starts `python -c <pipeline>`; each "
        "child imports the stack, fetches through the proxy, calls the LLM, enriches, writes). ray-import: "
        f"`llm.mode = always`, `llm.max_concurrency = 64`. Fake LLM latency {LATENCY_S:g} s for both.",
        "",
        "| setting | side | makespan s | peak RSS MB | peak PSS MB | pages ok | LLM calls | speedup | RSS ratio | PSS ratio | goal |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for setting, row in result["summary"].items():
        text, target = GOALS[setting]
        met = goal(row["speedup"], target, True)
        met = "met" if met == "met" and _memory_status(setting, row) == "met" else "missed"
        for side, label in (("old", f"old, -c {row['concurrency']}"), ("ray_import", "ray-import")):
            v = row[side]
            extra = (f"{fmt(row['speedup'])}× | {fmt(row['rss_ratio'])} | {fmt(row['pss_ratio'])} | {text}: **{met}**"
                     if side == "ray_import" else " | | | ")
            label += f" ({v['repeats']} run{'s' if v['repeats'] != 1 else ''}: " + ", ".join(
                f"{x:.1f}" for x in v["wall_s_all"]) + " s wall)"
            lines.append(f"| ({setting}) {row['pages']} pages | {label} | {fmt(v['makespan_s'])} | {fmt(v['peak_rss_mb'])} "
                         f"| {fmt(v['peak_pss_mb'])} | {fmt(v['ok'])} | {fmt(v['llm_calls'])} | {extra} |")
    return lines


def goals(result: dict[str, Any]) -> list[str]:
    s = result["summary"]
    rows = []
    if "a" in s:
        a = s["a"]
        rows += [
            f"| old architecture | (a) {a['pages']} pages, semaphore {a['concurrency']}: speed-up (old / ray-import "
            f"makespan) | {fmt(a['speedup'])}× | ≥ {GOALS['a'][1]}× | {goal(a['speedup'], GOALS['a'][1], True)} |",
            f"| old architecture | (a) peak PSS ray-import / old ({fmt(a['ray_import']['peak_pss_mb'])} / "
            f"{fmt(a['old']['peak_pss_mb'])} MB) | {fmt(_exact(a, 'peak_pss_mb'), 3)}× | ≤ 1× "
            f"| {_memory_status('a', a)} |",
        ]
    if "b" in s:
        b = s["b"]
        rows += [
            f"| old architecture | (b) {b['pages']} pages, -c {b['concurrency']}: speed-up | {fmt(b['speedup'])}× "
            f"| ≥ {GOALS['b'][1]}× | {goal(b['speedup'], GOALS['b'][1], True)} |",
            f"| old architecture | (b) peak RSS ray-import / old ({fmt(b['ray_import']['peak_rss_mb'])} / "
            f"{fmt(b['old']['peak_rss_mb'])} MB; PSS {fmt(b['pss_ratio'])}×) | {fmt(_exact(b, 'peak_rss_mb'), 3)}× "
            f"| ≤ 0.25× | {_memory_status('b', b)} |",
        ]
    return rows


def _memory_status(setting: str, row: dict[str, Any]) -> str:
    key, limit = MEMORY_GOALS[setting]
    return goal(_exact(row, key), limit, False)


def _exact(row: dict[str, Any], key: str) -> float:
    """ray-import's / the old side's memory, unrounded: a goal is judged on this, not on 2 decimals."""
    old, new = row["old"].get(key), row["ray_import"].get(key)
    return new / old if old and new is not None else float("inf")
