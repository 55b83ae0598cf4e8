"""The run report: every URL's result, counts, errors by kind and per-step p50/p95.

Results are appended to a JSON-lines file as they arrive (so a crash keeps what was learnt and the
driver holds no list of results); `finish` turns it into the final JSON report, written
atomically, plus `<report>.failed.txt`, a URL file of the failures that can be fed back to
`ray-import run`. Step statistics use bounded reservoirs, exact up to 20 000 results.
"""

from __future__ import annotations

import json
import os
import random
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scraper.settings import mask_secrets

from .inputs import line_problem
from .results import OK_STATUSES, ImportResult, printable

RESERVOIR = 20_000


class _Reservoir:
    def __init__(self, size: int = RESERVOIR) -> None:
        self.size = size
        self.seen = 0
        self.values: list[float] = []

    def add(self, value: float) -> None:
        self.seen += 1
        if len(self.values) < self.size:
            self.values.append(value)
        elif (j := random.randrange(self.seen)) < self.size:
            self.values[j] = value

    def quantiles(self) -> dict[str, float]:
        ordered = sorted(self.values)
        pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
        return {
            "count": self.seen,
            "p50": round(statistics.median(ordered), 4),
            "p95": round(pick(0.95), 4),
            "max": round(ordered[-1], 4),
        }


def slowed_hosts(hosts: dict[str, dict[str, float]] | None) -> dict[str, dict[str, float]]:
    """The hosts a robots.txt Crawl-delay slowed (from the fetch gateways' per-host stats): the
    interval they had (`from_s`: fetch.per_host_interval_s), got (`to_s`) and asked (`asked_s`;
    more than `to_s` when fetch.max_crawl_delay_s capped it)."""
    return {host: {"from_s": s["interval_s"], "to_s": s["crawl_interval_s"], "asked_s": s["crawl_delay_s"]}
            for host, s in sorted((hosts or {}).items()) if "crawl_interval_s" in s}


def default_report_path(out: Path, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return out / "reports" / f"run-{stamp}.json"


class ReportWriter:
    """Counts in memory, results on disk as they come; see the module docstring.

    A report that cannot be written (a full disk) never stops or breaks the run: the first
    OSError is kept in `error`, the counts go on, and `finish` returns them with a one-line
    `report_error` instead of a report (issue 13, item 9: it used to end in a traceback).
    """

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        self.path = Path(path)
        self.error: str | None = None
        # A config can hold a proxy or endpoint URL with credentials; a report is for reading.
        self.config = mask_secrets(config)
        self.started = datetime.now(UTC)
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.steps: dict[str, _Reservoir] = defaultdict(_Reservoir)
        self.llm: Counter[str] = Counter()
        # reprocess (issue 18): recipes whose rewrite changed something, and each field's count.
        self.changed: Counter[str] = Counter()
        self.reprocessed: int | None = None  # None: no result of a reprocess seen
        self._lines_path = self.path.with_suffix(".results.jsonl")
        self._lines = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lines = open(self._lines_path, "w", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            self._broke(exc)
        self._failed_path = self.path.with_suffix(".failed.txt")
        self._failed = None

    def _broke(self, exc: OSError) -> None:
        if self.error is None:
            self.error = f"cannot write the report {self.path}: {exc.strerror or exc}"

    def add(self, result: ImportResult) -> None:
        try:
            self._add(result)
        except OSError as exc:
            self._broke(exc)

    def _add(self, result: ImportResult) -> None:
        self.counts[result.status] += 1
        if not result.ok:
            self.errors[result.error_kind or result.status] += 1
            if self._failed is None:
                self._failed = open(self._failed_path, "w", encoding="utf-8")  # noqa: SIM115
                self._failed.write("# URLs that failed; fix or retry with: ray-import run THIS_FILE\n")
            # The URL as given, so a re-run imports the same URLs (issue 13, item 14); one that
            # a line cannot carry is left out, and the comment says why.
            if problem := line_problem(result.url):
                self._failed.write(f"# {result.one_line()}\n# left out: {problem}; as given: "
                                   f"{printable(result.url)}\n")
            else:
                self._failed.write(f"# {result.one_line()}\n{result.url}\n")
        for step, seconds in result.seconds.items():
            self.steps[step].add(seconds)
        if result.llm_calls or result.llm_cache_hits:
            self.llm["recipes"] += 1
            self.llm["calls"] += result.llm_calls
            self.llm["prompt_tokens"] += result.llm_prompt_tokens
            self.llm["completion_tokens"] += result.llm_completion_tokens
            self.llm["seconds_waiting"] += result.llm_seconds
            self.llm["cost_usd"] += result.llm_cost_usd
            if result.llm_cache_hits:  # answers the LLM cache gave: no call, and what they saved
                self.llm["cache_hits"] += result.llm_cache_hits
                self.llm["saved_usd"] += result.llm_saved_usd
        if result.changed is not None:
            self.reprocessed = (self.reprocessed or 0) + bool(result.changed)
            self.changed.update(result.changed)
        if self._lines is not None and self.error is None:
            self._lines.write(result.model_dump_json(exclude_defaults=True) + "\n")
            self._lines.flush()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.counts.items() if status not in OK_STATUSES)

    def summary(self, wall_seconds: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "started_at": self.started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "wall_seconds": round(wall_seconds, 3),
            "total": self.total,
            "counts": dict(sorted(self.counts.items())),
            "errors_by_kind": dict(self.errors.most_common()),
            "steps": {step: r.quantiles() for step, r in sorted(self.steps.items()) if r.values},
            "llm": {k: round(v, 6) if isinstance(v, float) else v for k, v in self.llm.items()},
            **({"changed": {"recipes": self.reprocessed, "fields": dict(self.changed.most_common())}}
               if self.reprocessed is not None else {}),
            **(extra or {}),
            "slowed_hosts": slowed_hosts((extra or {}).get("hosts")),
        }

    def finish(self, wall_seconds: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the final report atomically; returns its summary part.

        When the report cannot be written, `report` and `failed_urls` are None and
        `report_error` is the one line that says why.
        """
        for handle in (self._lines, self._failed):
            try:
                if handle is not None:
                    handle.close()
            except OSError as exc:
                self._broke(exc)
        summary = self.summary(wall_seconds, extra)
        if self.error is None:
            try:
                self._write(summary)
            except OSError as exc:
                self._broke(exc)
                self.path.with_suffix(".json.tmp").unlink(missing_ok=True)
        if self.error is not None:
            return {**summary, "report": None, "failed_urls": None, "report_error": self.error}
        summary["report"] = str(self.path)
        summary["failed_urls"] = str(self._failed_path) if self._failed else None
        return summary

    def _write(self, summary: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        with open(tmp, "w", encoding="utf-8") as out, open(self._lines_path, encoding="utf-8") as lines:
            head = json.dumps({**summary, "config": self.config}, ensure_ascii=False, indent=1)
            out.write(head[:-2] + ',\n "results": [\n')
            for i, line in enumerate(lines):
                out.write((",\n" if i else "") + "  " + line.rstrip("\n"))
            out.write("\n ]\n}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        self._lines_path.unlink(missing_ok=True)
