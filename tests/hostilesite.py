"""A small signed registry and the hostile bytes fed to every reader of it.

tests/test_hostile_readers.py puts each payload where one reader reads, and tests/test_fuzz.py
generates more of them with hypothesis.  The trees are small on purpose (two packages, one
targets role): each hostile case copies one and builds, searches or verifies it.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from builder import SourceBuilder, fixed_key
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.build import BuildOptions, build, read_model, render_site, write_output
from regsite.commands.trust import write_next_root
from regsite.model import Registry
from regsite.render import Output
from regsite.search.tokenizer import TOKENIZER_ID
from regsite.sources import SourceTree

ONLINE_KEY_FILE = EXAMPLE_SITE / "demo-keys" / "online.key"  # the DEMO online key
DEEP = 10_000  # levels: far past Python's recursion limit of 1,000


@dataclass(frozen=True, slots=True)
class Trees:
    """A signed source directory, its signed build, and what republishing it needs."""

    source: Path  # registry.toml with online keys, packages alpha and beta, metadata/1.root.json
    site: Path
    output: Output  # the site's files before signing: tamper, then republish()
    registry: Registry

    @property
    def root_file(self) -> Path:
        return self.source / "metadata" / "1.root.json"


def make_trees(directory: Path) -> Trees:
    builder = SourceBuilder()
    builder.registry["trust"]["online-keys"] = [str(DEMO_ONLINE_KEY.public)]
    source = builder.write(directory / "source")
    write_next_root(SourceTree(source), [fixed_key("root")], datetime.now(UTC))
    site = directory / "site"
    build(BuildOptions(source=source, output=site, online_key=DEMO_ONLINE_KEY))
    model, packages = read_model(BuildOptions(source=source, output=site))
    return Trees(source, site, render_site(model, packages), model.registry)


def copy_tree(tree: Path, destination: Path, *, link: bool = False) -> Path:
    """A copy to tamper with; with ``link``, of hard links (replace a file, never write to it)."""
    shutil.copytree(
        tree, destination, symlinks=True, copy_function=os.link if link else shutil.copy2
    )
    return destination


def republish(trees: Trees, site: Path, path: str, content: bytes) -> None:
    """Sign ``site`` afresh with ``path`` holding ``content``: what a compromised build (or its
    online key) can publish, and every signature check then passes."""
    output = dict(trees.output)
    output[path] = content
    write_output(output, site, signed=(trees.registry, DEMO_ONLINE_KEY, datetime.now(UTC)))


_DEEP_TABLE = b"{" + b"a." * 30 + b"a = " + (b"{" + b"a." * 30 + b"a = ") * 299 + b"1" + b"}" * 300


def _deep_json(key: str, leaf: str, depth: int = DEEP) -> bytes:
    return (f'{{"{key}":' * depth + leaf + "}" * depth).encode()


# Each payload is written in place of one file: every reader gets the encodings, a reader of
# TOML the TOML ones, a reader of JSON the JSON ones, and a reader of text all of them.
ENCODINGS: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "utf-8-bom": b'\xef\xbb\xbfformat = 1\n{"format": 1}',
}
TOML: dict[str, bytes] = {
    "deep-dotted-key": b"format = 1\n" + b".".join([b"a"] * DEEP) + b' = "x"\n',
    # Where a string is expected, a table 9,300 deep: inline tables of 31-part dotted keys.
    "deep-table": b"format = 1\n[registry]\ntitle = %s\n[package]\ndescription = %s\n"
    % (_DEEP_TABLE, _DEEP_TABLE),
    "huge-integer-toml": b"format = " + b"9" * 5000 + b"\n",
    "control-characters-toml": (
        b'format = 1\n"\\u001b[31mred" = 1\n"fake\\nerror: line" = 2\n"\\u202eevil" = 3\n'
        b'[package]\nname = "\\u001b]0;title\\u0007"\n"\\u0085" = "\\u001b[0m"\n'
    ),
}
JSON: dict[str, bytes] = {
    "deep-json-object": _deep_json("signed", "null"),
    "huge-integer-json": b'{"format": 1, "version": ' + b"9" * 5000 + b"}",
    # Parsed, but deeper than anything that walks it recursively could go.
    "json-nested-500": b'{"format": 1, "name": "alpha", "releases": '
    + b"[" * 500
    + b"]" * 500
    + b', "signed": '
    + _deep_json("signed", "null", 490)
    + b"}",
    "json-wrong-types": json.dumps(
        {
            "format": "1",
            "tokenizer": [[[]]],
            "terms": [1],
            "names": [None],
            "typos": {},
            "keys": None,
            "values": "x",
            "packages": 7,
            "counts": [],
            "trust": "x",
            "owners": {},
            "releases": {},
            "signed": [],
            "signatures": {},
            "api_version": [1],
        }
    ).encode(),
    "json-nulls": json.dumps(
        {
            "format": 1,
            "tokenizer": TOKENIZER_ID,
            "terms": [""],
            "names": [""],
            "typos": [None],
            "keys": [None, None],
            "values": [[None, None], None],
            "packages": [{"name": None}],
            "counts": {"packages": None},
            "trust": {"root_keys": [None]},
            "owners": [{"id": None, "keys": None}],
            "releases": [{"version": None, "status": None}],
            "signed": None,
            "signatures": [None],
        }
    ).encode(),
    "json-null-record": b"[[null, null, null, null, null]]",
    "json-huge-numbers": b'{"format": 1, "keys": ["a"], "values": [[1e999, -1e999]], "counts":'
    b' {"packages": 1e400}, "signed": {"version": 1e400}, "x": NaN}',
    "json-lone-surrogate": b'{"format": 1, "signed": {"_type": "\\ud800"}, "packages":'
    b' [{"name": "\\udfff"}], "keys": ["\\ud800"], "values": [[0]]}',
    "control-characters-json": json.dumps(
        {"\x1b[31mred": "\n\u202e", "format": "\x1b[2J", "name": "\r\x85\u2028"}
    ).encode(),
}
KINDS = {
    "toml": ENCODINGS | TOML,
    "json": ENCODINGS | JSON,
    "text": ENCODINGS | TOML | JSON,
    "pinned": ENCODINGS,  # a file whose hash signed metadata pins: any other bytes are refused alike
}
# More shapes, for the fuzz run's explicit examples (tests/test_fuzz.py).
MORE = {
    "utf-16": 'format = 1\n{"format": 1}'.encode("utf-16"),
    "deep-toml-array": b"format = " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "deep-json-array": b"[" * DEEP * 10 + b"]" * DEEP * 10,
    "json-null": b"null",
}
