"""Fetch bytes over http(s) or from file:// URLs, with a size limit, a deadline and an ETag cache.

The pieces are kept apart so that a python-tuf ``FetcherInterface`` can reuse them later:
:class:`FetchConfig` (the limits), :func:`open_http` (one request under a
:class:`~regsite.deadline.Deadline`, redirects checked), :func:`read_chunks` and
:func:`read_limited` (the body, within the deadline and the byte limit).
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import socket
import ssl
import string
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote, unquote, urljoin, urlsplit

from regsite import __version__
from regsite.atomic_write import write_atomically
from regsite.deadline import Deadline, DeadlineHTTPHandler, DeadlineHTTPSHandler
from regsite.errors import RegistryError

__all__ = [
    "MAX_REDIRECTS",
    "FetchConfig",
    "FetchError",
    "Fetcher",
    "NotFoundError",
    "RedirectError",
    "SlowRetrievalError",
    "TooLargeError",
    "UnreachableError",
    "UrlFetcher",
    "open_http",
    "read_chunks",
    "read_limited",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_HTTP_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CACHE_MAGIC = b"regsite-fetch-cache 1\n"
_SAFE_IN_LOCATION = string.punctuation  # as urllib: quote spaces and non-ASCII, keep the rest


class FetchError(RegistryError):
    """A URL could not be fetched; ``reason`` says why without the URL, ``status`` is the HTTP
    status when the server answered with one."""

    def __init__(
        self, url: str, reason: str, *, status: int | None = None, message: str | None = None
    ) -> None:
        super().__init__(message or f"cannot fetch {url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


class TooLargeError(FetchError):
    """The response is larger than the caller allowed."""


class NotFoundError(FetchError):
    """The server answered 404 or 410, or the file does not exist."""


class RedirectError(FetchError):
    """The server redirected somewhere the fetcher will not follow."""


class UnreachableError(FetchError):
    """No answer at all: the host name does not resolve, the connection was refused or timed
    out, or TLS failed."""


class SlowRetrievalError(FetchError):
    """The fetch did not finish within its deadline (python-tuf's name for this attack)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FetchConfig:
    """How long and how much one fetch may take, as python-tuf's ``UpdaterConfig`` does."""

    deadline: float = 30.0  # seconds for a whole fetch: connect, TLS, redirects, headers, body
    read_timeout: float = 15.0  # seconds that one connect or read may wait (pip's default)
    # bytes per second: when set, a fetch allowed max_bytes gets max_bytes / min_speed seconds
    # if that is longer than `deadline` (large artifacts); None keeps every fetch to `deadline`.
    min_speed: int | None = None
    chunk_size: int = 64 * 1024  # bytes read at a time
    max_redirects: int = MAX_REDIRECTS  # redirects followed in one fetch

    def deadline_for(self, max_bytes: int) -> Deadline:
        """A deadline, starting now, for one fetch of at most ``max_bytes``."""
        seconds = self.deadline
        if self.min_speed is not None:
            seconds = max(seconds, max_bytes / self.min_speed)
        return Deadline(seconds, self.read_timeout)


class Fetcher(Protocol):
    def fetch(self, url: str, max_bytes: int) -> bytes:
        """Return the body at ``url``; raise :class:`FetchError` if it is larger than max_bytes."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class UrlFetcher:
    """Fetch http://, https:// and file:// URLs with urllib.

    With ``same_origin_redirects`` a redirect must stay on the same scheme, host and port;
    without it any http(s) redirect is followed. Other schemes are never followed.
    """

    config: FetchConfig = FetchConfig()
    same_origin_redirects: bool = True
    cache_dir: Path | None = None  # ETag cache for http(s) responses; None disables it

    def fetch(self, url: str, max_bytes: int) -> bytes:
        """Return the body at ``url``, at most ``max_bytes`` long."""
        return self.fetch_with_status(url, max_bytes)[0]

    def fetch_with_status(self, url: str, max_bytes: int) -> tuple[bytes, bool]:
        """Return the body and whether it came from the cache after a 304 Not Modified."""
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as error:
            raise FetchError(url, f"not a valid URL ({error})") from error
        if scheme == "file":
            return _read_file_url(url, max_bytes, self.config.chunk_size), False
        if scheme not in _HTTP_SCHEMES:
            raise FetchError(url, "expected an http, https or file URL")
        return self._fetch_http(url, max_bytes)

    def _fetch_http(self, url: str, max_bytes: int) -> tuple[bytes, bool]:
        cache = None if self.cache_dir is None else _Cache(self.cache_dir)
        cached = None if cache is None else cache.load(url, max_bytes)
        headers = {} if cached is None else {"If-None-Match": cached[0]}
        deadline = self.config.deadline_for(max_bytes)
        try:
            response = open_http(
                url,
                deadline,
                headers=headers,
                same_origin=self.same_origin_redirects,
                max_redirects=self.config.max_redirects,
            )
        except FetchError as error:
            if error.status == 304 and cached is not None:
                return cached[1], True
            raise
        with response:
            _check_length(url, response, max_bytes)
            chunks = read_chunks(url, response, deadline, self.config.chunk_size)
            body = read_limited(chunks, url, max_bytes)
            etag = response.headers.get("ETag") if response.status == 200 else None
        if cache is not None and etag is not None:
            cache.store(url, etag, body)
        return body, False


def open_http(
    url: str,
    deadline: Deadline,
    *,
    headers: Mapping[str, str] | None = None,
    same_origin: bool = True,
    max_redirects: int = MAX_REDIRECTS,
) -> http.client.HTTPResponse:
    """Send a GET for ``url`` and return the final response after redirects, headers read.

    Raises :class:`FetchError` (``status`` set) for any status but 2xx, and its subclasses for
    a host that cannot be reached, a redirect refused, or a deadline passed.
    """
    request = urllib.request.Request(  # noqa: S310 - http(s) only
        url, headers={"User-Agent": f"regsite/{__version__}", **(headers or {})}
    )
    opener = urllib.request.build_opener(
        DeadlineHTTPHandler(deadline),
        DeadlineHTTPSHandler(deadline),
        _RedirectHandler(same_origin, max_redirects),
    )
    try:
        response: http.client.HTTPResponse = opener.open(request, timeout=deadline.read_timeout)
    except urllib.error.HTTPError as error:
        error.close()
        raise _http_error(url, error) from error
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        raise _failure(url, error, deadline) from error
    return response


def read_chunks(
    url: str, response: http.client.HTTPResponse, deadline: Deadline, chunk_size: int
) -> Iterator[bytes]:
    """The body in chunks of at most ``chunk_size`` bytes, each read within the deadline."""
    while True:
        try:
            chunk = response.read(chunk_size)
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise _failure(url, error, deadline) from error
        if not chunk:
            return
        yield chunk


def read_limited(chunks: Iterable[bytes], url: str, max_bytes: int) -> bytes:
    """Join the chunks, failing as soon as more than ``max_bytes`` have arrived."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise TooLargeError(url, f"larger than the limit of {max_bytes} bytes")
    return bytes(body)


def _check_length(url: str, response: http.client.HTTPResponse, max_bytes: int) -> None:
    # A malformed length is left to http.client; only a well-formed one can fail early.
    text = (response.headers.get("Content-Length") or "").strip()
    if text.isascii() and text.isdigit() and int(text) > max_bytes:
        raise TooLargeError(
            url, f"{int(text)} bytes long (Content-Length); at most {max_bytes} are allowed"
        )


def _http_error(url: str, error: urllib.error.HTTPError) -> FetchError:
    reason = f"HTTP {error.code} {error.reason}"
    if error.code in (404, 410):
        return NotFoundError(url, reason, status=error.code)
    return FetchError(url, reason, status=error.code)


def _failure(url: str, error: BaseException, deadline: Deadline) -> FetchError:
    """Say what went wrong in words a user can act on; errors while connecting mean the host
    cannot be reached (urllib wraps those, and only those, in URLError)."""
    connecting = isinstance(error, urllib.error.URLError)
    cause: object = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, BaseException) and deadline.passed(cause):
        return SlowRetrievalError(
            url,
            f"did not finish within the {deadline.seconds:g} s deadline"
            " (the server is too slow, or sends its answer a few bytes at a time)",
        )
    reason = _describe(url, cause, deadline)
    return UnreachableError(url, reason) if connecting else FetchError(url, reason)


def _describe(url: str, cause: object, deadline: Deadline) -> str:
    host = urlsplit(url).hostname or "?"
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve the host name {host} ({cause.strerror})"
    if isinstance(cause, ConnectionRefusedError):
        _, host, port = _origin(url)
        return f"connection refused by {host}:{port}"
    if isinstance(cause, TimeoutError):
        return f"no answer within {deadline.read_timeout:g} s"
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {cause.verify_message}"
    if isinstance(cause, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(cause, http.client.IncompleteRead):
        return f"the response ended early, after {len(cause.partial)} bytes"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(cause) or type(cause).__name__


def _read_file_url(url: str, max_bytes: int, chunk_size: int) -> bytes:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(url, "file URLs on another host are not supported")
    path = Path(unquote(parts.path))
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise TooLargeError(
                    url, f"{size} bytes long; at most {max_bytes} bytes are allowed"
                )
            return read_limited(iter(lambda: stream.read(chunk_size), b""), url, max_bytes)
    except (FileNotFoundError, NotADirectoryError) as error:
        if path.parent.is_dir():
            raise NotFoundError(url, f"no such file {path}") from error
        raise NotFoundError(url, f"no such directory {path.parent}") from error
    except OSError as error:
        raise FetchError(url, error.strerror or str(error)) from error


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows at most ``limit`` http(s) redirects; one handler serves one fetch."""

    def __init__(self, same_origin: bool, limit: int) -> None:
        self.same_origin = same_origin
        self.limit = limit
        self.redirects = 0

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any
    ) -> Any:
        # Replaces urllib's version, which reads the whole redirect body without a limit.
        location = headers.get("Location")
        fp.close()
        if location is None:
            raise RedirectError(req.full_url, f"HTTP {code} without a Location")
        target = urljoin(
            req.full_url, quote(location, encoding="iso-8859-1", safe=_SAFE_IN_LOCATION)
        )
        self._check(req.full_url, target)
        self.redirects += 1
        new = urllib.request.Request(target, headers=dict(req.headers))  # noqa: S310
        return self.parent.open(new, timeout=req.timeout)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def _check(self, source: str, target: str) -> None:
        if self.redirects >= self.limit:
            raise _refused(source, target, f"more than {self.limit} redirects")
        try:
            old, new = _origin(source), _origin(target)
        except ValueError as error:  # e.g. a port that is not a number
            raise _refused(source, target, str(error)) from error
        if new[0] not in _HTTP_SCHEMES:
            raise _refused(source, target, "only http and https redirects are followed")
        if self.same_origin and old != new:
            what = next(
                w for w, a, b in zip(("scheme", "host", "port"), old, new, strict=True) if a != b
            )
            raise _refused(source, target, f"another {what}")


def _refused(source: str, target: str, why: str) -> RedirectError:
    return RedirectError(
        source,
        f"refusing the redirect to {target}: {why}",
        message=f"refusing redirect from {source} to {target}: {why}",
    )


@dataclass(frozen=True, slots=True)
class _Cache:
    """One file per URL: a magic line, the ETag, the body's sha256, then the body."""

    directory: Path

    def entry(self, url: str) -> Path:
        return self.directory / hashlib.sha256(url.encode()).hexdigest()

    def load(self, url: str, max_bytes: int) -> tuple[str, bytes] | None:
        """The cached ETag and body, or None if absent, too large or corrupt."""
        try:
            with self.entry(url).open("rb") as stream:
                data = stream.read(len(_CACHE_MAGIC) + 1024 + 65 + max_bytes + 1)
        except OSError:
            return None
        magic, _, rest = data.partition(b"\n")
        etag, _, rest = rest.partition(b"\n")
        digest, _, body = rest.partition(b"\n")
        if magic + b"\n" != _CACHE_MAGIC or not etag or len(body) > max_bytes:
            return None
        if hashlib.sha256(body).hexdigest().encode() != digest:
            return None
        return etag.decode("iso-8859-1"), body

    def store(self, url: str, etag: str, body: bytes) -> None:
        if "\n" in etag or "\r" in etag or len(etag) > 1024 or not etag.isprintable():
            return
        digest = hashlib.sha256(body).hexdigest().encode()
        data = _CACHE_MAGIC + etag.encode("iso-8859-1") + b"\n" + digest + b"\n" + body
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(self.entry(url), data, mode=0o600)
        except (OSError, UnicodeEncodeError) as error:
            # The cache only saves bandwidth; the fetch itself succeeded.
            logger.warning("cannot cache %s in %s: %s", url, self.directory, error)
