"""Fuzzing every reader: whatever the bytes, a RegistryError or a result, never a traceback.

Each reader gets a real file of the kind it reads (from hostilesite's small signed registry),
mutated: a value replaced by a hostile one (deep, huge, null, of the wrong type, unprintable),
a line inserted, the text cut short, or other bytes altogether.

The budget is a hypothesis profile.  ``regsite-quick`` runs with every ``python3 dev.py test``;
``.ci/run`` sets ``REGSITE_FUZZ_PROFILE=regsite-ci`` for ten times as many examples.  Both are
derandomized (the same examples on every run, so CI is reproducible) and have a deadline per
example, so a reader that turns slow on some input fails here too.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostilesite import DEEP, ENCODINGS, MORE, TOML, Trees, make_trees
from regsite.build import BuildOptions, inspect_source, read_model
from regsite.client.lockfile import read_lock
from regsite.client.registry import RemoteRegistry
from regsite.commands.search import dump_found, found_text, search_site
from regsite.errors import BuildError, ErrorReport, RegistryError
from regsite.load import LoadedFile, LoadedPackage
from regsite.metadata.envelope import read_signed_file
from regsite.metadata.roles import Role, Root
from regsite.metadata.root import read_trusted_root
from regsite.model import Site
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.render.api import dump_json
from regsite.report import PreviousOutput, compare_builds, report_document, report_markdown
from regsite.signatures import parse_signature_file

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "regsite-quick",
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=_HEALTH,
)
settings.register_profile(
    "regsite-ci",
    max_examples=600,
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=5),
    suppress_health_check=_HEALTH,
)
FUZZ = settings.get_profile(os.environ.get("REGSITE_FUZZ_PROFILE", "regsite-quick"))


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    return make_trees(tmp_path_factory.mktemp("fuzz"))


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
_DEPTHS = st.sampled_from([1, 2, 20, 400, 990, 2000, DEEP * 10])


@st.composite
def hostile_json(draw: st.DrawFn) -> str:
    """The JSON text of one hostile value."""
    leaf = draw(_JSON_SCALAR | _JSON_RAW)
    if not draw(st.booleans()):
        return leaf
    if draw(st.booleans()):
        return nested("[", "]", draw(_DEPTHS), leaf)
    return nested('{"a":', "}", draw(_DEPTHS), leaf)


_HOLE = "\x00hole\x00"


@st.composite
def mutated_json(draw: st.DrawFn, document: Any) -> bytes:
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
    st.integers(1, 300).map(lambda depth: nested("{" + "a." * 30 + "a = ", "}", depth, "1")),
)
_TOML_KEY = st.one_of(
    st.sampled_from(["format", "name", "version", "description", "sig", "key", "release"]),
    st.sampled_from(['"\\u001b[31m"', '"a\\nb"', '"\\u202e"', "'x'"]),
    st.integers(2, 40).map(lambda parts: ".".join(["a"] * parts)),
    st.just(".".join(["a"] * DEEP)),
)


@st.composite
def mutated_toml(draw: st.DrawFn, text: str) -> bytes:
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


# The readers ------------------------------------------------------------------------------------


def assert_clean(error: RegistryError) -> None:
    for line in str(error).splitlines():
        assert line.isprintable(), repr(line)


SOURCE_FILES = [
    "registry.toml",
    "registry.toml.sig",
    "packages/alpha/package.toml",
    "packages/alpha/package.toml.sig",
]


@FUZZ
@given(data=st.data(), path=st.sampled_from(SOURCE_FILES))
def test_source_readers_never_raise(trees: Trees, data: st.DataObject, path: str) -> None:
    content = data.draw(mutated_toml((trees.source / path).read_text()))
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        _copy_source(trees.source, source)
        (source / path).unlink()  # a hard link to the module's source
        (source / path).write_bytes(content)
        inspection = inspect_source(source)
        if inspection.report:
            assert_clean(BuildError(list(inspection.report), str(source)))


def _copy_source(source: Path, destination: Path) -> None:
    for file in source.rglob("*"):
        if file.is_file():
            target = destination / file.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(file, target)


@FUZZ
@given(data=st.data())
def test_root_metadata_in_the_source_never_raises(trees: Trees, data: st.DataObject) -> None:
    document = json.loads(trees.root_file.read_bytes())
    content = data.draw(mutated_json(document))
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        _copy_source(trees.source, source)
        (source / "metadata" / "1.root.json").unlink()
        (source / "metadata" / "1.root.json").write_bytes(content)
        inspection = inspect_source(source)
        if inspection.report:
            assert_clean(BuildError(list(inspection.report)))


METADATA = {
    Role.ROOT: "metadata/1.root.json",
    Role.TIMESTAMP: "metadata/timestamp.json",
    Role.SNAPSHOT: "metadata/1.snapshot.json",
    Role.TARGETS: "metadata/1.targets.json",
}


@FUZZ
@given(data=st.data(), role=st.sampled_from(list(METADATA)))
def test_metadata_reader_never_raises(trees: Trees, data: st.DataObject, role: Role) -> None:
    document = json.loads((trees.site / METADATA[role]).read_bytes())
    content = data.draw(mutated_json(document))
    try:
        read_signed_file(content, role, METADATA[role])
    except RegistryError as error:
        assert_clean(error)


PREVIOUS = ["api/v1/names.json", "api/v1/registry.json", "api/v1/packages/alpha.json"]


@FUZZ
@given(data=st.data(), path=st.sampled_from(PREVIOUS))
def test_previous_output_reader_never_raises(trees: Trees, data: st.DataObject, path: str) -> None:
    content = data.draw(mutated_json(json.loads((trees.site / path).read_bytes())))
    with tempfile.TemporaryDirectory() as scratch:
        previous = Path(scratch)
        for name in PREVIOUS:
            (previous / name).parent.mkdir(parents=True, exist_ok=True)
            (previous / name).write_bytes((trees.site / name).read_bytes())
        (previous / path).write_bytes(content)
        changes = compare_builds(_site(trees), PreviousOutput(previous, {PREVIOUS[2]}))
    dump_json(report_document(changes))  # the report is written as UTF-8 JSON
    assert report_markdown(changes, "fuzz").encode("utf-8")


@cache
def _site_of(source: Path) -> Site:
    return read_model(BuildOptions(source=source, output=source / "unused"))[0]


def _site(trees: Trees) -> Site:
    return _site_of(trees.source)


SEARCH = [
    "search/manifest.json",
    "search/terms/0.json",
    "search/names/0.json",
    "search/typos/0.json",
    "search/records/0.json",
]


@FUZZ
@given(
    data=st.data(),
    path=st.sampled_from(SEARCH),
    query=st.sampled_from(["alpha", "alphx", "test", "b"]),
)
def test_search_reader_never_raises(
    trees: Trees, data: st.DataObject, path: str, query: str
) -> None:
    content = data.draw(mutated_json(json.loads((trees.site / path).read_bytes())))
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch)
        for name in SEARCH:
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_bytes((trees.site / name).read_bytes())
        (site / path).write_bytes(content)
        try:
            found = search_site(str(site), query, 20)
        except RegistryError as error:
            assert_clean(error)
            return
    assert all(line.isprintable() for line in found_text(found).splitlines())
    assert dump_found(found).isascii()


@dataclass(frozen=True, slots=True)
class ServedTargets:
    """What the TUF updater would hand RemoteRegistry: the site's targets, one of them hostile."""

    root: Root
    files: dict[str, bytes]

    def fetch_target(self, path: str) -> bytes:
        return self.files[path]


CLIENT = ["api/v1/packages/alpha.json"]
CLIENT_TOML = [
    "api/v1/sources/registry.toml",
    "api/v1/sources/registry.toml.sig",
    "api/v1/sources/alpha/package.toml",
    "api/v1/sources/alpha/package.toml.sig",
]


@FUZZ
@given(data=st.data(), path=st.sampled_from(CLIENT + CLIENT_TOML))
def test_client_readers_never_raise(trees: Trees, data: st.DataObject, path: str) -> None:
    """What a compromised build signs reaches these readers with every signature valid."""
    files = {name: (trees.site / name).read_bytes() for name in CLIENT + CLIENT_TOML}
    files[path] = data.draw(
        mutated_json(json.loads(files[path]))
        if path in CLIENT
        else mutated_toml(files[path].decode())
    )
    root = read_trusted_root(trees.root_file.read_bytes(), "1.root.json")
    registry = RemoteRegistry(ServedTargets(root, files))
    try:
        registry.package("alpha")
    except RegistryError as error:
        assert_clean(error)


LOCK = """lock-version = 1
registry = "https://registry.example.org/"
requirements = ["alpha>=1"]

[[package]]
name = "alpha"
version = "1.0"

[[package.artifact]]
url = "https://f.example.org/a.tgz"
sha256 = "{sha}"
size = 10
""".format(sha="0" * 64)


@FUZZ
@given(data=st.data())
def test_lockfile_reader_never_raises(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        lock = Path(scratch) / "regsite.lock"
        lock.write_bytes(data.draw(mutated_toml(LOCK)))
        try:
            read_lock(lock)
        except RegistryError as error:
            assert_clean(error)


# The model readers on parsed documents, as before ------------------------------------------------

KEYS = [
    "format", "registry", "trust", "owners", "packages", "package", "release", "name", "title",
    "description", "base-url", "install", "version-scheme", "root-keys", "root-threshold", "keys",
    "url", "owners", "threshold", "license", "keywords", "homepage", "readme", "file", "sha256",
    "status", "status-reason", "version", "published", "requires", "artifact", "size", "alpha",
]  # fmt: skip

scalars = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["1.0", ">=1", "*", "https://e.org/x", "ed25519:" + "A" * 43 + "=", "a" * 64]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),
    st.dates(),
    st.times(),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=30,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def loaded(document: dict[str, Any]) -> LoadedFile:
    return LoadedFile(
        path="x.toml",
        content=b"",
        document=document,
        signature_path="x.toml.sig",
        signature_content=None,
        signatures=(),
    )


@FUZZ
@given(documents)
def test_registry_reader_never_raises(document: dict[str, Any]) -> None:
    read_registry(loaded(document), ErrorReport())


@FUZZ
@given(documents, st.one_of(st.none(), st.binary(max_size=40)))
def test_package_reader_never_raises(document: dict[str, Any], readme: bytes | None) -> None:
    read_package(
        LoadedPackage(name="alpha", index=loaded(document), readme=readme), None, ErrorReport()
    )


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_signature_file_parser_never_raises(data: bytes) -> None:
    parse_signature_file(data)


def test_known_awkward_shapes_are_reported() -> None:
    report = ErrorReport()
    document = {
        "format": 1,
        "package": {"name": "alpha", "description": "x", "readme": "README.md"},
        "release": {"version": "1.0"},
    }
    read_package(LoadedPackage(name="alpha", index=loaded(document), readme=None), None, report)
    messages = {problem.key: problem.message for problem in report}
    assert messages["package.readme"].startswith("expected a table")
    assert messages["release"].startswith("expected an array of tables")
