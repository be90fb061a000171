"""Model stage for registry.toml's ``[curators]``: who may amend which packages' requirements.

A curator has keys, like an owner, and a scope: the package names it may amend, written as names
or as prefixes ending in ``*`` (``http-*``; ``*`` alone is every package).  A prefix pattern is
the one wildcard: names are plain ASCII, so anything richer would only hide mistakes
(docs/curation.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from regsite.fields import Fields
from regsite.keys import PublicKey, parse_public_key
from regsite.model import Curator, Owner
from regsite.names import name_problem

__all__ = ["MAX_SCOPE", "read_curators", "scope_problem"]

MAX_SCOPE = 1000  # names and patterns per curator
# A name's start, then '*': what a prefix pattern may be (a name may end in '-' only here).
_PREFIX = re.compile(r"(?:[a-z0-9][a-z0-9-]{0,62})?\*")


def scope_problem(pattern: str) -> str | None:
    """Why ``pattern`` is not a package name or a prefix pattern; None when it is one."""
    if "*" in pattern:
        if _PREFIX.fullmatch(pattern) is None or "--" in pattern:
            return (
                f"expected a package name or a prefix ending in '*' (such as 'http-*' or '*'),"
                f" found {pattern[:80]!r}"
            )
        return None
    problem = name_problem(pattern)
    return None if problem is None else f"package {problem}"


def read_curators(
    table: Fields | None, owners: Mapping[str, Owner], revoked: frozenset[PublicKey]
) -> dict[str, Curator]:
    """Every ``[curators.<id>]``; problems go to the table's report."""
    curators: dict[str, Curator] = {}
    if table is None:
        return curators
    owner_of = {key: owner.id for owner in owners.values() for key in owner.keys}
    curator_of: dict[PublicKey, str] = {}
    for curator_id in sorted(table.table):
        if (problem := name_problem(curator_id)) is not None:
            table.problem(curator_id, f"curator id {problem}")
            continue
        fields = table.table_of(curator_id, required=True)
        if fields is None:
            continue
        fields.only(["name", "url", "keys", "packages"])
        keys = _keys(fields, owner_of, curator_of, curator_id, revoked)
        curators[curator_id] = Curator(
            id=curator_id,
            name=fields.text("name", max_length=100, one_line=True) or curator_id,
            url=fields.url("url"),
            keys=keys,
            scope=_scope(fields),
        )
    return curators


def _keys(
    fields: Fields,
    owner_of: Mapping[PublicKey, str],
    curator_of: dict[PublicKey, str],
    curator_id: str,
    revoked: frozenset[PublicKey],
) -> tuple[PublicKey, ...]:
    """The curator's keys: each its own, never an owner's nor a revoked one."""
    texts = fields.strings("keys")
    if not texts:
        fields.problem("keys", "missing; expected at least one key 'ed25519:<base64>'")
    keys = []
    for index, text in enumerate(texts):
        try:
            key = parse_public_key(text)
        except ValueError as exc:
            fields.problem(f"keys[{index}]", str(exc))
            continue
        if key in revoked:
            fields.problem("keys", f"{key} is listed in [trust] revoked-keys; remove it here")
        elif (owner := owner_of.get(key)) is not None:
            fields.problem(
                "keys",
                f"{key} is a key of owner {owner!r}; a curator signs with a key of its own, so"
                " that either role can be revoked alone (regsite keygen makes one)",
            )
        elif (other := curator_of.setdefault(key, curator_id)) != curator_id:
            fields.problem("keys", f"key {key} also belongs to curator {other!r}")
        keys.append(key)
    return tuple(dict.fromkeys(keys))


def _scope(fields: Fields) -> tuple[str, ...]:
    patterns = fields.strings("packages")
    if "packages" not in fields.table:
        fields.problem("packages", "missing; expected the package names (or 'prefix-*') it amends")
    elif not patterns:
        fields.problem("packages", "expected at least one package name or prefix pattern")
    if len(patterns) > MAX_SCOPE:
        fields.problem("packages", f"{len(patterns)} entries; at most {MAX_SCOPE}")
        return ()
    for index, pattern in enumerate(patterns):
        if (problem := scope_problem(pattern)) is not None:
            fields.problem(f"packages[{index}]", problem)
    return tuple(dict.fromkeys(p for p in patterns if scope_problem(p) is None))
