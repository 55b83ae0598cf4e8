"""Tests of the fetch step (`scraper.fetch`) and its retry helper (`scraper.retry`), without Ray.

Network tests use real HTTP against the `sample_site` fixture on 127.0.0.1; the error mapping,
charset decoding, Retry-After parsing and retry policy are also tested as units. `sample_site` is
shared by the whole session, so request counts are compared before/after, never absolutely.
"""

from __future__ import annotations

import codecs
import hashlib
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from scraper.errors import (
    ConnectFailed,
    FetchTimeout,
    HTTPRejected,
    InvalidURL,
    NotHTML,
    ServerBusy,
    TooLarge,
)
from scraper.fetch import MAX_URL_LENGTH, decode_html, fetch, parse_retry_after
from scraper.retry import backoff_delay, call_with_retries
from scraper.settings import FetchSettings

FAST = dict(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=5,
            backoff_base_s=0.01, backoff_max_s=0.05)


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


@pytest.mark.parametrize("code", [400, 403, 404, 410])
def test_client_errors_are_permanent_and_not_retried(sample_site, code):
    exc, requests = fetch_counting(sample_site, f"/status/{code}", HTTPRejected)
    assert (exc.status, exc.stage, requests) == (code, "fetch", 1)
    assert exc.url.endswith(f"/status/{code}")


def test_busy_server_is_retried_max_attempts_times(sample_site):
    exc, requests = fetch_counting(sample_site, "/status/503", ServerBusy, max_attempts=2)
    assert (exc.status, exc.retry_after, exc.attempts, requests) == (503, 1.0, 2, 2)
    assert "Retry-After 1s" in str(exc)


def test_retry_after_over_the_cap_is_not_waited_out(sample_site):
    start = time.monotonic()
    exc, requests = fetch_counting(sample_site, "/status/429", ServerBusy, max_retry_after_s=0.5)
    assert (exc.status, exc.retry_after, exc.attempts, requests) == (429, 1.0, 1, 1)
    assert time.monotonic() - start < 0.9


def test_too_many_redirects(sample_site):
    exc, _ = fetch_counting(sample_site, "/redirect/6", HTTPRejected)
    assert "redirects" in str(exc) and exc.status == 310


@pytest.mark.parametrize("target", ["ftp://x/y", "file:///etc/passwd"])
def test_redirect_to_another_scheme_is_invalid(sample_site, target):
    fetch_counting(sample_site, f"/redirect-to?url={target}", InvalidURL)


def test_declared_length_over_the_limit(sample_site):
    exc, _ = fetch_counting(sample_site, "/bytes/5000", TooLarge, max_bytes=1000)
    assert exc.limit == 1000


@pytest.mark.xfail(strict=True, reason="BUG: TooLarge's message floors the limit to whole MB "
                   "(`limit // 1_000_000`), so max_bytes=1000 reads 'over the 0 MB limit'")
def test_too_large_message_states_a_real_limit():
    assert " 0 MB" not in str(TooLarge(limit=1000))


def test_gzip_bomb_is_stopped_after_decompression(sample_site):
    start = time.monotonic()
    exc, requests = fetch_counting(sample_site, "/gzip-bomb", TooLarge)
    assert exc.limit == FetchSettings().max_bytes and requests == 1
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(("kind", "mime"), [("pdf", "application/pdf"), ("png", "image/png"),
                                            ("json", "application/json")])
def test_not_html(sample_site, kind, mime):
    exc, requests = fetch_counting(sample_site, f"/type/{kind}", NotHTML)
    assert (exc.content_type, requests) == (mime, 1)


def test_slow_answer_times_out(sample_site):
    start = time.monotonic()
    exc, _ = fetch_counting(sample_site, "/slow?s=5", FetchTimeout, read_timeout_s=0.5, max_attempts=1)
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


@pytest.mark.parametrize(
    ("body", "header", "text", "codec"),
    [
        (ACCENTED.encode("utf-8"), "utf-8", ACCENTED, "utf-8"),  # header wins
        (ACCENTED.encode("cp1252"), "windows-1252", ACCENTED, "cp1252"),
        ("<meta charset=iso-8859-1>Œ".encode("cp1252"), "windows-1252",  # header beats meta
         "<meta charset=iso-8859-1>Œ", "cp1252"),
        (ACCENTED.encode("cp1252"), "utf-8", ACCENTED, "cp1252"),  # wrong header falls back
        (ACCENTED.encode("cp1252"), "no-such-codec", ACCENTED, "cp1252"),
        (codecs.BOM_UTF8 + ACCENTED.encode("utf-8"), None, ACCENTED, "utf-8-sig"),
        ('<meta charset="windows-1252"><p>Œuf – 2 €</p>'.encode("cp1252"), None,
         '<meta charset="windows-1252"><p>Œuf – 2 €</p>', "cp1252"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">é'
         .encode("latin-1"), None,
         '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">é', "iso8859-1"),
        (ACCENTED.encode("utf-8"), None, ACCENTED, "utf-8"),  # nothing declared
    ],
)
def test_decode_html(body, header, text, codec):
    assert decode_html(body, header) == (text, codec)


def test_decode_html_undecodable_falls_back_without_raising():
    text, codec = decode_html(b"\x81\x8d\x8f\x90\x9d", "utf-8")  # invalid in utf-8 and cp1252
    assert codec == "utf-8" and text == "\ufffd" * 5


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (" 7 ", 7.0), ("0", 0.0), (None, None), ("", None), ("soon", None),
     ("1.5", None), ("-3", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
     ("Mon, 01 Jan 99999 00:00:00 GMT", None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_http_date():
    when = datetime.now(UTC) + timedelta(seconds=90)
    assert 85 <= parse_retry_after(format_datetime(when, usegmt=True)) <= 90


@pytest.mark.xfail(strict=True, reason="BUG: parse_retry_after tests value.isdigit() then float(); "
                   "'²' is a digit but not a number, so a server header raises ValueError "
                   "instead of giving None (escapes fetch as an untyped error)")
def test_parse_retry_after_superscript_digit_is_junk():
    assert parse_retry_after("²") is None


def run_retries(outcomes, **kwargs):
    """call_with_retries over a scripted list of outcomes; returns (result, calls, sleeps)."""
    calls, sleeps = [], []

    def fn(attempt):
        calls.append(attempt)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    options = dict(max_attempts=3, base_s=0.1, max_s=0.15, max_retry_after_s=60, sleep=sleeps.append)
    return call_with_retries(fn, **{**options, **kwargs}), calls, sleeps


def test_retries_stop_at_max_attempts():
    errors = [ConnectFailed("refused")] * 4
    with pytest.raises(ConnectFailed) as info:
        run_retries(errors, max_attempts=4)
    assert info.value.attempts == 4


def test_retries_succeed_and_back_off_within_bounds():
    (value, attempts), calls, sleeps = run_retries([FetchTimeout("t"), FetchTimeout("t"), "ok"])
    assert (value, attempts, calls) == ("ok", 3, [1, 2, 3])
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.15


def test_retry_after_is_honoured():
    busy = ServerBusy(status=503, retry_after=7)
    (value, attempts), _, sleeps = run_retries([busy, "ok"])
    assert (value, attempts, sleeps) == ("ok", 2, [7.0])


def test_retry_after_over_the_cap_is_raised_at_once():
    with pytest.raises(ServerBusy) as info:
        run_retries([ServerBusy(status=429, retry_after=61), "ok"])
    assert info.value.attempts == 1


@pytest.mark.parametrize("error", [HTTPRejected(status=404), NotHTML(content_type="image/png"),
                                   TooLarge(limit=1), InvalidURL("x"), ValueError("bug")])
def test_non_transient_errors_are_not_retried(error):
    calls, sleeps = [], []

    def fn(attempt):
        calls.append(attempt)
        raise error

    with pytest.raises(type(error)):
        call_with_retries(fn, max_attempts=5, base_s=0, max_s=0, max_retry_after_s=1, sleep=sleeps.append)
    assert (calls, sleeps) == ([1], [])


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (10, 5.0)])
def test_backoff_delay_is_capped(attempt, ceiling):
    delays = [backoff_delay(attempt, base_s=0.5, max_s=5.0, retry_after=None, max_retry_after_s=60)
              for _ in range(50)]
    assert all(0 <= d <= ceiling for d in delays)
    assert backoff_delay(attempt, base_s=0.5, max_s=5, retry_after=99, max_retry_after_s=60) == 60
    assert backoff_delay(attempt, base_s=0.5, max_s=5, retry_after=-1, max_retry_after_s=60) == 0
