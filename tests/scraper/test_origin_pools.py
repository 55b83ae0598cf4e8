"""scraper/origin_pools.py: a pool per origin, through a real forward proxy on loopback (issue 15).

The proxy answers every absolute-form GET itself with a page naming the URL it was asked for,
and counts the TCP connections it accepted per target host.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
import pytest

from scraper.fetch import Fetcher
from scraper.origin_pools import OriginPools, transports
from scraper.settings import FetchSettings


class _Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so reuse is visible

    def setup(self) -> None:
        super().setup()
        self.first = True

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        host = urlsplit(self.path).hostname or "?"
        if self.first:  # the first request on this connection names the origin it was opened for
            self.server.connections[host] += 1
            self.first = False
        self.server.requests[host] += 1
        body = f"<html><body>{self.path}</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    server.daemon_threads = True
    server.connections, server.requests = Counter(), Counter()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


async def _get(client: httpx.AsyncClient, url: str) -> str:
    response = await client.get(url)
    return response.text


def test_each_origin_keeps_its_own_connection_through_the_proxy(proxy):
    async def run() -> list[str]:
        pools = OriginPools(per_origin=httpx.Limits(max_connections=2), max_origins=8, proxy=_url(proxy))
        async with httpx.AsyncClient(transport=pools, trust_env=False) as client:
            texts = []
            for n in range(3):
                for host in ("a.example", "b.example", "c.example"):
                    texts.append(await _get(client, f"http://{host}/page{n}"))
            assert len(pools) == 3
            return texts

    texts = asyncio.run(run())
    # Every answer is the one asked for: no connection carried another origin's request.
    assert texts == [f"<html><body>http://{h}/page{n}</body></html>"
                     for n in range(3) for h in ("a.example", "b.example", "c.example")]
    assert proxy.connections == {"a.example": 1, "b.example": 1, "c.example": 1}
    assert proxy.requests == {"a.example": 3, "b.example": 3, "c.example": 3}


def test_least_recently_used_origins_are_closed_past_the_bound(proxy):
    async def run() -> None:
        pools = OriginPools(per_origin=httpx.Limits(max_connections=2), max_origins=2, proxy=_url(proxy))
        async with httpx.AsyncClient(transport=pools, trust_env=False) as client:
            for host in ("a.example", "b.example", "c.example", "a.example"):
                await _get(client, f"http://{host}/")
            assert len(pools) == 2

    asyncio.run(run())
    assert proxy.connections["a.example"] == 2  # its pool was closed when c.example came
    assert proxy.connections["c.example"] == 1


def test_a_pool_with_a_response_open_is_never_closed(proxy):
    async def run() -> str:
        pools = OriginPools(per_origin=httpx.Limits(max_connections=2), max_origins=1, proxy=_url(proxy))
        async with httpx.AsyncClient(transport=pools, trust_env=False) as client:
            request = client.build_request("GET", "http://a.example/open")
            response = await client.send(request, stream=True)
            await _get(client, "http://b.example/")
            assert len(pools) == 2  # a.example's response is still being read
            body = (await response.aread()).decode()
            await response.aclose()
            await _get(client, "http://c.example/")
            assert len(pools) == 1
            return body

    assert asyncio.run(run()) == "<html><body>http://a.example/open</body></html>"


def test_the_fetcher_pools_per_origin_through_fetch_proxy(proxy):
    async def run() -> list[str]:
        fetcher = Fetcher(FetchSettings(proxy=_url(proxy), per_host_interval_s=0))
        try:
            pages = await asyncio.gather(*(fetcher.fetch(f"http://{h}.example/r{n}")
                                           for n in range(2) for h in "xyz"))
        finally:
            await fetcher.aclose()
        return [page.html for page in pages]

    htmls = asyncio.run(run())
    assert htmls == [f"<html><body>http://{h}.example/r{n}</body></html>" for n in range(2) for h in "xyz"]
    assert sum(proxy.requests.values()) == 6
    assert all(proxy.connections[f"{h}.example"] <= 2 for h in "xyz")


def test_the_environments_proxies_are_mounted_as_httpx_mounts_them(proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", _url(proxy))
    monkeypatch.setenv("NO_PROXY", "direct.example")
    args = transports(per_origin=httpx.Limits(max_connections=2), max_origins=4, proxy=None, trust_env=True)
    assert isinstance(args["transport"], OriginPools)
    assert set(args["mounts"]) == {"http://", "all://*direct.example"}
    assert args["mounts"]["all://*direct.example"] is None  # NO_PROXY: the direct pools
    assert isinstance(args["mounts"]["http://"], OriginPools)

    async def run() -> str:
        async with httpx.AsyncClient(trust_env=True, **args) as client:
            first = await _get(client, "http://env.example/1")
            await _get(client, "http://env.example/2")
            return first

    assert asyncio.run(run()) == "<html><body>http://env.example/1</body></html>"
    assert proxy.connections == {"env.example": 1} and proxy.requests == {"env.example": 2}
