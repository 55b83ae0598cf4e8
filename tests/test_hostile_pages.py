"""Issue 13, items 3–5: hostile page content, each case through the real pipeline.

Real Ray (`ray_session`), real HTTP on 127.0.0.1, real files. Each page is written to a folder
served by a SampleSite and imported twice over: once from its loopback URL (the generic
extractor) and once as `http://www.allrecipes.com/...` through the same SampleSite acting as a
forward proxy (`fetch.proxy`), so recipe-scrapers' site scraper and `extract._without_broken_jsonld`
run on it too. Unit-level bounds are in tests/scraper/test_hostile_values.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ray_import import run_import
from ray_import.cli import cli
from ray_import.config import ImportConfig
from ray_import.demo.site import SampleSite
from ray_import.results import ImportResult
from ray_import.store import RecipeStore
from scraper.enrich import MAX_PARSED_LINE, MAX_PARSED_LINES
from scraper.errors import SaveFailed

pytestmark = pytest.mark.usefixtures("ray_session")

FAST_FETCH = {"connect_timeout_s": 2, "read_timeout_s": 10, "total_timeout_s": 20, "backoff_base_s": 0.05,
              "backoff_max_s": 0.2, "per_host_interval_s": 0, "per_host_concurrency": 8}
# Tight enough that the quadratic JSON-LD regex (~150 s for 20 000 openers) or a 120 kB line through
# ingredient-parser-nlp (minutes) is cancelled, loose enough for a loaded 2-core machine.
TIMEOUT_S = 45
SITE_SCRAPER_HOST = "http://www.allrecipes.com"
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
OPENER = '<script type="application/ld+json">'


def _page(*blocks: str, body: str = "<p>A test page.</p>") -> str:
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{"".join(blocks)}</head><body>{body}</body></html>'


def _jsonld(data: dict) -> str:
    return OPENER + json.dumps(data) + "</script>"  # json.dumps escapes the controls as \u001b...


def _recipe(name: str, **fields) -> dict:
    return {"@context": "https://schema.org", "@type": "Recipe", "name": name,
            "recipeIngredient": ["2 eggs", "100 g flour"], "recipeInstructions": ["Mix.", "Bake."], **fields}


PAGES = {
    "numbers": _page(_jsonld(_recipe(
        "Infinite Rating Pie", totalTime="PT99999999999999999999H", prepTime="PT999999H", cookTime="PT45M",
        recipeYield="9" * 400 + " servings",
        aggregateRating={"@type": "AggregateRating", "ratingValue": "Infinity", "ratingCount": "NaN"}))),
    "controls": _page(_jsonld(_recipe(
        "Red\u001b[31m Velvet\u0000 Cake\u202e", description="Soft\u0007 and\u009b red\u2066.",
        recipeIngredient=["2 eggs\u001b]0;pwned\u0007", "100 g flour"],
        recipeInstructions=["Mix\u202e it.", "Bake\u0000."], recipeCategory="Dessert\u001b[0m",
        author={"@type": "Person", "name": "Eve\u202e"}))),
    "openers": _page("<title>openers</title>" + (OPENER + "{") * 20_000),
    "recipe-and-broken-blocks": _page(_jsonld(_recipe("Survivor Of Many Blocks"))
                                      + (OPENER + "{</script>") * 20_000),
    "long-ingredient": _page(_jsonld(_recipe(
        "Long Line Loaf", recipeIngredient=["1 cup milk", "2 cups flour " + "and more flour " * 8_000,
                                            "1 tsp salt"]))),
    "many-ingredients": _page(_jsonld(_recipe(
        "Many Lines Stew", recipeIngredient=[f"{n} g spice number {n}" for n in range(1, MAX_PARSED_LINES + 101)]))),
}


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-pages")
    for name, html in PAGES.items():
        (folder / f"{name}.html").write_text(html, "utf-8")
    with SampleSite(pages_dir=folder) as site:
        yield site


@pytest.fixture(params=["generic", "site-scraper"])
def via(request, hostile_site):
    """(URL of a page by name, fetch settings): from loopback, or as allrecipes.com by proxy."""
    if request.param == "generic":
        return (lambda name: f"{hostile_site.base_url}/recipes/{name}.html"), FAST_FETCH
    return ((lambda name: f"{SITE_SCRAPER_HOST}/recipes/{name}.html"),
            {**FAST_FETCH, "proxy": hostile_site.base_url})


def _import(via, names: list[str], out: Path) -> tuple[dict[str, ImportResult], ImportConfig]:
    url_of, fetch = via
    cfg = ImportConfig(out=out, fetch=fetch, task={"timeout_s": TIMEOUT_S, "max_retries": 0})
    results: list[ImportResult] = []
    run_import([url_of(name) for name in names], cfg, on_result=results.append)
    by_name = {name: next(r for r in results if r.url == url_of(name)) for name in names}
    return by_name, cfg


def _saved(out: Path, result: ImportResult) -> tuple[str, dict]:
    assert result.status == "imported", result.one_line()
    text = (out / f"{result.slug}.recipe.json").read_text("utf-8")
    return text, _strict_json(text)


def _strict_json(text: str) -> dict:
    """json.loads as a strict parser (JavaScript's JSON.parse) reads it: no NaN or Infinity."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


# -- item 3: numbers JSON cannot hold, or no recipe has ----------------------------------------

def test_infinite_rating_and_absurd_times_are_saved_as_null(via, tmp_path):
    by_name, _ = _import(via, ["numbers"], tmp_path / "out")

    _, document = _saved(tmp_path / "out", by_name["numbers"])  # parses strictly: no Infinity
    assert {k: document[k] for k in ("ratings", "ratings_count", "total_time", "prep_time", "cook_time",
                                     "servings")} == {
        "ratings": None, "ratings_count": None, "total_time": None, "prep_time": None, "cook_time": 45,
        "servings": None}


def test_a_document_with_nan_is_save_failed_and_nothing_is_lost(tmp_path):
    store = RecipeStore(tmp_path)
    good = {"format_version": 1, "slug": "good", "source_url": "http://x/good", "title": "Good"}
    store.write("good", good)
    before = (tmp_path / "good.recipe.json").read_bytes()

    with pytest.raises(SaveFailed, match=r"bad\.recipe\.json: not valid JSON") as info:
        store.write("bad", {**good, "slug": "bad", "source_url": "http://x/bad", "ratings": float("nan")})
    with pytest.raises(SaveFailed, match="not valid JSON"):
        store.write("bad", {**good, "slug": "bad", "source_url": "http://x/bad", "title": "lone \ud800"})

    assert info.value.kind == "save_failed" and len(str(info.value).splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ray-import", "good.recipe.json"]
    assert (tmp_path / "good.recipe.json").read_bytes() == before
    assert store.lookup("x/bad") is None and store.count() == 1
    store.close()


# -- item 4: terminal escapes and bidi overrides -----------------------------------------------

def test_control_characters_are_stripped_from_every_saved_text(via, tmp_path):
    by_name, _ = _import(via, ["controls"], tmp_path / "out")

    text, document = _saved(tmp_path / "out", by_name["controls"])
    assert not UNSAFE.search(text.replace("\n", ""))  # not even as \u001b escapes
    assert not [s for s in _strings(document) if UNSAFE.search(s)]
    assert document["title"] == "Red[31m Velvet Cake"
    assert document["ingredients"] == ["2 eggs]0;pwned", "100 g flour"]
    assert document["instructions"] == ["Mix it.", "Bake."]
    assert document["description"] == "Soft and red."


def _older_file(folder: Path) -> str:
    """A recipe file as an older version (or a hand) wrote it, with the controls still in."""
    title = "Evil\x1b[2J\x1b]0;owned\x07 Pie\u202e\x9b"
    document = {"format_version": 1, "slug": "evil-pie", "source_url": "http://x/evil\x1b[1m", "title": title,
                "ingredients": ["1 egg\x00"], "provenance": {"final_url": "http://x/evil"}}
    folder.mkdir(parents=True)
    (folder / "evil-pie.recipe.json").write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    return title


def _raw_unprintable(output: str) -> list[str]:
    return [ch for ch in output if not ch.isprintable() and ch not in "\n\t"]


def test_list_and_show_escape_what_older_files_hold(tmp_path):
    title = _older_file(out := tmp_path / "recipes")
    runner = CliRunner()

    listed = runner.invoke(cli, ["list", "--out", str(out)])
    as_json = runner.invoke(cli, ["list", "--out", str(out), "--json"])
    shown = runner.invoke(cli, ["show", "evil-pie", "--out", str(out)])

    for result in (listed, as_json, shown):
        assert result.exit_code == 0, result.output
        assert _raw_unprintable(result.output) == [], result.output
    assert listed.output.split("\t")[1] == "Evil\\x1b[2J\\x1b]0;owned\\x07 Pie\\u202e\\x9b"
    assert json.loads(as_json.output)["title"] == title  # escaped, yet the same JSON value
    assert json.loads(shown.output) == json.loads((out / "evil-pie.recipe.json").read_text("utf-8"))


# -- item 5: bounded CPU per page --------------------------------------------------------------

def test_20000_unclosed_jsonld_openers_are_quickly_not_a_recipe(via, tmp_path):
    by_name, _ = _import(via, ["openers"], tmp_path / "out")

    result = by_name["openers"]
    assert (result.status, result.error_kind) == ("failed", "not_a_recipe"), result.one_line()


def test_a_recipe_beside_20000_broken_blocks_is_imported(via, tmp_path):
    by_name, _ = _import(via, ["recipe-and-broken-blocks"], tmp_path / "out")

    _, document = _saved(tmp_path / "out", by_name["recipe-and-broken-blocks"])
    assert document["title"] == "Survivor Of Many Blocks"


def test_a_120_kb_ingredient_line_is_kept_but_not_parsed(via, tmp_path):
    by_name, _ = _import(via, ["long-ingredient"], tmp_path / "out")

    _, document = _saved(tmp_path / "out", by_name["long-ingredient"])
    long_line = document["ingredients"][1]
    assert len(long_line) > 100_000 and long_line.startswith("2 cups flour and more flour")
    parsed = document["parsed_ingredients"]
    assert [p["text"] for p in parsed] == document["ingredients"]
    assert [p["parser"] == "none" for p in parsed] == [False, True, False]
    assert (parsed[0]["quantity"], parsed[2]["quantity"]) == (1, 1)
    assert "ingredient_too_long" in document["provenance"]["repairs"]
    assert len(long_line) > MAX_PARSED_LINE


def test_ingredient_lines_past_the_cap_are_kept_but_not_parsed(via, tmp_path):
    by_name, _ = _import(via, ["many-ingredients"], tmp_path / "out")

    _, document = _saved(tmp_path / "out", by_name["many-ingredients"])
    parsed = document["parsed_ingredients"]
    assert len(document["ingredients"]) == len(parsed) == MAX_PARSED_LINES + 100
    assert [p["text"] for p in parsed] == document["ingredients"]
    assert {p["parser"] for p in parsed[MAX_PARSED_LINES:]} == {"none"}
    assert "none" not in {p["parser"] for p in parsed[:MAX_PARSED_LINES]}
    assert "too_many_ingredients" in document["provenance"]["repairs"]
