"""The cargo demo registry (examples/cargo-registry/) made for tests, and crates made to order."""

from __future__ import annotations

import gzip
import importlib.util
import io
import tarfile
from pathlib import Path
from types import ModuleType

from conftest import REPO

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
