"""The change feed's log: numbered events in immutable pages, a small head, and epochs.

Each build reads the previous feed from the previous output (:func:`read_previous_feed`): the
published head, checked against the previous site's signed metadata when it is signed, and each
page against the head; never a cache, so a build in a fresh clone continues the feed of the site
it is given.  It appends what it found changed and publishes every page again (a full page
byte for byte as it was; only the open one grows).  Sequence numbers only increase within an
epoch.  A previous feed that is missing starts a new epoch; one that cannot be trusted (a page
whose bytes differ from the head's sha256, a head the signed metadata does not list, numbers
that do not follow, JSON that is not as a build writes it) also starts a new epoch, with a
warning naming the file and a ``feed.started`` event that says why and names the previous
epoch: clients see the epoch change and read the registry afresh, and no number is ever reused
silently (docs/feed.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from regsite.feed.kinds import FEED_STARTED, EventKind, Value
from regsite.memo import digest_of
from regsite.metadata.envelope import MetadataError
from regsite.metadata.layout import CHANGES_HEAD, CHANGES_PAGE, CHANGES_PAGE_SIZE
from regsite.metadata.previous import DirectoryPrevious, signed_sha256
from regsite.render import Output
from regsite.render.api import API_ROOT, API_VERSION, dump_json

__all__ = [
    "Feed",
    "FeedUnusable",
    "page_path",
    "read_previous_feed",
    "start_feed",
]

log = logging.getLogger(__name__)

_EPOCH_ID = re.compile(r"[0-9a-f]{16}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
MAX_PAGES = 1_000_000


def page_path(first: int, last: int) -> str:
    return f"{API_ROOT}/changes/{first}-{last}.json"


@dataclass(frozen=True, slots=True)
class Page:
    """A full page, kept as the bytes first published: never rewritten."""

    first: int
    last: int
    content: bytes


@dataclass(frozen=True, slots=True)
class Feed:
    epoch: str  # 16 hex digits; a new epoch is a new feed
    started: str  # the date of the epoch's first event
    updated: str  # the date of its last event
    full: tuple[Page, ...]
    open: tuple[dict[str, Any], ...]  # the events of the page still filling, as published

    @property
    def latest(self) -> int:
        if self.open:
            return int(self.open[-1]["seq"])
        return self.full[-1].last if self.full else 0

    def append(self, events: Iterable[tuple[EventKind, tuple[Value, ...]]], date: str) -> Feed:
        """The feed with ``events`` numbered after the latest, all dated ``date``."""
        full, open_events, seq = list(self.full), list(self.open), self.latest
        for kind, values in events:
            seq += 1
            open_events.append(kind.document(seq, date, values))
            if len(open_events) == CHANGES_PAGE_SIZE:
                full.append(self._page(open_events))
                open_events = []
        if seq == self.latest:
            return self
        return replace(self, updated=date, full=tuple(full), open=tuple(open_events))

    def _page(self, events: Sequence[dict[str, Any]]) -> Page:
        first, last = int(events[0]["seq"]), int(events[-1]["seq"])
        return Page(first, last, self._page_bytes(first, last, events))

    def _page_bytes(self, first: int, last: int, events: Sequence[dict[str, Any]]) -> bytes:
        document = {"api_version": API_VERSION, "epoch": self.epoch, "first": first}
        return dump_json({**document, "last": last, "events": list(events)})

    def pages(self) -> list[Page]:
        """Every page, the open one last."""
        pages = list(self.full)
        if self.open:
            pages.append(self._page(self.open))
        return pages

    def files(self, atom_path: str) -> Output:
        """The head and every page."""
        pages = self.pages()
        output = {page_path(page.first, page.last): page.content for page in pages}
        output[CHANGES_HEAD] = dump_json(
            {
                "api_version": API_VERSION,
                "epoch": self.epoch,
                "started": self.started,
                "updated": self.updated,
                "latest": self.latest,
                "page_size": CHANGES_PAGE_SIZE,
                "pages": [_page_entry(page) for page in pages],
                "atom": "../../" + atom_path,
            }
        )
        return output

    def recent(self, count: int) -> list[dict[str, Any]]:
        """The newest ``count`` events, newest first (for the Atom feed)."""
        events = list(self.open)
        for page in reversed(self.full):
            if len(events) >= count:
                break
            events = list(json.loads(page.content)["events"]) + events
        return events[::-1][:count]


def _page_entry(page: Page) -> dict[str, Any]:
    url = page_path(page.first, page.last).removeprefix(f"{API_ROOT}/")
    sha256 = hashlib.sha256(page.content).hexdigest()
    return {"first": page.first, "last": page.last, "url": url, "sha256": sha256}


def start_feed(
    registry: str, reason: str, date: str, counts: tuple[int, int], previous: FeedUnusable
) -> Feed:
    """A new epoch, its first event saying why; its id is a digest of what it starts from, so
    the same source and previous output give the same id."""
    parts: list[bytes | str] = ["regsite feed", registry, reason, date, previous.head or b"-"]
    epoch = digest_of(parts).hex()[:16]
    feed = Feed(epoch=epoch, started=date, updated=date, full=(), open=())
    values = (reason, previous.epoch or "", *counts)
    return feed.append([(FEED_STARTED, values)], date)


@dataclass(frozen=True, slots=True)
class FeedUnusable:
    """Why the previous feed cannot be continued: ``missing`` (no feed yet) or damaged."""

    reason: str
    missing: bool = False
    epoch: str | None = None  # the damaged feed's epoch, when its head said one
    head: bytes | None = None


class _Damaged(ValueError):
    pass


def read_previous_feed(
    directory: Path | None, first_root: bytes | None = None
) -> Feed | FeedUnusable:
    """The previous output's feed, checked page by page against its head, and the head against
    the previous site's metadata when it is signed, trusted from ``first_root`` (the source's
    ``metadata/1.root.json``)."""
    if directory is None:
        return FeedUnusable("no previous output", missing=True)
    head_file = directory / CHANGES_HEAD
    try:
        head = head_file.read_bytes()
    except FileNotFoundError:
        return FeedUnusable(f"no previous feed ({CHANGES_HEAD})", missing=True)
    except OSError as exc:
        return _warn(FeedUnusable(f"{head_file}: cannot be read ({exc.strerror or exc})"))
    epoch = None
    try:
        document = _object(json.loads(head), CHANGES_HEAD)
        epoch = _epoch(document)
        _check_signed(directory, head, first_root)
        return _feed(directory, document, epoch)
    except _Damaged as exc:
        return _warn(FeedUnusable(str(exc), epoch=epoch, head=head))
    except (ValueError, RecursionError) as exc:
        return _warn(
            FeedUnusable(f"{CHANGES_HEAD}: not valid JSON ({exc})", epoch=epoch, head=head)
        )


def _warn(problem: FeedUnusable) -> FeedUnusable:
    log.warning("previous change feed unusable: %s; starting a new feed epoch", problem.reason)
    return problem


def _check_signed(directory: Path, head: bytes, first_root: bytes | None) -> None:
    """On a signed previous site, the head must be the one its verified metadata lists (each
    page is then checked against the head): a restored or copied site that was altered after
    it was signed does not continue the feed."""
    try:
        expected = signed_sha256(DirectoryPrevious(directory), CHANGES_HEAD, first_root)
    except MetadataError as exc:
        raise _Damaged(
            f"{CHANGES_HEAD}: cannot be checked against signed metadata: {exc}"
        ) from None
    if expected is not None and hashlib.sha256(head).hexdigest() != expected:
        raise _Damaged(
            f"{CHANGES_HEAD}: its bytes are not those the previous site's signed metadata lists"
        )


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Damaged(f"{where}: expected a JSON object")
    return value


def _epoch(head: dict[str, Any]) -> str:
    epoch = head.get("epoch")
    if head.get("api_version") != API_VERSION or not isinstance(epoch, str):
        raise _Damaged(f"{CHANGES_HEAD}: expected api_version {API_VERSION} and an epoch")
    if _EPOCH_ID.fullmatch(epoch) is None:
        raise _Damaged(f"{CHANGES_HEAD}: epoch: expected 16 hexadecimal digits")
    return epoch


def _feed(directory: Path, head: dict[str, Any], epoch: str) -> Feed:
    if head.get("page_size") != CHANGES_PAGE_SIZE:
        raise _Damaged(f"{CHANGES_HEAD}: page_size: expected {CHANGES_PAGE_SIZE}")
    entries = head.get("pages")
    if not isinstance(entries, list) or not entries or len(entries) > MAX_PAGES:
        raise _Damaged(f"{CHANGES_HEAD}: pages: expected a list of pages")
    dates = [head.get(key) for key in ("started", "updated")]
    if not all(isinstance(date, str) and _DATE.fullmatch(date) for date in dates):
        raise _Damaged(f"{CHANGES_HEAD}: started, updated: expected RFC 3339 times in UTC")
    full: list[Page] = []
    open_events: tuple[dict[str, Any], ...] = ()
    for index, entry in enumerate(entries):
        page = _page(directory, _object(entry, f"{CHANGES_HEAD}: pages[{index}]"), epoch)
        expected_first = full[-1].last + 1 if full else 1
        size = page.last - page.first + 1
        if page.first != expected_first or (size != CHANGES_PAGE_SIZE and index < len(entries) - 1):
            raise _Damaged(f"{page_path(page.first, page.last)}: does not follow the page before")
        if size == CHANGES_PAGE_SIZE:
            full.append(page)
        else:
            open_events = _events(page)
    if head.get("latest") != (int(open_events[-1]["seq"]) if open_events else full[-1].last):
        raise _Damaged(f"{CHANGES_HEAD}: latest is not the last page's last event")
    return Feed(epoch, str(dates[0]), str(dates[1]), tuple(full), open_events)


def _page(directory: Path, entry: dict[str, Any], epoch: str) -> Page:
    first, last, url = entry.get("first"), entry.get("last"), entry.get("url")
    if type(first) is not int or type(last) is not int or not 1 <= first <= last:
        raise _Damaged(f"{CHANGES_HEAD}: pages: first and last must be numbers, first <= last")
    path = page_path(first, last)
    if url != path.removeprefix(f"{API_ROOT}/") or CHANGES_PAGE.fullmatch(path) is None:
        raise _Damaged(f"{CHANGES_HEAD}: pages: url of {first}-{last} is not {path}")
    try:
        content = (directory / path).read_bytes()
    except OSError as exc:
        raise _Damaged(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
        raise _Damaged(f"{path}: its bytes are not those the head lists (sha256 differs)")
    document = _object(json.loads(content), path)
    if document.get("epoch") != epoch or document.get("first") != first:
        raise _Damaged(f"{path}: not a page of epoch {epoch} starting at {first}")
    return Page(first, last, content)


def _events(page: Page) -> tuple[dict[str, Any], ...]:
    """The open page's events, checked: they are published again with the new ones."""
    path = page_path(page.first, page.last)
    events = json.loads(page.content).get("events")
    if not isinstance(events, list) or len(events) != page.last - page.first + 1:
        raise _Damaged(f"{path}: events: expected {page.last - page.first + 1} events")
    for offset, event in enumerate(events):
        event = _object(event, f"{path}: events[{offset}]")
        kind, date = event.get("kind"), event.get("date")
        if event.get("seq") != page.first + offset or not isinstance(kind, str):
            raise _Damaged(f"{path}: events[{offset}]: expected seq {page.first + offset}")
        if not isinstance(date, str) or _DATE.fullmatch(date) is None:
            raise _Damaged(f"{path}: events[{offset}].date: expected an RFC 3339 time in UTC")
    return tuple(events)
