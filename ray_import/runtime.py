"""Starting or joining Ray for a run.

Local by default, without the dashboard (it costs ~900 MB here) unless asked; `address` or
`RAY_ADDRESS` joins a cluster. Workers get the driver's proxy and NLTK_DATA variables and run
`worker_setup.setup` once at start (GC settings): on a cluster through the job's runtime_env,
so a site proxy and the ingredient tagger work on every node; on a local instance by
inheriting the driver's environment.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import ray

from .catalog import NAMESPACE
from .config import ImportConfig
from .errors import ConfigError

PASSED_ENV = (
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "NLTK_DATA",
)


# GCS keeps every task's events (state, times, name) for the state API and the dashboard, up to
# this many tasks, then drops the oldest. Ray's default of 100 000 costs ~4-9 KB a task, a few
# hundred MB in GCS before it levels off; 10 000 tasks is a few minutes of a run at full speed,
# enough to follow what runs now. A cluster ray-import joins keeps its own setting: start its head
# with RAY_task_events_max_num_task_in_gcs=10000 for the same bound (README, "On a Ray cluster").
TASK_EVENTS_IN_GCS = 10_000
LOCAL_SYSTEM_CONFIG = {"task_events_max_num_task_in_gcs": TASK_EVENTS_IN_GCS}


def worker_env() -> dict[str, str]:
    env = {key: os.environ[key] for key in PASSED_ENV if key in os.environ}
    if "NLTK_DATA" in env:
        # Workers may start in another directory: make the data path absolute.
        env["NLTK_DATA"] = os.pathsep.join(
            str(Path(part).resolve()) for part in env["NLTK_DATA"].split(os.pathsep) if part
        )
    return env


#: Run once in each worker process before its first task (GC settings, issue 15); module path,
#: so nothing is pickled and a worker that cannot import ray_import could not run a task anyway.
WORKER_SETUP_HOOK = "ray_import.worker_setup.setup"


def _setup_hook_variable() -> str | None:
    """The environment variable through which Ray hands `worker_process_setup_hook` to a worker.

    Ray 2.60 implements the runtime_env field as this variable, read by each worker at start
    (`ray/_private/workers/default_worker.py`); test_runtime checks a worker really runs the hook.
    """
    from ray._private import ray_constants

    return getattr(ray_constants, "WORKER_PROCESS_SETUP_HOOK_ENV_VAR", None)


def local_setup_hook_env() -> dict[str, str]:
    """The hook for a local instance, as the variable its workers inherit (see ensure_ray).

    Empty when the variable already holds another hook (the caller's own wins) or Ray no longer
    has it (the workers then keep Python's GC defaults: slower, not wrong).
    """
    name = _setup_hook_variable()
    if name is None or os.environ.get(name, WORKER_SETUP_HOOK) != WORKER_SETUP_HOOK:
        return {}
    return {name: WORKER_SETUP_HOOK}


def cluster_runtime_env() -> dict[str, object]:
    """The job's runtime_env on a cluster: the passed variables and the worker setup hook.

    On a cluster the hook goes through Ray's public runtime_env field, so Ray sets it up on every
    node; a hook the job was submitted with (the variable set here to another hook) is left
    alone, since Ray refuses two.
    """
    env: dict[str, object] = {"env_vars": worker_env()}
    name = _setup_hook_variable()
    if name is None or os.environ.get(name, WORKER_SETUP_HOOK) == WORKER_SETUP_HOOK:
        env["worker_process_setup_hook"] = WORKER_SETUP_HOOK
    return env


PROBE_TIMEOUT_S = 5.0
RAY_CLIENT_PORT = 10001


def probe_address(address: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Fail at once when nothing listens at a cluster address, instead of inside ray.init.

    Ray retries a GCS address that refuses connections for many minutes, logging a warning every
    few seconds, and gives up on a `ray://` one after ~30 s (issue 13, item 16). One TCP connect
    with a timeout tells the two cases a user meets (a typo, a cluster that is down) in seconds.
    `auto` and `local` are Ray's to resolve; an address that listens but is not Ray is left to it.

    Raises:
        ConfigError: naming the address, when it cannot be resolved or connected to.
    """
    if address in ("auto", "local"):
        return
    scheme, _, rest = address.rpartition("://")
    try:
        parts = urlsplit(f"//{rest}")
        host, port = parts.hostname, parts.port or (RAY_CLIENT_PORT if scheme == "ray" else None)
    except ValueError:
        host = port = None
    if not host or port is None:
        return  # not host:port: Ray's own check names what is wrong with it
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except socket.gaierror as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {address}: cannot resolve {host} "
                          f"({exc.strerror})") from exc
    except TimeoutError as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {address}: no answer from {host}:{port} "
                          f"within {timeout:g}s") from exc
    except OSError as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {address}: nothing listens there "
                          f"({exc.strerror or exc})") from exc


def ensure_ray(cfg: ImportConfig, log_to_driver: bool = True) -> bool:
    """Initialise Ray unless it already is; returns True when this call started it."""
    if ray.is_initialized():
        return False
    # Ray 2.60 enables token auth for new local clusters and creates the token itself; say so
    # only at debug level rather than on every run.
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
    kwargs = {
        "namespace": NAMESPACE,
        "logging_level": logging.WARNING,
        "log_to_driver": log_to_driver,
    }
    address = cfg.address or os.environ.get("RAY_ADDRESS")
    try:
        if address:
            probe_address(address)
            context = ray.init(address=address, runtime_env=cluster_runtime_env(), **kwargs)
        else:
            # A local instance's workers inherit this process's environment. Giving them a
            # runtime_env instead would make Ray start new workers for it and leave the ones it
            # prestarted idle (two wasted processes, ~80 MB each, and two more start-ups).
            os.environ.update(worker_env())  # NLTK_DATA made absolute: workers may start elsewhere
            os.environ.update(local_setup_hook_env())
            context = ray.init(num_cpus=cfg.num_cpus, include_dashboard=cfg.dashboard,
                               dashboard_host="127.0.0.1", _system_config=LOCAL_SYSTEM_CONFIG, **kwargs)
    except ConnectionError as exc:
        raise ConfigError(f"cannot connect to the Ray cluster at {address}: {exc}") from exc
    except ValueError as exc:  # Ray's "Invalid address format: ..."
        if not address:
            raise
        raise ConfigError(f"cannot connect to the Ray cluster at {address}: {exc}") from exc
    global _dashboard_url
    _dashboard_url = context.dashboard_url or None
    return True


_dashboard_url: str | None = None


def dashboard_url() -> str | None:
    """The Ray dashboard's URL, when this process started or joined Ray with one."""
    if not _dashboard_url:
        return None
    return _dashboard_url if "://" in _dashboard_url else f"http://{_dashboard_url}"
