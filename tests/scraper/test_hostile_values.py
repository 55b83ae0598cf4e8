"""Issue 13, items 3–5 at unit level: the mechanisms that keep hostile page values out of files.

The pipeline tests of the same inputs are in tests/test_hostile_pages.py; these pin down the
bounds and properties of the pieces (text cleaning, finite numbers, the JSON-LD scanner, the
ingredient-parsing caps) without Ray or HTTP.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scraper._parsing import (
    MAX_MINUTES,
    MAX_SERVINGS,
    clean_text,
    finite,
    servings_from_yields,
    strip_controls,
    to_minutes,
)
from scraper.enrich import MAX_PARSED_LINE, MAX_PARSED_LINES, parse_ingredients
from scraper.extract import MAX_JSONLD_BLOCKS, _jsonld_blocks, _without_broken_jsonld
from scraper.models import EnrichedRecipe, ParsedIngredient, Provenance, Recipe
from scraper.settings import EnrichSettings

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
OPENER = '<script type="application/ld+json">'
RECIPE_BLOCK = (OPENER + '{"@context": "https://schema.org", "@type": "Recipe", "name": "Kept Cake", '
                '"recipeIngredient": ["1 egg"], "recipeInstructions": "Bake."}</script>')


def _strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


# -- item 4: control and bidi characters -------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Tarte\x1b[2J\x00 aux pommes", "Tarte[2J aux pommes"),
    ("evil\u202efdp.exe", "evilfdp.exe"),
    ("\u2066isolated\u2069 \u202aembedded\u202c", "isolated embedded"),
    ("C1 \x9b31m csi", "C1 31m csi"),
    ("lone \ud800 surrogate", "lone  surrogate"),
    ("two\nlines\tand\r\ncrlf", "two lines and crlf"),
    ("日本 🍰 é", "日本 🍰 é"),
])
def test_strip_controls_single_line(text, expected):
    assert strip_controls(text) == expected


def test_strip_controls_multiline_keeps_newlines_and_tabs():
    assert strip_controls("step 1\r\nstep 2\rstep\t3\u2028end\x07", multiline=True) == (
        "step 1\nstep 2\nstep\t3\nend")


@given(st.text(), st.booleans())
@example("\x1b\u202e\ud800", False)
def test_strip_controls_leaves_nothing_unsafe_and_is_idempotent(text, multiline):
    cleaned = strip_controls(text, multiline=multiline)
    assert not UNSAFE.search(cleaned.replace("\n", "").replace("\t", "") if multiline else cleaned)
    assert strip_controls(cleaned, multiline=multiline) == cleaned
    cleaned.encode("utf-8")  # no lone surrogate: the save can encode it


def test_clean_text_strips_controls_that_entities_spell():
    assert clean_text("Cake&#27;[31m &#x202E;red&#x2066;") == "Cake[31m red"


@given(st.text(min_size=1), st.text(), st.lists(st.text()), st.dictionaries(st.text(), st.text()))
def test_every_recipe_text_field_is_safe(title, description, lines, nutrients):
    recipe = Recipe(title=title, description=description, ingredients=lines, instructions=lines,
                    nutrients=nutrients, category=lines, extractor="test")
    single = [recipe.title, *recipe.ingredients, *recipe.category, *recipe.nutrients, *recipe.nutrients.values()]
    multiline = [recipe.description or "", *recipe.instructions]
    assert not any(UNSAFE.search(text) for text in single)
    assert not any(UNSAFE.search(text.replace("\n", "").replace("\t", "")) for text in multiline)
    assert "" not in recipe.ingredients and recipe.description != ""


# -- item 3: finite, plausible numbers ---------------------------------------------------------

@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, "Infinity", "-Infinity", "NaN", "nan",
                                   "1e400", -1, "abc", None, True, 10**400])
def test_finite_refuses_what_json_cannot_hold(value):
    assert finite(value) is None


def test_finite_keeps_plain_numbers_and_applies_the_maximum():
    assert (finite("4.5"), finite(0), finite(7, maximum=7), finite(7.01, maximum=7)) == (4.5, 0.0, 7.0, None)


@pytest.mark.parametrize(("value", "expected"), [
    (MAX_MINUTES, MAX_MINUTES), (MAX_MINUTES + 1, None), (6e21, None), (10**22, None),
    ("99999999999999999999", None), (math.inf, None), ("43200", 43200),
])
def test_minutes_over_30_days_are_absurd(value, expected):
    assert to_minutes(value) == expected


@pytest.mark.parametrize(("yields", "expected"), [
    ("9" * 400 + " servings", None),  # float() of it is inf
    ("9" * 5000 + " 1/2 cakes", None),  # more digits than int() takes: was a ValueError
    (f"{MAX_SERVINGS} cookies", MAX_SERVINGS), (f"{MAX_SERVINGS + 1} cookies", None),
])
def test_servings_are_finite_and_plausible(yields, expected):
    assert servings_from_yields(yields) == expected


@given(st.floats(), st.floats(), st.one_of(st.floats(), st.integers(), st.text()),
       st.one_of(st.integers(), st.floats(), st.text()))
def test_models_hold_no_nan_or_infinity(ratings, quantity, servings, total_time):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    recipe = EnrichedRecipe(
        title="t", extractor="test", ratings=ratings, ratings_count=ratings, total_time=total_time,
        servings=servings, source_url="http://x/", host="x",
        parsed_ingredients=[ParsedIngredient(text="x", quantity=quantity, quantity_max=quantity, parser="t")],
        provenance=Provenance(extractor="test", fetched_at=now, imported_at=now, final_url="http://x/",
                              content_sha256="0", importer_version="0"))
    text = json.dumps(recipe.to_document("t"), allow_nan=False)  # raises on NaN or Infinity
    document = _strict_json(text)
    assert document["total_time"] is None or 0 <= document["total_time"] <= MAX_MINUTES
    assert document["servings"] is None or 0 <= document["servings"] <= MAX_SERVINGS


# -- item 5: bounded work per page -------------------------------------------------------------

def test_unclosed_jsonld_openers_end_the_scan_at_the_first():
    html = "<html><head>" + (OPENER + "{") * 20_000
    assert list(_jsonld_blocks(html)) == []
    assert _without_broken_jsonld(html) is None


def test_scanner_reads_script_text_as_raw_and_finds_each_block_once():
    html = (f'{OPENER}{{"a": 1}}</script><script>var s = "<script type=application/ld+json>";</script>'
            f'{OPENER.upper()}{{"b": 2}}</SCRIPT >{OPENER}[]</script>')
    assert [json.loads(text) for _, _, text in _jsonld_blocks(html)] == [{"a": 1}, {"b": 2}, []]


def test_blocks_past_the_cap_are_dropped_unread():
    broken = (OPENER + "{</script>") * (2 * MAX_JSONLD_BLOCKS)
    first = _without_broken_jsonld("<head>" + RECIPE_BLOCK + broken + "</head>")
    assert first is not None and [text for _, _, text in _jsonld_blocks(first)] == [
        RECIPE_BLOCK[len(OPENER):-len("</script>")]]
    last = _without_broken_jsonld("<head>" + broken + RECIPE_BLOCK + "</head>")
    assert last is not None and list(_jsonld_blocks(last)) == []  # block 401 is past the cap


@pytest.mark.parametrize("mode", ["rules", "auto"])  # auto: ingredient-parser-nlp where NLTK data is
def test_an_over_long_ingredient_line_is_kept_but_not_parsed(mode):
    long_line = "2 cups flour " + "x" * (MAX_PARSED_LINE * 240)  # 120 kB
    repairs: list[str] = []
    items, _ = parse_ingredients(["1 egg", long_line, "2 cups milk"], "en",
                                 EnrichSettings(ingredient_parser=mode), repairs)
    assert [item.text for item in items] == ["1 egg", long_line, "2 cups milk"]
    assert items[1].parser == "none" and items[1].quantity is None
    assert items[0].parser != "none" and items[2].quantity == 2
    assert repairs == ["ingredient_too_long"]


def test_lines_past_the_cap_are_kept_but_not_parsed():
    lines = [f"{n} g sugar" for n in range(1, MAX_PARSED_LINES + 51)]
    repairs = ["split_ingredients"]
    items, _ = parse_ingredients(lines, "fr", EnrichSettings(), repairs)
    assert [item.text for item in items] == lines
    assert {item.parser for item in items[:MAX_PARSED_LINES]} == {"rules"}
    assert {item.parser for item in items[MAX_PARSED_LINES:]} == {"none"}
    assert repairs == ["split_ingredients", "too_many_ingredients"]


def test_line_exactly_at_the_cap_is_parsed():
    line = "3 eggs " + "y" * (MAX_PARSED_LINE - 7)
    items, _ = parse_ingredients([line], "fr", EnrichSettings(), [])
    assert len(line) == MAX_PARSED_LINE and items[0].parser == "rules" and items[0].quantity == 3


def test_unicode_categories_of_the_unsafe_set():
    """The stripped set is exactly C0/C1 controls, bidi embeddings/isolates and surrogates."""
    for code in range(0x10000):
        ch = chr(code)
        if UNSAFE.match(ch) and ch not in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x85":
            assert strip_controls(ch) == "", hex(code)
        elif unicodedata.category(ch) not in ("Cc", "Cs") and not 0x202A <= code <= 0x202E and not (
                0x2066 <= code <= 0x2069) and code not in (0x2028, 0x2029):
            assert strip_controls(ch) == ch, hex(code)
