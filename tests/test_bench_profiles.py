"""The benchmark suite's profiles: which benchmarks and repeats a run measures (no measuring here).

The default `python benchmarks/run.py` must fit 20 minutes on 2 cores, so it runs the benchmark
issue's five comparisons and measures a long baseline side once; `--full` runs everything.
"""

from __future__ import annotations

import sys

import pytest

from .conftest import REPO

BENCH_MODULES = ("run", "common", "peak_rss", "bench_catalog", "bench_llm_baseline", "bench_llm_stage",
                 "bench_overhead", "bench_scaling", "bench_serve", "bench_throughput")


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch):
    # The benchmark modules import each other by bare name (`import common`), as run.py does.
    monkeypatch.syspath_prepend(str(REPO / "benchmarks"))
    import common
    import run

    yield run, common
    for name in BENCH_MODULES:
        sys.modules.pop(name, None)


def test_default_profile_is_the_issue_five_comparisons(bench) -> None:
    run, _ = bench
    default = run.selected(None, full=False)
    assert default == ["throughput", "llm_baseline", "catalog", "overhead"]
    full = run.selected(None, full=True)
    assert set(default) < set(full) and {"serve", "llm_stage"} <= set(full)
    assert run.selected(["serve"], full=False) == ["serve"]


def test_long_baseline_runs_once_by_default_and_repeats_with_full(bench, tmp_path) -> None:
    _, common = bench
    short = [{"wall_s": common.LONG_BASELINE_S - 1}]
    long = [{"wall_s": common.LONG_BASELINE_S + 1}]
    default = common.Context(repeats=3, quick=False, work=tmp_path)
    assert default.repeat_baseline([])  # the first run always happens
    assert default.repeat_baseline(short)
    assert not default.repeat_baseline(long)
    full = common.Context(repeats=3, quick=False, full=True, work=tmp_path)
    assert full.repeat_baseline(long)


def test_goal_rows_render_met_and_missed(bench) -> None:
    """Every goal of the old-architecture and LLM-stage benchmarks reaches the goals table."""
    import bench_llm_baseline
    import bench_llm_stage

    old, new = {"peak_pss_mb": 900, "peak_rss_mb": 5000}, {"peak_pss_mb": 1260, "peak_rss_mb": 1000}
    summary = {"a": {"pages": 200, "concurrency": 8, "speedup": 9.0, "pss_ratio": 1.4, "rss_ratio": 0.2,
                     "old": old, "ray_import": new},
               "b": {"pages": 50, "concurrency": 50, "speedup": 3.0, "pss_ratio": 1.4, "rss_ratio": 0.2,
                     "old": old, "ray_import": new}}
    rows = bench_llm_baseline.goals({"summary": summary})
    assert len(rows) == 4
    assert rows[0].endswith("| met |") and rows[1].endswith("| missed |")  # (a) speed met, PSS 1.4× missed
    assert rows[2].endswith("| missed |") and rows[3].endswith("| met |")  # (b) speed missed, RSS 0.2× met
    # Judged unrounded: 1 270 MB against 5 000 is 0.254×, over 0.25× though it prints as 0.25 at 2 digits.
    summary["b"]["ray_import"] = {"peak_pss_mb": 1000, "peak_rss_mb": 1270}
    assert bench_llm_baseline.goals({"summary": summary})[3].endswith("| 0.254× | ≤ 0.25× | missed |")
    stage = {"pages": 64, "summary": {"ray_import": {"vs_ideal": 1.07, "peak_rss_mb": 1800, "peak_pss_mb": 1100}}}
    met, rss = bench_llm_stage.goals(stage)
    assert met.endswith("| met |") and rss.endswith("| missed |")
    assert bench_llm_stage.goals({"pages": 8, "summary": {"ray_import": {"skipped": "no ray[data]"}}}) == []


def test_report_history_keeps_only_the_sections_each_run_still_provides(bench) -> None:
    run, _ = bench
    first = {"started_at": "t1", "benchmarks": ["throughput", "scaling", "serve"]}
    second = {"started_at": "t2", "benchmarks": ["serve"]}
    runs = run.history([first], second)
    assert [r["benchmarks"] for r in runs] == [["throughput", "scaling"], ["serve"]]
    # A run whose every section was measured again drops out; updating the current run replaces it.
    third = {"started_at": "t3", "benchmarks": ["throughput", "scaling"]}
    assert [r["started_at"] for r in run.history(runs, third)] == ["t2", "t3"]
    assert run.history([*runs, {**third}], {**third, "benchmarks": ["throughput", "scaling", "catalog"]})[-1][
        "benchmarks"] == ["throughput", "scaling", "catalog"]
