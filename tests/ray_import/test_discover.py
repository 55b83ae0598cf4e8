"""`discover` (issue 17) against a real loopback site: robots.txt first, a sitemap index of two
gzipped sitemaps, the disallowed folder never requested, Crawl-delay, the bounds, the hostile
sitemaps (bomb, XXE, malformed, loops, other hosts), the --check probe as a Ray batch, the CLI."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner

from ray_import.cli_discover import discover_command
from ray_import.discovery import DiscoverSettings, discover
from ray_import.errors import ConfigError
from tests.crawl_site import CrawlSite, Response, sitemap_index, urlset

XML = "application/xml"


@pytest.fixture(scope="module")
def _site():
    with CrawlSite(pages=12, members=3) as running:
        yield running


@pytest.fixture
def site(_site):
    _site.reset()
    return _site


def robots(site: CrawlSite, text: str) -> None:
    site.files["/robots.txt"] = Response(text.encode())


def xml(site: CrawlSite, path: str, body: bytes) -> None:
    site.files[path] = Response(body, XML)


def test_discover_finds_exactly_the_allowed_recipe_urls(site, make_config):
    result = discover(site.origin, cfg=make_config())
    assert result.urls == [site.url(p) for p in site.recipe_paths()]
    assert result.found == 12 + 3 + 5
    assert result.dropped == {"robots_disallowed": 3, "not_recipe_like": 5}
    assert result.sitemaps == [site.url("/sitemap_index.xml"), site.url("/sitemaps/recipes-1.xml.gz"),
                               site.url("/sitemaps/recipes-2.xml.gz")]
    assert site.paths() == ["/robots.txt", "/sitemap_index.xml", "/sitemaps/recipes-1.xml.gz",
                            "/sitemaps/recipes-2.xml.gz"]
    assert result.problems == []
    assert "kept 12" in result.summary() and "3 robots_disallowed" in result.summary()


def test_crawl_delay_spaces_the_sitemap_requests(make_config):
    with CrawlSite(pages=2, crawl_delay=0.3) as site:
        result = discover(site.origin, cfg=make_config())
        times = [r.at for r in site.requests()]
    assert (result.crawl_delay, result.interval_s) == (0.3, 0.3)
    assert len(times) == 4
    # The fetcher starts requests 0.3 s apart: 4 span 0.9 s (without the delay, a few ms); what
    # the server sees jitters on a busy machine, so one interval of slack.
    assert times[-1] - times[0] > 0.3 * 2
    assert "Crawl-delay 0.3s" in result.summary()


def test_crawl_delay_is_capped_by_the_setting(make_config):
    with CrawlSite(pages=2, crawl_delay=3600) as site:
        result = discover(site.origin, cfg=make_config(fetch={"max_crawl_delay_s": 0.05}))
    assert (result.crawl_delay, result.interval_s) == (3600, 0.05)


def test_limit_stops_fetching_further_sitemaps(site, make_config):
    result = discover(site.origin, limit=4, cfg=make_config())
    assert result.urls == [site.url(p) for p in site.recipe_paths()[:4]]
    assert "/sitemaps/recipes-2.xml.gz" not in site.paths()
    assert result.problems == ["--limit 4 reached: 1 sitemap file(s) not fetched"]
    assert result.dropped["over_limit"] > 0


def test_match_replaces_the_url_score(site, make_config):
    result = discover(site.origin, match=r"/recipes/000[0-2]-|/tag/", cfg=make_config())
    assert result.urls == [site.url(p) for p in site.recipe_paths()[:3]] + [site.url("/tag/soup/")]
    assert result.dropped["no_match"] == 12 - 3 + 4
    assert result.dropped["robots_disallowed"] == 3  # robots.txt still decides first


def test_a_sitemap_url_as_site_url_is_read_alone(site, make_config):
    result = discover(site.url("/sitemaps/recipes-1.xml.gz"), cfg=make_config())
    assert result.sitemaps == [site.url("/sitemaps/recipes-1.xml.gz")]
    assert site.paths() == ["/robots.txt", "/sitemaps/recipes-1.xml.gz"]


def test_without_sitemap_lines_sitemap_xml_is_read_and_text_sitemaps_work(site, make_config):
    robots(site, "User-agent: *\nDisallow:\n")
    site.files["/sitemap.xml"] = Response(f"{site.url('/recipes/0001-pea-soup')}\n".encode())
    result = discover(site.origin, cfg=make_config())
    assert result.urls == [site.url("/recipes/0001-pea-soup")]
    assert site.paths() == ["/robots.txt", "/sitemap.xml"]


def test_an_unreachable_robots_txt_means_nothing_is_fetched(site, make_config):
    site.files["/robots.txt"] = Response(b"busy", status=503)
    result = discover(site.origin, cfg=make_config(fetch={"max_attempts": 1}))
    assert result.urls == [] and result.sitemaps == []
    assert set(site.paths()) == {"/robots.txt"}
    assert result.problems == [f"{result.robots}: no sitemap fetched"]
    assert "disallowed for now" in result.robots


def test_a_sitemap_robots_txt_disallows_is_not_fetched(site, make_config):
    robots(site, f"User-agent: *\nDisallow: /sitemaps/\nSitemap: {site.url('/sitemap_index.xml')}\n")
    result = discover(site.origin, cfg=make_config())
    assert not site.paths("/sitemaps/")
    assert result.problems == [
        f"{site.url(p)}: disallowed by {site.url('/robots.txt')}: not fetched"
        for p in ("/sitemaps/recipes-1.xml.gz", "/sitemaps/recipes-2.xml.gz")]


def test_sitemaps_and_urls_on_another_host_are_refused(site, make_config):
    other = site.origin.replace("127.0.0.1", "localhost")  # the same server under another name
    robots(site, f"User-agent: *\nSitemap: {other}/sitemap_index.xml\n")
    xml(site, "/sitemap.xml", sitemap_index([f"{other}/sitemaps/recipes-1.xml.gz", site.url("/pages.xml")]))
    xml(site, "/pages.xml", urlset([site.url("/recipes/0001-pea-soup"), f"{other}/recipes/0002-apple-crumble"]))
    result = discover(site.origin, cfg=make_config())
    assert result.urls == [site.url("/recipes/0001-pea-soup")]
    assert result.dropped == {"other_host": 1}
    assert result.problems == [
        f"{other}/sitemap_index.xml: on another host than {site.origin} (listed in {site.url('/robots.txt')}): refused",
        f"{other}/sitemaps/recipes-1.xml.gz: on another host than {site.origin} (listed in {site.url('/sitemap.xml')}): refused",
    ]
    assert all(r.headers["host"].startswith("127.0.0.1") for r in site.requests())


def test_a_gzip_bomb_and_malformed_xml_are_problem_lines_and_the_rest_is_read(site, make_config):
    xml(site, "/sitemap_index.xml", sitemap_index(
        [site.url(p) for p in ("/bomb.xml.gz", "/broken.xml", "/sitemaps/recipes-1.xml.gz")]))
    site.files["/bomb.xml.gz"] = Response(gzip.compress(b" " * 8_000_000, compresslevel=9), "application/gzip")
    xml(site, "/broken.xml", b"<urlset><url><loc>http://x/</url></urlset>")
    result = discover(site.origin, cfg=make_config(), settings=DiscoverSettings(max_sitemap_bytes=1_000_000))
    assert result.problems == [
        f"{site.url('/bomb.xml.gz')}: inflates to more than 977 KiB (the limit): not read",
        f"{site.url('/broken.xml')}: malformed XML (mismatched tag: line 1, column 29)",
    ]
    assert len(result.urls) > 0 and result.sitemaps[-1] == site.url("/sitemaps/recipes-1.xml.gz")


def test_an_external_entity_is_refused_and_its_target_never_requested(site, make_config):
    xml(site, "/sitemap_index.xml", (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{site.url("/secret")}">]>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&xxe;</loc></url></urlset>'
    ).encode())
    result = discover(site.origin, cfg=make_config())
    assert result.problems[0].startswith(f"{site.url('/sitemap_index.xml')}: declares an XML entity ('xxe')")
    assert "/secret" not in site.paths() and result.urls == []


def test_a_loop_of_sitemap_indexes_is_read_once_each(site, make_config):
    xml(site, "/sitemap_index.xml", sitemap_index([site.url("/a.xml")]))
    xml(site, "/a.xml", sitemap_index([site.url("/b.xml"), site.url("/sitemaps/recipes-1.xml.gz")]))
    xml(site, "/b.xml", sitemap_index([site.url("/a.xml"), site.url("/sitemap_index.xml")]))
    result = discover(site.origin, cfg=make_config())
    assert result.problems == [
        f"{site.url('/a.xml')}: listed again by {site.url('/b.xml')} (a loop or a repeat): not fetched again",
        f"{site.url('/sitemap_index.xml')}: listed again by {site.url('/b.xml')} (a loop or a repeat): "
        "not fetched again",
    ]
    assert sorted(site.paths("/a.xml") + site.paths("/b.xml")) == ["/a.xml", "/b.xml"]
    assert len(result.urls) > 0


def test_depth_and_count_bounds_stop_the_walk(site, make_config):
    xml(site, "/sitemap_index.xml", sitemap_index([site.url("/d1.xml")]))
    xml(site, "/d1.xml", sitemap_index([site.url("/d2.xml")]))
    xml(site, "/d2.xml", sitemap_index([site.url("/d3.xml")]))
    result = discover(site.origin, cfg=make_config(), settings=DiscoverSettings(max_depth=1))
    assert result.problems == [f"{site.url('/d2.xml')}: more than 1 index levels deep: not followed"]
    assert not site.paths("/d2.xml")
    site.reset()
    xml(site, "/sitemap_index.xml", sitemap_index([site.url(f"/s{i}.xml") for i in range(8)]))
    for i in range(8):
        xml(site, f"/s{i}.xml", urlset([site.url(f"/recipes/{i:04d}-x-y")]))
    result = discover(site.origin, cfg=make_config(), settings=DiscoverSettings(max_sitemaps=3))
    assert result.problems == ["more than 3 sitemap files: 6 not fetched"]
    assert site.paths() == ["/robots.txt", "/sitemap_index.xml", "/s0.xml", "/s1.xml"]
    assert len(result.urls) == 2


def test_repeated_urls_are_kept_once(site, make_config):
    page = site.url("/recipes/0001-pea-soup")
    xml(site, "/sitemap_index.xml", urlset([page, page + "#top", page.replace("http://", "HTTP://")]))
    result = discover(site.origin, cfg=make_config())
    assert result.urls == [page] and result.dropped == {"duplicate": 2}


@pytest.mark.parametrize("kwargs, words", [
    ({"site_url": "ftp://example.org"}, "SITE_URL 'ftp://example.org': unsupported scheme"),
    ({"site_url": "https://example.org", "match": "(unclosed"}, "--match '(unclosed': not a regular expression"),
    ({"site_url": "https://example.org", "limit": 0}, "--limit 0: must be at least 1"),
])
def test_bad_arguments_are_config_errors_naming_the_input(kwargs, words):
    with pytest.raises(ConfigError) as caught:
        discover(kwargs.pop("site_url"), **kwargs)
    assert str(caught.value).startswith(words)


def test_check_probes_each_kept_page_as_a_ray_batch(ray_session, make_config):
    with CrawlSite(pages=5, members=1, no_data=2) as site:
        result = discover(site.origin, check=True, cfg=make_config())
        first_two = discover(site.origin, check=True, limit=2, cfg=make_config())
        probed_paths = site.paths("/notes/")
        members = site.paths("/members/")
        recipes = [site.url(p) for p in site.recipe_paths()]
    assert result.urls == recipes
    assert result.dropped == {"robots_disallowed": 1, "not_recipe_like": 5, "no_recipe_data": 2}
    assert result.probed == 7
    assert first_two.urls == recipes[:2]
    assert len(probed_paths) >= 2 and members == []


def test_cli_writes_the_urls_and_the_summary(site, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S", "0")
    out = tmp_path / "urls.txt"
    done = CliRunner().invoke(discover_command, [site.origin, "--out", str(out), "--limit", "3"])
    assert done.exit_code == 0, done.output
    assert out.read_text() == "".join(f"{site.url(p)}\n" for p in site.recipe_paths()[:3])
    assert "kept 3" in done.output  # the summary (stderr, mixed into output by CliRunner)
    done = CliRunner().invoke(discover_command, [site.origin, "-q"])
    assert done.exit_code == 0 and done.output.splitlines() == [site.url(p) for p in site.recipe_paths()]


def test_cli_exit_codes_for_bad_input_and_no_sitemap(site, monkeypatch):
    monkeypatch.setenv("RAY_IMPORT_FETCH__PER_HOST_INTERVAL_S", "0")
    done = CliRunner().invoke(discover_command, ["not a url"])
    assert done.exit_code == 2 and "SITE_URL 'not a url'" in done.output
    site.files["/sitemap_index.xml"] = Response(b"gone", status=404)
    site.files["/robots.txt"] = Response(b"User-agent: *\n")
    done = CliRunner().invoke(discover_command, [site.origin])
    assert done.exit_code == 1
    assert f"problem: {site.url('/sitemap.xml')}: server answered HTTP 404" in done.output


def test_a_sitemap_redirecting_to_another_host_is_not_followed(site, make_config):
    other = site.origin.replace("127.0.0.1", "localhost")
    site.files["/sitemap_index.xml"] = Response(status=301, headers=(("Location", f"{other}/sitemap.xml"),))
    result = discover(site.origin, cfg=make_config())
    assert result.problems == [f"{site.url('/sitemap_index.xml')}: redirected to {other}/sitemap.xml, "
                               "another host: not followed"]
    assert all(r.headers["host"].startswith("127.0.0.1") for r in site.requests())


def test_a_sitemap_over_the_size_limit_is_not_read(site, make_config):
    xml(site, "/sitemap_index.xml", urlset([site.url(f"/recipes/{i:04d}-a-b") for i in range(200)]))
    result = discover(site.origin, cfg=make_config(), settings=DiscoverSettings(max_sitemap_bytes=4096))
    assert result.problems == [f"{site.url('/sitemap_index.xml')}: more than 4 KiB (the limit): not read"]
    assert result.urls == [] and result.found == 0


def test_the_crawl_site_answers_304_to_its_own_validators(site):
    import httpx

    url = site.url("/recipes/0003-leek-gratin")
    with httpx.Client(trust_env=False, timeout=5) as client:
        first = client.get(url)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        assert client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200
        site.touch("/recipes/0003-leek-gratin")
        changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert site.requests()[1].headers["if-none-match"] == etag
