"""robots.txt (issue 17): RFC 9309 matching for our product token, the fetch-outcome rules against
real loopback servers, the 500 KiB bound, redirects, the per-origin cache and its expiry, and
Crawl-delay as a politeness interval."""

from __future__ import annotations

import asyncio
import socket

import pytest

from scraper.errors import PageError, RobotsDisallowed
from scraper.fetch import Fetcher
from scraper.politeness import HostLimiter
from scraper.robots import (
    ROBOTS_MAX_BYTES,
    Robots,
    RobotsCache,
    crawl_interval,
    parse_robots,
    product_token,
    robots_url_for,
)
from scraper.settings import DEFAULT_USER_AGENT, FetchSettings
from tests.crawl_site import CrawlSite, Response

FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5, max_attempts=2,
                     backoff_base_s=0.01, backoff_max_s=0.02, per_host_interval_s=0)


def fetch_rules(url: str, settings: FetchSettings = FAST) -> Robots:
    """The rules a fresh cache gets for `url`, through a real Fetcher."""

    async def run() -> Robots:
        fetcher = Fetcher(settings)
        try:
            cache = RobotsCache(fetcher.fetch_robots, token=product_token(settings.user_agent))
            return await cache.get(url)
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def serve_robots(site: CrawlSite, text: str, status: int = 200) -> None:
    site.files["/robots.txt"] = Response(text.encode(), status=status)


def test_our_product_token_is_ray_import_not_the_browser_words():
    assert product_token(DEFAULT_USER_AGENT) == "ray-import"
    assert product_token("MyRecipeBot/2.1 (+https://example.org/bot)") == "MyRecipeBot"
    assert product_token("Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/126.0") == "ray-import"


def test_our_group_wins_over_star_and_browser_groups_do_not_apply():
    robots = parse_robots(
        b"User-agent: *\nDisallow: /\n\n"
        b"User-agent: Mozilla\nDisallow: /recipes/\n\n"
        b"User-agent: RAY-IMPORT\nAllow: /\nDisallow: /private/\nAllow: /private/shared/\n",
        url="https://example.org/robots.txt", token="ray-import")
    assert robots.allowed("https://example.org/recipes/pie")
    assert not robots.allowed("https://example.org/private/pie")
    assert robots.allowed("https://example.org/private/shared/pie")  # the longest match wins
    assert robots.allowed("https://example.org/robots.txt")
    with pytest.raises(RobotsDisallowed) as caught:
        robots.check("https://example.org/private/pie")
    assert caught.value.kind == "robots_disallowed"
    assert "https://example.org/robots.txt" in caught.value.message
    assert "ray-import" in caught.value.message


def test_star_group_applies_with_wildcards_and_end_anchor():
    robots = parse_robots(b"User-agent: *\nDisallow: /*.pdf$\nDisallow: /search\n",
                          url="https://example.org/robots.txt")
    assert not robots.allowed("https://example.org/files/menu.pdf")
    assert robots.allowed("https://example.org/files/menu.pdf?page=1")
    assert not robots.allowed("https://example.org/search?q=pie")
    assert robots.allowed("https://example.org/recipes/pie")


def test_robots_url_is_per_scheme_host_and_port():
    assert robots_url_for("HTTPS://Example.ORG:443/a/b?c") == "https://example.org/robots.txt"
    assert robots_url_for("http://example.org:8080/a") == "http://example.org:8080/robots.txt"
    assert robots_url_for("http://[::1]:81/a") == "http://[::1]:81/robots.txt"


def test_fetched_rules_apply_with_crawl_delay_and_sitemaps(site):
    serve_robots(site, "User-agent: *\nDisallow: /members/\nCrawl-delay: 2.5\nSitemap: /sitemap_index.xml\n")
    robots = fetch_rules(site.url("/recipes/x"))
    assert robots.verdict == "rules"
    assert not robots.allowed(site.url("/members/recipes/x"))
    assert robots.allowed(site.url("/recipes/x"))
    assert robots.crawl_delay == 2.5
    assert robots.sitemaps == (site.url("/sitemap_index.xml"),)
    assert site.paths() == ["/robots.txt"]
    assert site.requests()[0].headers["user-agent"] == DEFAULT_USER_AGENT


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_4xx_robots_txt_allows_everything(site, status):
    serve_robots(site, "User-agent: *\nDisallow: /\n", status=status)
    robots = fetch_rules(site.url("/recipes/x"))
    assert robots.verdict == "allow_all"
    assert robots.allowed(site.url("/anything"))
    assert f"HTTP {status}" in robots.reason


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_5xx_or_429_robots_txt_disallows_everything_for_now(site, status):
    serve_robots(site, "User-agent: *\nAllow: /\n", status=status)
    robots = fetch_rules(site.url("/recipes/x"))
    assert robots.verdict == "disallow_all"
    assert site.paths() == ["/robots.txt", "/robots.txt"]  # retried like a page, then given up
    with pytest.raises(RobotsDisallowed) as caught:
        robots.check(site.url("/recipes/x"))
    assert "for now" in caught.value.message and site.url("/robots.txt") in caught.value.message


def test_a_robots_txt_that_never_answers_disallows_everything():
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        robots = fetch_rules(f"http://127.0.0.1:{port}/recipes/x",
                             FAST.model_copy(update={"read_timeout_s": 0.2, "max_attempts": 1}))
    assert robots.verdict == "disallow_all"
    assert "could not be read" in robots.reason


def test_a_refused_connection_disallows_everything():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        robots = fetch_rules(f"http://127.0.0.1:{port}/recipes/x")
    assert robots.verdict == "disallow_all"


def test_redirects_are_followed_up_to_five_then_the_file_is_unavailable(site):
    for hop in range(1, 7):
        site.files[f"/hop{hop}"] = Response(status=301, headers=(("Location", f"/hop{hop + 1}"),))
    site.files["/hop7"] = Response(b"User-agent: *\nDisallow: /\n")
    site.files["/robots.txt"] = Response(status=301, headers=(("Location", "/hop3"),))  # 5 redirects
    assert fetch_rules(site.url("/x")).verdict == "rules"
    assert not fetch_rules(site.url("/x")).allowed(site.url("/x"))
    site.files["/robots.txt"] = Response(status=301, headers=(("Location", "/hop2"),))  # 6 redirects
    robots = fetch_rules(site.url("/x"))
    assert robots.verdict == "allow_all"
    assert "too many redirects" in robots.reason


def test_a_huge_robots_txt_is_read_up_to_500_kib_and_the_rest_ignored(site):
    head = "User-agent: *\nDisallow: /early/\n"
    filler = "# padding line to push the next rule past the limit\n" * (ROBOTS_MAX_BYTES // 50)
    serve_robots(site, head + filler + "Disallow: /late/\n" + filler * 4)
    robots = fetch_rules(site.url("/x"))
    assert robots.verdict == "rules" and robots.truncated
    assert not robots.allowed(site.url("/early/pie"))
    assert robots.allowed(site.url("/late/pie"))  # past 500 KiB: ignored, as RFC 9309 §2.5 allows
    assert "first 500 KiB" in robots.reason


def test_a_cut_last_line_is_not_read_as_a_shorter_rule():
    body = b"User-agent: *\n" + b"#" * (ROBOTS_MAX_BYTES - 30) + b"\nDisallow: /recipes-old/\n"
    robots = parse_robots(body[:ROBOTS_MAX_BYTES], url="https://example.org/robots.txt", truncated=True)
    assert robots.allowed("https://example.org/recipes/pie")


def test_the_cache_fetches_once_per_origin_and_again_after_expiry(site):
    serve_robots(site, "User-agent: *\nDisallow: /members/\n")
    now = [1000.0]

    async def run() -> tuple[list[Robots], Robots, Robots, int]:
        fetcher = Fetcher(FAST)
        try:
            cache = RobotsCache(fetcher.fetch_robots, expiry_s=60, clock=lambda: now[0])
            first = await asyncio.gather(*(cache.get(site.url(f"/recipes/{i}")) for i in range(20)))
            now[0] += 30
            cached = await cache.get(site.url("/members/x"))
            now[0] += 31
            site.files["/robots.txt"] = Response(b"User-agent: *\nDisallow: /\n")
            refreshed = await cache.get(site.url("/recipes/1"))
            return first, cached, refreshed, cache.fetches
        finally:
            await fetcher.aclose()

    first, cached, refreshed, fetches = asyncio.run(run())
    assert fetches == 2
    assert site.paths() == ["/robots.txt", "/robots.txt"]
    assert all(r is first[0] for r in first) and cached is first[0]
    assert not refreshed.allowed(site.url("/recipes/1"))


def test_an_unreachable_refresh_keeps_the_last_good_copy(site):
    serve_robots(site, "User-agent: *\nDisallow: /members/\n")
    now = [0.0]

    async def run() -> tuple[Robots, Robots]:
        fetcher = Fetcher(FAST)
        try:
            cache = RobotsCache(fetcher.fetch_robots, expiry_s=60, clock=lambda: now[0])
            good = await cache.get(site.url("/"))
            now[0] += 61
            site.files["/robots.txt"] = Response(b"down", status=503)
            return good, await cache.get(site.url("/"))
        finally:
            await fetcher.aclose()

    good, after = asyncio.run(run())
    assert after is good  # RFC 9309 §2.4: not "disallow all" while a good copy is at hand
    assert after.allowed(site.url("/recipes/x"))


def test_crawl_delay_raises_the_interval_never_lowers_it_and_is_capped():
    assert crawl_interval(0.5, None, 30) == 0.5
    assert crawl_interval(0.5, 2.0, 30) == 2.0
    assert crawl_interval(3.0, 1.0, 30) == 3.0
    assert crawl_interval(0.5, 86400, 30) == 30
    robots = parse_robots(b"User-agent: *\nCrawl-delay: 4\n\nUser-agent: ray-import\nCrawl-delay: 7\n",
                          url="https://example.org/robots.txt")
    assert robots.crawl_delay == 7
    assert parse_robots(b"User-agent: *\nCrawl-delay: soon\n", url="https://e.org/robots.txt").crawl_delay is None


def test_fetch_file_reads_any_type_bounded_and_pages_as_before(site):
    from scraper.errors import NotHTML, TooLarge

    site.files["/data.gz"] = Response(b"\x1f\x8b" + b"x" * 5000, "application/gzip")

    async def run() -> tuple:
        fetcher = Fetcher(FAST)
        try:
            whole = await fetcher.fetch_file(site.url("/data.gz"), max_bytes=10_000)
            cut = await fetcher.fetch_file(site.url("/data.gz"), max_bytes=100, truncate=True)
            with pytest.raises(TooLarge):
                await fetcher.fetch_file(site.url("/data.gz"), max_bytes=100)
            with pytest.raises(NotHTML):  # fetch() is still the page fetcher's
                await fetcher.fetch(site.url("/data.gz"))
            page = await fetcher.fetch(site.url("/recipes/0001-pea-soup"))
            return whole, cut, page
        finally:
            await fetcher.aclose()

    whole, cut, page = asyncio.run(run())
    assert (len(whole.body), whole.truncated, whole.content_type) == (5002, False, "application/gzip")
    assert (cut.body, cut.truncated) == (whole.body[:100], True)
    assert '"@type": "Recipe"' in page.html


# -- robots.txt in the fetch path (Fetcher(obey_robots=True), what the fetch gateway holds) --------

def fetch_all(urls: list[str], settings: FetchSettings = FAST, **kwargs) -> tuple[list, Fetcher]:
    """Fetch `urls` one after another with one obeying Fetcher: each page, or the error it raised."""

    async def run() -> tuple[list, Fetcher]:
        fetcher = Fetcher(settings, obey_robots=True, **kwargs)
        out: list = []
        try:
            for url in urls:
                try:
                    out.append(await fetcher.fetch(url))
                except PageError as exc:
                    out.append(exc)
            return out, fetcher
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def test_a_disallowed_page_is_never_requested_and_robots_txt_is_read_once(site):
    members = site.url(site.member_paths()[0])
    pages, _ = fetch_all([site.url(p) for p in site.recipe_paths()] + [members])
    assert [p.status for p in pages[:2]] == [200, 200]
    refused = pages[2]
    assert isinstance(refused, RobotsDisallowed) and refused.kind == "robots_disallowed"
    assert refused.url == members and site.url("/robots.txt") in refused.message
    assert site.paths() == ["/robots.txt", *site.recipe_paths()]


def test_a_redirect_into_a_disallowed_folder_is_refused_at_that_hop(site):
    target = site.member_paths()[0]
    site.files["/go"] = Response(status=302, headers=(("Location", target),))
    [refused], _ = fetch_all([site.url("/go")])
    assert isinstance(refused, RobotsDisallowed) and refused.url == site.url("/go")
    assert refused.message.startswith(f"redirected to {site.url(target)}: ")
    assert site.paths() == ["/robots.txt", "/go"]  # the disallowed target never requested


def test_ignore_never_reads_robots_txt(site):
    pages, fetcher = fetch_all([site.url(site.member_paths()[0])], FAST.model_copy(update={"robots": "ignore"}))
    assert fetcher.robots is None and pages[0].status == 200
    assert site.paths() == site.member_paths()[:1]


def test_an_unreachable_host_fails_as_connect_not_as_disallowed():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        [failed, again], _ = fetch_all([f"http://127.0.0.1:{port}/a", f"http://127.0.0.1:{port}/b"])
    assert failed.kind == "connect" and failed.url.endswith("/a") and failed.attempts == FAST.max_attempts
    assert f"(reading http://127.0.0.1:{port}/robots.txt)" in failed.message
    assert again.kind == "connect" and again.url.endswith("/b")  # from the cache: no new attempts


def test_a_5xx_robots_txt_refuses_the_pages_for_now(site):
    serve_robots(site, "down", status=503)
    [refused], _ = fetch_all([site.url(site.recipe_paths()[0])])
    assert refused.kind == "robots_disallowed" and "every path disallowed for now" in refused.message
    assert site.paths() == ["/robots.txt"] * FAST.max_attempts


def test_crawl_delay_spaces_the_requests_capped_and_is_in_the_stats(site):
    serve_robots(site, "User-agent: *\nCrawl-delay: 0.3\n")
    pages, fetcher = fetch_all([site.url(p) for p in site.recipe_paths()])
    times = [r.at for r in site.requests()]
    assert [p.status for p in pages] == [200, 200] and len(times) == 3
    assert times[-1] - times[0] > 0.3  # starts 0.3 s apart: 0.6 s in all, less arrival jitter
    assert fetcher.stats()["127.0.0.1"] == {
        "in_flight": 0, "max_in_flight": 1, "requests": 3,
        "interval_s": 0.0, "crawl_interval_s": 0.3, "crawl_delay_s": 0.3}
    site.reset()
    serve_robots(site, "User-agent: *\nCrawl-delay: 3600\n")
    _, capped = fetch_all([site.url(site.recipe_paths()[0])], FAST.model_copy(update={"max_crawl_delay_s": 0.05}))
    assert capped.stats()["127.0.0.1"]["crawl_interval_s"] == 0.05


def test_a_crawl_delay_never_lowers_the_interval():
    limiter = HostLimiter(2, 1.0)
    limiter.slow("www.example.org", 0.2, crawl_interval(1.0, 0.2, 30))
    assert "crawl_interval_s" not in limiter.stats()["example.org"]
    limiter.slow("example.org", 4.0, crawl_interval(1.0, 4.0, 30))
    limiter.slow("example.org", 2.0, crawl_interval(1.0, 2.0, 30))  # a later, shorter one: kept at 4
    assert limiter.stats()["example.org"]["crawl_interval_s"] == 4.0


def test_the_cache_keeps_a_bounded_number_of_origins(monkeypatch):
    from scraper import robots as robots_module
    from scraper.fetch import FetchedFile

    monkeypatch.setattr(robots_module, "MAX_CACHED_ORIGINS", 2)

    async def serve(url: str) -> FetchedFile:  # every origin's robots.txt: allow all
        return FetchedFile(url=url, final_url=url, status=200, content_type="text/plain", body=b"")

    async def run() -> tuple[list[str], int]:
        cache = RobotsCache(serve)
        for host in ("a.example", "b.example", "c.example", "b.example"):
            await cache.get(f"https://{host}/x")
        return list(cache.known()), cache.fetches

    kept, fetches = asyncio.run(run())
    assert kept == ["https://b.example/robots.txt", "https://c.example/robots.txt"] and fetches == 3


def test_read_ahead_reads_each_origin_once_in_the_background_and_the_page_finds_it_read(site):
    serve_robots(site, "User-agent: *\nDisallow: /members/\n")
    slow = FAST.model_copy(update={"per_host_interval_s": 0.4})
    recipe, member = site.url(site.recipe_paths()[0]), site.url(site.member_paths()[0])

    async def run() -> tuple[list[int], float, object, object, int]:
        fetcher = Fetcher(slow, obey_robots=True)
        try:
            assert fetcher.robots is not None
            started = [fetcher.robots.read_ahead([recipe, member, recipe]),
                       fetcher.robots.read_ahead([site.url("/another")])]  # being read: not again
            await asyncio.sleep(0.6)  # the robots.txt request and the host's interval after it
            began = asyncio.get_running_loop().time()
            page = await fetcher.fetch(recipe)
            waited = asyncio.get_running_loop().time() - began
            refused = None
            try:
                await fetcher.fetch(member)
            except RobotsDisallowed as exc:
                refused = exc
            started.append(fetcher.robots.read_ahead([recipe]))  # cached: nothing started
            return started, waited, page, refused, fetcher.robots.fetches
        finally:
            await fetcher.aclose()

    started, waited, page, refused, fetches = asyncio.run(run())
    assert started == [1, 0, 0] and fetches == 1
    assert page.status == 200 and isinstance(refused, RobotsDisallowed)
    assert waited < 0.3  # the interval since the robots.txt request had already passed
    assert site.paths() == ["/robots.txt", site.recipe_paths()[0]]


def test_a_failed_read_ahead_is_kept_as_the_rules_and_never_left_unretrieved(caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused

        async def run() -> tuple[int, Robots]:
            fetcher = Fetcher(FAST, obey_robots=True)
            try:
                assert fetcher.robots is not None
                started = fetcher.robots.read_ahead([f"http://127.0.0.1:{port}/a", "http://[bad/x"])
                await asyncio.sleep(0.5)
                return started, await fetcher.robots.get(f"http://127.0.0.1:{port}/b")
            finally:
                await fetcher.aclose()

        started, robots = asyncio.run(run())
    assert started == 1 and robots.verdict == "disallow_all"
    assert "never retrieved" not in caplog.text
