"""Shared plumbing of the benchmark suite: paths, child environments, the replay proxy, measuring.

Every measured thing runs as a subprocess under `peak_rss.measure`, so its wall time, peak total
RSS / PSS and CPU seconds cover every process involved (the driver and all Ray processes). Work
files go under `benchmarks/work/` (ignored by git). Nothing here imports ray_import: the suite
talks to it only through its CLI and, in child scripts, its public API.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from peak_rss import measure

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
PROXY_TOOL = SHARED / "tools" / "replay_proxy.py"
NLTK_DATA = SHARED / "nltk_data"
PY = sys.executable
SAMPLE_INTERVAL_S = 0.25  # psutil sampling period of measure(): PSS reads cost CPU on 2 cores
# Before each measurement, wait (up to QUIET_WAIT_S, at most QUIET_BUDGET_S per suite run) while
# other processes keep more than QUIET_BUSY_CORES busy: someone else's tests on a 2-core machine
# would otherwise decide the result.
QUIET_BUSY_CORES = 0.5
QUIET_WAIT_S = 30.0
QUIET_BUDGET_S = 60.0
_quiet_waited = [0.0]
DISTURBED_SHARE = 0.25
# In the default profile a baseline side whose first run took longer than this is not repeated
# (Context.repeat_baseline); `--full` repeats it.
LONG_BASELINE_S = 45.0
MAX_RETRIES = 6
_retries = [0]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@dataclass
class Context:
    """What every benchmark gets: how many repeats, which profile, where to put files.

    `full` is the `--full` profile: every side of every comparison repeated and the diagnostic
    variants run too. The default profile must fit the suite's 20 minutes on 2 cores, so there a
    long baseline side (see `repeat_baseline`) is measured once.
    """

    repeats: int
    quick: bool
    full: bool = False
    work: Path = WORK

    def repeat_baseline(self, previous: Sequence[dict[str, Any]]) -> bool:
        """Whether to measure a baseline side again, given its runs so far.

        Why: the baselines that run longest are also the steadiest (in a `--full` run, the
        sequential loop waiting on a 300 ms latency: 80.5 / 81.8 / 81.4 s; the old architecture's
        subprocesses: 224.3 / 222.0 / 224.4 s and 48.3 / 48.5 / 49.3 s), and repeating them would
        add ~11 minutes to a run that must fit 20. Each ray-import side is still repeated.
        """
        if self.full or not previous:
            return True
        return previous[0]["wall_s"] <= LONG_BASELINE_S

    def dir(self, *parts: str, fresh: bool = False) -> Path:
        path = self.work.joinpath(*parts)
        if fresh and path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        return path


def ray_import_cmd() -> list[str]:
    script = Path(PY).parent / "ray-import"
    return [str(script)] if script.exists() else [PY, "-m", "ray_import"]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured child: none of the caller's RAY_IMPORT_* or proxy settings."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RAY_IMPORT_")
           and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ray_address")}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    if "NLTK_DATA" not in env and NLTK_DATA.is_dir():
        env["NLTK_DATA"] = str(NLTK_DATA)  # as in CI: English ingredients go through the NLP parser
    env.update(extra)
    return env


def run_measured(cmd: Sequence[str], env: dict[str, str], name: str, ctx: Context,
                 side_pids: Sequence[int] = (), prepare: Callable[[], None] | None = None,
                 retry: bool = True, **measure_options: Any) -> dict[str, Any]:
    """measure() one command; adds its stdout (and JSON, if it printed one), start time, and the
    CPU that other processes used meanwhile (`side_pids`: the proxy/site; `foreign_cpu_s`:
    everything else on the machine, e.g. someone else's tests).

    A measurement during which other processes used more than DISTURBED_SHARE of the machine is
    taken again once (at most MAX_RETRIES per suite run); the disturbed one is kept under
    `disturbed_attempt`. `prepare` runs before each attempt (e.g. to empty an output folder).
    `measure_options` go to `peak_rss.measure` (interval, timeline_every_s, progress). With
    `retry=False` a disturbed measurement is kept as it is (a 20-minute run is not taken twice):
    its `foreign_cpu_s` says how disturbed it was.
    """
    result = _measure_once(cmd, env, name, ctx, side_pids, prepare, **measure_options)
    capacity = result["wall_s"] * (os.cpu_count() or 1)
    if retry and not ctx.quick and result["foreign_cpu_s"] > DISTURBED_SHARE * capacity and _retries[0] < MAX_RETRIES:
        _retries[0] += 1
        log(f"{name}: other processes used {result['foreign_cpu_s']:.0f} of {capacity:.0f} CPU s; measuring again")
        first = result
        result = _measure_once(cmd, env, name, ctx, side_pids, prepare, **measure_options)
        result["disturbed_attempt"] = {k: first[k] for k in ("wall_s", "foreign_cpu_s", "cpu_s", "peak_rss_mb")}
    return result


def _measure_once(cmd: Sequence[str], env: dict[str, str], name: str, ctx: Context,
                  side_pids: Sequence[int], prepare: Callable[[], None] | None,
                  **measure_options: Any) -> dict[str, Any]:
    logs = ctx.dir("logs")
    out_path, err_path = logs / f"{name}.out", logs / f"{name}.err"
    waited = 0.0 if ctx.quick else wait_for_quiet(side_pids)
    if prepare:
        prepare()
    side = [_cpu_of(pid) for pid in side_pids]
    host_before = _host_busy()
    started_at = time.time()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        options = {"interval": SAMPLE_INTERVAL_S, **measure_options}
        result = measure(list(cmd), env=env, stdout=out, stderr=err, **options)
    host_cpu = _host_busy() - host_before
    side_cpu = sum(_cpu_of(pid) - before for pid, before in zip(side_pids, side, strict=True))
    result["started_at"] = started_at
    result["waited_for_quiet_s"] = waited
    result["side_cpu_s"] = round(side_cpu, 1)
    result["foreign_cpu_s"] = round(max(0.0, host_cpu - result["cpu_s"] - side_cpu), 1)
    stdout = out_path.read_text().strip()
    if stdout:
        with contextlib.suppress(ValueError):
            result["output"] = json.loads(stdout.splitlines()[-1])
    if result["exit_code"] not in (0, 1):
        tail = err_path.read_text()[-1500:]
        raise RuntimeError(f"{name}: {' '.join(cmd[:4])}... exited {result['exit_code']}: {tail}")
    return result


def wait_for_quiet(side_pids: Sequence[int] = ()) -> float:
    """Wait while the machine is busy with work that is not ours; returns the seconds waited."""
    started = time.perf_counter()
    while True:
        own = [os.getpid(), *side_pids]
        before, own_before = _host_busy(), sum(_cpu_of(pid) for pid in own)
        time.sleep(0.3)
        busy = (1 / 0.3) * (_host_busy() - before - (sum(_cpu_of(pid) for pid in own) - own_before))
        waited = time.perf_counter() - started
        if busy < QUIET_BUSY_CORES or waited >= QUIET_WAIT_S or _quiet_waited[0] + waited >= QUIET_BUDGET_S:
            break
    extra = max(0.0, waited - 0.3)
    _quiet_waited[0] += extra
    if extra >= 1:
        log(f"waited {extra:.0f}s for other processes to calm down (busy {busy:.1f} cores)")
    return round(extra, 1)


def _cpu_of(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


def _host_busy() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@contextlib.contextmanager
def replay_proxy(ctx: Context, latency_ms: float = 0, manifests: Sequence[Path] = ()) -> Iterator[tuple[str, int]]:
    """The corpus replay proxy on 127.0.0.1; yields (its URL, its pid)."""
    if not PROXY_TOOL.is_file() or not (CORPUS / "manifest.jsonl").is_file():
        raise FileNotFoundError(f"the corpus and its replay proxy are needed: {CORPUS}, {PROXY_TOOL}")
    args = [PY, str(PROXY_TOOL), "--port", "0", "--latency-ms", str(latency_ms)]
    for manifest in [CORPUS / "manifest.jsonl", *manifests]:
        args += ["--manifest", str(manifest)]
    err = open(ctx.dir("logs") / "proxy.err", "a")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"replay proxy did not start: {line!r}")
        yield line.removeprefix("listening on "), proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        err.close()


def ray_import_run(ctx: Context, urls_file: Path, out: Path, name: str, env: dict[str, str],
                   side_pids: Sequence[int] = (), quiet: bool = True, retry: bool = True,
                   **measure_options: Any) -> dict[str, Any]:
    """`ray-import run` into a fresh folder, measured; adds what its JSON report says.

    `quiet=False` keeps the progress lines (in logs/<name>.err); `measure_options` go to measure().
    """
    report = out.with_name(out.name + ".report.json")

    def fresh() -> None:
        if out.exists():
            shutil.rmtree(out)
        report.unlink(missing_ok=True)

    result = run_measured([*ray_import_cmd(), "run", str(urls_file), "--out", str(out),
                           "--report", str(report), *(["-q"] if quiet else [])], env, name, ctx, side_pids,
                          prepare=fresh, retry=retry, **measure_options)
    result["report"] = summarize_report(report, result)
    return result


def summarize_report(path: Path, measured: dict[str, Any]) -> dict[str, Any]:
    """The parts of a ray-import JSON report the benchmarks use (the file itself can be large)."""
    data = json.loads(path.read_text("utf-8"))
    step_totals: dict[str, float] = {}
    for result in data["results"]:
        for step, seconds in (result.get("seconds") or {}).items():
            step_totals[step] = step_totals.get(step, 0.0) + seconds
    started = datetime.fromisoformat(data["started_at"]).timestamp()
    finished = datetime.fromisoformat(data["finished_at"]).timestamp()
    ended = measured["started_at"] + measured["wall_s"]
    return {
        "total": data["total"],
        "counts": data["counts"],
        "errors_by_kind": data.get("errors_by_kind", {}),
        "wall_seconds": data["wall_seconds"],
        "steps": data["steps"],
        "step_totals_s": {k: round(v, 2) for k, v in sorted(step_totals.items())},
        # Process start → report opened (Python imports, ray.init, catalog actor, gateways), and
        # report finished → process gone (report writing, Ray shutdown).
        "startup_s": round(started - measured["started_at"], 2),
        "shutdown_s": round(ended - finished, 2),
        "processing_s": round(finished - started, 2),
    }


def median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def pick(runs: Sequence[dict[str, Any]], *path: str) -> list[Any]:
    """[run[path[0]][path[1]]... for each run], skipping runs that lack it."""
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(value)
    return values


def stats_of(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Medians over repeats of the measured quantities every run has."""
    keys = ("wall_s", "peak_rss_mb", "peak_pss_mb", "peak_root_rss_mb", "cpu_s", "foreign_cpu_s", "side_cpu_s")
    summary = {key: median(pick(runs, key)) for key in keys}
    summary["repeats"] = len(runs)
    summary["wall_s_all"] = pick(runs, "wall_s")
    return summary


def write_lines(path: Path, lines: Sequence[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    return path


def goal(value: float | None, target: float, higher_is_better: bool) -> str:
    if value is None:
        return "n/a"
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "missed"


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
