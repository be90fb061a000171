"""The HTTP headers a built site is served with: one table for ``regsite serve`` and netlify.toml.

``HEADER_RULES`` is the single source of truth.  ``regsite serve`` applies it to every response,
and netlify.toml repeats it rule for rule (tests/test_deploy.py compares the two both ways).
A rule's pattern uses the syntax every static host shares (Netlify's ``[[headers]] for`` and
the ``_headers`` file of Netlify and Cloudflare Pages): an exact path, or a folder ending in
``/*`` that matches everything under it (and the folder itself), compared case-insensitively.

Rules never set the same header twice for one path, so the order of the table and the way a host
merges matching rules cannot change a response (a test checks this).  What no rule sets is the
host's own default: ``DEFAULT_CACHE_CONTROL`` (Netlify's) and a content type from the file's
extension.  docs/hosting.md explains each rule and the caching policy.
"""

from __future__ import annotations

import mimetypes
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CONTENT_TYPES",
    "DEFAULT_CACHE_CONTROL",
    "HEADER_RULES",
    "META_CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "HeaderRule",
    "content_security_policy",
    "content_type",
    "header_rules",
    "meta_content_security_policy",
    "published_image_hosts",
    "response_headers",
    "rule_headers",
    "security_headers",
]


def meta_content_security_policy(image_hosts: Iterable[str] = ()) -> str:
    """The policy pages also carry in a <meta> tag, for hosts that cannot set headers (GitHub
    Pages); ``image_hosts``: the registry's ``readme-image-hosts``, which img-src allows."""
    images = " ".join(["'self'", *(f"https://{host}" for host in sorted(image_hosts))])
    return (
        f"default-src 'self'; img-src {images}; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'"
    )


def content_security_policy(image_hosts: Iterable[str] = ()) -> str:
    """The header's policy: the meta tag's, and frame-ancestors, which only works as a header."""
    return meta_content_security_policy(image_hosts) + "; frame-ancestors 'none'"


def security_headers(image_hosts: Iterable[str] = ()) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(image_hosts),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


META_CONTENT_SECURITY_POLICY: Final = meta_content_security_policy()
CONTENT_SECURITY_POLICY: Final = content_security_policy()
SECURITY_HEADERS: Final[Mapping[str, str]] = security_headers()

JSON: Final = "application/json; charset=utf-8"
TEXT: Final = "text/plain; charset=utf-8"
# Clients on other origins (a browser-based client, another registry's search) read these.
CORS: Final[Mapping[str, str]] = {"Access-Control-Allow-Origin": "*"}
# Every path that no rule gives a Cache-Control: cache, but ask the host before each reuse (the
# ETag makes that cheap).  This is what Netlify sends by itself; GitHub Pages sends max-age=600.
DEFAULT_CACHE_CONTROL: Final = "public, max-age=0, must-revalidate"
# Content-hashed names: a changed file gets a new name, so the old one can be kept forever.
IMMUTABLE: Final = "public, max-age=31536000, immutable"
# The one file TUF clients poll for news; a minute of staleness bounds how late they learn of it.
SHORT: Final = "public, max-age=60, must-revalidate"
# Cargo's sparse index: each file changes when a release is added or yanked, and cargo asks again
# with If-None-Match each time; said explicitly so that no host's longer default applies.
REVALIDATE: Final = "public, max-age=0, must-revalidate"


@dataclass(frozen=True, slots=True)
class HeaderRule:
    """Headers for every path ``pattern`` matches: ``/exact/path`` or ``/folder/*``."""

    pattern: str
    headers: Mapping[str, str]

    def __post_init__(self) -> None:
        # The table is code, not input: a pattern that hosts read in other ways (a `*` inside a
        # segment, a `:placeholder`) is a bug, found when the module is imported.
        body = self.pattern.removesuffix("/*").removesuffix("/")
        segments = body.split("/")[1:]
        if not self.pattern.startswith("/") or any(
            not segment or segment[0] == ":" or "*" in segment for segment in segments
        ):
            raise ValueError(f"header rule {self.pattern!r}: expected /path or /folder/*")

    def matches(self, path: str) -> bool:
        """Whether the rule applies to ``path``, a decoded and normalised URL path."""
        path, pattern = path.lower(), self.pattern.lower()
        if pattern.endswith("/*"):
            folder = pattern.removesuffix("/*")
            return path == folder or path.startswith(folder + "/")
        return path in (pattern, pattern + "/")


def header_rules(image_hosts: Iterable[str] = ()) -> tuple[HeaderRule, ...]:
    """The table for a registry whose README images come from ``image_hosts``."""
    return (HeaderRule("/*", security_headers(image_hosts)), *HEADER_RULES[1:])


# The registry.toml a build republishes byte for byte (render/api.py's sources).
PUBLISHED_REGISTRY = "api/v1/sources/registry.toml"
_HOST = re.compile(r"[a-z0-9.-]{1,253}")


def published_image_hosts(site: Path) -> tuple[str, ...]:
    """The ``readme-image-hosts`` of the registry a built site publishes (the build checked
    them; here they are only read back): what ``regsite serve`` adds to img-src."""
    try:
        document = tomllib.loads((site / PUBLISHED_REGISTRY).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    table = document.get("registry")
    hosts = table.get("readme-image-hosts") if isinstance(table, dict) else None
    if not isinstance(hosts, list):
        return ()
    return tuple(host for host in hosts if isinstance(host, str) and _HOST.fullmatch(host))


HEADER_RULES: Final[tuple[HeaderRule, ...]] = (
    HeaderRule("/*", SECURITY_HEADERS),
    HeaderRule("/api/*", CORS),
    HeaderRule("/search/*", CORS),
    HeaderRule("/metadata/*", {**CORS, "Content-Type": JSON}),
    HeaderRule("/metadata/timestamp.json", {"Cache-Control": SHORT}),
    HeaderRule("/api/v1/registry.json", {"Content-Type": JSON}),
    HeaderRule("/api/v1/names.json", {"Content-Type": JSON}),
    HeaderRule("/api/v1/build-report.json", {"Content-Type": JSON}),
    HeaderRule("/api/v1/packages/*", {"Content-Type": JSON}),
    HeaderRule("/api/v1/schemas/*", {"Content-Type": JSON}),
    # The signed sources, byte for byte: shown as text, never sniffed or run.
    HeaderRule("/api/v1/sources/*", {"Content-Type": TEXT}),
    HeaderRule("/static/*", {"Cache-Control": IMMUTABLE}),
    HeaderRule("/cargo/*", {**CORS, "Cache-Control": REVALIDATE}),
    # Hosted artifacts live at files/<name>/<sha256>/<file>: a path never changes content.
    HeaderRule("/files/*", {"Cache-Control": IMMUTABLE}),
)

# What a host picks from the extension when no rule sets Content-Type.
CONTENT_TYPES: Final[Mapping[str, str]] = {
    ".json": JSON,
    ".toml": TEXT,
    ".sig": TEXT,
    ".md": TEXT,
    ".txt": TEXT,
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".zip": "application/zip",  # api/v1/advisories/all.zip, as OSV tools fetch it
}
# Python's built-in table only, never /etc/mime.types: the same answer on every machine.
_BUILT_IN_TYPES: Final = mimetypes.MimeTypes()


def rule_headers(path: str, rules: tuple[HeaderRule, ...] = HEADER_RULES) -> dict[str, str]:
    """Every header the rules matching ``path`` set (decoded, normalised, starting with ``/``)."""
    headers: dict[str, str] = {}
    for rule in rules:
        if rule.matches(path):
            headers.update(rule.headers)
    return headers


def content_type(filename: str) -> str:
    """The content type a host gives ``filename`` from its extension."""
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, encoding = _BUILT_IN_TYPES.guess_type(filename)
    return guessed if guessed is not None and encoding is None else "application/octet-stream"


def response_headers(
    path: str, filename: str, rules: tuple[HeaderRule, ...] = HEADER_RULES
) -> dict[str, str]:
    """The headers of a file named ``filename`` served at ``path``: the rules, then the defaults."""
    headers = {"Content-Type": content_type(filename), "Cache-Control": DEFAULT_CACHE_CONTROL}
    headers.update(rule_headers(path, rules))
    return headers
