"""Recipes marked up with the hRecipe microformat, or its microformats2 form h-recipe.

Older blogs and CMSs mark their recipe with class names instead of schema.org: `hrecipe` round
it, `fn` on its name, `ingredient` on each ingredient, `instructions` on its method, `yield`
and `duration` (mf2: `h-recipe`, `p-name`, `p-ingredient`, `e-instructions`, `p-yield`,
`dt-duration`). The classes are often misplaced, so they are read for what they mean: an
`ingredient` class on the food's link inside a line ("<li><a class=ingredient>chicken</a>,
diced</li>") stands for the line, and of several `instructions` elements those that also hold
the ingredients or other `instructions` are wrappers, not the method. Pure, no Ray.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._html import HtmlRecipe, lines_of, minutes_of, text_of, yields_of
from .html_blocks import looks_like_ingredients, looks_like_steps
from .html_cards import card_line
from .repairs import headings_to_groups

MAX_ITEMS = 100
_INLINE = frozenset({"a", "span", "strong", "b", "em", "i", "label"})
_LINE = frozenset({"li", "p", "div", "td", "dd", "tr"})


@dataclass(frozen=True)
class _Names:
    reader: str
    root: str
    name: str
    ingredient: str
    instructions: str
    yields: str
    duration: str


_FORMATS = (_Names("hrecipe", "hrecipe", "fn", "ingredient", "instructions", "yield", "duration"),
            _Names("h-recipe", "h-recipe", "p-name", "p-ingredient", "e-instructions", "p-yield", "dt-duration"))


def _classed(root: Any, token: str) -> list[Any]:
    return [el for el in root.iter() if isinstance(el.tag, str)
            and token in (el.get("class") or "").lower().split()]


def _line_of(el: Any) -> Any:
    """The element that holds an ingredient's whole line: itself, or the line an inline sits in."""
    if el.tag not in _INLINE:
        return el
    parent = el.getparent()
    for _ in range(3):
        if parent is None:
            return el
        if parent.tag in _LINE:
            return parent
        parent = parent.getparent()
    return el


def _list_of(el: Any) -> Any:
    parent = el.getparent()
    for _ in range(4):
        if parent is None or parent.tag in ("ul", "ol", "table"):
            return parent
        parent = parent.getparent()
    return None


def _ingredients(root: Any, token: str) -> list[str]:
    marked = _classed(root, token)[:MAX_ITEMS]
    # "<div class=ingredients><ul><li>3 <a class=ingredient>chicken</a>, diced</li><li>salt, to
    # taste</li>": a container of the lines, some of them unmarked; its list is the ingredients
    for box in _classed(root, token + "s")[:1]:
        items = [el for el in box.iter("li")]
        if items and sum(_is_inside(el, box) for el in marked) >= 0.5 * len(marked):
            return [t for t in (card_line(el) for el in items[:MAX_ITEMS]) if t]
    lines = []
    seen: set[int] = set()
    for el in marked:
        line = _line_of(el)
        if id(line) not in seen:
            seen.add(id(line))
            lines.append(line)
    listed = [el for el in lines if _list_of(el) is not None]
    if len(listed) >= 0.75 * len(lines):
        lines = listed  # a marked word in a byline ("Ingredients: beef, garlic") is no line
    return [t for t in (card_line(el) for el in lines) if t]


def _is_inside(el: Any, box: Any) -> bool:
    return any(parent is box for parent in el.iterancestors())


def _instructions(root: Any, names: _Names) -> list[str]:
    # at most MAX_ITEMS candidates, each walked twice: a hostile page of nested boxes stays linear
    boxes = [el for el in _classed(root, names.instructions)[:MAX_ITEMS]
             if not _classed(el, names.ingredient) and len(_classed(el, names.instructions)) == 1]
    if len(boxes) > 1:  # one element per step
        return [t for t in (text_of(el, 2000) for el in boxes[:MAX_ITEMS]) if t]
    if not boxes:
        return []
    items = [el for el in boxes[0].iter() if isinstance(el.tag, str) and el.tag == "li"] or [
        el for el in boxes[0].iter() if isinstance(el.tag, str) and el.tag == "p"]
    if items:
        return [t for t in (text_of(el, 2000) for el in items[:MAX_ITEMS]) if t]
    return [line for line in lines_of(boxes[0]) if line][:MAX_ITEMS]


def _duration(root: Any, token: str) -> int | None:
    for el in _classed(root, token)[:3]:
        # `<span class="duration"><span class="value-title" title="PT1H"></span>1 hour</span>`
        for value in (el.get("datetime"), el.get("title"),
                      *(x.get("title") for x in el.iter() if isinstance(x.tag, str) and x is not el),
                      text_of(el, 80)):
            if value and (minutes := minutes_of(value)):
                return minutes
    return None


def find_microformat_recipe(doc: Any) -> tuple[HtmlRecipe, Any] | None:
    """The page's hRecipe / h-recipe and its root element, or None when it has neither (or one
    with nothing in it). The root lets the caller read the short lines around it."""
    for names in _FORMATS:
        # one C-side XPath finds the candidates (the page's whole walk in Python cost a pass per page)
        candidates = doc.xpath(f"//*[contains(@class, '{names.root}')]")
        for root in [el for el in candidates if names.root in (el.get("class") or "").lower().split()][:3]:
            ingredients = _ingredients(root, names.ingredient)
            steps = _instructions(root, names)
            if not ingredients and not steps:
                continue
            # "For the sauce:" marked as an ingredient names a group, as in the JSON-LD
            lines, groups, headed = headings_to_groups(ingredients)
            if headed and lines:
                ingredients = lines
            else:
                groups = []
            title = next((t for t in (text_of(el, 200) for el in _classed(root, names.name)[:1]) if t), None)
            yields = next((y for y in (yields_of(text_of(el, 80)) for el in _classed(root, names.yields)[:1]) if y),
                          None)
            return HtmlRecipe(
                reader=names.reader, title=title, ingredients=ingredients, ingredient_groups=groups,
                instructions=steps, yields=yields, total_time=_duration(root, names.duration),
                confident=looks_like_ingredients(ingredients) and looks_like_steps(steps)), root
    return None


__all__ = ["find_microformat_recipe"]
