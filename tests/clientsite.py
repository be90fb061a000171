"""A local HTTP server for the client tests: real artifact files, and a CDN's ETag revalidation.

``regsite serve`` (SimpleHTTPRequestHandler) sends no ETag, so the client's ``If-None-Match``
cache would never be exercised against it.  :func:`revalidating_server` serves a directory the
way a CDN does: a strong ETag on every file, ``304 Not Modified`` when the client already holds
it, and a log of every request to assert on.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Request", "Served", "revalidating_server", "served_release"]


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    status: int
    if_none_match: str | None


@dataclass(slots=True)
class Served:
    """A running server: its base URL (no trailing slash) and every request it answered."""

    url: str
    requests: list[Request] = field(default_factory=list)

    def statuses(self, path: str) -> list[int]:
        return [request.status for request in self.requests if request.path == path]


class _RecordingServer(ThreadingHTTPServer):
    served: Served


class _RevalidatingHandler(SimpleHTTPRequestHandler):
    server: _RecordingServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        file = Path(self.translate_path(self.path))
        if not file.is_file():
            self._record(path, 404)
            self.send_error(404)
            return
        body = file.read_bytes()
        etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
        status = 304 if self.headers.get("If-None-Match") == etag else 200
        self._record(path, status)
        self.send_response(status)
        self.send_header("ETag", etag)
        if status == 304:
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, path: str, status: int) -> None:
        request = Request(path, status, self.headers.get("If-None-Match"))
        self.server.served.requests.append(request)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def revalidating_server(directory: Path) -> Iterator[Served]:
    """Serve ``directory`` on a free loopback port with ETags; closed on exit."""
    handler = functools.partial(_RevalidatingHandler, directory=str(directory))
    server = _RecordingServer(("127.0.0.1", 0), handler)
    server.served = Served(f"http://127.0.0.1:{server.server_address[1]}")
    # A short poll interval: shutdown() waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def served_release(
    served: Served, directory: Path, name: str, version: str, day: int, **extra: Any
) -> dict[str, Any]:
    """A package.toml release whose one artifact is a real file in ``directory``, at ``served``."""
    filename = f"{name}-{version}.tar.gz"
    content = f"{name} {version}\n".encode() * (10 + day)
    (directory / filename).write_bytes(content)
    return {
        "version": version,
        "published": datetime(2026, 1, day, 12, 0, tzinfo=UTC),
        **extra,
        "artifact": [
            {
                "url": f"{served.url}/{filename}",
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
            }
        ],
    }
