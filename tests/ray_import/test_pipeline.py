"""The driver, the tasks and the catalog together, on real Ray and the loopback sample site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ray_import import run_import
from ray_import.results import ImportResult

pytestmark = pytest.mark.usefixtures("ray_session")


def _files(folder: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.recipe.json"))}


def _run(urls, cfg):
    results: list[ImportResult] = []
    summary = run_import(urls, cfg, on_result=results.append)
    return summary, results


def test_twenty_copies_of_one_url_plus_twenty_distinct_make_21_files(sample_site, make_config):
    pages = [u for u in sample_site.urls() if "nodata-" not in u]
    base = pages[0]
    copies = [f"{base}?utm_source=s{i}&fbclid=x{i}" for i in range(20)]
    distinct = pages[1:21]
    urls = [u for pair in zip(copies, distinct, strict=True) for u in pair]
    cfg = make_config()

    summary, results = _run(urls, cfg)

    files = _files(cfg.out)
    assert len(files) == 21
    assert summary.counts == {"imported": 21, "duplicate": 19}
    by_slug = {r.slug: r for r in results if r.status == "imported"}
    assert len(by_slug) == 21
    for name, doc in files.items():
        assert name == f"{doc['slug']}.recipe.json"
        assert by_slug[doc["slug"]].url == doc["source_url"]
    duplicates = [r for r in results if r.status == "duplicate"]
    assert {r.duplicate_of for r in duplicates} <= set(copies)


def test_rerun_of_finished_batch_is_all_exists_and_rewrites_nothing(sample_site, make_config):
    urls = [u for u in sample_site.urls() if "nodata-" not in u][:12]
    cfg = make_config()
    first, _ = _run(urls, cfg)
    assert first.counts == {"imported": 12}
    mtimes = {p.name: p.stat().st_mtime_ns for p in cfg.out.glob("*.recipe.json")}

    second, results = _run(urls, cfg)

    assert second.counts == {"exists": 12}
    assert second.exit_code == 0
    assert {p.name: p.stat().st_mtime_ns for p in cfg.out.glob("*.recipe.json")} == mtimes
    assert sorted(f"{r.slug}.recipe.json" for r in results) == sorted(mtimes)
    assert second.catalog["parsed_on_open"] == 0


def test_refresh_rewrites_under_the_same_slug(sample_site, make_config):
    url = sample_site.urls()[0]
    cfg = make_config()
    _, [first] = _run([url], cfg)
    _, [again] = _run([url], make_config(refresh=True))
    assert again.status == "imported" and again.slug == first.slug
    assert len(list(cfg.out.glob("*.recipe.json"))) == 1


def test_identical_titles_get_distinct_slugs(sample_site, make_config):
    urls = [u for u in sample_site.urls() if "/classic-pancakes" in u]
    assert len(urls) == 2
    cfg = make_config()
    summary, results = _run(urls, cfg)
    assert summary.counts == {"imported": 2}
    assert sorted(r.slug for r in results) == ["classic-pancakes", "classic-pancakes-2"]


def test_failures_are_accounted_for_and_the_batch_goes_on(sample_site, make_config):
    good = sample_site.urls()[0]
    bad = [
        "ftp://example.com/recipe",
        "not a url",
        f"{sample_site.base_url}/status/404",
        f"{sample_site.base_url}/type/pdf",
        f"{sample_site.base_url}/recipes/nodata-lemonade.html",
    ]
    cfg = make_config()
    summary, results = _run([(i + 1, u) for i, u in enumerate([*bad, good])], cfg)
    by_url = {r.url: r for r in results}
    assert by_url[good].status == "imported"
    kinds = {u: by_url[u].error_kind for u in bad}
    assert kinds == {
        bad[0]: "invalid_url",
        bad[1]: "invalid_url",
        bad[2]: "http_error",
        bad[3]: "not_html",
        bad[4]: "not_a_recipe",
    }
    assert by_url[bad[0]].line == 1
    assert "configure an LLM" in by_url[bad[4]].error
    assert summary.exit_code == 1
    report = json.loads(Path(summary.report).read_text("utf-8"))
    assert report["total"] == 6 and len(report["results"]) == 6
    assert report["errors_by_kind"]["invalid_url"] == 2
    assert set(report["steps"]) >= {"fetch", "extract", "enrich", "save"}
    failed_file = Path(summary.failed_urls).read_text("utf-8").splitlines()
    assert sorted(line for line in failed_file if not line.startswith("#")) == sorted(bad)


def test_task_running_past_timeout_is_cancelled_and_reported(sample_site, make_config):
    heavy = f"{sample_site.base_url}/heavy?n=250000"  # ~9 s of parsing on this machine
    good = sample_site.urls()[1]
    cfg = make_config(task={"timeout_s": 1})
    summary, results = _run([heavy, good], cfg)
    by_url = {r.url: r for r in results}
    assert by_url[heavy].status == "timeout"
    assert "task.timeout_s=1" in by_url[heavy].error
    assert by_url[good].status == "imported"


def test_a_stalled_fetch_ends_at_its_timeout_without_holding_a_task(sample_site, make_config):
    slow = f"{sample_site.base_url}/slow?s=10"
    good = sample_site.urls()[1]
    cfg = make_config(task={"timeout_s": 1}, fetch={"read_timeout_s": 1, "max_attempts": 2})
    summary, results = _run([slow, good], cfg)
    by_url = {r.url: r for r in results}
    # The fetch waits in the gateway, not in a task: the 1 s task timeout does not apply to it.
    assert (by_url[slow].status, by_url[slow].error_kind, by_url[slow].attempts) == ("failed", "timeout", 2)
    assert by_url[good].status == "imported"


def test_per_host_politeness_caps_requests_in_flight(sample_site, make_config):
    urls = [f"{sample_site.base_url}/slow?s=0.3&i={i}" for i in range(8)]
    cfg = make_config(fetch={"per_host_concurrency": 2, "per_host_interval_s": 0.05, "max_attempts": 1})
    summary, _ = _run(urls, cfg)
    assert summary.hosts["127.0.0.1"]["max_in_flight"] == 2
    assert summary.hosts["127.0.0.1"]["requests"] == 8 + 1  # and its robots.txt, once


def test_transient_failures_are_retried_inside_the_step(sample_site, make_config):
    flaky = f"{sample_site.base_url}/flaky/pipeline-test/2"
    cfg = make_config(fetch={"max_attempts": 3})
    _, [result] = _run([flaky], cfg)
    assert result.status == "imported"
    assert result.attempts == 3


def _live_catalogs() -> set[str]:
    import ray

    return {a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith("catalog:")}


def test_runs_leave_no_catalog_actor_behind(sample_site, make_config, tmp_path):
    # ray.util.state.list_actors needs the dashboard, which the test session does not start;
    # the catalog actors are named, and list_named_actors lists the live ones from the GCS.
    from ray_import.catalog import actor_name

    url = sample_site.urls()[0]
    before = _live_catalogs()
    for i in range(3):
        cfg = make_config(out=tmp_path / f"out-{i}")
        assert _run([url], cfg)[0].counts == {"imported": 1}
        assert actor_name(cfg.out) not in _live_catalogs()
    assert _live_catalogs() <= before
    # The same folder again, in the same process: a fresh actor, which finds the recipe saved.
    assert _run([url], make_config(out=tmp_path / "out-0"))[0].counts == {"exists": 1}


def test_attempts_and_llm_usage_are_declared_on_page_errors():
    from scraper.errors import HTTPRejected, LLMUnavailable, PageError

    assert PageError("x").attempts == 1 and PageError("x").usage is None
    assert HTTPRejected(status=404).attempts == 1 and LLMUnavailable("busy").usage is None
