"""Small, pure normalisations: text, minutes, yields → servings, tag lists.

Kept apart from the steps so they can be property-tested on their own.
"""

from __future__ import annotations

import html
import re
import unicodedata

_WS = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)(?:\s*(?:-|–|to|à|a|bis|tot)\s*(\d+(?:[.,]\d+)?))?")
_FRACTIONS = {"½": 0.5, "⅓": 1 / 3, "⅔": 2 / 3, "¼": 0.25, "¾": 0.75}


def clean_text(value: object) -> str | None:
    """Unescape, NFC, strip invisible characters and collapse whitespace; '' becomes None."""
    if value is None:
        return None
    text = html.unescape(str(value)).translate(_INVISIBLE)
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
    """Minutes as a non-negative int; None for anything that is not a duration."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(round(value)) if value >= 0 else None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    return None


def servings_from_yields(yields: str | None) -> float | None:
    """The first number of a yields text: '8 servings' → 8, '4-6 portions' → 4, '½ cake' → 0.5."""
    if not yields:
        return None
    text = str(yields)
    for symbol, value in _FRACTIONS.items():
        if symbol in text and not re.search(r"\d", text.split(symbol)[0]):
            return value
    match = _NUMBER.search(text)
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    return number if number > 0 else None
