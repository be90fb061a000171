"""``regsite build``: the policy around the pipeline.

Which key signs the metadata (``--online-key``, else ``$REGSITE_ONLINE_KEY``) and when a signed
build is required (a registry with root metadata) or worth a warning (an unsigned build over a
signed site, a timestamp that has already expired); which root keys are pinned (``--root-key``,
else ``$REGSITE_ROOT_KEYS``); and the Markdown report.  The pipeline itself is
:func:`regsite.build.build`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from regsite.build import BuildOptions, BuildResult, build, source_date_epoch
from regsite.errors import RegistryError
from regsite.keys import PrivateKey, load_private_key, parse_public_key
from regsite.load import ROOT_METADATA_DIR
from regsite.metadata.layout import TIMESTAMP_FILE
from regsite.progress import Progress
from regsite.render.flavours.cargo import unseen_amendments
from regsite.report import report_markdown
from regsite.upstreams import UpstreamOptions
from regsite.verify import PinnedRoot

__all__ = [
    "DEFAULT_HOST_BUDGET",
    "ONLINE_KEY_VARIABLE",
    "ROOT_KEYS_VARIABLE",
    "BuildRequest",
    "RootPins",
    "SiteBuilt",
    "build_site",
    "parse_size",
    "pinned_root",
]

ONLINE_KEY_VARIABLE = "REGSITE_ONLINE_KEY"
DEFAULT_HOST_BUDGET = 10**9  # bytes: GitHub Pages' limit on a site
_BUDGET_WARNING = 0.8  # of the budget: warn from here on, before a deploy is refused
_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
}
ROOT_KEYS_VARIABLE = "REGSITE_ROOT_KEYS"


@dataclass(frozen=True, slots=True, kw_only=True)
class RootPins:
    """Root keys trusted from outside the source, so that the source cannot swap its own."""

    keys: tuple[str, ...] = ()  # ed25519:... public keys; none reads $REGSITE_ROOT_KEYS
    threshold: int = 1  # pinned keys that must sign registry.toml


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildRequest:
    """What ``regsite build`` is asked to do, before any policy is applied."""

    source: Path
    output: Path
    base_url: str | None = None
    theme: Path | None = None
    online_key: str | None = None  # key file or env:VARIABLE; None reads $REGSITE_ONLINE_KEY
    unsigned: bool = False  # publish no metadata, even for a registry that has a root
    previous: Path | None = None
    cache: Path | None = None
    jobs: int | None = None
    report_md: Path | None = None  # also write what changed, as Markdown
    host_budget: int = DEFAULT_HOST_BUDGET  # bytes: warn as the site nears it; 0 never
    files: Path | None = None  # hosted artifacts outside the source: DIR/<package>/<file>
    pins: RootPins = field(default_factory=RootPins)
    progress: Progress | None = None
    upstreams: UpstreamOptions = field(default_factory=UpstreamOptions)  # mirrors, deadline


@dataclass(frozen=True, slots=True)
class SiteBuilt:
    """A finished build, whether clients can verify it, and what its operator should know."""

    result: BuildResult
    signed: bool
    warnings: tuple[str, ...]


def build_site(request: BuildRequest) -> SiteBuilt:
    """Apply the signing policy, build, write the report; raise before writing on a problem."""
    options = _build_options(request)
    warnings = _unsigned_over_signed(options)  # before the build replaces the old timestamp
    result = build(options)
    if request.report_md is not None:
        _write_report(request.report_md, result)
    warnings += result.warnings
    warnings += _expired_timestamp(options, result, datetime.now(UTC))
    warnings += _over_budget(result, request.host_budget)
    warnings += tuple(unseen_amendments(result.site))
    return SiteBuilt(result=result, signed=options.online_key is not None, warnings=warnings)


def _over_budget(result: BuildResult, budget: int) -> tuple[str, ...]:
    """A warning once the site's bytes pass 80% of the host's limit, and what to do."""
    if budget <= 0 or result.bytes < budget * _BUDGET_WARNING:
        return ()
    share = result.bytes / budget
    release_pages = result.site.registry.release_pages
    fewer = "release-pages = false in [registry] (docs/pages.md), " if release_pages else ""
    return (
        f"the site is {result.bytes / 1e6:,.0f} MB, {share:.0%} of the host budget of"
        f" {budget / 1e6:,.0f} MB (--host-budget; GitHub Pages refuses sites over 1 GB):"
        f" host it elsewhere (docs/hosting.md), or publish less: {fewer}fewer flavours",
    )


def parse_size(text: str) -> int:
    """A size like ``1GB``, ``500MB``, ``2GiB`` or ``0``; raise ValueError saying why not."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = match[2].upper() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"expected a size like 1GB, 500MB or 0, got {text!r:.40}")
    return int(float(match[1]) * _UNITS[unit])


def _build_options(request: BuildRequest) -> BuildOptions:
    epoch = source_date_epoch()
    return BuildOptions(
        source=request.source,
        output=request.output,
        base_url=request.base_url,
        theme=request.theme,
        source_date_epoch=epoch,
        pinned_root=pinned_root(request.pins),
        online_key=_online_key(request),
        previous=request.previous,
        signing_time=None if epoch is None else datetime.fromtimestamp(epoch, UTC),
        cache=request.cache,
        jobs=request.jobs,
        progress=request.progress,
        files=request.files,
        upstreams=request.upstreams,
    )


def pinned_root(pins: RootPins, environ: Mapping[str, str] | None = None) -> PinnedRoot | None:
    """The pinned root keys: the ones given, else ``$REGSITE_ROOT_KEYS``; None when neither."""
    texts = (
        pins.keys
        or (os.environ if environ is None else environ).get(ROOT_KEYS_VARIABLE, "").split()
    )
    if not texts:
        return None
    try:
        keys = frozenset(parse_public_key(text) for text in texts)
    except ValueError as exc:
        raise RegistryError(f"--root-key / {ROOT_KEYS_VARIABLE}: {exc}") from exc
    if not 1 <= pins.threshold <= len(keys):
        raise RegistryError(f"--root-threshold must be between 1 and {len(keys)}")
    return PinnedRoot(keys=keys, threshold=pins.threshold)


def _online_key(request: BuildRequest) -> PrivateKey | None:
    """The key that signs the metadata; a registry with a root must be signed or say --unsigned."""
    if request.unsigned:
        return None
    reference = request.online_key or (
        f"env:{ONLINE_KEY_VARIABLE}" if os.environ.get(ONLINE_KEY_VARIABLE) else None
    )
    if reference is not None:
        return load_private_key(reference)
    if (request.source / ROOT_METADATA_DIR).is_dir():
        raise RegistryError(
            f"{request.source / ROOT_METADATA_DIR}: this registry publishes signed metadata; give"
            f" the online key with --online-key KEY (or ${ONLINE_KEY_VARIABLE}), or build a"
            " preview with --unsigned"
        )
    return None


def _unsigned_over_signed(options: BuildOptions) -> tuple[str, ...]:
    """An unsigned build over a signed site loses the metadata versions the next signed build
    must continue from."""
    if options.online_key is not None or not (options.output / TIMESTAMP_FILE).is_file():
        return ()
    return (
        f"{options.output} holds a signed site; after this unsigned build, the next signed one"
        " needs --previous (a copy of it) to continue its metadata versions",
    )


def _expired_timestamp(
    options: BuildOptions, result: BuildResult, now: datetime
) -> tuple[str, ...]:
    """Signed at SOURCE_DATE_EPOCH, the timestamp may have expired before it is published."""
    if options.online_key is None or options.signing_time is None:
        return ()
    expires = options.signing_time + result.site.registry.policy.timestamp_expires
    if expires >= now:
        return ()
    return (
        "signed at SOURCE_DATE_EPOCH, the timestamp expired at"
        f" {expires:%Y-%m-%d %H:%M}Z; run 'regsite timestamp refresh' before publishing",
    )


def _write_report(path: Path, result: BuildResult) -> None:
    text = report_markdown(result.changes, result.site.registry.title)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot write the report: {exc.strerror}") from exc
