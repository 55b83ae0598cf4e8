"""Pure ASGI middleware of the HTTP API (pure, not BaseHTTPMiddleware: SSE streams pass through).

No routes and no service here; `server.create_app` installs them, Guard outermost.
"""

from __future__ import annotations

import json
import secrets
from typing import Any


class Guard:
    """Pure ASGI middleware (SSE-safe): body size limit and bearer token."""

    def __init__(self, app: Any, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.token is not None and scope["path"] != "/healthz":
            given = headers.get(b"authorization", b"")
            if not (given.startswith(b"Bearer ") and secrets.compare_digest(given[7:].strip(), self.token)):
                await _reply(send, 401, "missing or wrong bearer token", {"www-authenticate": "Bearer"})
                return
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _reply(send, 413, f"request body larger than serve.max_body_bytes={self.max_body}")
            return
        if length is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # A body without Content-Length (chunked) is read here, up to the limit, then replayed.
            chunks, seen = [], 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                chunks.append(message.get("body", b""))
                seen += len(chunks[-1])
                if seen > self.max_body:
                    await _reply(send, 413, f"request body larger than serve.max_body_bytes={self.max_body}")
                    return
                if not message.get("more_body"):
                    break
            replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

            async def replayed() -> dict:
                return replay.pop() if replay else await receive()

            await self.app(scope, replayed, send)
            return
        await self.app(scope, receive, send)


class HeadAsGet:
    """Pure ASGI middleware: HEAD runs the GET route and sends its headers only.

    FastAPI routes answer only the methods they name, so HEAD was 405 everywhere. The response
    is over once its headers are out, so an endless one (the event stream) ends there too.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def headers_only(message: dict) -> None:
            nonlocal finished
            if finished:
                return
            if message["type"] == "http.response.start":
                await send(message)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                finished = True  # the server now reports a disconnect: a stream stops there

        await self.app({**scope, "method": "GET"}, receive, headers_only)


async def _reply(send: Any, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
