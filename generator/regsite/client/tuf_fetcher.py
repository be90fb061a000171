"""python-tuf's ``FetcherInterface`` over regsite's fetch layer.

ngclient asks for each metadata file with the byte limit it allows; this fetcher reads it with
:mod:`regsite.fetch` (one deadline for the whole fetch, the limit enforced while reading, the
ETag cache, redirects only within the same origin) and says every failure in regsite's words
(:mod:`regsite.client.failures`).  It also refuses what no regsite site publishes, before
ngclient reads it: a metadata file name that is not ``N.ROLE.json`` or ``timestamp.json``.  A new
root version goes through regsite's own root check first (:func:`regsite.metadata.root.next_root`,
as the build checks the source's roots): it counts distinct keys, so one key listed under two
key ids cannot meet a threshold of two, and it says which threshold is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient.fetcher import FetcherInterface

from regsite.client.failures import fetch_metadata
from regsite.fetch import Fetcher, NotFoundError
from regsite.metadata.envelope import MetadataError
from regsite.metadata.root import next_root, read_trusted_root

__all__ = ["RegistryFetcher"]

_METADATA_NAME = re.compile(r"timestamp\.json|[1-9][0-9]{0,18}\.([a-z0-9][a-z0-9-]{0,63})\.json")
_ROOT_NAME = re.compile(r"([1-9][0-9]{0,18})\.root\.json")
_TOP_LEVEL = ("timestamp", "snapshot", "targets")
_UNBOUNDED = 2**31  # bytes; only ngclient's download_file streams, and it applies its own limit


@dataclass
class RegistryFetcher(FetcherInterface):
    """Downloads for ngclient from one registry; ``urls`` lists what was asked for, in order."""

    fetcher: Fetcher
    base_url: str  # the site's root, ending in '/'
    metadata_dir: Path  # ngclient's: root_history/N.root.json are the roots it trusted
    urls: list[str] = field(default_factory=list)
    # The last body of each top-level role, by role name: messages say when one expired.
    bodies: dict[str, bytes] = field(default_factory=dict)

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}metadata/"

    def download_bytes(self, url: str, max_length: int) -> bytes:
        """The bytes at ``url``, at most ``max_length`` of them; a 404 as ngclient expects."""
        self.urls.append(url)
        self._check_name(url)
        limit = "as the signed metadata lists"
        if url.endswith("/timestamp.json") or url.endswith(".root.json"):
            limit = "UpdaterConfig, the most a client reads of this file"
        try:
            data = fetch_metadata(self.fetcher, self.base_url, url, max_length, limit)
        except NotFoundError as exc:
            # ngclient stops looking for newer roots at a 404; anywhere else it is an error.
            raise DownloadHTTPError(str(exc), 404) from exc
        if (match := _ROOT_NAME.fullmatch(url.rpartition("/")[2])) is not None:
            self._check_root(int(match[1]), data, url)
        role = url.rpartition("/")[2].removesuffix(".json").rpartition(".")[2]
        if role in _TOP_LEVEL:
            self.bodies[role] = data
        return data

    def _fetch(self, url: str) -> Iterator[bytes]:
        yield self.download_bytes(url, _UNBOUNDED)

    def _check_root(self, version: int, data: bytes, url: str) -> None:
        """Version N+1 must follow from the trusted version N (ngclient checks it too)."""
        trusted = self.metadata_dir / "root_history" / f"{version - 1}.root.json"
        try:
            previous = read_trusted_root(trusted.read_bytes(), str(trusted))
        except (OSError, MetadataError):
            return  # not one ngclient trusts (the first root): ngclient decides
        next_root(previous, data, url)

    def _check_name(self, url: str) -> None:
        name = unquote(url.removeprefix(self.metadata_url))
        if not url.startswith(self.metadata_url) or _METADATA_NAME.fullmatch(name) is None:
            raise MetadataError(
                f"{url}: not a metadata file a regsite site publishes (expected N.ROLE.json,"
                " a role name of lowercase letters, digits and '-'); refusing to fetch it"
            )
