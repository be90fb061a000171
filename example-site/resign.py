"""Re-sign example-site with its DEMO keys after editing it: python example-site/resign.py

Each file is signed with the demo key of every owner delegated to it (and registry.toml with the
demo root key), using regsite's own signing command.  Never do this with real keys in a script
kept next to the keys: real owners sign on their own machines.
"""

from __future__ import annotations

from pathlib import Path

from regsite.commands.sign import sign_file
from regsite.keys import load_private_key
from regsite.sources import SourceTree

HERE = Path(__file__).resolve().parent


def main() -> None:
    tree = SourceTree(HERE)
    registry = tree.registry()
    keys = HERE / "demo-keys"
    sign_file(tree.registry_path, load_private_key(str(keys / "root.key")))
    for name, delegation in sorted(registry.delegations.items()):
        for owner in delegation.owners:
            sign_file(tree.package_path(name), load_private_key(str(keys / f"{owner}.key")))
    for advisory in sorted((HERE / "advisories").glob("*.json")):
        sign_file(advisory, load_private_key(str(keys / "root.key")))
    print(f"signed registry.toml and {len(registry.delegations)} packages with the demo keys")


if __name__ == "__main__":
    main()
