"""The Python API for notebooks: results as they arrive, a summary, a DataFrame, cancel."""

from __future__ import annotations

import pytest

from ray_import import ImportConfig, import_urls

pytestmark = pytest.mark.usefixtures("ray_session")


def test_results_stream_then_summarize_and_tabulate(sample_site, make_config):
    urls = [u for u in sample_site.urls() if "nodata-" not in u][:10]
    run = import_urls(urls, config=make_config(), progress=False)
    seen = [result.url for result in run]
    assert sorted(seen) == sorted(urls)
    assert run.done and run.summary.counts == {"imported": 10}
    frame = run.to_pandas()
    assert len(frame) == 10 and set(frame["status"]) == {"imported"}
    assert {"fetch_s", "extract_s", "enrich_s", "save_s", "node_id", "pid"} <= set(frame.columns)
    assert (frame["finished_at"] >= frame["started_at"]).all()
    assert list(run) == []  # a finished run's iterator ends at once


def test_keyword_settings_and_out(sample_site, tmp_path):
    urls = [u for u in sample_site.urls() if "nodata-" not in u][:2]
    run = import_urls(urls, out=tmp_path / "kw", progress=False,
                      **{"fetch.per_host_interval_s": 0, "max_in_flight": 4})
    assert run.wait().counts == {"imported": 2}
    assert run.config.max_in_flight == 4 and len(list((tmp_path / "kw").glob("*.recipe.json"))) == 2


def test_cancel_stops_like_ctrl_c(sample_site, make_config):
    urls = [f"{u}?delay=1&c={i}" for i in range(6) for u in sample_site.urls()[:8]]
    run = import_urls(urls, config=make_config(max_in_flight=4), progress=False)
    next(iter(run))
    summary = run.cancel()
    assert summary.interrupted and summary.counts.get("cancelled", 0) > 0
    assert sum(summary.counts.values()) == len(urls)


def test_settings_twice_is_a_config_error(tmp_path):
    from ray_import import ConfigError

    with pytest.raises(ConfigError):
        import_urls([], config=ImportConfig(out=tmp_path), max_in_flight=2)
