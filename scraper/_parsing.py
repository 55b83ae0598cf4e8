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


def clean_text(value: object) -> str | None:
    """Unescape, NFC, strip invisible characters and collapse whitespace; '' becomes None."""
    if value is None:
        return None
    text = str(value)
    for _ in range(3):  # double-escaped pages ("&amp;amp;") exist; stop once stable
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = text.translate(_INVISIBLE)
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
        return int(round(value)) if math.isfinite(value) and value >= 0 else None
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    return None


_AMOUNT = re.compile(
    r"(?P<mixed>\d+)\s+(?P<mnum>\d+)\s*/\s*(?P<mden>\d+)"  # 1 1/2
    r"|(?P<wv>\d+)\s*(?P<wvf>[½⅓⅔¼¾])"  # 1½
    r"|(?P<num>\d+)\s*/\s*(?P<den>\d+)"  # 1/2
    r"|(?P<vulgar>[½⅓⅔¼¾])"  # ½
    r"|(?P<number>\d+(?:[.,]\d+)?)"  # 4, 2.5, 2,5
)


def servings_from_yields(yields: str | None) -> float | None:
    """The first amount of a yields text: '8 servings' → 8, '4-6 portions' → 4, '1½ cakes' → 1.5."""
    if not yields:
        return None
    match = _AMOUNT.search(str(yields))
    if not match:
        return None
    g = match.groupdict()
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
    return round(value, 4) if value > 0 else None
    for match in _AMOUNT.finditer(str(yields)):
        whole, num, den, vulgar = match.group("whole", "num", "den", "vulgar")
        if not (whole or num or vulgar):
            continue
        if num and den and not whole and match.group(0).strip() != f"{num}/{den}".strip():
            continue
        value = 0.0
        if num and den and int(den):
            if whole and "." not in whole and "," not in whole and re.search(r"\d\s+\d", match.group(0)):
                value = float(whole) + int(num) / int(den)
            elif whole:
                # "12/3" was read as whole="12"? The regex gives whole=None for a bare fraction.
                value = float(whole.replace(",", "."))
            else:
                value = int(num) / int(den)
        elif whole:
            value = float(whole.replace(",", "."))
        if vulgar:
            value += _FRACTIONS[vulgar]
        return value if value > 0 else None
    return None
