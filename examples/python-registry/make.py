"""Make the Python example registry: tiny pure-Python wheels and an sdist, released with
``regsite release add --from-wheel`` and hosted by the site.

    python examples/python-registry/make.py [DIRECTORY]

Everything is reproducible: the distributions' zip and tar entries carry a fixed time
(SOURCE_DATE_EPOCH below), the keys are derived from fixed seeds, ed25519 signatures are
deterministic, so running this again writes the same bytes (tests/test_python_example.py
checks it).  The keys are DEMO keys, published on purpose: never trust anything they sign.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import shutil
import tarfile
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from regsite.atomic_write import write_atomically
from regsite.commands.package import PackageInfo, new_package
from regsite.commands.release import ArtifactSpec, add_release, yank_release
from regsite.commands.release_files import copy_hosted, release_from_files
from regsite.commands.sign import sign_file
from regsite.commands.trust import write_next_root
from regsite.keys import PrivateKey, write_private_key
from regsite.sources import SourceTree

HERE = Path(__file__).resolve().parent
SOURCE_DATE_EPOCH = 1_767_268_800  # 2026-01-01T12:00:00Z
NOW = datetime.fromtimestamp(SOURCE_DATE_EPOCH, UTC)
ZIP_TIME = (2026, 1, 1, 12, 0, 0)

# name -> (version, summary, Requires-Python, Provides-Extra, Requires-Dist, sdist too)
DISTRIBUTIONS: list[tuple[str, str, str, str | None, list[str], list[str], bool]] = [
    ("seedling", "1.0.0", "Plants one seed.", None, [], [], True),
    ("seedling", "1.1.0", "Plants one seed.", None, [], [], False),
    ("trowel", "1.0.0", "Digs a small hole.", None, [], [], False),
    ("rain-gauge", "1.0.0", "Measures the rain.", None, [], [], False),
    ("sunlamp", "1.0.0", "Light for the winter.", None, [], [], False),
    ("old-pot", "0.9.0", "A pot with a crack.", None, [], [], False),
    (
        "sprout",
        "0.2.0",
        "Grows seedlings.",
        ">=3.8",
        ["lamp"],
        [
            "seedling>=1.0",
            'trowel>=1.0; python_version >= "3.8"',
            'rain-gauge>=1.0; python_version < "3.0"',
            'sunlamp>=1.0; extra == "lamp"',
        ],
        False,
    ),
]
OWNERS = {"ada": ["seedling", "trowel", "rain-gauge", "sprout"], "lin": ["sunlamp", "old-pot"]}
YANKED = ("seedling", "1.1.0", "Plants two seeds at once; use 1.0.0.")
DEPRECATED = ("old-pot", "Cracked; use sprout instead.")

REGISTRY = """\
# regsite's Python example registry: tiny wheels that pip and uv really install.
# Made by make.py; the keys are DEMO keys (demo-keys/), published on purpose. Never trust them.
format = 1

[registry]
name = "greenhouse"
title = "Greenhouse (Python example)"
description = "A small Python package index served as static files: pip and uv install from it."

[trust]
root-keys = ["{root}"]
root-threshold = 1
online-keys = ["{online}"]

[metadata]
root-expires = "3650d"  # the demo root stays valid for ten years

# pip and uv read the simple repository API under simple/ (docs/flavours.md).
[flavours]
python = true

[owners.ada]
name = "Ada Example"
keys = ["{ada}"]

[owners.lin]
name = "Lin Example"
keys = ["{lin}"]
"""


def demo_key(name: str) -> PrivateKey:
    return PrivateKey(hashlib.sha256(f"regsite python example DEMO key: {name}".encode()).digest())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=HERE)
    directory = parser.parse_args().directory
    make_registry(directory)
    print(f"made the Python example registry in {directory}")


def make_registry(directory: Path) -> None:
    """The whole example source in ``directory``: keys, registry, packages and their files."""
    for part in ("registry.toml", "registry.toml.sig", "metadata", "packages", "demo-keys"):
        target = directory / part
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    keys = {name: demo_key(name) for name in ("root", "online", *OWNERS)}
    (directory / "demo-keys").mkdir(parents=True)
    for name, key in keys.items():
        write_private_key(directory / "demo-keys" / f"{name}.key", key)
    text = REGISTRY.format(**{name: str(key.public) for name, key in keys.items()})
    write_atomically(directory / "registry.toml", text.encode())
    tree = SourceTree(directory)
    write_next_root(tree, [keys["root"]], NOW)
    with tempfile.TemporaryDirectory() as scratch:
        dist = Path(scratch)
        for owner, names in OWNERS.items():
            for name in names:
                info = PackageInfo(description=_summary(name), license="MIT")
                new_package(tree, name, owners=[owner], info=info)
        for name, version, _, _, _, _, sdist in DISTRIBUTIONS:
            _release(tree, name, version, dist, sdist)
    _yank_and_deprecate(tree)
    sign_file(tree.registry_path, keys["root"])
    for owner, names in OWNERS.items():
        for name in names:
            sign_file(tree.package_path(name), keys[owner])


def _summary(name: str) -> str:
    return next(summary for n, _, summary, *_ in DISTRIBUTIONS if n == name)


def _release(tree: SourceTree, name: str, version: str, dist: Path, sdist: bool) -> None:
    entry = next(d for d in DISTRIBUTIONS if d[:2] == (name, version))
    wheel = write_wheel(dist, *entry[:6])
    source = write_sdist(dist, *entry[:6]) if sdist else None
    files = release_from_files(name, [wheel], source, None, None)
    artifacts = [
        ArtifactSpec(
            None,
            a.distribution.sha256,
            a.distribution.size,
            a.distribution.filename,
            hashlib.sha256(a.distribution.core_metadata).hexdigest()
            if a.distribution.kind == "wheel"
            else None,
        )
        for a in files.artifacts
    ]
    add_release(
        tree,
        name,
        files.version,
        artifacts=artifacts,
        requires=[],
        published=NOW,
        dependencies=list(files.dependencies),
        python=(files.requires_python, files.provides_extras),
    )
    copy_hosted(tree, name, files, copy=True)


def _yank_and_deprecate(tree: SourceTree) -> None:
    name, version, reason = YANKED
    yank_release(tree, name, version, reason=reason)
    package, why = DEPRECATED
    document = tree.read(tree.package_path(package))
    document["package"]["status"] = "deprecated"  # type: ignore[index]
    document["package"]["status-reason"] = why  # type: ignore[index]
    write_atomically(tree.package_path(package), tomlkit.dumps(document).encode())


def core_metadata(
    name: str,
    version: str,
    summary: str,
    python: str | None,
    extras: list[str],
    requires: list[str],
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}"]
    lines += ["License: MIT"] + ([f"Requires-Python: {python}"] if python else [])
    lines += [f"Provides-Extra: {extra}" for extra in extras]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    return "\n".join(lines) + "\n\n"


def write_wheel(
    dist: Path,
    name: str,
    version: str,
    summary: str,
    python: str | None,
    extras: list[str],
    requires: list[str],
) -> Path:
    """A pure-Python wheel whose module prints where it came from."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f'"""{summary}"""\n\n__version__ = "{version}"\n',
        f"{info}/METADATA": core_metadata(name, version, summary, python, extras, requires),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: regsite-example\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [
        f"{path},sha256={_urlsafe_digest(text)},{len(text.encode())}"
        for path, text in files.items()
    ]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    path = dist / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            entry = zipfile.ZipInfo(member, date_time=ZIP_TIME)
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, text, compress_type=zipfile.ZIP_DEFLATED)
    return path


def write_sdist(
    dist: Path,
    name: str,
    version: str,
    summary: str,
    python: str | None,
    extras: list[str],
    requires: list[str],
) -> Path:
    """An sdist (PKG-INFO, pyproject.toml, the module) as a reproducible .tar.gz."""
    module = name.replace("-", "_")
    top = f"{module}-{version}"
    members = {
        f"{top}/PKG-INFO": core_metadata(name, version, summary, python, extras, requires),
        f"{top}/pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n',
        f"{top}/{module}/__init__.py": f'"""{summary}"""\n\n__version__ = "{version}"\n',
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member, text in members.items():
            data = text.encode()
            entry = tarfile.TarInfo(member)
            entry.size, entry.mtime, entry.mode = len(data), SOURCE_DATE_EPOCH, 0o644
            archive.addfile(entry, io.BytesIO(data))
    path = dist / f"{top}.tar.gz"
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as out:
        out.write(buffer.getvalue())
    return path


def _urlsafe_digest(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


if __name__ == "__main__":
    main()
