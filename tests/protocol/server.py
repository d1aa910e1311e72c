"""What every protocol fixture shares: a threaded http.server on 127.0.0.1 (port 0), the
record of every request, and the modes `ok`, `error` (every answer a 500) and `hang`
(never answers: the client's timeout must end the wait)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, str, bytes]  # status, content type, body

S = TypeVar("S", bound="FakeService")

HANG_LIMIT = 30.0  # a hanging answer gives up after this (or when the server stops)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FakeService:
    """A service's behaviour (subclasses: `authorised`, `answer`); `start()` serves it."""

    key: str
    mode: str = "ok"  # ok | error | hang
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self: S) -> S:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    # what a service defines
    def authorised(self, request: Recorded) -> bool:
        raise NotImplementedError

    def answer(self, request: Recorded) -> Answer:
        raise NotImplementedError

    def unauthorised(self) -> Answer:
        return 401, "text/plain", b"Unauthorized"

    # the dispatch every service shares
    def respond(self, request: Recorded) -> Answer | None:
        with self._lock:
            self.requests.append(request)
        if self.mode == "hang":
            self._released.wait(HANG_LIMIT)
            return None
        if self.mode == "error":
            return 500, "text/plain", b"Internal Server Error"
        if not self.authorised(request):
            return self.unauthorised()
        return self.answer(request)


def as_json(value: Any, status: int = 200) -> Answer:
    return status, "application/json; charset=utf-8", json.dumps(value).encode()


NOT_FOUND: Answer = (404, "text/plain", b"Not Found")


def _handler(service: FakeService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Recorded(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            answer = service.respond(request)
            if answer is None:
                self.close_connection = True
                return
            status, kind, content = answer
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
