"""The notebook-friendly API: `import_urls` starts a batch and returns an `ImportRun` at once.

The batch runs in a background thread of the driver, so a notebook can iterate over results as
they arrive, look at partial tables, or cancel. Ray is started in the calling thread (it installs
signal handlers, which only the main thread may do).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .config import ImportConfig, load_config
from .errors import ConfigError
from .pipeline import RunSummary, run_import
from .progress import BarProgress, NullProgress
from .results import ImportResult
from .runtime import ensure_ray

_DONE = object()


class ImportRun:
    """A running (then finished) batch.

    Example:
        >>> run = import_urls(urls, out="recipes")
        >>> for result in run:          # as they arrive
        ...     print(result.status, result.slug)
        >>> run.summary.counts
        {'imported': 50}
        >>> run.to_pandas().groupby("status").size()
    """

    def __init__(self, urls: Iterable[str], cfg: ImportConfig, progress: bool) -> None:
        self.config = cfg
        self.results: list[ImportResult] = []
        self._queue: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._summary: RunSummary | None = None
        self._error: BaseException | None = None
        urls = list(urls)
        bar = BarProgress(total=len(urls)) if progress else NullProgress(len(urls))
        self._thread = threading.Thread(target=self._work, args=(urls, bar), daemon=True,
                                        name="ray-import-run")
        self._thread.start()

    def _work(self, urls: list[str], bar: NullProgress) -> None:
        try:
            self._summary = run_import(urls, self.config, progress=bar, on_result=self._arrived,
                                       stop=self._stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in wait()
            self._error = exc
        finally:
            self._queue.put(_DONE)

    def _arrived(self, result: ImportResult) -> None:
        self.results.append(result)
        self._queue.put(result)

    def __iter__(self) -> Iterator[ImportResult]:
        """Each result once, in completion order, as it arrives; ends when the batch does."""
        while True:
            item = self._queue.get()
            if item is _DONE:
                self._queue.put(_DONE)  # later iterations end at once too
                return
            yield item

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> RunSummary:
        """Block until the batch is over; returns its summary (raises what the batch raised)."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the batch is still running")
        if self._error is not None:
            raise self._error
        assert self._summary is not None
        return self._summary

    @property
    def summary(self) -> RunSummary:
        return self.wait()

    def cancel(self) -> RunSummary:
        """Stop like Ctrl-C: cancel what runs, report the rest as `cancelled`."""
        self._stop.set()
        return self.wait()

    def to_pandas(self) -> Any:
        """The results so far as a DataFrame: one row per URL, one `<step>_s` column per step."""
        import pandas as pd

        rows = []
        for result in list(self.results):
            row = result.model_dump(exclude={"seconds"})
            row.update({f"{step}_s": seconds for step, seconds in result.seconds.items()})
            rows.append(row)
        frame = pd.DataFrame(rows)
        for column in ("started_at", "finished_at"):
            if column in frame:
                frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
        return frame


def import_urls(
    urls: Iterable[str],
    *,
    out: str | Path | None = None,
    config: ImportConfig | str | Path | None = None,
    progress: bool = True,
    **settings: Any,
) -> ImportRun:
    """Start importing `urls` and return at once; see `ImportRun`.

    Args:
        urls: the recipe URLs.
        out: the output folder (overrides the config's `out`).
        config: an ImportConfig, or the path of a TOML config file.
        progress: show a tqdm bar (a widget in Jupyter).
        settings: other settings, dotted for sections (`**{"fetch.max_attempts": 5}`).
    """
    if isinstance(config, ImportConfig):
        if settings:
            raise ConfigError("pass settings either in the ImportConfig or as keywords, not both")
        cfg = config.model_copy(update={"out": Path(out)}) if out is not None else config
    else:
        cfg = load_config(Path(config) if config else None, out=out, **settings)
    ensure_ray(cfg)
    return ImportRun(urls, cfg, progress)
