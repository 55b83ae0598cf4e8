"""The reprocess parts (issue 18, item 2): a page read back from the archive, a recipe rewritten.

Pages are fetched once from a loopback server by the real fetch step, their bytes archived, and
then rebuilt from the archive alone: the text, hash and recipe must be what the fetch gave.
"""

from __future__ import annotations

import codecs
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from ray_import import archive_index
from ray_import.archive import PageArchive
from ray_import.archive_index import PageRecord
from ray_import.archive_pages import ArchivePages
from ray_import.demo.site import PAGES_DIR
from ray_import.errors import ConfigError
from ray_import.reprocessing import compare, page_from_archive, parse_where, rewrite, select
from ray_import.store import RecipeStore
from ray_import.urls import normalize_url
from scraper.enrich import enrich
from scraper.extract import extract
from scraper.fetch import fetch
from scraper.versions import current_versions, versions_for

RECIPE = (PAGES_DIR / "banana-bread.html").read_bytes()
NODATA = (PAGES_DIR / "nodata-lemonade.html").read_bytes()
LATIN1 = ('<html><head><script type="application/ld+json">{"@context": "https://schema.org", "@type": "Recipe",'
          ' "name": "Crème brûlée", "recipeIngredient": ["4 jaunes d\'œufs", "50 g de sucre"],'
          ' "recipeInstructions": ["Cuire.", "Caraméliser."], "inLanguage": "fr"}</script></head>'
          '<body><h1>Crème brûlée</h1></body></html>')
PAGES = {
    "/recipe": ("text/html; charset=utf-8", RECIPE),
    "/nodata": ("text/html; charset=utf-8", NODATA),
    "/latin1": ("text/html; charset=ISO-8859-1", LATIN1.replace("œ", "oe").encode("latin-1")),
    "/meta": ("text/html", b'<html><head><meta charset="windows-1252"></head><body>It\x92s caf\xe9</body></html>'),
    "/bom": ("text/html", codecs.BOM_UTF8 + "<html><body>caf\u00e9 \u2013 th\u00e9</body></html>".encode()),
    "/stray": ("text/html", "<html><body>caf\u00e9 cr\u00e8me ".encode() + b"\xff" + b" ok</body></html>"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        content_type, body = PAGES[self.path]
        self.send_response(200)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _archived(site: str, path: str, folder: Path) -> tuple[PageRecord, PageArchive, object]:
    """Fetch `path` for real, archive the bytes the server sent, return the row and the page."""
    page = fetch(f"{site}{path}")
    archive = PageArchive(folder)
    stored = archive.put(PAGES[path][1])
    assert stored.sha256 == page.content_sha256  # the archive's name is provenance.content_sha256
    record = PageRecord.from_page(normalize_url(page.url), page, stored.size, stored.stored_size)
    return record, archive, page


@pytest.mark.parametrize("path", ["/recipe", "/latin1", "/meta", "/bom", "/stray"])
def test_a_page_rebuilt_from_the_archive_is_the_page_the_fetch_returned(site, tmp_path, path):
    record, archive, fetched = _archived(site, path, tmp_path)
    rebuilt = page_from_archive(record, archive.get(record.sha256))
    assert rebuilt.model_dump(exclude={"attempts", "seconds"}) == fetched.model_dump(exclude={"attempts", "seconds"})


def _saved(store: RecipeStore, page, cfg, slug: str = "easy-banana-bread") -> dict:
    document = {**enrich(extract(page), page, cfg.enrich).to_document(slug=slug)}
    document["provenance"]["imported_at"] = "2025-01-01T00:00:00Z"
    store.write(slug, document, [normalize_url(page.url)])
    return document


def test_a_rewrite_keeps_the_slug_and_first_import_time_and_skips_an_unchanged_recipe(site, tmp_path,
                                                                                       make_config):
    cfg = make_config()
    record, archive, fetched = _archived(site, "/recipe", tmp_path)
    store = RecipeStore(tmp_path)
    first = _saved(store, fetched, cfg)
    path = tmp_path / "easy-banana-bread.recipe.json"
    mtime = path.stat().st_mtime_ns
    page = page_from_archive(record, archive.get(record.sha256))
    again = enrich(extract(page), page, cfg.enrich).to_document(slug="")
    answer = rewrite(store, "easy-banana-bread", record.key, again)
    assert (answer.status, answer.slug, answer.changed) == ("unchanged", "easy-banana-bread", ())
    assert path.stat().st_mtime_ns == mtime  # nothing but the time would change: not written

    changed = {**again, "title": "Banana bread", "total_time": 99}
    answer = rewrite(store, "easy-banana-bread", record.key, changed)
    assert (answer.status, answer.changed) == ("imported", ("title", "total_time"))
    new = json.loads(path.read_text("utf-8"))
    assert new["slug"] == "easy-banana-bread" and new["title"] == "Banana bread"
    assert new["provenance"]["imported_at"] == first["provenance"]["imported_at"] != new["provenance"]["reprocessed_at"]
    assert store.lookup(record.key) == "easy-banana-bread"  # same slug, same keys
    store.close()


def test_the_archive_reader_gives_the_fetched_page_or_says_why_it_cannot(ray_session, site, tmp_path):
    record, archive, fetched = _archived(site, "/recipe", tmp_path)
    store = RecipeStore(tmp_path)
    archive_index.put(store._db, [record])
    store.close()
    pages = ArchivePages(tmp_path)
    try:
        read = ray_session.get(pages.for_url(record.url).fetch.remote(record.url))
        assert read.model_dump(exclude={"attempts", "seconds"}) == fetched.model_dump(exclude={"attempts", "seconds"})
        assert read.body is None  # archived already: a reprocess archives nothing again
        path = archive.path(record.sha256)
        path.write_bytes(path.read_bytes()[:-20])
        corrupt = ray_session.get(pages.for_url(record.url).fetch.remote(record.url))
        assert (corrupt.kind, corrupt.stage) == ("archive_corrupt", "archive")
        missing = ray_session.get(pages.for_url(record.url).fetch.remote(f"{site}/never-fetched"))
        assert (missing.kind, missing.stage) == ("not_archived", "archive")
        assert "imported before the archive" in missing.message
        assert pages.stats() == {} and pages.read == {"pages": 1, "failed": 2}
    finally:
        pages.close()


def test_compare_names_the_fields_that_changed_and_tells_a_version_only_change():
    old = {"slug": "pie", "title": "Pie", "ingredients": ["2 apples"], "total_time": None,
           "provenance": {"extractor": "schema.org", "imported_at": "a", "importer_version": "0.1",
                          "repairs": []}}
    new = json.loads(json.dumps(old))
    new["provenance"].update(imported_at="b", importer_version="0.2")
    assert (compare(old, new).fields, compare(old, new).versions) == ([], True)
    new.update(ingredients=["2 apples", "1 crust"], total_time=40)
    new["provenance"]["repairs"] = ["total_time_from_parts"]
    assert compare(old, new).fields == ["ingredients", "total_time", "provenance.repairs"]


def test_only_changed_skips_recipes_made_by_the_current_steps(make_config):
    cfg = make_config()
    current = versions_for("site:AllRecipes", "ingredient-parser-nlp")
    document = {"host": "allrecipes.com", "provenance": {
        "extractor": "site:AllRecipes", "ingredient_parser": "ingredient-parser-nlp", "versions": current}}
    assert not select(document, cfg, only_changed=True)
    assert select(document, cfg)  # without the flag every recipe is made again
    older = json.loads(json.dumps(document))
    older["provenance"]["versions"]["recipe-scrapers"] = "15.0.0"
    assert select(older, cfg, only_changed=True)
    unknown = {"provenance": {"extractor": "schema.org", "importer_version": current_versions()["importer"]}}
    assert select(unknown, cfg, only_changed=True)  # saved before versions were recorded
    rules = {"provenance": {"extractor": "schema.org", "ingredient_parser": "rules",
                            "versions": versions_for("schema.org", "rules")}}
    # An ingredient-parser-nlp upgrade does not touch recipes the rules parsed.
    assert "ingredient-parser-nlp" not in rules["provenance"]["versions"]
    assert not select(rules, cfg, only_changed=True)


def test_only_changed_remakes_an_llm_recipe_once_another_model_is_configured(make_config):
    document = {"provenance": {"extractor": "llm:small", "ingredient_parser": "rules",
                               "versions": versions_for("llm:small", "rules")}}
    assert not select(document, make_config(llm={"base_url": "http://127.0.0.1:1/v1", "model": "small"}),
                      only_changed=True)
    assert select(document, make_config(llm={"base_url": "http://127.0.0.1:1/v1", "model": "large"}),
                  only_changed=True)


def test_where_filters_with_wildcards_and_rejects_unknown_fields_in_one_line(make_config):
    where = parse_where(["extractor=site:*", "host=*.fr"])
    document = {"host": "www.marmiton.fr", "provenance": {"extractor": "site:Marmiton"}}
    assert select(document, make_config(), where=where)
    assert not select({**document, "host": "bbc.co.uk"}, make_config(), where=where)
    assert not select({"host": "a.fr"}, make_config(), where=where)
    with pytest.raises(ConfigError, match=r"^--where 'colour=red': unknown field 'colour' \(fields: extractor"):
        parse_where(["colour=red"])
    with pytest.raises(ConfigError, match="expected field=value"):
        parse_where(["extractor"])
