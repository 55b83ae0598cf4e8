"""When the page's HTML corrects its structured data: the rules of the second witness (issue 14).

generic.py reads a page's schema.org Recipe first; the recipe the HTML shows (html_recipe.py) then
fills what the structured data lacks or corrects what it is known to get wrong: quantities or
whole lines dropped, lines run together, lists cut short, yields and times left out. Each rule
names the repair it records in `provenance.repairs`, and whenever ingredient lines are replaced
the ingredient groups are rebuilt from the same lines, so the two never disagree. Structured data
stays the default: on the dev corpus it matches the site's own scraper far more often than a
card does. Pure, no Ray, no network.
"""

from __future__ import annotations

import re
from typing import Any

from ._html import squash
from ._parsing import clean_list, clean_text
from .html_blocks import looks_like_ingredients, looks_like_steps
from .html_details import html_total_time, html_yields
from .html_quantities import quantities_from_html
from .models import IngredientGroup

_AMOUNT = re.compile(r"\d|[½¼¾⅓⅔⅛]")


def card_groups(card: Any) -> list[IngredientGroup]:
    return [IngredientGroup(purpose=clean_text(p), ingredients=clean_list(g))
            for p, g in card.ingredient_groups if clean_list(g)]


def card_steps(card: Any) -> list[str]:
    """The card's steps without the section titles it keeps as lines (for JSON-LD comparison).

    Read from the HTML alone, a section title is a heading, not a step: the heading reader makes
    it a group and a site's own scraper leaves it out.
    """
    titles = set(getattr(card, "step_titles", ()) or ())
    return [s for s in clean_list(card.instructions) if s not in titles]


def regroup(groups: list[IngredientGroup], old: list[str], new: list[str]) -> list[IngredientGroup]:
    """The groups of `old` with each line replaced by the line at its position in `new`.

    Groups that do not partition `old` in order (or a `new` of another length) cannot be mapped
    line by line; they are dropped rather than left naming lines the recipe no longer has.
    """
    if not groups:
        return []
    if len(old) != len(new) or [x for g in groups for x in g.ingredients] != old:
        return []
    out, start = [], 0
    for group in groups:
        end = start + len(group.ingredients)
        out.append(IngredientGroup(purpose=group.purpose, ingredients=new[start:end]))
        start = end
    return out


def _set_ingredients(fields: dict[str, Any], lines: list[str],
                     groups: list[IngredientGroup] | None) -> None:
    """Replace the ingredient lines; `groups` None keeps the old groups, mapped onto the new lines."""
    old = fields["ingredients"]
    fields["ingredient_groups"] = groups if groups is not None else regroup(
        fields["ingredient_groups"], old, lines)
    fields["ingredients"] = lines


def _joined(ours: list[str], theirs: list[str]) -> bool:
    """Whether the structured data ran the card's separate lines into one ("oil2 small onions").

    Some sites strip the `<br>`s of their list into one JSON-LD string with no separator left to
    split at; the card still shows each line. The card's lines, joined, must make up most of it.
    """
    if len(ours) != 1 or len(theirs) < 2:
        return False
    one, lines = squash(ours[0]), squash("".join(theirs))
    return bool(lines) and lines in one and len(lines) >= 0.6 * len(one)


def _cut_short(ours: list[str], theirs: list[str]) -> bool:
    """Whether the structured list is the start of the HTML's longer list (a teaser, a cap).

    Sites that sell their full recipes, or templates that stop after a few items, write only the
    first lines into JSON-LD while the page shows them all; each of ours must be the card's line
    at the same position (spacing and punctuation aside: "1Zwiebel" is "1 Zwiebel"). A cut
    drops a good share of the list; a line or two more in the HTML are more likely its notes,
    and a card that shows the list twice (desktop and print copies) repeats ours, cut nothing.
    """
    if not ours or len(ours) > 0.75 * len(theirs):
        return False
    if not all(squash(o) == squash(t) for o, t in zip(ours, theirs, strict=False)):
        return False
    seen, extra = {squash(x) for x in ours}, theirs[len(ours):]
    return sum(squash(x) in seen for x in extra) <= 0.5 * len(extra)


def _some_lines(ours: list[str], theirs: list[str]) -> bool:
    """Whether the structured list is some of the card's lines only (one group of several, say).

    A page's JSON-LD that lists the sauce's ingredients and not the chicken's: each of ours is a
    line the card shows, and the card shows a good many more.
    """
    if len(ours) < 2 or len(theirs) < 1.5 * len(ours):
        return False
    if sum(bool(_AMOUNT.search(o)) for o in ours) < 0.5 * len(ours):
        return False  # bare names ("ziemniaki"): their amounts are found apart (html_quantities)
    shown = {squash(t) for t in theirs}  # a card showing our lines twice shows nothing more
    return len(shown) >= 1.5 * len(ours) and all(squash(o) in shown for o in ours)


def _run_together(ours: list[str], theirs: list[str]) -> bool:
    """Whether structured steps are several of the card's steps run together, in order.

    "Pat the chicken dry… Pound the thighs… Sprinkle with salt." as one HowToStep where the card
    lists three, or only the last step holding two ("…completa Agora que…"): the concatenations
    read the same and the card has more steps, so it only splits what the structured data joined.
    """
    if not ours or len(theirs) <= len(ours):
        return False
    return squash("".join(ours)) == squash("".join(theirs))


def _section_title(step: str) -> bool:
    """A HowToSection's name kept among the steps ("Make the sauce"): short, no sentence's end."""
    return len(step.split()) <= 8 and not step.rstrip().endswith((".", "!", "?", ")"))


def _only_titles(ours: list[str], card: Any) -> bool:
    """Whether the structured "ingredients" are just the names of the card's groups.

    Some CMSs write each group's title ("Biscuit Joconde", "Ganache") into recipeIngredient and
    leave its lines out; the card shows the titles over the lines.
    """
    titles = {squash(name) for name, _ in card.ingredient_groups if name}
    return bool(ours) and len(titles) >= 2 and all(squash(x) in titles for x in ours)


def _amounts_dropped(ours: list[str], theirs: list[str]) -> bool:
    """Each card line ends with its JSON-LD line, and most say more before it: "3/4 cup sugar"
    for "cup sugar" or "sugar". "pinch of salt", the same in both, has no amount to drop.
    Spacing is not compared ("(optional )" in the JSON-LD, "(optional)" in the card)."""
    pairs = [("".join(t.casefold().split()), "".join(o.casefold().split())) for t, o in zip(theirs, ours, strict=True)]
    if not all(t.endswith(o) for t, o in pairs):
        return False
    return 2 * sum(t != o for t, o in pairs) > len(pairs)


def fill_from_html(fields: dict[str, Any], card: Any, repairs: set[str]) -> None:
    """Let the HTML card fill or correct the structured data where it is plainly better."""
    if card is None:
        return
    ours, theirs = fields["ingredients"], clean_list(card.ingredients)
    if not ours and theirs and card.confident:
        _set_ingredients(fields, theirs, card_groups(card))
        repairs.add("ingredients_from_html")
    elif ours and len(theirs) == len(ours) and _amounts_dropped(ours, theirs):
        # the JSON-LD dropped the quantities the card shows
        _set_ingredients(fields, theirs, card_groups(card) or None)
        repairs.add("quantities_from_html")
    elif (_cut_short(ours, theirs) or _some_lines(ours, theirs) or _only_titles(ours, card)) and (
            looks_like_ingredients(theirs)):
        _set_ingredients(fields, theirs, card_groups(card))
        repairs.add("lines_from_html")
    if card.ingredient_groups and not fields["ingredient_groups"] and fields["ingredients"] == theirs:
        fields["ingredient_groups"] = card_groups(card)
    if _joined(fields["ingredients"], theirs):
        _set_ingredients(fields, theirs, card_groups(card))
        repairs.add("lines_from_html")
    steps = clean_list(card.instructions)
    if _joined(fields["instructions"], steps):
        fields["instructions"] = steps
        repairs.add("lines_from_html")
    elif _cut_short(fields["instructions"], card_steps(card)) and looks_like_steps(card_steps(card)):
        fields["instructions"] = card_steps(card)
        repairs.add("lines_from_html")
    elif _run_together([s for s in fields["instructions"] if not _section_title(s)], card_steps(card)) and (
            looks_like_steps(card_steps(card))):
        fields["instructions"] = card_steps(card)
        repairs.add("split_steps_from_html")
    if not fields["instructions"] and steps and (card.confident or fields["ingredients"]):
        fields["instructions"] = card_steps(card)
        repairs.add("instructions_from_html")
    for key in ("yields", "total_time", "prep_time", "cook_time"):
        # a time of 0 ("PT0M", "0 min") is a template's blank, as in the JSON-LD: no time
        if fields.get(key) is None and getattr(card, key, None) not in (None, 0, ""):
            fields[key] = getattr(card, key)
            repairs.add(f"{key}_from_html")


def fill_details(fields: dict[str, Any], doc: Any, repairs: set[str]) -> None:
    """Yields, total time and amounts shown only in the page's HTML (html_details, _quantities)."""
    if fields.get("yields") is None and (found := html_yields(doc)) is not None:
        fields["yields"] = found
        repairs.add("yields_from_html")
    if fields.get("total_time") is None and (minutes := html_total_time(doc)):
        fields["total_time"] = minutes
        repairs.add("total_time_from_html")
    if fields["ingredients"] and (lines := quantities_from_html(doc, fields["ingredients"])):
        if lines != fields["ingredients"]:
            _set_ingredients(fields, lines, None)
            repairs.add("quantities_from_html")
