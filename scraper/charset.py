"""charset: a fetched page's bytes as text, the way the fetch step and reprocess both decode them.

The header's charset is trusted only when the bytes decode cleanly with it; then a BOM, the
page's own meta tag, UTF-8 and cp1252 are tried in turn. Kept apart from fetch.py (which alone
knows httpx) so reprocessing archived pages decodes with exactly the same rules.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode with the HTTP header's charset first, then a BOM, the page's meta tag, UTF-8.

    A declared charset that does not decode the bytes cleanly loses to the next candidate; when
    none is clean, the first candidate decodes with replacement characters rather than failing.
    """
    candidates: list[str] = []
    for name in (header_charset,):
        if codec := _known_codec(name):
            candidates.append(codec)
    if body.startswith(codecs.BOM_UTF8):
        candidates.append("utf-8-sig")
    if match := _META_CHARSET.search(body[:8192]):
        if codec := _known_codec(match.group(1).decode("ascii", "ignore")):
            candidates.append(codec)
    candidates += ["utf-8", "cp1252"]
    for codec in candidates:
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            if codec in ("utf-8", "utf-8-sig") and (text := _mostly_utf8(body)) is not None:
                return text, codec
            continue
    return body.decode(candidates[0], errors="replace"), candidates[0]


def _mostly_utf8(body: bytes) -> str | None:
    """UTF-8 with a few stray bytes is still UTF-8: decode it with replacement characters.

    Text in a legacy 8-bit charset has (almost) no valid multi-byte sequences, so it fails this
    test and goes on to the next candidate (cp1252).
    """
    text = body.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - invalid
    return text if multibyte > invalid else None
