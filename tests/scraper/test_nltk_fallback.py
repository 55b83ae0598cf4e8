"""Without NLTK's tagger data the importer falls back to the rule-based parser, says so once,
and never tries to download it (there is no network to wait for)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
import nltk.downloader
nltk.downloader.download = lambda *a, **k: sys.exit("download attempted")
from scraper.enrich import parse_ingredients
from scraper.settings import EnrichSettings
items = []
for _ in range(3):
    parsed, parser = parse_ingredients(["2 cups flour", "1 pinch salt"], "en", EnrichSettings())
    items.append([parser, [(p.quantity, p.unit, p.name, p.parser) for p in parsed]])
print(json.dumps(items))
"""


def test_missing_nltk_data_falls_back_to_rules_and_warns_once(tmp_path: Path):
    env = {**os.environ, "NLTK_DATA": str(tmp_path / "empty"), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    assert all(parser == "rules" for parser, _ in runs)
    assert runs[0][1] == [[2.0, "cup", "flour", "rules"], [1.0, "pinch", "salt", "rules"]]
    assert done.stderr.count("fall back to the rule-based parser") == 1
