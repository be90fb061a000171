"""Model stage for ``registry.toml``: identity, trust roots, owners and package delegations."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import timedelta

from regsite.curators import read_curators
from regsite.errors import ErrorReport
from regsite.fields import Fields, check_format
from regsite.keys import PublicKey, parse_public_key
from regsite.load import LoadedFile
from regsite.model import CargoFlavour, Delegation, MetadataPolicy, Owner, Registry
from regsite.names import name_problem, normalize_name
from regsite.upstream_file import read_upstreams
from regsite.versions import DEFAULT_SCHEME, SCHEMES, VersionScheme

__all__ = ["FLAVOURS", "read_registry"]

_INSTALL_FIELDS = frozenset({"name", "version"})
# The flavours registry.toml may enable, and the version scheme each needs.
FLAVOURS = {"python": "pep440", "cargo": "semver"}


_TOP_TABLES = (
    "format",
    "registry",
    "trust",
    "metadata",
    "owners",
    "packages",
    "flavours",
    "upstream",
    "curators",
)
_REGISTRY_KEYS = (
    "name",
    "title",
    "description",
    "base-url",
    "install",
    "version-scheme",
    "readme-image-hosts",
    "release-pages",
)
_TRUST_KEYS = ("root-keys", "root-threshold", "online-keys", "revoked-keys", "curator-threshold")


def read_registry(loaded: LoadedFile, report: ErrorReport) -> Registry | None:
    """Build the :class:`Registry`; ``None`` if a part every later stage needs is unusable."""
    top = Fields(loaded.document, loaded.path, "", report)
    top.only(list(_TOP_TABLES))
    check_format(top)
    identity = top.table_of("registry", required=True)
    trust = top.table_of("trust", required=True)
    if identity is None or trust is None:
        return None
    identity.only(list(_REGISTRY_KEYS))
    trust.only(list(_TRUST_KEYS))
    return _registry(loaded, top, identity, trust)


def _registry(loaded: LoadedFile, top: Fields, identity: Fields, trust: Fields) -> Registry:
    """The registry from its tables, read in the order their problems are reported."""
    name = _registry_name(identity)
    root_keys = _keys(trust, "root-keys")
    online_keys = _keys(trust, "online-keys", required=False)
    revoked = frozenset(_keys(trust, "revoked-keys", required=False))
    owners = _owners(top.table_of("owners"), top.report)
    _check_revoked(trust, revoked, root_keys, online_keys, owners)
    delegations = _delegations(top.table_of("packages"), owners)
    version_scheme = _version_scheme(identity)
    flavours, cargo = _flavours(top.table_of("flavours"), version_scheme)
    curators = read_curators(top.table_of("curators"), owners, revoked)
    return Registry(
        name=name or "registry",
        title=identity.text("title", max_length=100, one_line=True) or "",
        description=identity.text("description", required=False, max_length=1000),
        base_url=identity.url("base-url"),
        install=_install_template(identity),
        root_keys=root_keys,
        root_threshold=_threshold(trust, "root-threshold", len(root_keys)),
        online_keys=online_keys,
        revoked_keys=revoked,
        owners=owners,
        delegations=delegations,
        source=loaded.source_file(None),
        policy=_policy(top.table_of("metadata")),
        version_scheme=version_scheme,
        flavours=flavours,
        cargo=cargo,
        readme_image_hosts=_image_hosts(identity),
        release_pages=identity.boolean("release-pages", default=True),
        curators=curators,
        curator_threshold=_threshold(trust, "curator-threshold", len(curators)),
        upstreams=read_upstreams(top, name, delegations),
    )


def _registry_name(identity: Fields) -> str | None:
    """[registry] name, checked by the package name rules."""
    name = identity.text("name")
    if name is not None and (problem := name_problem(name)) is not None:
        identity.problem("name", problem)
    return name


def _version_scheme(identity: Fields) -> VersionScheme:
    name = identity.text("version-scheme", required=False, max_length=20)
    if name is None:
        return DEFAULT_SCHEME
    if name not in SCHEMES:
        choices = " or ".join(repr(known) for known in SCHEMES)
        identity.problem("version-scheme", f"expected {choices}, found {name!r}")
        return DEFAULT_SCHEME
    return SCHEMES[name]


def _flavours(
    table: Fields | None, scheme: VersionScheme
) -> tuple[frozenset[str], CargoFlavour | None]:
    """``[flavours]``: ``python = true`` publishes what pip and uv read, ``cargo = true`` (or a
    ``[flavours.cargo]`` table) what cargo reads (docs/flavours.md); with the cargo flavour's
    settings when it is enabled."""
    if table is None:
        return frozenset(), None
    table.only(FLAVOURS)
    enabled = set()
    cargo = None
    for name, needed in FLAVOURS.items():
        value = table.table.get(name, False)
        if name == "cargo" and isinstance(value, dict):
            cargo = _cargo_settings(table)
            value = True
        if not isinstance(value, bool):
            expected = "true, false or a table with dl" if name == "cargo" else "true or false"
            table.problem(name, f"expected {expected}, found {value!r:.60}")
        elif value and needed != scheme.name:
            table.problem(
                name,
                f"the {name} flavour needs version-scheme {needed!r}:"
                f' set [registry] version-scheme = "{needed}"',
            )
        elif value:
            enabled.add(name)
    if "cargo" not in enabled:
        return frozenset(enabled), None
    return frozenset(enabled), cargo or CargoFlavour()


_DL_MARKERS = ("{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}")


def _cargo_settings(flavours: Fields) -> CargoFlavour:
    """``[flavours.cargo]``: ``dl``, a template for crates hosted elsewhere."""
    table = flavours.table_of("cargo", required=True)
    assert table is not None
    table.only(["dl"])
    dl = table.url("dl", required=True)
    if dl is not None and not any(marker in dl for marker in _DL_MARKERS):
        table.problem("dl", f"expected a template with {{crate}} and {{version}}, found {dl!r}")
    return CargoFlavour(dl=dl)


def _image_hosts(identity: Fields) -> frozenset[str]:
    """``readme-image-hosts``: the hosts README images may load from (over https; the pages' CSP
    img-src names each), as plain lower-case host names."""
    hosts = identity.strings("readme-image-hosts")
    if len(hosts) > MAX_IMAGE_HOSTS:
        identity.problem("readme-image-hosts", f"{len(hosts)} hosts; at most {MAX_IMAGE_HOSTS}")
        return frozenset()
    bad = [(index, host) for index, host in enumerate(hosts) if not _HOST.fullmatch(host)]
    for index, host in bad:
        expected = 'a lower-case host name such as "img.shields.io"'
        identity.problem(f"readme-image-hosts[{index}]", f"expected {expected}, found {host!r}")
    return frozenset() if bad else frozenset(hosts)


MAX_IMAGE_HOSTS = 20
# A DNS name of two or more labels: no scheme, port, path, wildcard or upper case (a CSP source
# and urlsplit's hostname compare as written).
_HOST = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")


def _install_template(identity: Fields) -> str | None:
    template = identity.text("install", required=False, max_length=300)
    if template is None:
        return None
    try:
        parts = [part for part in string.Formatter().parse(template) if part[1] is not None]
    except ValueError as exc:
        identity.problem("install", f"not a valid template: {exc}")
        return None
    if any(spec or conversion for _, _, spec, conversion in parts):
        identity.problem("install", "placeholders take no conversions or formats: write {name}")
        return None
    used = {field for _, field, _, _ in parts}
    if not used <= _INSTALL_FIELDS:
        unknown = ", ".join(sorted(f"{{{field}}}" for field in used - _INSTALL_FIELDS))
        identity.problem("install", f"unknown placeholder {unknown}; use {{name}} and {{version}}")
        return None
    return template


def _keys(table: Fields, key: str, *, required: bool = True) -> tuple[PublicKey, ...]:
    texts = table.strings(key)
    if key in table.table and not texts and required:
        table.problem(key, "expected at least one key 'ed25519:<base64>'")
    elif key not in table.table and required:
        table.problem(key, "missing; expected an array of keys 'ed25519:<base64>'")
    keys = []
    for index, text in enumerate(texts):
        try:
            keys.append(parse_public_key(text))
        except ValueError as exc:
            table.problem(f"{key}[{index}]", str(exc))
    return tuple(dict.fromkeys(keys))


def _check_revoked(
    trust: Fields,
    revoked: frozenset[PublicKey],
    root_keys: tuple[PublicKey, ...],
    online_keys: tuple[PublicKey, ...],
    owners: Mapping[str, Owner],
) -> None:
    """A revoked key stays revoked: nothing may list it again."""
    for key in revoked.intersection(root_keys):
        trust.problem("root-keys", f"{key} is listed in [trust] revoked-keys")
    for key in revoked.intersection(online_keys):
        trust.problem("online-keys", f"{key} is listed in [trust] revoked-keys")
    for owner in owners.values():
        for key in revoked.intersection(owner.keys):
            trust.report.add(
                trust.file,
                f"owners.{owner.id}.keys",
                f"{key} is listed in [trust] revoked-keys; remove it from the owner's keys",
            )


_DURATION = re.compile(r"([1-9][0-9]{0,4})([hd])")
_POLICY_DEFAULTS = MetadataPolicy()


def _policy(table: Fields | None) -> MetadataPolicy:
    if table is None:
        return _POLICY_DEFAULTS
    table.only(
        [
            "root-expires",
            "targets-expires",
            "snapshot-expires",
            "timestamp-expires",
            "keep-versions",
        ]
    )
    defaults = _POLICY_DEFAULTS
    keep = table.integer("keep-versions", required=False, minimum=1)
    return MetadataPolicy(
        root_expires=_duration(table, "root-expires", defaults.root_expires),
        targets_expires=_duration(table, "targets-expires", defaults.targets_expires),
        snapshot_expires=_duration(table, "snapshot-expires", defaults.snapshot_expires),
        timestamp_expires=_duration(table, "timestamp-expires", defaults.timestamp_expires),
        keep_versions=defaults.keep_versions if keep is None else min(keep, 100),
    )


def _duration(table: Fields, key: str, default: timedelta) -> timedelta:
    text = table.text(key, required=False, max_length=10)
    if text is None:
        return default
    match = _DURATION.fullmatch(text)
    if match is None:
        table.problem(key, f"expected a duration like '12h' or '30d', found {text!r}")
        return default
    amount, unit = int(match[1]), match[2]
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount)


def _threshold(table: Fields, key: str, available: int) -> int:
    threshold = table.integer(key, required=False, minimum=1)
    if threshold is None:
        return 1
    if threshold > available:
        table.problem(key, f"threshold {threshold} can never be met: only {available} listed")
    return threshold


def _owners(table: Fields | None, report: ErrorReport) -> dict[str, Owner]:
    owners: dict[str, Owner] = {}
    if table is None:
        return owners
    key_owner: dict[PublicKey, str] = {}
    for owner_id in sorted(table.table):
        if (problem := name_problem(owner_id)) is not None:
            table.problem(owner_id, f"owner id {problem}")
            continue
        fields = table.table_of(owner_id, required=True)
        if fields is None:
            continue
        fields.only(["name", "url", "keys"])
        keys = _keys(fields, "keys")
        for key in keys:
            if (other := key_owner.setdefault(key, owner_id)) != owner_id:
                fields.problem("keys", f"key {key} also belongs to owner {other!r}")
        owners[owner_id] = Owner(
            id=owner_id,
            name=fields.text("name", max_length=100, one_line=True) or owner_id,
            url=fields.url("url"),
            keys=keys,
        )
    return owners


def _delegations(table: Fields | None, owners: Mapping[str, Owner]) -> dict[str, Delegation]:
    delegations: dict[str, Delegation] = {}
    if table is None:
        return delegations
    seen: dict[str, str] = {}
    for package in sorted(table.table):
        if (problem := name_problem(package)) is not None:
            table.problem(package, problem)
        if (first := seen.setdefault(normalize_name(package), package)) != package:
            table.problem(package, f"collides with {first!r}: both normalise to the same name")
        fields = table.table_of(package, required=True)
        if problem is not None or fields is None:
            continue
        fields.only(["owners", "threshold"])
        listed = tuple(dict.fromkeys(fields.strings("owners")))
        if not listed:
            fields.problem("owners", "expected at least one owner id")
        for owner_id in listed:
            if owner_id not in owners:
                known = ", ".join(sorted(owners)) or "none"
                fields.problem("owners", f"unknown owner {owner_id!r} (owners: {known})")
        delegations[package] = Delegation(
            package=package,
            owners=listed,
            threshold=_threshold(fields, "threshold", len(listed)),
        )
    return delegations
