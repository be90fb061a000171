"""A curator stages a major release in opam's three steps, end to end, on a copy of a registry.

    python examples/curation/stage_major_release.py WORKDIR [--source example-site]
        [--package hue] [--version 2.0.0] [--owner-key example-site/demo-keys/kestrel.key]

WORKDIR receives a copy of the registry source (the original is never touched), a new curator
key, and the site built after each step with its build report.  Every change is made with
regsite's own commands, printed as they run:

0. a root key holder declares the curator ``orchard-ci``, who may amend every package;
1. ``regsite curate stage``: before the incompatible release, every dependent release whose
   requirement would admit it gets an upper bound, as one signed change;
2. the package's owner publishes the release: the bounded dependents keep the old versions;
3. ``regsite curate relax``: once the dependents are known to work with it, the build
   amendments are removed again (runtime ones would stay).

The keys under example-site/demo-keys are DEMO keys, published on purpose; never use them.
docs/curation.md explains the model and its threat model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CURATOR = "orchard-ci"
EPOCH = "1767268800"  # 2026-01-01T12:00:00Z: the edits' dates, the same on every run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path, help="where the copy, the key and the sites go")
    parser.add_argument("--source", type=Path, default=ROOT / "example-site")
    parser.add_argument("--package", default="hue", help="the package with a major release")
    parser.add_argument("--version", default="2.0.0", help="its incompatible release")
    parser.add_argument("--owner-key", type=Path, help="default: SOURCE/demo-keys/kestrel.key")
    options = parser.parse_args(argv)
    demo = Demo(options.workdir.resolve(), options.source.resolve())
    owner_key = options.owner_key or demo.keys / "kestrel.key"
    demo.declare_curator()
    demo.build("0-curator")
    demo.step("1. stage", ["curate", "stage", options.package, options.version, *demo.curator])
    demo.regsite("curate", "list", "-C", str(demo.source))
    demo.build("1-staged")
    demo.publish(options.package, options.version, owner_key.resolve())
    demo.build("2-published")
    demo.step("3. relax", ["curate", "relax", "--dependency", options.package, *demo.curator])
    demo.build("3-relaxed")
    print(f"\nsites and build reports are in {demo.workdir}")
    return 0


class Demo:
    def __init__(self, workdir: Path, original: Path) -> None:
        if workdir.exists() and any(workdir.iterdir()):
            raise SystemExit(f"{workdir}: expected an empty or new directory")
        self.workdir = workdir
        self.source = workdir / "source"
        shutil.copytree(original, self.source, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        self.keys = self.source / "demo-keys"
        self.curator_key = workdir / "keys" / f"{CURATOR}.key"
        self.curator = ["-C", str(self.source), "--sign", str(self.curator_key)]

    def regsite(self, *argv: str) -> str:
        shown = " ".join(arg.replace(str(self.workdir), "WORKDIR") for arg in argv)
        print(f"\n$ regsite {shown}", flush=True)
        # Builds sign a timestamp that must not have expired; the edits date what they add.
        environment = {**os.environ, **({} if argv[0] == "build" else {"SOURCE_DATE_EPOCH": EPOCH})}
        command = [sys.executable, "-m", "regsite", *argv]
        done = subprocess.run(command, env=environment, capture_output=True, text=True)
        print((done.stdout + done.stderr).rstrip().replace(str(self.workdir), "WORKDIR"))
        if done.returncode != 0:
            raise SystemExit(f"regsite {argv[0]} failed with exit status {done.returncode}")
        return done.stdout

    def step(self, title: str, argv: list[str]) -> None:
        print(f"\n## {title}")
        self.regsite(*argv)

    def declare_curator(self) -> None:
        """Step 0: a curator key of its own, and a root key holder's signed [curators] entry."""
        print("## 0. a root key holder declares the curator")
        public = self.regsite("keygen", str(self.curator_key)).split()[-1]
        root = str(self.keys / "root.key")
        name = ["--name", "Orchard CI", "--key", public, "--package", "*"]
        self.regsite("curator", "add", CURATOR, *name, "-C", str(self.source), "--sign", root)

    def publish(self, package: str, version: str, owner_key: Path) -> None:
        """Step 2: the owner adds the release and signs the package index."""
        print(f"\n## 2. the owner of {package} publishes {version}")
        artifact = f"{package}-{version}.tar.gz".encode()
        digest = hashlib.sha256(artifact).hexdigest()
        url = f"https://files.example.org/orchard/{package}/{package}-{version}.tar.gz"
        files = ["--artifact", url, "--sha256", digest, "--size", str(len(artifact))]
        self.regsite("release", "add", package, version, *files, "-C", str(self.source))
        self.regsite("sign", str(self.source / "packages" / package / "package.toml"), "--key",
                     str(owner_key))  # fmt: skip

    def build(self, name: str) -> None:
        site, report = self.workdir / "site", self.workdir / f"report-{name}.md"
        online = ["--online-key", str(self.keys / "online.key")]
        cache = ["--cache", str(self.workdir / "cache"), "--report-md", str(report), "-q"]
        self.regsite("build", str(self.source), "-o", str(site), *online, *cache)
        shutil.copytree(site, self.workdir / f"site-{name}", symlinks=True)
        print(report.read_text().rstrip())
        for line in amended_requirements(site):
            print(line)


def effective(site: Path, package: str) -> dict[str, Any]:
    """Each release of ``package`` -> its effective requirements (None: as the owner declared)."""
    document = json.loads((site / "api/v1/packages" / f"{package}.json").read_bytes())
    return {release["version"]: release.get("effective") for release in document["releases"]}


def amended_requirements(site: Path) -> list[str]:
    """``graft 0.9.0 requires hue >=0.3, amended to <2.0.0,>=0.3``, for every amended release."""
    lines = []
    for path in sorted((site / "api/v1/packages").glob("*.json")):
        document = json.loads(path.read_bytes())
        for release in document["releases"]:
            declared = {r["name"]: r["specifier"] for r in release["requires"]}
            for requirement in release.get("effective", {}).get("requires", ()):
                name, amended = requirement["name"], requirement["specifier"]
                excluded = "".join(f", !={version}" for version in requirement["excluded"])
                if amended != declared[name] or excluded:
                    lines.append(
                        f"  {path.stem} {release['version']} requires {name}"
                        f" {declared[name]}, amended to {amended}{excluded}"
                    )
    return lines or ["  no release's requirements are amended"]


if __name__ == "__main__":
    sys.exit(main())
