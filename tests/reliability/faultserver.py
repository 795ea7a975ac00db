"""A loopback socket server that misbehaves on purpose: resets, truncations, half answers."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# One scripted connection: gets the accepted socket after the request head was read.
Behaviour = Callable[[socket.socket], None]


def respond(body: bytes, status: str = "200 OK", content_type: str = "application/json") -> bytes:
    """A complete HTTP/1.1 response with a correct Content-Length."""
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def ok(body: bytes) -> Behaviour:
    """Answer in full."""
    return lambda conn: conn.sendall(respond(body))


def reset() -> Behaviour:
    """Drop the connection with a TCP reset before any byte of the response."""

    def act(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return act


def reset_mid_body(body: bytes) -> Behaviour:
    """Send the head and half the body, then reset the connection."""

    def act(conn: socket.socket) -> None:
        conn.sendall(respond(body)[: len(respond(body)) - len(body) // 2])
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return act


def truncated(body: bytes) -> Behaviour:
    """Promise the whole body in Content-Length, send half of it, close cleanly."""
    return lambda conn: conn.sendall(respond(body)[: len(respond(body)) - len(body) // 2])


def truncated_unframed(body: bytes) -> Behaviour:
    """An HTTP/1.0 response framed by connection close, cut in half: looks complete."""
    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n"
    return lambda conn: conn.sendall(head + body[: len(body) // 2])


@dataclass
class RawServer:
    """A loopback socket server playing one behaviour per connection (the last repeats)."""

    behaviours: list[Behaviour]
    base_url: str = ""
    connections: int = 0
    _sock: socket.socket = field(default_factory=socket.socket)

    stopped: threading.Event = field(default_factory=threading.Event)

    def serve(self) -> None:
        self._sock.settimeout(0.05)
        while not self.stopped.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                _read_head(conn)
                step = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
                self.connections += 1
                step(conn)


def _read_head(conn: socket.socket) -> None:
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return
        data += chunk


@contextmanager
def raw_server(behaviours: list[Behaviour]) -> Iterator[RawServer]:
    """Serve scripted behaviours on 127.0.0.1 for the duration of the block."""
    server = RawServer(behaviours)
    server._sock.bind(("127.0.0.1", 0))
    server._sock.listen(8)
    server.base_url = f"http://127.0.0.1:{server._sock.getsockname()[1]}"
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopped.set()
        thread.join(timeout=5)
        server._sock.close()
