"""Which versions of which steps made a recipe: how `reprocess --only-changed` tells stale from current.

Provenance records `importer_version` (this package's version), the extractor's name
(`site:<Scraper>`, `schema.org`, `html:<reader>`, `llm:<model>`) and the ingredient parser's name,
which say nothing of the versions of the libraries behind them: a recipe-scrapers or
ingredient-parser-nlp upgrade would go unseen. `versions_for` names the versions that shaped one
recipe, and only those (an LLM's recipe does not depend on recipe-scrapers; lines parsed by the
rules do not depend on ingredient-parser-nlp), so an upgrade marks stale the recipes it can change
and no others. Enrich records them as `provenance.versions`; a recipe saved without them (before
issue 18) is stale: what made it is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import __version__


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def current_versions() -> dict[str, str]:
    """Every step's version in this process (read once: packages do not change under a process)."""
    from .structure import PROMPT_VERSION, SCHEMA_VERSION

    return {
        "importer": __version__,
        "recipe-scrapers": _version("recipe-scrapers"),
        "ingredient-parser-nlp": _version("ingredient-parser-nlp"),
        "llm-prompt": PROMPT_VERSION,
        "llm-schema": SCHEMA_VERSION,
    }


def versions_for(extractor: str, parser: str | None,
                 versions: Mapping[str, str] | None = None) -> dict[str, str]:
    """The versions a recipe made by `extractor`, its lines parsed by `parser`, depends on.

    Example:
        >>> sorted(versions_for("site:AllRecipes", "rules"))
        ['importer', 'recipe-scrapers']
    """
    versions = current_versions() if versions is None else versions
    names = ["importer"]
    if extractor.startswith("llm:"):
        names += ["llm-prompt", "llm-schema"]  # the model is in the extractor's name itself
    else:
        # Site scrapers are recipe-scrapers', and our generic extractor reads schema.org with its
        # SchemaOrg class and normalisers (generic.py): every other extractor depends on it.
        names.append("recipe-scrapers")
    if parser == "ingredient-parser-nlp":
        names.append("ingredient-parser-nlp")
    return {name: versions.get(name, "absent") for name in names}


def is_current(document: Mapping[str, Any], versions: Mapping[str, str] | None = None,
               model: str | None = None) -> bool:
    """Whether a saved recipe was made by the steps as they are now (`--only-changed` skips it).

    `model` is the LLM now configured: a recipe an LLM made is stale once another model is.
    """
    provenance = document.get("provenance")
    if not isinstance(provenance, Mapping):
        return False
    recorded = provenance.get("versions")
    extractor = provenance.get("extractor")
    if not isinstance(recorded, Mapping) or not isinstance(extractor, str):
        return False
    if model is not None and extractor.startswith("llm:") and extractor != f"llm:{model}":
        return False
    parser = provenance.get("ingredient_parser")
    parser = parser if isinstance(parser, str) else None
    return dict(recorded) == versions_for(extractor, parser, versions)
