"""Quantities a page's JSON-LD drops but its HTML shows beside each ingredient's name.

Some sites list bare names in `recipeIngredient` ("Tequila", "Popcornmais") and print the
amount in a span next to the name ("4 cl Tequila"); the site's own scraper reads the HTML line,
the generic reader read the bare name (issue 14, "quantities in the HTML card but not
returned"). Only a recipe whose ingredient lines mostly lack any number is looked at, and a
line is replaced only by a short HTML line that holds the same name and a number. Pure, no Ray.
"""

from __future__ import annotations

import re
from typing import Any

from ._html import MAX_NODES, norm, text_of

_NUMBER = re.compile(r"\d|[½¼¾⅓⅔⅛]")
_MAX_EXTRA = 30  # characters the amount may add to the name: "0,5-1 cl " is 9
_CLIMB = 5


def _quantified(el: Any, key: str) -> str | None:
    """The short line around `el` that adds an amount to the name, else None."""
    node = el
    for _ in range(_CLIMB):
        node = node.getparent()
        if node is None or node.tag in ("body", "html"):
            return None
        full = text_of(node, 200)
        folded = full.casefold()
        if len(full) > len(key) + _MAX_EXTRA or key not in folded:
            return None
        if (folded.endswith(key) or folded.startswith(key)) and _NUMBER.search(full):
            return full
    return None


def quantities_from_html(doc: Any, ingredients: list[str]) -> list[str] | None:
    """`ingredients` with each bare name replaced by its HTML line with the amount, or None."""
    bare = [x for x in ingredients if not _NUMBER.search(x)]
    if len(bare) < 2 or len(bare) < 0.75 * len(ingredients):
        return None
    wanted = {x.casefold() for x in bare}
    found: dict[str, str] = {}
    for n, el in enumerate(doc.iter()):
        if n >= MAX_NODES or len(found) == len(wanted):
            break
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "title", "meta"):
            continue
        key = norm(el.text).casefold() if el.text else ""
        if key in wanted and key not in found and (line := _quantified(el, key)):
            found[key] = line
    if len(found) < 0.5 * len(wanted):
        return None
    return [found.get(x.casefold(), x) for x in ingredients]
