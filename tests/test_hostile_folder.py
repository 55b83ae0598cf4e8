"""Issue 13, items 1, 2, 9, 12, 17: the output folder, the catalog and the store, attacked.

The contract, each case against real files, real SQLite, a real loopback site and real Ray:

* item 1: `list`, `show` and `check` change nothing in the folder (no temp file deleted, no
  corrupt file moved, no database file created); a writer removes only its own stale temp files;
* item 2: a page's canonical link on another site (registrable domain) is not an index key, so
  it cannot take over that site's URL, in a batch run or through `serve`;
* item 9: a full disk (a real ENOSPC, on a small tmpfs) stops the batch with one line, the
  rest `cancelled`, no traceback, and never sets the catalog database aside as corrupt;
* item 12: `check --repair` fixes what it reports, or names what it could not fix and exits 1;
* item 17: recipe files honour the umask, like the reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from ray_import import run_import
from ray_import.cli import cli
from ray_import.config import ImportConfig
from ray_import.demo.site import SampleSite
from ray_import.errors import CatalogError
from ray_import.results import ImportResult
from ray_import.store import DB_NAME, STATE_DIR, RecipeStore, recipe_keys
from tests.test_bad_input import CONTROL_PAGE, FAST_FETCH

REPO = Path(__file__).resolve().parent.parent


def _doc(url: str, title: str, **extra) -> dict:
    return {"format_version": 1, "slug": "", "source_url": url, "canonical_url": None, "title": title,
            "provenance": {"final_url": url, "imported_at": "2026-01-01T00:00:00+00:00"}, **extra}


def _seed(folder: Path) -> None:
    """One recipe, written and closed (a connection left to the garbage collector closes, and
    checkpoints its WAL, at any later moment)."""
    store = RecipeStore(folder)
    store.write("pie", _doc("https://example.com/pie", "Pie") | {"slug": "pie"})
    store.close()


def _tree(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under `folder`, with its bytes, mtime and mode."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(*args: str):
    return CliRunner().invoke(cli, [*args])


# -- item 1: read-only commands leave the folder alone --------------------------------------------

def test_list_show_and_check_change_nothing_in_the_folder(tmp_path: Path):
    folder = tmp_path / "s"
    store = RecipeStore(folder)
    store.write("pie", _doc("https://example.com/pie", "Pie") | {"slug": "pie"})
    store.close()
    (folder / ".tmp-notes").write_text("keep\n")  # someone else's file
    (folder / ".tmp-pie-0123456789ab.ray-import").write_text("{half")  # a write in progress
    (folder / "x.recipe.json").write_text('{"a":1}')  # not a recipe
    # Added by hand, so the index is stale: a reader must still answer with it.
    tart = _doc("https://example.com/tart", "Tart") | {"slug": "tart"}
    (folder / "tart.recipe.json").write_text(json.dumps(tart))
    before = _tree(folder)

    listed = _cli("list", "--out", str(folder))
    as_json = _cli("list", "--out", str(folder), "--json")
    shown = _cli("show", "pie", "--out", str(folder))
    checked = _cli("check", "--out", str(folder))

    assert _tree(folder) == before
    assert listed.exit_code == 0, listed.output
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["pie", "tart"]
    assert "x.recipe.json" in listed.stderr and "not a valid recipe file" in listed.stderr
    assert [json.loads(line)["slug"] for line in as_json.stdout.splitlines()] == ["pie", "tart"]
    assert json.loads(shown.stdout)["title"] == "Pie"
    assert checked.exit_code == 1
    assert "problem: x.recipe.json: not a valid recipe file" in checked.output
    assert "Traceback" not in checked.output + listed.output


def test_a_reader_copes_with_a_corrupt_database_and_leaves_it(tmp_path: Path):
    folder = tmp_path / "s"
    _seed(folder)
    (folder / STATE_DIR / DB_NAME).write_bytes(b"not SQLite at all" * 100)
    before = _tree(folder)

    listed = _cli("list", "--out", str(folder))
    checked = _cli("check", "--out", str(folder))

    assert _tree(folder) == before
    assert listed.stdout.split("\t")[0] == "pie"
    assert checked.exit_code == 1 and "catalog.sqlite3: unusable" in checked.output


def test_a_writer_removes_only_its_own_stale_temp_files(tmp_path: Path):
    folder = tmp_path / "s"
    folder.mkdir()
    old = time.time() - 7200
    names = {
        "theirs_old": ".tmp-notes",
        "mkstemp_like_old": ".tmp-pie-abc123",
        "ours_young": ".tmp-pie-0123456789ab.ray-import",
        "ours_old": ".tmp-tart-ba9876543210.ray-import",
    }
    for key, name in names.items():
        (folder / name).write_text("x")
        if key.endswith("_old"):
            os.utime(folder / name, (old, old))

    RecipeStore(folder)

    left = {key for key, name in names.items() if (folder / name).exists()}
    assert left == {"theirs_old", "mkstemp_like_old", "ours_young"}


def test_listing_in_a_loop_while_saving_loses_no_save(tmp_path: Path):
    """`ray-import list` in a loop beside an import used to delete the import's temp files."""
    folder = tmp_path / "r"
    writer = RecipeStore(folder)
    done = threading.Event()
    listings = []

    def list_forever() -> None:
        while not done.is_set():
            listings.append(_cli("list", "--out", str(folder)).exit_code)

    thread = threading.Thread(target=list_forever)
    thread.start()
    try:
        for i in range(150):
            writer.write(f"pie-{i}", _doc(f"https://example.com/pie/{i}", f"Pie {i}"))
    finally:
        done.set()
        thread.join()
    assert writer.count() == 150 and listings and set(listings) == {0}
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


# -- item 2: a canonical link on another site is not an index key ---------------------------------

def _recipe_page(title: str, canonical: str | None = None) -> bytes:
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return (CONTROL_PAGE.format(n=0).replace("Control Recipe 0", title)
            .replace("</head>", f"{link}</head>")).encode("utf-8")


class _Sites:
    """A forward proxy on 127.0.0.1 that plays several sites: (host, path) → page."""

    def __init__(self, pages: dict[tuple[str, str], bytes]) -> None:
        pages_ = pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                body = pages_.get((parts.hostname or "", parts.path))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.proxy = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


ATTACKER = "http://attacker.example/pie"
VICTIM = "http://victim.example/victim-pie"
SAME_SITE = "http://print.victim.example/print/victim-pie"


@pytest.fixture(scope="module")
def sites():
    server = _Sites({
        ("attacker.example", "/pie"): _recipe_page("Attacker Pie", canonical=VICTIM),
        ("victim.example", "/victim-pie"): _recipe_page("Victim Pie"),
        ("print.victim.example", "/print/victim-pie"): _recipe_page("Victim Pie", canonical=VICTIM),
    })
    yield server
    server.close()


def _proxied(sites: _Sites, out: Path) -> ImportConfig:
    return ImportConfig(out=out, fetch={**FAST_FETCH, "proxy": sites.proxy})


def _results(urls: list[str], cfg: ImportConfig) -> dict[str, ImportResult]:
    results: list[ImportResult] = []
    run_import(urls, cfg, on_result=results.append)
    return {r.url: r for r in results}


@pytest.mark.parametrize(("page", "canonical", "same"), [
    ("https://www.bbc.co.uk/food/pie", "https://bbc.co.uk/pie", True),
    ("https://food.bbc.co.uk/pie", "https://www.bbc.co.uk/pie", True),
    ("http://127.0.0.1:8000/pie", "http://127.0.0.1:9000/pie", True),  # ports do not matter
    ("https://xn--bcher-kva.example/pie", "https://www.bücher.example/pie", True),
    ("https://alice.github.io/pie", "https://bob.github.io/pie", False),  # a public suffix
    ("https://example.co.uk/pie", "https://other.co.uk/pie", False),
    ("http://127.0.0.1/pie", "http://localhost/pie", False),
    ("https://example.com/pie", "/pie", False),  # no host: nothing to trust
])
def test_same_site_is_the_registrable_domain(page: str, canonical: str, same: bool):
    keys = recipe_keys(_doc(page, "Pie", canonical_url=canonical))
    assert (len(keys) == 2) is same, keys


@pytest.mark.usefixtures("ray_session")
def test_a_canonical_link_to_another_site_does_not_take_over_its_url(sites, tmp_path: Path):
    cfg = _proxied(sites, tmp_path / "recipes")
    attacker = _results([ATTACKER], cfg)[ATTACKER]
    assert attacker.status == "imported", attacker.one_line()

    victim = _results([VICTIM], cfg)[VICTIM]

    assert victim.status == "imported", victim.one_line()
    assert victim.slug != attacker.slug
    saved = json.loads((tmp_path / "recipes" / f"{victim.slug}.recipe.json").read_text("utf-8"))
    assert (saved["title"], saved["source_url"]) == ("Victim Pie", VICTIM)
    # The attacker's file keeps what its page declared; it is just not a key for it.
    attacker_doc = json.loads((tmp_path / "recipes" / f"{attacker.slug}.recipe.json").read_text("utf-8"))
    assert attacker_doc["canonical_url"] == VICTIM
    assert "victim.example/victim-pie" not in recipe_keys(attacker_doc)


@pytest.mark.usefixtures("ray_session")
def test_a_canonical_link_within_the_same_site_still_finds_the_page(sites, tmp_path: Path):
    cfg = _proxied(sites, tmp_path / "recipes")
    first = _results([VICTIM], cfg)[VICTIM]
    again = _results([SAME_SITE], cfg)[SAME_SITE]
    assert (first.status, again.status, again.slug) == ("imported", "duplicate", first.slug)


@pytest.mark.usefixtures("ray_session")
def test_serve_does_not_answer_another_sites_url_with_the_attackers_recipe(sites, tmp_path: Path):
    from ray_import import BackgroundServer

    cfg = _proxied(sites, tmp_path / "served")
    with BackgroundServer(cfg) as api, httpx.Client(base_url=api.url, trust_env=False, timeout=30) as http:
        def imported(url: str) -> dict:
            record = http.post("/api/recipes", json={"url": url}).json()
            deadline = time.monotonic() + 60
            while record["status"] in ("queued", "running") and time.monotonic() < deadline:
                time.sleep(0.1)
                record = http.get(f"/api/recipes/progress/{record['progressId']}").json()
            return record

        attacker = imported(ATTACKER)
        assert attacker["status"] == "imported", attacker
        posted = http.post("/api/recipes", json={"url": VICTIM})
        assert posted.json()["status"] != "exists", posted.json()
        victim = imported(VICTIM)
        assert victim["status"] == "imported", victim
        recipe = http.get(f"/api/recipes/{victim['slug']}").json()
    assert recipe["title"] == "Victim Pie"


def test_an_index_built_under_the_old_rule_is_rebuilt(tmp_path: Path):
    """A folder indexed by an earlier version holds the attacker's key: it must not survive."""
    import sqlite3

    folder = tmp_path / "s"
    store = RecipeStore(folder)
    store.write("attacker-pie", _doc(ATTACKER, "Attacker Pie", canonical_url=VICTIM))
    store.add_alias("victim.example/victim-pie", "attacker-pie")  # what the old rule indexed
    store.close()
    with sqlite3.connect(folder / STATE_DIR / DB_NAME) as db:
        db.execute("DELETE FROM meta WHERE key='keys_version'")
    assert RecipeStore(folder).lookup("victim.example/victim-pie") is None


# -- item 9: a full disk ---------------------------------------------------------------------------

@contextlib.contextmanager
def _small_disk(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root to mount")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        # Lazy: the catalog actor of a folder on it lives as long as the Ray session.
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(disk: Path, leave: int = 0) -> Path:
    """Take all the free space of `disk` but about `leave` bytes."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb", buffering=0) as handle:
        try:
            handle.write(b"\0" * max(0, free - leave))
            if not leave:
                while True:
                    handle.write(b"\0" * 4096)
                    handle.flush()
        except OSError:
            pass
    return filler


@pytest.fixture(scope="module")
def control_site(tmp_path_factory):
    pages = tmp_path_factory.mktemp("disk-pages")
    for n in range(1, 41):
        (pages / f"control-{n:03d}.html").write_text(CONTROL_PAGE.format(n=n), "utf-8")
    with SampleSite(pages_dir=pages) as site:
        yield site


def _config_file(tmp_path: Path) -> Path:
    path = tmp_path / "fast.toml"
    path.write_text("[fetch]\n" + "".join(f"{k} = {v}\n" for k, v in FAST_FETCH.items()))
    return path


def _assert_index_kept(out: Path) -> None:
    state = out / STATE_DIR
    assert (state / DB_NAME).is_file()
    assert not list(state.glob(f"{DB_NAME}.corrupt-*")), "a full disk is not corruption"


@pytest.mark.usefixtures("ray_session")
def test_a_full_disk_stops_the_batch_with_one_line_and_keeps_the_index(control_site, tmp_path: Path):
    # 8 MB: once the filler is gone, room for the rerun's WAL (up to 1000 pages before a checkpoint).
    with _small_disk(tmp_path / "disk", "8m") as disk:
        out = disk / "recipes"
        urls = control_site.urls()
        seeded = _results(urls[:2], ImportConfig(out=out, fetch=FAST_FETCH))
        assert {r.status for r in seeded.values()} == {"imported"}
        filler = _fill(disk, leave=24 * 1024)
        (url_file := tmp_path / "urls.txt").write_text("\n".join(urls[2:]) + "\n")
        report = tmp_path / "report.json"  # beside the full disk: the report can be written

        result = _cli("run", str(url_file), "--out", str(out), "--config", str(_config_file(tmp_path)),
                      "--report", str(report), "-q", "--max-in-flight", "4")

        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        stopped = [line for line in result.output.splitlines() if line.startswith("disk full: ")]
        assert len(stopped) == 1 and "batch stopped" in stopped[0], result.output
        data = json.loads(report.read_text("utf-8"))
        statuses = [r["status"] for r in data["results"]]
        assert len(statuses) == len(urls) - 2  # every URL accounted for
        assert data["errors_by_kind"].get("disk_full", 0) >= 1
        assert statuses.count("cancelled") >= 1, data["counts"]
        assert set(statuses) <= {"imported", "failed", "cancelled"}
        _assert_index_kept(out)
        imported = [r["slug"] for r in data["results"] if r["status"] == "imported"]

        # Nothing saved is lost; with room again, the same command imports only what is missing.
        filler.unlink()
        listed = _cli("list", "--out", str(out))
        assert {line.split("\t")[0] for line in listed.stdout.splitlines()} >= {
            *imported, *(r.slug for r in seeded.values())}
        again = _cli("run", str(url_file), "--out", str(out), "--config", str(_config_file(tmp_path)),
                     "--report", str(tmp_path / "again.json"), "-q")
        assert again.exit_code == 0, again.output
        counts = json.loads((tmp_path / "again.json").read_text("utf-8"))["counts"]
        expected = {"exists": len(imported), "imported": len(urls) - 2 - len(imported)}
        assert counts == {status: n for status, n in expected.items() if n}


@pytest.mark.usefixtures("ray_session")
def test_a_report_that_cannot_be_written_is_one_line_not_a_traceback(control_site, tmp_path: Path):
    with _small_disk(tmp_path / "disk", "1m") as disk:
        out = disk / "recipes"
        urls = control_site.urls()
        assert _results(urls[:1], ImportConfig(out=out, fetch=FAST_FETCH))[urls[0]].status == "imported"
        _fill(disk)
        (url_file := tmp_path / "urls.txt").write_text("\n".join(urls[1:6]) + "\n")

        result = _cli("run", str(url_file), "--out", str(out), "--config", str(_config_file(tmp_path)), "-q")

        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        lines = result.output.splitlines()
        assert len([line for line in lines if line.startswith("disk full: ")]) == 1, result.output
        assert [line for line in lines if line.startswith("cannot write the report ")], result.output
        assert not [line for line in lines if line.startswith("report: ")]
        _assert_index_kept(out)


@pytest.mark.usefixtures("ray_session")
def test_a_full_disk_when_a_run_opens_the_folder_is_one_line(control_site, tmp_path: Path):
    with _small_disk(tmp_path / "disk", "1m") as disk:
        out = disk / "recipes"
        urls = control_site.urls()
        assert _results(urls[:1], ImportConfig(out=out, fetch=FAST_FETCH))[urls[0]].status == "imported"
        # Added by hand while the disk fills up: the next run must index it first, and cannot.
        (out / "tart.recipe.json").write_text(json.dumps(_doc("https://example.com/tart", "Tart")))
        _fill(disk)
        (url_file := tmp_path / "urls.txt").write_text(urls[1] + "\n")

        result = _cli("run", str(url_file), "--out", str(out), "--config", str(_config_file(tmp_path)),
                      "--report", str(tmp_path / "r.json"), "-q")

        assert result.exit_code != 0, result.output
        assert "Traceback" not in result.output
        [line] = result.output.strip().splitlines()
        assert line.startswith("CatalogError: disk full: ") and str(out) in line, line
        _assert_index_kept(out)


def test_a_database_on_a_full_disk_is_not_set_aside_as_corrupt(tmp_path: Path):
    with _small_disk(tmp_path / "disk", "256k") as disk:
        folder = disk / "recipes"
        store = RecipeStore(folder)
        store.write("pie", _doc("https://example.com/pie", "Pie") | {"slug": "pie"})
        store.close()
        (folder / "tart.recipe.json").write_text(json.dumps(_doc("https://example.com/tart", "Tart")))
        before = (folder / STATE_DIR / DB_NAME).read_bytes()
        filler = _fill(disk)

        with pytest.raises(CatalogError, match="disk full") as caught:
            RecipeStore(folder)

        assert "\n" not in str(caught.value) and str(folder) in str(caught.value)
        assert (folder / STATE_DIR / DB_NAME).read_bytes() == before
        assert not list((folder / STATE_DIR).glob(f"{DB_NAME}.corrupt-*"))
        filler.unlink()
        again = RecipeStore(folder)
        assert (again.lookup("example.com/pie"), again.lookup("example.com/tart")) == ("pie", "tart")


# -- item 12: check --repair fixes what it reports ------------------------------------------------

def test_check_repair_really_fixes_slug_mismatches_and_duplicate_urls(tmp_path: Path):
    folder = tmp_path / "r"
    store = RecipeStore(folder)
    store.write("pie", _doc("https://example.com/pie", "Pie") | {"slug": "pie"})
    store.write("tart", _doc("https://example.com/tart", "Tart") | {"slug": "tart"})
    store.close()
    copy = (folder / "pie.recipe.json").read_bytes()
    (folder / "pie-copy.recipe.json").write_bytes(copy)  # same URL, slug field says "pie"
    tart = json.loads((folder / "tart.recipe.json").read_text()) | {"slug": "other"}
    (folder / "tart.recipe.json").write_text(json.dumps(tart))
    (folder / "Apple Cake.recipe.json").write_text(json.dumps(_doc("https://example.com/cake", "Apple Cake")))

    first = _cli("check", "--out", str(folder))
    repaired = _cli("check", "--out", str(folder), "--repair")
    second = _cli("check", "--out", str(folder))

    assert first.exit_code == 1
    assert "pie-copy.recipe.json: same URL as pie.recipe.json (example.com/pie)" in first.output
    assert "tart.recipe.json: its slug field is 'other'" in first.output
    assert repaired.exit_code == 0, repaired.output
    assert "(repaired)" in repaired.output
    assert second.exit_code == 0 and "problem" not in second.output, second.output
    # What the repair did, on disk: nothing deleted, the newer copy set aside byte for byte.
    assert (folder / STATE_DIR / "duplicates" / "pie-copy.recipe.json").read_bytes() == copy
    assert json.loads((folder / "tart.recipe.json").read_text())["slug"] == "tart"
    assert json.loads((folder / "apple-cake.recipe.json").read_text())["slug"] == "apple-cake"
    assert sorted(p.name for p in folder.glob("*.recipe.json")) == [
        "apple-cake.recipe.json", "pie.recipe.json", "tart.recipe.json"]
    reopened = RecipeStore(folder, readonly=True)
    assert reopened.lookup("example.com/pie") == "pie"
    assert reopened.lookup("example.com/cake") == "apple-cake"


def test_check_repair_names_what_it_cannot_fix_and_exits_1(tmp_path: Path):
    folder = tmp_path / "r"
    _seed(folder)
    # Python's json reads NaN, but a recipe file must be strict JSON: this one cannot be rewritten.
    (folder / "tart.recipe.json").write_text('{"source_url": "https://example.com/tart", "slug": "x", '
                                             '"title": "Tart", "servings": NaN}')

    repaired = _cli("check", "--out", str(folder), "--repair")
    second = _cli("check", "--out", str(folder))

    assert repaired.exit_code == 1, repaired.output
    assert "(repaired)" not in repaired.output
    assert "not repaired: tart.recipe.json: cannot repair" in repaired.output
    assert second.exit_code == 1 and "tart.recipe.json: its slug field is 'x'" in second.output


# -- item 17: recipe files honour the umask -------------------------------------------------------

UMASK_WRITE = r"""
import os, sys
from ray_import.store import RecipeStore
os.umask(int(sys.argv[2], 8))
RecipeStore(sys.argv[1]).write("pie", {"source_url": "https://example.com/pie", "title": "Pie"})
"""


@pytest.mark.parametrize(("umask", "mode"), [("022", 0o644), ("027", 0o640), ("002", 0o664)])
def test_recipe_files_are_created_0666_less_the_umask(tmp_path: Path, umask: str, mode: int):
    done = subprocess.run([sys.executable, "-c", UMASK_WRITE, str(tmp_path), umask], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tmp_path / "pie.recipe.json").stat().st_mode) == mode


@pytest.mark.usefixtures("ray_session")
def test_a_run_writes_recipes_with_the_same_mode_as_its_report(control_site, tmp_path: Path):
    out, report = tmp_path / "recipes", tmp_path / "report.json"
    summary = run_import(control_site.urls()[:1], ImportConfig(out=out, fetch=FAST_FETCH), report_path=report)
    assert summary.counts == {"imported": 1}
    [recipe] = out.glob("*.recipe.json")
    assert stat.S_IMODE(recipe.stat().st_mode) == stat.S_IMODE(report.stat().st_mode)
