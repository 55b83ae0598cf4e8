"""The 224-page dev corpus through `ray-import run` and the replay proxy, scored by score.py.

Skipped when ../shared (the corpus, its proxy and scorer) is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from ray_import.cli import cli

from ..conftest import CORPUS, TOOLS, needs_corpus

pytestmark = [needs_corpus, pytest.mark.corpus, pytest.mark.slow, pytest.mark.usefixtures("ray_session")]


def test_corpus_scores_at_least_99_percent(replay_proxy, tmp_path, capsys):
    out = tmp_path / "corpus-out"
    result = CliRunner().invoke(
        cli,
        ["run", str(CORPUS / "urls.txt"), "--out", str(out), "-q"],
        env={"RAY_IMPORT_FETCH__PROXY": replay_proxy},
    )
    assert result.exit_code == 0, result.output

    scored = subprocess.run(
        [sys.executable, str(TOOLS / "score.py"), str(out), "--manifest", str(CORPUS / "manifest.jsonl")],
        capture_output=True, text=True, check=True,
    )
    summary = json.loads(scored.stdout[: scored.stdout.rindex("}") + 1])
    last = scored.stdout.strip().splitlines()[-1]
    with capsys.disabled():
        print("\ncorpus per-field exact match (% of pages):")
        for field, pct in summary["field_exact_match_pct_of_matched"].items():
            print(f"  {field:<14} {pct:6.2f}")
        print(f"  {last}")
    match = re.search(r"score: ([\d.]+)% \((\d+)/(\d+)\) missing=(\d+)", last)
    assert match, last
    assert float(match.group(1)) >= 99.0
    assert int(match.group(4)) == 0
