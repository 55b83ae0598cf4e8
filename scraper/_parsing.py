"""Small, pure normalisations: text, minutes, yields → servings, tag lists.

Kept apart from the steps so they can be property-tested on their own.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

_WS = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_FRACTIONS = {"½": 0.5, "⅓": 1 / 3, "⅔": 2 / 3, "¼": 0.25, "¾": 0.75}
# C0 and C1 controls (terminal escapes, NUL), bidi embeddings/overrides/isolates (U+202A–U+202E,
# U+2066–U+2069: "Trojan Source" reordering) and lone surrogates (not encodable as UTF-8, so a
# save would fail). Tab, newline and carriage return are whitespace and handled by the caller.
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

#: Longest duration kept, in minutes (30 days). Real recipes top out at days (curing, ageing); a
#: bigger value is a typo or hostile (PT99999999999999999999H) and becomes None.
MAX_MINUTES = 43_200
#: Most servings kept: yields beyond this ("10000000 servings") are not a recipe's.
MAX_SERVINGS = 10_000
#: Counts (ratings_count) above this lose precision in JSON readers that use doubles.
MAX_COUNT = 2**53


def strip_controls(text: str, *, multiline: bool = False) -> str:
    """`text` without control, bidi-override or surrogate characters (issue 13, item 4).

    Line breaks become "\\n" when `multiline`, else a space, as does a tab outside multiline text;
    every other such character is removed. Idempotent, so models can apply it on every validation.
    """
    if text.isprintable():
        return text
    text = _LINE_BREAKS.sub("\n", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROLS.sub("", text)


def finite(value: object, maximum: float | None = None) -> float | None:
    """`value` as a float if it is a finite, non-negative number (at most `maximum`), else None.

    JSON has no NaN or Infinity: a page's `"ratingValue": "Infinity"` must not reach the file.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number) or number < 0 or (maximum is not None and number > maximum):
        return None
    return number


#: a list's bullet or checkbox before a line ("• 200 g", "▢1 egg", "- 2 eggs"): glyphs stuck to the
#: text, or ASCII dashes and stars followed by a space ("-1 °C" keeps its sign)
LIST_BULLET = re.compile(r"^(?:[•·▪▫►▸✓✔◦●○■□▢➤➢→]+\s*|[-*–]\s+)")


def clean_text(value: object) -> str | None:
    """Unescape, NFC, strip invisible and control characters, collapse whitespace; '' → None."""
    if value is None:
        return None
    text = str(value)
    for _ in range(3):  # double-escaped pages ("&amp;amp;") exist; stop once stable
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = strip_controls(text.translate(_INVISIBLE))
    text = _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return text or None


def clean_list(values: object) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = values.splitlines()
    out = []
    for value in values if isinstance(values, (list, tuple)) else [values]:
        if (text := clean_text(value)) is not None:
            out.append(text)
    return out


def split_tags(value: object) -> list[str]:
    """Category/cuisine/keywords as a list, whether the page gave a list or 'a, b, c'."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    seen: dict[str, None] = {}
    for item in items:
        if (text := clean_text(item)) is not None:
            seen.setdefault(text, None)
    return list(seen)


def to_minutes(value: object) -> int | None:
    """Minutes as an int in 0..MAX_MINUTES; None for anything that is not a plausible duration."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        minutes = finite(value, MAX_MINUTES)
        return int(round(minutes)) if minutes is not None else None
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return to_minutes(int(text))
    return None


_AMOUNT = re.compile(
    r"(?P<mixed>\d+)\s+(?P<mnum>\d+)\s*/\s*(?P<mden>\d+)"  # 1 1/2
    r"|(?P<wv>\d+)\s*(?P<wvf>[½⅓⅔¼¾])"  # 1½
    r"|(?P<num>\d+)\s*/\s*(?P<den>\d+)"  # 1/2
    r"|(?P<vulgar>[½⅓⅔¼¾])"  # ½
    r"|(?P<number>\d+(?:[.,]\d+)?)"  # 4, 2.5, 2,5
)


def servings_from_yields(yields: str | None) -> float | None:
    """The first amount of a yields text: '8 servings' → 8, '4-6 portions' → 4, '1½ cakes' → 1.5.

    None when there is none, or it is 0 or above MAX_SERVINGS (a 400-digit number would be inf).
    """
    if not yields:
        return None
    match = _AMOUNT.search(str(yields))
    if not match:
        return None
    g = match.groupdict()
    try:
        if g["mixed"]:
            value = int(g["mixed"]) + (int(g["mnum"]) / int(g["mden"]) if int(g["mden"]) else 0)
        elif g["wv"]:
            value = int(g["wv"]) + _FRACTIONS[g["wvf"]]
        elif g["num"]:
            value = int(g["num"]) / int(g["den"]) if int(g["den"]) else 0.0
        elif g["vulgar"]:
            value = _FRACTIONS[g["vulgar"]]
        else:
            value = float(g["number"].replace(",", "."))
    except (ValueError, OverflowError):  # more digits than int() takes, or a float overflow
        return None
    servings = finite(value, MAX_SERVINGS)
    return round(servings, 4) if servings else None
