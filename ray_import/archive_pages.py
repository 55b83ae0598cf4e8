"""Pages from the archive instead of the network: the fetch gateways' stand-in for `reprocess`.

`ray-import reprocess` runs the import's own driver and tasks (driver.py, tasks.py), and the
driver asks its gateways for each URL's page. `ArchivePages` answers from the output folder
instead: an async actor on the catalog's node (where the folder is; no shared disk needed) reads
the URL's fetch row (archive_index.py) and its archived bytes (archive.py), and decodes them as
the fetch step did (reprocess.page_from_archive), so the parse task gets the very FetchedPage the
first import parsed, and nothing is sent to any site. The page it gives has no `body`: it is in
the archive already. A URL without an archived page, or with a broken one, is a failed page
(`not_archived`, `archive_corrupt`), as a fetch failure would be.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from scraper.errors import PageError
from scraper.models import FetchedPage

from . import archive_index, index_db
from .archive import PageArchive
from .errors import PageNotArchived
from .recipe_files import STATE_DIR
from .results import StepFailure
from .store import DB_NAME
from .urls import try_normalize


class _ArchiveReader:
    """Reads pages for the tasks; the decoding runs in threads (zstd frees the GIL meanwhile)."""

    def __init__(self, folder: str) -> None:
        self._archive = PageArchive(Path(folder), readonly=True)
        self._db = index_db.reader(Path(folder) / STATE_DIR / DB_NAME)
        self.pages = 0
        self.failed = 0

    async def fetch(self, url: str, etag: str | None = None,
                    last_modified: str | None = None) -> FetchedPage | StepFailure:
        """Never raises for a page: a missing or broken one travels as a failure, as a fetch's.

        The validators a gateway's fetch takes are ignored: the archived page is the page.
        """
        try:
            page = await asyncio.to_thread(self._load, url)
        except PageError as exc:
            self.failed += 1
            return StepFailure(kind=exc.kind, stage=exc.stage or "archive", message=exc.message)
        self.pages += 1
        return page

    def _load(self, url: str) -> FetchedPage:
        from .reprocessing import page_from_archive

        key = try_normalize(url)
        record = archive_index.get(self._db, key) if key else None
        if record is None:
            raise PageNotArchived("no archived page for this URL (imported before the archive, or"
                                  " with archive = false)", url=url, stage="archive")
        return page_from_archive(record, self._archive.get(record.sha256, url=url))

    async def stats(self) -> dict[str, int]:
        return {"pages": self.pages, "failed": self.failed}


class ArchivePages:
    """The driver's page source for reprocess: the interface of gateway.Gateways, over the archive.

    Example:
        >>> pages = ArchivePages(Path("recipes"))
        >>> ray.get(pages.for_url("https://example.com/pie").fetch.remote("https://example.com/pie"))
        FetchedPage(url='https://example.com/pie', ...)
    """

    def __init__(self, folder: Path | str) -> None:
        actor = ray.remote(num_cpus=0, max_concurrency=64, max_restarts=3, max_task_retries=1)(_ArchiveReader)
        self._actor = actor.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            node_id=ray.get_runtime_context().get_node_id(), soft=False)).remote(str(Path(folder).resolve()))
        self.read: dict[str, int] = {}

    def for_url(self, url: str) -> Any:
        return self._actor

    def stats(self) -> dict[str, dict[str, int]]:
        """No per-host statistics (no host was asked); what was read is kept in `read`."""
        self.read = ray.get(self._actor.stats.remote())
        return {}

    def close(self) -> None:
        ray.kill(self._actor)
