"""ray-import: a Ray-based parallel batch importer of recipe web pages.

Example:
    >>> import ray_import
    >>> run = ray_import.import_urls(["https://example.com/apple-pie"], out="recipes")
    >>> run.summary.counts
    {'imported': 1}

The names below are imported on first use (PEP 562), so a Ray actor process that only needs, say,
the catalog does not import the whole scraping stack.
"""

from importlib import import_module
from typing import Any

from scraper import __version__ as __version__  # read from the installed package's metadata

_WHERE = {
    "BackgroundServer": "server",
    "Catalog": "catalog",
    "CatalogError": "errors",
    "ConfigError": "errors",
    "DiscoverResult": "discovery",
    "ImportConfig": "config",
    "ImportResult": "results",
    "ImportRun": "api",
    "ImportService": "service",
    "PageError": "errors",
    "PermanentError": "errors",
    "QueueFull": "errors",
    "RayImportError": "errors",
    "RunSummary": "pipeline",
    "TransientError": "errors",
    "discover": "discovery",
    "import_urls": "api",
    "load_config": "config",
    "reprocess": "reprocessing",
    "run_import": "pipeline",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ray_import' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
