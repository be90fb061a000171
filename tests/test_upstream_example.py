"""examples/upstream-registry: the example upstream registry, made again by its script, and
example-site with the additions that make Orchard take ``ucd`` from it (examples/upstream-registry/
README.md lists them; the lead adds them to example-site)."""

from __future__ import annotations

import filecmp
import hashlib
import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from conftest import EXAMPLE_SITE, REPO
from regsite.cli import main
from regsite.metadata.layout import METADATA_DIR

EXAMPLE = REPO / "examples" / "upstream-registry"
ROOT_SHA256 = "bc847ddf976a931039e0a5bb71ba119e7819101abf97eb911312611e604db662"

REGISTRY_ADDITION = f"""
# An upstream registry (docs/upstreams.md): seedbank, examples/upstream-registry in regsite's
# repository. Its root is pinned here by its sha256; text-utils takes ucd from it. seedbank has a
# url-parse too: Orchard's own is the one meant (shadowed), never seedbank's.
[[upstream]]
name = "seedbank"
url = "https://seedbank.example.org/"
root = {{ file = "1.root.json", sha256 = "{ROOT_SHA256}" }}
packages = ["ucd"]
shadowed = ["url-parse"]
"""

TEXT_UTILS_ADDITION = """
[[release]]
version = "1.3.0"
published = 2026-02-10T09:00:00Z
requires = { ucd = { version = ">=15.1", upstream = "seedbank" } }

[[release.artifact]]
url = "https://files.example.org/orchard/text-utils/text-utils-1.3.0.tar.gz"
sha256 = "2d6c8b1a4f3e5d7c9b0a1e2f3d4c5b6a7980e1f2a3b4c5d6e7f8091a2b3c4d5e"
size = 27311
"""


def script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def upstream_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example upstream, made from a copy and built signed (as a mirror directory)."""
    scratch = tmp_path_factory.mktemp("seedbank")
    shutil.copytree(EXAMPLE, scratch / "source")
    script(EXAMPLE / "make.py").make(scratch / "source", scratch / "site")
    return scratch / "site"


def test_the_example_upstream_is_made_again_byte_for_byte_by_its_script(tmp_path: Path) -> None:
    copy = tmp_path / "source"
    shutil.copytree(EXAMPLE, copy)
    for signature in copy.rglob("*.sig"):
        signature.unlink()
    shutil.rmtree(copy / METADATA_DIR)
    script(EXAMPLE / "make.py").make(copy)
    made = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    assert made == sorted(p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file())
    assert all(filecmp.cmp(copy / path, EXAMPLE / path, shallow=False) for path in made)
    keys = sorted(p.name for p in (EXAMPLE / "demo-keys").iterdir())
    assert keys == ["ines.key", "ola.key", "online.key", "root.key"]
    assert all("DEMO KEY" in (EXAMPLE / "demo-keys" / k).read_text() for k in keys)


def test_the_example_upstreams_site_verifies_from_its_root(
    upstream_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = EXAMPLE / METADATA_DIR / "1.root.json"
    assert hashlib.sha256(root.read_bytes()).hexdigest() == ROOT_SHA256
    assert main(["verify-site", str(upstream_site), "--root", str(root)]) == 0
    assert "3 packages' owner signatures checked" in capsys.readouterr().out


def orchard_with_seedbank(directory: Path, *, declared: bool = True) -> Path:
    """A copy of example-site with the additions, signed again with its demo keys."""
    shutil.copytree(EXAMPLE_SITE, directory)
    shadowed = 'shadowed = ["url-parse"]\n'
    addition = REGISTRY_ADDITION if declared else REGISTRY_ADDITION.replace(shadowed, "")
    with (directory / "registry.toml").open("a", encoding="utf-8") as registry:
        registry.write(addition)
    with (directory / "packages" / "text-utils" / "package.toml").open("a") as package:
        package.write(TEXT_UTILS_ADDITION)
    (directory / "upstream" / "seedbank").mkdir(parents=True)
    shutil.copy(EXAMPLE / METADATA_DIR / "1.root.json", directory / "upstream" / "seedbank")
    script(directory / "resign.py").main()
    return directory


def test_example_site_with_the_additions_takes_ucd_from_the_example_upstream_offline(
    tmp_path: Path, upstream_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, site = orchard_with_seedbank(tmp_path / "orchard"), tmp_path / "site"
    key = str(source / "demo-keys" / "online.key")
    mirror = ["--upstream-mirror", f"seedbank={upstream_site}"]
    assert main(["build", str(source), "-o", str(site), "--online-key", key, *mirror]) == 0, (
        capsys.readouterr().err
    )
    page = (site / "packages" / "text-utils" / "index.html").read_text()
    link = '<a href="https://seedbank.example.org/packages/ucd/index.html">ucd</a>'
    assert f'{link} <code>&gt;=15.1</code> <span class="muted">from seedbank</span>' in page
    document = json.loads((site / "api" / "v1" / "packages" / "text-utils.json").read_bytes())
    (newest,) = [r for r in document["releases"] if r["version"] == "1.3.0"]
    assert newest["requires"] == [{"name": "ucd", "specifier": ">=15.1", "upstream": "seedbank"}]
    pinned = site / "api" / "v1" / "sources" / "upstream" / "seedbank" / "1.root.json"
    assert hashlib.sha256(pinned.read_bytes()).hexdigest() == ROOT_SHA256


def test_example_site_without_the_shadowed_declaration_is_dependency_confusion(
    tmp_path: Path, upstream_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = orchard_with_seedbank(tmp_path / "orchard", declared=False)
    capsys.readouterr()
    assert main(["verify", str(source), "--upstream-mirror", f"seedbank={upstream_site}"]) == 1
    problem = "upstream[name=seedbank].shadowed: 'url-parse' is a package of this registry and of"
    assert problem in capsys.readouterr().err
