"""Shared fixtures: one real Ray session, the sample site and the corpus replay proxy on loopback.

Tests that need `../shared` (the corpus, its proxy and score tools, the NLTK data) skip with a
reason when it is absent, as it is on a user's fresh clone.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
TOOLS = SHARED / "tools"
NLTK_DATA = SHARED / "nltk_data"

# Workers inherit NLTK_DATA through the job's runtime_env (ray_import.runtime.worker_env), so it
# must be in the environment before Ray starts.
if "NLTK_DATA" not in os.environ and NLTK_DATA.is_dir():
    os.environ["NLTK_DATA"] = str(NLTK_DATA)

needs_corpus = pytest.mark.skipif(
    not (CORPUS / "manifest.jsonl").is_file(),
    reason="../shared/corpus is absent (it ships with the team's workspace, not with the repo)",
)


def nltk_available() -> bool:
    from scraper.enrich import NLTK_FILES

    import nltk.data

    try:
        for name in NLTK_FILES:
            nltk.data.find(name)
    except LookupError:
        return False
    return True


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, every test on the session's Ray runs in one worker, in one group.

    The suite runs in two xdist workers (`-n 2 --dist loadgroup`, see pyproject.toml) to keep CI
    short. Only one of them may start the session's Ray instance: the tests that need it go to
    one group, so there is still one `ray.init(num_cpus=2)` for the whole run; tests that need no
    Ray, or that start a Ray of their own, are shared out among the workers.
    """
    for item in items:
        if "ray_session" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("ray_session"))


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No RAY_IMPORT_* or proxy variable of the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("RAY_IMPORT_") or key.lower() in (
            "http_proxy", "https_proxy", "all_proxy", "no_proxy"
        ):
            monkeypatch.delenv(key)


def _claim_the_session_ray(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fail loudly, not slowly, if a second xdist worker is about to start the session's Ray.

    `--dist loadgroup` keeps the Ray tests on one worker only while pytest-xdist can group them
    (pytest 9.2 broke that silently: pytest-xdist#1386); a second instance would then double
    the load on two cores rather than fail.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    claim = tmp_path_factory.getbasetemp().parent / "ray_session.claim"  # shared by the workers
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pytest.fail(f"xdist worker {worker} would start a second session Ray (the first is "
                    f"{claim.read_text()}'s): the xdist_group 'ray_session' was not kept together")
    with os.fdopen(fd, "w") as fh:
        fh.write(worker)


@pytest.fixture(scope="session")
def ray_session(tmp_path_factory):
    """One real local Ray instance (2 CPUs) for the whole test session."""
    import ray

    _claim_the_session_ray(tmp_path_factory)

    from ray_import.config import ImportConfig
    from ray_import.runtime import ensure_ray

    for key in list(os.environ):
        if key.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            del os.environ[key]
    ensure_ray(ImportConfig(num_cpus=2))
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def sample_site():
    from ray_import.demo.site import SampleSite

    with SampleSite() as site:
        yield site


@contextlib.contextmanager
def replay_proxy_running(*options: str, manifests: list[Path] | None = None):
    """Start ../shared/tools/replay_proxy.py with `options`; yields its base URL."""
    if not (TOOLS / "replay_proxy.py").is_file() or not (CORPUS / "manifest.jsonl").is_file():
        pytest.skip("../shared/tools/replay_proxy.py or the corpus is absent")
    args = [sys.executable, str(TOOLS / "replay_proxy.py"), "--port", "0", *options]
    for manifest in manifests or [CORPUS / "manifest.jsonl"]:
        args += ["--manifest", str(manifest)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        pytest.fail(f"replay proxy did not start: {line!r}")
    try:
        yield line.removeprefix("listening on ")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def proxy_stats(proxy: str) -> dict:
    import httpx

    return httpx.get(f"{proxy}/__stats", trust_env=False, timeout=10).json()


@pytest.fixture(scope="session")
def replay_proxy():
    """The corpus replay proxy on 127.0.0.1, without faults; yields its base URL."""
    with replay_proxy_running() as url:
        yield url


@pytest.fixture
def make_config(tmp_path: Path):
    """ImportConfig for a test: output under tmp_path, fetch settings that fail fast."""
    from ray_import.config import ImportConfig

    def make(**overrides):
        fetch = {"connect_timeout_s": 2, "read_timeout_s": 5, "total_timeout_s": 10,
                 "backoff_base_s": 0.05, "backoff_max_s": 0.2, "per_host_interval_s": 0,
                 "per_host_concurrency": 8, **overrides.pop("fetch", {})}
        task = overrides.pop("task", {})
        return ImportConfig(out=overrides.pop("out", tmp_path / "out"), fetch=fetch, task=task, **overrides)

    return make
