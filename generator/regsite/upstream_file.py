"""Model stage for registry.toml's ``[[upstream]]`` tables: the registries this one depends on.

Each names another regsite registry, its site's URL, the root this registry pins for it (a file
in the source, covered by registry.toml's signature through its sha256), the packages taken from
it and the names it shares with this registry that it never supplies (docs/upstreams.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from regsite.fields import Fields
from regsite.model import Delegation, Upstream
from regsite.names import name_problem

__all__ = [
    "MAX_UPSTREAMS",
    "UPSTREAM_DIR",
    "read_dependency_upstream",
    "read_upstreams",
    "upstream_root_path",
]

MAX_UPSTREAMS = 16
UPSTREAM_DIR = "upstream"  # upstream/<name>/N.root.json in the source
_ROOT_FILE = re.compile(r"[1-9][0-9]{0,5}\.root\.json")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def upstream_root_path(name: str, file: str) -> str:
    """Where an upstream's pinned root lives in the source (and, below api/v1/sources/, on the
    site)."""
    return f"{UPSTREAM_DIR}/{name}/{file}"


def read_dependency_upstream(fields: Fields) -> tuple[bool, str | None]:
    """A dependency table's ``upstream = "NAME"``: (well-formed, the name or None).  Whether
    registry.toml declares it and takes the package from it is the validation's to check."""
    name = fields.text("upstream", required=False, max_length=64)
    if name is not None and (problem := name_problem(name)) is not None:
        fields.problem("upstream", f"upstream {problem}")
        return False, None
    return True, name


def read_upstreams(
    top: Fields, registry_name: str | None, delegations: Mapping[str, Delegation]
) -> tuple[Upstream, ...]:
    """Every well-formed ``[[upstream]]``; each problem is reported with its key path."""
    tables = top.tables("upstream")
    if len(tables) > MAX_UPSTREAMS:
        top.problem("upstream", f"{len(tables)} upstreams; at most {MAX_UPSTREAMS}")
        return ()
    upstreams: list[Upstream] = []
    for fields in tables:
        upstream = _upstream(fields, registry_name, delegations)
        if upstream is not None and _unique(fields, upstream, upstreams):
            upstreams.append(upstream)
    return tuple(upstreams)


def _upstream(
    fields: Fields, registry_name: str | None, delegations: Mapping[str, Delegation]
) -> Upstream | None:
    fields.only(["name", "url", "root", "packages", "shadowed"])
    name = fields.text("name", max_length=64)
    if name is not None and (problem := name_problem(name)) is not None:
        fields.problem("name", f"upstream {problem}")
        name = None
    elif name is not None and name == registry_name:
        fields.problem("name", f"{name!r} is this registry's own name; name the upstream otherwise")
    url = fields.url("url", required=True)
    root = _root(fields)
    packages = _names(fields, "packages")
    shadowed = _names(fields, "shadowed")
    _check_lists(fields, packages, shadowed, delegations)
    if name is None or url is None or root is None:
        return None
    return Upstream(
        name=name,
        url=url if url.endswith("/") else url + "/",
        root_file=upstream_root_path(name, root[0]),
        root_sha256=root[1],
        packages=packages,
        shadowed=shadowed,
    )


def _root(fields: Fields) -> tuple[str, str] | None:
    """``root = { file = "N.root.json", sha256 = "…" }``: the pinned root, beside no other."""
    entry = fields.table_of("root", required=True)
    if entry is None:
        return None
    entry.only(["file", "sha256"])
    file, sha256 = entry.text("file", max_length=20), entry.text("sha256", max_length=64)
    if file is not None and _ROOT_FILE.fullmatch(file) is None:
        entry.problem("file", f"expected a root file name such as '1.root.json', found {file!r}")
        file = None
    if sha256 is not None and _SHA256.fullmatch(sha256) is None:
        entry.problem("sha256", "expected 64 lower-case hexadecimal digits")
        sha256 = None
    return None if file is None or sha256 is None else (file, sha256)


def _names(fields: Fields, key: str) -> tuple[str, ...]:
    names = fields.strings(key)
    for index, name in enumerate(names):
        if (problem := name_problem(name)) is not None:
            fields.problem(f"{key}[{index}]", f"package {problem}")
    if len(set(names)) != len(names):
        fields.problem(key, "lists a name twice")
    return tuple(sorted({name for name in names if name_problem(name) is None}))


def _check_lists(
    fields: Fields,
    packages: tuple[str, ...],
    shadowed: tuple[str, ...],
    delegations: Mapping[str, Delegation],
) -> None:
    """A name is taken from the upstream, or shadowed, never both; a package of this registry
    is never taken (its own wins only when shadowed says so)."""
    for name in sorted(set(packages) & set(shadowed)):
        fields.problem("shadowed", f"{name!r} is also in packages: it is taken, or shadowed")
    for name in packages:
        if name in delegations:
            fields.problem(
                "packages",
                f"{name!r} is also a package of this registry ([packages]): to keep this"
                f" registry's, move it to shadowed; to take the upstream's, remove"
                f" packages/{name} and its [packages] entry",
            )


def _unique(fields: Fields, upstream: Upstream, earlier: list[Upstream]) -> bool:
    for other in earlier:
        if other.name == upstream.name:
            fields.problem("name", f"{upstream.name!r} names another [[upstream]] already")
            return False
        for name in sorted(set(other.packages) & set(upstream.packages)):
            fields.problem(
                "packages",
                f"{name!r} is taken from upstream {other.name!r} too: take it from one of them"
                f" and list it in the other's shadowed",
            )
    return True
