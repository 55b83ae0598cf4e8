"""`ray-import reprocess`, recipe-level dedup and the LLM cache through the real pipeline (issue 18).

A loopback site serves a few recipe pages, a page without data (the fake LLM structures it) and
three copies of one recipe (print, AMP, another host), then is stopped: everything after that
must come from the archive and the answer cache.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from ray_import import archive_index
from ray_import.cli import cli
from ray_import.demo.fake_llm import FakeLLM
from ray_import.demo.site import PAGES_DIR
from ray_import.pipeline import run_import
from ray_import.reprocessing import reprocess
from ray_import.store import RecipeStore

pytestmark = pytest.mark.usefixtures("ray_session")

RECIPES = ["apple-crumble", "caprese-salad", "greek-salad", "hummus", "lemon-tart"]
BREAD = (PAGES_DIR / "banana-bread.html").read_text("utf-8")


def _copy(kind: str) -> str:
    """The banana bread page as a print page, an AMP page or a syndicating site shows it."""
    page = BREAD.replace('<link rel="canonical" href="/recipes/banana-bread.html">', {
        "print": "",  # a print page rarely declares one
        "amp": '<link rel="canonical" href="/amp/banana-bread">',  # its own: not the original's
        "syndicated": '<link rel="canonical" href="http://127.0.0.1/recipes/banana-bread.html">',
    }[kind])
    # Formatting the fingerprint forgets: case, punctuation, a fraction glyph, the lines' order.
    page = page.replace('"name": "Easy Banana Bread"', '"name": "EASY banana bread!"')
    page = page.replace('"3 very ripe bananas",', "").replace('"50 g walnuts, chopped"',
                                                             '"50 g Walnuts -- chopped", "3 very  ripe bananas"')
    return page.replace("<title>Easy Banana Bread | Simple Suppers</title>", f"<title>{kind} copy</title>")


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pages = {f"/recipes/{name}.html": (PAGES_DIR / f"{name}.html").read_bytes() for name in RECIPES}
        self.pages["/recipes/nodata-lemonade.html"] = (PAGES_DIR / "nodata-lemonade.html").read_bytes()
        for kind in ("print", "amp", "syndicated"):
            self.pages[f"/{kind}/banana-bread"] = _copy(kind).encode()
        self.requests = 0
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def urls(self) -> list[str]:
        port = self.server_address[1]
        return [f"http://{'localhost' if path.startswith('/syndicated') else '127.0.0.1'}:{port}{path}"
                for path in self.pages]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.requests += self.path != "/robots.txt"  # pages only (robots.txt is a 404)
        body = self.server.pages.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(body or b"not found")

    def log_message(self, *args) -> None:
        pass


def _documents(out: Path) -> dict[str, dict]:
    """Every saved recipe, less what differs on each import (times, versions)."""
    documents = {}
    for path in sorted(out.glob("*.recipe.json")):
        document = json.loads(path.read_text("utf-8"))
        for name in ("imported_at", "reprocessed_at"):
            document["provenance"].pop(name, None)
        documents[path.name] = document
    return documents


def test_a_folder_is_rebuilt_from_the_archive_with_no_request_and_no_llm_call(make_config, tmp_path):
    site = _Site()
    with FakeLLM() as fake:
        cfg = make_config(llm={"base_url": fake.base_url, "model": fake.options.model, "mode": "fallback",
                               "backoff_base_s": 0.01})
        try:
            first = run_import(site.urls(), cfg)
        finally:
            site.stop()
        requests, llm_calls = site.requests, fake.stats["requests"]
        # The print, AMP and syndicated copies: one recipe and two duplicates of it.
        assert first.counts == {"imported": len(RECIPES) + 2, "duplicate": 2}, first.counts
        results = json.loads(Path(first.report).read_text("utf-8"))["results"]
        bread = [r for r in results if r["url"].endswith("/banana-bread")]
        assert sorted(r["status"] for r in bread) == ["duplicate", "duplicate", "imported"]
        assert {r["slug"] for r in bread} == {"easy-banana-bread"}
        assert first.llm["calls"] == llm_calls == 1
        before = _documents(cfg.out)
        # Every page fetched is archived: the duplicates' too, under their own hash.
        store = RecipeStore(cfg.out, readonly=True)
        assert store.check_archive().pages == len(site.pages) == requests
        store.close()

        # The first import's result for one recipe is lost (a hand edit, an older version's bug).
        tart = cfg.out / "lemon-tart.recipe.json"
        edited = json.loads(tart.read_text("utf-8"))
        edited.update(title="Lemon", ingredients=[])
        tart.write_text(json.dumps(edited), "utf-8")

        again = reprocess(cfg)
        assert fake.stats["requests"] == llm_calls  # the page the LLM read: its answer, from the cache
    assert site.requests == requests  # and the site, stopped, was never asked
    assert again.counts == {"imported": 1, "unchanged": len(RECIPES) + 1}, again.counts
    assert again.changed == {"recipes": 1, "fields": {"ingredients": 1, "title": 1}}
    assert again.llm["cache_hits"] == 1 and again.llm["calls"] == 0
    after = _documents(cfg.out)
    assert after == before  # same slugs, same recipes
    assert json.loads(tart.read_text("utf-8"))["provenance"]["reprocessed_at"]
    assert Path(again.report).name.startswith("reprocess-")

    # The CLI: --only-changed finds every recipe made by the current versions; --where filters.
    # Nothing listens at this endpoint: every LLM answer must come from the cache.
    env = {"RAY_IMPORT_LLM__BASE_URL": "http://127.0.0.1:9/v1", "RAY_IMPORT_LLM__MODEL": fake.options.model,
           "RAY_IMPORT_LLM__MAX_ATTEMPTS": "1"}
    current = CliRunner().invoke(cli, ["reprocess", "--out", str(cfg.out), "--only-changed"], env=env)
    assert current.exit_code == 0 and re.search(r"total\s+0 ", current.output), current.output
    some = CliRunner().invoke(cli, ["reprocess", "--out", str(cfg.out), "--where", "extractor=llm:*"], env=env)
    assert some.exit_code == 0, some.output
    assert re.search(r"unchanged\s+1\n", some.output) and "reprocess: 0 recipes changed" in some.output
    bad = CliRunner().invoke(cli, ["reprocess", "--out", str(cfg.out), "--where", "colour=red"])
    assert bad.exit_code == 2 and "unknown field 'colour'" in bad.output
    nowhere = CliRunner().invoke(cli, ["reprocess", "--out", str(tmp_path / "nowhere")])
    assert nowhere.exit_code == 2 and "no output folder" in nowhere.output


def test_keep_duplicates_saves_every_copy_and_a_page_without_recipe_is_archived_too(make_config, tmp_path):
    site = _Site()
    try:
        urls = [u for u in site.urls() if "banana-bread" in u or "nodata" in u]
        summary = run_import(urls, make_config(keep_duplicates=True))
        print_url = [u for u in urls if "/print/" in u]
        unarchived = run_import(print_url, make_config(archive=False, out=tmp_path / "no-archive"))
    finally:
        site.stop()
    assert summary.counts == {"imported": 3, "failed": 1}
    assert unarchived.counts == {"imported": 1}
    assert not (tmp_path / "no-archive" / ".ray-import" / "pages").exists()
    store = RecipeStore(tmp_path / "out")  # a writer's view: the run's last rows may be in the WAL
    assert store.check_archive().pages == 4  # the failed page's bytes are kept, as the saved ones'
    assert [(r.url.rsplit("/", 1)[1], r.outcome) for r in archive_index.records(store._db, "not_a_recipe")] == [
        ("nodata-lemonade.html", "not_a_recipe")]
    store.close()


def test_reprocess_failed_tries_the_archived_pages_that_made_no_recipe_again(make_config, tmp_path):
    # Imported without an LLM, the page with no data fails and is archived; once an LLM is
    # configured (as after an upgrade), `--failed` makes it from the archive, under a new slug.
    site = _Site()
    try:
        urls = [u for u in site.urls() if "nodata" in u or "hummus" in u]
        first = run_import(urls, make_config())
    finally:
        site.stop()
    requests = site.requests
    assert first.counts == {"imported": 1, "failed": 1}
    out = make_config().out
    assert [p.name for p in out.glob("*.recipe.json")] == ["silky-hummus.recipe.json"]

    still = reprocess(make_config(), failed=True)  # no LLM yet: the page still makes no recipe
    assert still.counts == {"failed": 1}
    assert [r["error_kind"] for r in json.loads(Path(still.report).read_text("utf-8"))["results"]] == [
        "not_a_recipe"]

    with FakeLLM() as fake:
        cfg = make_config(llm={"base_url": fake.base_url, "model": fake.options.model, "mode": "fallback",
                               "backoff_base_s": 0.01})
        again = reprocess(cfg, failed=True)
        assert fake.stats["requests"] == 1
    assert site.requests == requests  # nothing fetched: the page came from the archive
    assert again.counts == {"imported": 1}, again.counts
    [result] = json.loads(Path(again.report).read_text("utf-8"))["results"]
    assert result["url"].endswith("/recipes/nodata-lemonade.html") and result["slug"]
    saved = json.loads((out / f"{result['slug']}.recipe.json").read_text("utf-8"))
    assert saved["provenance"]["extractor"].startswith("llm:") and saved["ingredients"]
    assert reprocess(make_config(), failed=True).counts == {}  # its fetch row names the recipe now

    bad = CliRunner().invoke(cli, ["reprocess", "--out", str(out), "--failed", "--only-changed"])
    assert bad.exit_code == 2 and "--failed takes no --only-changed or --where" in bad.output
