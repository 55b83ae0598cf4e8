"""The raw-page archive and its index rows: real files, real SQLite (issue 18, item 1)."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zstandard

from ray_import import archive_index, index_db
from ray_import.archive import PageArchive, compress, decompress
from ray_import.archive_index import PageRecord, header_charset
from ray_import.errors import ArchivedPageCorrupt, PageNotArchived

PAGE = ("<html><head><title>Pie</title></head><body>" + "<p>butter, flour, apples</p>" * 200
        + "</body></html>").encode()


def _record(url: str, body: bytes, **extra) -> PageRecord:
    values = dict(key=url.split("://", 1)[1], url=url, final_url=url, status=200,
                  content_type="text/html; charset=utf-8", encoding="utf-8",
                  fetched_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                  sha256=hashlib.sha256(body).hexdigest(), size=len(body))
    return PageRecord(**{**values, **extra})


def test_a_page_is_stored_compressed_under_its_hash_once(tmp_path: Path):
    archive = PageArchive(tmp_path)
    first = archive.put(PAGE)
    sha = hashlib.sha256(PAGE).hexdigest()
    path = tmp_path / ".ray-import" / "pages" / sha[:2] / f"{sha}.zst"
    assert (first.sha256, first.size, first.new) == (sha, len(PAGE), True)
    assert path.is_file() and first.stored_size == path.stat().st_size < len(PAGE) / 5
    assert zstandard.ZstdDecompressor().decompress(path.read_bytes()) == PAGE  # `zstd -d` reads it
    mtime = path.stat().st_mtime_ns
    again = archive.put(PAGE)
    assert (again.new, again.stored_size) == (False, first.stored_size)
    assert path.stat().st_mtime_ns == mtime  # not written again
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    assert archive.get(sha) == PAGE


def test_a_page_compressed_elsewhere_is_checked_before_it_is_stored(tmp_path: Path):
    archive = PageArchive(tmp_path)
    sha = hashlib.sha256(PAGE).hexdigest()
    with pytest.raises(ValueError, match="does not hash"):
        archive.put_compressed(sha, compress(PAGE + b"tampered"))
    with pytest.raises(ValueError, match="not a zstd frame"):
        archive.put_compressed(sha, b"<html>plain</html>")
    assert not archive.has(sha)
    stored = archive.put_compressed(sha, compress(PAGE))
    assert stored.new and archive.get(sha) == PAGE


def test_reading_a_missing_or_damaged_page_says_which_and_why(tmp_path: Path):
    archive = PageArchive(tmp_path)
    sha = archive.put(PAGE).sha256
    with pytest.raises(PageNotArchived, match="not in the archive") as missing:
        archive.get("0" * 64, url="https://example.com/pie")
    assert (missing.value.kind, missing.value.url, missing.value.stage) == (
        "not_archived", "https://example.com/pie", "archive")
    path = archive.path(sha)
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ArchivedPageCorrupt, match="is corrupt"):
        archive.get(sha)
    with pytest.raises(ValueError, match="not a SHA-256"):
        archive.path("../../etc/passwd")


def test_decompress_refuses_a_frame_that_does_not_declare_its_size():
    stream = zstandard.ZstdCompressor(write_content_size=False).compressobj()
    blob = stream.compress(PAGE) + stream.flush()
    with pytest.raises(ValueError):
        decompress(blob)
    assert decompress(compress(PAGE)) == PAGE


def test_verify_reports_missing_truncated_and_altered_pages_and_a_repair_clears_them(tmp_path: Path):
    archive = PageArchive(tmp_path)
    bodies = [PAGE + f"<!-- {i} -->".encode() for i in range(4)]
    stored = [archive.put(body) for body in bodies]
    shas = [s.sha256 for s in stored]
    db = index_db.connect(tmp_path / ".ray-import" / "catalog.sqlite3")
    archive_index.ensure_schema(db)
    archive_index.put(db, [_record(f"https://example.com/p{i}", body, stored_size=s.stored_size)
                           for i, (body, s) in enumerate(zip(bodies, stored, strict=True))])
    archive_index.put(db, [_record("https://example.com/gone", b"never archived")])
    assert archive.verify(archive_index.referenced(db)).problems == [
        f".ray-import/pages/{hashlib.sha256(b'never archived').hexdigest()[:2]}/"
        f"{hashlib.sha256(b'never archived').hexdigest()}.zst: in the index but not in the archive"]

    truncated, altered = archive.path(shas[1]), archive.path(shas[2])
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    altered.write_bytes(compress(b"<html>another page</html>"))
    check = archive.verify(archive_index.referenced(db))
    assert check.corrupt == {shas[1], shas[2]}
    assert check.missing == {hashlib.sha256(b"never archived").hexdigest()}
    assert any("archived page is corrupt" in line and shas[1] in line for line in check.problems)
    assert any("does not hash to its name" in line and shas[2] in line for line in check.problems)
    # Without inflating, the sizes the rows recorded find both (an alteration of the same size
    # would need the deep check).
    shallow = archive.verify(archive_index.referenced(db), deep=False)
    assert shallow.corrupt == {shas[1], shas[2]}
    assert any(f"bytes where the index says {stored[1].stored_size}" in line for line in shallow.problems)

    # The repair: broken files set aside (never deleted), their rows dropped, URLs returned.
    for sha in check.corrupt:
        assert archive.set_aside(sha).parent == tmp_path / ".ray-import" / "corrupt" / "pages"
    urls = archive_index.forget(db, check.broken)
    assert sorted(urls) == ["https://example.com/gone", "https://example.com/p1", "https://example.com/p2"]
    after = archive.verify(archive_index.referenced(db))
    assert (after.problems, after.pages) == ([], 2)
    assert archive_index.get(db, "example.com/p1") is None
    assert archive_index.get(db, "example.com/p3").sha256 == shas[3]


def test_pages_no_row_needs_are_counted_and_pruned_and_stale_temps_cleaned(tmp_path: Path):
    archive = PageArchive(tmp_path)
    keep, drop = archive.put(PAGE).sha256, archive.put(PAGE + b"old").sha256
    bucket = archive.path(keep).parent
    stale, young = bucket / f".tmp-{keep}-{'a' * 12}.ray-import", bucket / f".tmp-{keep}-{'b' * 12}.ray-import"
    stale.write_bytes(b"half")
    young.write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert archive.verify([keep]).unreferenced == 1
    assert archive.prune([keep]) == 1
    assert not archive.has(drop) and archive.has(keep)
    assert not stale.exists() and young.exists()  # a young one may be a write in progress


def test_a_read_only_archive_reads_but_never_writes(tmp_path: Path):
    sha = PageArchive(tmp_path).put(PAGE).sha256
    readonly = PageArchive(tmp_path, readonly=True)
    assert readonly.get(sha) == PAGE
    assert readonly.put(PAGE).new is False  # already there: nothing to write
    with pytest.raises(PermissionError):
        readonly.put(b"<html>new</html>")


def test_fetch_rows_live_beside_the_catalog_index_and_survive_a_snapshot(tmp_path: Path):
    path = tmp_path / "catalog.sqlite3"
    db = index_db.connect(path)
    archive_index.ensure_schema(db)
    row = _record("https://example.com/pie", PAGE, etag='"abc"', last_modified="Tue, 01 Jul 2025 10:00:00 GMT",
                  slug="pie", stored_size=321)
    archive_index.put(db, [row, _record("https://example.com/bad", b"x", outcome="not_a_recipe")])
    assert archive_index.get(db, "example.com/pie") == row
    assert archive_index.for_slug(db, "pie") == row
    newer = row.model_copy(update={"fetched_at": datetime(2026, 2, 1, tzinfo=UTC), "sha256": "f" * 64})
    archive_index.put(db, [newer])  # a new fetch of the URL replaces its row
    assert archive_index.get(db, "example.com/pie") == newer
    assert [r.key for r in archive_index.records(db, outcome="not_a_recipe")] == ["example.com/bad"]
    assert archive_index.referenced(db) == {"f" * 64: 321, hashlib.sha256(b"x").hexdigest(): 0}
    assert archive_index.stats(db) == {"rows": 2, "pages": 2, "bytes": len(PAGE) + 1, "stored_bytes": 321}
    db.close()
    snapshot, why = index_db.snapshot(path)  # what the read-only `check` opens
    assert why == "" and archive_index.get(snapshot, "example.com/pie") == newer


@pytest.mark.parametrize(("header", "charset"), [
    ("text/html; charset=ISO-8859-1", "iso-8859-1"), ('text/html;charset="utf-8"', "utf-8"),
    ("text/html", None), ("", None)])
def test_the_charset_is_read_from_the_header_as_httpx_reads_it(header, charset):
    import httpx

    assert header_charset(header) == charset
    assert header_charset(header) == httpx.Response(200, headers={"Content-Type": header}).charset_encoding


def test_a_row_is_recovered_from_a_saved_recipe_after_the_index_is_lost():
    sha = hashlib.sha256(PAGE).hexdigest()
    document = {"source_url": "https://www.example.com/pie/", "slug": "pie",
                "provenance": {"final_url": "https://example.com/pie", "content_sha256": sha,
                               "fetched_at": "2026-01-02T03:04:05Z"}}
    row = archive_index.record_from_document(document, "pie")
    assert (row.key, row.final_url, row.sha256, row.slug, row.status) == (
        "example.com/pie", "https://example.com/pie", sha, "pie", 200)
    assert archive_index.record_from_document({"source_url": "https://example.com/x", "provenance": {}}, "x") is None
