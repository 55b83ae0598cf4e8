"""Interruptions: Ctrl-C, a killed driver, a killed worker. Nothing is lost or imported twice.

The driver runs as a real `python -m ray_import run` subprocess with its own local Ray instance,
in its own process group, so a signal reaches it (and its Ray processes) as from a terminal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from click.testing import CliRunner

from ray_import import run_import
from ray_import.cli import cli

pytestmark = pytest.mark.slow


def _slow_batch(site, tmp_path: Path, copies: int = 2) -> Path:
    """A URL file whose import takes ~10 s: every sample page, twice, served slowly.

    ~50 pages x 2 copies at 0.4 s a fetch, 4 at a time (the driver's per-host cap): the first files
    appear in one burst once the workers are up, and the batch has seconds left after them, so an
    interrupt then lands mid-batch. The second copy of a page is a duplicate of the first.
    """
    pages = [u for u in site.urls() if "nodata-" not in u]
    urls = [f"{u}?delay=0.4&copy={i}" for i in range(copies) for u in pages]
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(urls) + "\n")
    return path


def _start_driver(urls: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S": "0",
           "RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY": "4", "RAY_IMPORT_MAX_IN_FLIGHT": "8"}
    return subprocess.Popen(
        [sys.executable, "-m", "ray_import", "run", str(urls), "--out", str(out), "--num-cpus", "2", "-q"],
        env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _wait_for_files(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(list(out.glob("*.recipe.json"))) < n:
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "batch did not make progress"
        time.sleep(0.2)


def _tree(proc: subprocess.Popen) -> list[psutil.Process]:
    root = psutil.Process(proc.pid)
    return [root, *root.children(recursive=True)]


def _alive_after(procs: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    """The processes still running (not zombies) `seconds` from now; returns as soon as none is."""
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
            except psutil.NoSuchProcess:
                pass
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def _assert_complete_and_unique(urls: Path, out: Path) -> None:
    """Every URL is in the catalog, and no page was saved twice.

    The copies of a page share its canonical URL, so the catalog keeps one file per page and
    answers the other copies as duplicates of it.
    """
    docs = [json.loads(p.read_text("utf-8")) for p in out.glob("*.recipe.json")]
    canonical = [d["canonical_url"] for d in docs]
    assert len(canonical) == len(set(canonical)), "a page was imported twice"
    assert len({d["source_url"] for d in docs}) == len(docs)
    for path in out.glob("*.recipe.json"):
        assert json.loads(path.read_text("utf-8"))["slug"] == path.name.removesuffix(".recipe.json")
    again = CliRunner().invoke(cli, ["run", str(urls), "--out", str(out), "-q", "--report", str(out / "last.json")])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "last.json").read_text())["counts"] == {"exists": len(urls.read_text().split())}


# The reruns (CliRunner, in this process) use the session's Ray; the driver has its own.
@pytest.mark.usefixtures("ray_session")
def test_ctrl_c_cancels_reports_exits_130_and_a_rerun_resumes(sample_site, tmp_path):
    urls, out = _slow_batch(sample_site, tmp_path), tmp_path / "out"
    proc = _start_driver(urls, out)
    _wait_for_files(out, 5, proc)
    tree = _tree(proc)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    started = time.monotonic()
    proc.wait(timeout=30)
    assert proc.returncode == 130, proc.stdout.read()
    assert time.monotonic() - started < 10
    assert _alive_after(tree, 2.0) == []
    [report] = (out / "reports").glob("run-*.json")
    data = json.loads(report.read_text())
    assert data["interrupted"] is True
    assert data["counts"].get("cancelled", 0) > 0
    assert data["total"] == len(urls.read_text().split())

    result = CliRunner().invoke(cli, ["run", str(urls), "--out", str(out), "-q"],
                                env={"RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S": "0",
                                     "RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY": "8"})
    assert result.exit_code == 0, result.output
    _assert_complete_and_unique(urls, out)


# The reruns (CliRunner, in this process) use the session's Ray; the driver has its own.
@pytest.mark.usefixtures("ray_session")
def test_kill_9_of_the_driver_then_rerun_finishes_without_duplicates(sample_site, tmp_path):
    urls, out = _slow_batch(sample_site, tmp_path), tmp_path / "out"
    proc = _start_driver(urls, out)
    _wait_for_files(out, 8, proc)
    tree = _tree(proc)
    for p in tree:  # kill -9 the driver, then what `ray stop` does for its Ray instance
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=30)
    saved = len(list(out.glob("*.recipe.json")))
    assert 0 < saved < len(urls.read_text().split())

    result = CliRunner().invoke(cli, ["run", str(urls), "--out", str(out), "-q"],
                                env={"RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S": "0",
                                     "RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY": "8"})
    assert result.exit_code == 0, result.output
    _assert_complete_and_unique(urls, out)
    checked = CliRunner().invoke(cli, ["check", "--out", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "index consistent" in checked.output


@pytest.mark.usefixtures("ray_session")
def test_a_worker_killed_mid_task_is_retried_by_ray_and_nothing_is_duplicated(sample_site, make_config):
    url = f"{sample_site.base_url}/heavy?n=200000&recipe=1"  # seconds of parsing, then a recipe
    killed: list[int] = []

    def kill_the_worker() -> None:
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for p in psutil.process_iter(["pid", "cmdline"]):
                if "ray::import_page 127.0.0.1/heavy" in " ".join(p.info["cmdline"] or []):
                    time.sleep(0.5)  # let it get into the parse
                    p.kill()
                    killed.append(p.pid)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_worker)
    killer.start()
    cfg = make_config()
    results = []
    summary = run_import([url], cfg, on_result=results.append)
    killer.join()
    assert killed, "the task's worker was never seen"
    assert summary.counts == {"imported": 1}
    assert len(list(cfg.out.glob("*.recipe.json"))) == 1
