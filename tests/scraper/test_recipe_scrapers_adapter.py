"""scraper/_recipe_scrapers_adapter.py: what it assumes of recipe-scrapers, and that its output is
the plain library's (issue 15). A recipe-scrapers release that moves what the adapter reaches
into fails here, loudly, rather than changing imports quietly.
"""

from __future__ import annotations

import inspect
import json
import warnings

import pytest
from recipe_scrapers import SCRAPERS, _abstract, scrape_html
from recipe_scrapers._abstract import AbstractScraper
from recipe_scrapers._grouping_utils import DEFAULT_GROUPINGS, group_ingredients

from scraper import _recipe_scrapers_adapter as adapter

from tests.conftest import CORPUS, needs_corpus

# What the adapter was checked against (recipe-scrapers 15.13): a new release that changes any
# of it needs the adapter looked at again, and the corpus pages below compared again.
KNOWN_GROUPINGS = [
    ("wprm", [".wprm-recipe-ingredient-group h4", ".wprm-recipe-group-name"],
     [".wprm-recipe-ingredient", ".wprm-recipe-ingredients li"]),
    ("tasty", [".tasty-recipes-ingredients-body p strong", ".tasty-recipes-ingredients h4"],
     [".tasty-recipes-ingredients-body ul li", ".tasty-recipes-ingredients ul li"]),
]
# Corpus pages: WPRM groups, Tasty groups, no group markup, a class written with a character
# reference, an unclosed <li> (html.parser kept), a site scraper with its own ingredient_groups.
CORPUS_PAGES = [
    "africanbites.com/africanbites",
    "hostthetoast.com/hostthetoast_2",
    "hostthetoast.com/hostthetoast_1",
    "woop.co.nz/woop",
    "alittlebityummy.com/alittlebityummy_2",
    "bettycrocker.com/bettycrocker_2",
]


def _plain(html: str, url: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scrape_html(html, org_url=url, supported_only=False)


def _fields(scraper) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = scraper.to_json()
    data["instructions_list"] = _call(scraper.instructions_list)
    return data


def _call(method):
    try:
        return method()
    except Exception as exc:  # noqa: BLE001 - the library raises for a missing field: compare that too
        return f"raised {type(exc).__name__}"


def _default_groups_host() -> str:
    """A host whose scraper keeps the library's default ingredient_groups and reads schema.org."""
    cls = SCRAPERS.get("africanbites.com")
    assert cls is not None and cls.ingredient_groups is AbstractScraper.ingredient_groups
    return "africanbites.com"


def test_recipe_scrapers_still_builds_its_soup_as_the_adapter_assumes():
    assert adapter.LIBRARY_SOUP_CALL in inspect.getsource(AbstractScraper.__init__)
    assert _abstract.BeautifulSoup is adapter._soup, "the adapter could not take over the soup"
    assert adapter.soup_patchable()


def test_recipe_scrapers_still_groups_ingredients_as_the_adapter_assumes():
    assert [(name, list(h), list(e)) for name, h, e in DEFAULT_GROUPINGS] == KNOWN_GROUPINGS
    assert "return group_ingredients(self.ingredients(), self.soup)" in inspect.getsource(
        AbstractScraper.ingredient_groups)
    assert adapter.grouping_selectors_checkable()
    params = list(inspect.signature(group_ingredients).parameters)
    assert params == ["ingredients_list", "soup", "group_heading", "group_element"]
    # adapter._group copies this body, with the parent's headings selected once per parent.
    body = inspect.getsource(group_ingredients)
    for line in ('found_ingredients = soup.select(group_element)',
                 'elements = soup.select(f"{group_heading}, {group_element}")',
                 "if element in element.parent.select(group_heading):",
                 "current_heading = normalize_string(element.get_text()) or None",
                 "ingredient_text = normalize_string(element.get_text())",
                 "matched_ingredient = best_match(ingredient_text, ingredients_list)",
                 "for heading, items in groupings.items()",
                 "if items"):
        assert line in body, line


def test_outside_the_adapter_the_library_still_uses_html_parser():
    url = f"https://{_default_groups_host()}/cake"
    html = _page("<ul><li>1 cup flour</li></ul>")
    assert adapter.scrape_html(html, url).soup.builder.NAME == "lxml"
    assert _plain(html, url).soup.builder.NAME == "html.parser"


@pytest.mark.parametrize("html, builder", [
    ("<ul><li>a</li><li>b</li></ul><p>x</p>", "lxml"),
    ("<ul><li>a<li>b</ul>", "html.parser"),
    ("<p>one<p>two</p>", "html.parser"),
    ("<p/>text", "html.parser"),
    ("<P>x</p ><!-- <li> --><script>'<p>'</script><style>p{}</style>", "lxml"),
    ("<p>a\x00b</p>", "html.parser"),
    ("\ufeff<p>x</p>", "html.parser"),
])
def test_tree_builder_keeps_html_parser_where_the_trees_would_differ(html, builder):
    assert adapter.tree_builder(html) == builder


def _page(body: str) -> str:
    data = {"@context": "https://schema.org", "@type": "Recipe", "name": "Cake",
            "recipeIngredient": ["1 cup flour", "2 eggs", "1 cup sugar", "2 tbsp water"],
            "recipeInstructions": [{"@type": "HowToStep", "text": "Mix."}]}
    return (f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head>'
            f"<body>{body}</body></html>")


WPRM = ('<div class="wprm-recipe-ingredient-group"><h4 class="{h}">For the cake</h4><ul>'
        '<li class="wprm-recipe-ingredient">1 cup flour</li><li class="wprm-recipe-ingredient">2 eggs</li>'
        '</ul></div><div class="wprm-recipe-ingredient-group"><h4 class="{h}">For the syrup</h4><ul>'
        '<li class="wprm-recipe-ingredient">1 cup sugar</li><li class="wprm-recipe-ingredient">2 tbsp water'
        "</li></ul></div>")


@pytest.mark.parametrize("body, purposes", [
    (WPRM.format(h="wprm-recipe-group-name"), ["For the cake", "For the syrup"]),
    # The class written with a character reference: not in the raw text, still detected.
    (WPRM.format(h="wprm-recipe-group&#45;name").replace("wprm-recipe-ingredient-group", "x"),
     ["For the cake", "For the syrup"]),
    ("<ul><li>1 cup flour</li><li>2 eggs</li></ul>", [None]),
])
def test_ingredient_groups_are_the_librarys(body, purposes):
    url = f"https://{_default_groups_host()}/cake"
    html = _page(body)
    plain, adapted = _plain(html, url), adapter.scrape_html(html, url)
    groups = adapter.ingredient_groups(adapted)
    assert [g.purpose for g in groups] == purposes
    assert groups == plain.ingredient_groups()
    assert adapter.ingredient_groups(adapted, lambda: plain.ingredients()) == groups


def test_grouping_with_more_lines_than_ingredients_raises_as_the_library_does():
    url = f"https://{_default_groups_host()}/cake"
    html = _page(WPRM.format(h="wprm-recipe-group-name").replace(
        "</ul></div>", '<li class="wprm-recipe-ingredient">1 pinch salt</li></ul></div>', 1))
    plain, adapted = _plain(html, url), adapter.scrape_html(html, url)
    with pytest.raises(ValueError, match="Found 5 grouped ingredients but was expecting to find 4"):
        plain.ingredient_groups()
    with pytest.raises(ValueError, match="Found 5 grouped ingredients but was expecting to find 4"):
        adapter.ingredient_groups(adapted)


@needs_corpus
@pytest.mark.parametrize("page_id", CORPUS_PAGES)
def test_adapter_output_equals_the_plain_librarys_on_corpus_pages(page_id):
    entry = next(json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text("utf-8").splitlines()
                 if json.loads(line)["id"] == page_id)
    html = (CORPUS / entry["html"]).read_text("utf-8")
    plain, adapted = _plain(html, entry["url"]), adapter.scrape_html(html, entry["url"])
    assert adapted.soup.builder.NAME == adapter.tree_builder(html)
    assert _fields(adapted) == _fields(plain)
    assert _call(lambda: adapter.ingredient_groups(adapted)) == _call(plain.ingredient_groups)


@needs_corpus
def test_an_unclosed_li_keeps_html_parser():
    # libxml2 would close the third step at the fourth <li> (as a browser does); the library's
    # scraper, and the corpus' expected output, read html.parser's nesting.
    html = (CORPUS / "pages/alittlebityummy.com/alittlebityummy_2.html").read_text("utf-8")
    assert adapter.tree_builder(html) == "html.parser"
