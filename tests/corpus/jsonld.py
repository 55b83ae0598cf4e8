"""The dev pages' JSON-LD Recipe nodes, for the corpus tests that rewrite them (issue 14)."""

from __future__ import annotations

import json
from typing import Any

SCRIPTS = "//script[contains(translate(@type, 'LDJSON', 'ldjson'), 'ld+json')]"


def find_recipe(value: Any) -> dict[str, Any] | None:
    """The first node typed Recipe in a JSON-LD value, depth first, or None."""
    if isinstance(value, dict):
        kind = value.get("@type")
        if "Recipe" in (kind if isinstance(kind, list) else [kind]):
            return value
        value = list(value.values())
    for item in value if isinstance(value, list) else []:
        if (found := find_recipe(item)) is not None:
            return found
    return None


def recipe_script(doc: Any) -> tuple[Any, Any, dict[str, Any]] | None:
    """(the script element, its parsed value, the Recipe node in it) of the page's first JSON-LD
    script that holds a Recipe, or None."""
    for script in doc.xpath(SCRIPTS):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        if (node := find_recipe(data)) is not None:
            return script, data, node
    return None
