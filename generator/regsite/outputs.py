"""The render stage, as the build's process runs it: which packages' outputs must be written,
and the site-wide outputs.

The memo records what the output holds: per package, the key its files were rendered under and
each file's path, size and SHA-256 (:class:`Published`).  A package whose render key is the
recorded one is not touched at all; the others are finished in workers (:mod:`regsite.scan`).
That record is trusted only for the output it was made for: the build report carries a digest
of it (its seal), and an output whose report says otherwise (a site restored from another cache,
a build without the cache in between) is compared file by file instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regsite.assemble import Site
from regsite.catalog import Catalog
from regsite.curation import amendments_inputs
from regsite.memo import Memo, digest_of
from regsite.metadata.layout import content_addressed_path, has_copy
from regsite.model import Registry
from regsite.render import Output
from regsite.render.flavours import flavour_inputs
from regsite.render.package import UsedBy, used_by_of
from regsite.scan import FinishTask, PackageContext, finish_package
from regsite.theme import Theme
from regsite.workers import run
from regsite.write import Writer, WrittenFile

__all__ = ["Published", "page_inputs", "render_packages", "seal_of", "site_producer"]


def site_producer(name: str) -> str:
    """The producer of a site-wide output (pages, search, feed, report, metadata): its name with a
    slash, which no package name holds, so a package named ``search`` keeps a record of its own."""
    return f"/{name}"


_SITE = site_producer("site")  # the producer of the site-wide pages, beside one per package


@dataclass(slots=True)
class Published:
    """What the output holds, by producer (a package's name, or the site): the render key and
    the files it wrote."""

    memo: Memo
    trusted: bool  # the output is the one this record describes
    output: Path | None = None  # the directory the record describes
    old: dict[str, tuple[bytes, tuple[WrittenFile, ...]]] = field(default_factory=dict)
    new: dict[str, tuple[bytes, tuple[WrittenFile, ...]]] = field(default_factory=dict)
    sealed: str = ""  # the seal the build report carries: of every producer but report and metadata

    @classmethod
    def load(cls, memo: Memo, output: Path | None, seal: str | None) -> Published:
        """The record, if ``seal`` (from the output's build report) matches it."""
        recorded = memo.get("published", b"seal")
        if output is None or seal is None or recorded is None or recorded[0] != seal:
            return cls(memo, trusted=False, output=output)
        producers: list[str] = recorded[1]
        found = memo.get_many("published", [_key(name) for name in producers])
        old = {name: found[_key(name)] for name in producers if _key(name) in found}
        return cls(memo, trusted=len(old) == len(producers), output=output, old=old)

    def held(self, producer: str) -> dict[str, str]:
        """path -> SHA-256 the output holds for ``producer``'s files, when trusted."""
        entry = self.old.get(producer) if self.trusted else None
        return {} if entry is None else {file.path: file.sha256 for file in entry[1]}

    def unchanged(
        self, producer: str, key: bytes, consistent: bool
    ) -> tuple[WrittenFile, ...] | None:
        """The producer's files as the output holds them, if it rendered them under ``key`` and
        each is still there with its size (a file deleted by hand is noticed; what keeps its
        size is not, see docs/performance.md)."""
        entry = self.old.get(producer) if self.trusted else None
        if entry is None or entry[0] != key or not self._present(entry[1], consistent):
            return None
        return tuple(file._replace(changed=False) for file in entry[1])

    def _present(self, files: Iterable[WrittenFile], consistent: bool) -> bool:
        assert self.output is not None  # only a trusted record is asked
        root = os.fspath(self.output)
        try:
            for file in files:
                if os.stat(f"{root}/{file.path}").st_size != file.size:  # noqa: PTH116 - hot loop
                    return False
                if consistent and has_copy(file.path):
                    os.stat(f"{root}/{content_addressed_path(file.path, file.sha256)}")  # noqa: PTH116
        except OSError:
            return False
        return True

    def record(self, producer: str, key: bytes, files: Iterable[WrittenFile]) -> None:
        self.new[producer] = (key, tuple(files))

    def stale(self, consistent: bool) -> set[str]:
        """The output's files of the last build that this build no longer writes (with their
        content-addressed copies); only known when trusted."""
        before = {path for entry in self.old.values() for path in _paths(entry[1], consistent)}
        after = {path for entry in self.new.values() for path in _paths(entry[1], consistent)}
        return before - after

    def save(self) -> None:
        """Record this build's outputs, once they are committed."""
        for producer, entry in self.new.items():
            self.memo.put("published", _key(producer), entry)
        self.memo.put("published", b"seal", (self.sealed, sorted(self.new)))


def _key(producer: str) -> bytes:
    return digest_of(["producer", producer])


def _paths(files: Iterable[WrittenFile], consistent: bool) -> Iterable[str]:
    for file in files:
        yield file.path
        if consistent and has_copy(file.path):
            yield content_addressed_path(file.path, file.sha256)


def seal_of(published: Mapping[str, tuple[bytes, tuple[WrittenFile, ...]]]) -> str:
    """A digest of every producer's files: what the build report carries for the next build."""
    parts: list[bytes | str] = []
    for producer in sorted(published):
        parts.append(producer)
        parts += [f"{file.path} {file.sha256}" for file in published[producer][1]]
    return digest_of(parts).hex()


def read_seal(report: bytes | None) -> str | None:
    """The seal in an output's build report, if it has a readable one."""
    try:
        document: Any = json.loads(report) if report is not None else None
    except ValueError:
        return None
    seal = document.get("outputs") if isinstance(document, dict) else None
    return seal if isinstance(seal, str) else None


def page_inputs(registry: Registry, theme: Theme, name: str) -> list[str]:
    """What a package's own outputs read besides the package: the theme, the registry's title,
    base URL and install line, the enabled flavours and their settings, the owners its name is
    delegated to, and where the upstreams' package pages are (its dependencies on them link
    there)."""
    parts = [theme.fingerprint, registry.name, registry.title, registry.base_url or "-"]
    parts.append(registry.install or "-")
    parts += flavour_inputs(registry)
    parts += ["readme images", *sorted(registry.readme_image_hosts)]
    parts.append(f"release pages {registry.release_pages}")
    parts += [f"upstream {u.name} {u.url} {u.page}" for u in registry.upstreams]
    delegation = registry.delegations.get(name)
    if delegation is not None:
        parts.append(f"threshold {delegation.threshold}")
        for owner_id in delegation.owners:
            owner = registry.owners.get(owner_id)
            if owner is not None:
                parts += [owner.id, owner.name, owner.url or "-", *map(str, owner.keys)]
    return parts


def render_packages(
    site: Site,
    catalog: Catalog,
    context: PackageContext,
    published: Published,
    closures: Mapping[str, str],
    jobs: int,
    advance: Callable[[], None],
) -> int:
    """Every package's final outputs, staged where they differ from the output's; return how
    many packages were rendered or finished.  ``closures`` maps each package to the sha256 of
    its closure manifest, a declared input of its render key (docs/portable.md)."""
    assert context.theme is not None and context.writer is not None
    consistent = context.writer.consistent
    tasks: list[FinishTask] = []
    keys: dict[str, bytes] = {}
    for name in site.packages:
        used_by = used_by_of(site, name)
        closure = closures[name]
        key = _render_key(site, catalog.memo, context.theme, name, closure, used_by)
        keys[name] = key
        rendered = name in catalog.rendered  # by the scan: its slots are still to fill
        kept = None if rendered else published.unchanged(name, key, consistent)
        if kept is not None:
            published.record(name, key, kept)
            advance()
            continue
        held = published.held(name)
        staged = catalog.staged.get(name, ())
        tasks.append(FinishTask(name, used_by, closure, held, staged, catalog.files[name]))

    def done(result: tuple[str, tuple[WrittenFile, ...]]) -> None:
        name, files = result
        published.record(name, keys[name], (*catalog.rendered.get(name, ()), *files))
        advance()

    run(finish_package, tasks, context, jobs, done)
    return len(tasks)


def _render_key(
    site: Site, memo: Memo, theme: Theme, name: str, closure: str, used_by: UsedBy
) -> bytes:
    """The memo key of a package's final outputs: its summary, what its pages read, its closure
    manifest and its dependents."""
    inputs = page_inputs(site.registry, theme, name)
    inputs += amendments_inputs(site.amendments.get(name), site.registry)
    parts: list[bytes | str] = [site.packages[name].key, *inputs, "closure", closure, "used by"]
    parts += used_by.parts()
    return memo.key("render", parts)


def put_site_files(
    writer: Writer, published: Published, output: Output, producer: str = _SITE
) -> dict[str, WrittenFile]:
    """Site-wide files, through the writer; recorded under ``producer``."""
    held = published.held(producer)
    files = {
        path: writer.put(path, content, held=held.get(path)) for path, content in output.items()
    }
    published.record(producer, b"", files.values())
    return files
