"""The client's resolver with markers, extras and requires-python, and its locks in pip's and
PEP 751's formats (the real installers run them in test_python_clients.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from builder import SourceBuilder, modelled_packages, release
from regsite.client.export import pylock_file, requirements_file
from regsite.client.lockfile import Lock, LockfileError, lock_from_resolution
from regsite.client.resolve import ResolutionError, parse_requirement, resolve
from regsite.model import Package, Release
from regsite.versions import PEP440
from test_python_clients import EXAMPLE

REGISTRY = "https://pkgs.example.org/"


@pytest.fixture(scope="module")
def example() -> dict[str, Package]:
    return modelled_packages(EXAMPLE)


def resolved(packages: dict[str, Package], *requirements: str) -> dict[str, str]:
    parsed = [parse_requirement(text, PEP440) for text in requirements]
    chosen = resolve(parsed, packages.__getitem__, PEP440)
    return {name: str(release.version) for name, release in chosen.items()}


def test_markers_are_evaluated_for_this_python(example: dict[str, Package]) -> None:
    assert resolved(example, "sprout") == {
        "seedling": "1.0.0",
        "sprout": "0.2.0",
        "trowel": "1.0.0",
    }


def test_an_extra_brings_its_dependencies(example: dict[str, Package]) -> None:
    assert resolved(example, "sprout[lamp]")["sunlamp"] == "1.0.0"


def test_a_yanked_release_is_chosen_only_when_pinned(example: dict[str, Package]) -> None:
    assert resolved(example, "seedling") == {"seedling": "1.0.0"}
    assert resolved(example, "seedling==1.1.0") == {"seedling": "1.1.0"}


def test_a_release_for_other_pythons_is_never_chosen(tmp_path: Path) -> None:
    builder = SourceBuilder()
    future = release("gamma", "2.0", 5, **{"requires-python": ">=9"})
    builder.add_package("gamma", ["alice"], [release("gamma", "1.0", 4), future])
    packages = modelled_packages(builder.write(tmp_path / "s"))
    assert resolved(packages, "gamma") == {"gamma": "1.0"}
    with pytest.raises(ResolutionError):
        resolved(packages, "gamma>=2")


def lock_of(packages: dict[str, Package], *requirements: str) -> tuple[Lock, dict[str, Release]]:
    parsed = [parse_requirement(text, PEP440) for text in requirements]
    chosen = resolve(parsed, packages.__getitem__, PEP440)
    return lock_from_resolution(REGISTRY, parsed, chosen, PEP440), chosen


def test_requirements_file_pins_every_package_with_every_hash(
    example: dict[str, Package],
) -> None:
    lock, _ = lock_of(example, "sprout")
    text = requirements_file(lock, f"{REGISTRY}simple/").decode()
    assert f"--index-url {REGISTRY}simple/\n" in text
    seedling = example["seedling"].releases[1]
    assert str(seedling.version) == "1.0.0"
    for artifact in seedling.artifacts:  # the wheel and the sdist
        assert f"--hash=sha256:{artifact.sha256}" in text
    assert "seedling==1.0.0 \\\n    --hash=sha256:" in text


def test_pylock_names_each_file_by_url_and_reads_back_with_packaging(
    example: dict[str, Package],
) -> None:
    lock, chosen = lock_of(example, "sprout")
    document = tomllib.loads(pylock_file(lock, chosen, f"{REGISTRY}simple/").decode())
    pylock = Pylock.from_dict(document)
    by_name = {package.name: package for package in pylock.packages}
    sprout = by_name["sprout"]
    assert str(sprout.requires_python) == ">=3.8"
    (wheel,) = sprout.wheels or ()
    assert wheel.url is not None and wheel.url.startswith(f"{REGISTRY}files/sprout/")
    assert by_name["seedling"].sdist is not None


def test_pylock_refuses_a_file_that_is_neither_wheel_nor_sdist(tmp_path: Path) -> None:
    builder = SourceBuilder()
    odd = release("gamma", "1.0")
    odd["artifact"][0]["url"] = "https://files.example.org/gamma/gamma-1.0.deb"
    builder.add_package("gamma", ["alice"], [odd])
    packages = modelled_packages(builder.write(tmp_path / "s"))
    lock, chosen = lock_of(packages, "gamma")
    with pytest.raises(LockfileError, match=r"gamma-1\.0\.deb is neither a wheel nor an sdist"):
        pylock_file(lock, chosen, None)
