"""The `ray-import` CLI end to end: CliRunner, real Ray, the loopback sample site."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import scraper
from ray_import.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _url_file(tmp_path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False) -> Path:
    text = ("\r\n" if crlf else "\n").join(lines) + "\n"
    path = tmp_path / "urls.txt"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.mark.usefixtures("ray_session")
def test_run_imports_a_url_file_and_exits_0(runner, sample_site, tmp_path):
    urls = [u for u in sample_site.urls() if "nodata-" not in u][:5]
    path = _url_file(tmp_path, ["# my recipes", "", *urls, urls[0]], bom=True, crlf=True)
    out = tmp_path / "out"
    result = runner.invoke(cli, ["run", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.recipe.json"))) == 5
    reports = list((out / "reports").glob("run-*.json"))
    report = json.loads(reports[0].read_text())
    assert report["counts"] == {"duplicate": 1, "imported": 5}
    assert {r["line"] for r in report["results"]} == {3, 4, 5, 6, 7, 8}

    listed = runner.invoke(cli, ["list", "--out", str(out), "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert sorted(r["source_url"] for r in rows) == sorted(urls)
    shown = runner.invoke(cli, ["show", rows[0]["slug"], "--out", str(out)])
    assert json.loads(shown.output)["slug"] == rows[0]["slug"]


@pytest.mark.usefixtures("ray_session")
def test_run_with_a_failure_exits_1_and_prints_it(runner, sample_site, tmp_path):
    path = _url_file(tmp_path, [sample_site.urls()[0], f"{sample_site.base_url}/status/410"])
    report = tmp_path / "r.json"
    result = runner.invoke(cli, ["run", str(path), "--out", str(tmp_path / "out"), "--report", str(report)])
    assert result.exit_code == 1
    assert "http_error=1" in result.output
    assert json.loads(report.read_text())["counts"] == {"failed": 1, "imported": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "missing.txt"], "cannot read URL file missing.txt"),
        (["run", "URLS", "--max-in-flight", "0"], "max_in_flight"),
        (["run", "URLS", "--config", "nope.toml"], "config file not found: nope.toml"),
        (["run", "URLS", "--bogus"], "No such option"),
        (["show", "../etc/passwd"], "not a slug"),
        (["serve", "--port", "70000"], "invalid setting serve.port"),
        (["serve", "--max-queue", "0"], "invalid setting serve.max_queue"),
        (["serve", "--config", "nope.toml"], "config file not found: nope.toml"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(runner, tmp_path, args, message):
    urls = _url_file(tmp_path, ["http://127.0.0.1:1/x"])
    args = [str(urls) if a == "URLS" else a for a in args]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_config_precedence_defaults_file_env_flags(runner, tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text("max_in_flight = 7\nout = 'from-file'\n[fetch]\nmax_attempts = 2\nread_timeout_s = 3\n")
    monkeypatch.setenv("RAY_IMPORT_FETCH__MAX_ATTEMPTS", "4")
    monkeypatch.setenv("RAY_IMPORT_OUT", "from-env")
    urls = _url_file(tmp_path, ["http://example.com/"])
    result = runner.invoke(cli, ["run", str(urls), "--config", str(config), "--out", "from-flag", "--print-config"])
    assert result.exit_code == 0, result.output
    resolved = json.loads(result.output)
    assert resolved["max_in_flight"] == 7  # file over default
    assert resolved["fetch"]["max_attempts"] == 4  # env over file
    assert resolved["fetch"]["read_timeout_s"] == 3  # file kept where env is silent
    assert resolved["out"] == "from-flag"  # flag over env


def test_default_toml_matches_the_code_defaults():
    import tomllib

    from ray_import.config import ImportConfig

    path = Path(__file__).resolve().parents[2] / "configs" / "default.toml"
    with open(path, "rb") as handle:
        listed = tomllib.load(handle)
    def drop_none(d):
        return {k: drop_none(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}

    defaults = drop_none(ImportConfig().model_dump(mode="json"))
    # The User-Agent carries the installed version, which only pyproject.toml writes: the file
    # shows it commented out, with <version> in its place.
    user_agent = defaults["fetch"].pop("user_agent")
    assert f'# user_agent = "{user_agent.replace(scraper.__version__, "<version>")}"' in path.read_text("utf-8")
    assert listed == defaults


def test_demo_writes_to_the_files_out_unless_out_is_given(tmp_path):
    from ray_import.cli import DEMO_DEFAULTS, demo
    from ray_import.config import load_config

    config = tmp_path / "demo.toml"
    config.write_text('out = "from-file"\n')
    params = demo.make_context("demo", ["--config", str(config)]).params
    assert params["out"] is None  # not given: the file decides
    assert load_config(config, defaults=DEMO_DEFAULTS, out=params["out"]).out == Path("from-file")
    assert load_config(None, defaults=DEMO_DEFAULTS).out == Path("demo-recipes")


# -- extras: a batch needs neither the LLM client nor the server stack ----------------------------

def test_the_llm_client_and_the_server_stack_are_extras():
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))["project"]
    names = {dep.split(">")[0].split("<")[0].split("=")[0].split("[")[0] for dep in project["dependencies"]}
    assert not names & {"openai", "fastapi", "uvicorn", "sse-starlette"}
    extras = project["optional-dependencies"]
    assert [d.split(">")[0] for d in extras["llm"]] == ["openai"]
    assert sorted(d.split(">")[0] for d in extras["serve"]) == ["fastapi", "sse-starlette", "uvicorn"]
    assert "ray-import[serve,llm]" in extras["test"]


def test_a_batch_imports_none_of_the_extras():
    import subprocess
    import sys

    # What `ray-import run` loads on the driver and in its tasks and actors, with the extras gone.
    code = ("import sys\n"
            "for name in ('openai', 'fastapi', 'uvicorn', 'sse_starlette', 'starlette'): sys.modules[name] = None\n"
            "import ray_import.cli, ray_import.pipeline, ray_import.tasks, ray_import.catalog, ray_import.gateway\n"
            "import scraper.fetch, scraper.extract, scraper.generic, scraper.enrich\n"
            "from ray_import.config import load_config\n"
            "print(load_config().llm.effective_mode)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "off", done.stderr[-2000:]


def test_an_llm_mode_without_the_llm_extra_says_which_extra_to_install(runner, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)
    urls = _url_file(tmp_path, ["http://example.com/pie"])
    monkeypatch.setenv("RAY_IMPORT_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    result = runner.invoke(cli, ["run", str(urls), "--print-config"])
    assert result.exit_code == 2
    assert "llm.mode = 'fallback' needs the [llm] extra: pip install 'ray-import[llm]'" in result.output
    monkeypatch.setenv("RAY_IMPORT_LLM__MODE", "off")
    assert runner.invoke(cli, ["run", str(urls), "--print-config"]).exit_code == 0


def test_every_command_has_help_and_is_in_the_readme(runner):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    for name, command in cli.commands.items():
        assert command.help, name
        assert runner.invoke(cli, [name, "--help"]).exit_code == 0
        assert f"ray-import {name}" in readme, name


@pytest.mark.usefixtures("ray_session")
def test_demo_imports_the_sample_site(runner, tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(cli, ["demo", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    files = list(out.glob("*.recipe.json"))
    nodata = [p for p in (Path(__file__).resolve().parents[2] / "ray_import/demo/pages").glob("nodata-*.html")]
    total = len(list((Path(__file__).resolve().parents[2] / "ray_import/demo/pages").glob("*.html")))
    assert len(files) == total - len(nodata)
    assert f"not_a_recipe={len(nodata)}" in result.output
    assert "configure an LLM" in result.output
