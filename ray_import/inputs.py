"""Reading URL lists as a stream: a 100k-line file never sits in the driver's memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from scraper.errors import ConfigError

MAX_LINE = 8192


def read_url_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number, URL text) for each line that is not blank or a `#` comment."""
    for number, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff").strip()
        if text and not text.startswith("#"):
            yield number, text[: MAX_LINE + 1]


def read_url_file(path: Path | str) -> Iterator[tuple[int, str]]:
    """Stream a URL file: UTF-8 with or without BOM, any newline style.

    Bytes that are not UTF-8 are replaced, so the line still reaches the catalog and fails there
    with an error naming it, instead of stopping the batch.

    Raises:
        ConfigError: the file cannot be opened.
    """
    try:
        handle = open(path, encoding="utf-8-sig", errors="replace", newline=None)  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot read URL file {path}: {exc.strerror}") from exc
    with handle:
        yield from read_url_lines(handle)


def count_urls(path: Path | str) -> int:
    """Number of URL lines, for the progress bar's total (one cheap streaming pass)."""
    return sum(1 for _ in read_url_file(path))
