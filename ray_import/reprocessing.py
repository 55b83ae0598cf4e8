"""`ray-import reprocess`: the saved recipes made again from their archived pages (issue 18).

No network at all. The recipes to make again are read from the output folder (`select`:
`--only-changed` skips a recipe whose steps' versions are the current ones, scraper/versions.py;
`--where field=value` filters on what a saved file says), and their URLs go through the import's
own driver and tasks (driver.py, tasks.py: extract, the LLM where the config sends the page to it,
enrich), with two differences: each page comes from the archive instead of a site
(archive_pages.py, which decodes the bytes exactly as the fetch step did: `page_from_archive`),
and the catalog rewrites each recipe in place (`rewrite`): same slug, first `imported_at` kept,
`provenance.reprocessed_at` added, and the file left alone when nothing but the time would
change. The LLM gateway asks its answer cache first (llm_cache.py), so a page asked before costs
nothing. The report says which fields changed in how many recipes (`compare`).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scraper.charset import decode_html
from scraper.models import FetchedPage
from scraper.versions import current_versions, is_current

from . import archive_index
from .archive_index import PageRecord
from .config import ImportConfig
from .errors import CatalogError, ConfigError
from .results import ImportResult, SaveAnswer

if TYPE_CHECKING:
    from .pipeline import RunSummary
    from .progress import NullProgress
    from .store import RecipeStore

#: Fields `--where` filters on, and where each is read in a saved document.
WHERE_FIELDS: dict[str, tuple[str, ...]] = {
    "extractor": ("provenance", "extractor"),
    "parser": ("provenance", "ingredient_parser"),
    "importer_version": ("provenance", "importer_version"),
    "host": ("host",),
    "language": ("language",),
}
#: What differs on every reprocess and says nothing about the result.
_VOLATILE = {"slug"}
_VOLATILE_PROVENANCE = {"imported_at", "reprocessed_at", "importer_version", "versions", "fetched_at"}


@dataclass
class Changes:
    """What differs between the saved document and the new one."""

    fields: list[str] = field(default_factory=list)
    versions: bool = False  # only the versions that made it differ

    @property
    def changed(self) -> bool:
        return bool(self.fields)


def page_from_archive(record: PageRecord, body: bytes) -> FetchedPage:
    """The FetchedPage the fetch step made from these bytes: same text, same hash, same times.

    The text is decoded by the fetch step's own `decode_html`, from the charset the Content-Type
    header gave, so extraction reads exactly what it read the first time.
    """
    html, encoding = decode_html(body, record.charset)
    return FetchedPage(url=record.url, final_url=record.final_url, status=record.status,
                       content_type=record.content_type, encoding=encoding, html=html,
                       content_sha256=record.sha256, fetched_at=record.fetched_at)


def rebuilt_document(document: Mapping[str, Any], old: Mapping[str, Any], slug: str) -> dict[str, Any]:
    """The file to write: the new recipe under the old slug, the first `imported_at` kept."""
    new = {**document, "slug": slug}
    provenance = dict(new["provenance"])
    first = (old.get("provenance") or {}).get("imported_at")
    if isinstance(first, str):
        provenance["reprocessed_at"] = provenance["imported_at"]
        provenance["imported_at"] = first
    new["provenance"] = provenance
    return new


def rewrite(store: RecipeStore, slug: str, key: str, document: dict[str, Any]) -> SaveAnswer:
    """The catalog's save of a reprocessed recipe: `slug` rewritten in place when it changed.

    A recipe whose only change is the versions that made it is rewritten too (so `--only-changed`
    skips it next time) but answered `unchanged`; one that would not change at all is not written.

    Raises:
        SaveFailed: as RecipeStore.write.
    """
    old = store.document(slug) or {}
    new = rebuilt_document(document, old, slug)
    changes = compare(old, new)
    if changes.fields or changes.versions:
        store.write(slug, new, [key])
    return SaveAnswer("imported" if changes.fields else "unchanged", slug, changed=tuple(changes.fields))


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> Changes:
    """The fields whose values differ (`provenance.<key>` for provenance), sorted.

    The slug, times and versions are not counted: they differ on every reprocess. That only the
    versions differ is said apart (`versions`): the file is then rewritten to record them, so
    `--only-changed` finds it current next time, but the recipe is not counted as changed.
    """
    changes = Changes()
    for name in sorted(set(old) | set(new)):
        if name in _VOLATILE or name == "provenance":
            continue
        if old.get(name) != new.get(name):
            changes.fields.append(name)
    old_p, new_p = old.get("provenance") or {}, new.get("provenance") or {}
    for name in sorted(set(old_p) | set(new_p)):
        if name not in _VOLATILE_PROVENANCE and old_p.get(name) != new_p.get(name):
            changes.fields.append(f"provenance.{name}")
    changes.versions = any(old_p.get(name) != new_p.get(name) for name in ("importer_version", "versions"))
    return changes


def parse_where(expressions: Iterable[str]) -> dict[str, str]:
    """`["extractor=schema.org", "host=*.fr"]` → a filter; a value may hold `*` wildcards.

    Raises:
        ConfigError: naming the expression, when it is not `field=value` with a known field.
    """
    where: dict[str, str] = {}
    known = ", ".join(WHERE_FIELDS)
    for expression in expressions:
        name, sep, value = expression.partition("=")
        name = name.strip()
        if not sep or not value.strip():
            raise ConfigError(f"--where {expression!r}: expected field=value (fields: {known})")
        if name not in WHERE_FIELDS:
            raise ConfigError(f"--where {expression!r}: unknown field {name!r} (fields: {known})")
        where[name] = value.strip()
    return where


def matches(document: Mapping[str, Any], where: Mapping[str, str]) -> bool:
    """Whether a saved document passes every `--where` filter (case-sensitive, `*` wildcards)."""
    for name, pattern in where.items():
        value: Any = document
        for part in WHERE_FIELDS[name]:
            value = value.get(part) if isinstance(value, Mapping) else None
        if not isinstance(value, str) or not fnmatch.fnmatchcase(value, pattern):
            return False
    return True


def select(document: Mapping[str, Any], cfg: ImportConfig, *, only_changed: bool = False,
           where: Mapping[str, str] | None = None) -> bool:
    """Whether `reprocess` makes this saved recipe again."""
    if where and not matches(document, where):
        return False
    if only_changed:
        model = cfg.llm.model if cfg.llm.effective_mode != "off" else None
        return not is_current(document, current_versions(), model)
    return True


def selected_urls(folder: Path, cfg: ImportConfig, *, only_changed: bool = False,
                  where: Mapping[str, str] | None = None, failed: bool = False) -> Iterator[tuple[None, str]]:
    """The source URL of each saved recipe `select` keeps, read as the driver asks for more;
    with `failed`, instead, the URL of each archived page that made no recipe.

    A file is read only when a filter needs what it says; the index lists the recipes.
    """
    from .store import RecipeStore

    if failed:
        yield from _failed_urls(folder)
        return
    store = RecipeStore(folder, readonly=True)  # a snapshot: the catalog actor writes meanwhile
    try:
        filtering = only_changed or bool(where)
        for slug, _title, source_url in store.list_recipes():
            if filtering:
                document = store.document(slug)
                if document is None or not select(document, cfg, only_changed=only_changed, where=where):
                    continue
            yield None, source_url
    finally:
        store.close()


def _failed_urls(folder: Path) -> Iterator[tuple[None, str]]:
    """The URL of each archived page that made no recipe, from the catalog's fetch rows.

    Read through SQLite's WAL (`index_db.reader`, as archive_pages.py reads the pages): the
    read-only store's snapshot (the main file only) misses the last run's rows.
    """
    from . import index_db
    from .recipe_files import STATE_DIR
    from .store import DB_NAME

    path = folder / STATE_DIR / DB_NAME
    if not path.is_file():
        return
    db = index_db.reader(path)
    try:
        for record in archive_index.failed(db):
            yield None, record.url
    finally:
        db.close()


def reprocess(
    cfg: ImportConfig,
    *,
    only_changed: bool = False,
    where: Iterable[str] | Mapping[str, str] = (),
    failed: bool = False,
    report_path: Path | None = None,
    progress: NullProgress | None = None,
    on_result: Callable[[ImportResult], None] | None = None,
    events: str | Path | None = None,
    stop: threading.Event | None = None,
) -> RunSummary:
    """Make the recipes saved in `cfg.out` again from their archived pages, as a Ray batch.

    Each result is `imported` (rewritten; `changed` names the fields), `unchanged`, or `failed`
    (e.g. `not_archived`: saved before the archive, or with `archive = false`); a failure leaves
    the saved file as it was. The summary's `changed` counts the recipes and fields that changed.
    With `failed`, the pages tried are instead the archived ones that made no recipe (after an
    upgrade that reads more pages): one that makes a recipe now is saved under a new slug
    (`imported`), one that still makes none ends `failed` again, as in a run.

    Args:
        cfg: the resolved config (its LLM settings decide which pages go to the LLM, as in a run).
        only_changed: skip recipes made by the current versions of their steps.
        where: `field=value` filters (`extractor=schema.org`, `host=*.fr`; see WHERE_FIELDS).
        failed: the archived pages that made no recipe, instead of the saved recipes; no
            `only_changed` or `where` with it (they read saved recipes).
        report_path, progress, on_result, events, stop: as for `run_import`; the report is
            `<out>/reports/reprocess-<time>.json` by default.

    Raises:
        ConfigError: a `where` filter is not `field=value` with a known field; `failed` with
            `only_changed` or `where`.
        CatalogError: there is no output folder at `cfg.out`, or it cannot be used.

    Example:
        >>> summary = reprocess(ImportConfig(out="recipes"), only_changed=True)
        >>> summary.counts, summary.changed["fields"]
        ({'imported': 12, 'unchanged': 200}, {'ingredients': 9, 'total_time': 4})
    """
    from .pipeline import run_import

    items = [f"{name}={value}" for name, value in where.items()] if isinstance(where, Mapping) else where
    filters = parse_where(items)
    if failed and (only_changed or filters):
        raise ConfigError("--failed tries the pages that made no recipe: it takes no --only-changed "
                          "or --where, which select saved recipes")
    folder = Path(cfg.out)
    if not folder.is_dir():
        raise CatalogError(f"no output folder {folder}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return run_import(selected_urls(folder, cfg, only_changed=only_changed, where=filters, failed=failed),
                      cfg.model_copy(update={"refresh": True}), reprocess=True,
                      report_path=report_path or folder / "reports" / f"reprocess-{stamp}.json",
                      progress=progress, on_result=on_result, events=events, stop=stop)
