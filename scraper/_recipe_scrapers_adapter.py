"""The one place that reaches into recipe-scrapers' internals, to cut its CPU per page (issue 15).

What it changes, and why each change leaves the output as the library gives it:

- The soup. `AbstractScraper.__init__` builds `BeautifulSoup(html, "html.parser")`, pure Python
  and ~half of extract's CPU. `scrape_html` here builds it with bs4's `lxml` tree builder
  instead (libxml2 tokenises; bs4 still builds the same kind of tree for the site scrapers),
  except on a page where the two are known to build different trees that a scraper reads
  differently (`tree_builder`): an element whose end tag is left out (`<li>a<li>b`: libxml2
  closes the first `<li>` as a browser does, html.parser nests the second in it, and the
  library's expected output is html.parser's), a NUL character or a byte-order mark. Those
  pages keep `html.parser` (27 of the 224 dev-corpus pages; one of them, alittlebityummy_2,
  changed its instructions under lxml). libxml2 repairs other markup its own way too (a block
  opened inside a `<p>`, on 37 corpus pages) without changing any field there: every corpus
  page's output is byte-for-byte the plain library's (benchmarks/steps_output.py --compare).
  `tests/scraper/test_recipe_scrapers_adapter.py` holds pages of both kinds to the plain
  library's output.
- Ingredient groups. The library's default `ingredient_groups()` auto-detects group markup with
  up to eight CSS selects over the whole tree on every page, although most pages have none.
  `ingredient_groups` here skips a selector whose class names do not occur in the page's HTML
  (a class selector matches only an element whose `class` attribute holds that exact token, and
  an attribute can only hold it by writing it, or with a character reference, in which case
  nothing is skipped), stops each select at its first match and asks each selector once.
  The grouping (`_group` here) is the library's loop line for line but for one
  thing: the library selects the headings under an element's parent once per element, and
  the same parent's answer is the same, so it is asked once per parent (a `<ul>` of twenty
  lines was twenty identical selects).

Import this module, never patch recipe-scrapers elsewhere. The test named above fails loudly
when a recipe-scrapers release moves what this relies on; the version range stays pinned in
pyproject.toml. Pure: no network, no files, no Ray.
"""

from __future__ import annotations

import contextvars
import inspect
import re
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup
from recipe_scrapers import _abstract
from recipe_scrapers import scrape_html as _library_scrape_html
from recipe_scrapers._abstract import AbstractScraper
from recipe_scrapers._grouping_utils import DEFAULT_GROUPINGS, IngredientGroup, best_match
from recipe_scrapers._utils import normalize_string

#: The tree builder recipe-scrapers' soup is built with by `scrape_html` below.
TREE_BUILDER = "lxml"
#: What `AbstractScraper.__init__` must contain for the soup swap to be the only difference.
LIBRARY_SOUP_CALL = 'BeautifulSoup(self.page_data, "html.parser")'
#: Elements whose end tag HTML lets a page leave out: libxml2 implies it, html.parser does not.
IMPLIED_END_TAGS = ("caption", "colgroup", "dd", "dt", "li", "optgroup", "option", "p",
                    "rb", "rp", "rt", "tbody", "td", "tfoot", "th", "thead", "tr")
# Case-insensitive names only, `(?i:...)`: a pattern compiled with re.I scans ~3x slower.
_TAG = re.compile(r"<(/?)((?i:%s))(?=[\s/>])" % "|".join(IMPLIED_END_TAGS))
_HIDDEN = re.compile(r"<(?:!--|(?i:(script|style))(?=[\s/>]))")  # where tags are text, not tags
_COMMENT_END = re.compile("-->")
_RAW_TEXT_END = {name: re.compile(rf"</(?i:{name})\s*>") for name in ("script", "style")}

_features: contextvars.ContextVar[str | None] = contextvars.ContextVar("recipe_soup_features", default=None)


def _soup(markup: Any, features: Any = None, *args: Any, **kwargs: Any) -> BeautifulSoup:
    """`BeautifulSoup` as `_abstract` calls it, with the builder `scrape_html` asked for."""
    wanted = _features.get()
    if wanted is not None and features == "html.parser":
        features = wanted
    return BeautifulSoup(markup, features, *args, **kwargs)


def soup_patchable() -> bool:
    """Whether recipe-scrapers still builds its soup the way `_soup` replaces (checked by a test)."""
    source = inspect.getsource(AbstractScraper.__init__)
    return LIBRARY_SOUP_CALL in source and getattr(_abstract, "BeautifulSoup", None) in (BeautifulSoup, _soup)


# Outside `scrape_html` (contextvar unset), `_soup` is exactly `BeautifulSoup`: other callers of
# the library in the process get what they always got.
if soup_patchable():
    _abstract.BeautifulSoup = _soup


def tree_builder(html: str) -> str:
    """`TREE_BUILDER`, or `html.parser` for a page the two would build different trees of.

    Counts the start and end tags of IMPLIED_END_TAGS outside comments, scripts and styles
    (linear in the page); any name whose counts differ (or `<p/>`, which html.parser closes and
    libxml2 does not) keeps the page on html.parser. An unclosed comment or script ends the
    scan, as it ends both parsers' view of tags.
    """
    if "\x00" in html or html.startswith("\ufeff"):
        return "html.parser"  # libxml2 reads NUL as U+FFFD and drops a BOM; html.parser keeps both
    balance: Counter[str] = Counter()
    for (slash, name), count in Counter(_TAG.findall(_markup(html))).items():
        balance[name.lower()] += -count if slash else count
    return "html.parser" if any(balance.values()) else TREE_BUILDER


def _markup(html: str) -> str:
    """The page without its comments, scripts and styles (one pass; an unclosed one ends it)."""
    parts, pos = [], 0
    while (opener := _HIDDEN.search(html, pos)) is not None:
        parts.append(html[pos:opener.start()])
        raw = opener.group(1)
        end = (_RAW_TEXT_END[raw.lower()] if raw else _COMMENT_END).search(html, opener.end())
        if end is None:
            return "".join(parts)
        pos = end.end()
    parts.append(html[pos:])
    return "".join(parts)


def scrape_html(html: str, url: str) -> AbstractScraper:
    """recipe-scrapers' `scrape_html(html, org_url=url, supported_only=False)`, soup by `tree_builder`.

    Raises:
        What the library's `scrape_html` raises (NoSchemaFoundInWildMode and the like).
    """
    token = _features.set(tree_builder(html))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _library_scrape_html(html, org_url=url, supported_only=False)
    finally:
        _features.reset(token)


_CLASS_NAME = re.compile(r"\.(-?[_a-zA-Z][-_a-zA-Z0-9]*)")
# A class attribute value with a character reference in it: its tokens are not in the raw text.
_CLASS_WITH_REFERENCE = re.compile(r"""(?i:class)\s*=\s*(?:"[^"]*&|'[^']*&|[^\s"'>]*&)""")


def _class_names(selector: str) -> tuple[str, ...]:
    return tuple(_CLASS_NAME.findall(selector))


def grouping_selectors_checkable() -> bool:
    """Whether every default grouping selector names a class (what the skip relies on)."""
    return all(_class_names(selector) for _, headings, elements in DEFAULT_GROUPINGS
               for selector in (*headings, *elements))


_CHECKABLE = grouping_selectors_checkable()


def _detect(html: str, soup: Any, exact: bool = False) -> tuple[str | None, str | None]:
    """The (heading, element) selectors `group_ingredients` would auto-detect, or (None, None).

    Same order and the same test as the library's loop (`soup.select(h) and soup.select(e)`),
    with `select_one` for the truth value and a selector skipped when one of its class names is
    not in the page (see the module docstring).
    """
    exact = exact or not _CHECKABLE or _CLASS_WITH_REFERENCE.search(html) is not None
    known: dict[str, bool] = {}

    def present(selector: str) -> bool:
        if selector not in known:
            known[selector] = ((exact or all(name in html for name in _class_names(selector)))
                               and soup.select_one(selector) is not None)
        return known[selector]

    for _, headings, elements in DEFAULT_GROUPINGS:
        for heading in headings:
            for element in elements:
                if present(heading) and present(element):
                    return heading, element
    return None, None


def ingredient_groups(scraper: AbstractScraper, ingredients: Callable[[], Any] | None = None) -> Any:
    """`scraper.ingredient_groups()`, as the library computes it, with less work.

    `ingredients` returns what `scraper.ingredients()` returns (extract has already read it);
    it must be that method or a value read from it. A scraper with its own `ingredient_groups`
    (explicit selectors, or a plugin around it) is called as it is.
    """
    if type(scraper).ingredient_groups is not AbstractScraper.ingredient_groups:
        return scraper.ingredient_groups()
    lines = (ingredients or scraper.ingredients)()
    html = getattr(scraper, "page_data", None)
    if not isinstance(html, str):  # no page text to check class names in: run every select
        html, exact = "", True
    else:
        exact = False
    heading, element = _detect(html, scraper.soup, exact=exact)
    if heading is None or element is None:
        return [IngredientGroup(ingredients=lines)]
    return _group(lines, scraper.soup, heading, element)


def _group(ingredients_list: list[str], soup: Any, group_heading: str, group_element: str) -> list[IngredientGroup]:
    """The library's `group_ingredients(ingredients_list, soup, group_heading, group_element)`.

    Its body with explicit selectors, but `element.parent.select(group_heading)` asked once per
    parent (`tests/scraper/test_recipe_scrapers_adapter.py` pins the library's body this copies).

    Raises:
        ValueError: as the library does, when the page's grouped lines are not the ingredients.
    """
    found_ingredients = soup.select(group_element)
    if len(found_ingredients) != len(ingredients_list):
        raise ValueError(
            f"Found {len(found_ingredients)} grouped ingredients but was expecting to find {len(ingredients_list)}."
        )
    groupings: dict[str | None, list[str]] = {}
    current_heading: str | None = None
    headings_under: dict[int, tuple[Any, list[Any]]] = {}  # id(parent) -> (parent, its headings)
    for element in soup.select(f"{group_heading}, {group_element}"):
        parent = element.parent
        entry = headings_under.get(id(parent))
        if entry is None:  # the parent is kept in the entry, so its id is not reused meanwhile
            entry = headings_under[id(parent)] = (parent, parent.select(group_heading))
        if element in entry[1]:
            current_heading = normalize_string(element.get_text()) or None
            groupings.setdefault(current_heading, [])
        else:
            ingredient_text = normalize_string(element.get_text())
            groupings.setdefault(current_heading, []).append(best_match(ingredient_text, ingredients_list))
    return [IngredientGroup(purpose=heading, ingredients=items) for heading, items in groupings.items() if items]
