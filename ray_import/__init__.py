"""ray-import: a Ray-based parallel batch importer of recipe web pages.

Example:
    >>> from ray_import import ImportConfig, run_import
    >>> summary = run_import(["https://example.com/pie"], ImportConfig(out="recipes"))
    >>> summary.counts
    {'imported': 1}
"""

from .api import ImportRun, import_urls
from .catalog import Catalog
from .config import ImportConfig, load_config
from .errors import CatalogError, ConfigError, PageError, PermanentError, RayImportError, TransientError
from .pipeline import RunSummary, run_import
from .results import ImportResult

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "CatalogError",
    "ConfigError",
    "ImportConfig",
    "ImportResult",
    "ImportRun",
    "PageError",
    "PermanentError",
    "RayImportError",
    "RunSummary",
    "TransientError",
    "import_urls",
    "load_config",
    "run_import",
]
