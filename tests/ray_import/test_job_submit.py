"""`ray job submit --working-dir . -- python -m ray_import run urls.txt` on a real head node.

The head node is started here with `ray start --head`, every port picked free so it cannot
collide with the test session's own Ray instance, and stopped by killing only its own processes
(`ray stop` would stop every Ray on the machine).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _kill_cluster(temp_dir: str) -> None:
    """SIGKILL the head node's processes (those naming its temp dir) and their descendants.

    Its descendants (dashboard and runtime-env agents, workers) rename themselves and no longer
    name the temp dir. No SIGTERM first: the GCS server and the raylet take longer than 10 s to
    act on it, and nothing of this throwaway cluster is kept.
    """
    procs: dict[int, psutil.Process] = {}
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(temp_dir in part for part in proc.info["cmdline"] or []):
                for member in [proc, *proc.children(recursive=True)]:
                    procs[member.pid] = member
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    for proc in procs.values():
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(list(procs.values()), timeout=10)


def test_ray_job_submit_with_working_dir_imports_on_the_cluster(sample_site, tmp_path):
    ray_bin = Path(sys.executable).parent / "ray"
    if not ray_bin.exists():
        pytest.skip("the `ray` command is not installed beside this Python")
    # Short: Ray puts unix sockets under it (a 107-character limit).
    temp_dir = tempfile.mkdtemp(prefix="rjs", dir="/tmp")
    gcs, dashboard, agent, agent_grpc, metrics, client = _free_ports(6)
    # The nodes run the job's `python` from their PATH: this environment's, as on a real node
    # with ray-import's dependencies installed.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "RAY_AUTH_MODE": "token"}
    env.pop("RAY_ADDRESS", None)
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join(sample_site.urls()[:3]) + "\n")
    out = tmp_path / "out"
    try:
        started = subprocess.run(
            [str(ray_bin), "start", "--head", f"--port={gcs}", f"--dashboard-port={dashboard}",
             "--dashboard-host=127.0.0.1", "--include-dashboard=true", f"--dashboard-agent-listen-port={agent}",
             f"--dashboard-agent-grpc-port={agent_grpc}", f"--metrics-export-port={metrics}",
             f"--ray-client-server-port={client}", "--num-cpus=2", f"--temp-dir={temp_dir}",
             "--disable-usage-stats"],
            env=env, capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        begin = time.monotonic()
        job = subprocess.run(
            [str(ray_bin), "job", "submit", "--address", f"http://127.0.0.1:{dashboard}", "--working-dir", ".",
             "--runtime-env-json", json.dumps({"excludes": [".venv", "benchmarks/work", ".git"]}),
             "--", "python", "-m", "ray_import", "run", str(urls), "--out", str(out), "-q"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        wall = time.monotonic() - begin
    finally:
        _kill_cluster(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
    assert job.returncode == 0, job.stdout[-5000:] + job.stderr[-3000:]
    assert "succeeded" in job.stdout + job.stderr
    assert len(list(out.glob("*.recipe.json"))) == 3
    report = json.loads(next((out / "reports").glob("run-*.json")).read_text())
    assert report["counts"] == {"imported": 3}
    print(f"ray job submit: 3 recipes in {wall:.1f}s (incl. working-dir upload and job start)")
