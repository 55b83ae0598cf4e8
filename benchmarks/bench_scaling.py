"""2. Scaling: memory and speed of `ray-import run` at 1 000, 10 000 and 100 000 distinct recipes.

Every URL is a recipe of its own: `../shared/tools/synthetic_site.py` is a forward proxy that
answers any `http://site<k>.example/recipes/<i>` with a small schema.org recipe derived from the
URL, so 100 000 URLs over 500 hosts are 100 000 recipes saved under 100 000 slugs — the path of
a real import. (The earlier curve cycled 10 000 URLs over 12 corpus pages: 99.9 % of them ended
`duplicate`, which hid a per-URL leak. It is gone.) Politeness is relaxed as in the other engine
benchmarks (per_host_interval_s=0, per_host_concurrency=8).

Every process of the tree is sampled by role (driver, catalog actor, fetch gateway, task
workers, GCS, raylet, Ray's agents, other Ray helpers) every TIMELINE_EVERY_S seconds, with the
number of URLs done (lines of the run's `.results.jsonl`), so the report gives, per size: peak
whole-tree RSS and PSS, ms/URL, and per role the growth per 1 000 URLs (least-squares slope of
RSS against URLs done over the run's second half, once start-up and warm-up are over); and a
PNG of RSS by role against URLs done. At the largest size it also checks what a user relies on:
the progress line's last count, a second run of the same command answering `exists` for all
with the index opened fast, and a `kill -9` of the driver half way followed by the same command
completing the batch with no duplicate and no loss.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import psutil

from common import (
    PY,
    SHARED,
    Context,
    child_env,
    fmt,
    log,
    ray_import_cmd,
    ray_import_run,
    run_measured,
)

NAME = "scaling"
TITLE = "2. Scaling: 1 000 → 100 000 distinct recipes"
SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (300, 1_000, 3_000)
HOSTS = 500
SYNTHETIC = SHARED / "tools" / "synthetic_site.py"
TIMELINE_EVERY_S = 5.0
MEASURE_INTERVAL_S = 1.0  # PSS reads cost CPU: once a second over a 20-minute run is plenty
GROWTH_GOAL_KB_PER_URL = 1.0
PEAK_GOAL_EXTRA_MB = 150
MS_PER_URL_GOAL = 0.10  # ms/URL at the largest size within 10 % of the middle size's
ROLES = ("driver", "catalog", "gateway", "workers", "gcs", "raylet", "agents", "other")


class _Done:
    """URLs done so far: the lines of the run's `.results.jsonl`, read incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.count = 0

    def __call__(self) -> int:
        try:
            if self.path.stat().st_size < self.offset:  # a new attempt of the same run started over
                self.offset = self.count = 0
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return self.count
        self.offset += len(chunk)
        self.count += chunk.count(b"\n")
        return self.count


def _synthetic_proxy(ctx: Context) -> tuple[subprocess.Popen, str]:
    if not SYNTHETIC.is_file():
        raise FileNotFoundError(f"the synthetic site is needed: {SYNTHETIC}")
    err = open(ctx.dir("logs") / "synthetic.err", "a")  # noqa: SIM115 - lives as long as the proxy
    proc = subprocess.Popen([PY, str(SYNTHETIC), "--port", "0"], stdout=subprocess.PIPE, stderr=err, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"synthetic site did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def _urls(ctx: Context, size: int) -> Path:
    path = ctx.dir(NAME) / f"urls-{size}.txt"
    if not path.is_file() or sum(1 for _ in open(path)) != size:
        subprocess.run([PY, str(SYNTHETIC), "--write-urls", str(path), "--count", str(size), "--hosts", str(HOSTS)],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y against x."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def growth(timeline: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """Per-role and whole-tree RSS growth, in MB per 1 000 URLs, over the run's second half.

    The first half holds start-up, the workers' first imports (models loaded, caches filled) and
    the catalog's first writes; what still grows in the second half grows with the batch.
    """
    steady = [s for s in timeline if s.get("done") is not None and size / 2 <= s["done"] < size]
    per_role = {}
    for role in ROLES:
        slope = _slope([(s["done"], s["rss_by_role_mb"].get(role, 0.0)) for s in steady])
        per_role[role] = round(1000 * slope, 2) if slope is not None else None
    total = _slope([(s["done"], s["rss_mb"]) for s in steady])
    pss = _slope([(s["done"], s["pss_mb"]) for s in steady if s.get("pss_mb") is not None])
    return {"samples": len(steady), "by_role_mb_per_1000": per_role,
            "total_kb_per_url": round(1024 * total, 3) if total is not None else None,
            "pss_kb_per_url": round(1024 * pss, 3) if pss is not None else None}


def _last_progress(err_log: Path) -> str | None:
    lines = [line for line in err_log.read_text("utf-8", "replace").splitlines() if line.startswith("[")]
    return lines[-1] if lines else None


def _run_cmd(urls: Path, out: Path) -> list[str]:
    return [*ray_import_cmd(), "run", str(urls), "--out", str(out)]


def _reports(out: Path) -> list[Path]:
    return sorted((out / "reports").glob("run-*.json"), key=lambda p: p.stat().st_mtime)


def _saved_sources(out: Path) -> list[str]:
    sources = []
    for path in out.glob("*.recipe.json"):
        sources.append(json.loads(path.read_text("utf-8"))["source_url"])
    return sources


def _again(ctx: Context, urls: Path, out: Path, env: dict[str, str], proxy_pid: int) -> dict[str, Any]:
    """The same command a second time: every URL `exists`; how fast the 100 000-recipe index opened."""
    report = out.with_name(out.name + ".again.json")
    result = run_measured([*_run_cmd(urls, out), "--report", str(report), "-q"], env, f"{NAME}-again", ctx,
                          [proxy_pid], interval=MEASURE_INTERVAL_S)
    data = json.loads(report.read_text("utf-8"))
    return {"wall_s": result["wall_s"], "counts": data["counts"],
            "open_seconds": round(data["catalog"]["open_seconds"], 3),
            "parsed_on_open": data["catalog"]["parsed_on_open"], "recipes": data["catalog"]["recipes"]}


def _kill_and_resume(ctx: Context, urls: Path, size: int, env: dict[str, str], proxy_pid: int) -> dict[str, Any]:
    """kill -9 of the driver at about half way, then the same command: all imported once."""
    out = ctx.dir(NAME, f"resume-{size}", fresh=True) / "recipes"
    logs = ctx.dir("logs")
    with open(logs / f"{NAME}-killed.err", "w") as err:
        proc = subprocess.Popen(_run_cmd(urls, out), env=env, stdout=subprocess.DEVNULL, stderr=err)
        done = None
        while proc.poll() is None:
            partial = list((out / "reports").glob("run-*.results.jsonl")) if (out / "reports").is_dir() else []
            if partial:
                done = done or _Done(partial[0])
                if done() >= size // 2:
                    break
            time.sleep(0.5)
        tree = psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_at = done.count if done else None
    gone, alive = psutil.wait_procs(tree, timeout=30)
    for p in alive:  # Ray's processes share the driver's fate; anything left is stopped here
        p.kill()
    before = len(list(out.glob("*.recipe.json")))
    log(f"{NAME}: driver killed after {killed_at} results ({before} files, {len(alive)} Ray processes left over)")
    resumed = run_measured(_run_cmd(urls, out), env, f"{NAME}-resumed", ctx, [proxy_pid], retry=False,
                           interval=MEASURE_INTERVAL_S)
    report = json.loads(_reports(out)[-1].read_text("utf-8"))
    sources = _saved_sources(out)
    wanted = {line.strip() for line in urls.read_text("utf-8").splitlines() if line.strip()}
    checked = subprocess.run([*ray_import_cmd(), "check", "--out", str(out)], env=env, capture_output=True,
                             text=True)
    return {
        "killed_after_results": killed_at, "files_at_kill": before, "left_over_processes": len(alive),
        "resumed_wall_s": resumed["wall_s"], "resumed_counts": report["counts"],
        "files": len(sources), "distinct_sources": len(set(sources)),
        "missing": len(wanted - set(sources)), "unexpected": len(set(sources) - wanted),
        "check_exit": checked.returncode, "check_last_line": (checked.stdout.strip().splitlines() or [""])[-1],
        "ok": len(sources) == len(set(sources)) == len(wanted) and wanted == set(sources)
        and checked.returncode == 0 and not report["counts"].keys() - {"imported", "exists"},
    }


def run(ctx: Context) -> dict[str, Any]:
    sizes = QUICK_SIZES if ctx.quick else SIZES
    largest = max(sizes)
    proxy, proxy_url = _synthetic_proxy(ctx)
    runs: dict[str, dict[str, Any]] = {}
    checks: dict[str, Any] = {}
    try:
        env = child_env(RAY_IMPORT_FETCH__PROXY=proxy_url, RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S="0",
                        RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY="8")
        for size in sizes:
            urls = _urls(ctx, size)
            out = ctx.dir(NAME) / f"out-{size}"
            done = _Done(out.with_name(out.name + ".report.results.jsonl"))
            name = f"{NAME}-{size}"
            result = ray_import_run(ctx, urls, out, name, env, [proxy.pid], quiet=False, retry=size < 100_000,
                                    interval=MEASURE_INTERVAL_S, timeline_every_s=TIMELINE_EVERY_S,
                                    progress=done)
            result["growth"] = growth(result["timeline"], size)
            result["last_progress_line"] = _last_progress(ctx.dir("logs") / f"{name}.err")
            runs[str(size)] = result
            log(f"{name}: {result['wall_s']}s, peak RSS {result['peak_rss_mb']} MB, "
                f"growth {result['growth']['total_kb_per_url']} KB/URL, {result['report']['counts']}")
        checks["again"] = _again(ctx, _urls(ctx, largest), ctx.dir(NAME) / f"out-{largest}", env, proxy.pid)
        log(f"{NAME}: second run {checks['again']}")
        checks["kill_resume"] = _kill_and_resume(ctx, _urls(ctx, largest), largest, env, proxy.pid)
        log(f"{NAME}: kill -9 / resume {checks['kill_resume']}")
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
    result = {"sizes": list(sizes), "hosts": HOSTS, "runs": runs, "checks": checks,
              "summary": _summarize(runs, sizes)}
    result["plot"] = _plot(ctx, result)
    return result


def _summarize(runs: dict[str, dict[str, Any]], sizes: tuple[int, ...]) -> dict[str, Any]:
    rows = {}
    for size in sizes:
        r = runs[str(size)]
        processing = r["report"]["processing_s"]
        rows[str(size)] = {
            "wall_s": r["wall_s"], "processing_s": processing,
            "ms_per_url": round(1000 * processing / size, 2) if processing else None,
            "peak_rss_mb": r["peak_rss_mb"], "peak_pss_mb": r["peak_pss_mb"],
            "peak_driver_rss_mb": r["peak_root_rss_mb"], "peak_rss_by_role_mb": r["peak_rss_by_role_mb"],
            "cpu_s": r["cpu_s"], "foreign_cpu_s": r.get("foreign_cpu_s"),
            "counts": r["report"]["counts"], "growth": r["growth"],
            "last_progress_line": r["last_progress_line"],
        }
    small, middle, large = (str(s) for s in sizes)
    growth_kb = rows[large]["growth"]["total_kb_per_url"]
    peak_extra = rows[large]["peak_rss_mb"] - rows[small]["peak_rss_mb"]
    ms_ratio = (rows[large]["ms_per_url"] / rows[middle]["ms_per_url"]
                if rows[large]["ms_per_url"] and rows[middle]["ms_per_url"] else None)
    return {
        "rows": rows,
        "goals": {
            "growth_kb_per_url": growth_kb,
            "growth_status": "n/a" if growth_kb is None else ("met" if growth_kb <= GROWTH_GOAL_KB_PER_URL else "missed"),
            "peak_extra_mb": peak_extra,
            "peak_status": "met" if peak_extra <= PEAK_GOAL_EXTRA_MB else "missed",
            "ms_per_url_ratio": round(ms_ratio, 3) if ms_ratio else None,
            "ms_status": "n/a" if ms_ratio is None else ("met" if abs(ms_ratio - 1) <= MS_PER_URL_GOAL else "missed"),
        },
    }


def _plot(ctx: Context, result: dict[str, Any]) -> str | None:
    """RSS by role against URLs done, one panel per size; the PNG goes beside the results."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log(f"{NAME}: matplotlib is not installed; no plot")
        return None
    sizes = result["sizes"]
    fig, axes = plt.subplots(1, len(sizes), figsize=(5 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes, strict=True):
        # Up to the last result: after it the processes exit one by one (shutdown, not growth).
        timeline = [s for s in result["runs"][str(size)]["timeline"] if s.get("done") is not None]
        last = next((i for i, s in enumerate(timeline) if s["done"] >= size), len(timeline) - 1)
        timeline = timeline[: last + 1]
        xs = [s["done"] for s in timeline]
        ax.plot(xs, [s["rss_mb"] for s in timeline], color="black", label="whole tree", linewidth=2)
        for role in ROLES:
            ys = [s["rss_by_role_mb"].get(role, 0.0) for s in timeline]
            if any(ys):
                ax.plot(xs, ys, label=role)
        ax.set_title(f"{size:,} distinct recipes")
        ax.set_xlabel("URLs done")
        ax.set_ylabel("RSS MB")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    name = "scaling-quick.png" if ctx.quick else "scaling.png"
    path = Path(__file__).resolve().parent / "results" / name
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return name  # beside the report that links it


def _old(result: dict[str, Any]) -> bool:
    """Results kept from before the distinct-recipe version of this benchmark."""
    return "goals" not in result.get("summary", {})


def markdown(result: dict[str, Any]) -> list[str]:
    if _old(result):
        return ["Results of an earlier version of this benchmark (URLs cycling over 12 pages); "
                "run `python benchmarks/run.py --only scaling`."]
    s = result["summary"]
    g = s["goals"]
    sizes = result["sizes"]
    lines = [
        f"`ray-import run` (subprocess, fresh output folder, progress lines on) of {max(sizes):,} distinct "
        f"recipes from `synthetic_site.py` over {result['hosts']} hosts (every URL a recipe of its own, saved "
        "under its own slug), per_host_interval_s=0, per_host_concurrency=8. Every process of the tree sampled "
        f"by role every {TIMELINE_EVERY_S:g} s; growth = least-squares slope of RSS against URLs done over the "
        "second half of each run.",
        "",
        "| URLs | makespan s | processing s | ms/URL | peak RSS MB (tree) | peak PSS MB | driver peak RSS MB "
        "| tree growth KB/URL | imported / other | other procs' CPU s | last progress line |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        r = s["rows"][str(size)]
        other = sum(v for k, v in r["counts"].items() if k != "imported")
        lines.append(f"| {size:,} | {fmt(r['wall_s'])} | {fmt(r['processing_s'])} | {fmt(r['ms_per_url'])} "
                     f"| {r['peak_rss_mb']} | {r['peak_pss_mb']} | {fmt(r['peak_driver_rss_mb'], 1)} "
                     f"| {fmt(r['growth']['total_kb_per_url'], 3)} | {r['counts'].get('imported', 0)} / {other} "
                     f"| {fmt(r['foreign_cpu_s'])} | `{r['last_progress_line']}` |")
    lines += ["", "Growth per 1 000 URLs by role (MB, second half of each run):", "",
              "| URLs | " + " | ".join(ROLES) + " |", "|---|" + "---|" * len(ROLES)]
    for size in sizes:
        by_role = s["rows"][str(size)]["growth"]["by_role_mb_per_1000"]
        lines.append(f"| {size:,} | " + " | ".join(fmt(by_role.get(role), 2) for role in ROLES) + " |")
    lines += ["", "Peak RSS by role (MB):", "", "| URLs | " + " | ".join(ROLES) + " |", "|---|" + "---|" * len(ROLES)]
    for size in sizes:
        peaks = s["rows"][str(size)]["peak_rss_by_role_mb"]
        lines.append(f"| {size:,} | " + " | ".join(fmt(peaks.get(role)) for role in ROLES) + " |")
    if result.get("plot"):
        lines += ["", f"![RSS by role against URLs done]({result['plot']})"]
    checks = result.get("checks", {})
    if "again" in checks:
        a = checks["again"]
        lines += ["", f"**The same command again** on the {max(sizes):,}-recipe folder: {a['counts']} in "
                  f"{fmt(a['wall_s'])} s; the index of {a['recipes']:,} recipes opened in {a['open_seconds']} s "
                  f"({a['parsed_on_open']} files parsed)."]
    if "kill_resume" in checks:
        k = checks["kill_resume"]
        lines += ["", f"**kill -9 of the driver at about half way** (after {k['killed_after_results']:,} results, "
                  f"{k['files_at_kill']:,} files; {k['left_over_processes']} Ray processes left over), then the "
                  f"same command: {k['resumed_counts']} in {fmt(k['resumed_wall_s'])} s; {k['files']:,} files, "
                  f"{k['distinct_sources']:,} distinct source URLs, {k['missing']} missing, {k['unexpected']} "
                  f"unexpected; `ray-import check`: exit {k['check_exit']} (`{k['check_last_line']}`): "
                  f"**{'passed' if k['ok'] else 'FAILED'}**."]
    lines += ["", f"Goals: tree growth {fmt(g['growth_kb_per_url'], 3)} KB/URL (≤ {GROWTH_GOAL_KB_PER_URL} KB: "
              f"{g['growth_status']}); peak at {max(sizes):,} − peak at {min(sizes):,} = {g['peak_extra_mb']} MB "
              f"(≤ {PEAK_GOAL_EXTRA_MB} MB: {g['peak_status']}); ms/URL {max(sizes):,} / {sizes[1]:,} = "
              f"{fmt(g['ms_per_url_ratio'], 3)} (within ±{MS_PER_URL_GOAL:.0%}: {g['ms_status']})."]
    return lines


def goals(result: dict[str, Any]) -> list[str]:
    if _old(result):
        return []
    g = result["summary"]["goals"]
    sizes = result["sizes"]
    rows = [
        f"| {NAME} | tree RSS growth, {sizes[1]:,} → {max(sizes):,} distinct recipes | "
        f"{fmt(g['growth_kb_per_url'], 3)} KB/URL | ≤ {GROWTH_GOAL_KB_PER_URL} KB/URL | {g['growth_status']} |",
        f"| {NAME} | peak tree RSS at {max(sizes):,} − at {min(sizes):,} | {g['peak_extra_mb']} MB "
        f"| ≤ {PEAK_GOAL_EXTRA_MB} MB | {g['peak_status']} |",
        f"| {NAME} | ms/URL at {max(sizes):,} / at {sizes[1]:,} | {fmt(g['ms_per_url_ratio'], 3)} "
        f"| within ±{MS_PER_URL_GOAL:.0%} | {g['ms_status']} |",
    ]
    k = result.get("checks", {}).get("kill_resume")
    if k:
        rows.append(f"| {NAME} | kill -9 at half way + same command, {max(sizes):,} URLs | "
                    f"{k['files']:,} files, {k['missing']} missing, {k['files'] - k['distinct_sources']} duplicated "
                    f"| all once | {'met' if k['ok'] else 'missed'} |")
    return rows


if __name__ == "__main__":  # a quick look without the suite: python benchmarks/bench_scaling.py
    import sys

    print(json.dumps(run(Context(repeats=1, quick="--quick" in sys.argv)), indent=1)[:4000])
