"""One deadline for a whole http(s) fetch, held against senders that trickle bytes.

A socket timeout alone bounds each read, not the fetch: a server that sends one byte just
before every timeout holds the reader for as long as it likes, in the headers as well as the
body.  Here every socket operation of a fetch (connect, TLS handshake, each read of the status
line, headers and body, on every redirect) first sets the socket's timeout to the time left
before the fetch's deadline, capped at the per-read timeout; once the deadline has passed, the
next operation raises :class:`DeadlineExceeded` instead of waiting.

The handlers plug into ``urllib.request.build_opener``, so proxies and redirects keep working.
Name resolution (``getaddrinfo``) is the one step no socket timeout reaches; the system
resolver's own timeouts bound it.
"""

from __future__ import annotations

import functools
import http.client
import socket
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = ["Deadline", "DeadlineExceeded", "DeadlineHTTPHandler", "DeadlineHTTPSHandler"]


class DeadlineExceeded(TimeoutError):
    """The fetch's deadline passed; an OSError, so urllib treats it as any socket timeout."""


@dataclass(slots=True)
class Deadline:
    """The end of one fetch (``time.monotonic()`` seconds) and the longest single wait."""

    seconds: float  # the whole budget, for messages
    read_timeout: float  # seconds one socket operation may wait
    end: float = field(init=False)
    cut_short: bool = field(default=False, init=False)  # the last wait was the time left

    def __post_init__(self) -> None:
        self.end = time.monotonic() + self.seconds

    def timeout(self) -> float:
        """Seconds the next socket operation may wait; raises once the deadline has passed."""
        left = self.end - time.monotonic()
        if left <= 0:
            self.cut_short = True
            raise DeadlineExceeded(f"did not finish within the {self.seconds:g} s deadline")
        self.cut_short = left <= self.read_timeout
        return min(left, self.read_timeout)

    def passed(self, error: BaseException) -> bool:
        """Whether ``error`` (a timeout or a deadline) happened because the deadline passed."""
        return isinstance(error, DeadlineExceeded) or (
            isinstance(error, TimeoutError) and self.cut_short
        )


class _DeadlineSocket(socket.socket):
    """A plain TCP socket whose every read waits at most until the deadline."""

    deadline: Deadline | None = None

    def recv_into(self, buffer: WriteableBuffer, nbytes: int = 0, flags: int = 0) -> int:
        if self.deadline is not None:
            self.settimeout(self.deadline.timeout())
        return super().recv_into(buffer, nbytes, flags)


class _DeadlineSSLSocket(ssl.SSLSocket):
    """The TLS socket of a fetch: every read waits at most until the deadline.

    The handshake needs no override: CPython bounds a whole handshake by the socket's timeout,
    which :func:`_connect` set to the time left.
    """

    deadline: Deadline | None = None

    def recv_into(self, buffer: WriteableBuffer, nbytes: int | None = None, flags: int = 0) -> int:
        if self.deadline is not None:
            self.settimeout(self.deadline.timeout())
        return super().recv_into(buffer, nbytes, flags)


def _connect(
    address: tuple[str, int],
    timeout: object,
    source_address: tuple[str, int] | None = None,
    *,
    deadline: Deadline,
) -> socket.socket:
    """``socket.create_connection`` with each attempt bounded by the time left (``timeout``,
    urllib's per-request value, is replaced by the deadline's)."""
    host, port = address
    errors: list[OSError] = []
    for family, kind, proto, _, target in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        sock = _DeadlineSocket(family, kind, proto)
        try:
            sock.settimeout(deadline.timeout())
            if source_address is not None:
                sock.bind(source_address)
            sock.connect(target)
            sock.settimeout(deadline.timeout())  # what a TLS handshake may take, at most
        except OSError as error:
            sock.close()
            if isinstance(error, DeadlineExceeded):
                raise
            errors.append(error)
            continue
        sock.deadline = deadline
        return sock
    raise errors[0] if errors else OSError(f"no address found for {host}")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, *, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        # The stdlib's connect() calls this hook; overriding it keeps proxies (CONNECT) working.
        self._create_connection = functools.partial(_connect, deadline=deadline)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, *, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(host, context=_tls_context(), **kwargs)
        self._create_connection = functools.partial(_connect, deadline=deadline)
        self.deadline = deadline

    def connect(self) -> None:
        super().connect()
        assert isinstance(self.sock, _DeadlineSSLSocket)  # _tls_context() makes them
        self.sock.deadline = self.deadline


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """urllib's default context (certificates and host names checked), made once: making one
    costs about 30 ms, and urllib would make one per request."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    context.sslsocket_class = _DeadlineSSLSocket
    return context


class DeadlineHTTPHandler(urllib.request.HTTPHandler):
    """Opens http:// URLs under ``deadline``; one handler serves one fetch."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, deadline=self.deadline), req)


class DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    """Opens https:// URLs under ``deadline``; one handler serves one fetch."""

    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPSConnection, deadline=self.deadline), req)
