"""Real cargo against regsite-built sparse indexes served by ``regsite serve`` on 127.0.0.1.

``CARGO_HOME`` is a fresh directory and the consumers depend on nothing from crates.io, so
nothing leaves the machine.  Without cargo these tests skip, unless REGSITE_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import SourceBuilder, release
from cargosite import DEMO_ONLINE_KEY, EXAMPLE, make_demo_source
from conftest import require_tool, serving
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.keys import load_private_key
from test_version_schemes import VECTORS

pytestmark = pytest.mark.slow
DEMO_ROOT_KEY = EXAMPLE / "demo-keys" / "root.key"


@dataclass(frozen=True, slots=True)
class Cargo:
    program: str
    home: Path  # CARGO_HOME, fresh

    def run(self, directory: Path, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.program, *argv],
            cwd=directory,
            env={"CARGO_HOME": str(self.home), "PATH": str(Path(self.program).parent)},
            capture_output=True,
            text=True,
            timeout=300,
        )


SPARSE_SINCE = (1, 68)  # the first cargo that reads sparse registries without -Z


@pytest.fixture
def cargo(tmp_path: Path) -> Cargo:
    program = require_tool("cargo", str(Path.home() / ".cargo" / "bin" / "cargo"))
    version = subprocess.run([program, "--version"], capture_output=True, text=True, check=True)
    found = tuple(int(part) for part in version.stdout.split()[1].split(".")[:2])
    if found < SPARSE_SINCE:
        message = f"{version.stdout.strip()} cannot read sparse registries (1.68 or newer can)"
        if os.environ.get("REGSITE_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return Cargo(program, tmp_path / "cargo-home")


@contextmanager
def build_served(source: Path, out: Path, signed: bool = False) -> Iterator[str]:
    """Build ``source`` into ``out``, serve it, and build again with the server's URL as the
    base URL (cargo's dl must be absolute); yields that URL."""
    key = load_private_key(str(DEMO_ONLINE_KEY)) if signed else None
    build(BuildOptions(source=source, output=out, online_key=key))
    with serving(out) as url:
        build(BuildOptions(source=source, output=out, base_url=url + "/", online_key=key))
        yield url


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The demo registry, built signed and served: (site directory, base URL)."""
    source = make_demo_source(tmp_path / "source")
    with build_served(source, tmp_path / "site", signed=True) as url:
        yield tmp_path / "site", url


def demo_consumer(directory: Path, url: str, dependencies: str) -> Path:
    return consumer(directory, "demo-crates", f"{url}/cargo/", dependencies)


def consumer(directory: Path, registry: str, index: str, dependencies: str) -> Path:
    """A library crate that depends on ``dependencies`` (Cargo.toml lines) of one registry."""
    (directory / "src").mkdir(parents=True)
    (directory / "src" / "lib.rs").write_text("")
    (directory / ".cargo").mkdir()
    (directory / ".cargo" / "config.toml").write_text(
        f'[registries.{registry}]\nindex = "sparse+{index}"\n'
    )
    (directory / "Cargo.toml").write_text(
        '[package]\nname = "consumer"\nversion = "0.1.0"\nedition = "2021"\n\n'
        f"[dependencies]\n{dependencies}"
    )
    return directory


def locked(directory: Path) -> dict[str, str]:
    lock = tomllib.loads((directory / "Cargo.lock").read_text())
    return {p["name"]: p["version"] for p in lock["package"] if p["name"] != "consumer"}


def test_cargo_fetches_two_crates_and_the_one_they_depend_on(
    cargo: Cargo, demo: tuple[Path, str], tmp_path: Path
) -> None:
    _, url = demo
    deps = (
        'stem = { version = "1", registry = "demo-crates" }\n'
        'bloom = { version = "0.3", registry = "demo-crates", features = ["tall"] }\n'
    )
    project = demo_consumer(tmp_path / "consumer", url, deps)
    (project / "src" / "lib.rs").write_text(
        "pub fn total() -> u32 { stem::stem() + bloom::petals() + bloom::height() }\n"
    )
    result = cargo.run(project, "generate-lockfile")
    assert result.returncode == 0, result.stderr
    # leaf 1.2.0 is yanked: stem's "^1.0" gets 1.1.0; bloom's dev-dependency is not locked.
    assert locked(project) == {"bloom": "0.3.0", "leaf": "1.1.0", "stem": "1.0.0"}
    lock = (project / "Cargo.lock").read_text()
    assert f'source = "sparse+{url}/cargo/"' in lock
    result = cargo.run(project, "fetch")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Downloaded ") == 3
    result = cargo.run(project, "build", "--offline")
    assert result.returncode == 0, result.stderr


def test_cargo_does_not_select_a_yanked_version(
    cargo: Cargo, demo: tuple[Path, str], tmp_path: Path
) -> None:
    _, url = demo
    project = demo_consumer(
        tmp_path / "c", url, 'leaf = { version = ">=1.2", registry = "demo-crates" }\n'
    )
    result = cargo.run(project, "generate-lockfile")
    assert result.returncode != 0
    assert 'failed to select a version for the requirement `leaf = ">=1.2"`' in result.stderr
    assert "version 1.2.0 is yanked" in result.stderr


def test_cargo_resolves_with_a_curators_upper_bound_from_the_index(
    cargo: Cargo, tmp_path: Path
) -> None:
    """stem 1.0.0 requires leaf ^1.0; a curator bounds it below 1.1.0: cargo, reading only the
    index, locks leaf 1.0.0 where it locked 1.1.0 (docs/curation.md)."""
    source = make_demo_source(tmp_path / "source")
    keys = source.parent / "keys"
    assert main(["keygen", str(keys / "ci.key")]) == 0
    public = str(load_private_key(str(keys / "ci.key")).public)
    root = str(DEMO_ROOT_KEY)
    declared = ["curator", "add", "ci", "--name", "CI", "--key", public, "--package", "stem"]
    assert main([*declared, "-C", str(source), "--sign", root]) == 0
    bound = ["curate", "add", "stem", "--releases", "*", "--dependency", "leaf"]
    bound += ["--upper-bound", "1.1.0", "--kind", "build", "--reason", "leaf 1.1 breaks stem"]
    assert main([*bound, "-C", str(source), "--sign", str(keys / "ci.key")]) == 0
    with build_served(source, tmp_path / "site") as url:
        index = (tmp_path / "site" / "cargo" / "st" / "em" / "stem").read_text()
        assert json.loads(index)["deps"][0]["req"] == "^1.0, <1.1.0"
        project = demo_consumer(
            tmp_path / "c", url, 'stem = { version = "1", registry = "demo-crates" }\n'
        )
        result = cargo.run(project, "generate-lockfile")
    assert result.returncode == 0, result.stderr
    assert locked(project) == {"leaf": "1.0.0", "stem": "1.0.0"}


def test_cargo_refuses_a_damaged_crate_by_its_cksum(
    cargo: Cargo, demo: tuple[Path, str], tmp_path: Path
) -> None:
    site, url = demo
    project = demo_consumer(
        tmp_path / "c", url, 'stem = { version = "1", registry = "demo-crates" }\n'
    )
    assert cargo.run(project, "generate-lockfile").returncode == 0
    (crate,) = (site / "files" / "stem").glob("*/stem-1.0.0.crate")
    damaged = bytearray(crate.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    crate.write_bytes(bytes(damaged))
    result = cargo.run(project, "fetch")
    assert result.returncode != 0
    assert "failed to verify the checksum of `stem v1.0.0" in result.stderr


def test_cargo_agrees_with_every_vector_through_a_regsite_sparse_index(
    cargo: Cargo, tmp_path: Path
) -> None:
    """Each vector's version is the one release of its own package; a consumer that requires
    every matching vector must lock exactly those versions, and each other vector alone must
    fail to resolve."""
    builder = SourceBuilder()
    builder.registry["registry"]["version-scheme"] = "semver"
    dl = "https://crates.invalid/{crate}/{version}"  # resolving never downloads
    builder.registry["flavours"] = {"cargo": {"dl": dl}}
    builder.packages.clear()
    builder.registry["packages"].clear()
    for number, (_, _, version, _) in enumerate(VECTORS):
        name = f"probe-{number}"
        url = dl.replace("{crate}", name).replace("{version}", version)
        entry = release(name, version)
        entry["artifact"] = [{"url": url, "sha256": "ab" * 32, "size": 1}]
        builder.add_package(name, ["alice"], [entry])
    source = builder.write(tmp_path / "source")
    with build_served(source, tmp_path / "site") as url:
        matching = [i for i, vector in enumerate(VECTORS) if vector[3]]
        deps = "".join(
            f'probe-{i} = {{ version = {json.dumps(VECTORS[i][1])}, registry = "vectors" }}\n'
            for i in matching
        )
        project = consumer(tmp_path / "all", "vectors", f"{url}/cargo/", deps)
        result = cargo.run(project, "generate-lockfile")
        assert result.returncode == 0, result.stderr
        assert locked(project) == {f"probe-{i}": VECTORS[i][2] for i in matching}
        admitted = []
        for i, (section, requirement, _, matches) in enumerate(VECTORS):
            if matches:
                continue
            dep = f'probe-{i} = {{ version = {json.dumps(requirement)}, registry = "vectors" }}\n'
            project = consumer(tmp_path / f"v{i}", "vectors", f"{url}/cargo/", dep)
            result = cargo.run(project, "generate-lockfile")
            if result.returncode == 0:
                admitted.append(f"{section}: cargo admits {VECTORS[i][2]} for {requirement!r}")
            else:
                assert "failed to select a version" in result.stderr, result.stderr
        assert admitted == []
