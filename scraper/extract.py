"""extract: FetchedPage → Recipe, with recipe-scrapers.

`scrape_html(html, org_url=final_url, supported_only=False)` picks the site's own scraper by the
final URL's host and falls back to generic schema.org (JSON-LD and microdata) for other sites.
recipe-scrapers raises for each field a page lacks, so every field is read on its own and a
missing one becomes None rather than failing the page. Pure: no network, no files.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from recipe_scrapers import SCRAPERS
from recipe_scrapers._utils import get_host_name
from recipe_scrapers._exceptions import (
    NoSchemaFoundInWildMode,
    RecipeScrapersExceptions,
    WebsiteNotImplementedError,
)

from . import _recipe_scrapers_adapter as adapter
from ._parsing import clean_list, clean_text, finite, split_tags, to_minutes
from .errors import NotARecipe
from .generic import extract_generic
from .repairs import repair_total_time
from .models import FetchedPage, IngredientGroup, Recipe

NO_RECIPE_MESSAGE = "no structured recipe data on the page; configure an LLM to import it"
log = logging.getLogger(__name__)


def _field(scraper: Any, name: str) -> Any:
    """One field, or None when the page (or the scraper) does not provide it."""
    method: Callable[[], Any] | None = getattr(scraper, name, None)
    if method is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return method()
    except (NotImplementedError, RecipeScrapersExceptions, AttributeError, KeyError,
            IndexError, TypeError, ValueError):
        return None
    except Exception as exc:  # a site scraper's own bug must not fail the whole page
        log.debug("recipe-scrapers %s.%s failed: %r", type(scraper).__name__, name, exc)
        return None


def _number(value: Any) -> float | None:
    return finite(value)  # "Infinity" and "NaN" parse as floats, and JSON has neither


def _groups(value: Any) -> list[IngredientGroup]:
    groups = []
    for group in value or []:
        ingredients = clean_list(getattr(group, "ingredients", None))
        if ingredients:
            groups.append(
                IngredientGroup(purpose=clean_text(getattr(group, "purpose", None)), ingredients=ingredients)
            )
    return groups


_SCRIPT_OPEN = re.compile(r"<script(?=[\s/>])", re.I)
_SCRIPT_CLOSE = re.compile(r"</script\s*>", re.I)
_JSONLD_TYPE = re.compile(r"type\s*=\s*[\"']?application/ld\+json", re.I)
#: JSON-LD blocks read per page, and their total characters: a page has a handful; 20 000 is an
#: attack on the CPU (issue 13, item 5). Blocks past either cap are dropped with the broken ones.
MAX_JSONLD_BLOCKS = 200
MAX_JSONLD_CHARS = 5_000_000


def _jsonld_blocks(html: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of each `<script type="application/ld+json">` element, in one pass.

    Linear: each search starts where the last one ended. A `<script` with no `>`, or no
    `</script>` after it, ends the scan, since no later one can have one either (a regex with a
    lazy `.*?` instead rescanned the rest of the page from every unclosed opener).
    """
    pos = 0
    while (opener := _SCRIPT_OPEN.search(html, pos)) is not None:
        tag_end = html.find(">", opener.end())
        if tag_end < 0:
            return
        closer = _SCRIPT_CLOSE.search(html, tag_end + 1)
        if closer is None:
            return
        if _JSONLD_TYPE.search(html, opener.end(), tag_end):
            yield opener.start(), closer.end(), html[tag_end + 1 : closer.start()]
        pos = closer.end()  # a script's text is raw: a "<script" inside it opens nothing


def _without_broken_jsonld(html: str) -> str | None:
    """The page without its unparseable JSON-LD blocks, or None if none is broken.

    extruct (under recipe-scrapers) drops *every* JSON-LD block of a page when one of them does
    not parse, so a site's broken analytics snippet would hide its valid Recipe. Blocks past
    MAX_JSONLD_BLOCKS or MAX_JSONLD_CHARS are dropped unread, which bounds the work on any page.
    """
    dropped, count, chars = [], 0, 0
    for start, end, text in _jsonld_blocks(html):
        count, chars = count + 1, chars + len(text)
        if count > MAX_JSONLD_BLOCKS or chars > MAX_JSONLD_CHARS:
            dropped.append((start, end))
            continue
        try:
            json.loads(text)
        except (ValueError, RecursionError):
            dropped.append((start, end))
    if not dropped:
        return None
    parts, last = [], 0
    for start, end in dropped:
        parts.append(html[last:start])
        last = end
    parts.append(html[last:])
    return "".join(parts)


def _scrape(html: str, url: str) -> Any:
    # The adapter builds the soup with lxml (issue 15); the scraper is the library's own.
    return adapter.scrape_html(html, url)


def _core(scraper: Any) -> tuple[str | None, Any, list[str]]:
    """Title, ingredients as the scraper returned them (None when it raised), instructions."""
    title = clean_text(_field(scraper, "title"))
    ingredients = _field(scraper, "ingredients")
    # A lone HowToStep object (not in a list) comes back from recipe-scrapers as the text "None".
    instructions = [step for step in clean_list(_field(scraper, "instructions_list")) if step != "None"]
    if not instructions:
        raw = _schema_data(scraper).get("recipeInstructions")
        if isinstance(raw, dict):
            instructions = clean_list(raw.get("text") or raw.get("name"))
    return title, ingredients, instructions


def _ingredient_groups(scraper: Any, raw_ingredients: Any) -> list[IngredientGroup]:
    """The scraper's groups, computed by the adapter with the ingredients already read.

    When reading them raised (None here), the groups read them again, as the library would, and
    fail the same way.
    """
    read = (lambda: raw_ingredients) if raw_ingredients is not None else None
    return _groups(_field(_GroupsOf(scraper, read), "ingredient_groups"))


class _GroupsOf:
    """`ingredient_groups` of one scraper through the adapter, shaped for `_field`."""

    def __init__(self, scraper: Any, ingredients: Callable[[], Any] | None) -> None:
        self._scraper, self._ingredients = scraper, ingredients

    def ingredient_groups(self) -> Any:
        return adapter.ingredient_groups(self._scraper, self._ingredients)


def _schema_data(scraper: Any) -> dict[str, Any]:
    data = getattr(getattr(scraper, "schema", None), "data", None)
    return data if isinstance(data, dict) else {}


def _minutes(scraper: Any, name: str, schema_key: str) -> int | None:
    """A time in minutes; None when the page's ISO-8601 duration is negative ("PT-5M")."""
    value = _schema_data(scraper).get(schema_key)
    if isinstance(value, str) and "-" in value:
        return None
    return to_minutes(_field(scraper, name))


def has_site_scraper(url: str) -> bool:
    """Whether recipe-scrapers has a scraper of its own for the URL's host (as scrape_html decides)."""
    try:
        return get_host_name(url) in SCRAPERS
    except Exception:  # a URL recipe-scrapers cannot split has no site scraper either
        return False


def extract(page: FetchedPage) -> Recipe:
    """Read the recipe the page declares.

    A host recipe-scrapers has a scraper for keeps it; every other page goes through our
    generic extractor (generic.py, issue 14), which reads the structured data and the HTML card.

    Raises:
        NotARecipe: no site scraper or schema.org Recipe finds a title and ingredients or steps.
    """
    if not has_site_scraper(page.final_url):
        recipe = extract_generic(page.html, page.final_url)
        if recipe is None:
            raise NotARecipe(NO_RECIPE_MESSAGE, url=page.url, stage="extract")
        return recipe
    scraper, title, ingredients, instructions, error = None, None, [], [], None
    raw_ingredients: Any = None
    for html in (page.html, None):
        if html is None:
            html = _without_broken_jsonld(page.html)
            if html is None:
                break
        try:
            scraper = _scrape(html, page.final_url)
        except (NoSchemaFoundInWildMode, WebsiteNotImplementedError) as exc:
            error = exc
            continue
        except Exception as exc:  # malformed markup that the parser chokes on is still "no recipe"
            error = exc
            continue
        title, raw_ingredients, instructions = _core(scraper)
        ingredients = clean_list(raw_ingredients)
        if title and (ingredients or instructions):
            break
    if scraper is None or not title or not (ingredients or instructions):
        raise NotARecipe(NO_RECIPE_MESSAGE, url=page.url, stage="extract") from error

    site_scraper = type(scraper).__name__ != "SchemaScraper"
    prep_time = _minutes(scraper, "prep_time", "prepTime")
    cook_time = _minutes(scraper, "cook_time", "cookTime")
    # A negative or garbage totalTime ("PT-33M") is prep + cook when the page gives them (issue 14).
    raw_total = _schema_data(scraper).get("totalTime")
    total_time, fixed = repair_total_time(_minutes(scraper, "total_time", "totalTime"),
                                          raw_total if isinstance(raw_total, str) and "-" in raw_total else None,
                                          prep_time, cook_time)

    nutrients = _field(scraper, "nutrients") or {}
    ratings_count = _number(_field(scraper, "ratings_count"))
    return Recipe(
        title=title,
        ingredients=ingredients,
        ingredient_groups=_ingredient_groups(scraper, raw_ingredients),
        instructions=instructions,
        yields=clean_text(_field(scraper, "yields")),
        total_time=total_time,
        prep_time=prep_time,
        cook_time=cook_time,
        author=clean_text(_field(scraper, "author")),
        description=clean_text(_field(scraper, "description")),
        image=clean_text(_field(scraper, "image")),
        canonical_url=clean_text(_field(scraper, "canonical_url")),
        site_name=clean_text(_field(scraper, "site_name")),
        language=clean_text(_field(scraper, "language")),
        category=split_tags(_field(scraper, "category")),
        cuisine=split_tags(_field(scraper, "cuisine")),
        keywords=split_tags(_field(scraper, "keywords")),
        nutrients={str(k): str(v) for k, v in nutrients.items()} if isinstance(nutrients, dict) else {},
        ratings=_number(_field(scraper, "ratings")),
        ratings_count=int(ratings_count) if ratings_count is not None else None,
        extractor=f"site:{type(scraper).__name__}" if site_scraper else "schema.org",
        repairs=["total_time_from_parts"] if fixed else [],
    )
