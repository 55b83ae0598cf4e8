"""Run the ray-import benchmark suite and write benchmarks/results/latest.{md,json}.

    python benchmarks/run.py [--full | --quick] [--only NAME ...] [--repeats 3]

Each benchmark runs its comparisons side by side in this one run (same machine, same minutes),
repeats each measurement and reports medians and ratios. Without options it runs the five
comparisons of the benchmark issue (throughput, scaling, the old architecture, catalog,
overhead) in under 20 minutes on 2 cores: every ray-import side is repeated, and a baseline side
whose first run takes over 45 s (common.LONG_BASELINE_S) runs once. `--full` repeats
every side, adds the diagnostic variants and the API-load and LLM-stage benchmarks (~50 min).
`--full` writes benchmarks/results/full.{md,json} and `--quick` (1 repeat, smaller sizes, under 4
minutes, a smoke test) quick.{md,json}, so neither replaces the default run's results. A run keeps
the last results of the benchmarks it did not run in the file; each section says when and by
which command it ran. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

import bench_catalog
import bench_generic
import bench_llm_baseline
import bench_llm_stage
import bench_overhead
import bench_reprocess
import bench_scaling
import bench_serve
import bench_throughput
import common
from common import BENCH, NLTK_DATA, PY, REPO, Context, child_env, fmt, log, wait_for_quiet

BENCHMARKS = {m.NAME: m for m in (bench_throughput, bench_scaling, bench_llm_baseline, bench_catalog,
                                  bench_llm_stage,
                                  bench_overhead, bench_serve, bench_generic, bench_reprocess)}
# The default profile: the benchmark issue's five comparisons, sized to fit 20 minutes on 2 cores.
# The others (the API under load, the LLM stage) run with --full or --only.
# The scaling benchmark (100 000 distinct recipes, a kill -9 and resume: ~50 minutes) runs with
# --full or --only scaling; the reprocess one (two corpus passes and an LLM pass: over 3 minutes)
# with --full or --only reprocess.
DEFAULT = (bench_throughput.NAME, bench_llm_baseline.NAME, bench_catalog.NAME, bench_overhead.NAME)
RESULTS = BENCH / "results"


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "cpu_model": model,
        "logical_cpus": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "ray": version("ray"),
        "recipe_scrapers": version("recipe-scrapers"),
        "ray_import": version("ray-import"),
        "httpx": version("httpx"),
        "ingredient_parser_nlp": version("ingredient-parser-nlp"),
        "nltk_data": _relative(str(NLTK_DATA)) if NLTK_DATA.is_dir() and "NLTK_DATA" not in os.environ
        else _relative(os.environ.get("NLTK_DATA")),
        "git_commit": git("rev-parse", "--short", "HEAD").strip(),
        # The code measured is the working tree: list what differs from the commit.
        "git_dirty": [line[3:] for line in git("status", "--porcelain", "--", "ray_import", "scraper").splitlines()],
        "parallel_speedup_2_procs": parallel_speedup(),
        # Ray imports pyarrow in each of its processes when it can (~36 MB RSS each): say so.
        "pyarrow_importable": importlib.util.find_spec("pyarrow") is not None,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _relative(path: str | None) -> str | None:
    """A path as the repo sees it (`../shared/...`): the committed report names no machine's folders."""
    if not path:
        return path
    return os.path.relpath(Path(path).resolve(), REPO)


_SPIN = "import time\nt=time.perf_counter()\nx=0\nfor i in range(6_000_000): x+=i*i\nprint(time.perf_counter()-t)"


def parallel_speedup() -> float:
    """Throughput of 2 CPU-bound Python processes at once over 1: what "2 cores" really gives."""
    def spin(n: int) -> float:
        started = time.perf_counter()
        procs = [subprocess.Popen([PY, "-c", _SPIN], stdout=subprocess.DEVNULL) for _ in range(n)]
        for proc in procs:
            proc.wait()
        return time.perf_counter() - started

    wait_for_quiet()
    one = min(spin(1) for _ in range(3))
    two = min(spin(2) for _ in range(3))
    return round(2 * one / two, 2)


def _runs_table(data: dict[str, Any]) -> list[str]:
    """Which run each section comes from, when a report merges several (`--only`)."""
    runs = data.get("runs") or []
    if len(runs) < 2:
        return []
    lines = ["", "The sections below come from these runs, on this machine:", "",
             "| command | profile | started | git | took | 2-process speed-up | sections |", "|---|---|---|---|---|---|---|"]
    for run in runs:
        lines.append(f"| `{run['command']}` | {run['profile']} | {run['started_at']} | {run['git_commit']} "
                     f"| {fmt(run['wall_s'] / 60, 1)} min | {run.get('parallel_speedup_2_procs')}× "
                     f"| {', '.join(run['benchmarks'])} |")
    return [*lines, ""]


def render(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        "# ray-import benchmarks",
        "",
        f"Written by `{data['command']}` on {data['written_at']} "
        f"({'QUICK smoke test: 1 repeat, smaller sizes — not for quoting' if data['quick'] else data.get('profile', 'full') + ' profile'}; "
        f"this run took {fmt(data['wall_s'] / 60, 1)} min, of which "
        f"{fmt(data.get('disturbance', {}).get('waited_for_quiet_s', 0) / 60, 1)} min waiting for other users' work "
        f"to calm down; {data.get('disturbance', {}).get('measurements_repeated', 0)} disturbed measurement(s) "
        "taken again).",
        *_runs_table(data),
        "Timings are ratios measured side by side in the same run (medians of the repeats), not absolute "
        "claims; memory is the peak total RSS (and PSS, shared pages counted once) of every process involved "
        "(driver + Ray processes), sampled every 0.25 s by `benchmarks/peak_rss.py`.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu_model']}, {m['logical_cpus']} logical CPUs ({m['physical_cores']} cores); 2 CPU-bound "
        f"processes ran {m['parallel_speedup_2_procs']}× as fast as one at the start (the ceiling of any 2-core "
        "speed-up here; below ~1.9 the machine was shared at that moment)",
        f"- RAM: {m['ram_gib']} GiB; OS: {m['os']}",
        f"- Python {m['python']}, Ray {m['ray']}, recipe-scrapers {m['recipe_scrapers']}, httpx {m['httpx']}, "
        f"ingredient-parser-nlp {m['ingredient_parser_nlp']}, ray-import {m['ray_import']} "
        f"(git {m['git_commit']}{', working tree differs in ' + ', '.join(m['git_dirty']) if m['git_dirty'] else ''})",
        f"- NLTK data: {m['nltk_data'] or 'absent (English ingredients use the rule-based parser)'}; "
        f"load average at start {m['load_average_at_start']}",
        "- pyarrow importable: " + {True: "**yes**: Ray loads it into each of its processes (~36 MB RSS each), so "
                                    "every ray-import memory figure here is ~300 MB higher than for a user without it",
                                    False: "no (as after `pip install -e '.[bench]'`: what a user runs)",
                                    None: "not recorded"}[m.get("pyarrow_importable")],
        "- Columns \"other procs' CPU s\" are CPU seconds used meanwhile by processes outside the measured tree "
        "and the proxy (another user's work on the machine): large values mean a disturbed measurement.",
        "",
        "## Goals",
        "",
        "| benchmark | measure | result | goal | status |",
        "|---|---|---|---|---|",
    ]
    for name, module in BENCHMARKS.items():
        entry = data["benchmarks"].get(name)
        if entry and "result" in entry and hasattr(module, "goals"):
            lines += module.goals(entry["result"])
    for name, module in BENCHMARKS.items():
        entry = data["benchmarks"].get(name)
        lines += ["", f"## {module.TITLE}", ""]
        if not getattr(module, "AVAILABLE", True):
            lines += module.markdown({})
            continue
        if entry is None:
            lines.append("Not run yet: `python benchmarks/run.py --only " + name + "`.")
            continue
        by = f" by `{entry['command']}`" if entry.get("command") else ""
        lines.append(f"_Ran {entry['ran_at']}{by}, {fmt(entry['seconds'] / 60, 1)} min, repeats={entry['repeats']}._")
        lines.append("")
        if "error" in entry:
            lines += ["**Failed:**", "", "```", entry["error"], "```"]
        else:
            lines += module.markdown(entry["result"])
    return "\n".join(lines) + "\n"


def history(runs: list[dict[str, Any]], this_run: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs the report's sections come from: earlier runs keep only the sections not re-run."""
    kept = []
    for run in runs:
        if run.get("started_at") == this_run["started_at"]:
            continue
        left = [name for name in run["benchmarks"] if name not in this_run["benchmarks"]]
        if left:
            kept.append({**run, "benchmarks": left})
    return [*kept, this_run]


def _profile(args: argparse.Namespace) -> str:
    base = "quick" if args.quick else "full" if args.full else "default"
    return f"{base}, --only" if args.only else base


def selected(only: list[str] | None, full: bool) -> list[str]:
    """The benchmarks a run measures: `--only`'s, else the profile's (default or `--full`)."""
    if only:
        return list(only)
    return [n for n, m in BENCHMARKS.items() if getattr(m, "AVAILABLE", True) and (full or n in DEFAULT)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument("--quick", action="store_true", help="1 repeat, smaller sizes (smoke test, < 3 min)")
    profile.add_argument("--full", action="store_true",
                         help="every benchmark, every side repeated, diagnostics too (~50 min on 2 cores)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these: {', '.join(BENCHMARKS)}")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per measurement [3; --quick: 1]")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    ctx = Context(repeats=repeats, quick=args.quick, full=args.full)
    names = selected(args.only, args.full)
    # Each profile has its own report, so a smoke test or a 50-minute --full never replaces the
    # 20-minute default run's results (and vice versa).
    stem = "quick" if args.quick else "full" if args.full else "latest"
    json_path, md_path = RESULTS / f"{stem}.json", RESULTS / f"{stem}.md"
    data: dict[str, Any] = {"benchmarks": {}}
    if json_path.is_file():
        data = json.loads(json_path.read_text("utf-8"))  # keep the benchmarks not run now
    started = time.perf_counter()
    command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
    data.update(command=command, quick=args.quick, profile=_profile(args),
                machine=machine(), written_at=None, wall_s=0)
    this_run: dict[str, Any] = {"command": command, "profile": data["profile"], "git_commit": data["machine"]["git_commit"],
                                "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                "parallel_speedup_2_procs": data["machine"]["parallel_speedup_2_procs"],
                                "benchmarks": [], "wall_s": 0}
    log(f"machine: {data['machine']['cpu_model']}, {data['machine']['logical_cpus']} CPUs; "
        f"running {', '.join(names)} with repeats={repeats}{' (quick)' if args.quick else ''}")
    os.environ.update({k: v for k, v in child_env().items() if k == "RAY_USAGE_STATS_ENABLED"})
    for name in names:
        module = BENCHMARKS[name]
        if not getattr(module, "AVAILABLE", True):
            log(f"{name}: {module.REASON}")
            continue
        t0 = time.perf_counter()
        entry: dict[str, Any] = {"ran_at": datetime.now(UTC).isoformat(timespec="seconds"), "repeats": repeats,
                                 "command": command, "git_commit": data["machine"]["git_commit"]}
        try:
            entry["result"] = module.run(ctx)
        except Exception:  # noqa: BLE001 - one broken benchmark must not lose the others' results
            entry["error"] = traceback.format_exc()[-3000:]
            log(f"{name} FAILED:\n{entry['error']}")
        entry["seconds"] = round(time.perf_counter() - t0, 1)
        data["benchmarks"][name] = entry
        data["wall_s"] = round(time.perf_counter() - started, 1)
        data["disturbance"] = {"waited_for_quiet_s": round(common._quiet_waited[0], 1),
                               "measurements_repeated": common._retries[0]}
        this_run.update(wall_s=data["wall_s"], disturbance=data["disturbance"],
                        benchmarks=[*this_run["benchmarks"], name])
        data["runs"] = history(data.get("runs", []), this_run)
        data["written_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        RESULTS.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(data, indent=1, default=str) + "\n", "utf-8")
        md_path.write_text(render(data), "utf-8")
        log(f"{name} done in {entry['seconds']}s → {md_path.relative_to(REPO)}")
    data["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    json_path.write_text(json.dumps(data, indent=1, default=str) + "\n", "utf-8")
    log(f"all done in {data['wall_s']}s: {md_path.relative_to(REPO)}, {json_path.relative_to(REPO)}")
    if any("error" in data["benchmarks"].get(n, {}) for n in names):
        sys.exit(1)


if __name__ == "__main__":
    main()
