"""The structured-data reader of the generic extractor (issue 14): every shape a page uses.

Small pages under a host no site scraper knows, through extract() (no HTTP, no Ray).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.errors import NotARecipe
from scraper.extract import extract, has_site_scraper
from scraper.models import FetchedPage

URL = "https://unknown-blog.example/recipes/lemon-tart"
RECIPE = {"@type": "Recipe", "name": "Lemon tart", "recipeIngredient": ["1 lemon", "2 eggs"],
          "recipeInstructions": [{"@type": "HowToStep", "text": "Bake."}]}


def page(body: str, url: str = URL) -> FetchedPage:
    return FetchedPage(url=url, final_url=url, status=200, content_type="text/html", encoding="utf-8",
                       html=f"<html><head></head><body>{body}</body></html>", content_sha256="0" * 64,
                       fetched_at=datetime(2024, 5, 1, tzinfo=UTC))


def ld(value: object, raw: str | None = None) -> str:
    return f"<script type='application/ld+json'>{raw if raw is not None else json.dumps(value)}</script>"


def test_top_level_array():
    recipe = extract(page(ld([{"@context": "https://schema.org", **RECIPE}])))
    assert (recipe.title, recipe.ingredients, recipe.instructions) == ("Lemon tart", ["1 lemon", "2 eggs"], ["Bake."])


def test_graph_with_id_reference_from_webpage_main_entity():
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": URL, "mainEntity": {"@id": URL + "#recipe"}},
        {"@type": "WebSite", "name": "Unknown Blog"},
        {"@type": "Person", "@id": "#me", "name": "Ann Cook"},
        {**RECIPE, "@id": URL + "#recipe", "author": {"@id": "#me"}}]}
    recipe = extract(page(ld(graph)))
    assert recipe.title == "Lemon tart"
    assert recipe.author == "Ann Cook"
    assert recipe.site_name == "Unknown Blog"


def test_nested_main_entity_of_webpage():
    recipe = extract(page(ld({"@context": "http://schema.org", "@type": "WebPage", "mainEntity": RECIPE})))
    assert recipe.ingredients == ["1 lemon", "2 eggs"]


def test_several_recipes_picks_the_pages_main_one():
    related = {"@type": "Recipe", "name": "Related muffins", "url": "https://unknown-blog.example/muffins"}
    own = {**RECIPE, "url": URL}
    recipe = extract(page(ld({"@context": "https://schema.org", "@type": "ItemList",
                              "itemListElement": [related, own]})))
    assert recipe.title == "Lemon tart"


OTHER = {"@type": "Recipe", "name": "Our favourite lemonade", "recipeIngredient": ["3 lemons", "1 l water"],
         "recipeInstructions": [{"@type": "HowToStep", "text": "Squeeze."}]}


def test_of_two_complete_recipes_the_one_the_page_title_names_is_main():
    # A "you may also like" recipe written in full before the page's own: both complete, so
    # completeness and order would pick the wrong one; the page's <h1> names its own.
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "name": "x"}, OTHER, RECIPE]}
    recipe = extract(page("<h1>Lemon tart</h1>" + ld(graph)))
    assert (recipe.title, recipe.ingredients) == ("Lemon tart", ["1 lemon", "2 eggs"])


def test_a_title_naming_the_recipe_in_other_words_still_picks_it():
    # "Kubaneh (Yemenite Jewish Bread)" titled "Kubaneh (Jewish Yemeni Bread)": most of its words.
    own = {**RECIPE, "name": "Kubaneh (Yemenite Jewish Bread)"}
    graph = {"@context": "https://schema.org", "@graph": [OTHER, own]}
    recipe = extract(page("<h1>Kubaneh (Jewish Yemeni Bread) – Breadtopia</h1>" + ld(graph)))
    assert recipe.title == "Kubaneh (Yemenite Jewish Bread)"


def test_a_title_beats_completeness_where_the_own_recipe_lacks_its_steps():
    # The page's own Recipe names the page but leaves its steps to the HTML; the related one is
    # complete. The titled one is the page's; its ingredients are its own, not the lemonade's.
    own = {"@type": "Recipe", "name": "Lemon tart", "recipeIngredient": ["1 lemon", "2 eggs"]}
    html = ("<h1>Lemon tart</h1>" + ld({"@context": "https://schema.org", "@graph": [OTHER, own]})
            + "<h2>Instructions</h2><ol><li>Whisk the eggs with the lemon juice.</li>"
              "<li>Bake for 25 minutes.</li></ol>")
    recipe = extract(page(html))
    assert (recipe.title, recipe.ingredients) == ("Lemon tart", ["1 lemon", "2 eggs"])


def test_the_webpage_main_entity_is_main_whatever_the_titles():
    graph = {"@context": "https://schema.org", "@graph": [
        OTHER, {**RECIPE, "@id": "#r"}, {"@type": "WebPage", "mainEntity": {"@id": "#r"}}]}
    assert extract(page("<h1>Our favourite lemonade and more</h1>" + ld(graph))).title == "Lemon tart"


def test_broken_escape_in_jsonld_still_read():
    raw = json.dumps({"@context": "https://schema.org", **RECIPE}).replace("Bake.", "Bake at 180\\'C.")
    recipe = extract(page(ld(None, raw=raw)))
    assert recipe.instructions == ["Bake at 180\\'C."]


@pytest.mark.parametrize("wrap", [
    "/*<![CDATA[*/{}/*]]>*/", "//<![CDATA[\n{}\n//]]>", "<!--\n{}\n-->", "{};", "\ufeff{}", "<!-- /*<![CDATA[*/ {} /*]]>*/ -->"],
    ids=["cdata-comment", "cdata-line-comment", "html-comment", "semicolon", "bom", "layers"])
def test_json_ld_wrapped_by_its_template_is_read(wrap):
    raw = wrap.replace("{}", json.dumps({"@context": "https://schema.org", **RECIPE}))
    recipe = extract(page(ld(None, raw=raw)))
    assert (recipe.title, recipe.ingredients, recipe.extractor) == ("Lemon tart", ["1 lemon", "2 eggs"], "schema.org")


@pytest.mark.parametrize("raw", [
    ('{"@type": "Recipe", "name": "Lemon tart", "recipeIngredient": ["1 lemon", "2 eggs",],'
     ' "recipeInstructions": ["Bake."],}'),  # trailing commas
    ('{"@type": "Recipe", "name": "Lemon tart" "recipeIngredient": ["1 lemon", "2 eggs"]\n'
     ' "recipeInstructions": ["Bake."]}'),  # missing commas
], ids=["trailing-commas", "missing-commas"])
def test_hand_written_json_ld_with_a_syntax_error_is_repaired(raw):
    recipe = extract(page(ld(None, raw=raw)))
    assert (recipe.title, recipe.ingredients, recipe.instructions) == ("Lemon tart", ["1 lemon", "2 eggs"], ["Bake."])


def test_a_page_gets_three_repairs_at_most():
    # each broken script costs a repair (pure Python); a page of many buys no more than three
    junk = ld(None, raw='{"@type": "WebPage", "name": "x",}')
    recipe = ld(None, raw='{"@type": "Recipe", "name": "Lemon tart", "recipeIngredient": ["1 lemon", "2 eggs"],'
                          ' "recipeInstructions": ["Bake."],}')
    assert extract(page(junk * 2 + recipe)).title == "Lemon tart"
    with pytest.raises(NotARecipe):
        extract(page(junk * 3 + recipe))


def test_a_script_type_with_parameters_is_json_ld():
    raw = json.dumps({"@context": "https://schema.org", **RECIPE})
    recipe = extract(page(f"<script type='application/ld+json; charset=utf-8'>{raw}</script>"))
    assert (recipe.title, recipe.extractor) == ("Lemon tart", "schema.org")


def test_json_ld_that_is_not_json_is_no_data():
    # What a repair would make of prose, of a huge broken script or of one cut short (its lists
    # may be cut too) is not read: no recipe.
    broken = '{"@type": "Recipe", "name": "Lemon tart", "recipeIngredient": ["1 lemon", "2 eggs",], "x": "'
    bomb = "{" * 5_000 + "}"  # brackets no person types: json_repair took 0.35 s per 5 kB of them
    for raw in ("Lemon tart: 1 lemon, 2 eggs. Bake.", broken + "y" * 150_000 + '"}', broken[:-8], bomb):
        with pytest.raises(NotARecipe):
            extract(page(ld(None, raw=raw)))


def test_microdata():
    body = ("<div itemscope itemtype='http://schema.org/Recipe'><h1 itemprop='name'>Lemon tart</h1>"
            "<span itemprop='recipeIngredient'>1 lemon</span><span itemprop='recipeIngredient'>2 eggs</span>"
            "<div itemprop='recipeInstructions'>Bake.</div></div>")
    recipe = extract(page(body))
    assert (recipe.title, recipe.ingredients, recipe.instructions) == ("Lemon tart", ["1 lemon", "2 eggs"], ["Bake."])


def test_rdfa():
    body = ("<div vocab='http://schema.org/' typeof='Recipe'><h1 property='name'>Lemon tart</h1>"
            "<span property='recipeIngredient'>1 lemon</span><span property='recipeIngredient'>2 eggs</span>"
            "<p property='recipeInstructions'>Bake.</p></div>")
    recipe = extract(page(body))
    assert (recipe.title, recipe.ingredients, recipe.instructions) == ("Lemon tart", ["1 lemon", "2 eggs"], ["Bake."])


def test_rdfa_yields_given_twice_read_as_json_ld_lists_them():
    # "2" then "2 cakes": the JSON-LD list ["2", "2 cakes"] reads "2 cakes"; so must RDFa
    body = ("<div vocab='http://schema.org/' typeof='Recipe'><h1 property='name'>Lemon tart</h1>"
            "<span property='recipeYield'>2</span><span property='recipeYield'>2 cakes</span>"
            "<span property='recipeIngredient'>1 lemon</span><p property='recipeInstructions'>Bake.</p></div>")
    as_ld = extract(page(ld({"@context": "https://schema.org", **RECIPE, "recipeYield": ["2", "2 cakes"]})))
    assert extract(page(body)).yields == as_ld.yields == "2 cakes"


def test_no_structured_data_and_no_card_is_not_a_recipe():
    with pytest.raises(NotARecipe):
        extract(page("<article><h1>Ten things about lemons</h1><p>Lemons are sour.</p></article>"))


def test_known_site_keeps_its_scraper():
    assert has_site_scraper("https://www.allrecipes.com/recipe/1/x/")
    assert not has_site_scraper(URL)
    recipe = extract(page(ld({"@context": "https://schema.org", **RECIPE}),
                          url="https://www.allrecipes.com/recipe/1/lemon-tart/"))
    assert recipe.extractor.startswith("site:")


NEGATIVES = sorted((Path(__file__).parent / "negatives").glob("*.html"))


@pytest.mark.parametrize("path", NEGATIVES, ids=[p.stem for p in NEGATIVES])
def test_pages_that_only_talk_about_recipes_are_not_recipes(path):
    """A recipe index, a category page, a blog post that mentions a recipe (issue 14, item 3)."""
    fetched = page("", url=f"https://unknown-blog.example/{path.stem}").model_copy(
        update={"html": path.read_text(encoding="utf-8")})
    with pytest.raises(NotARecipe):
        extract(fetched)
