"""A small signed registry and the hostile bytes fed to every reader of it.

tests/test_hostile_readers.py puts each payload where one reader reads, and tests/test_fuzz.py
mutates the registry's real files with the hypothesis strategies at the end.  The trees are
small on purpose (two packages, one targets role): each hostile case copies one and builds,
searches or verifies it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from builder import SourceBuilder, fixed_key
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.build import BuildOptions, build, build_files, read_site
from regsite.commands.trust import write_next_root
from regsite.model import Registry
from regsite.render import Output
from regsite.search.tokenizer import TOKENIZER_ID
from regsite.site_outputs import write_output
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
    options = BuildOptions(source=source, output=site)
    return Trees(source, site, build_files(options), read_site(options).registry)


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
# More shapes, which the fuzz run draws from besides (tests/test_fuzz.py).
MORE = {
    "utf-16": 'format = 1\n{"format": 1}'.encode("utf-16"),
    "deep-toml-array": b"format = " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "deep-json-array": b"[" * DEEP * 10 + b"]" * DEEP * 10,
    "json-null": b"null",
}


# Hostile values ---------------------------------------------------------------------------------


def nested(opening: str, closing: str, depth: int, leaf: str) -> str:
    return opening * depth + leaf + closing * depth


_JSON_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**53 - 2, max_value=2**80),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["\x1b[31m", "a\nb", "\u202e", "\x85", "", "alpha", "1.0", "active"]),
).map(json.dumps)
_JSON_RAW = st.sampled_from(
    ["9" * 5000, "-" + "1" * 4400, "1e999", "-0.0", '"\\ud800"', '"\\udfff x"', "[]", "{}"]
)
# Depths either well inside Python's recursion limit or far past it: one near the limit parses or
# not depending on how deep the stack already is, and hypothesis would see a flaky test.
_DEPTHS = st.sampled_from([1, 2, 20, 200, DEEP * 10])


@st.composite
def hostile_json(draw: st.DrawFn) -> str:
    """The JSON text of one hostile value."""
    leaf = draw(_JSON_SCALAR | _JSON_RAW)
    if not draw(st.booleans()):
        return leaf
    if draw(st.booleans()):
        return nested("[", "]", draw(_DEPTHS), leaf)
    return nested('{"a":', "}", draw(_DEPTHS), leaf)


@dataclass(frozen=True, slots=True)
class Hostile:
    """A generated file; shown short, as a failing example can be megabytes long."""

    content: bytes

    def __repr__(self) -> str:
        return f"Hostile({len(self.content)} bytes: {self.content[:120]!r}...)"


_HOLE = "\x00hole\x00"


def mutated_json(document: Any) -> st.SearchStrategy[Hostile]:
    return _mutated_json(document).map(Hostile)


def mutated_toml(text: str) -> st.SearchStrategy[Hostile]:
    return _mutated_toml(text).map(Hostile)


@st.composite
def _mutated_json(draw: st.DrawFn, document: Any) -> bytes:
    """``document`` with one node replaced by a hostile value, cut short, or other bytes."""
    how = draw(st.sampled_from(["replace", "replace", "replace", "add", "cut", "bytes"]))
    text = json.dumps(document)
    if how == "cut":
        return text[: draw(st.integers(0, len(text)))].encode()
    if how == "bytes":
        return draw(
            st.binary(max_size=300) | st.sampled_from([*ENCODINGS.values(), *MORE.values()])
        )
    document = copy.deepcopy(document)
    parent: Any = None
    key: Any = None
    node = document
    while isinstance(node, dict | list) and node and draw(st.integers(0, 3)) > 0:
        parent, key = (
            node,
            draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node)))),
        )
        node = node[key]
    if how == "add" and isinstance(node, dict):
        node[draw(st.sampled_from(["\x1b[31m", "a\nb", "\u202e", "format", "name"]))] = _HOLE
    elif parent is None:
        document = _HOLE
    else:
        parent[key] = _HOLE
    return json.dumps(document).replace(json.dumps(_HOLE), draw(hostile_json()), 1).encode()


_TOML_VALUE = st.one_of(
    st.sampled_from(
        [
            "9" * 5000,
            "-9223372036854775809",
            "inf",
            "nan",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "1979-05-27",
            "07:32:00",
            '"\\u001b[31m"',
            '"a\\nb\\u202e"',
            '"\\ud800"',
            "'''\nx\n'''",
            "true",
            "[]",
            "{}",
        ]
    ),
    st.integers().map(str),
    st.text(max_size=20).map(json.dumps),
    _DEPTHS.map(lambda depth: nested("[", "]", depth, "1")),
    st.sampled_from([1, 5, 100]).map(lambda n: nested("{" + "a." * 30 + "a = ", "}", n, "1")),
)
_TOML_KEY = st.one_of(
    st.sampled_from(["format", "name", "version", "description", "sig", "key", "release"]),
    st.sampled_from(['"\\u001b[31m"', '"a\\nb"', '"\\u202e"', "'x'"]),
    st.integers(2, 40).map(lambda parts: ".".join(["a"] * parts)),
    st.just(".".join(["a"] * DEEP)),
)


@st.composite
def _mutated_toml(draw: st.DrawFn, text: str) -> bytes:
    """TOML ``text`` with a value replaced, a line inserted, cut short, or other bytes."""
    lines = text.split("\n")
    how = draw(st.sampled_from(["replace", "replace", "insert", "header", "cut", "bytes", "crlf"]))
    at = draw(st.integers(0, len(lines) - 1))
    if how == "replace" and " = " in lines[at]:
        lines[at] = lines[at].split(" = ", 1)[0] + " = " + draw(_TOML_VALUE)
    elif how in ("replace", "insert"):
        lines.insert(at, f"{draw(_TOML_KEY)} = {draw(_TOML_VALUE)}")
    elif how == "header":
        lines.insert(at, f"[{draw(_TOML_KEY)}]")
    elif how == "cut":
        return text[: draw(st.integers(0, len(text)))].encode()
    elif how == "bytes":
        return draw(
            st.binary(max_size=300)
            | st.sampled_from([*ENCODINGS.values(), *TOML.values(), *MORE.values()])
        )
    else:
        return text.replace("\n", "\r\n").encode()
    return "\n".join(lines).encode()
