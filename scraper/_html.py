"""Shared pieces of the HTML recipe readers: the HtmlRecipe result, bounded text helpers, durations.

Kept apart from html_recipe.py so the card readers (html_cards.py) and the heading heuristic
(html_headings.py) can share them without importing each other. Pages can be hostile, so every
helper caps what it reads (characters per text, items per list). No Ray, no network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .facts_vocab import DURATION, FRACTIONS

MAX_TEXT = 2_000  # characters kept from one ingredient line or step
MAX_ITEMS = 150  # items read from one list; confidence needs at most 100
MAX_NODES = 200_000  # elements walked per page; a bigger page is read only up to there

# Subtrees that never hold the recipe itself: scripts, chrome, comments, related-post widgets.
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "nav", "footer", "header",
                       "aside", "form", "select", "button", "iframe", "textarea", "option"})
_NOISE = re.compile(r"comment|sidebar|related|widget|newsletter|breadcrumb|menu|cookie|share|social",
                    re.I)
_WS = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


@dataclass
class HtmlRecipe:
    """What a page's HTML shows of its recipe, and how sure the reader is that it is one."""

    reader: str
    title: str | None
    ingredients: list[str]
    ingredient_groups: list[tuple[str | None, list[str]]]
    instructions: list[str]
    yields: str | None = None
    total_time: int | None = None
    prep_time: int | None = None
    cook_time: int | None = None
    confident: bool = False
    #: section titles a card keeps among its steps ("Glaze"), as recipe-scrapers keeps a
    #: HowToSection's name; left out when the card is the only source of the steps
    step_titles: list[str] = field(default_factory=list)


_NON_WORD = re.compile(r"\W+")


def squash(text: str) -> str:
    """The text's letters and digits only, case-folded: two copies of a line that differ in their
    punctuation or spacing ("…completa." / "…completa") read alike."""
    return _NON_WORD.sub("", text).casefold()


def norm(value: str | None) -> str:
    """One line of text: NFC, invisible characters dropped, whitespace collapsed, capped."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value[: MAX_TEXT * 2]).translate(_INVISIBLE)
    return _WS.sub(" ", text).strip()[:MAX_TEXT]


def text_of(el: Any, cap: int = MAX_TEXT) -> str:
    """An element's visible text (scripts and styles left out), read only up to `cap` characters.

    Blocks side by side are separate words ("<div>russet potatoes</div><div>3-5</div>", a flex
    row), a word against a word only: "Stir.</p><p>Cook" stays as the plugins' JSON-LD writes it.
    A photo's <figure> (its caption, "The Spruce Eats / Julia Hartbeck") and an <aside> (a
    related article set in a step) are not the element's text, unless they are all of it: a
    step written as a photo's caption.
    """
    text, skipped = _text_of(el, cap, _HIDDEN_ASIDES)
    return _text_of(el, cap, _HIDDEN)[0] if not text and skipped else text


def _text_of(el: Any, cap: int, hidden: frozenset[str]) -> tuple[str, bool]:
    """(the text, whether a figure or an aside was left out of it)."""
    skipped = False
    parts: list[str] = []
    size = 0
    block = False  # a block began or ended since the last text
    # Iterative walk: (node, phase) where phase 0 emits the node's text, 1 emits its tail.
    stack: list[tuple[Any, int]] = [(el, 0)]
    while stack and size <= cap * 2:
        node, phase = stack.pop()
        if phase == 2:
            parts.append(_PIECE_BREAK)
            continue
        if phase:
            if node.tag in _BLOCK_TAGS:
                block = True
            if node.tail:
                if block and parts and _words_meet(parts[-1], node.tail):
                    parts.append(" ")
                block = False
                parts.append(node.tail)
                size += len(node.tail.strip())
            continue
        if node is not el:
            stack.append((node, 1))
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or (tag in hidden and node is not el):
            skipped = skipped or tag in _ASIDES
            continue
        if tag == "br":
            parts.append(" ")
        elif tag in _BLOCK_TAGS:
            block = True
        if node.text:
            if block and parts and _words_meet(parts[-1], node.text):
                parts.append(" ")
            block = False
            parts.append(node.text)
            size += len(node.text.strip())
        if _run_together(node):
            for index in range(len(node) - 1, -1, -1):
                stack.append((node[index], 0))
                if index:
                    stack.append((None, 2))
        else:
            # no more children than the text can still hold: a box of 5,000 items read for its
            # first 60 characters pushed all 5,000 (a hostile page spent 8 s of CPU so)
            stack.extend((child, 0) for child in reversed(node[: cap + 100]))
    text = "".join(parts)
    if _PIECE_BREAK in text:  # a word between two words; "500" + "°F" stays "500°F"
        text = _PIECE_SPACE.sub(" ", text).replace(_PIECE_BREAK, "")
    return norm(text)[:cap], skipped


def _words_meet(before: str, after: str) -> bool:
    return bool(before) and before[-1].isalnum() and (after[0].isalnum() or after[0] == "(")


_PIECES = frozenset({"span", "strong", "b"})
_BLOCK_TAGS = frozenset({"div", "p", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
                         "section", "article", "header", "footer", "aside", "table", "tr", "td", "th",
                         "blockquote", "figure", "figcaption"})
_PIECE_BREAK = "\x00"
_PIECE_SPACE = re.compile(r"(?<=[^\W_])\x00+(?=[^\W_]|\()")


def _run_together(node: Any) -> bool:
    """Spans set side by side with nothing between them ("<span>1</span><span>kilogram</span>").

    Structured ingredient markup puts amount, unit and name in spans of their own and lets CSS
    space them; their texts are separate words, not one ("1kilogramtavuk").
    """
    if node.text or len(node) < 2:
        return False
    return all(isinstance(c.tag, str) and c.tag in _PIECES and not c.tail for c in node)


# a <select>'s options are choices a reader sees one of, not text ("Servings: 4 1 2 3 4 5 6")
_HIDDEN = frozenset({"script", "style", "noscript", "template", "select"})
_ASIDES = frozenset({"figure", "aside"})
_HIDDEN_ASIDES = _HIDDEN | _ASIDES


def lines_of(el: Any) -> list[str]:
    """An element's text split at <br> and block children: the lines a reader sees."""
    out: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = norm("".join(current))
        if line:
            out.append(line)
        current.clear()

    def walk(node: Any) -> None:
        if len(out) >= MAX_ITEMS:
            return
        if node.text:
            current.append(node.text)
        for child in node:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "br":
                flush()
            elif tag in _HIDDEN:
                pass
            elif tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "tr"):
                flush()
                walk(child)
                flush()
            elif tag:
                walk(child)
            if child.tail:
                current.append(child.tail)

    walk(el)
    flush()
    return out[:MAX_ITEMS]


def classes(el: Any) -> str:
    """The element's class and id, lower-cased: what class-based rules match against."""
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def is_noise(el: Any) -> bool:
    tag = el.tag
    if not isinstance(tag, str) or tag in SKIP_TAGS:
        return True
    attrs = classes(el)
    return bool(attrs.strip()) and bool(_NOISE.search(attrs)) and "recipe" not in attrs


def has_class(name: str) -> str:
    """XPath predicate: the class attribute holds the token `name`."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):([0-5]\d)\s*(?:h|hrs?|hours?|std|uur|heures?)\b", re.I)


def minutes_of(text: str | None) -> int | None:
    """'1 hour 30 mins', '1 h 20', '45 Minuten', 'PT1H30M' → minutes; None when no duration."""
    if not text:
        return None
    text = text[:200]
    iso = re.fullmatch(r"\s*P(?:T)?(?:(\d+)H)?(?:(\d+)M)?\s*", text, re.I)
    if iso and (iso.group(1) or iso.group(2)):
        return int(iso.group(1) or 0) * 60 + int(iso.group(2) or 0)
    clock = _CLOCK.search(text)  # "Ready In: 1:15 h" is an hour and a quarter, not 15 hours
    if clock:
        minutes = int(clock.group(1)) * 60 + int(clock.group(2))
        return minutes if 0 < minutes < 100_000 else None
    total, found = 0.0, False
    for match in DURATION.finditer(text):
        number = match.group("n")
        if number[-1] in FRACTIONS:
            value = float(number[:-1] or 0) + FRACTIONS[number[-1]]
        else:
            value = float(number.replace(",", "."))
        total += value if match.group("m") is not None else value * 60
        found = True
    if not found:
        # "1 h 20": a bare number after hours is minutes
        bare = re.fullmatch(r"\s*(\d+)\s*", text)
        return int(bare.group(1)) if bare else None
    trailing = re.search(r"h\w*\.?\s+(\d+)\s*$", text, re.I)
    if trailing:
        total += int(trailing.group(1))
    minutes = int(round(total))
    return minutes if 0 < minutes < 100_000 else None


def yields_of(text: str | None) -> str | None:
    """A yields text in recipe-scrapers' form ('Serves 4' → '4 servings'), or None."""
    text = norm(text)
    if not text or not re.search(r"\d", text) or len(text) > 120:
        return None
    try:
        # recipe-scrapers' own normalisation, so html and schema.org yields read alike.
        from recipe_scrapers._utils import get_yields

        # "Porzioni: 4" is servings, which recipe-scrapers' words do not know ("4 items")
        value = get_yields(re.sub(r"\bporzion[ei]\b", "servings", text, flags=re.I))
    except Exception:  # the library raises on texts it cannot read; keep ours then
        value = None
    return norm(str(value)) if value else text
