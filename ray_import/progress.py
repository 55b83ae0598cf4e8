"""Progress on the driver: a tqdm bar on a terminal, plain lines otherwise, nothing with -q.

Tasks never print; the driver feeds progress from the completion-ordered result stream.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

from tqdm.auto import tqdm

from .results import OK_STATUSES, ImportResult


class NullProgress:
    def __init__(self, total: int | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self.total = total

    def update(self, result: ImportResult) -> None:
        self.counts[result.status] += 1

    def close(self) -> None:
        pass

    def postfix(self) -> str:
        c = self.counts
        failed = sum(v for k, v in c.items() if k not in OK_STATUSES)
        unchanged = f" unchanged={c['unchanged']}" if c["unchanged"] else ""  # refreshes answered 304
        return (f"imported={c['imported']} exists={c['exists']} duplicate={c['duplicate']}{unchanged} "
                f"failed={failed}")


class BarProgress(NullProgress):
    def __init__(self, total: int | None = None, stream: TextIO | None = None) -> None:
        super().__init__(total)
        self._bar = tqdm(total=total, unit="url", file=stream or sys.stderr, dynamic_ncols=True)

    def update(self, result: ImportResult) -> None:
        super().update(result)
        self._bar.set_postfix_str(self.postfix(), refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


class LineProgress(NullProgress):
    """For logs and CI: one line every `every_s` seconds and at the end."""

    def __init__(self, total: int | None = None, stream: TextIO | None = None, every_s: float = 5.0) -> None:
        super().__init__(total)
        self._stream = stream or sys.stderr
        self._every = every_s
        self._start = self._last = time.monotonic()

    def update(self, result: ImportResult) -> None:
        super().update(result)
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._print(now)

    def _print(self, now: float) -> None:
        done = sum(self.counts.values())
        rate = done / max(now - self._start, 1e-9)
        total = f"/{self.total}" if self.total else ""
        eta = ""
        if self.total and rate > 0:
            eta = f" eta={max(self.total - done, 0) / rate:.0f}s"
        print(f"[{done}{total}] {self.postfix()} rate={rate:.1f}/s{eta}", file=self._stream, flush=True)

    def close(self) -> None:
        self._print(time.monotonic())


def make_progress(total: int | None, quiet: bool, stream: TextIO | None = None) -> NullProgress:
    stream = stream or sys.stderr
    if quiet:
        return NullProgress(total)
    if stream.isatty():
        return BarProgress(total, stream)
    return LineProgress(total, stream)
