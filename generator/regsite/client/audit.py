"""``regsite client audit``: the locked releases that a registry's advisories say are affected.

Every file is TUF-verified; each advisory is also checked against the signatures the build
requires (a threshold of root keys, or the owners of every package it names, against the
TUF-verified registry.toml) and read by the build's own reader, so a client evaluates an
advisory exactly as the build that marked the pages did.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from regsite.advisories.model import ADVISORY_ID, Advisory
from regsite.advisories.read import AdvisoryInput, read_advisory
from regsite.advisories.verify import verify_advisory
from regsite.client.lockfile import Lock
from regsite.client.registry import ClientError, RemoteRegistry
from regsite.errors import ErrorReport

__all__ = ["Finding", "audit_lock"]

_INDEX = "api/v1/advisories/index.json"


@dataclass(frozen=True, slots=True)
class Finding:
    package: str
    version: str
    advisory: str
    summary: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]  # versions that fix it, as the advisory writes them


def audit_lock(registry: RemoteRegistry, lock: Lock) -> tuple[Finding, ...]:
    """Every (locked release, advisory affecting it), sorted by package and advisory."""
    locked = {package.name: package.version for package in lock.packages}
    findings = []
    for advisory_id in _naming(registry, locked):
        advisory = _advisory(registry, advisory_id)
        for name in advisory.packages:
            version = locked.get(name)
            if version is not None and advisory.affects(name, version):
                fixed = advisory.fixed_in(name)
                findings.append(
                    Finding(
                        name, str(version), advisory.id, advisory.summary, advisory.aliases, fixed
                    )
                )
    return tuple(sorted(findings, key=lambda f: (f.package, f.advisory)))


def _naming(registry: RemoteRegistry, locked: Iterable[str]) -> list[str]:
    """The ids of the advisories the index says name a locked package."""
    index = _json(registry.source.fetch_target(_INDEX), _INDEX)
    wanted = set(locked)
    ids = []
    for entry in index.get("advisories") or []:
        packages = entry.get("packages") if isinstance(entry, dict) else None
        advisory_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(advisory_id, str) or ADVISORY_ID.fullmatch(advisory_id) is None:
            raise ClientError(f"{_INDEX}: an entry's id is not an advisory id")
        if isinstance(packages, list) and wanted.intersection(
            p for p in packages if isinstance(p, str)
        ):
            ids.append(advisory_id)
    return ids


def _advisory(registry: RemoteRegistry, advisory_id: str) -> Advisory:
    path = f"api/v1/advisories/{advisory_id}.json"
    content = registry.source.fetch_target(path)
    signature = registry.source.fetch_target(path + ".sig")
    model = registry.registry()
    source = AdvisoryInput(f"advisories/{advisory_id}.json", content, signature)
    report = ErrorReport()
    advisory = read_advisory(source, model, frozenset(model.delegations), report)
    packages = advisory.packages if advisory is not None else ()
    verify_advisory(model, source.path, content, signature, packages, report)
    if report or advisory is None:
        problems = "; ".join(str(problem) for problem in report)
        raise ClientError(f"{path} did not verify: {problems}")
    return advisory


def _json(content: bytes, path: str) -> dict[str, Any]:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict):
        raise ClientError(f"{path}: expected a JSON object; the registry's build is broken")
    return document
