"""The client's trusted metadata on disk: one file per role, each replaced in one rename.

``root.json`` holds the newest trusted root; ``timestamp.json``, ``snapshot.json``,
``targets.json`` and one file per hashed bin (``bin-0a.json``) hold the newest accepted version
of each role.  The store checks that its root still signs itself; for the other roles it keeps
bytes only, which :class:`regsite.client.trust.Updater` re-verifies before trusting them.  Their
versions are what the next run checks for rollback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from regsite.errors import RegistryError
from regsite.metadata.roles import MetadataError, Role, Root
from regsite.metadata.root import read_trusted_root
from regsite.sources import write_atomically

__all__ = ["TrustStore", "TrustStoreError"]

_ROLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as roles.py: never a path


class TrustStoreError(RegistryError):
    """The trust store directory cannot be read or written."""


@dataclass(frozen=True, slots=True)
class TrustStore:
    """A directory of the newest trusted metadata, ``<role>.json`` per role."""

    directory: Path

    def path(self, role: str) -> Path:
        if _ROLE_NAME.fullmatch(role) is None:
            raise TrustStoreError(
                f"{self.directory}: {role!r:.80} is not a role name (expected lowercase letters,"
                " digits and '-')"
            )
        return self.directory / f"{role}.json"

    def read(self, role: str) -> bytes | None:
        """The stored bytes of ``role``, or ``None`` if none are stored."""
        path = self.path(role)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TrustStoreError(
                f"{path}: cannot read the trusted {role} metadata: {exc}"
            ) from exc

    def write(self, role: str, data: bytes) -> None:
        path = self.path(role)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomically(path, data, mode=0o600)
        except OSError as exc:
            raise TrustStoreError(
                f"{path}: cannot store the trusted {role} metadata: {exc}"
            ) from exc

    def discard(self, role: str) -> None:
        path = self.path(role)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise TrustStoreError(
                f"{path}: cannot remove the {role} metadata that no longer verifies: {exc}"
            ) from exc

    def trusted_root(self, pinned_root: bytes | None) -> Root:
        """The stored root, which must still sign itself; else ``pinned_root``, now stored."""
        stored = self.read(Role.ROOT.value)
        path = self.path(Role.ROOT.value)
        if stored is not None:
            try:
                return read_trusted_root(stored, str(path))
            except MetadataError as exc:
                raise MetadataError(
                    f"{exc}; the trust store is damaged: remove {path} and start again from the"
                    " registry's pinned root"
                ) from exc
        if pinned_root is None:
            raise MetadataError(
                f"{path}: no trusted root stored and no pinned root given; expected the"
                " registry's metadata/1.root.json, obtained out of band"
            )
        root = read_trusted_root(pinned_root, "the pinned root")
        self.write(Role.ROOT.value, pinned_root)
        return root
