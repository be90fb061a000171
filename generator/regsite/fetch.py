"""Fetch bytes over http(s) or from file:// URLs, with a size limit, a timeout and an ETag cache."""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import string
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote, unquote, urljoin, urlsplit

from regsite import __version__
from regsite.errors import RegistryError
from regsite.sources import write_atomically

__all__ = [
    "MAX_REDIRECTS",
    "FetchError",
    "Fetcher",
    "NotFoundError",
    "RedirectError",
    "TooLargeError",
    "UrlFetcher",
]

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_HTTP_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CACHE_MAGIC = b"regsite-fetch-cache 1\n"
_SAFE_IN_LOCATION = string.punctuation  # as urllib: quote spaces and non-ASCII, keep the rest


class FetchError(RegistryError):
    """A URL could not be fetched."""


class TooLargeError(FetchError):
    """The response is larger than the caller allowed."""


class NotFoundError(FetchError):
    """The server answered 404 or 410, or the file does not exist."""


class RedirectError(FetchError):
    """The server redirected somewhere the fetcher will not follow."""


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

    timeout: float = 30.0  # seconds, for the whole request and for each socket read
    same_origin_redirects: bool = True
    cache_dir: Path | None = None  # ETag cache for http(s) responses; None disables it
    chunk_size: int = 64 * 1024  # bytes read at a time

    def fetch(self, url: str, max_bytes: int) -> bytes:
        """Return the body at ``url``, at most ``max_bytes`` long."""
        return self.fetch_with_status(url, max_bytes)[0]

    def fetch_with_status(self, url: str, max_bytes: int) -> tuple[bytes, bool]:
        """Return the body and whether it came from the cache after a 304 Not Modified."""
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as error:
            raise FetchError(f"cannot fetch {url!r}: not a valid URL ({error})") from error
        if scheme == "file":
            return _read_file_url(url, max_bytes, self.chunk_size), False
        if scheme not in _HTTP_SCHEMES:
            raise FetchError(f"cannot fetch {url}: expected an http, https or file URL")
        return self._fetch_http(url, max_bytes)

    def _fetch_http(self, url: str, max_bytes: int) -> tuple[bytes, bool]:
        cache = None if self.cache_dir is None else _Cache(self.cache_dir)
        cached = None if cache is None else cache.load(url, max_bytes)
        headers = {"User-Agent": f"regsite/{__version__}"}
        if cached is not None:
            headers["If-None-Match"] = cached[0]
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only
        opener = urllib.request.build_opener(_RedirectHandler(self.same_origin_redirects))
        deadline = time.monotonic() + self.timeout
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body, etag = self._read_response(url, response, max_bytes, deadline)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 304 and cached is not None:
                return cached[1], True
            raise _http_error(url, error) from error
        except urllib.error.URLError as error:
            raise FetchError(f"cannot fetch {url}: {error.reason}") from error
        except (OSError, ValueError, http.client.HTTPException) as error:
            raise FetchError(f"cannot fetch {url}: {error or type(error).__name__}") from error
        if cache is not None and etag is not None:
            cache.store(url, etag, body)
        return body, False

    def _read_response(
        self, url: str, response: Any, max_bytes: int, deadline: float
    ) -> tuple[bytes, str | None]:
        length = _content_length(response.headers.get("Content-Length"))
        if length is not None and length > max_bytes:
            raise TooLargeError(
                f"{url} is {length} bytes long (Content-Length); at most {max_bytes} are allowed"
            )
        body = _read_limited(response.read, url, max_bytes, self.chunk_size, deadline)
        etag = response.headers.get("ETag")
        return body, etag if response.status == 200 else None


def _content_length(value: str | None) -> int | None:
    # A malformed length is left to http.client; only a well-formed one can fail early.
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _read_limited(
    read: Callable[[int], bytes],
    url: str,
    max_bytes: int,
    chunk_size: int,
    deadline: float | None = None,
) -> bytes:
    """Read until the end, failing as soon as more than ``max_bytes`` or the deadline pass."""
    chunks: list[bytes] = []
    total = 0
    while chunk := read(min(chunk_size, max_bytes + 1 - total)):
        total += len(chunk)
        if total > max_bytes:
            raise TooLargeError(f"{url} is larger than the limit of {max_bytes} bytes")
        if deadline is not None and time.monotonic() > deadline:
            raise FetchError(f"cannot fetch {url}: the response did not finish in time")
        chunks.append(chunk)
    return b"".join(chunks)


def _http_error(url: str, error: urllib.error.HTTPError) -> FetchError:
    message = f"cannot fetch {url}: HTTP {error.code} {error.reason}"
    if error.code in (404, 410):
        return NotFoundError(message)
    return FetchError(message)


def _read_file_url(url: str, max_bytes: int, chunk_size: int) -> bytes:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(f"cannot fetch {url}: file URLs on another host are not supported")
    path = Path(unquote(parts.path))
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > max_bytes:
                raise TooLargeError(
                    f"{url} is {size} bytes long; at most {max_bytes} bytes are allowed"
                )
            return _read_limited(stream.read, url, max_bytes, chunk_size)
    except FileNotFoundError as error:
        raise NotFoundError(f"cannot fetch {url}: no such file {path}") from error
    except OSError as error:
        raise FetchError(f"cannot fetch {url}: {error.strerror or error}") from error


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows at most MAX_REDIRECTS http(s) redirects; one handler serves one fetch."""

    def __init__(self, same_origin: bool) -> None:
        self.same_origin = same_origin
        self.redirects = 0

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any
    ) -> Any:
        # Replaces urllib's version, which reads the whole redirect body without a limit.
        location = headers.get("Location")
        fp.close()
        if location is None:
            raise RedirectError(f"cannot fetch {req.full_url}: HTTP {code} without a Location")
        target = urljoin(
            req.full_url, quote(location, encoding="iso-8859-1", safe=_SAFE_IN_LOCATION)
        )
        self._check(req.full_url, target)
        self.redirects += 1
        new = urllib.request.Request(target, headers=dict(req.headers))  # noqa: S310
        return self.parent.open(new, timeout=req.timeout)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def _check(self, source: str, target: str) -> None:
        refuse = f"refusing redirect from {source} to {target}"
        if self.redirects >= MAX_REDIRECTS:
            raise RedirectError(f"{refuse}: more than {MAX_REDIRECTS} redirects")
        try:
            old, new = _origin(source), _origin(target)
        except ValueError as error:  # e.g. a port that is not a number
            raise RedirectError(f"{refuse}: {error}") from error
        if new[0] not in _HTTP_SCHEMES:
            raise RedirectError(f"{refuse}: only http and https redirects are followed")
        if self.same_origin and old != new:
            what = next(
                w for w, a, b in zip(("scheme", "host", "port"), old, new, strict=True) if a != b
            )
            raise RedirectError(f"{refuse}: another {what}")


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
