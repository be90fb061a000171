"""Make the example upstream registry from its text and its DEMO keys:

    .venv/bin/python examples/upstream-registry/make.py                  # sign it again
    .venv/bin/python examples/upstream-registry/make.py --site _upstream  # and build its site

Signs registry.toml with the demo root key and each package.toml with its owners' demo keys
(regsite's own signing command), and writes the first root metadata, ``metadata/1.root.json``,
when it is missing, as of a fixed moment, so that the same text and keys always give the same
bytes.  With ``--site DIR`` it then builds the signed site into DIR with the demo online key:
the directory a downstream's build reads with ``--upstream-mirror seedbank=DIR`` (its
timestamp is signed as of now, so build it again when it expires, after a day).  Never do this
with real keys in a script kept next to them: real owners sign on their own machines.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from regsite.build import BuildOptions, build
from regsite.commands.sign import sign_file
from regsite.commands.trust import write_next_root
from regsite.keys import load_private_key
from regsite.sources import SourceTree

HERE = Path(__file__).resolve().parent
ROOT_CREATED = datetime(2026, 11, 30, tzinfo=UTC)  # the first root's; it expires 3650 days on


def make(source: Path, site: Path | None = None) -> None:
    """Sign ``source`` (a copy of this directory) with its demo keys; build it into ``site``."""
    tree = SourceTree(source)
    keys = source / "demo-keys"
    root_key = load_private_key(str(keys / "root.key"))
    sign_file(tree.registry_path, root_key)
    registry = tree.registry()
    for name, delegation in sorted(registry.delegations.items()):
        for owner in delegation.owners:
            sign_file(tree.package_path(name), load_private_key(str(keys / f"{owner}.key")))
    if not (source / "metadata" / "1.root.json").exists():
        write_next_root(tree, [root_key], ROOT_CREATED)
    if site is not None:
        online_key = load_private_key(str(keys / "online.key"))
        build(BuildOptions(source=source, output=site, online_key=online_key))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, metavar="DIR", help="also build the signed site")
    args = parser.parse_args(argv)
    make(HERE, args.site)
    built = f"; built its site into {args.site}" if args.site else ""
    print(f"signed examples/upstream-registry with its demo keys{built}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
