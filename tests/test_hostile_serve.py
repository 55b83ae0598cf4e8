"""Issue 13, items 6 and 13 and the fetch/serve minors, tried as a hostile user would.

Each test sends the hostile input to the real thing: the HTTP API (`BackgroundServer`, real Ray)
or `scraper.fetch` against a real loopback site (`_Site` below), and asserts what the site saw
and what the client got back.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from ray_import.server import BackgroundServer
from scraper.errors import BlockedAddress, HTTPRejected, ServerBusy
from scraper.fetch import Fetcher, fetch
from scraper.private_networks import refuse_private_peer
from scraper.settings import FetchSettings

PAGE = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><script type="application/ld+json">'
        b'{"@context": "https://schema.org", "@type": "Recipe", "name": "Hostile Soup", '
        b'"recipeIngredient": ["1 cup water"], "recipeInstructions": "Boil the water."}'
        b"</script></head><body></body></html>")
A_YEAR = 365 * 24 * 3600


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        site: _Site = self.server.site  # type: ignore[attr-defined]
        path = self.path.split("?")[0]
        with site.lock:
            site.hits[path] += 1
            seen = site.hits[path]
        if path == "/busy":  # the site that is never ready
            self._send(503, b"busy")
        elif path == "/no-location":
            self._send(302, b"", {"Location": None})
        elif path == "/empty-location":
            self._send(302, b"", {"Location": ""})
        elif path == "/a-year":
            self._send(429, b"come back next year", {"Retry-After": str(A_YEAR)})
        elif path == "/busy-once":  # 503 with a short Retry-After, then the page
            if seen == 1:
                self._send(503, b"busy", {"Retry-After": "2"})
            else:
                self._send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        else:
            self._send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})

    def _send(self, status: int, body: bytes, headers: dict[str, str | None] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            if value is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Site:
    """A loopback site whose routes are hostile behaviours; `hits` counts requests per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.site = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits[path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def site():
    hostile = _Site()
    yield hostile
    hostile.close()


def fast(**changes) -> FetchSettings:
    return FetchSettings(**{"connect_timeout_s": 2, "read_timeout_s": 2, "total_timeout_s": 5,
                            "backoff_base_s": 0.01, "backoff_max_s": 0.05, "per_host_interval_s": 0,
                            **changes})


@pytest.fixture
def start_api(make_config, ray_session):
    servers: list[BackgroundServer] = []

    def start(**fetch) -> httpx.Client:
        cfg = make_config(fetch={"block_private_networks": True, "allow_private_hosts": ["127.0.0.1"], **fetch})
        server = BackgroundServer(cfg).start()
        servers.append(server)
        client = httpx.Client(base_url=server.url, trust_env=False, timeout=30)
        client.out = Path(cfg.out)  # type: ignore[attr-defined]
        return client

    yield start
    for server in servers:
        server.stop()


def wait_for(predicate, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# -- item 6: DELETE of a running import stops its download ---------------------------------------

def test_delete_of_a_running_import_stops_its_download(start_api, site):
    # A site that answers 503 forever, and a fetch that would retry it (almost) forever.
    api = start_api(max_attempts=1000, backoff_base_s=0.05, backoff_max_s=0.1)
    accepted = api.post("/api/recipes", json={"url": f"{site.base_url}/busy"}).json()
    wait_for(lambda: site.count("/busy") >= 3, what="the gateway to retry /busy")
    response = api.delete(f"/api/recipes/progress/{accepted['progressId']}")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    time.sleep(1.0)  # a request already on the wire may still land
    after_cancel = site.count("/busy")
    time.sleep(2.0)  # before the fix, ~20 more retries arrive in this time
    assert site.count("/busy") == after_cancel


# -- item 13: a Last-Event-ID the server never sent ----------------------------------------------

def test_a_last_event_id_this_server_never_sent_is_400_naming_it(start_api):
    api = start_api()
    for value in ["9" * 5000, "²", "-1", "12abc", "1" * 21]:
        # Streamed: before the fix some of these opened the endless event stream.
        with api.stream("GET", "/api/recipes/events", headers={"Last-Event-ID": value.encode()}) as response:
            assert response.status_code == 400, value[:30]
            detail = json.loads(response.read())["detail"]
        assert "Last-Event-ID" in detail and value[:20] in detail and len(detail) < 300
    # A well-formed id beyond what was sent replays nothing: the stream opens.
    with api.stream("GET", "/api/recipes/events", headers={"Last-Event-ID": "9" * 20}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")


# -- HEAD answers as GET does, without a body -----------------------------------------------------

def test_head_on_get_routes_answers_like_get_without_a_body(start_api):
    api = start_api()
    (api.out / "hostile-soup.recipe.json").write_text('{"slug": "hostile-soup"}')
    for path, status in [("/healthz", 200), ("/openapi.json", 200), ("/api/recipes/hostile-soup", 200),
                         ("/api/recipes/no-such-slug", 404), ("/api/recipes/progress/nope", 404)]:
        get, head = api.get(path), api.head(path)
        assert (head.status_code, get.status_code) == (status, status), path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path
    # The event stream never ends for GET; HEAD gets its headers and is done.
    head = api.head("/api/recipes/events", timeout=10)
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream")
    wait_for(lambda: api.get("/healthz").json()["subscribers"] == 0, what="the HEAD stream to end")
    # A POST-only route stays 405, and GET routes say HEAD is allowed too.
    assert api.head("/api/recipes").status_code == 405
    assert "HEAD" in api.put("/healthz").headers["allow"].split(", ")


# -- a redirect without a Location ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["/no-location", "/empty-location"])
def test_a_redirect_without_location_says_so(site, path):
    before = site.count(path)
    with pytest.raises(HTTPRejected) as info:
        fetch(site.base_url + path, fast())
    assert info.value.status == 302 and info.value.kind == "http_error"
    assert info.value.message == "redirect 302 without a Location header"
    assert site.count(path) - before == 1


# -- Retry-After: a year is "not now", and a pause does not cost other pages attempts ------------

def test_a_retry_after_of_a_year_fails_that_url_at_once_and_holds_nothing_back(site):
    async def run() -> tuple[ServerBusy, object]:
        fetcher = Fetcher(fast(total_timeout_s=2, max_retry_after_s=60))
        try:
            with pytest.raises(ServerBusy) as info:
                await fetcher.fetch(f"{site.base_url}/a-year")
            return info.value, await fetcher.fetch(f"{site.base_url}/after-a-year")
        finally:
            await fetcher.aclose()

    before = site.count("/a-year")
    busy, other = asyncio.run(run())
    assert busy.kind == "http_busy" and busy.attempts == 1 and site.count("/a-year") - before == 1
    assert busy.message == (f"server answered HTTP 429 with Retry-After {A_YEAR}s, more than "
                            "fetch.max_retry_after_s=60s: not retried")
    # The same host's next page is fetched at once: the host was not paused for the cap.
    assert other.status == 200 and other.attempts == 1


def test_pages_waiting_out_a_hosts_retry_after_lose_no_attempt(site):
    async def run() -> list:
        # One request at a time per host: the second page waits while the first gets its 503,
        # then waits out the host's 2 s pause; its 1 s budget is for the site's answer only.
        fetcher = Fetcher(fast(total_timeout_s=1, per_host_concurrency=1, max_attempts=3))
        try:
            return await asyncio.gather(fetcher.fetch(f"{site.base_url}/busy-once"),
                                        fetcher.fetch(f"{site.base_url}/waits-its-turn"))
        finally:
            await fetcher.aclose()

    first, second = asyncio.run(run())
    assert (first.status, first.attempts) == (200, 2)
    assert (second.status, second.attempts) == (200, 1)


# -- the DNS-rebinding window of block_private_networks -------------------------------------------

class _RebindingLoop(asyncio.SelectorEventLoop):
    """An event loop whose resolver rebinds: "localhost" is public once, then 127.0.0.1 again.

    That is what a hostile DNS server does with a short TTL; every lookup (the guard's and the
    connection's) goes through the loop's getaddrinfo.
    """

    lookups = 0

    async def getaddrinfo(self, host, port, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        self.lookups += 1
        if host == "localhost" and self.lookups == 1:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.216.34", port))]
        return await super().getaddrinfo(host, port, *args, **kwargs)


def test_a_connection_rebound_to_a_private_address_is_refused_before_any_request(site):
    async def run(url: str, **changes):
        fetcher = Fetcher(fast(block_private_networks=True, max_attempts=1, **changes))
        try:
            return await fetcher.fetch(url)
        finally:
            await fetcher.aclose()

    with asyncio.Runner(loop_factory=_RebindingLoop) as runner, pytest.raises(BlockedAddress) as info:
        loop = runner.get_loop()
        runner.run(run(f"http://localhost:{site.port}/rebound"))
    assert info.value.message.startswith("refused: localhost connected to 127.0.0.1")
    assert loop.lookups == 2  # the guard's lookup said public; the connection's did not
    assert site.count("/rebound") == 0  # refused once connected, before the request was sent
    # Through the operator's proxy (on loopback here) the connection goes to the proxy, which
    # resolves the name itself: only the name is checked, not the proxy's address.
    with asyncio.Runner(loop_factory=_RebindingLoop) as runner:
        page = runner.run(run("http://localhost/through-the-proxy", proxy=site.base_url))
    assert page.status == 200 and site.count("http://localhost/through-the-proxy") == 1


def test_the_peer_check_refuses_private_and_passes_public_addresses():
    with pytest.raises(BlockedAddress, match="connected to 10.0.0.7"):
        refuse_private_peer("http://x.example/p", "x.example", "10.0.0.7")
    refuse_private_peer("http://x.example/p", "x.example", "93.184.216.34")
