"""Write a generated registry to disk as a signed source directory that ``regsite build`` reads.

Same content as :func:`corpus.make_specs`; every key is derived from the seed, so the same
arguments give byte-identical files. The private keys are written next to the source in
``keys/`` (benchmark keys: never use them for anything else).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from corpus import OwnerSpec, PackageSpec, ReleaseSpec, make_specs

from regsite.commands.trust import write_next_root
from regsite.keys import PrivateKey, write_private_key
from regsite.signatures import FileKind, dump_signature_file, sign_bytes
from regsite.sources import SourceTree

__all__ = [
    "BenchSource",
    "add_release",
    "dumb_pypi_lines",
    "semver_spec",
    "write_dumb_pypi_list",
    "write_source",
]

ARTIFACTS = "https://files.example.org/"
# With cargo=True: the cargo flavour, its crates at the artifacts' URLs (no files to host).
CARGO_DL = ARTIFACTS + "{crate}/{crate}-{version}.tar.gz"
_ROOT_CREATED = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class BenchSource:
    directory: Path
    online_key: Path  # the key file to pass as --online-key
    owners: dict[str, PrivateKey]
    specs: list[PackageSpec]


def bench_key(seed: int, label: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(f"regsite bench {seed} {label}".encode()).digest())


def write_source(
    directory: Path,
    packages: int,
    releases_each: int | None = None,
    seed: int = 1,
    semver: bool = False,
    cargo: bool = False,
    python: bool = False,
    release_pages: bool = True,
) -> BenchSource:
    """Write ``registry.toml``, ``metadata/1.root.json`` and every package, all signed; with
    ``semver``, the same corpus under version-scheme "semver", and with ``cargo`` the cargo
    flavour on too; with ``python``, the PEP 440 corpus with the Python flavour on; without
    ``release_pages``, ``[registry] release-pages = false``."""
    owners, specs = make_specs(packages, seed, releases_each)
    if semver or cargo:
        specs = [semver_spec(spec) for spec in specs]
    root, online = bench_key(seed, "root"), bench_key(seed, "online")
    owner_keys = {owner.id: bench_key(seed, f"owner {owner.id}") for owner in owners}
    keys = directory.parent / f"{directory.name}-keys"
    keys.mkdir(parents=True, exist_ok=True)
    for label, key in (("root", root), ("online", online)):
        if not (keys / f"{label}.key").exists():
            write_private_key(keys / f"{label}.key", key)
    (directory / "packages").mkdir(parents=True, exist_ok=True)
    registry = _registry_toml(owners, owner_keys, specs, root, online)
    if semver or cargo:
        registry = registry.replace(b"\n[trust]", b'version-scheme = "semver"\n\n[trust]', 1)
    if cargo:
        registry += f'\n[flavours.cargo]\ndl = "{CARGO_DL}"\n'.encode()
    if python:
        registry += b"\n[flavours]\npython = true\n"
    if not release_pages:
        registry = registry.replace(b"\n[trust]", b"release-pages = false\n\n[trust]", 1)
    _write_signed(directory / "registry.toml", registry, FileKind.REGISTRY, [root])
    write_next_root(SourceTree(directory), [root], _ROOT_CREATED)
    for spec in specs:
        write_package(directory, spec, [owner_keys[spec.owners[0]]])
    return BenchSource(directory, keys / "online.key", owner_keys, specs)


def write_package(directory: Path, spec: PackageSpec, keys: Sequence[PrivateKey]) -> None:
    folder = directory / "packages" / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    readme = spec.readme.encode()
    (folder / "README.md").write_bytes(readme)
    content = package_toml(spec, hashlib.sha256(readme).hexdigest())
    _write_signed(folder / "package.toml", content, FileKind.PACKAGE, keys)


def add_release(source: BenchSource, index: int, release: ReleaseSpec) -> PackageSpec:
    """Publish one more release of package ``index`` (re-signed); return the new spec."""
    spec = source.specs[index]
    spec = dataclasses.replace(spec, releases=(*spec.releases, release))
    source.specs[index] = spec
    write_package(source.directory, spec, [source.owners[spec.owners[0]]])
    return spec


_PRE_RELEASE = re.compile(r"(?<=[0-9])(a|b|rc)([0-9]+)$")


def semver_spec(spec: PackageSpec) -> PackageSpec:
    """The package with SemVer versions (``1.0.0rc1`` is ``1.0.0-rc.1``) and cargo requirements
    that admit the same releases of the corpus."""
    releases = tuple(
        ReleaseSpec(
            **{
                **{name: getattr(release, name) for name in ReleaseSpec.__slots__},
                "version": _PRE_RELEASE.sub(r"-\1.\2", release.version),
                "requires": tuple((name, _cargo(text)) for name, text in release.requires),
            }
        )
        for release in spec.releases
    )
    return PackageSpec(**{**_fields(spec), "releases": releases})


def _cargo(specifier: str) -> str:
    """``>=1.2``, ``>=1.2,<2``, ``~=1.2`` (as ``^1.2``, which still admits the version it was
    drawn from, so every requirement stays satisfiable) or ``""`` (any version, ``*``)."""
    if specifier.startswith("~="):
        return "^" + specifier.removeprefix("~=")
    return specifier.replace(",", ", ") or "*"


def _fields(spec: PackageSpec) -> dict[str, object]:
    return {name: getattr(spec, name) for name in PackageSpec.__slots__}


def _write_signed(path: Path, content: bytes, kind: FileKind, keys: Sequence[PrivateKey]) -> None:
    path.write_bytes(content)
    signatures = tuple(sign_bytes(key, kind, content) for key in keys)
    path.with_name(path.name + ".sig").write_bytes(dump_signature_file(signatures))


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _registry_toml(
    owners: Sequence[OwnerSpec],
    owner_keys: dict[str, PrivateKey],
    specs: Sequence[PackageSpec],
    root: PrivateKey,
    online: PrivateKey,
) -> bytes:
    lines = [
        "format = 1",
        "",
        "[registry]",
        'name = "bench"',
        'title = "Benchmark Registry"',
        'description = "A generated registry for benchmarks."',
        'base-url = "https://registry.example.org/"',
        'install = "tool add {name}@{version}"',
        "",
        "[trust]",
        f'root-keys = ["{root.public}"]',
        "root-threshold = 1",
        f'online-keys = ["{online.public}"]',
        "",
    ]
    for owner in owners:
        lines += [
            f"[owners.{owner.id}]",
            f"name = {_string(owner.name)}",
            f'keys = ["{owner_keys[owner.id].public}"]',
            "",
        ]
    lines.append("[packages]")
    for spec in specs:
        listed = ", ".join(f'"{owner}"' for owner in spec.owners)
        lines.append(f'"{spec.name}" = {{ owners = [{listed}] }}')
    return ("\n".join(lines) + "\n").encode()


def package_toml(spec: PackageSpec, readme_sha256: str) -> bytes:
    lines = [
        "format = 1",
        "",
        "[package]",
        f'name = "{spec.name}"',
        f"description = {_string(spec.description)}",
        f'license = "{spec.license}"',
        "keywords = [" + ", ".join(_string(word) for word in spec.keywords) + "]",
        f'homepage = "https://example.org/{spec.name}"',
        f'repository = "https://example.org/git/{spec.name}"',
        f'readme = {{ file = "README.md", sha256 = "{readme_sha256}" }}',
    ]
    if spec.deprecated:
        lines += ['status = "deprecated"', 'status-reason = "No longer maintained."']
    for release in spec.releases:
        published = release.published.strftime("%Y-%m-%dT%H:%M:%SZ")
        lines += ["", "[[release]]", f'version = "{release.version}"', f"published = {published}"]
        if release.requires:
            pairs = ", ".join(f'"{name}" = "{spec_}"' for name, spec_ in release.requires)
            lines.append(f"requires = {{ {pairs} }}")
        if release.yanked:
            lines += ['status = "yanked"', 'status-reason = "Broken build."']
        lines += [
            "",
            "[[release.artifact]]",
            f'url = "{artifact_url(spec.name, release)}"',
            f'sha256 = "{release.sha256}"',
            f"size = {release.size}",
        ]
    return ("\n".join(lines) + "\n").encode()


def artifact_filename(name: str, release: ReleaseSpec) -> str:
    return f"{name}-{release.version}.tar.gz"


def artifact_url(name: str, release: ReleaseSpec) -> str:
    return f"{ARTIFACTS}{name}/{artifact_filename(name, release)}"


def write_dumb_pypi_list(path: Path, specs: Iterable[PackageSpec]) -> None:
    """The same releases as dumb-pypi's ``--package-list-json`` input, one JSON per line, written
    as they are made (2 million releases make a list of about 700 MB)."""
    with path.open("w") as file:
        for spec in specs:
            file.writelines(f"{line}\n" for line in dumb_pypi_lines(spec))


def dumb_pypi_lines(spec: PackageSpec) -> list[str]:
    """One package's releases as dumb-pypi's package list holds them."""
    lines = []
    for release in spec.releases:
        requires = [f"{name}{text}" for name, text in release.requires]
        entry = {
            "filename": artifact_filename(spec.name, release),
            "hash": f"sha256={release.sha256}",
            "requires_dist": requires,
            "upload_timestamp": int(release.published.timestamp()),
            "uploaded_by": spec.owners[0],
            "yanked_reason": "Broken build." if release.yanked else None,
        }
        lines.append(json.dumps(entry))
    return lines
