"""`--events`: one JSON line per state change, flushed as it happens."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
from click.testing import CliRunner

from ray_import.cli import cli

pytestmark = pytest.mark.usefixtures("ray_session")


def _urls_file(tmp_path, urls):
    path = tmp_path / "urls.txt"
    path.write_text("\n".join(urls) + "\n")
    return path


def test_event_file_tells_each_urls_story_in_order(sample_site, tmp_path):
    good = [u for u in sample_site.urls() if "nodata-" not in u][:4]
    bad = f"{sample_site.base_url}/status/404"
    urls = _urls_file(tmp_path, [*good, good[0], bad, "ftp://x/y"])
    events = tmp_path / "events.jsonl"
    result = CliRunner().invoke(cli, ["run", str(urls), "--out", str(tmp_path / "out"), "-q",
                                      "--events", str(events)])
    assert result.exit_code == 1
    story = defaultdict(list)
    for line in events.read_text().splitlines():
        record = json.loads(line)
        assert {"event", "url", "at"} <= set(record)
        story[record["url"]].append(record)
    for url in good:
        kinds = [r["event"] for r in story[url] if r.get("event") != "duplicate"]
        assert kinds[:2] == ["queued", "started"] and kinds[-1] == "imported"
        assert {r["step"] for r in story[url] if r["event"] == "step"} == {"fetch", "extract", "enrich", "save"}
        times = [r["at"] for r in story[url] if r["event"] in ("queued", "started")]
        assert times == sorted(times)
    assert [r["event"] for r in story[good[0]]].count("duplicate") == 1
    assert story[bad][-1]["event"] == "failed" and story[bad][-1]["error_kind"] == "http_error"
    assert [r["event"] for r in story["ftp://x/y"]] == ["failed"]


def test_events_on_stdout_keep_stdout_pure_json_lines(sample_site, tmp_path):
    # A real process, as a consumer would pipe it: it starts its own Ray, whose log forwarding
    # must stay off stdout.
    import os
    import subprocess
    import sys

    urls = _urls_file(tmp_path, sample_site.urls()[:2])
    done = subprocess.run([sys.executable, "-m", "ray_import", "run", str(urls), "--out", str(tmp_path / "out"),
                           "--events", "-", "--num-cpus", "1"],
                          capture_output=True, text=True, timeout=180, env={**os.environ})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines
    for line in lines:
        assert line.startswith("{"), repr(line)
        assert json.loads(line)["event"]
    assert "status" in done.stderr  # the summary table went to stderr
