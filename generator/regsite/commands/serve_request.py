"""The request side of ``regsite serve``: read a request head within limits, decode its path.

Anything malformed becomes a :class:`RequestRefused` with the status to answer (400, 408, 414,
431, 505), so no input reaches a traceback or a dropped connection.  Header rules and the file to
serve are both decided on the one path :func:`request_path` returns: percent-decoded, UTF-8,
dot segments resolved, so ``%2e%2e`` or ``%2f`` cannot select one rule and another file.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote_to_bytes, urlsplit

from regsite.errors import RegistryError

__all__ = [
    "ClientGone",
    "HeadReader",
    "Request",
    "RequestRefused",
    "ServeLimits",
    "read_request",
    "request_path",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeLimits:
    """What one connection may ask of ``regsite serve``."""

    request_line: int = 65536  # bytes, with its line ending; longer is 414
    header_line: int = 8192  # bytes per header field line; longer is 431
    header_fields: int = 100  # fields per request; more is 431
    header_block: int = 65536  # bytes of all header lines together; more is 431
    head_seconds: float = 10.0  # to send the whole request head, however slowly; then 408
    send_seconds: float = 30.0  # per write of the response to a client that does not read
    connections: int = 64  # answered at once; more get 503 at once
    linger_seconds: float = 1.0  # reading what a refused client still sends, so it sees the answer
    linger_bytes: int = 1 << 20  # at most this much of it


class RequestRefused(RegistryError):
    """A request that is answered with an error status instead of a file."""

    def __init__(self, status: HTTPStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ClientGone(RegistryError):
    """The client closed the connection before its request head was complete."""


@dataclass(frozen=True, slots=True)
class Request:
    """A checked request: its method, decoded path, query and header fields (names lower-case)."""

    method: str
    path: str
    query: str
    version: str
    headers: Mapping[str, tuple[str, ...]]

    def header(self, name: str) -> str | None:
        """The field's value, or None when it is absent (several values are joined by commas)."""
        values = self.headers.get(name.lower())
        return ", ".join(values) if values else None


_TOO_SLOW = "the request head was not sent in time"


class HeadReader:
    """Reads lines from a socket with one deadline for the whole request head.

    A per-read timeout alone lets a client that sends one byte every few seconds hold a thread
    for hours; here every read gets only the time left until the deadline.
    """

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        self._connection = connection
        self._deadline = deadline
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer already known to hold no line ending

    def readline(self, limit: int) -> bytes:
        """One line with its ending, or ``limit`` bytes without one, or what came before EOF."""
        while True:
            end = self._buffer.find(b"\n", self._scanned, limit)
            if end != -1 or len(self._buffer) >= limit:
                size = end + 1 if end != -1 else limit
                line = bytes(self._buffer[:size])
                del self._buffer[:size]
                self._scanned = 0
                return line
            self._scanned = len(self._buffer)
            if not self._receive():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def _receive(self) -> bool:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise RequestRefused(HTTPStatus.REQUEST_TIMEOUT, _TOO_SLOW)
        self._connection.settimeout(remaining)
        try:
            chunk = self._connection.recv(65536)
        except TimeoutError as exc:
            raise RequestRefused(HTTPStatus.REQUEST_TIMEOUT, _TOO_SLOW) from exc
        except OSError as exc:
            raise ClientGone(str(exc)) from exc
        self._buffer += chunk
        return bool(chunk)


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(r"HTTP/([0-9]+)(?:\.([0-9]+))?")
_TARGET = re.compile(r"[\x21-\x7e]+")  # visible ASCII: clients percent-encode everything else
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_FIELD_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # a field value may hold tabs only
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")  # and backslash, a separator on Windows


def read_request(reader: HeadReader, limits: ServeLimits) -> Request:
    """Read and check a request head; raises :class:`RequestRefused` with the status to send."""
    line = reader.readline(limits.request_line + 1)
    if not line:
        raise ClientGone("no request")
    if len(line) > limits.request_line:
        raise RequestRefused(
            HTTPStatus.REQUEST_URI_TOO_LONG, f"request line over {limits.request_line} bytes"
        )
    method, target, version = _request_line(_line_text(line))
    headers = _header_fields(reader, limits)
    if version == "HTTP/1.1" and len(headers.get("host", ())) != 1:
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "an HTTP/1.1 request needs one Host field")
    path, query = request_path(target)
    return Request(method, path, query, version, headers)


def _line_text(line: bytes) -> str:
    if not line.endswith(b"\n"):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "the request head ended early")
    text = line.decode("latin-1").removesuffix("\n").removesuffix("\r")
    if "\r" in text or "\x00" in text:
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "a control character in the request head")
    return text


def _request_line(text: str) -> tuple[str, str, str]:
    parts = text.split(" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not _TARGET.fullmatch(parts[1]):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "expected METHOD TARGET HTTP/1.1")
    method, target, version = parts
    number = _VERSION.fullmatch(version)
    if number is None or (number[1] == "1" and number[2] is None):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "expected an HTTP version such as HTTP/1.1")
    if number[1] != "1":  # HTTP/0.9, HTTP/2, HTTP/3: this server speaks 1.x only
        raise RequestRefused(
            HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1 are served"
        )
    # A later HTTP/1.x is answered as 1.1 (RFC 9110 section 2.5).
    return method, target, "HTTP/1.0" if number[2] == "0" else "HTTP/1.1"


def _header_fields(reader: HeadReader, limits: ServeLimits) -> dict[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    count = total = 0
    while (line := reader.readline(limits.header_line + 1)) not in (b"\r\n", b"\n"):
        count, total = count + 1, total + len(line)
        if len(line) > limits.header_line:
            raise RequestRefused(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"a header line over {limits.header_line} bytes",
            )
        if count > limits.header_fields or total > limits.header_block:
            raise RequestRefused(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"over {limits.header_fields} header fields or {limits.header_block} bytes of them",
            )
        name, value = _header_field(_line_text(line))
        fields[name] = (*fields.get(name, ()), value)
    return fields


def _header_field(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    # No space before the colon and no folded lines: both have been used to smuggle requests.
    value = value.strip(" \t")
    if not colon or not _TOKEN.fullmatch(name) or _FIELD_CONTROL.search(value):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "a malformed header field")
    return name.lower(), value


def request_path(target: str) -> tuple[str, str]:
    """The decoded, normalised path of a request target, and its query.

    The path starts with ``/``, has no empty, ``.`` or ``..`` segments, keeps a trailing ``/``,
    and is refused (400) when it is not percent-encoded UTF-8 without control characters, or
    when a ``..`` would climb above the site's root.
    """
    if target.startswith(("http://", "https://")):  # the absolute form, which proxies send
        try:
            parts = urlsplit(target)
        except ValueError as exc:
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "a malformed absolute URL") from exc
        raw, query = parts.path or "/", parts.query
    else:
        raw, _, query = target.partition("?")
    if not raw.startswith("/") or _BAD_ESCAPE.search(raw):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "expected a path such as /index.html")
    try:
        decoded = unquote_to_bytes(raw.partition("#")[0]).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "the path is not UTF-8") from exc
    if _CONTROL.search(decoded):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "a control character or backslash in the path")
    return _normalised(decoded), query


def _normalised(decoded: str) -> str:
    segments: list[str] = []
    raw_segments = decoded.split("/")
    for segment in raw_segments:
        if segment == "..":
            if not segments:
                raise RequestRefused(
                    HTTPStatus.BAD_REQUEST, "the path climbs above the site's root"
                )
            segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    folder = raw_segments[-1] in ("", ".", "..")
    return "/" + "/".join(segments) + ("/" if folder and segments else "")
