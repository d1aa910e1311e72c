"""The one way VPO sends a request to a service: a short timeout, a few retries with a
growing pause after a connection error, a timeout or a 5xx answer, and one clear error.

The secret travels in a header (never the URL), so httpx's own log lines (the request's
method and URL) hold none; the loader has remembered it anyway (redact.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

log = logging.getLogger(__name__)

MAX_PAUSE = 2.0  # seconds between attempts, at most


class ServiceError(Exception):
    """A service could not be asked (unreachable, key rejected, an error answer)."""

    def __init__(self, service: str, reason: str, *, rejected: bool = False, reached: bool = False) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason
        self.rejected = rejected  # 401/403: the key or token is wrong
        self.reached = reached  # it answered (the error is not the connection's)


class Service:
    """One configured service: its base URL, its auth headers, the request rules."""

    def __init__(self, name: str, url: str, headers: dict[str, str], *, timeout: float, retries: int) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self.retries = retries
        self.client = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, follow_redirects=False
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer to `method path`, retried on a connection error, a timeout or a 5xx;
        ServiceError when it never came or says no."""
        attempt = 0
        while True:
            try:
                response = self.client.request(method, path, **kwargs)
            except httpx.TimeoutException:
                problem = f"no answer from {self.url} within {self.client.timeout.read}s"
                error = ServiceError(self.name, problem)
            except httpx.HTTPError as exc:
                error = ServiceError(self.name, f"cannot reach {self.url}: {_reason(exc)}")
            else:
                if response.status_code < 500:
                    return _checked(self.name, response)
                error = ServiceError(
                    self.name, f"{method} {path} answered {response.status_code}", reached=True
                )
            if attempt >= self.retries:
                raise error
            pause = min(0.25 * 2**attempt, MAX_PAUSE)
            log.debug("%s; trying again in %.2fs", error, pause)
            time.sleep(pause)
            attempt += 1

    def get_json(self, path: str, **kwargs: Any) -> Any:
        response = self.request("GET", path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ServiceError(self.name, f"GET {path}: the answer is not JSON", reached=True) from None


def _checked(name: str, response: httpx.Response) -> httpx.Response:
    status = response.status_code
    if status in (401, 403):
        raise ServiceError(
            name,
            f"rejected the {'token' if name == 'plex' else 'API key'} (HTTP {status})",
            rejected=True,
            reached=True,
        )
    if status >= 400:
        where = f"{response.request.method} {response.request.url.path}"
        raise ServiceError(name, f"{where} answered {status}", reached=True)
    return response


def _reason(exc: httpx.HTTPError) -> str:
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text} ({cause})"
    return text
