"""Two registries for the upstream tests: ``base`` (the upstream, signed and served) and the
usual test registry, which takes ``tinyjson`` from it.

``base`` has its own root key, online key and packages; its owners are the test registry's
(alice and bob), which is allowed: owners are per registry.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from builder import SourceBuilder, fixed_key, release
from regsite.build import BuildOptions, build
from regsite.commands.trust import write_next_root
from regsite.keys import PrivateKey
from regsite.sources import SourceTree

__all__ = [
    "BASE_ONLINE_KEY",
    "base_builder",
    "build_base",
    "downstream_builder",
    "pin_base",
    "write_downstream",
]

BASE_ONLINE_KEY = fixed_key("base root online")
_ONLINE_KEYS = {"base root online": BASE_ONLINE_KEY}  # by label: the ones base_builder used
_ROOT_CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def base_builder(root_key: str = "base root", online_key: str | None = None) -> SourceBuilder:
    """The upstream: tinyjson 0.4.0 and 0.4.1, url-parse 1.0.0 (requires tinyjson), and
    widget 2.0.0 (a name the tests also give a package of the downstream).  Its online key is
    ``fixed_key(f"{root_key} online")`` unless ``online_key`` names another."""
    builder = SourceBuilder(root_key=root_key)
    builder.registry["registry"].update(
        name="base", title="Base Registry", **{"base-url": "https://base.example.org/"}
    )
    label = online_key or f"{root_key} online"
    online = _ONLINE_KEYS.setdefault(label, fixed_key(label))
    builder.registry["trust"]["online-keys"] = [str(online.public)]
    builder.registry["packages"] = {}
    builder.packages.clear()
    builder.readmes.clear()
    tinyjson = [release("tinyjson", "0.4.0", 1), release("tinyjson", "0.4.1", 2)]
    builder.add_package("tinyjson", ["alice"], tinyjson)
    requires = {"tinyjson": ">=0.4"}
    builder.add_package("url-parse", ["bob"], [release("url-parse", "1.0.0", 3, requires=requires)])
    builder.add_package("widget", ["bob"], [release("widget", "2.0.0", 4)])
    return builder


def build_base(builder: SourceBuilder, source: Path, site: Path) -> Path:
    """Write ``builder`` to ``source`` with its first root, and build it signed into ``site``
    (again: a newer snapshot, as a redeploy makes)."""
    if source.exists():
        shutil.rmtree(source / "packages")
    builder.write(source)
    if not (source / "metadata" / "1.root.json").exists():
        write_next_root(SourceTree(source), [fixed_key(builder.root_key)], _ROOT_CREATED)
    build(BuildOptions(source=source, output=site, online_key=online_key(builder)))
    return source / "metadata" / "1.root.json"


def online_key(builder: SourceBuilder) -> PrivateKey:
    """The key that signs the metadata of a registry from :func:`base_builder`."""
    (public,) = builder.registry["trust"]["online-keys"]
    return next(key for key in _ONLINE_KEYS.values() if str(key.public) == public)


def pin_base(url: str, root: Path, packages: list[str], **more: Any) -> dict[str, Any]:
    """An ``[[upstream]]`` table for base at ``url``, pinning ``root``."""
    sha256 = hashlib.sha256(root.read_bytes()).hexdigest()
    return {
        "name": "base",
        "url": url,
        "root": {"file": root.name, "sha256": sha256},
        "packages": packages,
        **more,
    }


def downstream_builder(url: str, root: Path, **more: Any) -> SourceBuilder:
    """The test registry, with app 1.0.0 requiring tinyjson>=0.4.1 from base."""
    builder = SourceBuilder()
    builder.registry["upstream"] = [pin_base(url, root, ["tinyjson"], **more)]
    requires = {"tinyjson": {"version": ">=0.4.1", "upstream": "base"}, "alpha": ">=1"}
    builder.add_package("app", ["alice"], [release("app", "1.0.0", 5, requires=requires)])
    return builder


def write_downstream(builder: SourceBuilder, source: Path, root: Path) -> Path:
    """The downstream's source, with base's pinned root in ``upstream/base/``."""
    builder.write(source)
    pinned = source / "upstream" / "base"
    pinned.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root, pinned / root.name)
    return source
