"""A real multi-node Ray cluster on this machine (ray.cluster_utils.Cluster: a head and two
worker nodes), and the custom metrics read back from Ray's metrics endpoint.

Each runs in a subprocess: a test session has one Ray of its own, and these need their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]

CLUSTER = r"""
import json, sys, time
from collections import Counter
import ray
from ray.cluster_utils import Cluster
from ray_import import ImportConfig, run_import

urls, out = json.loads(sys.argv[1]), sys.argv[2]
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
cluster.wait_for_nodes()
ray.init(address=cluster.address)
head = ray.get_runtime_context().get_node_id()
results = []
started = time.monotonic()
summary = run_import(urls, ImportConfig(out=out, fetch={"per_host_interval_s": 0, "per_host_concurrency": 8}),
                     on_result=results.append)
wall = time.monotonic() - started
print(json.dumps({"counts": summary.counts, "wall_s": round(wall, 2), "nodes": len(ray.nodes()),
                  "per_node": Counter("head" if r.node_id == head else r.node_id[:8] for r in results),
                  "head": head, "slugs": [r.slug for r in results]}))
ray.shutdown()
cluster.shutdown()
"""

METRICS = r"""
import json, socket, sys, time
import httpx, ray
from ray_import import ImportConfig, run_import

urls, out = json.loads(sys.argv[1]), sys.argv[2]
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
# Metrics reach the endpoint once per report interval (Ray's default: 10 s); 1 s here, so the
# loop below reads them about a second after the run instead of up to ten. What it reads may be
# an export from before the run ended: it waits until one counts a result for every URL.
ray.init(num_cpus=2, include_dashboard=False, _metrics_export_port=port,
         _system_config={"metrics_report_interval_ms": 1000})
summary = run_import(urls, ImportConfig(out=out, fetch={"per_host_interval_s": 0}))
deadline, lines = time.monotonic() + 60, []
while time.monotonic() < deadline:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5, trust_env=False).text
    lines = [l for l in text.splitlines() if l.startswith("ray_import_")]
    counted = sum(float(l.rsplit(" ", 1)[1]) for l in lines if l.startswith("ray_import_recipes_total"))
    if counted >= len(urls) and any(l.startswith("ray_import_step_seconds") for l in lines):
        break
    time.sleep(0.25)
print(json.dumps({"counts": summary.counts, "lines": lines}))
"""


def _script(code: str, urls: list[str], out: Path, timeout: int = 240) -> dict:
    done = subprocess.run([sys.executable, "-c", code, json.dumps(urls), str(out)], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env={**os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_three_node_cluster_spreads_tasks_and_saves_each_file_once(sample_site, tmp_path, capsys):
    urls = [u for u in sample_site.urls() if "nodata-" not in u][:30]
    out = tmp_path / "out"
    got = _script(CLUSTER, urls, out)
    with capsys.disabled():
        print(f"\nmulti-node: {got['nodes']} nodes, tasks per node {got['per_node']}, wall {got['wall_s']} s")
    assert got["nodes"] == 3
    assert got["counts"] == {"imported": 30}
    assert len([n for n, count in got["per_node"].items() if count]) >= 2
    files = sorted(p.name for p in out.glob("*.recipe.json"))
    assert files == sorted(f"{slug}.recipe.json" for slug in got["slugs"])
    assert len(files) == 30


def test_custom_metrics_reach_rays_metrics_endpoint(sample_site, tmp_path):
    urls = [u for u in sample_site.urls() if "nodata-" not in u][:6] + [f"{sample_site.base_url}/status/404"]
    got = _script(METRICS, urls, tmp_path / "out")
    lines = got["lines"]

    def value(prefix: str, *labels: str) -> float:
        for line in lines:
            if line.startswith(prefix) and all(label in line for label in labels):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    assert value("ray_import_recipes_total", 'status="imported"') == 6
    assert value("ray_import_recipes_total", 'status="failed"', 'error_kind="http_error"') == 1
    assert value("ray_import_step_seconds_count", 'step="extract"') == 6
    assert any(line.startswith("ray_import_in_flight") for line in lines)
