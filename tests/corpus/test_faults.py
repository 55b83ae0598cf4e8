"""Faults and politeness against the replay proxy (issue "Reliability", items 1 and 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ray_import import run_import

from ..conftest import CORPUS, needs_corpus, proxy_stats, replay_proxy_running

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.slow, pytest.mark.usefixtures("ray_session")]

FAULTS = ["--seed", "7", "--fail-rate", "0.05", "--reset-rate", "0.02", "--rate-limit-rate", "0.03",
          "--stall-rate", "0.01", "--stall-s", "120", "--max-faults-per-url", "2"]


def _manifest() -> list[dict]:
    return [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]


def test_every_page_is_imported_through_faults_and_stalls(make_config):
    urls = [m["url"] for m in _manifest()]
    with replay_proxy_running(*FAULTS) as proxy:
        # A stall holds the connection for 120 s: the read timeout ends it, and it is retried.
        cfg = make_config(fetch={"proxy": proxy, "read_timeout_s": 3, "total_timeout_s": 15,
                                 "max_attempts": 3, "per_host_interval_s": 0.1, "per_host_concurrency": 2})
        summary = run_import(urls, cfg)
        stats = proxy_stats(proxy)

    assert sum(stats["faults"].values()) > 10, stats["faults"]  # the faults really happened
    assert stats["faults"].get("stall", 0) >= 1
    assert summary.counts == {"imported": len(urls)}, summary.errors_by_kind
    assert stats["max_requests_per_url"] <= cfg.fetch.max_attempts
    files = list(cfg.out.glob("*.recipe.json"))
    docs = [json.loads(p.read_text("utf-8")) for p in files]  # every file is whole, valid JSON
    assert len(files) == len(urls)
    assert sorted(d["source_url"] for d in docs) == sorted(urls)
    for path, doc in zip(files, docs, strict=True):
        assert path.name == f"{doc['slug']}.recipe.json"


def test_one_busy_host_is_capped_while_other_hosts_keep_flowing(make_config, tmp_path: Path):
    corpus = _manifest()
    page = corpus[0]
    # 100 pages of one host, served by the proxy from a manifest of our own.
    shutil.copy(CORPUS / page["html"], tmp_path / "page.html")
    busy = [f"http://busy.example.com/recipe/{i}" for i in range(100)]
    (tmp_path / "busy.jsonl").write_text("".join(
        json.dumps({"url": u, "html": "page.html", "id": f"busy/{i}"}) + "\n" for i, u in enumerate(busy)))
    others = [m["url"] for m in corpus[10:60]]
    urls = busy + others  # the worst order: the busy host first
    order: list[str] = []
    with replay_proxy_running("--latency-ms", "100", manifests=[CORPUS / "manifest.jsonl", tmp_path / "busy.jsonl"]) as proxy:
        # The busy host's pages are one recipe: keep_duplicates saves each (else 99 `duplicate`s).
        cfg = make_config(max_in_flight=64, fetch={"proxy": proxy, "per_host_concurrency": 2,
                                                   "per_host_interval_s": 0.05}, keep_duplicates=True)
        summary = run_import(urls, cfg, on_result=lambda r: order.append(r.url))
        stats = proxy_stats(proxy)

    assert summary.counts.get("failed", 0) == 0
    assert stats["per_host"]["busy.example.com"]["max_in_flight"] <= 2
    assert stats["per_host"]["busy.example.com"]["requests"] == 100 + 1  # and its robots.txt, once
    # The other hosts are not stuck behind the busy one: all of them finish before half of it.
    last_other = max(order.index(u) for u in others)
    busy_done_before = sum(1 for u in order[:last_other] if u in set(busy))
    assert busy_done_before < 50, busy_done_before
    # The busy copies declare their original site's canonical URL, which is not busy.example.com's
    # to claim (issue 13, item 2), so each copy is a page of its own.
    assert summary.counts == {"imported": 150}
