"""The cargo demo registry (examples/cargo-registry/) made for tests, and crates made to order."""

from __future__ import annotations

import gzip
import importlib.util
import io
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from builder import SourceBuilder, semver_builder
from conftest import REPO
from regsite.cli import main

EXAMPLE = REPO / "examples" / "cargo-registry"
DEMO_ONLINE_KEY = EXAMPLE / "demo-keys" / "online.key"
DEMO_OWNER_KEY = EXAMPLE / "demo-keys" / "ferris.key"


def make_registry_module() -> ModuleType:
    """examples/cargo-registry/make_registry.py, imported."""
    spec = importlib.util.spec_from_file_location("make_registry", EXAMPLE / "make_registry.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_demo_source(out: Path) -> Path:
    make_registry_module().make_registry(out)
    return out


def crate_bytes(entries: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A gzip tarball of ``entries`` (path -> content), plus symbolic links (path -> target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, data in entries.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for path, target in (links or {}).items():
            info = tarfile.TarInfo(path)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return gzip.compress(buffer.getvalue(), mtime=0)


def manifest_crate(name: str, version: str, manifest: str) -> bytes:
    """A crate of NAME-VERSION/ with this Cargo.toml and an empty lib.rs."""
    top = f"{name}-{version}"
    return crate_bytes({f"{top}/Cargo.toml": manifest.encode(), f"{top}/src/lib.rs": b""})


def cargo_builder(dl: str = "https://dl.example.org/{crate}/{version}") -> SourceBuilder:
    """semver_builder's registry with the cargo flavour, every crate at the dl template's URL."""
    builder = semver_builder()
    builder.registry["flavours"] = {"cargo": {"dl": dl}}
    for name, document in builder.packages.items():
        for entry in document["release"]:
            url = dl.replace("{crate}", name).replace("{version}", entry["version"])
            entry["artifact"] = [{"url": url, "sha256": "ab" * 32, "size": 10}]
    return builder


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    """``regsite ARGV...``: its exit code and everything it printed."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err
