"""A verified mirror of a registry's site: its signed metadata and every target, byte for byte,
so that clients verify the mirror exactly as they verify the original (docs/upstreams.md).

The registry is read as ``regsite client`` reads it (:class:`~regsite.client.trust.Updater`,
from a pinned root), every bin included, and every target is fetched within its signed length and
checked against its signed sha256 before it is written.  The mirror holds the roots from version
1, the current timestamp, snapshot, targets and bins under their published names, each target
at its own path, and the signed sources also under their content-addressed names.

Running it again is incremental and resumable: the mirror's own metadata is where the client
starts from (so an origin that rolls back is refused), a bin the mirror holds with the sha256 the
snapshot lists is not fetched again, and neither is a target whose file already has its signed
length and sha256.  Targets are written first, the timestamp last; what the registry no longer
publishes is removed at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tuf.api.exceptions import LengthOrHashMismatchError
from tuf.api.metadata import Root, Snapshot, TargetFile, Targets, Timestamp

from regsite.atomic_write import write_atomically
from regsite.client.failures import TrustedRootName, fetch_metadata
from regsite.client.trust import Updater, target_info_problem
from regsite.errors import OutputError
from regsite.fetch import Fetcher
from regsite.metadata.envelope import MetadataError, read_metadata
from regsite.metadata.layout import (
    METADATA_DIR,
    TIMESTAMP_FILE,
    content_addressed_path,
    has_copy,
    is_target,
    target_path_problem,
)
from regsite.metadata.root import next_root, read_trusted_root, root_file_name

__all__ = ["MIRROR_JOBS", "Mirrored", "mirror_site"]

MIRROR_JOBS = 8  # targets fetched at once: the work is waiting on the network
_ROOT_LIMIT = 512_000  # bytes per root version, as the client allows


@dataclass(frozen=True, slots=True)
class Mirrored:
    """What a mirror run did."""

    url: str
    output: Path
    targets: int  # targets the registry publishes, each now in the mirror
    fetched: int  # of them, fetched in this run (the others were there with their sha256)
    metadata: int  # metadata files the mirror holds
    removed: int  # files the registry no longer publishes, removed
    root_version: int
    snapshot_version: int


def mirror_site(
    url: str, output: Path, pinned: bytes, fetcher: Fetcher, *, pinned_name: str, jobs: int
) -> Mirrored:
    """Mirror the registry at ``url`` (ending in '/') into ``output``, verified from the root
    ``pinned``; raise :class:`RegistryError` and leave the mirror's timestamp as it was on any
    problem."""
    _check_output(output)
    with tempfile.TemporaryDirectory(prefix="regsite-mirror-") as scratch:
        store = Path(scratch)
        held = _seed(store, output)
        name = TrustedRootName(pinned_name, stored=False)
        updater = Updater(url, fetcher, store, bootstrap=pinned, root_name=name)
        targets = updater.all_targets(held=held)
        metadata = _metadata(updater, store, held, fetcher, pinned)
        versions = (updater.root.version, updater.snapshot_version or 0)
    fetched = _fetch_targets(url, output, targets, fetcher, jobs)
    for path, content in sorted(metadata.items(), key=lambda item: item[0] == TIMESTAMP_FILE):
        _write(output / path, content)  # the timestamp last: it makes the rest current
    expected = {*metadata, *_target_files(targets)}
    removed = _prune(output, expected)
    return Mirrored(
        url=url,
        output=output,
        targets=len(targets),
        fetched=fetched,
        metadata=len(metadata),
        removed=removed,
        root_version=versions[0],
        snapshot_version=versions[1],
    )


def _check_output(output: Path) -> None:
    """Never write into a directory that holds something other than a mirror or a site."""
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output}: not a directory; give the mirror's directory with -o")
    if output.is_dir() and any(output.iterdir()) and not (output / TIMESTAMP_FILE).is_file():
        raise OutputError(
            f"{output}: not empty, and not a mirror (no {TIMESTAMP_FILE}); refusing to write"
            " into it: give a new directory, or the one a mirror was written to"
        )


def _seed(store: Path, output: Path) -> dict[str, bytes]:
    """ngclient's store from the mirror's own metadata (checked again as it is loaded); return
    the bins the mirror holds, by file name."""
    metadata = output / METADATA_DIR
    (store / "root_history").mkdir()
    held: dict[str, bytes] = {}
    if not metadata.is_dir():
        return held
    for entry in os.scandir(metadata):
        version, _, role = entry.name.removesuffix(".json").partition(".")
        if not entry.is_file(follow_symlinks=False) or not version.isdigit():
            continue
        if role == "root":
            shutil.copyfile(entry.path, store / "root_history" / entry.name)
        elif role not in ("snapshot", "targets"):
            held[entry.name] = Path(entry.path).read_bytes()
    timestamp = _read(metadata / "timestamp.json")
    if timestamp is not None:
        (store / "timestamp.json").write_bytes(timestamp)
        _seed_named(store, metadata, timestamp, "snapshot")
    return held


def _seed_named(store: Path, metadata: Path, parent: bytes, role: str) -> None:
    """The mirror's ``V.ROLE.json`` that ``parent`` (its timestamp, then its snapshot) names."""
    try:
        document: Any = json.loads(parent)
        version = int(document["signed"]["meta"][f"{role}.json"]["version"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return
    content = _read(metadata / f"{version}.{role}.json")
    if content is not None:
        (store / f"{role}.json").write_bytes(content)
        if role == "snapshot":
            _seed_named(store, metadata, content, "targets")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _metadata(
    updater: Updater, store: Path, held: Mapping[str, bytes], fetcher: Fetcher, pinned: bytes
) -> dict[str, bytes]:
    """Every metadata file the mirror publishes, by path, as verified."""
    snapshot = read_metadata((store / "snapshot.json").read_bytes(), Snapshot, "snapshot").signed
    targets = read_metadata((store / "targets.json").read_bytes(), Targets, "targets").signed
    timestamp = read_metadata((store / "timestamp.json").read_bytes(), Timestamp, "timestamp")
    files = {
        TIMESTAMP_FILE: (store / "timestamp.json").read_bytes(),
        f"{METADATA_DIR}/{timestamp.signed.snapshot_meta.version}.snapshot.json": (
            store / "snapshot.json"
        ).read_bytes(),
        f"{METADATA_DIR}/{targets.version}.targets.json": (store / "targets.json").read_bytes(),
    }
    for role, meta in snapshot.meta.items():
        file = f"{meta.version}.{role}"
        if role != "targets.json":
            files[f"{METADATA_DIR}/{file}"] = held[file]
    for version, content in _roots(updater, store, fetcher, pinned):
        files[f"{METADATA_DIR}/{root_file_name(version)}"] = content
    return files


def _roots(
    updater: Updater, store: Path, fetcher: Fetcher, pinned: bytes
) -> Iterator[tuple[int, bytes]]:
    """Every root from version 1: the ones before the pinned root fetched and chained into it
    (each signed by the one before, the last signing the pinned one), the rest as ngclient
    trusted them."""
    first = read_trusted_root(pinned, "the pinned root")
    previous: Root | None = None
    base = f"{updater.base_url}{METADATA_DIR}/"
    for version in range(1, first.version):
        url = base + root_file_name(version)
        data = fetch_metadata(fetcher, updater.base_url, url, _ROOT_LIMIT, "a root's limit")
        previous = (
            read_trusted_root(data, url) if previous is None else next_root(previous, data, url)
        )
        yield version, data
    if previous is not None:
        next_root(previous, pinned, "the pinned root")
    for version in range(first.version, updater.root.version + 1):
        yield version, (store / "root_history" / root_file_name(version)).read_bytes()


def _target_files(targets: Mapping[str, TargetFile]) -> Iterator[str]:
    for path, info in targets.items():
        yield path
        if has_copy(path):
            yield content_addressed_path(path, info.hashes["sha256"])


def _fetch_targets(
    url: str, output: Path, targets: Mapping[str, TargetFile], fetcher: Fetcher, jobs: int
) -> int:
    """Every target into the mirror; return how many had to be fetched."""
    for path, info in targets.items():
        problem = target_path_problem(path) or target_info_problem(info)
        if problem is None and not is_target(path):
            problem = "a target below metadata/, where no regsite site has one"
        if problem is not None:
            raise MetadataError(f"the signed targets list {path!r:.100}: {problem}")
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = pool.map(
            lambda item: _target(url, output, item[0], item[1], fetcher), targets.items()
        )
        return sum(done)


def _target(url: str, output: Path, path: str, info: TargetFile, fetcher: Fetcher) -> bool:
    """One target, unless the mirror holds it already; with its content-addressed copy."""
    destination = output / path
    copy = output / content_addressed_path(path, info.hashes["sha256"]) if has_copy(path) else None
    fetched = not _holds(destination, info)
    if fetched:
        name = content_addressed_path(path, info.hashes["sha256"]) if copy else path
        data = fetch_metadata(fetcher, url, url + quote(name), info.length, "the signed length")
        try:
            info.verify_length_and_hashes(data)
        except LengthOrHashMismatchError:
            raise MetadataError(
                f"{url}{name}: not the bytes the signed targets list for {path} (tampered, or"
                " the registry is being deployed: run the mirror again)"
            ) from None
        _write(destination, data)
    if copy is not None and not _holds(copy, info):
        _write(copy, destination.read_bytes())
    return fetched


def _holds(path: Path, info: TargetFile) -> bool:
    """Whether ``path`` is a file with the target's length and sha256."""
    try:
        if path.is_symlink() or path.stat().st_size != info.length:
            return False
        with path.open("rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError:
        return False
    return bool(digest == info.hashes["sha256"])


def _write(path: Path, content: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the mirror: {exc.strerror or exc}") from exc


def _prune(output: Path, expected: set[str]) -> int:
    """Remove every file the registry no longer publishes (and directories left empty)."""
    removed = 0
    for directory, subdirectories, names in os.walk(output, topdown=False):
        for name in names:
            path = Path(directory, name)
            if path.relative_to(output).as_posix() not in expected:
                path.unlink()
                removed += 1
        for name in subdirectories:
            path = Path(directory, name)
            if path.is_symlink():  # never followed, never published
                path.unlink()
                removed += 1
            elif not any(path.iterdir()):
                path.rmdir()
    return removed
