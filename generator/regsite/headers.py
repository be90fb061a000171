"""HTTP response headers the site should be served with (netlify.toml and ``regsite serve``)."""

from __future__ import annotations

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CONTENT_TYPES",
    "META_CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
]

# The policy pages also carry in a <meta> tag, for hosts that cannot set headers (GitHub Pages).
META_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
# frame-ancestors only works as a header.
CONTENT_SECURITY_POLICY = META_CONTENT_SECURITY_POLICY + "; frame-ancestors 'none'"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

CONTENT_TYPES = {
    ".json": "application/json; charset=utf-8",
    ".toml": "text/plain; charset=utf-8",
    ".sig": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
