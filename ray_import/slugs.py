"""Slugs: safe, unique file names made from recipe titles.

A slug is `[a-z0-9-]+`, 1 to 80 characters, never a reserved device name (Windows refuses files
called `con`, `nul`...), never empty and so never a path: `<slug>.recipe.json` always lands in the
output folder itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from slugify import slugify

MAX_LENGTH = 80
FALLBACK = "recipe"
RESERVED = {"con", "prn", "aux", "nul", "reports", "tmp"} | {
    f"{name}{i}" for name in ("com", "lpt") for i in range(10)
}
_VALID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def base_slug(title: str | None) -> str:
    """The slug a title asks for, before uniqueness."""
    slug = slugify(title or "", max_length=MAX_LENGTH, word_boundary=True, lowercase=True)
    slug = re.sub(r"[^a-z0-9-]+", "-", slug).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    if not slug:
        return FALLBACK
    if slug in RESERVED:
        slug = f"{slug}-{FALLBACK}"
    return slug


def is_valid_slug(slug: str) -> bool:
    return bool(_VALID.match(slug)) and len(slug) <= MAX_LENGTH + 8 and slug not in RESERVED


def unique_slug(title: str | None, taken: Callable[[str], bool]) -> str:
    """The title's slug, or the same with `-2`, `-3`... appended until `taken` says no."""
    base = base_slug(title)
    if not taken(base):
        return base
    n = 2
    while taken(f"{base}-{n}"):
        n += 1
    return f"{base}-{n}"
