"""The lifecycle shared by the demo's loopback servers (the sample site and the fake LLM).

A stdlib ThreadingHTTPServer in a daemon thread, started and stopped idempotently, usable as a
context manager. Subclasses set `_handler` and `_thread_name`; the handler reaches its owner as
`self.server.owner`.
"""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        # Clients that hang up early (timeouts, size limits) are expected here; stay quiet.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    _handler: ClassVar[type[BaseHTTPRequestHandler]]
    _thread_name: ClassVar[str] = "loopback-server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Any:
        with self._lock:
            if self._server is not None:
                return self
            server = QuietServer((self.host, self.port), self._handler)
            server.owner = self
            thread = threading.Thread(target=server.serve_forever, name=self._thread_name, daemon=True)
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _origin(self) -> str:
        """`http://host:port` of the running server."""
        server = self._server
        if server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = server.server_address[:2]
        host = f"[{host}]" if ":" in str(host) else host
        return f"http://{host}:{port}"
