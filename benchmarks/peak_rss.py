"""Run a command and report its wall time and the peak total RSS / PSS of its whole process tree.

Ray's processes (GCS, raylet, workers, dashboard) started by a local `ray.init` are descendants of
the driver, so the tree is everything the command costs. PSS counts shared pages once.

Usage:
    python benchmarks/peak_rss.py [--interval 0.2] -- ray-import run urls.txt --out /tmp/x -q
Prints one JSON line: {"wall_s", "peak_rss_mb", "peak_pss_mb", "peak_processes", "exit_code"}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import psutil


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def measure(cmd: list[str], interval: float = 0.2, pss: bool = True) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd)
    root = psutil.Process(proc.pid)
    peak_rss = peak_pss = peak_n = 0
    while proc.poll() is None:
        rss = pss_total = 0
        procs = _tree(root)
        for p in procs:
            try:
                if pss:
                    info = p.memory_full_info()
                    rss += info.rss
                    pss_total += info.pss
                else:
                    rss += p.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        peak_rss, peak_pss, peak_n = max(peak_rss, rss), max(peak_pss, pss_total), max(peak_n, len(procs))
        time.sleep(interval)
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak_rss / 2**20),
        "peak_pss_mb": round(peak_pss / 2**20) if pss else None,
        "peak_processes": peak_n,
        "exit_code": proc.returncode,
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
