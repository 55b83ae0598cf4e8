"""Issue 13, the command line as a hostile user meets it: pipes, SIGTERM, bad paths and variables,
credentials in the config, URLs that do not survive a line, a bad proxy, a cluster that is not there.

Real processes where the point is the process (`python -m ray_import run` reading a pipe, taking
a SIGTERM, joining an address), CliRunner with the shared Ray session elsewhere; real files, the
loopback sample site, no mocks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ray_import import run_import
from ray_import.cli import cli
from ray_import.config import ImportConfig
from ray_import.inputs import read_url_file
from ray_import.urls import try_normalize

REPO = Path(__file__).resolve().parent.parent
FAST = {"RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S": "0", "RAY_IMPORT_FETCH__PER_HOST_CONCURRENCY": "8",
        "RAY_IMPORT_FETCH__MAX_ATTEMPTS": "1"}
SECRET = "s3cr3t-pa55"


def _recipe_urls(site, n: int, query: str = "") -> list[str]:
    return [u + query for u in site.urls() if "nodata-" not in u][:n]


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_IMPORT_")}
    return {**env, "RAY_USAGE_STATS_ENABLED": "0", **FAST, **extra}


def _cli(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), env={**FAST, **(env or {})})


def _report(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))


def _one_error_line(output: str, *needles: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if all(n in line for n in needles)]
    assert len(lines) == 1, output
    return lines[0]


# -- item 7: a pipe as the URL file -----------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("source", ["-", "/dev/stdin"])
def test_urls_piped_to_run_are_all_imported(source, ray_session, sample_site, tmp_path):
    urls = _recipe_urls(sample_site, 3)
    out, report = tmp_path / "out", tmp_path / "r.json"
    address = ray_session.get_runtime_context().gcs_address  # join the session: no second Ray
    proc = subprocess.run(
        [sys.executable, "-m", "ray_import", "run", source, "--out", str(out), "--report", str(report),
         "--address", address],
        input="# piped\n" + "\n".join(urls) + "\n", capture_output=True, text=True, timeout=300,
        env=_child_env(), cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = _report(report)
    assert data["counts"] == {"imported": 3}
    assert sorted(r["url"] for r in data["results"]) == sorted(urls)
    assert [r["line"] for r in sorted(data["results"], key=lambda r: r["line"])] == [2, 3, 4]
    assert "[0/3]" not in proc.stderr


@pytest.mark.usefixtures("ray_session")
def test_a_fifo_is_read_once_and_imported(sample_site, tmp_path):
    urls = _recipe_urls(sample_site, 2)
    fifo, report = tmp_path / "urls.fifo", tmp_path / "r.json"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "w", encoding="utf-8") as handle:
            handle.write("\n".join(urls) + "\n")

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = _cli("run", str(fifo), "--out", str(tmp_path / "out"), "--report", str(report))
    writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert _report(report)["counts"] == {"imported": 2}
    assert "[2]" in result.output and "[2/" not in result.output  # a count, no invented total


@pytest.mark.parametrize("stdin", ["", "# only a comment\n\n   \n"])
def test_an_empty_pipe_is_one_line_and_exit_2(stdin, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ray_import", "run", "-", "--out", str(tmp_path / "out")],
        input=stdin, capture_output=True, text=True, timeout=120, env=_child_env(), cwd=REPO,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _one_error_line(proc.stderr, "no URLs in standard input")
    assert not (tmp_path / "out").exists()


def test_an_empty_url_file_is_one_line_and_exit_2(tmp_path):
    (urls := tmp_path / "urls.txt").write_text("# nothing yet\n\n", "utf-8")
    result = _cli("run", str(urls), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    _one_error_line(result.output, f"no URLs in {urls}")
    assert not (tmp_path / "out").exists()


# -- item 8: SIGTERM during run -----------------------------------------------------------------

@pytest.mark.slow
def test_sigterm_writes_the_report_exits_143_and_a_rerun_imports_the_rest(ray_session, sample_site, tmp_path):
    urls = _recipe_urls(sample_site, 24, "?delay=1.5")
    (url_file := tmp_path / "urls.txt").write_text("\n".join(urls) + "\n", "utf-8")
    out, report, events = tmp_path / "out", tmp_path / "first.json", tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ray_import", "run", str(url_file), "--out", str(out), "--report", str(report),
         "--events", str(events), "--num-cpus", "1", "-q"],
        env=_child_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 240
    while not (events.exists() and '"event": "imported"' in events.read_text("utf-8")):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the batch did not start importing"
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)  # what kill, docker stop and systemd send to the driver
    output, _ = proc.communicate(timeout=120)

    assert proc.returncode == 143, output
    assert "SIGTERM received" not in output and "Traceback" not in output, output
    data = _report(report)
    assert data["interrupted"] is True
    assert data["counts"].get("cancelled", 0) > 0
    assert data["total"] == len(urls)
    imported = {r["url"] for r in data["results"] if r["status"] == "imported"}
    assert not report.with_suffix(".results.jsonl").exists()

    # The claims were released: a re-run imports exactly the URLs the first run did not.
    again = tmp_path / "again.json"
    rerun = _cli("run", str(url_file), "--out", str(out), "--report", str(again), "-q")
    assert rerun.exit_code == 0, rerun.output
    by_status: dict[str, set[str]] = {}
    for row in _report(again)["results"]:
        by_status.setdefault(row["status"], set()).add(row["url"])
    assert by_status == {"exists": imported, "imported": set(urls) - imported}


def test_sigterm_with_a_pipe_that_stays_open_stops_without_waiting_for_its_end(ray_session, sample_site, tmp_path):
    # stdin from a pipe whose writer never closes it: a stop must not read it to its end.
    urls = _recipe_urls(sample_site, 4, "?delay=1")
    out, report, events = tmp_path / "out", tmp_path / "piped.json", tmp_path / "events.jsonl"
    address = ray_session.get_runtime_context().gcs_address  # the point is the pipe: no second Ray
    proc = subprocess.Popen(
        [sys.executable, "-m", "ray_import", "run", "-", "--out", str(out), "--report", str(report),
         "--events", str(events), "--address", address, "-q"],
        env=_child_env(), cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )
    proc.stdin.write("\n".join(urls) + "\n")
    proc.stdin.flush()  # ...and the pipe stays open
    deadline = time.monotonic() + 240
    while not (events.exists() and '"event": "imported"' in events.read_text("utf-8")):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the batch did not start importing"
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    finally:
        proc.stdin.close()
    assert proc.returncode == 143, proc.stdout.read()
    data = _report(report)
    assert data["interrupted"] is True
    assert data["total"] == len(urls)  # every line the pipe gave, each accounted for once


# -- item 10: tracebacks instead of one line -------------------------------------------------

def _unwritable_paths(tmp_path: Path) -> list[Path]:
    (blocker := tmp_path / "a-file").write_text("not a folder", "utf-8")
    paths = [blocker / "reports" / "r.json"]
    if not os.access("/sys", os.W_OK):  # sysfs: read-only, even for root
        paths.append(Path("/sys/ray-import-test/r.json"))
    return paths


@pytest.mark.parametrize("option", ["--report", "--events"])
def test_an_unwritable_report_or_event_path_is_one_line_and_exit_2(option, tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    for path in _unwritable_paths(tmp_path):
        result = _cli("run", str(urls), "--out", str(tmp_path / "out"), option, str(path))
        assert result.exit_code == 2, result.output
        _one_error_line(result.output, "ConfigError: cannot write the", str(path))
        assert not (tmp_path / "out").exists()  # nothing ran


@pytest.mark.parametrize(("variable", "value"), [
    ("RAY_IMPORT_FETCH", "notjson"),
    ("RAY_IMPORT_FETCH__ALLOW_PRIVATE_HOSTS", "foo"),
    ("RAY_IMPORT_FETCH__MAX_ATTEMPTS", "many"),
    ("RAY_IMPORT_FETCH__BOGUS", "1"),
    ("RAY_IMPORT_BOGUS", "1"),  # unknown at the top level is an error too, like a nested one
])
def test_a_bad_environment_variable_is_one_line_naming_it(variable, value, tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    result = _cli("run", str(urls), "--print-config", env={variable: value})
    assert result.exit_code == 2, result.output
    _one_error_line(result.output, variable)
    assert len(result.output.splitlines()) <= 4, result.output  # click's usage line, blank, the error


def test_variables_read_on_purpose_are_not_unknown_settings(tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    result = _cli("run", str(urls), "--print-config", env={
        "RAY_IMPORT_API_TOKEN": "tok", "RAY_IMPORT_MY_KEY": "sk-x", "RAY_IMPORT_LLM__API_KEY_ENV": "RAY_IMPORT_MY_KEY",
        "RAY_IMPORT_FETCH__ALLOW_PRIVATE_HOSTS": '["intranet.example"]'})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["fetch"]["allow_private_hosts"] == ["intranet.example"]


# -- item 11: credentials in reports and --print-config -------------------------------------

def test_print_config_masks_credentials_in_urls(tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    (config := tmp_path / "c.toml").write_text(
        f'[llm]\nbase_url = "https://bob:{SECRET}@llm.example:8443/v1"\nmode = "off"\n', "utf-8")
    result = _cli("run", str(urls), "--config", str(config), "--print-config",
                  env={"RAY_IMPORT_FETCH__PROXY": f"http://alice:{SECRET}@127.0.0.1:3128"})
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    resolved = json.loads(result.output)
    assert resolved["fetch"]["proxy"] == "http://***@127.0.0.1:3128"
    assert resolved["llm"]["base_url"] == "https://***@llm.example:8443/v1"


@pytest.mark.usefixtures("ray_session")
def test_the_report_masks_credentials_in_urls(tmp_path):
    (urls := tmp_path / "urls.txt").write_text("ftp://not-fetched.example/x\n", "utf-8")
    report = tmp_path / "r.json"
    result = _cli("run", str(urls), "--out", str(tmp_path / "out"), "--report", str(report), "-q", env={
        "RAY_IMPORT_FETCH__PROXY": f"http://alice:{SECRET}@127.0.0.1:3128",
        "RAY_IMPORT_LLM__BASE_URL": f"http://bob:{SECRET}@127.0.0.1:9/v1", "RAY_IMPORT_LLM__MODE": "off"})
    assert result.exit_code == 1, result.output
    assert SECRET not in report.read_text("utf-8")
    config = _report(report)["config"]
    assert config["fetch"]["proxy"] == "http://***@127.0.0.1:3128"
    assert config["llm"]["base_url"] == "http://***@127.0.0.1:9/v1"


# -- item 14: .failed.txt gives back the URLs it was given ----------------------------------

@pytest.mark.usefixtures("ray_session")
def test_the_failed_urls_file_round_trips_the_urls_it_was_given(sample_site, make_config, tmp_path):
    base = sample_site.base_url
    kept = [
        f"{base}/recipes/gone-\u202egpj.exe.html",  # RIGHT-TO-LEFT OVERRIDE: a 404, written as is
        f"{base}/recipes/caf\u00e9-cr\u00e8me-br\u00fbl\u00e9e.html",
        f"{base}/recipes/zero\u200bwidth.html",
        f"{base}/recipes/emoji-\U0001f967.html?q=%0A",
        f"{base}/recipes/no\u00a0break.html",  # NBSP: invalid_url (white space), still given back
    ]
    left_out = {f"{base}/recipes/line\nbreak.html": "line break", f"{base}/recipes/esc\x1b[31m.html": "control"}
    cfg = make_config(fetch={"max_attempts": 1})
    first = run_import([*kept, *left_out], cfg, report_path=tmp_path / "first.json")
    assert first.counts == {"failed": len(kept) + len(left_out)}

    failed_file = Path(first.failed_urls)
    text = failed_file.read_text("utf-8")
    assert sorted(url for _, url in read_url_file(failed_file)) == sorted(kept)  # completion order
    for url, why in left_out.items():
        assert url not in text
        assert any(line.startswith("# left out: ") and why in line for line in text.splitlines())

    again = tmp_path / "again.json"
    result = _cli("run", str(failed_file), "--out", str(cfg.out), "--report", str(again), "-q")
    assert result.exit_code == 1, result.output
    rerun = sorted(row["url"] for row in _report(again)["results"])
    assert rerun == sorted(kept)
    assert sorted(map(str, map(try_normalize, rerun))) == sorted(map(str, map(try_normalize, kept)))


# -- item 15: a bad fetch.proxy or llm.base_url is a config error -----------------------------

@pytest.mark.parametrize(("setting", "value"), [
    ("fetch.proxy", "not a url"),
    ("fetch.proxy", "127.0.0.1:3128"),  # no scheme
    ("fetch.proxy", "ftp://proxy.example:21"),
    ("llm.base_url", "localhost:8000/v1"),
])
def test_a_bad_proxy_or_endpoint_url_is_a_config_error(setting, value, tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    section, key = setting.split(".")
    (config := tmp_path / "c.toml").write_text(f'[{section}]\n{key} = "{value}"\n', "utf-8")
    result = _cli("run", str(urls), "--out", str(tmp_path / "out"), "--config", str(config))
    assert result.exit_code == 2, result.output
    _one_error_line(result.output, f"invalid setting {setting}")
    assert not (tmp_path / "out").exists()


def test_a_proxy_url_is_accepted_and_kept():
    cfg = ImportConfig(fetch={"proxy": "http://127.0.0.1:3128"}, llm={"base_url": "http://localhost:11434/v1"})
    assert cfg.fetch.proxy == "http://127.0.0.1:3128"
    assert cfg.llm.base_url == "http://localhost:11434/v1"


# -- item 16: an address where nothing listens --------------------------------------------------

@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1"])
def test_an_address_where_nothing_listens_fails_with_one_line(address, tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    # The timeout is a hang guard (Ray retried 127.0.0.1:1 for minutes), not a timing assert.
    proc = subprocess.run(
        [sys.executable, "-m", "ray_import", "run", str(urls), "--out", str(tmp_path / "out"), "--address", address],
        capture_output=True, text=True, timeout=120, env=_child_env(), cwd=REPO,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    _one_error_line(proc.stderr, f"cannot connect to the Ray cluster at {address}: nothing listens there")
    assert "Failed to connect to GCS" not in proc.stderr
    assert "Started a local Ray instance" not in proc.stderr


# -- minor: an output folder that cannot be used is exit 2, like other bad input ---------------

@pytest.mark.usefixtures("ray_session")
def test_an_unusable_output_folder_exits_2(tmp_path):
    (urls := tmp_path / "urls.txt").write_text("http://127.0.0.1:1/x\n", "utf-8")
    (blocker := tmp_path / "a-file").write_text("not a folder", "utf-8")
    result = _cli("run", str(urls), "--out", str(blocker / "recipes"))
    assert result.exit_code == 2, result.output
    _one_error_line(result.output, "CatalogError:", str(blocker / "recipes"))
