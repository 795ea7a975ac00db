"""A loopback fake API that misbehaves like a hostile or broken live service: it redirects,
echoes the request back (headers and query), answers slowly or without end.

Each server listens on 127.0.0.1 on a port of its own: two servers are two origins.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.replay import loopback

# What a route answers: status, headers and the body in chunks.
Answer = tuple[int, dict[str, str], Iterable[bytes]]
Route = Callable[["Seen"], Answer]


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]

    def text(self) -> str:
        """Everything the client sent, as one string to search for a credential."""
        return self.path + "\n" + "\n".join(f"{k}: {v}" for k, v in self.headers.items())


@dataclass
class FakeApi:
    """A running fake API: its base URL, routes by path (without query) and what it saw."""

    base_url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def sent(self) -> str:
        return "\n".join(s.text() for s in self.seen)


def redirect(status: int, target: Callable[[Seen], str]) -> Route:
    """Answer `status` with a Location built from the request (e.g. its query carried on)."""
    return lambda seen: (status, {"Location": target(seen)}, [b""])


def echo(seen: Seen) -> Answer:
    """Answer 200 with the request itself as JSON, as some APIs do in their error bodies."""
    body = json.dumps({"path": seen.path, "headers": seen.headers, "data": [], "results": []})
    return 200, {"Content-Type": "application/json"}, [body.encode()]


def body(content: bytes, status: int = 200) -> Route:
    return lambda seen: (status, {"Content-Type": "application/json"}, [content])


def slow(seconds: float, content: bytes = b"{}") -> Route:
    """Answer after `seconds`."""

    def chunks() -> Iterator[bytes]:
        time.sleep(seconds)
        yield content

    return lambda seen: (200, {"Content-Type": "application/json"}, chunks())


def huge(chunk: int = 2**16, total: int = 2**34) -> Route:
    """A body of `total` bytes (16 GiB by default: never meant to be read whole)."""

    def chunks() -> Iterator[bytes]:
        for _ in range(total // chunk):
            yield b"x" * chunk

    return lambda seen: (200, {"Content-Type": "application/json"}, chunks())


@contextmanager
def fake_api(routes: dict[str, Route] | None = None) -> Iterator[FakeApi]:
    """Serve `routes` on 127.0.0.1, a free port, for the duration of the block (404 elsewhere)."""
    state = FakeApi(routes=dict(routes or {}))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen = Seen(self.path, dict(self.headers))
            with lock:
                state.seen.append(seen)
            route = state.routes.get(self.path.split("?", 1)[0])
            status, headers, chunks = route(seen) if route else (404, {}, [b"not found"])
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading (a size cap): expected

        def log_message(self, *args: object) -> None:
            pass

    with loopback(Handler) as state.base_url:
        yield state
