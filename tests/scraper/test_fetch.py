"""Tests of `scraper.fetch` and `scraper.retry`, without Ray: real HTTP against `sample_site`
(shared by the session, so request counts are compared before/after), plus unit tests of charset
decoding, Retry-After parsing and the retry policy."""

from __future__ import annotations

import codecs
import hashlib
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from scraper.errors import (ConnectFailed, FetchTimeout, HTTPRejected, InvalidURL, NotHTML,
                            ServerBusy, TooLarge)
from scraper.fetch import decode_html, fetch
from scraper.url_values import MAX_URL_LENGTH, parse_retry_after
from scraper.retry import backoff_delay, call_with_retries
from scraper.settings import FetchSettings

FAST = dict(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5, backoff_base_s=0.01,
            backoff_max_s=0.05)


def settings(**changes) -> FetchSettings:
    return FetchSettings(**{**FAST, **changes})


def fetch_counting(site, path: str, expected: type[Exception], **changes):
    """Fetch `path`, expect `expected`; returns (exception, requests the site saw for the path)."""
    before = site.hits[path.split("?")[0]]
    with pytest.raises(expected) as info:
        fetch(site.base_url + path, settings(**changes))
    return info.value, site.hits[path.split("?")[0]] - before


# -- successful fetches -------------------------------------------------------------------------


def test_recipe_page(sample_site):
    url = f"{sample_site.base_url}/recipes/spaghetti-carbonara.html"
    page = fetch(url, settings())
    raw = sample_site.page_bytes("spaghetti-carbonara")
    assert (page.url, page.final_url, page.status, page.attempts) == (url, url, 200, 1)
    assert page.content_type == "text/html; charset=utf-8" and page.encoding == "utf-8"
    assert "<title>Spaghetti Carbonara | Pantry Table</title>" in page.html
    assert page.html == raw.decode("utf-8")
    assert page.content_sha256 == hashlib.sha256(raw).hexdigest()
    assert abs((datetime.now(UTC) - page.fetched_at).total_seconds()) < 10


@pytest.mark.parametrize(
    ("path", "encoding", "title"),
    [
        ("/charset/latin1", "iso8859-1", "Gâteau au yaourt de grand-mère"),
        ("/charset/meta", "cp1252", "Œufs cocotte à la crème – prêts en 15 minutes"),
    ],
)
def test_non_utf8_charsets(sample_site, path, encoding, title):
    page = fetch(sample_site.base_url + path, settings())
    assert page.encoding == encoding
    assert f"<title>{title}</title>" in page.html
    assert "\ufffd" not in page.html and "Ã" not in page.html


def test_flaky_page_succeeds_on_third_attempt(sample_site):
    path = f"/flaky/{uuid.uuid4().hex}/2"
    page = fetch(sample_site.base_url + path, settings())
    assert (page.status, page.attempts, sample_site.hits[path]) == (200, 3, 3)
    assert sample_site.page_bytes(sample_site.page_names()[0]).decode() == page.html


def test_redirect_chain_is_followed(sample_site):
    page = fetch(f"{sample_site.base_url}/redirect/3", settings())
    first = sample_site.page_names()[0]
    assert page.url == f"{sample_site.base_url}/redirect/3"
    assert page.final_url == f"{sample_site.base_url}/recipes/{first}.html"
    assert page.status == 200 and page.attempts == 1


def test_body_under_the_limit(sample_site):
    page = fetch(f"{sample_site.base_url}/bytes/900", settings(max_bytes=1000))
    assert len(page.html) == 900 and page.html.startswith("<!DOCTYPE html>")


# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error", "attributes"),
    [
        ("/status/400", HTTPRejected, {"status": 400}),
        ("/status/404", HTTPRejected, {"status": 404, "message": "server answered HTTP 404"}),
        ("/status/410", HTTPRejected, {"status": 410}),
        ("/redirect/6", HTTPRejected, {"status": 310, "message": "more than 5 redirects"}),
        ("/redirect-to?url=ftp://x/y", InvalidURL, {}),
        ("/redirect-to?url=file:///etc/passwd", InvalidURL, {}),
        ("/type/pdf", NotHTML, {"content_type": "application/pdf"}),
        ("/type/png", NotHTML, {"content_type": "image/png"}),
        ("/type/json", NotHTML, {"content_type": "application/json"}),
    ],
)
def test_permanent_failures_are_not_retried(sample_site, path, error, attributes):
    exc, requests = fetch_counting(sample_site, path, error)
    assert requests == 1 and exc.stage == "fetch" and exc.url == sample_site.base_url + path
    assert {name: getattr(exc, name) for name in attributes} == attributes


@pytest.mark.parametrize(
    ("path", "changes", "expected"),
    [("/status/503", {"max_attempts": 2}, (503, 1.0, 2, 2)),  # waits Retry-After (1 s) once
     ("/status/429", {"max_retry_after_s": 0.5}, (429, 1.0, 1, 1))],  # too long: not waited
)
def test_busy_server(sample_site, path, changes, expected):
    start = time.monotonic()
    exc, requests = fetch_counting(sample_site, path, ServerBusy, **changes)
    assert (exc.status, exc.retry_after, exc.attempts, requests) == expected
    assert "Retry-After 1s" in str(exc) and time.monotonic() - start < expected[2] - 0.1


@pytest.mark.parametrize(("path", "max_bytes"), [("/bytes/5000", 1000), ("/gzip-bomb", None)])
def test_too_large(sample_site, path, max_bytes):
    start = time.monotonic()
    limit = {"max_bytes": max_bytes} if max_bytes else {}
    exc, requests = fetch_counting(sample_site, path, TooLarge, **limit)
    assert (exc.limit, requests) == (max_bytes or FetchSettings().max_bytes, 1)
    assert time.monotonic() - start < 5  # the bomb inflates to 50 MB: stopped at 10 MB


@pytest.mark.parametrize(("limit", "size"), [(1000, "1 kB"), (1234, "1234 bytes"),
                                             (10_000_000, "10 MB"), (1_500_000, "1.5 MB")])
def test_too_large_message_states_the_limit(limit, size):
    assert f"over the {size} limit" in str(TooLarge(limit=limit))


def test_slow_answer_times_out(sample_site):
    start = time.monotonic()
    exc, _ = fetch_counting(sample_site, "/slow?s=5", FetchTimeout,
                            read_timeout_s=0.5, max_attempts=1)
    assert exc.attempts == 1 and time.monotonic() - start < 3


def test_refused_port_is_connect_failed():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectFailed) as info:
        fetch(f"http://127.0.0.1:{port}/", settings())
    assert info.value.attempts == 3 and info.value.stage == "fetch"


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://x/y", "javascript:alert(1)", "data:text/html,hi", "http://",
     "not a url", "http://example.com/a b", "http://exa mple.com/", "http://example.com/\ufffd",
     "http://example.com/\x00", "http://example.com:99999/", "http://[::1/",
     "http://example.com/" + "a" * (MAX_URL_LENGTH + 808)],
    ids=lambda u: repr(u)[:40],
)
def test_invalid_urls_fail_before_any_request(url):
    with pytest.raises(InvalidURL) as info:
        fetch(url, settings(connect_timeout_s=0.01))
    assert info.value.stage == "fetch" and info.value.kind == "invalid_url"
    assert not isinstance(info.value.__cause__, OSError)


# -- units: decode_html, parse_retry_after, retries ---------------------------------------------

ACCENTED = "<html><p>Crème brûlée à l’œuf</p></html>"
META = '<meta charset="windows-1252"><p>Œuf – 2 €</p>'
EQUIV = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">é'


@pytest.mark.parametrize(
    ("body", "header", "text", "codec"),
    [
        (ACCENTED.encode("utf-8"), "utf-8", ACCENTED, "utf-8"),
        (ACCENTED.encode("cp1252"), "windows-1252", ACCENTED, "cp1252"),
        ("<meta charset=latin1>Œ".encode("cp1252"), "cp1252", "<meta charset=latin1>Œ",
         "cp1252"),  # the header beats the meta tag
        (ACCENTED.encode("cp1252"), "utf-8", ACCENTED, "cp1252"),  # wrong header falls back
        (ACCENTED.encode("cp1252"), "no-such-codec", ACCENTED, "cp1252"),
        (codecs.BOM_UTF8 + ACCENTED.encode("utf-8"), None, ACCENTED, "utf-8-sig"),
        (META.encode("cp1252"), None, META, "cp1252"),
        (EQUIV.encode("latin-1"), None, EQUIV, "iso8859-1"),
        (ACCENTED.encode("utf-8"), None, ACCENTED, "utf-8"),  # nothing declared
        (b"\x81\x8d\x8f\x90", "utf-8", "\ufffd" * 4, "utf-8"),  # nothing fits: replaced, no error
    ],
)
def test_decode_html(body, header, text, codec):
    assert decode_html(body, header) == (text, codec)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), (None, None), ("", None), ("soon", None),
     ("1.5", None), ("-3", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
     ("Mon, 01 Jan 99999 00:00:00 GMT", None), ("²", None), ("١٢", None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_http_date():
    when = datetime.now(UTC) + timedelta(seconds=90)
    assert 85 <= parse_retry_after(format_datetime(when, usegmt=True)) <= 90


def scripted(outcomes: list):
    """A `fn` for call_with_retries that plays `outcomes` (the last one repeats) and its calls."""
    calls: list[int] = []

    def fn(attempt: int):
        calls.append(attempt)
        outcome = outcomes[min(len(calls), len(outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return fn, calls


def retry(fn, sleeps: list[float], **options):
    defaults = dict(max_attempts=3, base_s=0.1, max_s=0.15, max_retry_after_s=60)
    return call_with_retries(fn, **{**defaults, **options}, sleep=sleeps.append)


@pytest.mark.parametrize("max_attempts", [1, 2, 4])
def test_retries_stop_at_max_attempts(max_attempts):
    (fn, calls), sleeps = scripted([ConnectFailed("refused")]), []
    with pytest.raises(ConnectFailed) as info:
        retry(fn, sleeps, max_attempts=max_attempts)
    assert info.value.attempts == max_attempts and calls == list(range(1, max_attempts + 1))
    assert len(sleeps) == max_attempts - 1


def test_retries_succeed_and_back_off_within_bounds():
    (fn, calls), sleeps = scripted([FetchTimeout("t"), FetchTimeout("t"), "ok"]), []
    assert retry(fn, sleeps) == ("ok", 3) and calls == [1, 2, 3]
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.15


@pytest.mark.parametrize(("retry_after", "waited"), [(7, 7.0), (60, 60.0), (0, 0.0)])
def test_retry_after_is_honoured(retry_after, waited):
    (fn, _), sleeps = scripted([ServerBusy(status=503, retry_after=retry_after), "ok"]), []
    assert retry(fn, sleeps) == ("ok", 2) and len(sleeps) == 1
    # Never sooner than asked; a little jitter on top so that clients told the same
    # Retry-After do not all come back in the same instant.
    assert waited <= sleeps[0] <= waited + 0.1


def test_retry_after_over_the_cap_is_raised_at_once():
    (fn, calls), sleeps = scripted([ServerBusy(status=429, retry_after=61), "ok"]), []
    with pytest.raises(ServerBusy) as info:
        retry(fn, sleeps)
    assert (info.value.attempts, calls, sleeps) == (1, [1], [])


@pytest.mark.parametrize("error", [HTTPRejected(status=404), NotHTML(content_type="image/png"),
                                   TooLarge(limit=1), InvalidURL("x"), ValueError("bug")])
def test_non_transient_errors_are_not_retried(error):
    (fn, calls), sleeps = scripted([error, "ok"]), []
    with pytest.raises(type(error)):
        retry(fn, sleeps, max_attempts=5)
    assert (calls, sleeps) == ([1], [])


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (10, 5.0)])
def test_backoff_delay_is_capped(attempt, ceiling):
    def delay(retry_after):
        return backoff_delay(attempt, base_s=0.5, max_s=5.0, retry_after=retry_after,
                             max_retry_after_s=60)

    assert all(0 <= delay(None) <= ceiling for _ in range(50))
    # Retry-After is waited in full (capped at max_retry_after_s), plus at most the jitter.
    for retry_after, floor in ((99, 60), (-1, 0), (2.5, 2.5)):
        assert floor <= delay(retry_after) <= floor + ceiling
