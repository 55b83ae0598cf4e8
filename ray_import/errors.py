"""Every exception of ray-import, in one tree; `except RayImportError` catches all of them.

    RayImportError                  base                                        [scraper.errors]
    ├── ConfigError                 bad flag, file or env → exit 2, nothing runs
    ├── CatalogError                catalog state or persistence → abort the run
    │   └── ForeignIndexError       SQLite, but not our index (schema version): set aside, rebuilt
    ├── QueueFull(active=, limit=, retry_after=)   serve.max_queue reached → HTTP 429
    └── PageError(url=, stage=)     one URL failed; the run goes on             [scraper.errors]
        ├── TransientError          retried, with a cap and backoff
        │   ├── FetchTimeout        connect/read/total timeout
        │   ├── ConnectFailed       refused, reset, DNS failure
        │   ├── ServerBusy(status=) HTTP 408, 425, 429, 5xx; honours Retry-After
        │   └── LLMUnavailable      the LLM endpoint timed out, answered 429 or 5xx
        └── PermanentError          never retried
            ├── InvalidURL          not an absolute http(s) URL
            ├── BlockedAddress      a private/loopback/metadata address (block_private_networks)
            ├── RobotsDisallowed    robots.txt forbids the URL, or cannot be read now (issue 17)
            ├── BadSitemap          a sitemap that is malformed, too large or refused (discover)
            ├── HTTPRejected(status=)   any other 4xx, too many redirects
            ├── NotHTML(content_type=)  PDF, image, JSON...
            ├── TooLarge(limit=)    body over the limit, counted after decompression
            ├── NotARecipe          no recipe data on the page
            ├── LLMRejected         the LLM endpoint refused the request (auth, bad request)
            ├── InvalidLLMOutput    the model's reply is not a valid recipe, even after a repair
            ├── PageNotArchived     reprocess: the page is not in the archive (issue 18)
            ├── ArchivedPageCorrupt reprocess: the archived page is truncated or not its hash
            └── SaveFailed          the catalog could not write the file
                └── DiskFull        no space left: the batch stops (issue 13, item 9)

The base and the errors the steps raise are defined in `scraper.errors`, because `scraper` must
not import Ray or this package; those only `ray_import` raises (config, catalog, the serve queue,
the page archive) are defined here. This module re-exports both, so `from ray_import.errors
import ...` reaches every class above; a test checks that the drawing and the classes agree. Private control-flow exceptions that never
leave their function (an HTML parser's early stop) are not errors and are not drawn.
"""

from __future__ import annotations

from scraper.errors import (
    BadSitemap,
    BlockedAddress,
    ConnectFailed,
    DiskFull,
    FetchTimeout,
    HTTPRejected,
    InvalidLLMOutput,
    InvalidURL,
    LLMRejected,
    LLMUnavailable,
    NotARecipe,
    NotHTML,
    PageError,
    PermanentError,
    RayImportError,
    RobotsDisallowed,
    SaveFailed,
    ServerBusy,
    TooLarge,
    TransientError,
)

__all__ = [
    "ArchivedPageCorrupt",
    "BadSitemap",
    "BlockedAddress",
    "CatalogError",
    "ConfigError",
    "ConnectFailed",
    "DiskFull",
    "FetchTimeout",
    "ForeignIndexError",
    "HTTPRejected",
    "InvalidLLMOutput",
    "InvalidURL",
    "LLMRejected",
    "LLMUnavailable",
    "NotARecipe",
    "NotHTML",
    "PageError",
    "PageNotArchived",
    "PermanentError",
    "QueueFull",
    "RayImportError",
    "RobotsDisallowed",
    "SaveFailed",
    "ServerBusy",
    "TooLarge",
    "TransientError",
]


class ConfigError(RayImportError):
    """A flag, config file or environment variable is invalid; nothing runs."""

    kind = "config"


class CatalogError(RayImportError):
    """The catalog's database or folder cannot be used; the run stops."""

    kind = "catalog"


class ForeignIndexError(CatalogError):
    """The index database is SQLite, but not an index of this schema version.

    Unlike other catalog errors it is never shown: the store sets such a database aside and
    rebuilds the index from the recipe files (index_db.is_corrupt).
    """

    kind = "foreign_index"


class QueueFull(RayImportError):
    """More imports than `serve.max_queue` would be queued or running; the API answers 429."""

    kind = "queue_full"

    def __init__(self, active: int, limit: int, retry_after: int) -> None:
        self.active = active
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"the import queue is full ({active} queued or running, serve.max_queue={limit}); "
                         f"retry in {retry_after}s")


class PageNotArchived(PermanentError):
    """The archive has no page with this hash (never archived, or removed by a repair)."""

    kind = "not_archived"


class ArchivedPageCorrupt(PermanentError):
    """The archived file is truncated, not zstd, or its content does not hash to its name."""

    kind = "archive_corrupt"
