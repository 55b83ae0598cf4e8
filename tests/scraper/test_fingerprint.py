"""The recipe fingerprint (issue 18, item 4): properties, and copies of one recipe under other URLs."""

from __future__ import annotations

import json
import string
import unicodedata
from datetime import UTC, datetime

from hypothesis import example, given
from hypothesis import strategies as st

from scraper.extract import extract
from scraper.fingerprint import fingerprint, normalize_line, recipe_fingerprint
from scraper.models import FetchedPage, Recipe

WORD = st.text(alphabet=string.ascii_letters + string.digits + "éèàçñøåäöüßœ", min_size=1, max_size=8)
SPACE = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", min_size=1, max_size=3)
LINE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
LINES = st.lists(LINE, min_size=1, max_size=8)
GLYPHS = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8"}


@given(st.text())
@example("1½ cups &amp; more")
@example("\u0130stanbul \u01c5 \ufb01sh")
def test_normalising_a_line_is_idempotent_and_keeps_only_words(text):
    line = normalize_line(text)
    assert normalize_line(line) == line
    assert line == line.strip() and "  " not in line
    assert all(unicodedata.category(ch)[0] in "LMN" or ch == " " for ch in line)


@given(st.lists(WORD, min_size=1, max_size=6), st.data())
def test_whitespace_between_and_around_words_is_forgotten(words, data):
    spaced = data.draw(SPACE) + "".join(w + data.draw(SPACE) for w in words)
    assert normalize_line(spaced) == normalize_line(" ".join(words))


@given(LINE, LINES)
def test_case_is_forgotten(title, lines):
    assert fingerprint(title.upper(), [line.upper() for line in lines]) == fingerprint(
        title.lower(), [line.lower() for line in lines])


@given(LINE, LINES, st.randoms(use_true_random=False))
def test_the_order_of_lines_and_repeated_lines_are_forgotten(title, lines, rnd):
    shuffled = lines + lines[:1]
    rnd.shuffle(shuffled)
    assert fingerprint(title, shuffled) == fingerprint(title, lines)


@given(st.one_of(st.none(), st.integers(1, 12)), st.sampled_from(sorted(GLYPHS)), LINE)
def test_a_fraction_glyph_reads_as_the_ascii_fraction(whole, glyph, rest):
    number = "" if whole is None else str(whole)
    glyph_line = f"{number}{glyph} {rest}"
    ascii_line = f"{number} {GLYPHS[glyph]} {rest}".strip()
    assert normalize_line(glyph_line) == normalize_line(ascii_line)
    assert fingerprint("Tart", [glyph_line]) == fingerprint("Tart", [ascii_line])


@given(LINE, LINES)
def test_punctuation_entities_and_unicode_forms_are_forgotten(title, lines):
    noisy = [f"{unicodedata.normalize('NFD', line)}, (to taste)!" for line in lines]
    plain = [f"{line} to taste" for line in lines]
    assert fingerprint(f"&quot;{title}&quot; &ndash;", noisy) == fingerprint(title, plain)


@given(LINE, LINE, LINES)
def test_different_titles_make_different_fingerprints(first, second, lines):
    if normalize_line(first) != normalize_line(second):
        assert fingerprint(first, lines) != fingerprint(second, lines)


def test_without_ingredient_lines_there_is_no_fingerprint():
    assert fingerprint("Pancakes", []) is None
    assert fingerprint("Pancakes", ["  ", "!!"]) is None


def test_without_a_word_in_the_title_there_is_no_fingerprint():
    # Else "!!!" and "🍰🍰" with the same three lines would be one recipe (tests/test_bad_input.py).
    lines = ["2 eggs", "100 g flour", "1 pinch of salt"]
    assert fingerprint("!!!", lines) is None and fingerprint("🍰🍰", lines) is None
    assert fingerprint(None, lines) is None
    assert fingerprint("日本", lines) is not None  # a word in any script counts


def test_a_saved_document_and_its_recipe_give_the_same_fingerprint_groups_included():
    recipe = Recipe(title="Pie", ingredients=["2 apples", "1 crust"], extractor="schema.org")
    document = {"title": "Pie", "ingredients": ["2 apples", "1 crust"], "provenance": {}, "image": "x"}
    grouped = {"title": "Pie", "ingredients": [],
               "ingredient_groups": [{"purpose": "Filling", "ingredients": ["2 apples"]},
                                     {"purpose": None, "ingredients": ["1 crust"]}]}
    assert recipe_fingerprint(recipe) == recipe_fingerprint(document) == recipe_fingerprint(grouped)
    assert recipe_fingerprint(recipe) == fingerprint("Pie", ["1 crust", "2 apples"])


# -- the same recipe under a print URL, an AMP URL and another host ------------------------------

def _page(url: str, html: str) -> FetchedPage:
    return FetchedPage(url=url, final_url=url, status=200, content_type="text/html", encoding="utf-8",
                       html=html, content_sha256="0" * 64, fetched_at=datetime.now(UTC))


def _jsonld(data: dict) -> str:
    return (f'<html><head><script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}'
            f'</script></head><body><h1>{data["name"]}</h1></body></html>')


ORIGINAL = _jsonld({
    "@context": "https://schema.org", "@type": "Recipe", "name": "Lemon Tart",
    "author": {"@type": "Person", "name": "Ann"}, "recipeYield": "8",
    "recipeIngredient": ["1½ cups all-purpose flour", "½ cup cold butter, cubed", "3 large eggs",
                         "Zest of 2 lemons"],
    "recipeInstructions": [{"@type": "HowToStep", "text": "Make the crust."},
                           {"@type": "HowToStep", "text": "Bake."}]})
# The print page: microdata instead of JSON-LD, title in capitals, entities, a stray full stop.
PRINT = """<html><body><div itemscope itemtype="https://schema.org/Recipe">
<h1 itemprop="name">LEMON TART</h1><ul>
<li itemprop="recipeIngredient">1&frac12; cups all-purpose flour</li>
<li itemprop="recipeIngredient">&frac12; cup cold butter, cubed</li>
<li itemprop="recipeIngredient">3 large eggs</li>
<li itemprop="recipeIngredient">Zest of 2 lemons.</li></ul>
<ol><li itemprop="recipeInstructions">Make the crust.</li><li itemprop="recipeInstructions">Bake.</li></ol>
</div></body></html>"""
# The AMP page: the metadata in another order, ASCII fractions, lines reordered, odd spacing.
AMP = _jsonld({
    "recipeInstructions": ["Make the crust.", "Bake."], "description": "AMP copy",
    "recipeIngredient": ["3 Large Eggs", "1 1/2 cups all-purpose  flour", "Zest of 2 lemons",
                         "1/2 cup cold butter , cubed"],
    "name": "Lemon Tart", "@type": "Recipe", "@context": "https://schema.org"})
# A syndicating site: its own URL and host, instructions as one text, another spacing of "1 ½".
SYNDICATED = _jsonld({
    "@context": "https://schema.org", "@type": "Recipe", "name": "Lemon tart",
    "recipeIngredient": ["1 ½ cups all-purpose flour", "½ cup cold butter, cubed", "3 large eggs",
                         "zest of 2 lemons"],
    "recipeInstructions": "Make the crust. Bake."})
SAME_TITLE = _jsonld({
    "@context": "https://schema.org", "@type": "Recipe", "name": "Lemon Tart",
    "recipeIngredient": ["1 sheet puff pastry", "1 jar lemon curd"], "recipeInstructions": ["Fill.", "Bake."]})


def test_print_amp_and_syndicated_copies_of_a_recipe_share_one_fingerprint():
    copies = {
        "https://www.bakery.example/recipes/lemon-tart/": ORIGINAL,
        "https://www.bakery.example/recipes/lemon-tart/print/": PRINT,
        "https://amp.bakery.example/recipes/lemon-tart/amp": AMP,
        "https://news-syndicator.example/food/lemon-tart-1234": SYNDICATED,
    }
    recipes = {url: extract(_page(url, html)) for url, html in copies.items()}
    assert len({tuple(r.ingredients) for r in recipes.values()}) == 4  # four different texts...
    fingerprints = {recipe_fingerprint(r) for r in recipes.values()}
    assert len(fingerprints) == 1 and None not in fingerprints  # ...one recipe
    other = recipe_fingerprint(extract(_page("https://other.example/lemon-tart", SAME_TITLE)))
    assert other is not None and other not in fingerprints  # same title, another recipe
