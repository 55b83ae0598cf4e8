"""Fixtures shared by the scraper tests that fetch from a real loopback site."""

import pytest

from tests.crawl_site import CrawlSite


@pytest.fixture(scope="module")
def _site():
    with CrawlSite(pages=2) as running:
        yield running


@pytest.fixture
def site(_site):
    """A two-page crawl site, its log and overrides reset for each test."""
    _site.reset()
    return _site
