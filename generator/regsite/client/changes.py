"""The change feed as a client reads it: the head and the pages after ``--since``, every file
TUF-verified, and checked to be one feed (one epoch, numbers that follow)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from regsite.client.registry import ClientError, TargetSource
from regsite.metadata.layout import CHANGES_HEAD, CHANGES_PAGE

__all__ = ["Changes", "FeedRestartedError", "read_changes"]

_API = "api/v1/"


class FeedRestartedError(ClientError):
    """The feed is not the one the caller followed (a new epoch, or numbers it never reached)."""


@dataclass(frozen=True, slots=True)
class Changes:
    epoch: str
    latest: int
    events: tuple[dict[str, Any], ...]  # seq > since, oldest first, as the pages publish them


def read_changes(source: TargetSource, since: int, epoch: str | None = None) -> Changes:
    """The events after ``since``; with ``epoch``, refuse a feed that restarted since."""
    head = _document(source, CHANGES_HEAD)
    current, latest, pages = head.get("epoch"), head.get("latest"), head.get("pages")
    if not isinstance(current, str) or type(latest) is not int or not isinstance(pages, list):
        raise ClientError(f"{CHANGES_HEAD}: expected epoch, latest and pages; the build is broken")
    if epoch is not None and epoch != current:
        raise FeedRestartedError(
            f"{CHANGES_HEAD}: the feed restarted (epoch {current}, you followed {epoch}): read the"
            f" registry afresh, then follow it with --since 0 --epoch {current}"
        )
    if since > latest:
        raise FeedRestartedError(
            f"{CHANGES_HEAD}: --since {since} is past the latest event ({latest}) of epoch"
            f" {current}: the feed was rolled back or restarted; read the registry afresh"
        )
    events: list[dict[str, Any]] = []
    for entry in pages:
        if isinstance(entry, dict) and type(entry.get("last")) is int and entry["last"] > since:
            events += _page_events(source, entry, current, since)
    expected = list(range(since + 1, latest + 1))
    if [event.get("seq") for event in events] != expected:
        raise ClientError(f"{CHANGES_HEAD}: its pages do not hold events {since + 1} to {latest}")
    return Changes(current, latest, tuple(events))


def _page_events(
    source: TargetSource, entry: dict[str, Any], epoch: str, since: int
) -> list[dict[str, Any]]:
    path = _API + str(entry.get("url"))
    if CHANGES_PAGE.fullmatch(path) is None:
        raise ClientError(f"{CHANGES_HEAD}: pages: {path!r:.80} is not a page of the feed")
    content = source.fetch_target(path)
    if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
        raise ClientError(f"{path}: not the page {CHANGES_HEAD} lists (sha256 differs)")
    page = _parsed(content, path)
    events = page.get("events")
    if page.get("epoch") != epoch or not isinstance(events, list):
        raise ClientError(f"{path}: not a page of epoch {epoch}")
    return [
        e for e in events if isinstance(e, dict) and type(e.get("seq")) is int and e["seq"] > since
    ]


def _document(source: TargetSource, path: str) -> dict[str, Any]:
    return _parsed(source.fetch_target(path), path)


def _parsed(content: bytes, path: str) -> dict[str, Any]:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise ClientError(f"{path}: expected a JSON object; the registry's build is broken")
    return document
