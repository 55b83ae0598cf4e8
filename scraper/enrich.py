"""enrich: Recipe + FetchedPage → EnrichedRecipe.

Adds what the app needs beyond what the page says: parsed ingredients, servings, an absolute
image URL and provenance. English ingredient lines go through ingredient-parser-nlp; other
languages (it is English-only) and machines without its NLTK data go through the documented
rule-based parser in `ingredient_rules`. Every parsed line records which parser produced it.
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any
from urllib.parse import urljoin, urlsplit

from . import __version__ as _importer_version
from ._parsing import finite, servings_from_yields
from .ingredient_rules import parse_ingredient_line
from .models import EnrichedRecipe, FetchedPage, ParsedIngredient, Provenance, Recipe
from .politeness import host_key
from .settings import EnrichSettings
from .versions import versions_for

log = logging.getLogger(__name__)
NLTK_FILES = [
    f"taggers/averaged_perceptron_tagger_eng/averaged_perceptron_tagger_eng.{part}.json"
    for part in ("classes", "tagdict", "weights")
]
#: Longest ingredient line that is parsed. ingredient-parser-nlp's time grows with the square of
#: a line's length (0.02 s at 500 characters, minutes at 120 kB: issue 13, item 5); real lines are
#: under 200. A longer line is kept as written, unparsed (parser "none"), repair
#: `ingredient_too_long`.
MAX_PARSED_LINE = 500
#: Most ingredient lines parsed per recipe (real recipes have under 100); the rest are kept as
#: written, unparsed, repair `too_many_ingredients`. Bounds one page's parsing to seconds.
MAX_PARSED_LINES = 500
_nlp_lock = threading.Lock()
_nlp_state: dict[str, Any] = {}


def _nlp_parser() -> Any | None:
    """ingredient-parser-nlp's `parse_ingredient`, or None when its NLTK data is missing.

    The library downloads the tagger at import when it cannot find it; with no network that
    download hangs or fails, so the data is looked up first and the library is not imported
    without it. The fallback is announced once per process.
    """
    with _nlp_lock:
        if "parser" not in _nlp_state:
            import nltk.data

            try:
                for name in NLTK_FILES:
                    nltk.data.find(name)
            except LookupError:
                log.warning(
                    "NLTK data 'averaged_perceptron_tagger_eng' not found (set NLTK_DATA); "
                    "English ingredients fall back to the rule-based parser"
                )
                _nlp_state["parser"] = None
            else:
                from ingredient_parser import parse_ingredient

                _nlp_state["parser"] = parse_ingredient
        return _nlp_state["parser"]


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float, Fraction)):
        number = finite(value)
        return round(number, 4) if number is not None else None
    return None


#: Parsed lines kept per process. Lines such as "1 teaspoon salt" recur across recipes, and the
#: NLP parser costs ~3 ms a line (issue 15); 4 096 entries are ~4 MB, bounded whatever the batch.
NLP_CACHE_SIZE = 4096


def _parse_nlp(parse: Any, line: str) -> ParsedIngredient:
    """The line through ingredient-parser-nlp, from the cache when it was parsed before.

    The key is the exact line and the parser function: nothing else changes the result (the
    parser is called with its defaults, and only for English lines). Each caller gets its own
    copy, so no caller can change what the next one gets; a line that raises is not cached.
    """
    return _parse_nlp_cached(parse, line).model_copy()


@functools.lru_cache(maxsize=NLP_CACHE_SIZE)
def _parse_nlp_cached(parse: Any, line: str) -> ParsedIngredient:
    result = parse(line)
    amount = result.amount[0] if result.amount else None
    quantity = _number(amount.quantity) if amount else None
    quantity_max = _number(amount.quantity_max) if amount and amount.RANGE else None
    unit = str(amount.unit) if amount and amount.unit not in (None, "") else None
    name = ", ".join(part.text for part in result.name) or None
    return ParsedIngredient(
        text=line,
        quantity=quantity,
        quantity_max=quantity_max,
        unit=unit,
        name=name,
        preparation=result.preparation.text if result.preparation else None,
        comment=result.comment.text if result.comment else None,
        parser="ingredient-parser-nlp",
    )


def _is_english(language: str | None) -> bool:
    # Most pages without a declared language are English; the NLP parser is the better bet there.
    return language is None or language.lower().replace("_", "-").split("-")[0] == "en"


def _unparsed(n: int, line: str) -> str | None:
    """The repair name when the `n`-th line (from 0) is past a cap and stays unparsed."""
    if n >= MAX_PARSED_LINES:
        return "too_many_ingredients"
    return "ingredient_too_long" if len(line) > MAX_PARSED_LINE else None


def parse_ingredients(
    lines: list[str],
    language: str | None,
    settings: EnrichSettings,
    repairs: list[str] | None = None,
) -> tuple[list[ParsedIngredient], str]:
    """Parse every line; returns the items and the parser used for the recipe.

    Lines over MAX_PARSED_LINE characters, and those after the first MAX_PARSED_LINES, are kept
    unparsed; their repair names are appended to `repairs` (once each) when it is given.
    """
    if settings.ingredient_parser == "off":
        return [ParsedIngredient(text=line, parser="none") for line in lines], "none"
    parse = None
    if settings.ingredient_parser in ("auto", "nlp") and _is_english(language):
        parse = _nlp_parser()
    items, skipped = [], []
    for n, line in enumerate(lines):
        if (reason := _unparsed(n, line)) is not None:
            skipped.append(reason)
            items.append(ParsedIngredient(text=line, parser="none"))
            continue
        if parse is not None:
            try:
                items.append(_parse_nlp(parse, line))
                continue
            except Exception as exc:  # one odd line must not lose the recipe
                log.debug("ingredient-parser-nlp failed on %r: %r", line, exc)
        items.append(ParsedIngredient(**parse_ingredient_line(line, language)))
    if repairs is not None:
        known = set(repairs)
        repairs.extend(name for name in dict.fromkeys(skipped) if name not in known)
    return items, "ingredient-parser-nlp" if parse is not None else "rules"


def _absolute(url: str | None, base: str) -> str | None:
    if not url:
        return None
    absolute = urljoin(base, url)
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


def enrich(
    recipe: Recipe, page: FetchedPage, settings: EnrichSettings | None = None
) -> EnrichedRecipe:
    """Add parsed ingredients, servings, absolute URLs and provenance."""
    settings = settings or EnrichSettings()
    repairs = list(recipe.repairs)
    parsed, parser = parse_ingredients(recipe.ingredients, recipe.language, settings, repairs)
    host = host_key(urlsplit(page.final_url).hostname)
    data = recipe.model_dump(exclude={"repairs"})  # saved once, in provenance
    data.update(
        image=_absolute(recipe.image, page.final_url),
        canonical_url=_absolute(recipe.canonical_url, page.final_url),
    )
    return EnrichedRecipe(
        **data,
        source_url=page.url,
        host=host,
        parsed_ingredients=parsed,
        servings=servings_from_yields(recipe.yields),
        provenance=Provenance(
            extractor=recipe.extractor,
            fetched_at=page.fetched_at,
            imported_at=datetime.now(UTC),
            final_url=page.final_url,
            content_sha256=page.content_sha256,
            importer_version=_importer_version,
            ingredient_parser=parser,
            repairs=repairs,
            versions=versions_for(recipe.extractor, parser),  # reprocess --only-changed (issue 18)
        ),
    )
