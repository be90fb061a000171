"""``regsite client changes`` and ``regsite client audit``: follow a registry's change feed, and
check a lockfile against its advisories (library half; the CLI prints)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regsite.client.audit import Finding, audit_lock
from regsite.client.changes import Changes, read_changes
from regsite.client.lockfile import read_lock
from regsite.commands.client import ClientState, open_registry

__all__ = ["AuditOptions", "ChangesOptions", "client_audit", "client_changes"]


def _state(directory: Path | None) -> ClientState:
    return ClientState(directory) if directory is not None else ClientState.default()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangesOptions:
    since: int = 0  # the last sequence number already seen
    epoch: str | None = None  # the epoch it belongs to: a restarted feed is refused
    registry: str | None = None
    state: Path | None = None


def client_changes(options: ChangesOptions) -> Changes:
    """The trusted registry's events after ``since``, TUF-verified."""
    _, registry = open_registry(_state(options.state), options.registry)
    return read_changes(registry.source, options.since, options.epoch)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOptions:
    lockfile: Path = Path("regsite.lock")
    state: Path | None = None


def client_audit(options: AuditOptions) -> tuple[Finding, ...]:
    """The lockfile's releases that the advisories of its (trusted) registry affect."""
    lock = read_lock(options.lockfile)
    _, registry = open_registry(_state(options.state), lock.registry)
    return audit_lock(registry, lock)
