"""structure.py without Ray: reply parsing, the strict schema, and real HTTP to the fake endpoint."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest
from pydantic import ValidationError

from ray_import.demo.fake_llm import FakeLLM, FakeLLMOptions
from scraper.errors import InvalidLLMOutput, LLMRejected, LLMUnavailable
from scraper.readable import page_text
from scraper.settings import LLMSettings
from scraper.structure import FormatState, LLMRecipe, parse_reply, recipe_schema, structure, to_recipe

REPLY = {"title": "Pie", "ingredients": ["2 apples"], "instructions": ["Bake."], "yields": None,
         "total_time": 30, "prep_time": None, "cook_time": None, "author": "Ann", "description": None,
         "language": None, "category": None, "cuisine": [], "keywords": []}
PAGE = "# Pie\nBy Ann\n## Ingredients\n- 2 apples\n## Method\n- Bake."


def test_the_schema_is_strict():
    schema = recipe_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"]) == set(LLMRecipe.model_fields)
    assert "default" not in json.dumps(schema)


@pytest.mark.parametrize("wrap", ["{}", "```json\n{}\n```", "```\n{}\n```", "  ```JSON\n{}```  "])
def test_code_fences_are_stripped(wrap):
    assert parse_reply(wrap.replace("{}", json.dumps(REPLY))).title == "Pie"


@pytest.mark.parametrize("bad", ["", "Sure! Here it is: {", "[1, 2]", json.dumps({**REPLY, "total_time": -5}),
                                 json.dumps({k: v for k, v in REPLY.items() if k != "title"})])
def test_invalid_replies_raise(bad):
    with pytest.raises((ValueError, ValidationError)):
        parse_reply(bad)


def test_unknown_keys_are_dropped_and_unbacked_values_too():
    reply = parse_reply(json.dumps({**REPLY, "system_prompt_leak": "x", "author": "Someone Else"}))
    recipe = to_recipe(reply, PAGE, "m")
    assert recipe.author is None and recipe.image is None and recipe.extractor == "llm:m"
    assert to_recipe(parse_reply(json.dumps(REPLY)), PAGE, "m").author == "Ann"


def test_no_recipe_is_a_permanent_failure():
    with pytest.raises(InvalidLLMOutput):
        to_recipe(parse_reply(json.dumps({**REPLY, "title": "", "ingredients": [], "instructions": []})), PAGE, "m")


def _structure(fake: FakeLLM, text: str, **settings):
    cfg = LLMSettings(base_url=fake.base_url, model="fake-recipe-llm", backoff_base_s=0.01,
                      backoff_max_s=0.05, **settings)

    async def go():
        client = openai.AsyncOpenAI(base_url=cfg.base_url, api_key="k", max_retries=0)
        try:
            return await structure(text, client=client, settings=cfg, state=FormatState())
        finally:
            await client.close()

    return asyncio.run(go())


def test_structure_over_real_http_counts_usage():
    with FakeLLM() as fake:
        recipe, usage = _structure(fake, PAGE)
    assert recipe.title == "Pie" and recipe.ingredients == ["2 apples"]
    assert usage.calls == 1 and usage.prompt_tokens > 100 and usage.completion_tokens > 10


@pytest.mark.parametrize(("marker", "error"), [("[[fake-llm:error]]", LLMUnavailable),
                                                ("[[fake-llm:malformed]]", InvalidLLMOutput)])
def test_failures_are_typed_and_carry_their_usage(marker, error):
    with FakeLLM() as fake:
        with pytest.raises(error) as info:
            _structure(fake, PAGE + "\n" + marker, max_attempts=2)
    assert info.value.usage.seconds > 0


def test_wrong_model_endpoint_is_rejected():
    with FakeLLM(FakeLLMOptions(api_key="right")) as fake, pytest.raises(LLMRejected):
        _structure(fake, PAGE)


def test_readable_text_keeps_the_recipe_and_drops_the_rest():
    html = ("<html><head><title>T</title><script>var x=1;</script><style>p{}</style></head><body>"
            "<nav><a>Home</a></nav><article><h1>Pie</h1><!-- comment --><h2>Ingredients</h2>"
            "<ul><li>2 apples</li></ul><h2>Method</h2><ol><li>Bake.</li></ol></article>"
            "<div class='comments'>Nice!</div><footer>(c)</footer></body></html>")
    text = page_text(html)
    assert "# Pie" in text and "- 2 apples" in text and "- Bake." in text
    for noise in ("var x", "p{}", "Home", "comment", "Nice!", "(c)"):
        assert noise not in text
    assert len(page_text(html, max_chars=20)) == 20
