"""The serve load benchmark (benchmarks/bench_serve.py), quick and smaller still: behaviour, not timings.

It starts its own replay proxy, its own `ray-import serve` subprocess (with its own local Ray) and
a `ray-import run`, so it does not use the session's `ray_session` fixture.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import REPO, needs_corpus

pytestmark = [pytest.mark.slow, pytest.mark.corpus, needs_corpus]


@pytest.fixture
def bench_serve(monkeypatch: pytest.MonkeyPatch):
    # The benchmark modules import each other by bare name (`import common`), as run.py does.
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import bench_serve

    yield bench_serve
    for name in ("bench_serve", "common", "peak_rss"):
        sys.modules.pop(name, None)


# Smaller than the quick profile (10 URLs, 3 clients, 300 ms): the checks are the same, and what
# they need is several concurrent imports seen by more than one SSE client, not a long run.
N_URLS, N_CLIENTS, LATENCY_MS = 4, 2, 50


def test_quick_load_every_import_once(bench_serve, tmp_path: Path) -> None:
    from common import Context

    ctx = Context(repeats=1, quick=True, work=tmp_path)
    result = bench_serve.run(ctx, n_urls=N_URLS, sse_clients=N_CLIENTS, latency_ms=LATENCY_MS)

    n, clients = N_URLS, N_CLIENTS
    assert result["urls"] == n and result["sse_clients"] == clients
    [serve] = result["runs"]["serve"]
    load = serve["load"]
    assert not load["sse_errors"], f"SSE clients failed: {load['sse_errors']}"
    assert load["sse_subscribed"] == clients

    # Every POST accepted (202, or 200 when already done) with its own progress id.
    assert set(load["post_status_codes"]) <= {"200", "202"}, load["post_status_codes"]
    assert load["distinct_ids"] and load["ids"] == n
    assert load["post"]["n"] == n and load["progress_read"]["n"] >= n
    assert not load["progress_read"]["errors"]
    # Every import reached a final status, once.
    assert load["all_terminal"], load["urls_by_status"]
    assert sum(load["statuses"].values()) == n
    assert load["statuses"].get("imported", 0) >= 1, load["statuses"]
    # Every SSE client saw each import's final event exactly once, with the status a read gives.
    assert load["sse_each_final_once"]
    assert load["sse_clients_final_once"] == clients
    assert load["sse_finals_per_client"] == [n] * clients
    assert load["sse_status_agrees"]
    assert all(events >= 2 * n for events in load["sse_events_per_client"])  # queued + final at least
    # One .recipe.json per imported recipe, one fetch per URL (no second task).
    assert serve["files"] == load["statuses"]["imported"]
    assert len(list((tmp_path / "serve" / "out-serve").glob("*.recipe.json"))) == serve["files"]
    assert serve["checks"]["each_url_fetched_once"]
    # SIGINT stopped the server and every Ray process it started.
    assert serve["checks"]["stopped_on_sigint"] and serve["leftover_processes"] == 0
    assert all(serve["checks"].values()), serve["checks"]
    assert serve["peak_rss_mb"] > 0

    # The batch side imported the same URLs.
    [batch] = result["runs"]["run"]
    assert batch["report"]["total"] == n
    assert batch["report"]["counts"].get("imported") == load["statuses"]["imported"]

    # The report renders.
    assert result["summary"]["checks"] == serve["checks"]
    text = "\n".join(bench_serve.markdown(result) + bench_serve.goals(result))
    assert "POST /api/recipes latency" in text and "all pass" in text
