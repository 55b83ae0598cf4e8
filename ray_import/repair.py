"""`ray-import check [--repair]`: what does not match between the recipe files and their index,
and how a repair fixes it. No Ray here.

A repair must leave a folder that a second `check` finds clean, or say what it could not fix
(issue 13, item 12: it used to rebuild the index only and claim the rest was repaired):

* a file whose `slug` field is not its file name gets the field rewritten (atomically); a file
  whose name is not a valid slug is renamed to one, from its title;
* two files under the same URL key are the same page saved twice: the older one (first
  `provenance.imported_at`, then modification time) keeps the key, the other is moved to
  `.ray-import/duplicates/` (never deleted), and its other URLs become aliases of the kept one,
  as the catalog does when a second URL brings a page it already has;
* a file that is not a recipe is moved to `.ray-import/corrupt/`;
* the index is rebuilt from the files (the fetch rows stay: the files cannot give them back);
* an archived page (issue 18) that the index names but is missing, truncated or not its hash is
  moved to `.ray-import/corrupt/pages/` and its fetch rows are dropped: reprocess then reports
  those recipes as not archived instead of failing on them, and the next fetch of the URL (the
  next run of a failed page, `run --refresh` of a saved one) archives it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scraper.errors import SaveFailed

from .recipe_files import SUFFIX
from .slugs import is_valid_slug, unique_slug
from .store import RecipeStore, recipe_keys


@dataclass
class Repair:
    """What a repair did, and the problems still there after it (empty when it all worked)."""

    actions: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)


def _age(stem: str, document: dict[str, Any], stat: tuple[int, int]) -> tuple[str, int, str]:
    imported_at = (document.get("provenance") or {}).get("imported_at")
    # ISO-8601 UTC strings sort by time; a file without one counts as the newest.
    return (imported_at if isinstance(imported_at, str) else "\uffff", stat[0], stem)


def _documents(store: RecipeStore) -> tuple[dict[str, dict[str, Any]], list[str], list[str]]:
    """Valid documents by file stem, oldest first; the names of the invalid files; the stems."""
    on_disk = store.files()
    documents: dict[str, dict[str, Any]] = {}
    invalid = []
    for stem in sorted(on_disk):
        document = store.document(stem)
        if document is None:
            invalid.append(f"{stem}{SUFFIX}")
        else:
            documents[stem] = document
    order = sorted(documents, key=lambda stem: _age(stem, documents[stem], on_disk[stem]))
    return {stem: documents[stem] for stem in order}, invalid, list(on_disk)


def find_problems(store: RecipeStore) -> list[str]:
    """One line per mismatch between the files and the index; empty when they agree."""
    problems: list[str] = []
    on_disk = store.files()
    rows = store.indexed()
    keys_by_slug = store.keys_by_slug()
    for slug in sorted(rows.keys() - on_disk.keys()):
        problems.append(f"{slug}{SUFFIX}: in the index but not on disk")
    documents, invalid, _ = _documents(store)
    problems += [f"{name}: not a valid recipe file" for name in invalid]
    owner: dict[str, str] = {}
    for slug, document in documents.items():  # oldest first: the owner of a shared key
        name = f"{slug}{SUFFIX}"
        if document.get("slug") != slug or not is_valid_slug(slug):
            problems.append(f"{name}: its slug field is {document.get('slug')!r}")
        if slug not in rows:
            problems.append(f"{name}: on disk but not in the index")
        elif rows[slug] != on_disk[slug]:
            problems.append(f"{name}: changed since it was indexed")
        for key in recipe_keys(document):
            if key in owner and owner[key] != slug:
                problems.append(f"{name}: same URL as {owner[key]}{SUFFIX} ({key})")
            owner.setdefault(key, slug)
            if slug in rows and key not in keys_by_slug.get(slug, set()) and store.lookup(key) is None:
                problems.append(f"{name}: URL key {key} missing from the index")
    return problems + store.check_archive().problems


def repair_folder(store: RecipeStore) -> Repair:
    """Fix what find_problems reports (see the module docstring); needs a writable store."""
    result = Repair()
    documents, invalid, stems = _documents(store)
    for name in invalid:
        _move(store, name, "corrupt", "not a valid recipe file", result)
    owner: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for stem, document in list(documents.items()):
        keys = recipe_keys(document)
        shared = next((key for key in keys if key in owner), None)
        if shared is None:
            owner.update(dict.fromkeys(keys, stem))
            continue
        kept = owner[shared]
        if _move(store, f"{stem}{SUFFIX}", "duplicates", f"same URL as {kept}{SUFFIX} ({shared})", result):
            del documents[stem]
            aliases.update({key: kept for key in keys if key not in owner})
    renamed = _fix_slugs(store, documents, set(stems), result)
    _repair_archive(store, result)
    store.rebuild()
    for key, stem in aliases.items():
        if store.lookup(key) is None:
            store.add_alias(key, renamed.get(stem, stem))
    remaining = find_problems(store)
    result.remaining += [line for line in remaining if line not in result.remaining]
    return result


def _repair_archive(store: RecipeStore, result: Repair) -> None:
    """Set broken pages aside and drop the rows that name them (see the module docstring)."""
    check = store.check_archive()
    for sha in sorted(check.corrupt):
        try:
            store.archive.set_aside(sha)
        except OSError as exc:
            result.remaining.append(f"page {sha}: corrupt; cannot move it aside: {exc.strerror or exc}")
    for url in store.forget_pages(check.broken):
        result.actions.append(f"{url}: archived page unreadable; its fetch row dropped (fetch the URL "
                              "again to archive it)")


def _fix_slugs(store: RecipeStore, documents: dict[str, dict[str, Any]], taken: set[str],
               result: Repair) -> dict[str, str]:
    """Make each file's slug field its file name, renaming files whose name is not a slug."""
    renamed: dict[str, str] = {}
    for stem, document in documents.items():
        if is_valid_slug(stem) and document.get("slug") == stem:
            continue
        name = f"{stem}{SUFFIX}"
        slug = stem if is_valid_slug(stem) else unique_slug(document.get("title"), taken.__contains__)
        try:
            store.rewrite(slug, {**document, "slug": slug})
            if slug != stem:
                (store.folder / name).unlink()
        except (OSError, SaveFailed) as exc:
            why = exc.strerror if isinstance(exc, OSError) else exc.message
            result.remaining.append(f"{name}: cannot repair: {why or exc}")
            continue
        taken.add(slug)
        if slug != stem:
            renamed[stem] = slug
            result.actions.append(f"{name}: renamed to {slug}{SUFFIX} (not a valid slug)")
        else:
            result.actions.append(f"{name}: slug field set to {slug!r} (was {document.get('slug')!r})")
    return renamed


def _move(store: RecipeStore, name: str, kind: str, why: str, result: Repair) -> bool:
    try:
        target = store.set_aside(name, kind)
    except OSError as exc:
        result.remaining.append(f"{name}: {why}; cannot move it aside: {exc.strerror or exc}")
        return False
    result.actions.append(f"{name}: {why}; moved to {target}")
    return True
