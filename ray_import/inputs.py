"""What a run reads, and checks before it starts: URL lists, read as a stream (a 100k-line
file never sits in the driver's memory), the line format they share with `.failed.txt`, and
the paths a run will write.

The input is a regular file, `-` (standard input), or anything else open() can read once: a
pipe, `/dev/stdin`, a FIFO. Only a regular file is read twice (once to count its URLs for the
progress bar's total); a stream is read once, and its total is unknown (issue 13, item 7).
"""

from __future__ import annotations

import itertools
import os
import queue
import stat
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import ConfigError

MAX_LINE = 8192
STDIN = "-"


def read_url_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number, URL text) for each line that is not blank or a `#` comment."""
    for number, raw in enumerate(lines, start=1):
        text = raw.strip().lstrip("\ufeff").strip()
        if text and not text.startswith("#"):
            yield number, text[: MAX_LINE + 1]


def line_problem(url: str) -> str | None:
    """Why `url`, alone on a line of a URL file, would not be read back as itself; None if it would.

    The failures file must give back the URLs it was given, character for character (issue 13,
    item 14), and a line can carry any text but line breaks, control characters (the file is
    meant to be read; ESC would drive the terminal), surrounding blanks and a leading `#`.
    """
    if "\n" in url or "\r" in url:
        return "it contains a line break"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in url):
        return "it contains control characters or invalid Unicode"
    if len(url) > MAX_LINE:
        return f"it is longer than {MAX_LINE} characters"
    if list(read_url_lines([url])) != [(1, url)]:
        return "it is blank, starts with #, or starts or ends with white space"
    return None


def input_name(path: Path | str) -> str:
    """How messages name the input: its path, or `standard input` for `-`."""
    return "standard input" if str(path) == STDIN else str(path)


def is_stream(path: Path | str) -> bool:
    """True for `-` and whatever is not a regular file: it can be read only once."""
    if str(path) == STDIN:
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # open() reports it, with the reason


def read_url_file(path: Path | str) -> Iterator[tuple[int, str]]:
    """Stream a URL file: UTF-8 with or without BOM, any newline style.

    Bytes that are not UTF-8 are replaced, so the line still reaches the catalog and fails there
    with an error naming it, instead of stopping the batch.

    Raises:
        ConfigError: the file cannot be opened.
    """
    if str(path) == STDIN:
        # A file object of our own on a copy of the descriptor: the same decoding as a file,
        # sys.stdin stays usable, and a reader thread blocked in it (StreamLines) holds no lock
        # that the interpreter's shutdown needs (sys.stdin's buffer: a fatal error at exit).
        handle = open(os.dup(sys.stdin.fileno()), encoding="utf-8-sig", errors="replace", newline=None)  # noqa: SIM115
        with handle:
            yield from read_url_lines(handle)
        return
    try:
        handle = open(path, encoding="utf-8-sig", errors="replace", newline=None)  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot read URL file {path}: {exc.strerror}") from exc
    with handle:
        yield from read_url_lines(handle)


def count_urls(path: Path | str) -> int:
    """Number of URL lines, for the progress bar's total (one cheap streaming pass)."""
    return sum(1 for _ in read_url_file(path))


class StreamLines(Iterator[tuple[int, str]]):
    """The URL lines of a stream, read by a thread of their own as they come.

    A pipe may give its lines slowly (a producer still running) or never end: the driver must
    neither wait for a full chunk of lines before importing the first ones, nor block on a read
    while results are to be collected or a Ctrl-C / SIGTERM is to be honoured. So a daemon
    thread reads ahead (at most READ_AHEAD lines) and the driver `take`s what has arrived.
    `finite` False tells a stopped run not to read the stream to its end: lines the pipe has not
    given yet are not part of the batch.
    """

    finite = False
    READ_AHEAD = 10_000
    _END = object()

    def __init__(self, lines: Iterator[tuple[int, str]]) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=self.READ_AHEAD)
        self._ended = False
        self._thread = threading.Thread(target=self._read, args=(lines,), name="url-stream", daemon=True)
        self._thread.start()

    def _read(self, lines: Iterator[tuple[int, str]]) -> None:
        try:
            for item in lines:
                self._queue.put(item)
        finally:
            self._queue.put(self._END)

    def take(self, n: int, wait_s: float = 0.0) -> tuple[list[tuple[int, str]], bool]:
        """Up to `n` lines that have arrived (waiting up to `wait_s` for a first one), and
        whether the stream has ended."""
        items: list[tuple[int, str]] = []
        while len(items) < n and not self._ended:
            try:
                item = self._queue.get(timeout=wait_s) if wait_s and not items else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is self._END:
                self._ended = True
            else:
                items.append(item)
        return items, self._ended

    def __next__(self) -> tuple[int, str]:
        if not self._ended:
            item = self._queue.get()
            if item is not self._END:
                return item
            self._ended = True
        raise StopIteration


def open_url_source(path: Path | str) -> tuple[Iterator[tuple[int, str]], int | None]:
    """The URL lines of `path`, and their number: None for a stream, which is read only once.

    Counting a pipe first would consume it and import nothing (issue 13, item 7), so a stream is
    only checked for a first URL. An input without any URL is an error, pipe or file: a batch
    tool that exits 0 having done nothing hides a wrong path or an empty upstream step.

    Raises:
        ConfigError: the input cannot be opened, or holds no URL (`no URLs in <input>`).
    """
    if is_stream(path):
        lines = read_url_file(path)
        first = next(lines, None)
        if first is None:
            raise ConfigError(f"no URLs in {input_name(path)} (only blank lines and # comments, or nothing)")
        return StreamLines(itertools.chain([first], lines)), None
    total = count_urls(path)
    if total == 0:
        raise ConfigError(f"no URLs in {input_name(path)} (only blank lines and # comments, or nothing)")
    return read_url_file(path), total


def check_writable(path: Path | str, what: str) -> None:
    """Raise ConfigError naming `path` unless a file can be written there (its folder is made).

    The CLI checks `--report` and `--events` before Ray starts, so a read-only or mistyped path
    is one line and exit 2, not a traceback once the batch has begun (issue 13, item 10).

    Raises:
        ConfigError: `path` is a folder, or its folder cannot be made or written to.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".probe"):
            pass
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise ConfigError(f"cannot write the {what} {path}: {exc.strerror or exc}") from exc
