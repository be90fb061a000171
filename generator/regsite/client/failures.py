"""Failures between the client and a registry, said so that a newcomer can act on them.

A registry that cannot be reached is said to be unreachable before anything talks about root
versions; a site that is not a signed regsite site says what was expected there; a pinned root
that belongs to another registry is named as such, instead of as a signature count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urljoin

from tuf.api.metadata import Root

from regsite.errors import RegistryError
from regsite.fetch import (
    Fetcher,
    FetchError,
    NotFoundError,
    RedirectError,
    SlowRetrievalError,
    TooLargeError,
    UnreachableError,
)
from regsite.metadata.envelope import MetadataError, read_metadata
from regsite.metadata.layout import METADATA_DIR
from regsite.metadata.root import role_keys, root_file_name

__all__ = [
    "ForeignRootError",
    "NotASiteError",
    "TrustedRootName",
    "UnreachableRegistryError",
    "fetch_metadata",
    "foreign_root_error",
    "not_a_site",
]

log = logging.getLogger(__name__)


class UnreachableRegistryError(RegistryError):
    """The registry's server could not be reached, was too slow, or answered with an error."""


class NotASiteError(RegistryError):
    """The URL answers, but holds no signed regsite site (no metadata where it should be)."""


class ForeignRootError(MetadataError):
    """The trusted root is not one of the registry's roots."""


def fetch_metadata(fetcher: Fetcher, base_url: str, url: str, max_bytes: int, limit: str) -> bytes:
    """Fetch at most ``max_bytes`` of the registry's ``url``; ``limit`` says where that number
    comes from.  A missing file is left to the caller (a 404 on the next root is normal)."""
    log.debug("fetching %s (at most %d bytes)", url, max_bytes)
    try:
        return fetcher.fetch(url, max_bytes)
    except TooLargeError as exc:
        raise MetadataError(
            f"{url}: expected at most {max_bytes} bytes ({limit}), found more"
            " (endless data attack, or the limit is too low)"
        ) from exc
    except NotFoundError:
        raise
    except RedirectError as exc:
        raise RedirectError(
            exc.url,
            exc.reason,
            message=f"{exc} (while fetching {_relative(base_url, url)}); if the registry has"
            " moved, use the URL it moved to",
        ) from exc
    except FetchError as exc:
        problem = _unreachable(base_url, url, exc)
        if problem is None:
            raise
        raise problem from exc


def _unreachable(base_url: str, url: str, error: FetchError) -> UnreachableRegistryError | None:
    if isinstance(error, UnreachableError):
        fix = "check the URL, and that the site is being served, then try again"
    elif isinstance(error, SlowRetrievalError):
        fix = "try again later, or over a faster connection"
    elif error.status is not None:
        fix = "check the URL, or try again later if the server is failing"
    else:
        return None  # a broken response: its own message says more
    return UnreachableRegistryError(
        f"cannot reach the registry at {base_url}: {error.reason}"
        f" (while fetching {_relative(base_url, url)}); {fix}"
    )


def not_a_site(base_url: str, url: str, error: NotFoundError) -> NotASiteError:
    """The registry's ``url`` (its first root or its timestamp) does not exist."""
    return NotASiteError(
        f"{base_url} has no {_relative(base_url, url)} ({error.reason}): expected the top"
        " directory of a site that 'regsite build' signed with an online key; check the URL"
    )


@dataclass(frozen=True, slots=True)
class TrustedRootName:
    """Where the trusted root came from: the file the user pinned, or the client's store."""

    text: str
    stored: bool


def foreign_root_error(
    fetcher: Fetcher, base_url: str, trusted: Root, name: TrustedRootName, max_bytes: int
) -> ForeignRootError | None:
    """Why ``trusted`` is not one of the registry's roots, with the fix; None if it is one.

    The registry's own copy of the same root version must name the same root keys.  None also
    when that cannot be told (the copy is unreadable): the caller's first error then stands.
    """
    problem = _foreign_root_problem(fetcher, base_url, trusted, max_bytes)
    if problem is None:
        return None
    if name.stored:
        fix = (
            f"if the registry was re-created with new keys, trust it again with 'regsite client"
            f" trust {base_url} --root NEW.root.json'; otherwise the server is not serving this"
            " registry's metadata"
        )
    else:
        fix = (
            "pin the root this registry's operators publish (its metadata/1.root.json); if you"
            " are sure the file is theirs, the server is not serving this registry's metadata"
        )
    return ForeignRootError(
        f"{name.text} is not a root of the registry at {base_url}: {problem}; {fix}"
    )


def _foreign_root_problem(
    fetcher: Fetcher, base_url: str, trusted: Root, max_bytes: int
) -> str | None:
    path = f"{METADATA_DIR}/{root_file_name(trusted.version)}"
    url = urljoin(base_url, path)
    try:
        theirs = read_metadata(fetcher.fetch(url, max_bytes), Root, url).signed
    except NotFoundError:
        return f"it is root version {trusted.version}, and the registry publishes no {path}"
    except (FetchError, MetadataError):
        return None
    if role_keys(theirs, "root") == role_keys(trusted, "root"):
        return None
    return (
        f"its root keys ({_fingerprints(trusted)}) are not the ones the registry's {path}"
        f" names ({_fingerprints(theirs)})"
    )


def _fingerprints(root: Root) -> str:
    return ", ".join(sorted(key.fingerprint for key in role_keys(root, "root")))


def _relative(base_url: str, url: str) -> str:
    return url.removeprefix(base_url)
