"""``regsite serve``: a local preview of a built site, with the headers a production host sends.

Built on the standard library's http.server, with what a static host does and the standard
library does not: the header table of :mod:`regsite.headers`, strong ETags and 304s, ``/dir``
redirected to ``/dir/`` and served from its index.html, no directory listings, 404.html for any
missing path, and a status (never a traceback or a dropped connection) for any malformed request
(:mod:`regsite.commands.serve_request`).  docs/hosting.md describes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import stat
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedReader
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

from regsite.commands.serve_request import (
    ClientGone,
    HeadReader,
    Request,
    RequestRefused,
    ServeLimits,
    read_request,
)
from regsite.errors import RegistryError
from regsite.headers import (
    DEFAULT_CACHE_CONTROL,
    content_type,
    header_rules,
    published_image_hosts,
    response_headers,
    rule_headers,
)
from regsite.journal import unfinished_commit
from regsite.write import SITE_MARKER

__all__ = ["RequestRecord", "ServeLimits", "ServeOptions", "make_server", "serve_site"]

logger = logging.getLogger(__name__)

NOT_FOUND_PAGE = "404.html"
INDEX_PAGE = "index.html"
# An error can be fixed by the next build, and a 404 under static/ must not inherit the year of
# caching its rule gives the files there.
ERROR_CACHE_CONTROL = "no-store"
_CHUNK = 1 << 16  # bytes per write of a file
_LOGGED = 300  # characters of a request logged with -v


class RequestRecord(NamedTuple):
    """One request answered, as the request log (``make_server(on_request=…)``) receives it."""

    method: str
    path: str  # decoded and normalised, as the header rules see it
    status: int


@dataclass(frozen=True, slots=True)
class _Response:
    status: HTTPStatus
    headers: Mapping[str, str]
    body: bytes | BufferedReader = b""
    length: int = 0  # bytes of body to send when it is a file

    def close(self) -> None:
        if not isinstance(self.body, bytes):
            self.body.close()


@dataclass(slots=True)
class _EtagCache:
    """Strong ETags, the file's SHA-256 as the signed targets list it, remembered by stat."""

    size: int = 4096  # files remembered
    _tags: dict[tuple[int, ...], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def etag(self, stream: BufferedReader, info: os.stat_result) -> str:
        # A build replaces a changed file (new inode) or rewrites it (new times): a new key.
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        with self._lock:
            tag = self._tags.get(key)
        if tag is None:
            tag = f'"{hashlib.file_digest(stream, "sha256").hexdigest()}"'
            stream.seek(0)
            with self._lock:
                if len(self._tags) >= self.size:
                    del self._tags[next(iter(self._tags))]
                self._tags[key] = tag
        return tag


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        site: Path,
        limits: ServeLimits,
        on_request: Callable[[RequestRecord], None] | None = None,
    ) -> None:
        self.site = site
        self.limits = limits
        self.on_request = on_request
        self.etags = _EtagCache()
        # README images of the hosts registry.toml allows, as the build's pages expect
        self.rules = header_rules(published_image_hosts(site))
        self._slots = threading.BoundedSemaphore(limits.connections)
        super().__init__(address, _SiteHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _send_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("regsite serve: an error while answering %s", client_address)


def _send_busy(connection: socket.socket) -> None:
    answer = b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n"
    try:
        connection.settimeout(1)
        connection.sendall(answer)
    except OSError:
        return


class _SiteHandler(BaseHTTPRequestHandler):
    """One connection: one request head read within limits, one answer, then close."""

    server: _SiteServer

    def version_string(self) -> str:
        return "regsite"  # no Python version in the Server header

    def handle(self) -> None:
        # Until the version is known, answers are HTTP/1.0 (with a status line, unlike 0.9).
        self.request_version, self.requestline, self.command = "HTTP/1.0", "", ""
        limits = self.server.limits
        reader = HeadReader(self.connection, time.monotonic() + limits.head_seconds)
        try:
            request = read_request(reader, limits)
        except ClientGone:
            return
        except RequestRefused as refused:
            response = _refusal(refused.status, refused.reason, "/")
            head_only = False
        else:
            self.request_version, self.command = request.version, request.method
            self.requestline = f"{request.method} {request.path}"
            response = self._answer(request)
            head_only = request.method == "HEAD"
            if self.server.on_request is not None:
                self.server.on_request(RequestRecord(request.method, request.path, response.status))
        self._send(response, head_only)
        self._linger()

    def _answer(self, request: Request) -> _Response:
        try:
            return _respond(self.server, request)
        except Exception:  # a bug must still get an answer, not a dropped connection
            logger.exception("regsite serve: cannot answer %r", request.path)
            return _refusal(HTTPStatus.INTERNAL_SERVER_ERROR, "see the server's log", request.path)

    def _send(self, response: _Response, head_only: bool) -> None:
        try:
            self.connection.settimeout(self.server.limits.send_seconds)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if not head_only:
                self._write_body(response)
        except OSError as exc:  # the client left or stopped reading
            logger.debug("regsite serve: %s", exc)
        finally:
            response.close()

    def _write_body(self, response: _Response) -> None:
        if isinstance(response.body, bytes):
            self.wfile.write(response.body)
            return
        left = response.length  # never more than Content-Length said
        while left > 0 and (chunk := response.body.read(min(_CHUNK, left))):
            self.wfile.write(chunk)
            left -= len(chunk)

    def _linger(self) -> None:
        """Read what the client still sends, briefly, so that closing does not reset the answer.

        Closing a socket with unread input sends a TCP reset, which can destroy a response the
        client has not read yet: a 414 for a 100 KB request line would often be lost.
        """
        limits = self.server.limits
        deadline = time.monotonic() + limits.linger_seconds
        received = 0
        try:
            self.connection.shutdown(socket.SHUT_WR)
            while received < limits.linger_bytes and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                chunk = self.connection.recv(_CHUNK)
                if not chunk:
                    return
                received += len(chunk)
        except OSError:
            return

    def log_message(self, format: str, *args: Any) -> None:
        # The request line is the client's text: escaped and cut short before a terminal.
        message = ascii(format % args)
        logger.debug(
            "%s %s", self.client_address[0], message[:_LOGGED] + "…" * (len(message) > _LOGGED)
        )


def _respond(server: _SiteServer, request: Request) -> _Response:
    if request.method not in ("GET", "HEAD"):
        response = _refusal(HTTPStatus.METHOD_NOT_ALLOWED, "only GET and HEAD", request.path)
        return _Response(response.status, {**response.headers, "Allow": "GET, HEAD"}, response.body)
    file, add_slash = _locate(server.site, request.path)
    if add_slash:
        return _redirect(request)
    if file is None:
        return _not_found(server.site, request.path)
    return _file_response(server, request, file)


def _locate(site: Path, path: str) -> tuple[Path | None, bool]:
    """The file a normalised path names, and whether it names a folder without its final ``/``.

    A folder is served by its index.html, never listed.  Symbolic links may not lead out of the
    site.
    """
    candidate = _inside(site, site.joinpath(*path.split("/")[1:]))
    info = _stat(candidate)
    if candidate is None or info is None:
        return None, False
    if stat.S_ISDIR(info.st_mode):
        index = _inside(site, candidate / INDEX_PAGE)
        if _stat(index) is None or not stat.S_ISREG(_mode(index)):
            return None, False
        return (index, False) if path.endswith("/") else (None, True)
    if stat.S_ISREG(info.st_mode) and not path.endswith("/"):
        return candidate, False
    return None, False


def _inside(site: Path, path: Path) -> Path | None:
    real = Path(os.path.realpath(path))
    return real if real.is_relative_to(site) else None


def _stat(path: Path | None) -> os.stat_result | None:
    if path is None:
        return None
    try:
        return path.stat()
    except (OSError, ValueError):  # missing, a name too long, a loop of links
        return None


def _mode(path: Path | None) -> int:
    info = _stat(path)
    return 0 if info is None else info.st_mode


def _file_response(server: _SiteServer, request: Request, file: Path) -> _Response:
    stream = file.open("rb")
    try:
        info = os.fstat(stream.fileno())
        etag = server.etags.etag(stream, info)
    except BaseException:
        stream.close()
        raise
    headers = {
        **response_headers(request.path, file.name, server.rules),
        "ETag": etag,
        "Last-Modified": formatdate(info.st_mtime, usegmt=True),
    }
    if _not_modified(request, etag, info.st_mtime):
        stream.close()
        # A 304 describes the stored copy: no content type or length of its own (RFC 9110 15.4.5).
        del headers["Content-Type"]
        return _Response(HTTPStatus.NOT_MODIFIED, headers)
    headers["Content-Length"] = str(info.st_size)
    return _Response(HTTPStatus.OK, headers, stream, info.st_size)


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    """RFC 9110 13.1.2 and 13.1.3: If-None-Match wins; If-Modified-Since only without it."""
    tags = request.header("If-None-Match")
    if tags is not None:
        listed = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
        return "*" in listed or etag in listed
    since = request.header("If-Modified-Since")
    if since is None:
        return False
    try:
        moment = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False  # a date that cannot be read is ignored, as the RFC asks
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(mtime) <= moment.timestamp()


def _redirect(request: Request) -> _Response:
    location = quote(request.path + "/", safe="/!$&'()*+,;=:@~")
    if request.query:
        location += "?" + request.query
    headers = {
        **rule_headers(request.path),
        "Location": location,
        "Cache-Control": DEFAULT_CACHE_CONTROL,
        "Content-Length": "0",
    }
    return _Response(HTTPStatus.MOVED_PERMANENTLY, headers)


def _not_found(site: Path, path: str) -> _Response:
    page = _inside(site, site / NOT_FOUND_PAGE)
    if page is None or not stat.S_ISREG(_mode(page)):
        return _refusal(HTTPStatus.NOT_FOUND, "nothing is published at this address", path)
    body = page.read_bytes()
    return _error(HTTPStatus.NOT_FOUND, body, content_type(NOT_FOUND_PAGE), path)


def _refusal(status: HTTPStatus, reason: str, path: str) -> _Response:
    body = f"{status.value} {status.phrase}: {reason}\n".encode()
    return _error(status, body, content_type("error.txt"), path)


def _error(status: HTTPStatus, body: bytes, body_type: str, path: str) -> _Response:
    headers = {
        **rule_headers(path),
        "Content-Type": body_type,
        "Cache-Control": ERROR_CACHE_CONTROL,
        "Content-Length": str(len(body)),
    }
    return _Response(status, headers, body)


def make_server(
    directory: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    limits: ServeLimits | None = None,
    on_request: Callable[[RequestRecord], None] | None = None,
) -> ThreadingHTTPServer:
    """A server for ``directory``; call ``serve_forever()`` on it.  Port 0 picks a free port.

    ``on_request`` is told of every request answered (the request log), from the thread that
    answered it."""
    if not (directory / SITE_MARKER).is_file():
        raise RegistryError(f"{directory}: not a built site (no {SITE_MARKER}); run regsite build")
    if (journal := unfinished_commit(directory)) is not None:
        logger.warning(
            "%s: a build was killed while committing (%s); the site mixes two builds until"
            " 'regsite build' runs again",
            directory,
            journal.name,
        )
    site = Path(os.path.realpath(directory))
    try:
        return _SiteServer((host, port), site, limits or ServeLimits(), on_request)
    except OSError as exc:
        raise RegistryError(
            f"cannot listen on {host}:{port}: {exc.strerror}; pick another with --port"
        ) from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeOptions:
    site: Path  # a directory written by regsite build
    host: str = "127.0.0.1"
    port: int = 8000  # 0 picks a free port
    listening: Callable[[str], None]  # told the site's URL once the server listens


def serve_site(options: ServeOptions) -> str:
    """Serve the site until interrupted (Ctrl-C); return the URL it was served at."""
    server = make_server(options.site, options.host, options.port)
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}/"
    try:
        options.listening(url)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.server_close()
    return url
