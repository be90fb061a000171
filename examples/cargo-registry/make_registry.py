#!/usr/bin/env python3
"""Make the cargo demo registry: pack each crate under crates/ as ``cargo package`` would, then
add it with ``regsite release add --from-crate``, signed with the demo keys in demo-keys/.

    python3 examples/cargo-registry/make_registry.py OUT

writes the registry's source to OUT (which must not exist).  The same files give the same
crates, byte for byte (fixed times, owners and order in the tarballs; gzip without a time), and
the same source.  No network.  README.md says how to build, serve and use it with cargo.
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
from pathlib import Path

import tomlkit

from regsite.cli import main as regsite

HERE = Path(__file__).resolve().parent
CRATES = HERE / "crates"
KEYS = HERE / "demo-keys"
BASE_URL = "http://127.0.0.1:8000/"  # where `regsite serve` puts it; crates/*/Cargo.toml agree
EPOCH = 1767225600  # 2026-01-01T00:00:00Z: the crates' file times
# name -> (description, the crates' directories in the order they were released, yanked ones)
PACKAGES = {
    "leaf": ("The smallest crate.", ["0.1.0", "1.0.0", "1.1.0", "1.2.0"], {"1.2.0"}),
    "stem": ("Holds a leaf.", ["1.0.0"], set()),
    "bloom": ("Features and an optional dependency.", ["0.3.0"], set()),
}


def pack_crate(directory: Path) -> bytes:
    """A .crate as cargo writes it: a gzip tarball of NAME-VERSION/, here made reproducible."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                info = tarfile.TarInfo(f"{directory.name}/{path.relative_to(directory)}")
                info.size, info.mtime, info.mode = len(data), EPOCH, 0o644
                archive.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, filename="") as stream:
        stream.write(buffer.getvalue())
    return compressed.getvalue()


def run(*argv: str | Path) -> None:
    code = regsite([str(arg) for arg in argv])
    if code != 0:
        sys.exit(f"regsite {' '.join(map(str, argv))}: exit {code}")


def make_registry(out: Path) -> None:
    root, online, owner = (KEYS / f"{name}.key" for name in ("root", "online", "ferris"))
    run(
        "init",
        out,
        "--name",
        "demo-crates",
        "--title",
        "Demo crates",
        "--root-key",
        root,
        "--online-key",
        online,
        "--base-url",
        BASE_URL,
        "--description",
        "Tiny real crates that cargo installs from a static site.",
    )
    registry = tomlkit.parse((out / "registry.toml").read_text())
    registry["registry"]["version-scheme"] = "semver"  # type: ignore[index]
    registry["flavours"] = {"cargo": True}
    (out / "registry.toml").write_text(tomlkit.dumps(registry))
    run("sign", out / "registry.toml", "--key", root)
    public = regsite_public(owner)
    run(
        "owner",
        "add",
        "ferris",
        "--name",
        "Ferris (demo)",
        "--key",
        public,
        "-C",
        out,
        "--sign",
        root,
    )
    crates = out.parent / f".{out.name}-crates"
    crates.mkdir()
    for day, (name, (description, versions, yanked)) in enumerate(PACKAGES.items(), start=1):
        run(
            "package",
            "new",
            name,
            "--owner",
            "ferris",
            "--description",
            description,
            "--license",
            "MIT",
            "-C",
            out,
            "--sign",
            root,
            "--sign",
            owner,
        )
        for number, version in enumerate(versions):
            crate = crates / f"{name}-{version}.crate"
            crate.write_bytes(pack_crate(CRATES / f"{name}-{version}"))
            published = f"2026-01-{day:02}T{10 + number:02}:00:00Z"
            run(
                "release",
                "add",
                name,
                "--from-crate",
                crate,
                "--published",
                published,
                "-C",
                out,
                "--sign",
                owner,
            )
            crate.unlink()
        for version in sorted(yanked):
            run(
                "yank",
                name,
                version,
                "--reason",
                "Says 0 instead of 12; use 1.1.0.",
                "-C",
                out,
                "--sign",
                owner,
            )
    crates.rmdir()


def regsite_public(key: Path) -> str:
    from regsite.keys import load_private_key

    return str(load_private_key(str(key)).public)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    target = Path(sys.argv[1])
    if target.exists():
        sys.exit(f"{target} exists; give a new directory")
    make_registry(target)
    print(f"wrote {target}; build it with:")
    print(f"  regsite build {target} -o _cargo_site --online-key {KEYS / 'online.key'}")
