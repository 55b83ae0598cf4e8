"""The event stream: one JSON line per state change of a URL, flushed as it happens.

Another program can follow a batch by tailing the file (`--events PATH`) or reading stdout
(`--events -`). Schema (every line has `event`, `url` and `at`, a Unix time in seconds):

    {"event": "queued",   "url", "line", "at"}                       claimed, fetch requested
    {"event": "started",  "url", "task", "node_id", "pid", "at"}      a task began running
    {"event": "needs_llm","url", "at"}                                no structured data: to the LLM
    {"event": "step",     "url", "step", "seconds", "at"}             fetch/extract/readable/
                                                                      structure/enrich/save done
    {"event": <status>,   "url", "line", "slug", "error_kind", "error", "at"}
        status is imported | exists | duplicate | unchanged | failed | timeout | cancelled |
        crashed: the end (`unchanged`: a refresh the site answered 304, nothing parsed)

`exists`, `duplicate` and claim-time failures have no `queued` line: the catalog answers them
at once.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .errors import ConfigError
from .results import ImportResult


class EventWriter:
    """Appends events to `target` ("-": stdout).

    Raises:
        ConfigError: `target` cannot be opened for writing (names it).
    """

    def __init__(self, target: str | Path) -> None:
        self._own = str(target) != "-"
        try:
            self._out: TextIO = open(target, "a", encoding="utf-8") if self._own else sys.stdout  # noqa: SIM115
        except OSError as exc:
            raise ConfigError(f"cannot write the event stream {target}: {exc.strerror or exc}") from exc

    def __call__(self, event: str, url: str, **fields: Any) -> None:
        record = {"event": event, "url": url, "at": round(fields.pop("at", None) or time.time(), 6)}
        record.update({k: v for k, v in fields.items() if v is not None})
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()

    def result(self, result: ImportResult) -> None:
        for step, seconds in result.seconds.items():
            self("step", result.url, step=step, seconds=seconds)
        self(result.status, result.url, line=result.line, slug=result.slug,
             error_kind=result.error_kind, error=result.error, at=result.finished_at)

    def close(self) -> None:
        if self._own:
            self._out.close()
