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
from collections.abc import Callable
from typing import Any

from recipe_scrapers import scrape_html
from recipe_scrapers._exceptions import (
    NoSchemaFoundInWildMode,
    RecipeScrapersExceptions,
    WebsiteNotImplementedError,
)

from ._parsing import clean_list, clean_text, split_tags, to_minutes
from .errors import NotARecipe
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
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _groups(value: Any) -> list[IngredientGroup]:
    groups = []
    for group in value or []:
        ingredients = clean_list(getattr(group, "ingredients", None))
        if ingredients:
            groups.append(
                IngredientGroup(purpose=clean_text(getattr(group, "purpose", None)), ingredients=ingredients)
            )
    return groups


_JSONLD = re.compile(
    r"<script[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>", re.I | re.S
)


def _without_broken_jsonld(html: str) -> str | None:
    """The page without its unparseable JSON-LD blocks, or None if none is broken.

    extruct (under recipe-scrapers) drops *every* JSON-LD block of a page when one of them does
    not parse, so a site's broken analytics snippet would hide its valid Recipe.
    """
    broken = []
    for match in _JSONLD.finditer(html):
        try:
            json.loads(match.group(1))
        except (ValueError, RecursionError):
            broken.append(match.span())
    if not broken:
        return None
    parts, last = [], 0
    for start, end in broken:
        parts.append(html[last:start])
        last = end
    parts.append(html[last:])
    return "".join(parts)


def _scrape(html: str, url: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scrape_html(html, org_url=url, supported_only=False)


def _core(scraper: Any) -> tuple[str | None, list[str], list[str]]:
    title = clean_text(_field(scraper, "title"))
    ingredients = clean_list(_field(scraper, "ingredients"))
    # A lone HowToStep object (not in a list) comes back from recipe-scrapers as the text "None".
    instructions = [step for step in clean_list(_field(scraper, "instructions_list")) if step != "None"]
    if not instructions:
        raw = _schema_data(scraper).get("recipeInstructions")
        if isinstance(raw, dict):
            instructions = clean_list(raw.get("text") or raw.get("name"))
    return title, ingredients, instructions


def _schema_data(scraper: Any) -> dict[str, Any]:
    data = getattr(getattr(scraper, "schema", None), "data", None)
    return data if isinstance(data, dict) else {}


def _minutes(scraper: Any, name: str, schema_key: str) -> int | None:
    """A time in minutes; None when the page's ISO-8601 duration is negative ("PT-5M")."""
    value = _schema_data(scraper).get(schema_key)
    if isinstance(value, str) and "-" in value:
        return None
    return to_minutes(_field(scraper, name))


def extract(page: FetchedPage) -> Recipe:
    """Read the recipe the page declares.

    Raises:
        NotARecipe: no site scraper or schema.org Recipe finds a title and ingredients or steps.
    """
    scraper, title, ingredients, instructions, error = None, None, [], [], None
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
        title, ingredients, instructions = _core(scraper)
        if title and (ingredients or instructions):
            break
    if scraper is None or not title or not (ingredients or instructions):
        raise NotARecipe(NO_RECIPE_MESSAGE, url=page.url, stage="extract") from error

    site_scraper = type(scraper).__name__ != "SchemaScraper"

    nutrients = _field(scraper, "nutrients") or {}
    ratings_count = _number(_field(scraper, "ratings_count"))
    return Recipe(
        title=title,
        ingredients=ingredients,
        ingredient_groups=_groups(_field(scraper, "ingredient_groups")),
        instructions=instructions,
        yields=clean_text(_field(scraper, "yields")),
        total_time=_minutes(scraper, "total_time", "totalTime"),
        prep_time=_minutes(scraper, "prep_time", "prepTime"),
        cook_time=_minutes(scraper, "cook_time", "cookTime"),
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
    )
