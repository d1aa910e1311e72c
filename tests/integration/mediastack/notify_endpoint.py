"""A notification service on 127.0.0.1 for Apprise's `json://` URLs: it records every POST
(path and JSON body) and answers with the status it is given (200, or 500 to refuse)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "Tok3nS3cretNotify4242"  # the secret in the URL's path: must never be shown


class Endpoint:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                endpoint.posts.append({"path": self.path, "body": json.loads(body or b"null")})
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook/{TOKEN}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The JSON bodies Apprise sent (`title`, `message`, `type`)."""
        return [post["body"] for post in self.posts]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
