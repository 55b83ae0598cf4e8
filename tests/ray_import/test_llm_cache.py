"""The LLM answer cache (issue 18, item 3): a real SQLite file and the fake OpenAI-compatible endpoint."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path

import openai
import pytest

from ray_import.demo.fake_llm import FakeLLM
from ray_import.demo.site import PAGES_DIR
from ray_import.llm_cache import AnswerKey, LLMCache, structure_cached
from scraper.errors import InvalidLLMOutput
from scraper.readable import page_text
from scraper.settings import LLMSettings
from scraper.structure import (
    PROMPT_VERSION,
    SCHEMA_VERSION,
    SYSTEM_PROMPT,
    LLMRecipe,
    LLMUsage,
    build_messages,
    recipe_schema,
)

REPLY = LLMRecipe(title="Lemonade", ingredients=["4 lemons", "1 l water"], instructions=["Squeeze.", "Stir."],
                  yields=None, total_time=5, prep_time=None, cook_time=None, author=None, description=None,
                  language="en", category=[], cuisine=[], keywords=[])
SHA = hashlib.sha256(b"<html>lemonade</html>").hexdigest()


def _key(sha: str = SHA, **changes) -> AnswerKey:
    return AnswerKey(**{"content_sha256": sha, "model": "m", "input_chars": 24000, **changes})


def test_an_answer_is_kept_with_its_cost_and_found_again_after_reopening(tmp_path: Path):
    path = tmp_path / ".ray-import" / "llm_cache.sqlite3"
    cache = LLMCache(path)
    assert cache.get(_key()) is None
    cache.put(_key(), REPLY, LLMUsage(calls=2, prompt_tokens=1000, completion_tokens=200, seconds=1.5), 0.0042)
    cache.close()
    again = LLMCache(path)
    hit = again.get(_key())
    assert hit is not None and hit.reply == REPLY
    assert (hit.calls, hit.prompt_tokens, hit.completion_tokens, hit.cost_usd) == (2, 1000, 200, 0.0042)
    assert hit.saved_usd(LLMSettings()) == 0.0042  # no prices configured now: the price paid then
    priced = LLMSettings(price_per_million_input=1.0, price_per_million_output=10.0)
    assert hit.saved_usd(priced) == pytest.approx((1000 * 1.0 + 200 * 10.0) / 1e6)  # today's prices
    assert again.stats() | {"max_entries": 0} == {"entries": 1, "max_entries": 0, "hits": 1, "misses": 0,
                                                 "saved_usd": 0.0}


@pytest.mark.parametrize("change", [{"sha": "e" * 64}, {"model": "other"}, {"prompt_version": "0"},
                                    {"schema_version": "0"}, {"input_chars": 800}])
def test_every_part_of_the_key_counts(tmp_path: Path, change):
    cache = LLMCache(tmp_path / "cache.sqlite3")
    cache.put(_key(), REPLY, LLMUsage(calls=1), 0.0)
    assert cache.get(_key(**change)) is None
    assert cache.get(_key()) is not None


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(tmp_path: Path):
    cache = LLMCache(tmp_path / "cache.sqlite3", max_entries=3)
    for n in range(3):
        cache.put(_key(f"{n:064x}"), REPLY, LLMUsage(calls=1), 0.0)
    assert cache.get(_key(f"{0:064x}")) is not None  # used: now the most recent
    cache.put(_key(f"{3:064x}"), REPLY, LLMUsage(calls=1), 0.0)
    assert len(cache) <= 3
    assert cache.get(_key(f"{1:064x}")) is None  # the least recently used went
    assert cache.get(_key(f"{0:064x}")) is not None and cache.get(_key(f"{3:064x}")) is not None


def test_a_corrupt_cache_file_is_set_aside_and_an_empty_one_used(tmp_path: Path):
    path = tmp_path / "llm_cache.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = LLMCache(path)
    assert cache.get(_key()) is None
    cache.put(_key(), REPLY, LLMUsage(calls=1), 0.0)
    assert cache.get(_key()) is not None
    assert [p.name.split("-")[0] for p in tmp_path.glob("llm_cache.sqlite3.corrupt-*")] == ["llm_cache.sqlite3.corrupt"]


def test_a_cache_that_cannot_be_opened_costs_calls_but_never_fails_a_page(tmp_path: Path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    cache = LLMCache(blocker / "llm_cache.sqlite3")
    cache.put(_key(), REPLY, LLMUsage(calls=1), 0.0)  # skipped, no error
    assert cache.get(_key()) is None and cache.stats()["misses"] == 1


def test_the_prompt_and_schema_versions_change_with_the_prompt_and_schema():
    # If this fails, the prompt or LLMRecipe changed: bump PROMPT_VERSION or SCHEMA_VERSION in
    # scraper/structure.py (cached answers to the old question must not be reused), then pin the
    # new digests under the new versions here.
    prompt = json.dumps(build_messages("PAGE", recipe_schema()), sort_keys=True)
    digests = {"prompt": hashlib.sha256((SYSTEM_PROMPT + prompt).encode()).hexdigest()[:16],
               "schema": hashlib.sha256(json.dumps(recipe_schema(), sort_keys=True).encode()).hexdigest()[:16]}
    assert digests == PINNED[(PROMPT_VERSION, SCHEMA_VERSION)]


PINNED = {("1", "1"): {"prompt": "950bc2af441f3b6f", "schema": "24a87a9eb050f9d3"}}


# -- through the fake endpoint -------------------------------------------------------------------

def _structure(fake: FakeLLM, cache: LLMCache, text: str, sha: str = SHA, **settings):
    llm = LLMSettings(base_url=fake.base_url, model=fake.options.model, backoff_base_s=0.01, **settings)

    async def run():
        client = openai.AsyncOpenAI(base_url=llm.base_url, api_key="x", max_retries=0)
        try:
            return await structure_cached(text, sha, cache=cache, client=client, settings=llm)
        finally:
            await client.close()

    return asyncio.run(run())


def test_a_page_seen_again_costs_no_second_call_and_reports_what_it_saved(tmp_path: Path):
    text = page_text((PAGES_DIR / "nodata-lemonade.html").read_text("utf-8"), 24000)
    cache = LLMCache(tmp_path / "llm_cache.sqlite3")
    prices = {"price_per_million_input": 2.0, "price_per_million_output": 8.0}
    with FakeLLM() as fake:
        first = _structure(fake, cache, text, **prices)
        calls = fake.stats["requests"]
        second = _structure(fake, cache, text, **prices)
        assert fake.stats["requests"] == calls == 1  # the second answer came from the cache
        other_page = _structure(fake, cache, text, sha="a" * 64, **prices)
        assert fake.stats["requests"] == 2
    assert first.hit is None and first.usage.calls == 1 and first.usage.prompt_tokens > 0
    assert second.hit is not None and second.usage == LLMUsage()
    assert second.recipe == first.recipe and second.recipe.extractor == "llm:fake-recipe-llm"
    expected = (first.usage.prompt_tokens * 2.0 + first.usage.completion_tokens * 8.0) / 1e6
    assert second.saved_usd == pytest.approx(expected) and cache.stats()["saved_usd"] == pytest.approx(expected)
    assert other_page.hit is None


def test_a_reply_without_a_recipe_is_kept_too_and_fails_again_for_free(tmp_path: Path):
    empty = {"title": "", "ingredients": [], "instructions": [], "yields": None, "total_time": None,
             "prep_time": None, "cook_time": None, "author": None, "description": None, "language": None,
             "category": [], "cuisine": [], "keywords": []}
    text = f"# About us\nWe sell kitchens. [[fake-llm:reply={base64.b64encode(json.dumps(empty).encode()).decode()}]]"
    cache = LLMCache(tmp_path / "llm_cache.sqlite3")
    with FakeLLM() as fake:
        first, second = _structure(fake, cache, text), _structure(fake, cache, text)
        assert fake.stats["requests"] == 1
    for done in (first, second):
        assert done.recipe is None and isinstance(done.error, InvalidLLMOutput)
        assert "no recipe" in done.error.message
    assert first.error.usage.calls == 1 and second.error.usage.calls == 0 and second.hit is not None


def test_the_llm_gateway_asks_its_cache_first_and_reports_the_hit_and_its_savings(ray_session, tmp_path):
    from ray_import.llm_gateway import start_gateway

    text = page_text((PAGES_DIR / "nodata-lemonade.html").read_text("utf-8"), 24000)
    with FakeLLM() as fake:
        llm = LLMSettings(base_url=fake.base_url, model=fake.options.model, price_per_million_input=1.0)
        gateway = start_gateway(llm, tmp_path)
        try:
            first, second, unkeyed = ray_session.get([gateway.structure.remote(text, SHA)]) + ray_session.get(
                [gateway.structure.remote(text, SHA), gateway.structure.remote(text)])
            stats = ray_session.get(gateway.stats.remote())
        finally:
            ray_session.kill(gateway)
        assert fake.stats["requests"] == 2  # the first ask and the one without a page hash
    assert (first.calls, first.cache_hit, second.calls, second.cache_hit) == (1, False, 0, True)
    assert second.recipe == first.recipe and first.cost_usd > 0 and second.saved_usd == pytest.approx(first.cost_usd)
    assert not unkeyed.cache_hit
    assert (stats["cache_entries"], stats["cache_hits"]) == (1, 1)
    assert (tmp_path / ".ray-import" / "llm_cache.sqlite3").is_file()  # in the output folder
    off = start_gateway(llm.model_copy(update={"cache_max_entries": 0}), tmp_path / "off")
    try:
        assert "cache_entries" not in ray_session.get(off.stats.remote())
    finally:
        ray_session.kill(off)
