"""``regsite search``: query a built site's search index, from its directory or its URL."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regsite.fetch import FetchError, UrlFetcher
from regsite.search.query import Hit, Record, Searcher, SearchError, SearchResults

__all__ = [
    "MAX_SHARD_BYTES",
    "DirectorySource",
    "Found",
    "HttpSource",
    "SearchOptions",
    "dump_found",
    "found_document",
    "open_site",
    "search_site",
]

MAX_SHARD_BYTES = 16 * 1024 * 1024  # bytes; a published shard is about 32 KB


@dataclass(frozen=True, slots=True)
class DirectorySource:
    """Shards read from a built site on disk."""

    root: Path

    def load(self, path: str) -> Any:
        file = self.root / path
        try:
            with file.open("rb") as stream:
                return _parse(path, stream.read(MAX_SHARD_BYTES + 1))
        except FileNotFoundError:
            raise SearchError(
                f"{file}: not found; is {self.root} a site built by regsite, with its search index?"
            ) from None
        except OSError as exc:
            raise SearchError(f"{file}: {exc.strerror or exc}") from exc


@dataclass(frozen=True, slots=True)
class HttpSource:
    """Shards fetched over http(s) from a published site; ``base`` ends with ``/``."""

    base: str

    def load(self, path: str) -> Any:
        url = urllib.parse.urljoin(self.base, path)
        # The index is only ranked, not trusted, so redirects to another host are followed.
        fetcher = UrlFetcher(same_origin_redirects=False)  # 30 s per fetch
        try:
            return _parse(url, fetcher.fetch(url, MAX_SHARD_BYTES))
        except FetchError as exc:
            raise SearchError(str(exc)) from exc


def _parse(where: str, content: bytes) -> Any:
    if len(content) > MAX_SHARD_BYTES:
        raise SearchError(f"{where}: larger than {MAX_SHARD_BYTES} bytes; refusing to read it")
    try:
        return json.loads(content)
    except RecursionError:
        raise SearchError(f"{where}: not valid search JSON (nested too deeply)") from None
    except ValueError as exc:  # not UTF-8, not JSON, or an integer too long to convert
        raise SearchError(f"{where}: not valid JSON ({exc})") from exc


def open_site(location: str) -> DirectorySource | HttpSource:
    """A directory, a ``file://`` URL or an ``http(s)://`` URL of a built site."""
    parts = urllib.parse.urlsplit(location)
    if parts.scheme in {"http", "https"}:
        if not parts.netloc:
            raise SearchError(f"--site {location}: the URL has no host")
        return HttpSource(location if location.endswith("/") else location + "/")
    if parts.scheme == "file":
        return DirectorySource(Path(urllib.request.url2pathname(parts.path)))
    if len(parts.scheme) > 1:  # a one-letter scheme is a Windows drive
        raise SearchError(f"--site {location}: expected a directory or an http(s):// URL")
    return DirectorySource(Path(location))


@dataclass(frozen=True, slots=True)
class Found:
    """One query's answer, with the display records of the hits shown."""

    results: SearchResults
    shown: tuple[tuple[Hit, Record], ...]
    base_url: str | None  # the site's URL when it was fetched over http(s)


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchOptions:
    site: str  # a built site: directory or http(s) URL
    query: str
    limit: int = 20  # results shown


def search_site(options: SearchOptions) -> Found:
    """Rank the site's packages for the query as its search page does; keep the first few."""
    source = open_site(options.site)
    searcher = Searcher(source)
    results = searcher.search(options.query)
    hits = results.hits[: options.limit]
    records = searcher.records([hit.doc for hit in hits])
    return Found(
        results=results,
        shown=tuple(zip(hits, records, strict=True)),
        base_url=source.base if isinstance(source, HttpSource) else None,
    )


def _page_url(found: Found, record: Record) -> str:
    return urllib.parse.urljoin(found.base_url, record.url) if found.base_url else record.url


def found_document(found: Found) -> dict[str, Any]:
    """The ``--json`` output; scores are the integers the browser ranks by."""
    return {
        "query": found.results.query,
        "truncated": found.results.truncated,
        "tokens": list(found.results.tokens),
        "total": len(found.results.hits),
        "suggestion": found.results.suggestion,
        "results": [
            {
                "name": record.name,
                "version": record.version,
                "summary": record.summary,
                "status": record.status,
                "dependents": record.dependents,
                "url": _page_url(found, record),
                "match": hit.tier.name.lower(),
                "matched_tokens": hit.matched,
                "score": hit.score,
            }
            for hit, record in found.shown
        ],
    }


def dump_found(found: Found) -> str:
    """The ``--json`` output in ASCII: every character a terminal could act on is escaped."""
    return json.dumps(found_document(found), ensure_ascii=True, separators=(",", ":")) + "\n"
