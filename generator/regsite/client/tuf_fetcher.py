"""python-tuf's ``FetcherInterface`` over regsite's fetch layer.

ngclient asks for each metadata file with the byte limit it allows; this fetcher reads it with
:mod:`regsite.fetch` (one deadline for the whole fetch, the limit enforced while reading, the
ETag cache, redirects only within the same origin) and says every failure in regsite's words
(:mod:`regsite.client.failures`).  It also refuses what no regsite site publishes, before
ngclient reads it: a metadata file name that is not ``N.ROLE.json`` or ``timestamp.json``, and
a root that lists one public key under two key ids (a threshold could be met by one key).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

from tuf.api.exceptions import DownloadHTTPError
from tuf.api.metadata import Root
from tuf.ngclient.fetcher import FetcherInterface

from regsite.client.failures import fetch_metadata
from regsite.fetch import Fetcher, NotFoundError
from regsite.metadata.envelope import MetadataError, duplicate_keys, read_metadata

__all__ = ["RegistryFetcher"]

_METADATA_NAME = re.compile(r"timestamp\.json|[1-9][0-9]{0,18}\.([a-z0-9][a-z0-9-]{0,63})\.json")
_UNBOUNDED = 2**31  # bytes; only ngclient's download_file streams, and it applies its own limit


@dataclass
class RegistryFetcher(FetcherInterface):
    """Downloads for ngclient from one registry; ``urls`` lists what was asked for, in order."""

    fetcher: Fetcher
    base_url: str  # the site's root, ending in '/'
    urls: list[str] = field(default_factory=list)

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
        if url.endswith(".root.json"):
            _check_root_keys(data, url)
        return data

    def _fetch(self, url: str) -> Iterator[bytes]:
        yield self.download_bytes(url, _UNBOUNDED)

    def _check_name(self, url: str) -> None:
        name = unquote(url.removeprefix(self.metadata_url))
        if not url.startswith(self.metadata_url) or _METADATA_NAME.fullmatch(name) is None:
            raise MetadataError(
                f"{url}: not a metadata file a regsite site publishes (expected N.ROLE.json,"
                " a role name of lowercase letters, digits and '-'); refusing to fetch it"
            )


def _check_root_keys(data: bytes, url: str) -> None:
    try:
        root = read_metadata(data, Root, url).signed
    except MetadataError:
        return  # ngclient refuses it, and says why
    if duplicates := duplicate_keys(root.keys):
        raise MetadataError(
            f"{url}: signed.keys.{duplicates[0]:.16}…: lists a public key that another key id"
            " lists already; a threshold could then be met by one key"
        )
