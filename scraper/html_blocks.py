"""A section's lines as the heading reader collects them, and the rules that clean them.

html_headings.py finds where a page's ingredients and steps are; this module holds what it
collects there (a Block) and the rules about single lines and list items that do not depend on
the walk: list items that are group titles, widget text repeated on every item, bullet glyphs and
step numbers rendered as their own elements, and whether a list reads like ingredients or steps
(issue 14, part 2). Kept apart so each file has one reason to change. Pure, no Ray, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ._html import MAX_ITEMS, norm, text_of
from ._parsing import LIST_BULLET
from .html_vocab import INGREDIENTS, is_step_title, section_kind

_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_EMPHASIS = frozenset({"b", "strong", "i", "em", "u"})
_LISTS = frozenset({"ul", "ol", "table", "dl"})

_QUANTITY = re.compile(
    r"^\W{0,3}(?:\d|[½¼¾⅓⅔⅛⅜⅝⅞]|(?:a|an|one|two|three|half|some|pinch|handful|dash|"
    r"un|une|deux|trois|ein|eine|einen|zwei|drei|etwas|prise|una|uno|dos|tres|mezzo|mezza|"
    r"een|twee|drie|snufje|scheutje)\b)", re.I)
_UNIT = re.compile(
    r"\b(?:g|gr|grams?|kg|mg|ml|cl|dl|l|liters?|litres?|tsp|tbsp|tbs|teaspoons?|tablespoons?|cups?|"
    r"oz|ounces?|lbs?|pounds?|pinch|cloves?|cans?|el|tl|ess?löffel|teelöffel|prise|stück|bund|"
    r"cs|cc|cuill\w*|c\.?\s?à\s?[sc]|pincée|gousses?|cucharadas?|cucharaditas?|dientes?|"
    r"cucchia\w*|spicchi?|eetlepels?|theelepels?|snufje|teentjes?|stuks?|spsk|tsk|dåse|db|ek|"
    r"salt|salz|sel|sal|pepper|pfeffer|poivre|pimienta|pepe|peper|to taste|au goût|nach geschmack|"
    r"kilograms?|kilos?|grammes?|gramm|sztuk[ai]?|szczypt[ay]|łyżk[ai]|łyżeczk[ai]|szklank[ai])\b",
    re.I)
_DIGIT = re.compile(r"\d")
# "ziemniaki 1 kilogram", "Tuorli 3": the name, then its amount (and a unit) closing the line
_TRAILING_AMOUNT = re.compile(r"^[^\d]{2,60}\s\d+(?:[.,/]\d+)?\s*[^\W\d]{0,12}\.?$")
_AMOUNT = re.compile(r"[\d½¼¾⅓⅔⅛]")  # "Tuorli 3", "Limoni ½": an amount after the name
_UNIT_SWITCH = re.compile(r"(?:(?:metric|imperial|us|cups|units?|customary|original|scale|"
                          r"[0-9½]x|/|\|)\s*){2,}", re.I)


@dataclass
class Block:
    """The lines read after one anchor, and where they came from."""

    kind: str
    order: int
    title: str | None
    items: list[str] = field(default_factory=list)
    groups: list[tuple[str | None, list[str]]] = field(default_factory=list)
    sources: set[int] = field(default_factory=set)
    link_chars: int = 0
    chars: int = 0
    after: Any = None  # the node where prose ended the list (untitled steps may start there)
    #: section titles read among the lines and dropped ("Ingredienti per 6 tortini": a yield)
    titles: list[str] = field(default_factory=list)
    nodes: list[Any] = field(default_factory=list)  # the elements of `sources`, in reading order
    dish: str | None = None  # the heading that names the recipe right above its facts, if any

    def add(self, line: str, source: Any, group: str | None, links: int = 0) -> None:
        if not line or len(self.items) >= MAX_ITEMS:
            return
        self.items.append(line)
        if not self.groups or self.groups[-1][0] != group:
            self.groups.append((group, []))
        self.groups[-1][1].append(line)
        if id(source) not in self.sources:
            self.nodes.append(source)
        self.sources.add(id(source))
        self.chars += len(line)
        # a shop's recipe links each product it names ("150 ml <a>MY VAY Mandeldrink</a>", "<a>Tuorli</a>
        # 3"); a line with its amount is an ingredient whatever it links, a bare link is a menu's
        if not (self.kind == INGREDIENTS and (_QUANTITY.search(line) or _AMOUNT.search(line))):
            self.link_chars += links


def _short_title(text: str) -> bool:
    return bool(text) and len(text) <= 60 and len(text.split()) <= 8 and not text.endswith(".")


# `<li class="ingredient-section">`, `<li class="sub-ingredient-title">`: an item the page marks as a title
# (Bootstrap's "list-group-item" is every item of a styled list, not a title)
_BOLD_ITEM = re.compile(r"(?:^|[\s_-])(?:bold|strong|fw-bold|font-bold)(?:$|\s)", re.I)
_TITLE_ITEM = re.compile(r"(?<!list-)(?:section|title|heading|header|group)(?:\b|_|-|$)", re.I)


def item_title(li: Any) -> str | None:
    """The group title a list item holds instead of a line (`<li><h3>Für den Teig</h3></li>`)."""
    children = [c for c in li if isinstance(c.tag, str)]
    if _TITLE_ITEM.search(li.get("class") or ""):
        text = text_of(li, 120)
        if _short_title(text) and not any(ch.isdigit() for ch in text):
            return text.rstrip(" :")
    if _BOLD_ITEM.search(li.get("class") or ""):
        # `<li class="bold">Pour l'appareil</li>`: set in bold by its class, a "For ..." title
        text = text_of(li, 120)
        if _short_title(text) and not any(ch.isdigit() for ch in text) and _GROUP_TITLE.search(text):
            return text.rstrip(" :")
    if len(children) == 1 and children[0].tag in _EMPHASIS:
        # `<li><strong><em>For the panna cotta:</em></strong></li>`: a title set in bold, marked
        # as one by its colon or its "For ..." (a bold "Salt" stays a line)
        text = text_of(li, 120)
        if (_short_title(text) and not (li.text or "").strip() and not (children[0].tail or "").strip()
                and not any(ch.isdigit() for ch in text) and _GROUP_TITLE.search(text)):
            return text.rstrip(" :")
        return None
    if len(children) != 1 or children[0].tag not in _HEADING_TAGS:
        return None
    text = text_of(li, 120)
    return text.rstrip(" :") if _short_title(text) and text == text_of(children[0], 120) else None


_GROUP_TITLE = re.compile(r":\s*$|^(?:for|pour|für|para|per|voor|til|för)\s", re.I)


def is_group_title(text: str) -> bool:
    """Whether a short text reads as a group's title: "For the glaze", "Bolo:"."""
    return bool(_GROUP_TITLE.search(text))


def emphasised_title(node: Any) -> str | None:
    """A short bold or italic paragraph that titles the list right after it, else None.

    "<p><b>BUND</b></p><ul>…</ul>", "<p><i>hand-cut potato chips</i></p><ul>…</ul>": a group
    title, where a bare paragraph before a list would be an ingredient line of its own.
    """
    if node.tag not in ("p", "div", "span") or (node.text or "").strip():
        return None
    text = text_of(node, 120)
    if not _short_title(text) or any(ch.isdigit() for ch in text):
        return None
    emphasised = "".join(text_of(el, 120) for el in node.iter(*_EMPHASIS)
                         if el.getparent() is None or el.getparent().tag not in _EMPHASIS)
    if norm(emphasised).replace(" ", "") != text.replace(" ", "") or not _before_list(node):
        return None
    return text.rstrip(" :") or None


_CLASSED_TITLE = re.compile(r"headline|heading|title|subhead", re.I)


def classed_title(node: Any) -> str | None:
    """A short paragraph whose class (or its one child's) calls it a title, else None.

    `<p><span class="block-text is-headline-h3">Beilage</span></p>`: styled as a heading,
    written as a paragraph.
    """
    if node.tag not in ("p", "div", "span") or (node.text or "").strip():
        return None
    children = [c for c in node if isinstance(c.tag, str)]
    if len(children) > 1 or (children and (children[0].tail or "").strip()):
        return None
    names = " ".join(el.get("class") or "" for el in (node, *children))
    if not _CLASSED_TITLE.search(names):
        return None
    text = text_of(node, 120)
    if not _short_title(text) or len(text.split()) > 5 or any(ch.isdigit() for ch in text):
        return None
    return text.rstrip(" :") or None


def plain_title(node: Any) -> str | None:
    """A short plain paragraph right before a list of ingredients ("<p>Coating</p><ul>…"), else None.

    Only for ingredients, and only with no digit, so "<p>1 lemon</p><ul>…" stays a line; a
    steps list has no such titles to tell from a one-line step.
    """
    if node.tag not in ("p", "div", "span") or any(isinstance(c.tag, str) for c in node):
        return None
    text = text_of(node, 120)
    if not _short_title(text) or len(text.split()) > 5 or any(ch.isdigit() for ch in text):
        return None
    if not _before_list(node):
        return None
    return text.rstrip(" :") or None


def _before_list(node: Any) -> bool:
    """Whether the next element (climbing out of a wrapper or two) is, or holds, a list."""
    for _ in range(3):
        following = node.getnext()
        while following is not None and not isinstance(following.tag, str):
            following = following.getnext()
        if following is not None:
            return following.tag in _LISTS or following.find(".//li") is not None
        node = node.getparent()
        if node is None:
            return False
    return False


def list_lines(node: Any) -> list[tuple[str | None, str, Any]]:
    """(group title, line, item) for each item of a <ul>/<ol>, widgets left out.

    An action that every item repeats at its end ("shopping list", "Add") is a widget of the
    list, not part of each line; it is cut from each line when all items (three or more) end
    with the same element text.
    """
    items = list(node.iterchildren("li"))
    widget = _repeated_tail(items)
    out: list[tuple[str | None, str, Any]] = []
    if not items:
        # `<ul><h3>For the salsa</h3><ul><li>…</li></ul>…</ul>`: groups set straight in the list
        # (invalid HTML a parser keeps as written); each heading titles the list after it
        for child in node.iterchildren(*_HEADING_TAGS, "ul", "ol"):
            if child.tag in ("ul", "ol"):
                out.extend(list_lines(child))
            elif _short_title(title := text_of(child, 120)):
                out.append((title.rstrip(" :"), "", child))
        return out
    for li in items:
        title = item_title(li)
        if title is not None:
            out.append((title, "", li))
            continue
        if (steps := titled_steps(li)) is not None:
            out.extend((None, step, li) for step in steps)
            continue
        if (nested := nested_lists(li)) is not None:
            # `<li><h3>Cookie Dough</h3><ol><li>…</li></ol></li>`: a group of its own lines
            heading, inner = nested
            if heading:
                out.append((heading, "", li))
            out.extend(x for sub in inner for x in list_lines(sub))
            continue
        line = text_of(li)
        if widget and line.endswith(widget) and line != widget:
            line = line[: -len(widget)].rstrip()
        out.append((None, line, li))
    return out


def titled_steps(li: Any) -> list[str] | None:
    """The steps of one item that titles each ("<h4>Step 1</h4><p>…</p><h4>Step 2</h4><p>…</p>"), else None."""
    children = [c for c in li if isinstance(c.tag, str)]
    titles = [c for c in children if c.tag in _HEADING_TAGS and is_step_title(text_of(c, 40))]
    if len(titles) < 2:
        return None
    steps = [text_of(c) for c in children if c.tag not in _HEADING_TAGS]
    return [x for x in steps if x] or None


def nested_lists(li: Any) -> tuple[str | None, list[Any]] | None:
    """(the title before them, the lists) when an item holds lists of two items or more, else None."""
    inner = [c for c in li if isinstance(c.tag, str) and c.tag in ("ul", "ol")
             and len(c.findall("li")) >= 2]
    if not inner:
        return None
    before = []
    if (li.text or "").strip():
        before.append(li.text)
    for child in li:
        if child is inner[0]:
            break
        if isinstance(child.tag, str) and child.tag not in ("style", "script", "noscript", "template"):
            before.append(text_of(child, 120))
        if (child.tail or "").strip():
            before.append(child.tail)
    heading = norm(" ".join(before))
    if len(heading) > 80:
        return None  # a step that lists things ("Mix: <ul>…</ul>"), read as one line
    return (heading.rstrip(" :") or None), inner


def _repeated_tail(items: list[Any]) -> str | None:
    if len(items) < 3:
        return None
    tails = set()
    for li in items:
        last = [c for c in li if isinstance(c.tag, str)][-1:]
        if not last or (last[0].tail or "").strip():
            return None
        tails.add(text_of(last[0], 60))
        if len(tails) > 1:
            return None
    tail = tails.pop()
    return tail if tail and not any(ch.isdigit() for ch in tail) else None


def starts_with_amount(text: str) -> bool:
    """'40 gr', '½ cup', 'een snufje': a line that opens with its quantity."""
    return bool(_QUANTITY.search(text))


_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s*%")


def looks_like_ingredients(items: list[str]) -> bool:
    if not 2 <= len(items) <= 100:
        return False
    measured = good = shares = 0  # lines with an amount or unit; those, or short lines; "85%" only
    for x in items:
        if len(x) > 200:
            continue
        # "Tomatoes 85%", "Fraises 50 %": a product label's composition gives shares, not amounts
        # ("200 g chocolate 70%" keeps its 200 g)
        amounts = _PERCENT.sub(" ", x)
        if _QUANTITY.search(amounts) or _UNIT.search(amounts) or _TRAILING_AMOUNT.match(amounts):
            measured += 1
            good += 1
        elif len(x.split()) <= 5 or (len(x.split()) <= 12 and _DIGIT.search(x)):
            good += 1  # "Salt", "The thick end of 3 large carrots": a line a list of them holds
            shares += amounts != x
    if shares >= 2 and shares >= measured:
        return False  # a food label's composition ("Tomatoes 85%, Water, Onion 3%, Salt"), no recipe
    mean = sum(len(x) for x in items) / len(items)
    # short lines alone are any list (names, tags, links): a quarter must give an amount
    return (good >= 0.75 * len(items) and measured >= 0.25 * len(items) and mean <= 110
            and max(len(x) for x in items) <= 400)


def looks_like_steps(items: list[str]) -> bool:
    if not 1 <= len(items) <= 100:
        return False
    words = [len(x.split()) for x in items]
    total = sum(len(x) for x in items)
    return total >= 40 and max(words) >= 6 and (
        len(items) == 1 or sum(w >= 4 for w in words) >= 0.5 * len(items))


def _intro(line: str) -> bool:
    """A sentence or two introducing a list, not a line of it: long, no amount, ends a sentence."""
    return (len(line.split()) >= 10 and line.rstrip().endswith((".", ":", "!"))
            and not _QUANTITY.search(line) and not _DIGIT.search(line))


def is_note(line: str) -> bool:
    """A paragraph of prose, not an ingredient line: long, sentences, no amount to start with."""
    return len(line) > 160 and len(line.split()) >= 25 and line.rstrip().endswith((".", "!", ")")) and (
        not _QUANTITY.search(line))


def clean(block: Block) -> None:
    """Drop lines that repeat the block's title ("Ingredients"), widgets' lines and bullets."""
    items = [LIST_BULLET.sub("", x) for x in block.items]
    # "Passo 2 Leve ao forno.": a step with its number, not the title "Passo 2" alone
    keep = [x for x in items if x and (section_kind(x) is None or len(x) > 40
                                       or (is_step_title(x) and len(x.split()) > 3))
            and not re.fullmatch(r"\d{1,2}[.)]?", x) and not _UNIT_SWITCH.fullmatch(x)]
    while keep and keep[0].endswith(":") and len(keep[0].split()) <= 5:
        keep = keep[1:]  # "In your box:", "You will need:" label the list
    if block.kind == INGREDIENTS and len(keep) >= 3 and _intro(keep[0]) and looks_like_ingredients(keep[1:]):
        keep = keep[1:]  # "…you need quality ingredients. Here is what you will need." opens the list
    while (block.kind == INGREDIENTS and len(keep) >= 3 and is_note(keep[-1])
           and looks_like_ingredients(keep[:-1])):
        keep = keep[:-1]  # "The flavor of lemongrass is subtle…": a note closing the list
    block.titles += [x for x in items if x not in keep and section_kind(x) is not None]
    if keep != block.items:
        unbulleted = dict(zip(block.items, items, strict=True))
        block.items = keep
        block.groups = [(n, [unbulleted[x] for x in g if unbulleted[x] in keep])
                        for n, g in block.groups]
        block.groups = [(n, g) for n, g in block.groups if g]
