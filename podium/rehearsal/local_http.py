"""The lifecycle both local endpoints share: a threaded HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalHTTPServer:
    """Serve `_request_handler()` on 127.0.0.1 (port 0: any free port) in a daemon thread.
    Use as a context manager or start()/stop()."""

    thread_name = "podium-local-http"

    def __init__(self, port: int = 0) -> None:
        handler = self._request_handler()
        # HTTP/1.1 keeps a client's connection open between requests (every response carries
        # its Content-Length), as AWS endpoints do: without it botocore opens a new TCP
        # connection for each of the evaluation's thousands of calls.
        handler.protocol_version = "HTTP/1.1"
        # The headers and the body go out in two writes: with Nagle's algorithm on, the body
        # waits for the client's delayed ACK of the headers, 40 ms a response on Linux (the
        # evaluation's 2,000 calls, one after another, took 46 ms each instead of 5).
        handler.disable_nagle_algorithm = True
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
