"""Measure the peak RSS of Ray worker processes while importing the corpus.

The `task.memory_mb` default comes from this: Ray admits a task only when its `memory` request
fits, so the request must cover a worker's real peak or the node can be oversubscribed.

Usage (from the repo root, with the replay proxy running and HTTP_PROXY pointing at it):
    python benchmarks/worker_memory.py ../shared/corpus/urls.txt --out benchmarks/work/mem
"""

from __future__ import annotations

import argparse
import json
import threading

import psutil

from ray_import import ImportConfig, run_import
from ray_import.inputs import read_url_file


def _sample(stop: threading.Event, peaks: dict[int, int]) -> None:
    while not stop.is_set():
        for proc in psutil.process_iter(["pid", "cmdline"]):
            try:
                cmd = " ".join(proc.info["cmdline"] or [])
                if "default_worker.py" in cmd or cmd.startswith("ray::"):
                    rss = proc.memory_info().rss
                    peaks[proc.pid] = max(peaks.get(proc.pid, 0), rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        stop.wait(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls")
    parser.add_argument("--out", default="benchmarks/work/worker-memory")
    args = parser.parse_args()
    peaks: dict[int, int] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(stop, peaks), daemon=True)
    sampler.start()
    summary = run_import(read_url_file(args.urls), ImportConfig(out=args.out, refresh=True, num_cpus=2))
    stop.set()
    sampler.join()
    mb = sorted(round(v / 2**20) for v in peaks.values())
    print(json.dumps({"counts": summary.counts, "workers": len(mb), "peak_rss_mb_per_worker": mb,
                      "max_peak_rss_mb": max(mb) if mb else None}))


if __name__ == "__main__":
    main()
