"""The HTTP API of `ray-import serve`: FastAPI routes over an ImportService.

Routes (all JSON; field names camelCase):
    POST   /api/recipes                  {"url", "refresh"} → 202 progress (200 when already imported)
    POST   /api/recipes/batch            {"urls": [...], "refresh"} → 202 {"items": [progress...]}
    GET    /api/recipes/progress/{id}    → progress
    DELETE /api/recipes/progress/{id}    → cancel (200 once cancelled, 409 when already finished)
    GET    /api/recipes/events[?ids=a,b] → Server-Sent Events: one event per state change
    GET    /api/recipes/{slug}           → the saved .recipe.json
    GET    /healthz                      → liveness (never needs the token)
    GET    /docs, /openapi.json          → the OpenAPI description

Guards run before any route: request bodies above `serve.max_body_bytes` are 413, and with
RAY_IMPORT_API_TOKEN set every route but /healthz needs `Authorization: Bearer <token>`. HEAD is
answered on every GET route, as GET without the body.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from scraper import __version__
from scraper.errors import InvalidURL
from scraper.extras import needs_extra

try:
    from fastapi import FastAPI, Header, HTTPException, Path, Query, Request
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.responses import FileResponse, JSONResponse
    from fastapi.routing import APIRoute
    from sse_starlette.sse import EventSourceResponse, ServerSentEvent
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:  # `pip install ray-import` alone runs batches, not the server
    raise ImportError(needs_extra("ray_import.server", "serve")) from exc

from .middleware import Guard, HeadAsGet
from .urls import normalize_url
from .errors import QueueFull
from .service import ImportService, Progress

TOKEN_ENV = "RAY_IMPORT_API_TOKEN"
MAX_URL_LENGTH = 2048
MAX_EVENT_ID_DIGITS = 20  # event ids are a counter; int() of 5 000 digits raises, of 20 does not


def _check_url(url: str) -> str:
    url = url.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url[:200]!r}")
    try:
        normalize_url(url)  # the catalog's key: a URL it cannot key is refused here, not later
    except InvalidURL as exc:
        raise ValueError(f"{exc.message}: {url[:200]!r}") from None
    return url


# Documents what a URL must look like; the validator below gives the one-line message.
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#]\S*)?$"


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)


class ImportRequest(_Body):
    url: str = Field(max_length=MAX_URL_LENGTH, examples=["https://example.com/apple-pie"],
                     json_schema_extra={"pattern": URL_PATTERN})
    refresh: bool = Field(False, description="re-import even if the URL is already in the catalog")

    _url = field_validator("url")(_check_url)


class BatchAccepted(BaseModel):
    items: list[Progress]


def create_app(service: ImportService, token: str | None = None) -> FastAPI:
    """The API over a started service; `token` (default: none) guards every route but /healthz."""
    cfg = service.cfg.serve
    max_batch = cfg.max_batch

    class BatchRequest(_Body):
        urls: list[Annotated[str, Field(max_length=MAX_URL_LENGTH, json_schema_extra={"pattern": URL_PATTERN})]] = \
            Field(min_length=1, max_length=max_batch)
        refresh: bool = False

        @field_validator("urls")
        @classmethod
        def _urls(cls, urls: list[str]) -> list[str]:
            checked = []
            for i, url in enumerate(urls):
                try:
                    checked.append(_check_url(url))
                except ValueError as exc:
                    raise ValueError(f"urls[{i}]: {exc}") from None
            return checked

    app = FastAPI(
        title="ray-import",
        summary="Import recipe web pages as .recipe.json files, on Ray.",
        version=__version__,
        responses={400: {"description": "the body is not JSON"},
                   401: {"description": "missing or wrong bearer token (when RAY_IMPORT_API_TOKEN is set)"},
                   413: {"description": "request body too large"}},
    )
    app.add_middleware(HeadAsGet)
    app.add_middleware(Guard, token=token, max_body=cfg.max_body_bytes)  # the outer one

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        if exc.status_code == 405:
            # Starlette names only the first route's methods; a path served by two routes
            # (GET and DELETE of a progress id) must list both.
            routes = [route for route in app.router.routes
                      if isinstance(route, APIRoute) and route.path_regex.match(request.url.path)]
            if static := [route for route in routes if "{" not in route.path]:
                routes = static  # /api/recipes/batch is not the slug "batch"
            allowed = {method for route in routes for method in route.methods}
            if "GET" in allowed:
                allowed.add("HEAD")  # see middleware.HeadAsGet
            return JSONResponse({"detail": "Method Not Allowed"}, status_code=405,
                                headers={"Allow": ", ".join(sorted(allowed))})
        return await http_exception_handler(request, exc)

    def busy(exc: QueueFull) -> HTTPException:
        return HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)})

    def invalid(exc: InvalidURL) -> HTTPException:
        return HTTPException(422, [{"type": "value_error", "loc": ["body"], "msg": exc.message}])

    @app.post("/api/recipes", status_code=202, response_model=Progress,
              responses={200: {"model": Progress, "description": "already imported (or just finished)"},
                         429: {"description": "queue full; see Retry-After"}})
    async def import_recipe(body: ImportRequest) -> Any:
        """Queue one import; a URL in progress answers with its existing progress id."""
        try:
            record, _created = await service.submit(body.url, body.refresh)
        except QueueFull as exc:
            raise busy(exc) from None
        except InvalidURL as exc:
            raise invalid(exc) from None
        record = service.get(record.progress_id) or record
        status = 200 if record.done else 202
        return JSONResponse(record.model_dump(mode="json", by_alias=True), status_code=status)

    async def import_batch(body: BatchRequest) -> Any:
        try:
            items = await service.submit_many(body.urls, body.refresh)
        except QueueFull as exc:
            raise busy(exc) from None
        except InvalidURL as exc:
            raise invalid(exc) from None
        records = [service.get(record.progress_id) or record for record, _ in items]
        return BatchAccepted(items=records)

    # BatchRequest is built here (its size bound is a setting), so the annotation is set on the
    # function itself: postponed annotations of a local class cannot be resolved by name.
    import_batch.__annotations__["body"] = BatchRequest
    app.post("/api/recipes/batch", status_code=202, response_model=BatchAccepted,
             responses={429: {"description": "queue full; see Retry-After"}},
             description=f"Queue up to {max_batch} imports (serve.max_batch); one progress record per "
                         "URL, in order. A URL in progress keeps its progress id.")(import_batch)

    @app.get("/api/recipes/progress/{progress_id}", response_model=Progress,
             responses={404: {"description": "unknown (or long forgotten) progress id"}})
    async def progress(progress_id: str) -> Any:
        record = service.get(progress_id)
        if record is None:
            raise HTTPException(404, f"unknown progress id: {progress_id[:100]}")
        return record

    @app.delete("/api/recipes/progress/{progress_id}", response_model=Progress,
                responses={202: {"model": Progress, "description": "cancellation under way"},
                           404: {"description": "unknown progress id"},
                           409: {"description": "already finished; nothing to cancel"}})
    async def cancel(progress_id: str) -> Any:
        """Cancel a queued or running import; its claim is released, nothing is half-written."""
        before = service.get(progress_id)
        if before is None:
            raise HTTPException(404, f"unknown progress id: {progress_id[:100]}")
        if before.done:
            return JSONResponse({"detail": f"import already finished: {before.status}",
                                 "progress": before.model_dump(mode="json", by_alias=True)}, status_code=409)
        record = await service.cancel(progress_id)
        status = 200 if record is not None and record.done else 202
        return JSONResponse(record.model_dump(mode="json", by_alias=True), status_code=status)

    @app.get("/api/recipes/events", response_class=EventSourceResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "one event per state change: `event:` is queued, step, progress "
                                             "or a final status; `data:` the progress record (JSON)"}})
    async def events(
        request: Request,
        ids: Annotated[str | None, Query(description="comma-separated progress ids (default: all)",
                                         max_length=100_000)] = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> EventSourceResponse:
        """Server-Sent Events of every state change, with heartbeats; no polling needed."""
        wanted = {i for i in ids.split(",") if i} if ids else None
        sub = service.subscribe(wanted, _event_id(last_event_id))

        async def stream() -> Any:
            # Everything already queued goes out as one write: a burst of 50 POSTs is then a few
            # writes per client, not 50, on the loop that also answers the POSTs.
            try:
                while True:
                    items = [await sub.queue.get()]
                    while not sub.queue.empty() and len(items) < 256:
                        items.append(sub.queue.get_nowait())
                    chunk = b"".join(
                        ServerSentEvent(data=data, event=event, id=str(seq) if seq else None).encode()
                        for item in items if item is not None for seq, event, data in (item,))
                    if chunk:
                        yield chunk
                    if None in items:
                        return
            finally:
                service.unsubscribe(sub)

        return EventSourceResponse(stream(), ping=cfg.heartbeat_s, send_timeout=30)

    @app.get("/api/recipes/{slug}", response_class=FileResponse,
             responses={200: {"content": {"application/json": {}}, "description": "the .recipe.json"},
                        404: {"description": "no recipe with that slug"}})
    async def recipe(slug: Annotated[str, Path(max_length=200)]) -> Any:
        path = service.recipe_path(slug)
        if path is None:
            raise HTTPException(404, f"no recipe with slug {slug[:200]!r}")
        return FileResponse(path, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return service.health()

    return app


def _event_id(value: str | None) -> int | None:
    """Last-Event-ID as the sequence number this server sent; an empty one means none (SSE).

    Raises:
        HTTPException: 400 for anything this server cannot have sent.
    """
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_EVENT_ID_DIGITS):
        raise HTTPException(400, f"Last-Event-ID must be an event id (at most {MAX_EVENT_ID_DIGITS} "
                                 f"digits) from this stream, not {value[:40]!r}")
    return int(value)


def _uvicorn_config(service: ImportService, token: str | None, port: int, grace_s: float) -> Any:
    """One uvicorn setup for the CLI server and the background one."""
    import uvicorn

    return uvicorn.Config(create_app(service, token), host=service.cfg.serve.host, port=port,
                          log_level="warning", lifespan="off", timeout_graceful_shutdown=grace_s)


def serve(cfg: Any, token: str | None = None, announce: Any = None) -> None:
    """Run the API in this thread until SIGINT/SIGTERM, then cancel what runs and release claims."""
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # uvicorn re-raises the signal once it has stopped, which would kill this process
            # (SIGTERM) before the service cancels its imports and releases their claims.
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

        async def shutdown(self, sockets: Any = None) -> None:
            service.close_streams()  # SSE clients get the end of their stream, not a cut
            await super().shutdown(sockets)

    service = ImportService(cfg).start()
    try:
        config = _uvicorn_config(service, token, cfg.serve.port, grace_s=2)
        if announce is not None:
            announce(service)
        _Server(config).run()
    finally:
        service.stop()


class BackgroundServer:
    """The API on a background thread of this process (tests, notebooks); port 0 picks a free one.

    Example:
        >>> with BackgroundServer(ImportConfig(out="recipes")) as api:
        ...     httpx.post(f"{api.url}/api/recipes", json={"url": "https://example.com/pie"})
    """

    def __init__(self, cfg: Any, token: str | None = None, port: int = 0) -> None:
        self.service = ImportService(cfg)
        self._token = token
        self._port = port
        self._server: Any = None
        self._thread: Any = None
        self.url = ""

    def start(self) -> BackgroundServer:
        import threading
        import time

        import uvicorn

        self.service.start()
        self._server = uvicorn.Server(_uvicorn_config(self.service, self._token, self._port, grace_s=1))
        self._thread = threading.Thread(target=self._server.run, name="ray-import-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.service.stop()
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.service.close_streams()
            self._server.should_exit = True
            self._thread.join(timeout=15)
            self._server = None
        self.service.stop()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
