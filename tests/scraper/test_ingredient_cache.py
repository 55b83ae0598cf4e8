"""The bounded cache of NLP-parsed ingredient lines (scraper/enrich.py, issue 15)."""

from __future__ import annotations

import pytest

from scraper import enrich
from scraper.settings import EnrichSettings
from tests.conftest import nltk_available

pytestmark = pytest.mark.skipif(not nltk_available(), reason="NLTK tagger data absent (set NLTK_DATA)")


@pytest.fixture
def counted():
    """The real NLP parser, counting its calls; a fresh cache before and after."""
    real = enrich._nlp_parser()
    calls: list[str] = []

    def parse(line: str):
        calls.append(line)
        return real(line)

    enrich._parse_nlp_cached.cache_clear()
    yield parse, calls
    enrich._parse_nlp_cached.cache_clear()


def test_a_repeated_line_is_parsed_once_and_gives_the_same_result(counted):
    parse, calls = counted
    first = enrich._parse_nlp(parse, "1 tablespoon olive oil")
    second = enrich._parse_nlp(parse, "1 tablespoon olive oil")
    assert calls == ["1 tablespoon olive oil"]
    assert second == first
    assert (first.quantity, first.unit, first.name) == (1.0, "tablespoon", "olive oil")
    enrich._parse_nlp(parse, "1 tablespoon olive oil ")  # the exact line is the key
    assert len(calls) == 2


def test_no_caller_can_change_a_cached_result(counted):
    parse, _ = counted
    first = enrich._parse_nlp(parse, "2 cups flour")
    first.name = "changed"
    first.quantity = 99
    again = enrich._parse_nlp(parse, "2 cups flour")
    assert (again.name, again.quantity) == ("flour", 2.0)
    assert again is not first


def test_the_cache_is_bounded():
    assert enrich._parse_nlp_cached.cache_info().maxsize == enrich.NLP_CACHE_SIZE


def test_cached_and_uncached_recipes_parse_alike(counted):
    lines = ["1 teaspoon salt", "1/2 cup sugar", "1 teaspoon salt"]
    cold, _ = enrich.parse_ingredients(lines, "en", EnrichSettings())
    warm, _ = enrich.parse_ingredients(lines, "en", EnrichSettings())
    assert warm == cold
    assert cold[0] == cold[2] and cold[0] is not cold[2]
