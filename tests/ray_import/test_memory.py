"""Memory that does not grow with the batch (issue 12): a fast guard against the cause coming back.

The cause was one Ray task name per URL (`import:<host>/<path>`): Ray keeps a metrics series and
state per distinct task name, in the driver, in every worker and in the dashboard agent, for the
life of the session — ~54 KB more per imported URL over the whole tree. This imports
N_URLS distinct recipes on the test session's real Ray and samples the RSS of this process (the
driver) and of every Ray process it started, except GCS: GCS keeps task events up to
`runtime.TASK_EVENTS_IN_GCS` tasks and then levels off, so below that cap it grows by design
(the scaling benchmark measures it beyond the cap).

Memory, not time: the growth is the least-squares slope of RSS against URLs done over the
second half of the batch (start-up, the workers' first imports and caches are over by then).
Thresholds, with their margins: the leak measured 32 KB per URL in the driver and ~50 KB per
URL for these processes together; without it both slopes are within ±2 KB per URL here. The
limits, 8 KB per URL for the driver and 16 KB for all together, sit 4× below the leak and 4×
above the noise.
"""

from __future__ import annotations

import psutil
import pytest

from ray_import import run_import

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_session")]

N_URLS = 2_000
EVERY = 100
DRIVER_LIMIT_KB = 8
TREE_LIMIT_KB = 16


def _rss_mb() -> tuple[float, float]:
    """(this process's RSS, RSS of it and every process it started but GCS), in MB."""
    me = psutil.Process()
    driver = me.memory_info().rss
    total = driver
    for child in me.children(recursive=True):
        try:
            if child.name() == "gcs_server":
                continue
            total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return driver / 2**20, total / 2**20


def _slope_kb_per_url(points: list[tuple[int, float]]) -> float:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return 1024 * sum((x - mx) * (y - my) for x, y in points) / sxx


def test_memory_does_not_grow_with_distinct_imports(sample_site, make_config):
    urls = [f"{sample_site.base_url}/generated/{i}" for i in range(N_URLS)]
    samples: list[tuple[int, float, float]] = []
    done = [0]

    def sample(_result) -> None:
        done[0] += 1
        if done[0] % EVERY == 0:
            samples.append((done[0], *_rss_mb()))

    summary = run_import(urls, make_config(), on_result=sample)
    assert summary.counts == {"imported": N_URLS}
    steady = [s for s in samples if s[0] > N_URLS // 2]
    driver = _slope_kb_per_url([(n, d) for n, d, _ in steady])
    tree = _slope_kb_per_url([(n, t) for n, _, t in steady])
    detail = f"driver {driver:.1f} KB/URL, driver + Ray processes but GCS {tree:.1f} KB/URL; samples {samples}"
    assert driver < DRIVER_LIMIT_KB, detail
    assert tree < TREE_LIMIT_KB, detail
