"""Run a command and report its wall time and the peak total RSS / PSS of its whole process tree.

Ray's processes (GCS, raylet, workers, dashboard) started by a local `ray.init` are descendants of
the driver, so the tree is everything the command costs. PSS counts shared pages once. The root
process (the driver) is also followed alone (`peak_root_rss_mb`), and each process's CPU time is
sampled, so `cpu_s` approximates the CPU seconds the whole tree used (`cpu_by_role` splits it into
driver, catalog actor, fetch gateway, workers, gcs, raylet and other Ray processes; a process's
last ~interval before it exits is missed); `peak_rss_by_role_mb` is the peak summed RSS per role
and `processes_by_role` how many distinct processes each role had.

Usage:
    python benchmarks/peak_rss.py [--interval 0.2] -- ray-import run urls.txt --out /tmp/x -q
Prints one JSON line: {"wall_s", "peak_rss_mb", "peak_pss_mb", "peak_root_rss_mb",
"peak_processes", "cpu_s", "cpu_by_role", "peak_rss_by_role_mb", "processes_by_role", "exit_code"}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import psutil


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _role(proc: psutil.Process, root_pid: int) -> str:
    """driver, catalog, gateway, workers, gcs, raylet or other (Ray's agents, dashboard...)."""
    if proc.pid == root_pid:
        return "driver"
    try:
        name = proc.name()
        cmd = " ".join(proc.cmdline()[:3])
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "other"
    title = cmd if cmd.startswith("ray::") else name  # ray::catalog:<id>:_CatalogActor.save
    if title.startswith("ray::") and "_CatalogActor" in title:
        return "catalog"
    if title.startswith("ray::") and "_FetchGateway" in title:
        return "gateway"
    if title.startswith("ray::") and "Agent" not in title or "default_worker.py" in cmd:
        return "workers"
    if name == "gcs_server" or "gcs_server" in cmd:
        return "gcs"
    if name == "raylet":
        return "raylet"
    if "agent" in cmd.lower():  # the dashboard agent and the runtime-env agent
        return "agents"
    return "other"


# When a process is seen under several roles (a fresh Ray worker before it becomes the catalog actor,
# a worker whose title cannot be read as it exits), the most specific one counts.
_RANK = {"other": 0, "agents": 0, "workers": 1, "gcs": 2, "raylet": 2, "driver": 3, "catalog": 3, "gateway": 3}


def measure(cmd: list[str], interval: float = 0.2, pss: bool = True,
            timeline_every_s: float | None = None, progress: Callable[[], int] | None = None,
            **popen: Any) -> dict:
    """Run `cmd` (extra keyword arguments go to `subprocess.Popen`: env, cwd, stdout...).

    With `timeline_every_s`, also keeps a sample of the tree every so often (`timeline`: seconds,
    `progress()` — e.g. URLs done —, total RSS and PSS, and RSS by role), so growth over a long
    run can be followed per role, not only its peak.
    """
    started = time.perf_counter()
    timeline: list[dict[str, Any]] = []
    next_sample = 0.0
    proc = subprocess.Popen(cmd, **popen)
    root = psutil.Process(proc.pid)
    peak_rss = peak_pss = peak_n = peak_root = 0
    cpu: dict[int, tuple[str, float]] = {}  # pid -> (role, last seen user+system seconds)
    role_peaks: dict[str, int] = {}
    while proc.poll() is None:
        rss = pss_total = 0
        procs = _tree(root)
        role_rss: dict[str, int] = {}
        for p in procs:
            try:
                if pss:
                    info = p.memory_full_info()
                    rss += info.rss
                    pss_total += info.pss
                else:
                    info = p.memory_info()
                    rss += info.rss
                if p.pid == root.pid:
                    peak_root = max(peak_root, info.rss)
                times = p.cpu_times()
                role = _role(p, root.pid)
                if p.pid in cpu and _RANK[cpu[p.pid][0]] > _RANK[role]:
                    role = cpu[p.pid][0]
                cpu[p.pid] = (role, times.user + times.system)
                role_rss[role] = role_rss.get(role, 0) + info.rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        for role, value in role_rss.items():
            role_peaks[role] = max(role_peaks.get(role, 0), value)
        elapsed = time.perf_counter() - started
        if timeline_every_s is not None and elapsed >= next_sample and rss:
            next_sample = elapsed + timeline_every_s
            timeline.append({"t": round(elapsed, 1), "done": progress() if progress else None,
                             "rss_mb": round(rss / 2**20, 1),
                             "pss_mb": round(pss_total / 2**20, 1) if pss else None,
                             "rss_by_role_mb": {r: round(v / 2**20, 1) for r, v in sorted(role_rss.items())}})
        peak_rss, peak_pss, peak_n = max(peak_rss, rss), max(peak_pss, pss_total), max(peak_n, len(procs))
        time.sleep(interval)
    by_role: dict[str, float] = {}
    for role, seconds in cpu.values():
        by_role[role] = by_role.get(role, 0.0) + seconds
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak_rss / 2**20),
        "peak_pss_mb": round(peak_pss / 2**20) if pss else None,
        "peak_root_rss_mb": round(peak_root / 2**20, 1),
        "peak_processes": peak_n,
        "cpu_s": round(sum(by_role.values()), 1),
        "cpu_by_role": {role: round(s, 1) for role, s in sorted(by_role.items())},
        "peak_rss_by_role_mb": {role: round(v / 2**20) for role, v in sorted(role_peaks.items())},
        "processes_by_role": {role: sum(1 for r, _ in cpu.values() if r == role) for role in sorted(by_role)},
        "exit_code": proc.returncode,
        **({"timeline": timeline} if timeline_every_s is not None else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("give a command after --")
    print(json.dumps(measure(cmd, args.interval)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
