"""RecipeStore: the files are the truth, the SQLite index follows them cheaply."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from ray_import.errors import CatalogError
from ray_import.store import DB_NAME, STATE_DIR, RecipeStore, recipe_keys


def _doc(url: str, title: str = "Pie", canonical: str | None = None) -> dict:
    return {"format_version": 1, "slug": "", "source_url": url, "canonical_url": canonical,
            "title": title, "provenance": {"final_url": url}}


def test_write_is_atomic_and_indexed_under_every_url_key(tmp_path: Path):
    store = RecipeStore(tmp_path)
    store.write("pie", _doc("https://www.example.com/pie/?utm_source=x", canonical="https://example.com/p/1"))
    assert json.loads((tmp_path / "pie.recipe.json").read_text())["source_url"].startswith("https://www.")
    assert store.lookup("example.com/pie") == "pie"
    assert store.lookup("example.com/p/1") == "pie"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_reopening_a_current_folder_parses_no_file(tmp_path: Path):
    store = RecipeStore(tmp_path)
    for i in range(30):
        store.write(f"pie-{i}", _doc(f"https://example.com/pie/{i}"))
    store.close()
    again = RecipeStore(tmp_path)
    assert again.last_sync.parsed == 0
    assert again.count() == 30
    assert again.lookup("example.com/pie/7") == "pie-7"


def test_files_added_changed_or_removed_behind_its_back_are_caught_up(tmp_path: Path):
    store = RecipeStore(tmp_path)
    store.write("a", _doc("https://example.com/a"))
    store.write("b", _doc("https://example.com/b"))
    store.close()
    (tmp_path / "b.recipe.json").unlink()
    (tmp_path / "c.recipe.json").write_text(json.dumps(_doc("https://example.com/c")))
    again = RecipeStore(tmp_path)
    assert (again.last_sync.parsed, again.last_sync.removed) == (1, 1)
    assert again.lookup("example.com/b") is None
    assert again.lookup("example.com/c") == "c"


def test_corrupt_recipe_file_is_reported_and_set_aside_never_overwritten(tmp_path: Path):
    (tmp_path / "pie.recipe.json").write_text('{"truncated": ')
    store = RecipeStore(tmp_path)
    assert store.last_sync.corrupt == ["pie.recipe.json"]
    aside = tmp_path / STATE_DIR / "corrupt" / "pie.recipe.json"
    assert aside.read_text() == '{"truncated": '
    assert not (tmp_path / "pie.recipe.json").exists()
    # A second corrupt file of the same name does not overwrite the first one set aside.
    (tmp_path / "pie.recipe.json").write_text("[]")
    RecipeStore(tmp_path)
    assert aside.read_text() == '{"truncated": '
    assert (aside.parent / "pie.recipe.json.2").read_text() == "[]"


def test_check_finds_what_does_not_match_and_repair_fixes_it(tmp_path: Path):
    store = RecipeStore(tmp_path)
    store.write("a", _doc("https://example.com/a") | {"slug": "a"})
    store.write("b", _doc("https://example.com/b") | {"slug": "b"})
    assert store.check() == []
    # Edit a file behind the index's back while it is open, and drop an index row.
    (tmp_path / "b.recipe.json").write_text(json.dumps(_doc("https://example.com/a") | {"slug": "b"}))
    store._db.execute("DELETE FROM urls WHERE key='example.com/a'")
    problems = store.check()
    assert any("b.recipe.json: changed since it was indexed" in p for p in problems)
    assert any("same URL as a.recipe.json" in p for p in problems)
    assert any("URL key example.com/a missing" in p for p in problems)
    store.check(repair=True)
    # The newer of two files under one URL is moved aside (issue 13, item 12), so a second
    # check is clean.
    assert store.lookup("example.com/a") == "a"
    assert store.check() == []
    assert (tmp_path / STATE_DIR / "duplicates" / "b.recipe.json").is_file()


@pytest.mark.parametrize("garbage", [b"not a database at all" * 100, b""])
def test_corrupt_database_is_set_aside_and_rebuilt_from_files(tmp_path: Path, garbage: bytes):
    store = RecipeStore(tmp_path)
    store.write("pie", _doc("https://example.com/pie"))
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp_path / STATE_DIR / DB_NAME}{suffix}").unlink(missing_ok=True)
    (tmp_path / STATE_DIR / DB_NAME).write_bytes(garbage)
    again = RecipeStore(tmp_path)
    assert again.lookup("example.com/pie") == "pie"
    if garbage:
        assert again.last_sync.rebuilt
        assert list((tmp_path / STATE_DIR).glob(f"{DB_NAME}.corrupt-*"))


def test_leftover_temp_files_from_a_crash_are_removed(tmp_path: Path):
    # Only our own temp files, once an hour old (issue 13, item 1); tests/test_hostile_folder.py
    # checks that younger ones and other people's stay.
    (stale := tmp_path / ".tmp-pie-0123456789ab.ray-import").write_text("{half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    RecipeStore(tmp_path)
    assert not stale.exists()


def test_unwritable_folder_is_a_catalog_error(tmp_path: Path):
    if os.geteuid() == 0:
        target = tmp_path / "file-not-folder"
        target.write_text("x")
        with pytest.raises(CatalogError, match="file-not-folder"):
            RecipeStore(target / "out")
        return
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(CatalogError, match="not writable|cannot create"):
            RecipeStore(tmp_path / "out")
    finally:
        tmp_path.chmod(0o700)


def test_home_page_canonical_is_not_a_recipe_key():
    keys = recipe_keys(_doc("https://example.com/pie", canonical="https://example.com/"))
    assert keys == ["example.com/pie"]


def test_index_is_a_real_sqlite_database(tmp_path: Path):
    RecipeStore(tmp_path).write("pie", _doc("https://example.com/pie"))
    with sqlite3.connect(tmp_path / STATE_DIR / DB_NAME) as db:
        assert db.execute("SELECT slug FROM urls WHERE key='example.com/pie'").fetchone() == ("pie",)


FULL_DISK = r"""
import json, resource, signal, sys
from pathlib import Path
from ray_import.store import RecipeStore
from scraper.errors import SaveFailed

folder = Path(sys.argv[1])
store = RecipeStore(folder)
doc = lambda url, extra="": {"format_version": 1, "slug": "", "source_url": url, "title": "Pie",
                             "notes": extra, "provenance": {"final_url": url}}
store.write("small", doc("https://example.com/small"))
# Simulate a full disk: no file of this process may grow past 2 kB from now on.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
try:
    store.write("big", doc("https://example.com/big", "x" * 10_000))
except SaveFailed as exc:
    print(json.dumps({"kind": exc.kind, "message": exc.message}))
"""


def test_a_full_disk_fails_the_save_cleanly_and_keeps_what_was_saved(tmp_path: Path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    failure = json.loads(done.stdout)
    assert failure["kind"] == "save_failed"
    assert "big.recipe.json" in failure["message"] and "\n" not in failure["message"]
    assert not (tmp_path / "big.recipe.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    store = RecipeStore(tmp_path)
    assert store.lookup("example.com/small") == "small"
    assert store.lookup("example.com/big") is None
    assert json.loads((tmp_path / "small.recipe.json").read_text())["source_url"] == "https://example.com/small"
