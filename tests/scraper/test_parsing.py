"""Property and example tests of the small normalisations in `scraper._parsing`."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scraper._parsing import clean_list, clean_text, servings_from_yields, split_tags, to_minutes

TEXT = st.text()
NOT_BOGUS_DIGITS = TEXT


# -- clean_text / clean_list ---------------------------------------------------------------------


@given(st.one_of(TEXT, st.integers(), st.floats()))
@example("  a\u00ad b\u200b\n\tc  ")
@example("Fish &amp; Chips")
@example("\ufeff\u2060 ")
def test_clean_text_is_idempotent_and_never_empty(value):
    text = clean_text(value)
    assert text != ""
    assert clean_text(text) == text
    if text is not None:
        assert text == text.strip() and "  " not in text and "\n" not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("   \n\t", None), ("\u200b\u00ad", None), (12, "12"),
     ("Fish &amp; Chips", "Fish & Chips"), ("a\u00a0\u00a0b", "a b"),
     ("cre\u0300me  bru\u0302le\u0301e", "cr\u00e8me br\u00fbl\u00e9e")],  # NFC
)
def test_clean_text_examples(value, expected):
    assert clean_text(value) == expected


@pytest.mark.parametrize("value", ["&amp;lt;", "Mac &amp;amp; Cheese"])
def test_clean_text_is_idempotent_on_double_escaped_entities(value):
    assert clean_text(clean_text(value)) == clean_text(value)


@given(st.lists(st.one_of(st.none(), TEXT)))
def test_clean_list_drops_empty_lines_and_keeps_order(values):
    expected = [t for t in (clean_text(v) for v in values) if t is not None]
    assert clean_list(values) == expected
    assert "" not in clean_list(values)


def test_clean_list_of_a_string_splits_lines():
    assert clean_list("a\n\n  b \r\nc") == ["a", "b", "c"]
    assert clean_list(None) == []


# -- to_minutes ----------------------------------------------------------------------------------


@given(st.one_of(st.none(), st.booleans(), st.integers(), NOT_BOGUS_DIGITS,
                 st.floats(allow_infinity=False)))
@example("0042")
@example(-0.4)
def test_to_minutes_is_never_negative(value):
    minutes = to_minutes(value)
    assert minutes is None or (type(minutes) is int and minutes >= 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (True, None), (0, 0), (15, 15), (2.6, 3), (-1, None), (-0.1, None),
     (" 90 ", 90), ("PT1H", None), ("1 hour", None), ("-5", None), (float("nan"), None)],
)
def test_to_minutes_examples(value, expected):
    assert to_minutes(value) == expected


@pytest.mark.parametrize("value", ["²", "①", math.inf], ids=["superscript", "circled", "inf"])
def test_to_minutes_never_raises(value):
    assert to_minutes(value) is None


# -- servings_from_yields ------------------------------------------------------------------------


@given(st.one_of(st.none(), TEXT))
@example("0 servings")
@example("serves 0-4")
@example("-3 portions")
def test_servings_are_positive_or_none(yields):
    servings = servings_from_yields(yields)
    assert servings is None or (type(servings) is float and 0 < servings < math.inf)


@pytest.mark.parametrize(
    ("yields", "expected"),
    [("8 servings", 8), ("4-6 portions", 4), ("4 to 6", 4), ("½ cake", 0.5), ("¼", 0.25),
     ("Makes 12 muffins", 12), ("2,5 litres", 2.5), ("1.5 loaves", 1.5), ("6 parts", 6),
     (None, None), ("", None), ("some", None), ("0 servings", None)],
)
def test_servings_examples(yields, expected):
    assert servings_from_yields(yields) == expected


@pytest.mark.parametrize(("yields", "expected"), [("1½ cakes", 1.5), ("1/2 cake", 0.5),
                                                  ("1 1/2 loaves", 1.5)])
def test_servings_from_fractions(yields, expected):
    assert servings_from_yields(yields) == expected


# -- split_tags ----------------------------------------------------------------------------------


@given(st.lists(TEXT.filter(lambda s: "," not in s)))
def test_split_tags_dedups_and_splits_commas(items):
    expected = list(dict.fromkeys(t for t in map(clean_text, items) if t is not None))
    assert split_tags(items) == expected
    assert split_tags(", ".join(items)) == expected
    assert len(set(split_tags(items))) == len(split_tags(items))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("", []), ("Dessert", ["Dessert"]), ("a, b, a,, c ,", ["a", "b", "c"]),
     (["Dinner", "Dinner ", " Lunch"], ["Dinner", "Lunch"]), (("x", None, "y"), ["x", "y"])],
)
def test_split_tags_examples(value, expected):
    assert split_tags(value) == expected
