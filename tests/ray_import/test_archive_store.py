"""The archive and the fingerprints inside the output folder's store: saves, sync, rebuild, and
`ray-import check [--repair]` (issue 18, items 1 and 4). Real files, real SQLite, no Ray."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from ray_import.archive_index import PageCopy
from ray_import.cli import cli
from ray_import.store import RecipeStore
from scraper.enrich import enrich
from scraper.fingerprint import recipe_fingerprint
from scraper.models import FetchedPage, Recipe
from scraper.settings import EnrichSettings

BODY = ("<html><body><h1>Apple pie</h1>" + "<p>apples, butter, flour</p>" * 100 + "</body></html>").encode()


def _page(url: str, body: bytes = BODY) -> FetchedPage:
    return FetchedPage(url=url, final_url=url, status=200, content_type="text/html; charset=utf-8",
                       encoding="utf-8", html=body.decode(), content_sha256=hashlib.sha256(body).hexdigest(),
                       fetched_at=datetime(2026, 1, 2, tzinfo=UTC), etag='"v1"', body=body)


def _document(page: FetchedPage, title: str = "Apple pie", lines=("3 apples", "100 g butter")) -> dict:
    recipe = Recipe(title=title, ingredients=list(lines), instructions=["Bake."], extractor="schema.org")
    return enrich(recipe, page, EnrichSettings(ingredient_parser="rules")).to_document(slug="")


def _save(store: RecipeStore, slug: str, url: str, body: bytes = BODY, **kw) -> tuple[FetchedPage, dict]:
    page = _page(url, body)
    document = {**_document(page, **kw), "slug": slug}
    key = url.split("://", 1)[1]
    store.write(slug, document, [key], page=(key, PageCopy.of(page)))
    return page, document


def test_a_save_archives_its_page_with_its_fetch_row_and_a_rebuild_keeps_the_row(tmp_path: Path):
    store = RecipeStore(tmp_path)
    page, document = _save(store, "apple-pie", "https://example.com/pie")
    record = store.fetch_record("apple-pie")
    assert (record.key, record.sha256, record.etag, record.size, record.outcome) == (
        "example.com/pie", page.content_sha256, '"v1"', len(BODY), "imported")
    assert store.archive.get(record.sha256) == BODY
    assert record.stored_size == store.archive.path(record.sha256).stat().st_size < len(BODY) / 5
    assert store.with_fingerprint(recipe_fingerprint(document)) == "apple-pie"
    # A page that saved nothing (here: a duplicate) is archived too, with its outcome.
    dup = _page("https://example.com/pie/print", BODY + b"<!-- print -->")
    store.record_pages([("example.com/pie/print", PageCopy.of(dup), "duplicate", "apple-pie")])
    assert store.archive.has(dup.content_sha256)
    store.rebuild()
    assert store.fetch_record("apple-pie") == record  # the files cannot give the row back in full
    assert store.check_archive().problems == []
    store.close()


def test_an_index_made_before_fingerprints_gains_them_and_keeps_its_aliases(tmp_path: Path):
    store = RecipeStore(tmp_path)
    _, document = _save(store, "apple-pie", "https://example.com/pie")
    store.add_alias("example.com/old-pie-url", "apple-pie")
    store.close()
    db = sqlite3.connect(tmp_path / ".ray-import" / "catalog.sqlite3")
    # What an index of the previous release held: no fingerprint column, no fingerprint_version.
    db.executescript("DROP INDEX recipes_fingerprint; ALTER TABLE recipes DROP COLUMN fingerprint;"
                     "DELETE FROM meta WHERE key='fingerprint_version';")
    db.close()
    store = RecipeStore(tmp_path)
    assert store.last_sync.parsed == 1  # every file read once, to fingerprint it
    assert store.with_fingerprint(recipe_fingerprint(document)) == "apple-pie"
    assert store.lookup("example.com/old-pie-url") == "apple-pie"
    assert store.with_fingerprint(None) is None
    store.close()


def test_a_lost_database_gets_the_rows_of_archived_recipes_back_from_their_provenance(tmp_path: Path):
    store = RecipeStore(tmp_path)
    page, _ = _save(store, "apple-pie", "https://example.com/pie")
    _save(store, "plum-cake", "https://example.com/plum", BODY + b"<!-- plum -->", title="Plum cake")
    store.archive.path(store.fetch_record("plum-cake").sha256).unlink()  # this one is not archived
    store.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / '.ray-import' / 'catalog.sqlite3'}{suffix}").unlink(missing_ok=True)
    store = RecipeStore(tmp_path)
    record = store.fetch_record("apple-pie")
    assert (record.key, record.sha256, record.final_url) == ("example.com/pie", page.content_sha256, page.url)
    assert store.fetch_record("plum-cake") is None  # no page, no row: check stays clean
    assert store.check_archive().problems == []
    store.close()


def test_check_finds_broken_pages_and_repair_drops_their_rows_and_sets_them_aside(tmp_path: Path):
    store = RecipeStore(tmp_path)
    _save(store, "apple-pie", "https://example.com/pie")
    _save(store, "plum-cake", "https://example.com/plum", BODY + b"<!-- plum -->", title="Plum cake")
    _save(store, "fig-tart", "https://example.com/fig", BODY + b"<!-- fig -->", title="Fig tart")
    truncated = store.archive.path(store.fetch_record("plum-cake").sha256)
    missing = store.archive.path(store.fetch_record("fig-tart").sha256)
    store.close()
    truncated.write_bytes(truncated.read_bytes()[:-20])
    missing.unlink()

    checked = CliRunner().invoke(cli, ["check", "--out", str(tmp_path)])
    assert checked.exit_code == 1, checked.output
    assert f"problem: .ray-import/pages/{truncated.parent.name}/{truncated.name}: archived page is corrupt" \
        in checked.output
    assert f"problem: .ray-import/pages/{missing.parent.name}/{missing.name}: in the index but not in the" \
        " archive" in checked.output

    repaired = CliRunner().invoke(cli, ["check", "--out", str(tmp_path), "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "repaired: https://example.com/plum: archived page unreadable" in repaired.output
    assert "repaired: https://example.com/fig: archived page unreadable" in repaired.output
    assert (tmp_path / ".ray-import" / "corrupt" / "pages" / truncated.name).is_file()  # never deleted
    again = CliRunner().invoke(cli, ["check", "--out", str(tmp_path)])
    assert again.exit_code == 0 and "ok: 3 recipes" in again.output, again.output
    store = RecipeStore(tmp_path, readonly=True)
    assert store.fetch_record("plum-cake") is None and store.fetch_record("fig-tart") is None
    assert store.archive.get(store.fetch_record("apple-pie").sha256) == BODY
