"""Sitemap parsing (issue 17): urlset, index, .xml.gz, plain text, lastmod, and hostile files —
gzip bombs, entity declarations (XXE, billion laughs), malformed XML, pages that are not
sitemaps — each a one-line BadSitemap naming the URL."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from scraper.errors import BadSitemap
from scraper.sitemap import inflate, parse_lastmod, parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
URL = "https://example.org/sitemap.xml"


def urlset(*items: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {NS}>{"".join(items)}</urlset>'.encode()


def test_a_urlset_gives_its_page_urls_with_lastmod():
    body = urlset(
        "<url><loc> https://example.org/recipes/pie </loc><lastmod>2024-05-01</lastmod></url>",
        "<url><loc>https://example.org/recipes/tart</loc><lastmod>2024-05-01T10:30:00+02:00</lastmod>"
        "<changefreq>weekly</changefreq></url>",
    )
    sitemap = parse_sitemap(body, url=URL)
    assert sitemap.kind == "urlset"
    assert [(e.url, e.lastmod) for e in sitemap.entries] == [
        ("https://example.org/recipes/pie", datetime(2024, 5, 1, tzinfo=UTC)),
        ("https://example.org/recipes/tart", datetime(2024, 5, 1, 8, 30, tzinfo=UTC)),
    ]


def test_an_image_extension_loc_is_not_a_page():
    body = (f'<urlset {NS} xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
            "<url><loc>https://example.org/recipes/pie</loc><image:image>"
            "<image:loc>https://example.org/pie.jpg</image:loc></image:image></url></urlset>").encode()
    assert [e.url for e in parse_sitemap(body, url=URL).entries] == ["https://example.org/recipes/pie"]


def test_a_sitemap_index_lists_sitemaps_and_a_namespace_is_not_required():
    body = (b"<sitemapindex><sitemap><loc>https://example.org/s1.xml.gz</loc>"
            b"<lastmod>2024-01</lastmod></sitemap><sitemap><loc>https://example.org/s2.xml</loc></sitemap>"
            b"</sitemapindex>")
    sitemap = parse_sitemap(body, url=URL)
    assert sitemap.kind == "index"
    assert [e.url for e in sitemap.entries] == ["https://example.org/s1.xml.gz", "https://example.org/s2.xml"]
    assert sitemap.entries[0].lastmod == datetime(2024, 1, 1, tzinfo=UTC)


def test_a_gzipped_sitemap_reads_like_the_plain_one():
    body = urlset("<url><loc>https://example.org/recipes/pie</loc></url>")
    assert parse_sitemap(gzip.compress(body), url=URL + ".gz") == parse_sitemap(body, url=URL + ".gz")


def test_a_plain_text_sitemap_keeps_its_http_urls_and_counts_the_rest():
    body = b"\xef\xbb\xbfhttps://example.org/recipes/pie\n\n  https://example.org/recipes/tart  \nnot a url\nftp://x/y\n"
    sitemap = parse_sitemap(body, url="https://example.org/sitemap.txt")
    assert sitemap.kind == "text"
    assert [e.url for e in sitemap.entries] == ["https://example.org/recipes/pie", "https://example.org/recipes/tart"]
    assert sitemap.skipped == 2


def test_entries_without_a_usable_loc_are_counted_not_kept():
    body = urlset("<url><loc>javascript:alert(1)</loc></url>", "<url><lastmod>2024</lastmod></url>",
                  "<url><loc>https://example.org/ok</loc></url>")
    sitemap = parse_sitemap(body, url=URL)
    assert [e.url for e in sitemap.entries] == ["https://example.org/ok"] and sitemap.skipped == 2


def test_entries_past_the_per_file_limit_are_counted_not_kept():
    body = urlset(*(f"<url><loc>https://example.org/r/{i}</loc></url>" for i in range(12)))
    sitemap = parse_sitemap(body, url=URL, max_urls=5)
    assert len(sitemap.entries) == 5 and sitemap.over_limit == 7


@pytest.mark.parametrize("text, expected", [
    ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
    ("2024-07", datetime(2024, 7, 1, tzinfo=UTC)),
    ("2024-07-09T08:00Z", datetime(2024, 7, 9, 8, 0, tzinfo=UTC)),
    ("2024-07-09T08:00:00.5-01:00", datetime(2024, 7, 9, 9, 0, 0, 500000, tzinfo=UTC)),
    ("2024-13", None), ("yesterday", None), ("", None), (None, None),
])
def test_lastmod_is_a_w3c_datetime_in_utc_or_none(text, expected):
    assert parse_lastmod(text) == expected


def test_a_gzip_bomb_stops_at_the_limit_with_a_line_naming_the_url():
    bomb = gzip.compress(b" " * 64_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    with pytest.raises(BadSitemap) as caught:
        parse_sitemap(bomb, url="https://example.org/bomb.xml.gz", max_bytes=1_000_000)
    message = caught.value.message
    assert message.startswith("https://example.org/bomb.xml.gz: inflates to more than")
    assert "\n" not in message and caught.value.kind == "bad_sitemap"


def test_truncated_and_broken_gzip_are_clear_errors():
    data = gzip.compress(urlset("<url><loc>https://example.org/a</loc></url>"))
    with pytest.raises(BadSitemap, match="ends early"):
        inflate(data[: len(data) // 2], url=URL)
    with pytest.raises(BadSitemap, match="not valid gzip"):
        inflate(b"\x1f\x8b" + b"\x00" * 40, url=URL)


def test_an_external_entity_is_refused_and_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("https://example.org/leaked")
    body = (f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            f"<urlset {NS}><url><loc>&xxe;</loc></url></urlset>").encode()
    with pytest.raises(BadSitemap) as caught:
        parse_sitemap(body, url=URL)
    assert caught.value.message.startswith(f"{URL}: declares an XML entity")
    assert "leaked" not in caught.value.message


def test_entity_expansion_is_refused():
    lol = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    body = (f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY l0 "lol">{lol}]>'
            f"<urlset {NS}><url><loc>https://example.org/&l9;</loc></url></urlset>").encode()
    with pytest.raises(BadSitemap, match="declares an XML entity"):
        parse_sitemap(body, url=URL)


@pytest.mark.parametrize("body, words", [
    (b"<urlset><url><loc>https://example.org/a</loc></urlset>", "malformed XML (mismatched tag"),
    (b"<urlset><url><loc>https://example.org/a", "malformed XML (no element found"),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "not a sitemap (its root element is <html>)"),
])
def test_malformed_xml_and_html_pages_are_one_line_errors(body, words):
    with pytest.raises(BadSitemap) as caught:
        parse_sitemap(body, url=URL)
    assert caught.value.message.startswith(f"{URL}: {words}")
    assert "\n" not in caught.value.message


def test_an_uncompressed_sitemap_over_the_limit_is_refused():
    body = urlset(*(f"<url><loc>https://example.org/r/{i}</loc></url>" for i in range(100)))
    with pytest.raises(BadSitemap, match="more than 2 KiB"):
        parse_sitemap(body, url=URL, max_bytes=2048)
