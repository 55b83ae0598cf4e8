"""Tests of the catalog keys (`ray_import.urls`) and the file-name slugs (`ray_import.slugs`)."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ray_import.slugs import FALLBACK, MAX_LENGTH, RESERVED, base_slug, is_valid_slug, unique_slug
from ray_import.urls import normalize_url, task_label, try_normalize
from scraper.errors import InvalidURL

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KEY = "example.com/recipes/pie?a=1&b=2"

# -- normalize_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/recipes/pie?a=1&b=2",
        "https://example.com/recipes/pie?a=1&b=2",  # scheme
        "HTTPS://EXAMPLE.COM/recipes/pie?a=1&b=2",  # scheme and host case
        "https://www.example.com/recipes/pie?a=1&b=2",  # www.
        "http://example.com:80/recipes/pie?a=1&b=2",  # default ports
        "https://example.com:443/recipes/pie?a=1&b=2",
        "https://example.com./recipes/pie?a=1&b=2",  # trailing dot of the host
        "https://example.com/recipes/pie?a=1&b=2#comments",  # fragment
        "https://example.com/recipes/pie/?a=1&b=2",  # trailing slash
        "https://example.com/recipes/pie?b=2&a=1",  # parameter order
        "https://example.com/recipes/pie?utm_source=x&a=1&UTM_Medium=y&b=2&fbclid=z&gclid=w",
        "  https://www.Example.com:443/recipes/pie/?gclid=1&b=2&a=1#top  ",
    ],
)
def test_equivalent_urls_share_a_key(url):
    assert normalize_url(url) == KEY


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://example.com:8080/", "example.com:8080"),
        ("http://example.com/", "example.com"),
        ("http://example.com/RECIPES/Pie", "example.com/RECIPES/Pie"),  # path case kept
        ("http://example.com/caf%C3%A9", "example.com/caf%C3%A9"),
        ("http://example.com/café", "example.com/caf%C3%A9"),
        ("http://example.com/%7Euser", "example.com/~user"),
        ("http://example.com/?q=a+b", "example.com?q=a%20b"),
        ("http://example.com/?z&a=", "example.com?a=&z="),
        ("http://blog.example.com/x", "blog.example.com/x"),  # only a leading www. goes
        ("http://example.com/?page=2&id=3", "example.com?id=3&page=2"),
    ],
)
def test_normalize_url_examples(url, key):
    assert normalize_url(url) == key


def test_different_pages_keep_different_keys():
    urls = ["http://e.com/a", "http://e.com/b", "http://e.com/a?id=1", "http://e.com/a?id=2",
            "http://e.com:81/a", "http://f.com/a"]
    keys = {normalize_url(u) for u in urls}
    assert len(keys) == 6


@pytest.mark.parametrize("url", ["ftp://x/y", "not a url", "http://", "javascript:alert(1)", ""])
def test_invalid_urls(url):
    assert try_normalize(url) is None
    if url:
        with pytest.raises(InvalidURL):
            normalize_url(url)
    assert try_normalize(None) is None


LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
HOSTS = st.builds(lambda www, labels, tld: www + ".".join(labels) + "." + tld,
                  st.sampled_from(["", "www.", "WWW."]), st.lists(LABEL, min_size=1, max_size=3),
                  st.sampled_from(["com", "fr", "CO.UK"]))
# Query values avoid raw & = + % #: they are URL syntax here (encoded forms are tested above).
VALUE = st.text(alphabet=st.characters(blacklist_characters="&=+%#\ufffd",
                                       blacklist_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]),
                max_size=8)
URLS = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}://{host}{port}/" + "/".join(segments)
        + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "") + fragment
    ),
    st.sampled_from(["http", "https", "HTTP"]), HOSTS,
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(st.text(alphabet="abcXYZ019-._~é ()%20", max_size=6), max_size=3),
    st.lists(st.tuples(st.sampled_from(["id", "q", "utm_source", "fbclid", "Page"]), VALUE),
             max_size=4),
    st.sampled_from(["", "#top", "#"]),
)


@given(URLS)
@example("http://www.example.com:80/a//?b=%C3%A9&a=1#x")
def test_normalize_url_is_idempotent(url):
    url = url.replace(" ", "%20")
    key = normalize_url(url)
    assert normalize_url("http://" + key) == key
    assert normalize_url("https://" + key) == key
    assert not key.startswith("www.") and "#" not in key
    assert not re.search(r"[?&](utm_|fbclid=)", key, re.I)


def test_encoded_query_delimiters_keep_pages_apart():
    assert normalize_url("http://e.com/?a=%26b%3D1") != normalize_url("http://e.com/?a=&b=1")


@pytest.mark.parametrize("url", ["http://e.com/?q=a%2Bb", "http://www.www.e.com/"])
def test_normalize_url_is_idempotent_on_edge_cases(url):
    key = normalize_url(url)
    assert normalize_url("http://" + key) == key


def test_ipv6_hosts_keep_their_port_apart():
    assert normalize_url("http://[::1]:8080/x") != normalize_url("http://[::1:8080]/x")


@pytest.mark.parametrize(
    ("url", "label"),
    [("https://www.example.com/recipes/pie?x=1#y", "example.com/recipes/pie"),
     ("http://example.com", "example.com/"), ("not a url", "?not a url")],
)
def test_task_label(url, label):
    assert task_label(url) == label


def test_task_label_is_capped():
    assert len(task_label("http://e.com/" + "a" * 300)) == 120


# -- slugs ---------------------------------------------------------------------------------------


def test_unique_slug_collisions():
    taken: set[str] = set()
    slugs = []
    for _ in range(3):
        slugs.append(unique_slug("Apple Pie!", taken.__contains__))
        taken.add(slugs[-1])
    assert slugs == ["apple-pie", "apple-pie-2", "apple-pie-3"]
    assert unique_slug("Apple Pie", {"apple-pie", "apple-pie-3"}.__contains__) == "apple-pie-2"
    assert unique_slug("", {"recipe"}.__contains__) == "recipe-2"


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Crème brûlée à la vanille", "creme-brulee-a-la-vanille"),
     ("Bœuf Bourguignon", "boeuf-bourguignon"),
     ("Ærøskøbing Æbleskiver", "aeroskobing-aebleskiver"), ("Straße", "strasse"),
     ("Mac & Cheese", "mac-cheese"), ("  --Pie--  ", "pie"), ("a--b__c", "a-b-c"),
     ("", FALLBACK), (None, FALLBACK), ("!!!", FALLBACK), ("...", FALLBACK), ("🍰🍰", FALLBACK),
     ("..", FALLBACK), ("../", FALLBACK), ("../../etc/passwd", "etc-passwd"),
     ("C:\\Windows\\system32", "c-windows-system32"),
     ("con", "con-recipe"), ("NUL", "nul-recipe"), ("Aux", "aux-recipe"), ("com1", "com1-recipe"),
     ("LPT9", "lpt9-recipe"), ("con.txt", "con-txt")],
)
def test_base_slug(title, slug):
    assert base_slug(title) == slug
    assert is_valid_slug(slug)


@pytest.mark.parametrize("words", [["Grandma's", "extra", "crunchy", "caramelised"], ["Tarte"]])
def test_long_titles_are_cut_at_a_word_boundary(words):
    title = " ".join(words * 40)[:300]
    full = "-".join(w.lower().replace("'", "-") for w in title.split())
    slug = base_slug(title)
    assert MAX_LENGTH - 12 <= len(slug) <= MAX_LENGTH
    assert full.startswith(slug) and full[len(slug)] == "-"  # whole words only


def test_one_long_word_is_cut_at_max_length():
    assert base_slug("x" * 300) == "x" * MAX_LENGTH


@pytest.mark.parametrize("name", sorted(RESERVED))
def test_reserved_names_are_never_slugs(name):
    assert base_slug(name) != name and base_slug(name.upper()) != name.upper().lower()
    assert not is_valid_slug(name)


@given(st.one_of(st.none(), st.text()))
@example("\x00/..\\")
@example("ǅ İ ﬁ ½ ² Ⅻ 日本語")
def test_slugs_are_always_safe(title):
    slug = base_slug(title)
    assert SLUG.match(slug) and len(slug) <= MAX_LENGTH and slug not in RESERVED
    assert is_valid_slug(slug)
    taken = {slug, f"{slug}-2"}
    assert unique_slug(title, taken.__contains__) == f"{slug}-3"
    assert is_valid_slug(f"{slug}-3")
