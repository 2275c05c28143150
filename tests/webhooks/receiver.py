"""A real HTTP receiver on loopback for webhook tests: it verifies every request with the
``standardwebhooks`` library and answers what the test tells it to (500, 410, 429 with
Retry-After, a redirect, or no answer at all until the request times out)."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"
    # Hold the request until the test ends: the sender times out.
    hang: bool = False


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: str
    # The address the sender connected to, as this server's socket saw it.
    local_address: str
    # Indexes, in ``Receiver.secrets``, of the secrets whose signature verified.
    verified_by: tuple[int, ...]

    @property
    def verified(self) -> bool:
        return bool(self.verified_by)

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    def __init__(self, *secrets: str) -> None:
        self.secrets = list(secrets)
        self.received: list[Received] = []
        self._answers: deque[Answer] = deque()
        self.default = Answer()
        self._changed = threading.Condition()
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, *answers: Answer) -> None:
        """Answer the next requests with these, then with ``default``."""
        self._answers.extend(answers)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def _verify(self, body: str, headers: dict[str, str]) -> tuple[int, ...]:
        verified = []
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(index)
        return tuple(verified)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                if len(raw) < length:
                    return  # the sender died in the middle of the request: nothing arrived
                body = raw.decode("utf-8")
                headers = {key.lower(): value for key, value in self.headers.items()}
                received = Received(
                    path=self.path,
                    headers=headers,
                    body=body,
                    local_address=self.connection.getsockname()[0],
                    verified_by=receiver._verify(body, headers),
                )
                try:
                    answer = receiver._answers.popleft()
                except IndexError:
                    answer = receiver.default
                with receiver._changed:
                    receiver.received.append(received)
                    receiver._changed.notify_all()
                if answer.hang:
                    receiver._release.wait(timeout=30)
                    return
                payload = answer.body.encode("utf-8")
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._release.set()
            self.server.shutdown()
            self.server.server_close()
