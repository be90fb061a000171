"""``regsite serve``: a local preview server for a built site, on 127.0.0.1 by default."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from regsite.errors import RegistryError
from regsite.headers import CONTENT_TYPES, SECURITY_HEADERS
from regsite.write import SITE_MARKER

__all__ = ["make_server"]


class _SiteHandler(SimpleHTTPRequestHandler):
    """Static files with the production headers; 404.html for anything missing."""

    extensions_map = {  # noqa: RUF012 - the base class declares it as a plain attribute
        **SimpleHTTPRequestHandler.extensions_map,
        **CONTENT_TYPES,
    }

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        if self.path.startswith(("/api/", "/search/", "/metadata/")):
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``directory``; call ``serve_forever()`` on it.  Port 0 picks a free port."""
    if not (directory / SITE_MARKER).is_file():
        raise RegistryError(f"{directory}: not a built site (no {SITE_MARKER}); run regsite build")
    handler = functools.partial(_SiteHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise RegistryError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
