"""Recipe-card plugins read from their own markup: WP Recipe Maker, Tasty, Mediavine Create, ...

Blogs render the recipe with a plugin whose class names are stable across sites, so the card
gives exact lines even where the page's JSON-LD dropped quantities or steps (issue 14, part 2).
Each plugin is data (a CardSpec), read by one function. Pure, no Ray, no network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._html import MAX_ITEMS, HtmlRecipe, has_class, lines_of, minutes_of, norm, text_of, yields_of
from .html_blocks import emphasised_title, item_title

_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
# Screen-reader and checkbox widgets inside card items ("▢ ", "Copy") are not part of the line.
_WIDGETS = ("checkbox", "sr-only", "screen-reader", "wprm-recipe-ingredient-link", "shopping")


@dataclass(frozen=True)
class CardSpec:
    """Where one plugin keeps each part of its card (class tokens, lower case)."""

    reader: str
    root: str
    ingredients: str
    instructions: str
    ingredient_item: str | None = None  # class token of an ingredient line; None: each <li>
    instruction_item: str | None = None
    group_name: str | None = None  # class token of a group heading; headings always count
    title: str | None = None
    yields: str | None = None
    total_time: str | None = None
    prep_time: str | None = None
    cook_time: str | None = None
    parts: tuple[str, ...] = ()  # ingredient sub-spans (amount, unit, name, notes) joined by spaces


SPECS = (
    CardSpec("wprm", "wprm-recipe", "wprm-recipe-ingredients-container",
             "wprm-recipe-instructions-container", ingredient_item="wprm-recipe-ingredient",
             instruction_item="wprm-recipe-instruction-text", group_name="wprm-recipe-group-name",
             title="wprm-recipe-name", yields="wprm-recipe-servings-with-unit",
             parts=("wprm-recipe-ingredient-amount", "wprm-recipe-ingredient-unit",
                    "wprm-recipe-ingredient-name", "wprm-recipe-ingredient-notes")),
    CardSpec("tasty", "tasty-recipes", "tasty-recipes-ingredients", "tasty-recipes-instructions",
             title="tasty-recipes-title", yields="tasty-recipes-yield",
             total_time="tasty-recipes-total-time", prep_time="tasty-recipes-prep-time",
             cook_time="tasty-recipes-cook-time"),
    CardSpec("mediavine", "mv-create-card", "mv-create-ingredients", "mv-create-instructions",
             title="mv-create-title", yields="mv-create-yield", total_time="mv-create-time-total",
             prep_time="mv-create-time-prep", cook_time="mv-create-time-active"),
    CardSpec("zip", "zrdn-recipe-container", "zrdn-ingredients-list", "zrdn-instructions-list",
             title="zrdn-recipe-title", yields="zrdn-yield"),
    CardSpec("easyrecipe", "easyrecipe", "ersingredients", "ersinstructions",
             ingredient_item="ingredient", instruction_item="instruction", title="ersname",
             yields="yield"),
    CardSpec("cooked", "cooked-recipe-ingredients", "cooked-recipe-ingredients",
             "cooked-recipe-directions", ingredient_item="cooked-single-ingredient",
             instruction_item="cooked-dir-content", group_name="cooked-heading"),
)


def _tokens(el: Any) -> set[str]:
    return set((el.get("class") or "").lower().split())


def _first(root: Any, token: str | None) -> Any:
    if not token:
        return None
    found = root.xpath(f".//*[{_lower_has(token)}]")
    return found[0] if found else None


def _index(root: Any) -> dict[str, Any]:
    """The first descendant of `root` (itself excluded) carrying each class token, lower case.

    A card is read by asking for a dozen class tokens; one walk of its subtree answers them all
    (an XPath per token re-read the subtree each time: the reader's top cost under cProfile).
    """
    index: dict[str, Any] = {}
    for el in root.iterdescendants():
        attr = el.get("class") if isinstance(el.tag, str) else None
        if attr:
            for token in attr.lower().split():
                index.setdefault(token, el)
    return index


def _lower_has(token: str) -> str:
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (f"contains(concat(' ', normalize-space(translate(@class, '{upper}', "
            f"'{upper.lower()}')), ' '), ' {token} ')")


def _item_text(el: Any, parts: tuple[str, ...]) -> str:
    """A card line without its widgets; from the plugin's sub-spans when it has them."""
    if parts:
        pieces = []
        for token in parts:
            for span in el.iter():
                if isinstance(span.tag, str) and token in _tokens(span):
                    piece = text_of(span)
                    # WPRM's JSON-LD writes notes in parentheses; its HTML often leaves them out.
                    if piece and token.endswith("-notes") and not piece.startswith("("):
                        piece = f"({piece})"
                    pieces.append(piece)
                    break
        line = norm(" ".join(p for p in pieces if p))
        if line:
            return line
    clean = [child for child in el.iter()
             if isinstance(child.tag, str) and child is not el
             and (child.tag in ("input", "label", "button")
                  or any(w in (child.get("class") or "").lower() for w in _WIDGETS))]
    if not clean:
        return text_of(el)
    # Read a copy so the caller's tree is left as it was (find_html_recipe is pure).
    from copy import deepcopy

    copy = deepcopy(el)
    for child in list(copy.iter()):
        if child is copy or not isinstance(child.tag, str):
            continue
        if child.tag in ("input", "label", "button") or any(
                w in (child.get("class") or "").lower() for w in _WIDGETS):
            parent = child.getparent()
            if parent is not None:
                child.drop_tree()
    return text_of(copy)


def card_line(el: Any) -> str:
    """A card's line without its widgets (checkboxes, "Add to shopping list" links)."""
    return _item_text(el, ())


def _section(container: Any, item: str | None, group: str | None, parts: tuple[str, ...] = (),
             headings_as_lines: bool = False,
             ) -> tuple[list[str], list[tuple[str | None, list[str]]]]:
    """The lines of one card section, in order, with the group headings met on the way.

    Steps keep their group headings as lines ("Glaze"), as schema.org HowToSection names read
    by recipe-scrapers do, so card and JSON-LD readings compare equal. A heading with no step
    after it ("*Note: watch the video above!") is left out, as the plugins' own JSON-LD leaves
    out a section with no step.
    """
    if item is not None:
        lines, groups = _items(container, lambda el: item in _tokens(el), group, parts, headings_as_lines)
    else:
        lines, groups = _items(container, lambda el: el.tag == "li", group, parts, headings_as_lines)
        if not lines:  # Tasty's editor writes each line as a <p> under <h4> group titles
            lines, groups = _items(container, lambda el: el.tag == "p", group, parts, headings_as_lines)
    if not lines and item is None:
        lines = [line for line in lines_of(container) if line][:MAX_ITEMS]
        if lines and _looks_like_header(lines[0]):
            lines = lines[1:]
        groups = [(None, lines)] if lines else []
    # The section's own title ("Ingredients") is not a group.
    if groups and groups[0][0] is not None and _looks_like_header(groups[0][0]) and all(
            g[0] is None or g is groups[0] for g in groups):
        groups = [(None, g[1]) for g in groups]
    if len(groups) == 1 and groups[0][0] is None:
        groups = []
    else:
        groups = [(None if name is not None and _looks_like_header(name) else name, items)
                  for name, items in groups]
    return lines, groups


def _items(container: Any, is_item: Callable[[Any], bool], group: str | None, parts: tuple[str, ...],
           headings_as_lines: bool) -> tuple[list[str], list[tuple[str | None, list[str]]]]:
    """The items `is_item` picks out of the section, with the group heading each falls under."""
    lines: list[str] = []
    groups: list[tuple[str | None, list[str]]] = []
    current: str | None = None
    pending: str | None = None  # a heading kept as a line once a step follows it
    skip_until: Any = None
    for el in container.iter():
        if not isinstance(el.tag, str):
            continue
        if skip_until is not None:
            if _is_descendant(el, skip_until):
                continue
            skip_until = None
        if el.tag == "li" and (title := item_title(el)) is not None:
            current, pending = title, None  # a bold "For the sauce:" item titles the lines after it
            skip_until = el
        elif is_item(el):
            line = _item_text(el, parts)
            if line:
                if pending is not None:
                    lines.append(pending)
                    pending = None
                lines.append(line)
                if not groups or groups[-1][0] != current:
                    groups.append((current, []))
                groups[-1][1].append(line)
            skip_until = el
            if len(lines) >= MAX_ITEMS:
                break
        elif (el.tag in _HEADINGS or (group is not None and group in _tokens(el))
              or (el.tag == "p" and _bold_first(el) and emphasised_title(el) is not None)):
            # `<p><strong>Cheesecake filling:</strong></p>` between two lists titles the second,
            # as a heading does
            name = text_of(el, 200)
            if name:
                current = name.rstrip(":").strip() or None
                # the line keeps the name as the card writes it, colon and all, as the plugins'
                # HowToSection names do
                pending = (name if headings_as_lines and current and not _looks_like_header(current)
                           else None)
            skip_until = el
    return lines, groups


def _bold_first(el: Any) -> bool:
    """Whether the paragraph opens with its first child, in bold (a cheap test before reading it)."""
    return len(el) > 0 and isinstance(el[0].tag, str) and el[0].tag in ("strong", "b") and not (
        el.text or "").strip()


def _looks_like_header(text: str) -> bool:
    from .html_vocab import is_section_title

    return is_section_title(text)


def _is_descendant(el: Any, ancestor: Any) -> bool:
    parent = el.getparent()
    for _ in range(64):
        if parent is None:
            return False
        if parent is ancestor:
            return True
        parent = parent.getparent()
    return False


def _read(spec: CardSpec, root: Any) -> HtmlRecipe | None:
    index = _index(root)
    ingredients_box = root if _tokens(root) & {spec.ingredients} else index.get(spec.ingredients)
    instructions_box = index.get(spec.instructions)
    if instructions_box is None and spec.reader == "cooked":
        instructions_box = _first(root.getroottree().getroot(), spec.instructions)
    if ingredients_box is None and instructions_box is None:
        return None
    ingredients, groups = ([], []) if ingredients_box is None else _section(
        ingredients_box, spec.ingredient_item, spec.group_name, spec.parts)
    instructions, step_groups = ([], []) if instructions_box is None else _section(
        instructions_box, spec.instruction_item, spec.group_name, headings_as_lines=True)
    instructions = [s for s in instructions if not _looks_like_header(s)]

    def read(token: str | None) -> str | None:
        el = index.get(token) if token else None
        return text_of(el, 200) if el is not None else None

    total, prep, cook = (minutes_of(read(t)) for t in (spec.total_time, spec.prep_time,
                                                       spec.cook_time))
    if spec.reader == "wprm":
        total, prep, cook = (_wprm_minutes(index, k) for k in ("total_time", "prep_time",
                                                                "cook_time"))
    return HtmlRecipe(
        reader=spec.reader,
        title=read(spec.title) or None,
        ingredients=ingredients,
        ingredient_groups=groups,
        instructions=instructions,
        yields=yields_of(read(spec.yields)),
        total_time=total,
        prep_time=prep,
        cook_time=cook,
        # a plugin's card is a recipe on purpose: one ingredient will do ("5 mirabelles", wash,
        # purée), given a step more than the one-line stubs that sidebars and teasers show
        confident=1 <= len(ingredients) <= 100 and 1 <= len(instructions) <= 100
        and len(ingredients) + len(instructions) >= 3,
        step_titles=[line for line in instructions
                     if line.rstrip(":").strip() in {name for name, _ in step_groups if name}],
    )


def _wprm_minutes(index: dict[str, Any], key: str) -> int | None:
    """WPRM prints a time as separate days/hours/minutes spans."""
    total, found = 0, False
    for unit, factor in (("days", 1440), ("hours", 60), ("minutes", 1)):
        el = index.get(f"wprm-recipe-{key}-{unit}")
        if el is not None:
            digits = "".join(ch for ch in text_of(el, 20) if ch.isdigit())
            if digits:
                total += int(digits[:6]) * factor
                found = True
    return total if found and total > 0 else None


_ROOTS = frozenset(spec.root for spec in SPECS)


def _roots(doc: Any) -> dict[str, list[Any]]:
    """Each plugin's root elements, in document order, from one pass over the classed elements.

    One XPath per plugin, each lower-casing every class attribute of the page, was over half the
    generic reader's CPU (cProfile over the corpus); one walk asks each element once.
    """
    found: dict[str, list[Any]] = {}
    for el in doc.iter():
        attr = el.get("class") if isinstance(el.tag, str) else None
        if attr:
            for token in _ROOTS.intersection(attr.lower().split()):
                found.setdefault(token, []).append(el)
    return found


def find_card(doc: Any) -> HtmlRecipe | None:
    """The first plugin card on the page that has ingredients or steps, or None."""
    roots = _roots(doc)
    for spec in SPECS:
        for root in roots.get(spec.root, [])[:5]:
            recipe = _read(spec, root)
            if recipe is not None and (recipe.ingredients or recipe.instructions):
                return recipe
    return None


__all__ = ["SPECS", "CardSpec", "card_line", "find_card", "has_class"]
