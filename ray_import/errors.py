"""The exception tree of ray-import (defined in `scraper.errors`, which must not import Ray).

    RayImportError
    ├── ConfigError                 bad flag, file or env → exit 2, nothing runs
    ├── CatalogError                catalog state or persistence → abort the run
    └── PageError(url=, stage=)     one URL failed; the run goes on
        ├── TransientError          retried (FetchTimeout, ConnectFailed, ServerBusy)
        └── PermanentError          never retried (InvalidURL, HTTPRejected, NotHTML,
                                    TooLarge, NotARecipe, SaveFailed → DiskFull)
"""

from scraper.errors import (
    CatalogError,
    ConfigError,
    ConnectFailed,
    DiskFull,
    FetchTimeout,
    HTTPRejected,
    InvalidURL,
    NotARecipe,
    NotHTML,
    PageError,
    PermanentError,
    RayImportError,
    SaveFailed,
    ServerBusy,
    TooLarge,
    TransientError,
)

__all__ = [
    "CatalogError",
    "ConfigError",
    "ConnectFailed",
    "DiskFull",
    "FetchTimeout",
    "HTTPRejected",
    "InvalidURL",
    "NotARecipe",
    "NotHTML",
    "PageError",
    "PermanentError",
    "RayImportError",
    "SaveFailed",
    "ServerBusy",
    "TooLarge",
    "TransientError",
]
