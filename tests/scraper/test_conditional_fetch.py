"""Conditional fetches (issue 17, conditional refresh): a page's stored validators sent back as
If-None-Match / If-Modified-Since, a 304 as NotModified, a changed page as a new FetchedPage with
its new validators; against a real loopback site."""

from __future__ import annotations

import asyncio

import pytest

from scraper.errors import HTTPRejected
from scraper.fetch import Fetcher
from scraper.models import FetchedPage, NotModified
from scraper.settings import FetchSettings
from tests.crawl_site import Response

FAST = FetchSettings(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5, max_attempts=2,
                     backoff_base_s=0.01, backoff_max_s=0.02, per_host_interval_s=0)
PATH = "/recipes/0001-pea-soup"


def fetch(url: str, **validators) -> FetchedPage | NotModified:
    async def run() -> FetchedPage | NotModified:
        fetcher = Fetcher(FAST)
        try:
            return await fetcher.fetch(url, **validators)
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def test_a_page_carries_its_validators_and_304_comes_back_as_not_modified(site):
    first = fetch(site.url(PATH))
    assert isinstance(first, FetchedPage) and first.etag and first.last_modified
    by_etag = fetch(site.url(PATH), etag=first.etag)
    by_date = fetch(site.url(PATH), last_modified=first.last_modified)
    assert by_etag == NotModified(url=site.url(PATH), final_url=site.url(PATH), etag=first.etag,
                                  last_modified=first.last_modified, attempts=1, seconds=by_etag.seconds)
    assert isinstance(by_date, NotModified)
    sent = [r.headers for r in site.requests(PATH)]
    assert "if-none-match" not in sent[0] and sent[1]["if-none-match"] == first.etag
    assert sent[2]["if-modified-since"] == first.last_modified and "if-none-match" not in sent[2]


def test_a_changed_page_is_fetched_whole_with_its_new_validators(site):
    first = fetch(site.url(PATH))
    site.touch(PATH)
    changed = fetch(site.url(PATH), etag=first.etag, last_modified=first.last_modified)
    assert isinstance(changed, FetchedPage) and "version 1" in changed.html
    assert changed.etag != first.etag and changed.last_modified != first.last_modified


def test_the_304_of_a_redirected_page_names_where_it_ended(site):
    site.files["/old"] = Response(status=301, headers=(("Location", PATH),))
    first = fetch(site.url("/old"))
    again = fetch(site.url("/old"), etag=first.etag)
    assert isinstance(again, NotModified) and again.final_url == site.url(PATH)


def test_a_304_nobody_asked_for_is_still_an_http_error(site):
    site.files["/odd"] = Response(status=304)
    with pytest.raises(HTTPRejected) as caught:
        fetch(site.url("/odd"))
    assert caught.value.status == 304
