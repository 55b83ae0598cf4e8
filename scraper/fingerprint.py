"""A recipe's fingerprint: the same recipe under another URL gets the same one (issue 18, item 4).

The catalog deduplicates by URL, canonical URL and redirect target; a print page, an AMP page or
a syndicating site under a URL of its own still brought the same recipe in twice. What those copies
share is the recipe itself: its title and its ingredient lines. What differs between them is
formatting, so the fingerprint is a hash of both after a normalisation that forgets exactly that:

* HTML entities are decoded and the text is NFKC-normalised (full-width digits, ligatures,
  composed or decomposed accents all read the same);
* a fraction glyph is the ASCII fraction (`1½` = `1 1/2`, `¼` = `1/4`), superscript fractions too;
* case (`casefold`), punctuation, symbols and whitespace are forgotten: a line keeps only its
  letters, digits and combining marks, in order, one space between words (marks stay: in Hindi or
  Thai they are vowels, and dropping them would merge different words);
* the order of the ingredient lines and repeated lines are forgotten: a print page that lists a
  recipe's groups in another order, or an AMP page that flattens them, is the same recipe. Line
  order is the one liberty taken with the content; two different recipes do not share every line.

Everything else (description, times, images, metadata order, the host) is not part of it. A
recipe without any ingredient line has no fingerprint: a title alone ("Pancakes") is shared by
many different recipes; nor does one whose title has no letter or digit ("!!!", "🍰🍰"): its lines
alone would make every such recipe with the same shopping list one. Pure, no network; property-tested in tests/scraper/test_fingerprint.py.
"""

from __future__ import annotations

import hashlib
import html
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from .models import Recipe

#: Part of what is hashed: a change to the normalisation changes every fingerprint, and the
#: catalog, which stores the version beside them, knows to recompute its own.
FINGERPRINT_VERSION = 1
_FRACTION_SLASHES = str.maketrans({"\u2044": "/", "\u2215": "/"})


@lru_cache(maxsize=4096)
def _keep(ch: str) -> str:
    """What one character of NFKC text becomes: itself (casefolded), a space, or the ASCII fraction."""
    category = unicodedata.category(ch)
    if category[0] in "LM" or category in ("Nd", "Nl"):
        return ch
    if category == "No":
        # A vulgar fraction (½, ⅞) has a "<fraction> 0031 2044 0032" decomposition: spaced, so
        # "1½" reads "1 1/2" as the ASCII copy writes it, not "11/2" as NFKC alone makes it.
        decomposition = unicodedata.decomposition(ch)
        if decomposition.startswith("<fraction>"):
            return " " + unicodedata.normalize("NFKC", ch).translate(_FRACTION_SLASHES) + " "
        return ch
    return " "


def normalize_line(text: str) -> str:
    """`text` as the fingerprint reads it: letters, digits and marks, lower case, single spaces.

    Idempotent: a normalised line normalises to itself.
    """
    text = html.unescape(text)
    # Fraction glyphs first (NFKC would glue "1½" into "11⁄2"), then NFKC for the rest.
    text = "".join(_keep(ch) if unicodedata.category(ch) == "No" else ch for ch in text)
    text = unicodedata.normalize("NFKC", text).casefold()
    # casefold can produce characters that NFKC would change again (rare); once more settles it.
    text = unicodedata.normalize("NFKC", text)
    return " ".join("".join(map(_keep, text)).split())


def fingerprint(title: str | None, ingredients: Iterable[str]) -> str | None:
    """The fingerprint of a title and its ingredient lines (32 hex digits); None without lines,
    or without a word in the title.

    Example:
        >>> a = fingerprint("Crêpes", ["1½ cups flour", "2 eggs"])
        >>> a == fingerprint("CRÊPES!", ["2 Eggs", "1 1/2 cups flour"])
        True
    """
    lines = sorted({line for line in map(normalize_line, ingredients) if line})
    name = normalize_line(title or "")
    if not lines or not name:
        return None
    text = "\x1e".join([f"v{FINGERPRINT_VERSION}", name, *lines])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def recipe_fingerprint(recipe: Recipe | Mapping[str, Any]) -> str | None:
    """The fingerprint of a Recipe, or of a saved `.recipe.json` document.

    The ingredient lines are `ingredients`, or the groups' lines when a page gives only groups.
    """
    data: Mapping[str, Any] = recipe.model_dump() if isinstance(recipe, Recipe) else recipe
    lines = data.get("ingredients") or []
    if not lines:
        lines = [line for group in data.get("ingredient_groups") or [] if isinstance(group, Mapping)
                 for line in group.get("ingredients") or []]
    title = data.get("title")
    return fingerprint(title if isinstance(title, str) else None,
                       [line for line in lines if isinstance(line, str)])
