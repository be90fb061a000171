"""The registry model: frozen dataclasses built from verified sources, read by every renderer."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

from regsite.keys import PublicKey
from regsite.signatures import ThresholdResult
from regsite.versions import DEFAULT_SCHEME, Specifier, Version, VersionScheme

__all__ = [
    "HOSTED_DIR",
    "Amendment",
    "AmendmentKind",
    "Artifact",
    "CargoFlavour",
    "Curator",
    "Delegation",
    "Dependency",
    "DependencyKind",
    "MetadataPolicy",
    "Narrowing",
    "Owner",
    "Package",
    "PackageAmendments",
    "PackageStatus",
    "Readme",
    "Registry",
    "Release",
    "ReleaseStatus",
    "SourceFile",
    "Upstream",
    "hosted_path",
]


class ReleaseStatus(StrEnum):
    ACTIVE = "active"
    YANKED = "yanked"
    DEPRECATED = "deprecated"
    INSECURE = "insecure"


class PackageStatus(StrEnum):
    ACTIVE = "active"
    DEPRECATED = "deprecated"


class DependencyKind(StrEnum):
    """Cargo's kinds of dependency; every dependency of a PEP 440 registry is ``normal``."""

    NORMAL = "normal"
    DEV = "dev"  # for the package's own tests and examples: never installed with it
    BUILD = "build"  # for its build script


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceFile:
    """A signed input, kept byte for byte so the site can republish it."""

    path: str
    content: bytes
    signature_content: bytes | None
    verification: ThresholdResult | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Owner:
    id: str
    name: str
    url: str | None
    keys: tuple[PublicKey, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Curator:
    """Someone who may narrow the requirements of the packages in ``scope`` (docs/curation.md)."""

    id: str
    name: str
    url: str | None
    keys: tuple[PublicKey, ...]
    scope: tuple[str, ...]  # package names, and prefixes ending in '*' ("http-*", "*")

    def may_amend(self, package: str) -> bool:
        return any(
            package.startswith(pattern[:-1]) if pattern.endswith("*") else package == pattern
            for pattern in self.scope
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class Delegation:
    """Which owners may sign a package, and how many of them must."""

    package: str
    owners: tuple[str, ...]
    threshold: int


@dataclass(frozen=True, kw_only=True, slots=True)
class MetadataPolicy:
    """How long each signed metadata file stays valid, and how many old versions stay online."""

    root_expires: timedelta = timedelta(days=365)
    targets_expires: timedelta = timedelta(days=90)
    snapshot_expires: timedelta = timedelta(days=30)
    timestamp_expires: timedelta = timedelta(days=1)
    keep_versions: int = 3  # snapshot versions kept fetchable, the current one included


@dataclass(frozen=True, kw_only=True, slots=True)
class Upstream:
    """Another registry this one depends on (``[[upstream]]``, docs/upstreams.md): its pinned
    root, the packages taken from it, and the names it shares with this registry's view."""

    name: str  # how dependencies name it: ``{ version = "…", upstream = NAME }``
    url: str  # its site's root, ending in '/'
    root_file: str  # the pinned root in the source: upstream/<name>/N.root.json
    root_sha256: str  # of that file's bytes; registry.toml's signature covers it
    packages: tuple[str, ...]  # taken from it: what this registry's releases may require
    shadowed: tuple[str, ...]  # names it has too, whose upstream package is never used
    page: str | None = None  # its package pages' absolute URL template, once read from it
    pinned: bytes = b""  # the pinned root's bytes, once read from the source


@dataclass(frozen=True, kw_only=True, slots=True)
class CargoFlavour:
    """``[flavours] cargo``: the site also publishes a sparse index that cargo reads."""

    # One URL template for every crate (cargo's ``dl``); None: the crates the site hosts.
    dl: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Registry:
    name: str
    title: str
    description: str | None
    base_url: str | None
    install: str | None
    root_keys: tuple[PublicKey, ...]
    root_threshold: int
    online_keys: tuple[PublicKey, ...] = ()  # sign targets, snapshot and timestamp at build time
    revoked_keys: frozenset[PublicKey] = frozenset()
    owners: Mapping[str, Owner]
    delegations: Mapping[str, Delegation]
    source: SourceFile
    policy: MetadataPolicy = MetadataPolicy()
    root_history: tuple[bytes, ...] = ()  # metadata/1.root.json, 2.root.json, ... byte for byte
    version_scheme: VersionScheme = DEFAULT_SCHEME  # parses, orders and matches every version
    curators: Mapping[str, Curator] = field(default_factory=dict)
    curator_threshold: int = 1  # distinct curators in scope that must sign an amendments file
    upstreams: tuple[Upstream, ...] = ()  # [[upstream]], in source order
    flavours: frozenset[str] = frozenset()  # [flavours]: the formats of other clients published
    cargo: CargoFlavour | None = None  # the cargo flavour's settings, when it is enabled
    readme_image_hosts: frozenset[str] = frozenset()  # README images load from these (https)
    release_pages: bool = True  # a page per release; without, versions link to table rows

    def curators_of(self, package: str) -> tuple[Curator, ...]:
        """The curators who may amend ``package``, by id."""
        return tuple(curator for curator in self.curators.values() if curator.may_amend(package))

    def install_line(self, package: str, version: Version) -> str | None:
        if self.install is None:
            return None
        return self.install.format_map({"name": package, "version": str(version)})


HOSTED_DIR = "files"  # where the site publishes hosted artifacts: files/<name>/<sha256>/<file>


@dataclass(frozen=True, kw_only=True, slots=True)
class Artifact:
    """A release's file: external (``url``) or hosted by the site (``file``), never both."""

    url: str | None  # external: an absolute http(s) URL
    sha256: str
    size: int
    file: str | None = None  # hosted: a plain file name, found in the source or --files DIR
    path: str | None = None  # hosted: where the site publishes it (files/<name>/<sha256>/<file>)
    core_metadata_sha256: str | None = None  # hosted wheels: METADATA, published at path.metadata

    @property
    def filename(self) -> str:
        if self.file is not None:
            return self.file
        assert self.url is not None  # one of the two, always (package_file)
        return unquote(posixpath.basename(urlsplit(self.url).path)) or self.url

    def href(self, root: str) -> str:
        """The file's URL from a page or document whose way back to the site's root is ``root``
        (``../../``): relative for a hosted file, the absolute URL for an external one."""
        if self.path is not None:
            return root + self.path
        assert self.url is not None
        return self.url


def hosted_path(package: str, sha256: str, file: str) -> str:
    """Where a hosted artifact is published: content-addressed, its own name last (pip, uv and
    cargo read the file name from the URL)."""
    return f"{HOSTED_DIR}/{package}/{sha256}/{file}"


@dataclass(frozen=True, kw_only=True, slots=True)
class Dependency:
    """One dependency of a release.  The fields after ``specifier`` belong to one version
    scheme (pep440: PEP 508's; semver: cargo's); their defaults describe a plain dependency."""

    name: str  # the package depended on: in this registry, unless ``registry`` names another
    specifier: Specifier  # in the registry's version scheme
    marker: Marker | None = None  # pep440: a PEP 508 environment marker (extra == "x" included)
    extras: tuple[str, ...] = ()  # pep440: the dependency's extras wanted, normalised, sorted
    # cargo's fields (version-scheme "semver" only):
    kind: DependencyKind = DependencyKind.NORMAL
    target: str | None = None  # a platform: "cfg(windows)" or a target triple
    features: tuple[str, ...] = ()  # the dependency's features this one turns on
    optional: bool = False  # only with a feature that names it
    default_features: bool = True
    rename: str | None = None  # the name the dependent's code uses, when not ``name``
    registry: str | None = None  # another registry's index URL; None: this registry
    # The [[upstream]] it is taken from (docs/upstreams.md), checked and linked there:
    upstream: str | None = None

    @property
    def checked(self) -> bool:
        """Whether the build checks the dependency: a package of this registry or of one of
        its upstreams (not one of cargo's other registries)."""
        return self.registry is None

    @property
    def in_registry(self) -> bool:
        """Whether the dependency is a package of this registry (checked and linked here)."""
        return self.registry is None and self.upstream is None

    @property
    def installed(self) -> bool:
        """Whether installing the dependent always installs this (not a dev or optional one)."""
        return self.kind is not DependencyKind.DEV and not self.optional


@dataclass(frozen=True, kw_only=True, slots=True)
class Release:
    version: Version  # in the registry's version scheme
    published: datetime  # always UTC
    requires: tuple[Dependency, ...]
    artifacts: tuple[Artifact, ...]
    status: ReleaseStatus
    status_reason: str | None
    advisories: tuple[str, ...] = ()  # ids of advisories/<id>.json; only when insecure
    requires_python: SpecifierSet | None = None  # pep440: the Pythons this release supports
    provides_extras: tuple[str, ...] = ()  # pep440: its optional features, normalised
    # Cargo's fields of a release (version-scheme "semver" only), as its Cargo.toml says them.
    features: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    links: str | None = None  # the native library the crate links
    rust_version: str | None = None  # the oldest Rust that builds it


@dataclass(frozen=True, kw_only=True, slots=True)
class Readme:
    file: str
    sha256: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")


@dataclass(frozen=True, kw_only=True, slots=True)
class Package:
    name: str
    description: str
    license: str | None
    keywords: tuple[str, ...]
    homepage: str | None
    repository: str | None
    documentation: str | None
    readme: Readme | None
    status: PackageStatus
    status_reason: str | None
    successor: str | None = None  # deprecated: the package of this registry that replaces it
    releases: tuple[Release, ...]  # newest version first
    source: SourceFile

    @property
    def latest(self) -> Release | None:
        """The newest release that is not yanked, preferring final releases to pre-releases."""
        candidates = [r for r in self.releases if r.status is not ReleaseStatus.YANKED]
        finals = [r for r in candidates if not r.version.is_prerelease]
        preferred = finals or candidates
        return preferred[0] if preferred else None


class AmendmentKind(StrEnum):
    BUILD = "build"  # tools may relax it once dependents build (``regsite curate relax``)
    RUNTIME = "runtime"  # the combination fails at run time: never relaxed by tools


class Narrowing(StrEnum):
    """What an amendment does; each only removes versions or combinations the owner allowed."""

    UPPER_BOUND = "upper-bound"  # the dependency's versions from ``version`` on are left out
    EXCLUDE = "exclude"  # the dependency's ``version`` is left out
    CONFLICT = "conflict"  # the package ``target`` (its ``versions``) must not be installed too


@dataclass(frozen=True, kw_only=True, slots=True)
class Amendment:
    """One curator amendment to a range of an owner's releases."""

    index: int  # its place in the file: amendment[index]
    releases: Specifier  # the owner's releases it applies to; any version: all of them
    narrowing: Narrowing
    target: str  # the dependency narrowed, or the package in conflict
    version: Version | None  # the upper bound or the excluded version; None for a conflict
    versions: Specifier | None  # a conflict's versions of ``target``; None otherwise
    kind: AmendmentKind
    reason: str
    link: str | None
    date: date

    def applies_to(self, version: Version) -> bool:
        """Whether the owner's release ``version`` is in this amendment's range."""
        return self.releases.is_any or self.releases.admits(version)

    @property
    def constraint(self) -> str:
        """What it says: ``alpha <2.0``, ``alpha !=1.4.1``, ``conflicts with gamma >=2``."""
        if self.narrowing is Narrowing.CONFLICT:
            versions = "" if self.versions is None or self.versions.is_any else f" {self.versions}"
            return f"conflicts with {self.target}{versions}"
        operator = "<" if self.narrowing is Narrowing.UPPER_BOUND else "!="
        return f"{self.target} {operator}{self.version}"


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageAmendments:
    """A package's signed amendments file (``amendments/<name>/amendments.toml``), modelled."""

    package: str
    amendments: tuple[Amendment, ...]
    source: SourceFile  # byte for byte, with the curators' verdict

    @property
    def signers(self) -> tuple[str, ...]:
        verification = self.source.verification
        return tuple(sorted(verification.signers)) if verification else ()
