"""A server on 127.0.0.1 that answers slowly: a few bytes at a time, or late.

For the deadline tests of the fetcher and the client commands: every byte arrives well inside
any read timeout, so only a deadline over the whole fetch can stop the reader.
"""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DRIP_INTERVAL", "Trickle", "trickling"]

DRIP_INTERVAL = 0.05  # seconds between two bytes: far inside any read timeout


@dataclass(frozen=True)
class Trickle:
    """What a slow server sends on each connection: ``head`` after ``delay`` seconds, then
    ``drip`` over and over, one byte every DRIP_INTERVAL (nothing more if it is empty)."""

    head: bytes
    drip: bytes = b""
    delay: float = 0.0


def serve_connection(connection: socket.socket, trickle: Trickle, stop: threading.Event) -> None:
    with connection:
        try:
            connection.recv(65536)  # the request, or a TLS ClientHello
            if stop.wait(trickle.delay):
                return
            connection.sendall(trickle.head)
            for byte in itertools.cycle(trickle.drip):
                if stop.wait(DRIP_INTERVAL):
                    return
                connection.sendall(bytes([byte]))
        except OSError:
            return


@contextmanager
def trickling(trickle: Trickle) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every connection as ``trickle`` says; yields
    ``host:port``."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            args = (connection, trickle, stop)
            threading.Thread(target=serve_connection, args=args, daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()
