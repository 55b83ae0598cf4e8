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


# -- serve's config: flags given override the file and the environment, flags not given never do --

def _serve_config(args: list[str]):
    """The config `ray-import serve ARGS` would run with, resolved as the command resolves it."""
    from ray_import.cli import serve, serve_config

    params = serve.make_context("serve", args).params
    params.pop("debug")
    return serve_config(**params)


def test_serve_keeps_block_private_networks_from_the_file_when_its_flag_is_not_given(tmp_path, monkeypatch):
    config = tmp_path / "serve.toml"
    config.write_text("[fetch]\nblock_private_networks = false\n")
    assert _serve_config(["--config", str(config)]).fetch.block_private_networks is False
    assert _serve_config([]).fetch.block_private_networks is True  # serve's own default
    assert _serve_config(["--config", str(config), "--block-private-networks"]).fetch.block_private_networks is True
    monkeypatch.setenv("RAY_IMPORT_FETCH__BLOCK_PRIVATE_NETWORKS", "false")
    assert _serve_config([]).fetch.block_private_networks is False  # env over serve's default
    monkeypatch.setenv("RAY_IMPORT_FETCH__BLOCK_PRIVATE_NETWORKS", "true")
    assert _serve_config(["--allow-private-networks"]).fetch.block_private_networks is False


def test_serve_flags_not_given_leave_the_file_and_env_values(tmp_path, monkeypatch):
    config = tmp_path / "serve.toml"
    config.write_text('dashboard = true\n[serve]\nhost = "0.0.0.0"\nport = 9001\nmax_queue = 7\n')
    monkeypatch.setenv("RAY_IMPORT_NUM_CPUS", "3")
    cfg = _serve_config(["--config", str(config)])
    assert (cfg.serve.host, cfg.serve.port, cfg.serve.max_queue, cfg.dashboard, cfg.num_cpus) == \
        ("0.0.0.0", 9001, 7, True, 3)
    cfg = _serve_config(["--config", str(config), "--port", "9002", "--num-cpus", "1"])
    assert (cfg.serve.port, cfg.serve.max_queue, cfg.num_cpus) == (9002, 7, 1)


# -- the [serve] extra ----------------------------------------------------------------------------

def test_serve_without_the_serve_extra_says_which_extra_to_install(monkeypatch):
    from click.testing import CliRunner

    from ray_import.cli import cli

    monkeypatch.setitem(sys.modules, "sse_starlette", None)  # as if the package were not installed
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "ConfigError: ray-import serve needs the [serve] extra: pip install 'ray-import[serve]'"]


def test_the_server_module_names_the_extra_when_fastapi_is_missing(monkeypatch):
    import importlib

    monkeypatch.setitem(sys.modules, "fastapi", None)
    monkeypatch.delitem(sys.modules, "ray_import.server", raising=False)
    with pytest.raises(ImportError, match=r"^ray_import.server needs the \[serve\] extra: "
                                          r"pip install 'ray-import\[serve\]'$"):
        importlib.import_module("ray_import.server")
