"""Build small, signed registry sources for tests, with deterministic keys and dates."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tomlkit

from regsite.build import BuildOptions, check_source
from regsite.commands.sign import sign_file
from regsite.errors import ErrorReport
from regsite.keys import PrivateKey
from regsite.load import load_package
from regsite.model import Package
from regsite.scan import model_package


def fixed_key(name: str) -> PrivateKey:
    """A fixed key per name, so golden files do not change from run to run."""
    return PrivateKey(hashlib.sha256(f"regsite test key: {name}".encode()).digest())


def artifact(name: str, version: str) -> dict[str, Any]:
    filename = f"{name}-{version}.tar.gz"
    return {
        "url": f"https://files.example.org/{name}/{filename}",
        "sha256": hashlib.sha256(filename.encode()).hexdigest(),
        "size": 1000 + len(filename),
    }


def amendment(releases: str, kind: str = "build", **narrowing: Any) -> dict[str, Any]:
    """One [[amendment]]: ``narrowing`` is e.g. ``dependency="alpha", upper_bound="2.0"``."""
    return {
        "releases": releases,
        **{key.replace("_", "-"): value for key, value in narrowing.items()},
        "kind": kind,
        "reason": f"A {kind} problem, for a test.",
        "date": date(2026, 2, 1),
    }


def release(name: str, version: str, day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "version": version,
        "published": datetime(2026, 1, day, 12, 0, tzinfo=UTC),
        **extra,
        "artifact": [artifact(name, version)],
    }


README = """# beta

Beta does **things**.

| option | default |
| ------ | ------- |
| fast   | yes     |

```orchard
beta.run()
```

See [the docs](https://example.org/beta).
"""


@dataclass
class SourceBuilder:
    """A registry with owners alice and bob, packages alpha and beta (beta requires alpha)."""

    registry: dict[str, Any] = field(default_factory=dict)
    packages: dict[str, dict[str, Any]] = field(default_factory=dict)
    readmes: dict[str, bytes] = field(default_factory=dict)
    amendments: dict[str, dict[str, Any]] = field(default_factory=dict)  # by package
    amendment_signers: dict[str, list[str]] = field(default_factory=dict)  # curator ids
    root_key: str = "root"  # the fixed_key that signs registry.toml
    # advisories/<id>.json (OSV), each signed by the keys named (fixed_key names)
    advisories: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.registry = {
            "format": 1,
            "registry": {
                "name": "testreg",
                "title": "Test Registry",
                "description": "A registry for tests.",
                "base-url": "https://registry.example.org/sub/",
                "install": "tool add {name}@{version}",
            },
            "trust": {"root-keys": [str(fixed_key(self.root_key).public)], "root-threshold": 1},
            "owners": {},
            "packages": {},
        }
        self.add_owner("alice", "Alice Example")
        self.add_owner("bob", "Bob Example")
        self.add_package(
            "alpha", ["alice"], [release("alpha", "1.0.0"), release("alpha", "1.1.0", 2)]
        )
        self.add_package(
            "beta",
            ["bob"],
            [release("beta", "0.9.0", 3, requires={"alpha": ">=1.0,<2"})],
            readme=README,
        )

    def add_owner(self, owner_id: str, name: str) -> None:
        self.registry["owners"][owner_id] = {
            "name": name,
            "keys": [str(fixed_key(owner_id).public)],
        }

    def add_curator(self, curator_id: str, name: str, packages: list[str]) -> None:
        """A curator whose key is ``fixed_key(curator_id)``, in scope of ``packages``."""
        curators = self.registry.setdefault("curators", {})
        key = str(fixed_key(curator_id).public)
        curators[curator_id] = {"name": name, "keys": [key], "packages": packages}

    def amend(self, package: str, *entries: dict[str, Any], signers: tuple[str, ...]) -> None:
        """``amendments/<package>/amendments.toml`` with ``entries``, signed by ``signers``."""
        self.amendments[package] = {"format": 1, "package": package, "amendment": list(entries)}
        self.amendment_signers[package] = list(signers)

    def add_package(
        self,
        name: str,
        owners: list[str],
        releases: list[dict[str, Any]],
        readme: str | None = None,
        **meta: Any,
    ) -> None:
        self.registry["packages"][name] = {"owners": owners}
        package: dict[str, Any] = {
            "name": name,
            "description": f"The {name} package.",
            "license": "MIT",
            "keywords": ["testing"],
            "homepage": f"https://example.org/{name}",
            **meta,
        }
        self.readmes.pop(name, None)  # a package added again keeps no README it no longer names
        if readme is not None:
            self.readmes[name] = readme.encode()
            package["readme"] = {
                "file": "README.md",
                "sha256": hashlib.sha256(readme.encode()).hexdigest(),
            }
        self.packages[name] = {"format": 1, "package": package, "release": releases}

    def add_advisory(
        self, advisory_id: str, affected: list[dict[str, Any]], signers: tuple[str, ...] = ("root",)
    ) -> dict[str, Any]:
        """An OSV advisory naming packages of this registry (ecosystem ``PyPI:testreg``)."""
        document = {
            "schema_version": "1.7.0",
            "id": advisory_id,
            "modified": "2026-02-01T00:00:00Z",
            "published": "2026-02-01T00:00:00Z",
            "summary": f"{advisory_id}: a flaw",
            "affected": [
                {"package": {"ecosystem": "PyPI:testreg", "name": entry.pop("name")}, **entry}
                for entry in affected
            ],
        }
        self.advisories[advisory_id] = (document, signers)
        return document

    def write(self, root: Path, *, sign: bool = True) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        (root / "registry.toml").write_text(tomlkit.dumps(copy.deepcopy(self.registry)))
        for name, document in self.packages.items():
            directory = root / "packages" / name
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "package.toml").write_text(tomlkit.dumps(copy.deepcopy(document)))
            if name in self.readmes:
                (directory / "README.md").write_bytes(self.readmes[name])
        for name, document in self.amendments.items():
            directory = root / "amendments" / name
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "amendments.toml").write_text(tomlkit.dumps(copy.deepcopy(document)))
        for advisory_id, (document, _) in self.advisories.items():
            (root / "advisories").mkdir(exist_ok=True)
            content = json.dumps(document, indent=2) + "\n"
            (root / "advisories" / f"{advisory_id}.json").write_text(content)
        if sign:
            self.sign(root)
        return root

    def sign(self, root: Path) -> None:
        sign_file(root / "registry.toml", fixed_key(self.root_key))
        for name in self.packages:
            delegation = self.registry["packages"].get(name, {"owners": ["alice"]})
            for owner in delegation["owners"]:
                sign_file(root / "packages" / name / "package.toml", fixed_key(owner))
        for name, curators in self.amendment_signers.items():
            for curator in curators:
                sign_file(root / "amendments" / name / "amendments.toml", fixed_key(curator))
        for advisory_id, (_, signers) in self.advisories.items():
            for signer in signers:
                sign_file(root / "advisories" / f"{advisory_id}.json", fixed_key(signer))


SEMVER_ORDER = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0", "1.0.1"]  # SemVer item 11


def semver_builder() -> SourceBuilder:
    """:class:`SourceBuilder`'s registry with ``version-scheme = "semver"``, plus gamma, released
    as the versions of SEMVER_ORDER (listed out of order), and delta, which requires gamma and
    alpha as cargo writes requirements."""
    builder = SourceBuilder()
    builder.registry["registry"]["version-scheme"] = "semver"
    shuffled = ["1.0.1", "1.0.0-beta", "1.0.0-alpha", "1.0.0", "1.0.0-alpha.1"]
    gamma = [release("gamma", version, day) for day, version in enumerate(shuffled, start=4)]
    builder.add_package("gamma", ["alice"], gamma)
    requires = {"gamma": "~1.0.0-alpha", "alpha": "1.0"}
    builder.add_package("delta", ["bob"], [release("delta", "0.1.0", 10, requires=requires)])
    return builder


def modelled_packages(source: Path, files: Path | None = None) -> dict[str, Package]:
    """Every package of a source that builds, modelled as the build's scan models it: the
    resolver's and the lock exports' input (the build itself keeps only summaries)."""
    options = BuildOptions(source=source, output=Path(os.devnull), files=files)
    checked = check_source(options)
    checked.report.raise_if_any(str(source))
    registry = checked.catalog.registry
    found = {}
    for name in checked.catalog.summaries:
        loaded = load_package(source, name, ErrorReport(), options.limits)
        package = model_package(registry, loaded, ErrorReport(), options.limits)[1]
        assert package is not None
        found[name] = package
    return found
