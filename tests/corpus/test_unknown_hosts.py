"""The dev corpus under hosts no site scraper knows, and the negative pages (issue 14).

`unknown_hosts.py` renames every corpus host to `s<k>.example`, so only the generic extractor
reads the pages; the expected values stay those of the site's own scraper. The run goes through
`ray-import run` and the replay proxy and is scored by score.py, like test_corpus.py. Skipped
when ../shared (the corpus, its tools, the negatives) is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ray_import.cli import cli

from ..conftest import CORPUS, SHARED, TOOLS, needs_corpus, replay_proxy_running

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.slow, pytest.mark.usefixtures("ray_session")]
NEGATIVES = SHARED / "negatives"
# What the generic path scores today (run by this test: 191/224 = 85.3 %); the issue's goal is 90 %.
FLOOR_PCT = 85.0
GOAL_PCT = 90.0


def _run(manifest, urls, out) -> object:
    with replay_proxy_running(manifests=[manifest]) as proxy:
        return CliRunner().invoke(cli, ["run", str(urls), "--out", str(out), "-q"],
                                  env={"RAY_IMPORT_FETCH__PROXY": proxy})


@pytest.fixture(scope="module")
def unknown_hosts_score(tmp_path_factory):
    work = tmp_path_factory.mktemp("unknown-hosts")
    subprocess.run([sys.executable, str(TOOLS / "unknown_hosts.py"), str(CORPUS / "manifest.jsonl"), str(work)],
                   check=True, capture_output=True)
    out = work / "recipes"
    result = _run(work / "manifest.jsonl", work / "urls.txt", out)
    assert result.exit_code in (0, 1), result.output  # 1: some pages are not_a_recipe
    details = work / "details.jsonl"
    scored = subprocess.run(
        [sys.executable, str(TOOLS / "score.py"), str(out), "--manifest", str(work / "manifest.jsonl"),
         "--details", str(details)], capture_output=True, text=True, check=True)
    summary = json.loads(scored.stdout[: scored.stdout.rindex("}") + 1])
    last = scored.stdout.strip().splitlines()[-1]
    match = re.search(r"score: ([\d.]+)% \((\d+)/(\d+)\) missing=(\d+)", last)
    assert match, last
    core = summary["all_core_fields_correct"]["fields"]
    wrong = {}  # page id -> the core fields it got wrong ("missing": no recipe saved)
    for line in details.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        wrong[row["id"]] = {"missing"} if row.get("missing") else set(row["wrong"]) & set(core)
    return summary, last, float(match.group(1)), wrong


def test_unknown_hosts_score(unknown_hosts_score, capsys):
    summary, last, pct, _ = unknown_hosts_score
    with capsys.disabled():
        print("\ndev corpus under unknown hosts, per-field exact match (% of pages):")
        for field, value in summary["field_exact_match_pct_of_pages"].items():
            print(f"  {field:<14} {value:6.2f}")
        print(f"  {last}")
    assert pct >= FLOOR_PCT


@pytest.mark.xfail(reason="issue 14 goal (90 % under unknown hosts) not reached: 85.3 %; most pages left "
                          "are ones whose site scraper reads the HTML, not the structured data", strict=False)
def test_unknown_hosts_meet_the_issue_goal(unknown_hosts_score):
    assert unknown_hosts_score[2] >= GOAL_PCT, unknown_hosts_score[1]


def test_half_of_the_pages_without_structured_data_have_all_core_fields_right(unknown_hosts_score, capsys):
    """Issue 14: at least half of the no-schema dev pages imported right without any LLM.

    A page "without structured data" is one recipe-scrapers' wild mode finds no schema on
    (`SchemaOrg(html).data` empty); all five core fields must be right, as score.py rules.
    """
    import warnings

    from recipe_scrapers._schemaorg import SchemaOrg

    wrong = unknown_hosts_score[3]
    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line]
    targets = []
    for row in rows:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not SchemaOrg((CORPUS / row["html"]).read_text(encoding="utf-8", errors="replace")).data:
                targets.append(row["id"])
    right = [page for page in targets if not wrong.get(page)]
    with capsys.disabled():
        print(f"\nno-schema pages with all core fields right: {len(right)}/{len(targets)}")
    # 11 today: amazingoriental's own scraper keeps the "1 " each step's number element shows; ours drops it
    assert len(targets) == 19 and len(right) * 2 >= len(targets) and len(right) >= 11, sorted(
        set(targets) - set(right))


@pytest.mark.skipif(not (NEGATIVES / "manifest.jsonl").is_file(), reason="../shared/negatives is absent")
def test_negative_pages_are_never_recipes(tmp_path):
    out = tmp_path / "recipes"
    result = _run(NEGATIVES / "manifest.jsonl", NEGATIVES / "urls.txt", out)
    assert result.exit_code in (0, 1), result.output
    assert list(out.rglob("*.recipe.json")) == []
    report = json.loads(next((out / "reports").glob("run-*.json")).read_text(encoding="utf-8"))
    pages = sum(1 for line in (NEGATIVES / "urls.txt").read_text().splitlines() if line.strip())
    assert report["errors_by_kind"] == {"not_a_recipe": pages}
