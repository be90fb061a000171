"""What a build is asked to do (:class:`BuildOptions`) and what it did (:class:`BuildResult`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from regsite.assemble import Site
from regsite.errors import RegistryError
from regsite.keys import PrivateKey
from regsite.load import SourceLimits
from regsite.progress import Progress
from regsite.report import BuildChanges
from regsite.upstreams import UpstreamOptions
from regsite.verify import PinnedRoot
from regsite.workers import default_jobs

__all__ = ["BuildOptions", "BuildResult", "source_date_epoch"]

_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildOptions:
    source: Path
    output: Path
    base_url: str | None = None  # overrides registry.toml's base-url
    theme: Path | None = None  # a directory whose files override the default theme's
    limits: SourceLimits = field(default_factory=SourceLimits)
    source_date_epoch: int | None = None  # seconds; defaults to the newest publish time
    pinned_root: PinnedRoot | None = None  # root keys trusted from outside the source
    online_key: PrivateKey | None = None  # signs the metadata; None builds an unsigned site
    previous: Path | None = None  # the last published site; defaults to the output directory
    signing_time: datetime | None = None  # metadata expiry counts from here; None is now
    cache: Path | None = None  # kept between builds; None uses a temporary one
    jobs: int | None = None  # worker processes; None is one per core
    progress: Progress | None = None
    files: Path | None = None  # hosted artifacts kept out of the source: DIR/<name>/<file>
    upstreams: UpstreamOptions = field(default_factory=UpstreamOptions)  # mirrors, deadlines

    @property
    def workers(self) -> int:
        return self.jobs or default_jobs()


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildResult:
    site: Site
    files: int  # in the output, content-addressed copies and kept old versions included
    bytes: int  # the files' sizes, content-addressed copies counted again
    seconds: float
    written: int  # files whose bytes changed
    unchanged: int
    removed: int
    rendered: int  # packages whose outputs were rendered (the others were already in place)
    reused: int  # packages whose scan came from the memo
    stages: tuple[tuple[str, float], ...]  # seconds per stage, in order
    changes: BuildChanges
    closures: int = 0  # closure manifests computed (docs/portable.md); the others were unchanged
    closures_changed: int = 0  # packages whose closure manifest the output did not hold
    warnings: tuple[str, ...] = ()  # what the build found that does not stop it


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int | None:
    """Read ``SOURCE_DATE_EPOCH``; an unparsable value is an error, never silently ignored."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    if re.fullmatch(r"[0-9]{1,11}", value) is None or int(value) > _MAX_EPOCH:
        raise RegistryError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {value!r:.40}"
        )
    return int(value)
