"""Per-recipe steps: fetch → extract → structure → enrich.

Nothing in this package imports Ray: every step is a plain function of its input model, so it can
be tested, profiled and reused without a cluster. Orchestration lives in `ray_import`.

`__version__` is the installed distribution's (`ray-import`, pyproject.toml): the one place the
version is written. `ray_import.__version__`, the API's OpenAPI version, the User-Agent and each
recipe's `provenance.importer_version` all read it from here.
"""

from importlib.metadata import PackageNotFoundError, version


def _version() -> str:
    try:
        return version("ray-import")
    except PackageNotFoundError:  # a source tree on sys.path that was never installed
        return "0+unknown"


__version__ = _version()
