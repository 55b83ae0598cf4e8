"""Yields and times that a page shows only in its HTML, found by their class or their label.

Many sites put "Serves 4" or "Total time 45 min" in a widget of their own (`class="servings"`,
`<dt>Totale tijd</dt><dd>20 minuten</dd>`) and leave it out of their JSON-LD, so a site's own
scraper reads it and the generic reader did not (issue 14, "yields only in the HTML"). This only
fills a field that a recipe already found lacks: it never makes a page a recipe. Pure, no Ray;
bounded by the first elements that match, and found by compiled XPath (C) before any regex.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lxml import etree

from ._html import minutes_of, norm, text_of, yields_of
from .facts_vocab import (DURATION, TIME_ALONE, TIME_STARTS, YIELD_FOR, YIELD_LABELS, YIELD_NOUN_CORES, YIELD_NOUNS,
                          YIELD_STARTS, time_labels)

#: class names of a yields widget: "recipe-card-servings", "person-count", "box-info-rendimento"
_YIELD_CLASS = re.compile(r"(?:^|[\s_-])(?:yields?|servings?|serves|portions?|persons?|"
                          r"person-(?:count|amount)|rendimento|porties|porciones|portionen)"
                          r"(?:$|[\s_-])", re.I)
#: a label, then the count: "Serves: 2", "Portionen 4", "Rendimento: 4 porções"
_YIELD_LABEL = re.compile(rf"^(?:(?:{YIELD_LABELS}|pour)\s*:?\s*\d"
                          # "Für 4 Personen", "Para 4 personas": a preposition, with the noun ("for 2 hours" is none)
                          rf"|(?:{YIELD_FOR})\s+\d+(?:\s*[-–]\s*\d+)?\s*(?:{YIELD_NOUNS}|people|persons)(?!\w))", re.I)
_TIME_LABELS = time_labels()


_ASCII_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#: a text node whose first character is no ASCII letter or digit: an icon may stand before the label
_ICON_LED = f"translate(substring(normalize-space(.), 1, 1), '{_ASCII_ALNUM}', '') != ''"


def _starting(tags: tuple[str, ...], words: tuple[str, ...]) -> etree.XPath:
    """Elements of `tags` with a text node that starts with one of `words` (a label).

    "⏱ Total Time: 8h 40m", "🍽️ Servings: 4": a pictograph before the label is part of its
    text node, so a node that opens with anything but an ASCII letter or digit may hold the label
    further on (`_unled` then checks that only icons stand before it).
    """
    kinds = " or ".join(f"self::{tag}" for tag in tags)
    starts = " or ".join(f"starts-with(normalize-space(.), '{w}')" for w in words)
    contains = " or ".join(f"contains(., '{w}')" for w in words)
    return etree.XPath(f"//*[{kinds}][text()[{starts} or ({_ICON_LED} and ({contains}))]]")


_ICON_CATEGORIES = frozenset({"Mn", "Cf", "Co", "Zs"})  # variation selectors, joiners, icon fonts


def _unled(text: str) -> str:
    """The text without the icons before it: emoji, symbols, private-use icon-font glyphs, bullets."""
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if not (category[0] == "S" or category in _ICON_CATEGORIES or ch in "•·|"):
            return text[index:] if index else text
    return ""


_YIELD_LABELLED = _starting(("li", "p", "span", "div", "strong", "b", "dt", "th"), YIELD_STARTS)
_BARE_YIELD_LABEL = re.compile(rf"(?:{YIELD_LABELS})\s*:?", re.I)
#: a text with a yield noun in it, found without case folding: "ervings" is "Servings" or "servings"
_YIELD_NOUNED = etree.XPath("//*[self::li or self::p or self::span or self::div or self::dd]"
                            "[text()[" + " or ".join(f"contains(., '{w}')" for w in YIELD_NOUN_CORES) + "]]")
#: "6 Servings", "12 pezzi": a count and its noun, the element's whole text ("pieces" only there:
#: "2 pezzi di zenzero" opening a list is an ingredient)
_COUNT_FIRST = re.compile(rf"\s*\d+(?:\s*[-–]\s*\d+)?\s*(?:{YIELD_NOUNS}|pezzi|stück|stuks|pieces|pièces)"
                          r"(?:\(s\))?\s*", re.I)
_TIME_LABELLED = _starting(("dt", "th", "strong", "b", "span", "li", "p", "div"), TIME_STARTS)
_TIME_ALONE = re.compile(rf"(?:{TIME_ALONE})\s*:?\s*(?=\d|$)", re.I)
_TIME_WIDGET = etree.XPath("//*[contains(@class, 'clock') or contains(@class, 'time') or contains(@class, 'duration')]")
_TIME_CLASS = re.compile(r"(?:^|[\s_-])(?:clock|time|duration)(?:$|[\s_-])", re.I)
#: a widget for one part of the time, or for a date or a reading time, is no total
_NOT_A_TIME = re.compile(r"read|publish|date|post|ago|updated", re.I)
_NOT_TOTAL = re.compile(rf"prep|cook|bake|rest|active|inactive|{_NOT_A_TIME.pattern}", re.I)
_DURATIONS = re.compile(rf"\s*(?:{DURATION.pattern}\s*)+", re.I)
_NUMBER_INPUT = etree.XPath("//input[@value][not(@type) or @type='number' or @type='text' or @type='tel']")
_STEPPER_WORD = re.compile(rf"(?:^|[^a-zà-ÿ])(?:{YIELD_NOUNS}|{YIELD_LABELS}|persons?|people|yield)(?![a-zà-ÿ])", re.I)
_YIELD_WIDGET = etree.XPath("//*[" + " or ".join(f"contains(@class, '{w}')" for w in (
    "yield", "serving", "Serving", "serves", "person", "portion", "rendimento", "porties",
    "porcion")) + "]")
_SKIP = re.compile(r"unit|toggle|button|btn|adjust|scale|nutrition|label", re.I)
_MAX_SCAN = 400  # candidate elements looked at per field


def _class(el: Any) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def html_yields(doc: Any) -> str | None:
    """The yields a widget or a labelled line shows ('8 os.' → '8 servings'), or None."""
    for el in _YIELD_WIDGET(doc)[:_MAX_SCAN]:
        names = _class(el)
        if not _YIELD_CLASS.search(names) or _SKIP.search(names) or el.tag in ("script", "style"):
            continue
        text = norm(el.get("value") if el.tag == "option" else text_of(el, 80))
        if not text and el.tail:  # an icon before its value: "<i class='i-person'></i> 4 porce"
            text = norm(el.tail)
        if text and len(text) <= 40 and re.search(r"\d", text):
            return yields_of(text)
    for el in _YIELD_LABELLED(doc)[:_MAX_SCAN]:
        text = _unled(text_of(el, 80))
        if el.tag in ("strong", "b") and el.tail:  # "<strong>Serves:</strong> 2"
            text = norm(f"{text} {el.tail}")
        if text and len(text) <= 40 and _YIELD_LABEL.match(text):
            return yields_of(text)
        if text and _BARE_YIELD_LABEL.fullmatch(text):  # "<dt>Yields:</dt><dd>8 - 10 serving(s)</dd>"
            value = norm(el.tail) or (text_of(sibling, 60) if (sibling := el.getnext()) is not None else "")
            if value and len(value) <= 40 and re.match(r"\d", value):
                return yields_of(value)
    if (stepped := _stepper_yields(doc)) is not None:
        return stepped
    for el in _YIELD_NOUNED(doc)[:_MAX_SCAN]:
        # "<li>6 <span>Servings</span></li>": the count, then its noun, and nothing else
        for box in (el, el.getparent()):
            if box is not None and _COUNT_FIRST.fullmatch(text := text_of(box, 60)):
                return yields_of(text)
    return None


def _stepper_yields(doc: Any) -> str | None:
    """The count a servings stepper starts at: `<input aria-label="Portionen" value="2">`.

    The recipe is scaled from it, so its value is the yield the page was written for; the input
    is named for servings by its own attributes or by the short label its stepper box shows
    ("Nombre de personnes" over `- 12 +`).
    """
    for el in _NUMBER_INPUT(doc)[:20]:
        value = (el.get("value") or "").strip()
        if not value.isdigit() or not 0 < int(value) < 100:
            continue
        named = " ".join(el.get(a) or "" for a in ("name", "aria-label", "id", "class", "title"))
        box = el.getparent()
        for _ in range(3):
            if _STEPPER_WORD.search(named) or box is None:
                break
            label = text_of(box, 60)
            named = label if len(label) <= 40 else ""  # a label's box, not a whole section
            box = box.getparent()
        if _STEPPER_WORD.search(named):
            return yields_of(f"{value} servings")
    return None


def _labelled_minutes(el: Any, text: str, label: re.Match[str]) -> int | None:
    """The duration after a label: in its own text, its tail or the next element ("<dd>")."""
    rest = text[label.end():]
    value = minutes_of(rest) if rest.strip() else None
    if value is None and el.tail and norm(el.tail):
        value = minutes_of(norm(el.tail))
    if value is None and (sibling := el.getnext()) is not None:
        value = minutes_of(text_of(sibling, 60))
    return value


def html_times(doc: Any) -> dict[str, int]:
    """{"total"/"prep"/"cook": minutes} that labelled lines show ('Totale tijd' + '20 minuten')."""
    found: dict[str, int] = {}
    for el in _TIME_LABELLED(doc)[:_MAX_SCAN]:
        text = _unled(text_of(el, 80))
        if el.tag in ("strong", "b") and el.tail:  # "<strong>Cooking Time:</strong> 40 mins"
            text = norm(f"{text} {el.tail}")
        if not text or len(text) > 40:
            continue
        for key, pattern in _TIME_LABELS.items():
            if key in found or not (label := pattern.match(text)):
                continue
            value = _labelled_minutes(el, text, label)
            if value is not None:
                found[key] = value
            break
        else:
            # "<dt>Time</dt><dd>45 minutes, plus chilling</dd>": a bare "time" is the recipe's one time
            if "total" not in found and (alone := _TIME_ALONE.match(text)) is not None:
                if (value := _labelled_minutes(el, text, alone)) is not None:
                    found["total"] = value
        if len(found) == len(_TIME_LABELS):
            break
    if "total" not in found and (value := _clock_minutes(doc)) is not None:
        found["total"] = value
    return found


#: class tokens naming one part of the time: `icon--time-preparation`, `cook-time`
_PART = {"prep": re.compile(r"(?:^|[\s_-])(?:prep|preparation|vorbereitung|zubereitung)(?:$|[\s_-])", re.I),
         "cook": re.compile(r"(?:^|[\s_-])(?:cook|cooking|bake|baking|kochzeit|backzeit|cuisson)(?:$|[\s_-])",
                            re.I)}


def _clock_minutes(doc: Any) -> int | None:
    """The duration a clock icon or a time widget shows unlabelled ("<i class='i-clock'></i> 45 minut").

    Only when every such widget on the page says the same: teasers of other recipes, each with
    its own clock, name no time of this one. Icons named for a part of the time
    (`<svg class="icon--time-preparation">` beside "20 Min", `icon--time-cooking` beside "15
    Min") give the total as their sum, each part said once.
    """
    values: dict[str, set[int]] = {"total": set(), "prep": set(), "cook": set()}
    for el in _TIME_WIDGET(doc)[:_MAX_SCAN]:
        names = _class(el)
        if not _TIME_CLASS.search(names) or el.tag in ("script", "style"):
            continue
        part = next((key for key, pattern in _PART.items() if pattern.search(names)), None)
        if part is None and (_NOT_TOTAL.search(names) or _holds_part(el)):
            continue  # (the box around a part's icon and its value is that part, not the total)
        if part is not None and _NOT_A_TIME.search(names):
            continue  # a post's date or its reading time, whatever its icon
        value = _widget_value(el) if part is not None else (text_of(el, 40) or norm(el.tail))
        if value and _DURATIONS.fullmatch(value):
            values[part or "total"].add(minutes_of(value))
    if len(values["total"]) == 1:
        return values["total"].pop()
    if values["total"] or len(values["prep"]) > 1 or len(values["cook"]) > 1:
        return None
    parts = [v.pop() for v in (values["prep"], values["cook"]) if v]
    return sum(parts) if parts else None


def _holds_part(el: Any) -> bool:
    return any(isinstance(d.tag, str) and any(p.search(d.get("class") or "") for p in _PART.values())
               for d in el.iterdescendants())


def _widget_value(el: Any) -> str:
    """What a part's icon stands beside: its own text, its tail, or the element after it or its box."""
    if text := text_of(el, 40) or norm(el.tail):
        return text
    node = el
    for _ in range(2):
        if (sibling := node.getnext()) is not None:
            return text_of(sibling, 40)
        node = node.getparent()
        if node is None:
            break
    return ""


def html_total_time(doc: Any) -> int | None:
    """The total time the page's labelled lines show, else their prep + cook, else None."""
    times = html_times(doc)
    if "total" in times:
        return times["total"]
    if "prep" in times or "cook" in times:
        return times.get("prep", 0) + times.get("cook", 0)
    return None
