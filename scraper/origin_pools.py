"""One small httpx connection pool per origin, for the fetch gateway (issue 15).

Why not httpx's one pool: httpcore's pool scans every pooled connection for every request it
queues or finishes, and its clean-up step does so once per idle connection (quadratic in the
pool). A crawl keeps one connection per origin (scheme, host, port) and, through a forward proxy,
still one per origin (httpcore keys a proxied plain-HTTP connection by its target, so a proxy
that reuses its own upstream connection cannot answer for the wrong site). With 128 connections
that scan was most of the gateway's CPU. Here each origin gets its own `AsyncHTTPTransport`,
so a scan covers that origin's few connections; the same proxy, the same per-origin
connections, one shared SSL context (building one costs ~25 ms of CPU).

`max_origins` pools are kept, least recently used first out, never one with a response still
open; the caller (fetch.Fetcher) bounds the requests in flight. Proxies: `fetch.proxy`, or those
of the environment read as httpx reads them (`transports`). Errors are httpx's own, raised by
httpx's transports: fetch.py translates them, as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import httpx


class _Tracked(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream, self._done = stream, done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._done()


class OriginPools(httpx.AsyncBaseTransport):
    """An httpx transport that sends each request through its origin's own small pool.

    Example:
        transport = OriginPools(per_origin=httpx.Limits(max_connections=2), max_origins=64)
        client = httpx.AsyncClient(transport=transport, trust_env=False)
    """

    def __init__(self, *, per_origin: httpx.Limits, max_origins: int, proxy: str | None = None,
                 trust_env: bool = True) -> None:
        self._limits = per_origin
        self._max_origins = max(1, max_origins)
        self._proxy = proxy
        self._ssl = httpx.create_ssl_context(trust_env=trust_env)  # SSL_CERT_FILE/DIR, as httpx
        self._pools: OrderedDict[tuple[bytes, bytes, int | None], httpx.AsyncHTTPTransport] = OrderedDict()
        self._open: dict[tuple[bytes, bytes, int | None], int] = {}

    def __len__(self) -> int:
        return len(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        self._open[key] = self._open.get(key, 0) + 1  # before _evict: this pool is in use
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = httpx.AsyncHTTPTransport(verify=self._ssl, limits=self._limits,
                                                               proxy=self._proxy, trust_env=False)
            await self._evict()
        else:
            self._pools.move_to_end(key)
        try:
            response = await pool.handle_async_request(request)
        except BaseException:
            self._release(key)
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(status_code=response.status_code, headers=response.headers,
                              stream=_Tracked(response.stream, lambda: self._release(key)),
                              extensions=response.extensions)

    def _release(self, key: tuple[bytes, bytes, int | None]) -> None:
        left = self._open.get(key, 1) - 1
        if left > 0:
            self._open[key] = left
        else:
            self._open.pop(key, None)

    async def _evict(self) -> None:
        """Close the least recently used pools with nothing open, down to `max_origins`."""
        excess = len(self._pools) - self._max_origins
        if excess <= 0:
            return
        idle = [key for key in self._pools if key not in self._open][:excess]
        for key in idle:
            await self._pools.pop(key).aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()


def transports(*, per_origin: httpx.Limits, max_origins: int, proxy: str | None,
               trust_env: bool) -> dict[str, object]:
    """`httpx.AsyncClient` arguments for pools per origin, with the proxies httpx would use.

    httpx reads HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY only for a client without a
    `transport`, so with `trust_env` the same reading (httpx's own `get_environment_proxies`)
    becomes `mounts`: one OriginPools per proxy, None (the default transport, direct) for each
    NO_PROXY pattern, as httpx mounts them. Should a later httpx lose that function, the client
    is built as before: httpx's own pools for the environment's proxies.
    """

    def pools(url: str | None) -> OriginPools:
        return OriginPools(per_origin=per_origin, max_origins=max_origins, proxy=url, trust_env=trust_env)

    if proxy is not None or not trust_env:
        return {"transport": pools(proxy)}
    try:
        from httpx._utils import get_environment_proxies
    except ImportError:  # pragma: no cover - httpx moved it: keep httpx's own proxy handling
        return {}
    env = get_environment_proxies()
    mounts = {key: None if url is None else pools(url) for key, url in env.items()}
    return {"transport": pools(None), "mounts": mounts}
