"""The generic extractor: a Recipe from any page, for hosts recipe-scrapers has no scraper for.

The page is parsed once (lxml); schema_reader.py finds its schema.org Recipe (JSON-LD, microdata,
RDFa), repairs.py fixes what structured data is known to get wrong, and the page's HTML recipe
card (html_recipe.py) is a second witness: it fills what the structured data lacks (the rules
are in html_witness.py) and is the only source on pages without any. Field values are normalised with recipe-scrapers' own schema.org
helpers, so a page reads the same as its site's scraper would read its JSON-LD (issue 14).
Pure: no network, no Ray.
"""

from __future__ import annotations

import logging
import warnings
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from recipe_scrapers._schemaorg import SchemaOrg
from recipe_scrapers.plugins.best_image import BestImagePlugin
from recipe_scrapers._utils import normalize_string

from . import repairs as rp
from ._parsing import clean_list, clean_text, split_tags
from .html_details import html_times
from .html_witness import card_groups, fill_details, fill_from_html
from .models import IngredientGroup, Recipe
from .schema_reader import PageData, main_recipe, page_meta, page_titles, parse_page, read_structured, resolve

log = logging.getLogger(__name__)

try:  # the HTML witness (issue 14 part 2) may be absent from older trees
    from .html_recipe import HtmlRecipe, find_html_recipe
except ImportError:  # pragma: no cover
    HtmlRecipe = None  # type: ignore[assignment,misc]
    find_html_recipe = None  # type: ignore[assignment]


class _Schema(SchemaOrg):
    """recipe-scrapers' schema.org field readers over a node we chose, without its extruct pass."""

    def __init__(self, node: dict[str, Any], data: PageData) -> None:  # noqa: D107
        self.format = None
        self.data = node
        self.people = data.by_id
        self.ratingsdata = data.by_id
        self.website_name = data.website_name


def _call(schema: _Schema, name: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(schema, name)()
    except Exception as exc:  # a field the page lacks or gets wrong is None, never a failed page
        log.debug("schema.org %s: %r", name, exc)
        return None


def _minutes(schema: _Schema, key: str) -> int | None:
    value = _call(schema, {"totalTime": "total_time", "prepTime": "prep_time", "cookTime": "cook_time"}[key])
    if isinstance(value, (int, float)) and value >= 0 and "-" not in str(schema.data.get(key, "")):
        return int(value)
    return None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


class _Metas:
    """The `soup.find_all("meta")` recipe-scrapers' image chooser asks for, over our lxml tree."""

    def __init__(self, doc: Any) -> None:
        self._doc = doc

    def find_all(self, name: str) -> list[Any]:
        return list(self._doc.iter(name))


def _image(schema: _Schema, doc: Any, url: str, og_image: str | None) -> str | None:
    """The recipe's image, chosen as recipe-scrapers chooses it (the largest of schema + meta)."""
    image = _call(schema, "image")
    image = image if isinstance(image, str) and image.strip() else og_image
    try:
        scraper = SimpleNamespace(url=url, schema=schema, soup=_Metas(doc))
        best = BestImagePlugin._select_best_candidate(BestImagePlugin._collect_candidates(scraper, image))
    except Exception as exc:  # the chooser is recipe-scrapers' private code: fall back, never fail
        log.debug("image choice failed: %r", exc)
        best = None
    return clean_text(best or image)


def _named(value: Any, data: PageData) -> str | None:
    """The name of a schema.org Person/Organization (or its @id, or a list's first), or a bare name."""
    if isinstance(value, list) and value:
        value = value[0]
    value = resolve(value, data.by_id)
    if isinstance(value, dict):
        return clean_text(value.get("name"))
    return clean_text(value) if isinstance(value, str) else None


def _author(schema: _Schema, node: dict[str, Any], data: PageData) -> str | None:
    return _named(node.get("author"), data)


def _ingredients(node: dict[str, Any], schema: _Schema, repairs: set[str]) -> tuple[list[str], list[IngredientGroup]]:
    raw = node.get("recipeIngredient") or node.get("ingredients")
    lines = []
    for item in raw if isinstance(raw, list) else [raw] if raw else []:
        # An ingredient is text (or an object that names one); a bare number or boolean is a
        # page's data error, not a line to parse.
        if isinstance(item, list):
            lines.extend(x for x in item if isinstance(x, str))
        elif isinstance(item, (str, dict)):
            lines.append(schema._ingredient_to_string(resolve(item, {})))
    lines, split = rp.split_ingredients(lines)
    if split:
        repairs.add("split_ingredients")
    # after the split, so that the lines of a joined list are cleaned like those of a list
    # (recipe-scrapers' rules: WP Recipe Maker's "((optional))" read "(optional)")
    lines = [line for line in map(normalize_string, lines) if line]
    lines, marked = rp.strip_ingredient_marks(lines)
    if marked:
        repairs.add("strip_bullets")
    lines, groups, headed = rp.headings_to_groups(lines)
    if headed:
        repairs.add("headings_to_groups" if groups else "drop_section_titles")
    return lines, [IngredientGroup(purpose=p, ingredients=g) for p, g in groups]


def _from_html(doc: Any, url: str) -> Any:
    if find_html_recipe is None:
        return None
    try:
        return find_html_recipe(doc, url)
    except Exception as exc:  # the witness is a help; its bug must not lose a page JSON-LD reads
        log.debug("html witness failed on %s: %r", url, exc)
        return None


def _from_card(card: Any, meta: dict[str, str | None]) -> dict[str, Any]:
    total = card.total_time if card.total_time is not None else rp.parts_total(card.prep_time, card.cook_time)
    return {
        "title": clean_text(card.title), "ingredients": clean_list(card.ingredients),
        "ingredient_groups": card_groups(card),
        "instructions": clean_list(card.instructions), "yields": clean_text(card.yields),
        "total_time": total, "prep_time": card.prep_time, "cook_time": card.cook_time,
        "image": clean_text(meta["og_image"]), "site_name": clean_text(meta["og_site_name"]),
        "extractor": f"html:{card.reader}",
    }


def read_generic(html: str, url: str) -> dict[str, Any] | None:
    """The fields of Recipe read from the page, or None when neither source finds a recipe."""
    doc = parse_page(html)
    if doc is None:
        return None
    data = read_structured(doc, url)
    meta = page_meta(doc, url)
    node = main_recipe(data, url, meta["canonical_url"], page_titles(doc) if len(data.recipes) > 1 else [])
    card = _from_html(doc, url)
    repairs: set[str] = set()
    if node is None:
        if card is None or not card.confident:
            return None
        fields = _from_card(card, meta)
    else:
        fields = _from_schema(node, data, meta, doc, url, repairs)
        fill_from_html(fields, card, repairs)
    fill_details(fields, doc, repairs)
    _hours_for_minutes(fields, doc, repairs)
    publisher = _named(node.get("publisher"), data) if node else None
    fields["title"], stripped = rp.strip_site_name(
        fields.get("title"), [data.website_name, meta["og_site_name"], publisher], urlsplit(url).hostname)
    if stripped:
        repairs.add("strip_site_name")
    fields.update(canonical_url=meta["canonical_url"], language=clean_text(meta["language"]),
                  repairs=sorted(repairs))
    return fields


def _hours_for_minutes(fields: dict[str, Any], doc: Any, repairs: set[str]) -> None:
    """Times of whole hours checked against the minutes the page shows (repairs.hours_for_minutes)."""
    keys = {"prep": "prep_time", "cook": "cook_time", "total": "total_time"}
    times = {part: fields.get(key) for part, key in keys.items()}
    if not any(v and v % 60 == 0 and v >= 300 for v in times.values()):
        # the HTML (html_times, ~7 ms a page) is read only where a time could be hours written
        # for minutes: five whole hours or more, which few recipes' prep or cooking take
        return
    fixed, changed = rp.hours_for_minutes(times, html_times(doc))
    if changed:
        fields.update({key: fixed[part] for part, key in keys.items()})
        repairs.add("hours_for_minutes")


def _from_schema(node: dict[str, Any], data: PageData, meta: dict[str, str | None], doc: Any, url: str,
                 repairs: set[str]) -> dict[str, Any]:
    schema = _Schema(node, data)
    ingredients, groups = _ingredients(node, schema, repairs)
    steps, step_repairs = rp.flatten_instructions(
        node.get("recipeInstructions") or node.get("RecipeInstructions") or node.get("step"))
    repairs |= step_repairs
    prep, cook = _minutes(schema, "prepTime"), _minutes(schema, "cookTime")
    total, fixed = rp.repair_total_time(_minutes(schema, "totalTime"), node.get("totalTime"), prep, cook)
    if fixed:
        repairs.add("total_time_from_parts")
    elif total is None and node.get("totalTime") is None:
        total = rp.parts_total(prep, cook)
    nutrients = _call(schema, "nutrients") or {}
    ratings_count = _number(_call(schema, "ratings_count"))
    return {
        "title": clean_text(_call(schema, "title")),
        "ingredients": ingredients,
        "ingredient_groups": groups,
        "instructions": clean_list(steps),
        "yields": clean_text(_call(schema, "yields")),
        "total_time": total, "prep_time": prep, "cook_time": cook,
        "author": _author(schema, node, data),
        "description": clean_text(_call(schema, "description")),
        "image": _image(schema, doc, url, meta["og_image"]),
        "site_name": clean_text(data.website_name or meta["og_site_name"]),
        "category": split_tags(_call(schema, "category")),
        "cuisine": split_tags(_call(schema, "cuisine")),
        "keywords": split_tags(_call(schema, "keywords")),
        "nutrients": {str(k): str(v) for k, v in nutrients.items()} if isinstance(nutrients, dict) else {},
        "ratings": _number(_call(schema, "ratings")),
        "ratings_count": int(ratings_count) if ratings_count is not None else None,
        "extractor": "schema.org",
    }


INCOMPLETE_MESSAGE = "generic extraction found no ingredients or no steps; the LLM reads the page"


def is_incomplete(recipe: Recipe) -> bool:
    """A recipe the generic path read without ingredients or without steps (not a site scraper's).

    With an LLM in `fallback` mode such a page goes to the LLM like a page with no data (issue
    14, item 4); without one it is saved as read, as before (title + ingredients or steps).
    """
    return not recipe.extractor.startswith("site:") and not (recipe.ingredients and recipe.instructions)


def extract_generic(html: str, url: str) -> Recipe | None:
    """A Recipe from a page no site scraper knows, or None when the page shows no recipe.

    A recipe needs a title and ingredients or steps, as on the site-scraper path; one read
    from the HTML alone needs both (the card reader's `confident`).
    """
    fields = read_generic(html, url)
    if fields is None or not fields.get("title") or not (fields["ingredients"] or fields["instructions"]):
        return None
    return Recipe(**fields)
