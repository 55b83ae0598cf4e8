"""runtime.py's worker setup hook: GC thresholds raised in Ray's workers, never in the driver
(issue 15). Through the session's real Ray instance."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

import pytest
import ray

from ray_import import runtime
from ray_import.worker_setup import GC_THRESHOLDS


@ray.remote
def _worker_gc() -> tuple[int, ...]:
    return gc.get_threshold()


@ray.remote
class _Actor:
    def gc(self) -> tuple[int, ...]:
        return gc.get_threshold()


@pytest.mark.usefixtures("ray_session")
def test_workers_run_the_setup_hook_and_the_driver_keeps_its_gc():
    assert ray.get(_worker_gc.remote()) == GC_THRESHOLDS
    actor = _Actor.remote()
    try:
        assert ray.get(actor.gc.remote()) == GC_THRESHOLDS
    finally:
        ray.kill(actor)
    assert gc.get_threshold() != GC_THRESHOLDS


def test_the_hook_is_importable_by_its_module_path():
    module, _, name = runtime.WORKER_SETUP_HOOK.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))


def test_ray_still_hands_the_hook_to_workers_through_the_variable():
    # The local instance relies on this (see runtime.local_setup_hook_env); a Ray release that
    # moves it fails here, and the first test above says whether workers still get the hook.
    name = runtime._setup_hook_variable()
    assert name
    worker_main = Path(ray.__file__).parent / "_private" / "workers" / "default_worker.py"
    assert "WORKER_PROCESS_SETUP_HOOK_ENV_VAR" in worker_main.read_text("utf-8")
    assert runtime.local_setup_hook_env() == {name: runtime.WORKER_SETUP_HOOK}


def test_a_cluster_job_gets_the_hook_through_its_runtime_env(monkeypatch):
    name = runtime._setup_hook_variable()
    monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NLTK_DATA", "/data/nltk")
    env = runtime.cluster_runtime_env()
    assert env["worker_process_setup_hook"] == runtime.WORKER_SETUP_HOOK
    assert env["env_vars"]["NLTK_DATA"] == "/data/nltk"


def test_a_hook_of_the_callers_own_is_left_alone(monkeypatch):
    name = runtime._setup_hook_variable()
    monkeypatch.setenv(name, "their_package.setup")
    assert "worker_process_setup_hook" not in runtime.cluster_runtime_env()
    assert runtime.local_setup_hook_env() == {}
