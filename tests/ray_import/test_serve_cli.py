"""`ray-import serve` as users start it: a real process with its own Ray, stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_process_imports_with_a_token_and_stops_cleanly_on_ctrl_c(sample_site, tmp_path: Path):
    port, out = _free_port(), tmp_path / "out"
    env = {**os.environ, "RAY_IMPORT_API_TOKEN": "tok-123456", "RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ray_import", "serve", "--port", str(port), "--out", str(out), "--num-cpus", "2",
         "--allow-private-networks"],
        env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer tok-123456"}
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "serve did not come up"
            try:
                if httpx.get(f"{base}/healthz", trust_env=False, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        client = httpx.Client(base_url=base, trust_env=False, timeout=30, headers=auth)
        assert httpx.post(f"{base}/api/recipes", json={"url": sample_site.urls()[0]}, trust_env=False).status_code == 401
        progress_id = client.post("/api/recipes", json={"url": sample_site.urls()[0]}).json()["progressId"]
        deadline = time.monotonic() + 90
        while (record := client.get(f"/api/recipes/progress/{progress_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert record["status"] == "imported", record
        slow = client.post("/api/recipes", json={"url": sample_site.urls()[1] + "?delay=20"}).json()
        assert slow["status"] in ("queued", "running")
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, output
    assert f"ray-import serve: http://127.0.0.1:{port}" in output and "bearer token required" in output
    assert "tok-123456" not in output
    assert "Traceback" not in output, output
    assert [p.name for p in out.glob("*.recipe.json")] == [f"{record['slug']}.recipe.json"]
    assert not [p for p in out.rglob("*") if p.is_file() and ".tmp" in p.name]
    psutil.wait_procs(tree, timeout=30)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
