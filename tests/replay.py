"""A loopback HTTP server that replays recorded responses, for tests of live connectors.

Routes map a path (with query string, or just the path) to a list of responses served in
turn; the last one repeats. Every request is recorded so tests can assert what was asked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One recorded response."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Replay:
    """The running server: its base URL, its routes and the requests it saw."""

    base_url: str
    routes: dict[str, list[Reply]]
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@contextmanager
def replay_server(routes: dict[str, list[Reply]]) -> Iterator[Replay]:
    """Serve `routes` on 127.0.0.1 on a free port for the duration of the block."""
    state = Replay("", {k: list(v) for k, v in routes.items()})
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                state.requests.append((self.path, dict(self.headers)))
                key = self.path if self.path in state.routes else self.path.split("?", 1)[0]
                queue = state.routes.get(key)
                reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
            if reply is None:
                reply = Reply(b"not found", 404)
            if reply.delay:
                threading.Event().wait(reply.delay)
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, *args: object) -> None:
            pass

    with loopback(Handler) as state.base_url:
        yield state


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve `handler` on 127.0.0.1, on a free port, for the duration of the block; the
    server's base URL. The one loopback server of the tests (replays and fake APIs)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # shutdown() waits for the loop's next poll: every 0.05 s rather than the default 0.5 s
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
