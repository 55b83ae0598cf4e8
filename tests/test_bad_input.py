"""Reliability item 6: bad input, each case through the real pipeline.

Real Ray (`ray_session`), real HTTP on 127.0.0.1, real files. Every case runs a batch of the bad
input plus one good "control" URL into one shared output folder that was seeded with real recipes
first, and checks that:

* the bad input gets its status and error kind, and a one-line message naming it (URL or line);
* the batch goes on: the control URL of the same batch is imported;
* nothing saved before is lost or changed (bytes and mtime of every earlier file).

Pages with bad content live in `tests/bad_inputs/pages/` and are served by a second SampleSite.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from ray_import import run_import
from ray_import.cli import cli
from ray_import.config import ImportConfig
from ray_import.demo.site import SampleSite
from ray_import.errors import CatalogError
from ray_import.results import ImportResult, printable
from ray_import.slugs import MAX_LENGTH

pytestmark = pytest.mark.usefixtures("ray_session")

PAGES = Path(__file__).parent / "bad_inputs" / "pages"
FAST_FETCH = {"connect_timeout_s": 2, "read_timeout_s": 5, "total_timeout_s": 10, "backoff_base_s": 0.05,
              "backoff_max_s": 0.2, "per_host_interval_s": 0, "per_host_concurrency": 8}
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CONTROL_PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><script type="application/ld+json">'
                '{{"@context": "https://schema.org", "@type": "Recipe", "name": "Control Recipe {n}", '
                '"recipeIngredient": ["1 cup water"], "recipeInstructions": "Boil the water."}}'
                "</script></head><body></body></html>")


# -- fixtures and helpers ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def bad_site():
    with SampleSite(pages_dir=PAGES) as site:
        yield site


@dataclass
class Shelf:
    """The shared output folder, and a supply of good pages never imported before."""

    cfg: ImportConfig
    config_file: Path  # the same fast fetch settings, for the CLI
    control_site: SampleSite
    seeded: list[str]
    used: int = 0

    @property
    def out(self) -> Path:
        return Path(self.cfg.out)

    def control(self) -> str:
        self.used += 1
        return f"{self.control_site.base_url}/recipes/control-{self.used:03d}.html"


@pytest.fixture(scope="module")
def shelf(ray_session, sample_site, tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-input")
    (pages := root / "control-pages").mkdir()
    for n in range(1, 100):
        (pages / f"control-{n:03d}.html").write_text(CONTROL_PAGE.format(n=n), "utf-8")
    cfg = ImportConfig(out=root / "recipes", fetch=FAST_FETCH)
    config_file = root / "fast.toml"
    config_file.write_text("[fetch]\n" + "".join(f"{k} = {v}\n" for k, v in FAST_FETCH.items()))
    seeded = [u for u in sample_site.urls() if "nodata-" not in u][:3]
    with SampleSite(pages_dir=pages) as control_site:
        assert run_import(seeded, cfg).counts == {"imported": 3}
        yield Shelf(cfg, config_file, control_site, seeded)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.glob("*.recipe.json")}


def _unchanged(before: dict[str, tuple[bytes, int]], folder: Path) -> None:
    after = _snapshot(folder)
    lost_or_changed = sorted(name for name, state in before.items() if after.get(name) != state)
    assert not lost_or_changed, f"files saved before were lost or changed: {lost_or_changed}"


def _import(shelf: Shelf, urls: list[str]) -> tuple[dict[str, ImportResult], int, float]:
    """Run one batch into the shelf: results by URL, files added, seconds."""
    before = _snapshot(shelf.out)
    results: list[ImportResult] = []
    started = time.monotonic()
    run_import(urls, shelf.cfg, on_result=results.append)
    seconds = time.monotonic() - started
    _unchanged(before, shelf.out)
    assert sorted(r.url for r in results) == sorted(urls)
    return {r.url: r for r in results}, len(_snapshot(shelf.out)) - len(before), seconds


def _assert_one_line(result: ImportResult, *names: str) -> None:
    line = result.one_line()
    assert len(line.splitlines()) == 1, f"not one line: {line!r}"
    for name in names:
        assert printable(name) in line, f"{name!r} is not named in {line!r}"


def _document(shelf: Shelf, slug: str) -> dict:
    return json.loads((shelf.out / f"{slug}.recipe.json").read_text("utf-8"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- URLs and pages ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    url: str  # {bad}: the bad-input site, {refused}: a port nothing listens on
    status: str
    kind: str | None = None
    slug: str | None = None  # a regex the slug must match in full
    title: str | None = None
    doc: dict = field(default_factory=dict)  # fields of the saved document
    max_s: float | None = None


def case(id_: str, url: str, status: str = "failed", kind: str | None = None, **kw):
    return pytest.param(Case(url, status, kind, **kw), id=id_)


def page(name: str) -> str:
    return f"{{bad}}/recipes/{name}.html"


CASES = [
    # Malformed URLs: refused at claim time, before any task.
    case("url-no-colon", "http//x", kind="invalid_url"),
    case("url-no-host", "http://", kind="invalid_url"),
    case("url-no-scheme", "://x", kind="invalid_url"),
    case("url-words", "not a url", kind="invalid_url"),
    case("url-with-spaces", "http://example.com/my apple pie.html", kind="invalid_url"),
    case("url-9000-chars", "http://example.com/" + "a" * (9000 - 19), kind="invalid_url"),
    case("url-unclosed-ipv6", "http://[::1", kind="invalid_url"),
    case("url-port-out-of-range", "http://127.0.0.1:99999/x", kind="invalid_url"),
    case("url-with-newline", "http://example.com/a\nb.html", kind="invalid_url"),
    # Schemes that are not http(s).
    case("scheme-file", "file:///etc/passwd", kind="invalid_url"),
    case("scheme-ftp", "ftp://ftp.example.com/pie.html", kind="invalid_url"),
    case("scheme-javascript", "javascript:alert(1)", kind="invalid_url"),
    case("scheme-data", "data:text/html,<h1>pie</h1>", kind="invalid_url"),
    case("scheme-mailto", "mailto:cook@example.com", kind="invalid_url"),
    case("redirect-to-file", "{bad}/redirect-to?url=file:///etc/passwd", kind="invalid_url"),
    # The network.
    case("host-does-not-resolve", "http://nonexistent.invalid/x", kind="connect"),
    case("port-refuses", "http://127.0.0.1:{refused}/x", kind="connect"),
    case("http-404", "{bad}/status/404", kind="http_error"),
    case("http-410", "{bad}/status/410", kind="http_error"),
    case("redirect-loop-too-long", "{bad}/redirect/9", kind="http_error"),
    # Content that is not an HTML page, or too much of it.
    case("type-pdf", "{bad}/type/pdf", kind="not_html"),
    case("type-image", "{bad}/type/png", kind="not_html"),
    case("type-json", "{bad}/type/json", kind="not_html"),
    case("body-50-mb", "{bad}/bytes/50000000", kind="too_large", max_s=10),
    case("gzip-bomb", "{bad}/gzip-bomb", kind="too_large", max_s=10),
    case("empty-page", "{bad}/empty", kind="not_a_recipe"),
    # Charsets: the declared one is trusted only when the bytes decode cleanly with it.
    case("charset-latin1-header", "{bad}/charset/latin1", "imported", title="Gâteau au yaourt de grand-mère"),
    case("charset-cp1252-meta", "{bad}/charset/meta", "imported", title="Œufs cocotte à la crème"),
    case("charset-declared-utf8-is-cp1252", page("wrong-charset"), "imported",
         title="Gâteau basque à l’ancienne – façon Irène", slug="gateau-basque-a-lancienne-facon-irene"),
    case("invalid-utf8-bytes-in-page", page("invalid-utf8"), "imported",
         title="Crème brûlée with a stray byte", slug="creme-brulee-with-a-stray-byte"),
    # Structured data: several recipes, deep nesting, syntax errors, wrong types.
    case("two-recipe-blocks", page("two-recipes"), "imported", title="First Of Two Pies",
         slug="first-of-two-pies"),
    case("deep-nesting-in-recipe", page("deep-nesting-inside"), kind="not_a_recipe"),
    case("deep-nesting-beside-recipe", page("deep-nesting"), "imported", title="Deep Nest Dumplings"),
    case("jsonld-syntax-error", page("syntax-error"), kind="not_a_recipe"),
    case("jsonld-syntax-error-beside-recipe", page("syntax-error-and-recipe"), "imported",
         title="Survivor Shortbread"),
    case("ingredients-a-number", page("ingredient-number"), "imported", title="Number Ingredient Bread",
         doc={"ingredients": [], "instructions": ["Mix everything.", "Bake for 20 minutes."]}),
    case("name-a-list", page("name-list"), kind="not_a_recipe"),
    case("name-an-object", page("name-object"), kind="not_a_recipe"),
    case("instructions-a-dict", page("instructions-dict"), "imported", title="Dict Steps Soup",
         doc={"instructions": ["Stir once."]}),
    case("total-time-negative", page("time-negative"), "imported", title="Negative Time Tart",
         doc={"total_time": None, "prep_time": None}),
    case("total-time-banana", page("time-banana"), "imported", title="Banana Time Bread",
         doc={"total_time": None, "cook_time": None}),
    # Titles that make awkward slugs.
    case("title-only-punctuation", page("title-bangs"), "imported", title="!!!", slug=r"recipe(-\d+)?"),
    case("title-japanese", page("title-japanese"), "imported", title="日本", slug="ri-ben"),
    case("title-only-emoji", page("title-emoji"), "imported", title="🍰🍰", slug=r"recipe(-\d+)?"),
    case("title-dot-dot", page("title-dotdot"), "imported", title="..", slug=r"recipe(-\d+)?"),
    case("title-reserved-con", page("title-con"), "imported", title="CON", slug="con-recipe"),
    case("title-reserved-nul", page("title-nul"), "imported", title="nul", slug="nul-recipe"),
    case("title-300-chars", page("title-long"), "imported", slug=r"extraordinarily(-extraordinarily)*"),
]


@pytest.mark.parametrize("c", CASES)
def test_bad_url_or_page(c: Case, shelf, bad_site):
    url = c.url.format(bad=bad_site.base_url, refused=_free_port())
    control = shelf.control()

    by_url, added, seconds = _import(shelf, [url, control])

    result = by_url[url]
    assert (result.status, result.error_kind) == (c.status, c.kind), result.one_line()
    assert by_url[control].status == "imported", by_url[control].one_line()
    _assert_one_line(result, url)
    if c.max_s:
        assert seconds < c.max_s
    if c.status != "imported":
        assert result.error and result.slug is None
        assert added == 1  # the control's file only
        return
    assert added == 2
    assert SLUG.fullmatch(result.slug) and len(result.slug) <= MAX_LENGTH
    if c.slug:
        assert re.fullmatch(c.slug, result.slug), result.slug
    document = _document(shelf, result.slug)
    assert (document["slug"], document["source_url"]) == (result.slug, url)
    if c.title:
        assert document["title"] == c.title
    assert {k: document.get(k) for k in c.doc} == c.doc


def test_two_pages_with_the_same_title_get_slug_and_slug_2(shelf, bad_site):
    # Two different recipes (twin-b has 2 pinches of salt): one recipe under two URLs would be a
    # `duplicate` (issue 18).
    twins = [f"{bad_site.base_url}/recipes/twin-{x}.html" for x in "ab"]
    control = shelf.control()
    by_url, added, _ = _import(shelf, [*twins, control])
    assert added == 3 and by_url[control].status == "imported"
    assert sorted(by_url[u].slug for u in twins) == ["twin-title-tart", "twin-title-tart-2"]
    for url in twins:
        assert _document(shelf, by_url[url].slug)["source_url"] == url


# -- URL files through the CLI ----------------------------------------------------------------

def _cli_run(shelf: Shelf, url_file: Path, out: Path | None = None, report: Path | None = None):
    report = report or url_file.with_suffix(".report.json")
    args = ["run", str(url_file), "--out", str(out or shelf.out), "--config", str(shelf.config_file),
            "--report", str(report), "-q"]
    started = time.monotonic()
    result = CliRunner().invoke(cli, args)
    return result, report, time.monotonic() - started


def _report_results(report: Path) -> dict[int, ImportResult]:
    rows = json.loads(report.read_text("utf-8"))["results"]
    return {row["line"]: ImportResult(**row) for row in rows}


IMPORTED, DUPLICATE, EXISTS = ("imported", None), ("duplicate", None), ("exists", None)
INVALID = ("failed", "invalid_url")
FILE_CASES = [
    pytest.param(b"\xef\xbb\xbf{good}\nftp://x/y\n", {1: IMPORTED, 2: INVALID}, id="file-utf8-bom"),
    pytest.param(b"{good}\r\nftp://x/y\r\n", {1: IMPORTED, 2: INVALID}, id="file-crlf"),
    pytest.param(b"\xef\xbb\xbf# my list\r\n\r\n   \r\n{good}\r\n\t# indented\r\n \t \r\nhttp//x\r\n",
                 {4: IMPORTED, 7: INVALID}, id="file-blank-lines-and-comments"),
    pytest.param(b"{good}\n{good}?utm_source=news&fbclid=abc\n{good}#top\n{GOOD}\n{seeded}\n{seeded}?gclid=9\n",
                 {1: IMPORTED, 2: DUPLICATE, 3: DUPLICATE, 4: DUPLICATE, 5: EXISTS, 6: DUPLICATE},
                 id="file-duplicates-and-tracking-variants"),
    pytest.param(b"{good}\nnot a url\nhttp//x\n", {1: IMPORTED, 2: INVALID, 3: INVALID}, id="file-invalid-lines"),
    pytest.param(b"http://example.com/caf\xe9-cr\xe8me.html\n{good}\n\xff\xfe\n", {1: INVALID, 2: IMPORTED, 3: INVALID},
                 id="file-invalid-utf8-bytes"),
]


@pytest.mark.parametrize(("content", "expected"), FILE_CASES)
def test_url_file(content: bytes, expected: dict, shelf, tmp_path):
    good = shelf.control().encode()
    content = (content.replace(b"{good}", good).replace(b"{GOOD}", good.replace(b"http://", b"HTTP://"))
               .replace(b"{seeded}", shelf.seeded[0].encode()))
    (url_file := tmp_path / "urls.txt").write_bytes(content)
    before = _snapshot(shelf.out)

    result, report, _ = _cli_run(shelf, url_file)

    _unchanged(before, shelf.out)
    by_line = _report_results(report)
    assert {n: (r.status, r.error_kind) for n, r in by_line.items()} == expected
    failed = [r for r in by_line.values() if not r.ok]
    assert result.exit_code == (1 if failed else 0), result.output
    for r in failed:
        _assert_one_line(r, f"(line {r.line})")
        assert r.one_line() in result.output  # the summary lists each failure on its line
    assert "Traceback" not in result.output
    if b"\xe9" in content:
        assert "not UTF-8" in by_line[1].error


def test_100_000_line_file_of_duplicates_and_invalid_urls_is_quick(shelf, tmp_path):
    good = shelf.control()
    url_file = tmp_path / "big.txt"
    with url_file.open("w", encoding="utf-8") as handle:
        for i in range(100_000):
            handle.write(f"{good}?utm_source=s{i}\n" if i % 10 == 0 else
                         f"ftp://x/{i}\n" if i % 2 else f"not a url {i}\n")
    before = _snapshot(shelf.out)

    result, report, seconds = _cli_run(shelf, url_file)

    assert seconds < 60
    assert result.exit_code == 1, result.output
    _unchanged(before, shelf.out)
    data = json.loads(report.read_text("utf-8"))
    assert len(data["results"]) == data["total"] == 100_000
    assert data["counts"] == {"imported": 1, "duplicate": 9_999, "failed": 90_000}
    assert "... and 89980 more (see the report)" in result.output


def _assert_catalog_error_line(result, folder: Path) -> None:
    assert result.exit_code not in (0, None)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.startswith("CatalogError: ")]
    assert len(lines) == 1 and str(folder) in lines[0], result.output
    assert "Traceback" not in result.output




def test_unwritable_output_folder_is_one_clear_line(shelf, tmp_path):
    (blocker := tmp_path / "a-file").write_text("not a folder")
    (url_file := tmp_path / "urls.txt").write_text(shelf.control() + "\n")
    result, _, _ = _cli_run(shelf, url_file, out=blocker / "recipes", report=tmp_path / "r.json")
    _assert_catalog_error_line(result, blocker / "recipes")


def test_unwritable_output_folder_raises_catalog_error_from_run_import(shelf, tmp_path):
    (blocker := tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(CatalogError, match="a-file"):
        run_import([shelf.control()], shelf.cfg.model_copy(update={"out": blocker / "recipes"}))


def test_corrupt_catalog_database_is_rebuilt_and_saved_urls_exist(shelf, tmp_path):
    folder = tmp_path / "recipes"
    (folder / ".ray-import").mkdir(parents=True)
    for path in shelf.out.glob("*.recipe.json"):  # a folder of saved recipes, its index gone bad
        shutil.copy2(path, folder / path.name)
    (folder / ".ray-import" / "catalog.sqlite3").write_bytes(b"this is not SQLite \x00\xff" * 512)
    saved = {json.loads(p.read_text("utf-8"))["source_url"]: p.name.removesuffix(".recipe.json")
             for p in folder.glob("*.recipe.json")}
    seeded = [u for u in shelf.seeded if u in saved]
    assert len(seeded) == 3
    (url_file := tmp_path / "urls.txt").write_text("\n".join([*seeded, "ftp://x/y"]) + "\n")
    before = _snapshot(folder)

    result, report, _ = _cli_run(shelf, url_file, out=folder)

    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    _unchanged(before, folder)
    by_line = _report_results(report)
    assert [(r.status, r.slug) for r in by_line.values() if r.url in saved] == [
        ("exists", saved[u]) for u in seeded]
    assert by_line[4].error_kind == "invalid_url"
    assert list((folder / ".ray-import").glob("catalog.sqlite3.corrupt-*"))
    assert json.loads(report.read_text("utf-8"))["catalog"]["rebuilt"] is True
