"""Fuzzing the model readers: any TOML document gives problems, never a traceback."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from regsite.errors import ErrorReport
from regsite.load import LoadedFile, LoadedPackage
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.signatures import parse_signature_file
from regsite.versions import PEP440, SEMVER, VersionScheme

KEYS = [
    "format", "registry", "trust", "owners", "packages", "package", "release", "name", "title",
    "description", "base-url", "install", "version-scheme", "root-keys", "root-threshold", "keys",
    "url", "owners", "threshold", "license", "keywords", "homepage", "readme", "file", "sha256",
    "status", "status-reason", "version", "published", "requires", "artifact", "size", "alpha",
]  # fmt: skip

scalars = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["1.0", ">=1", "*", "https://e.org/x", "ed25519:" + "A" * 43 + "=", "a" * 64]),
    st.sampled_from(["1.0.0", "1.0.0-alpha.1+b", "^1.2", ">=1, <2", "~1.2.*", "semver", "pep440"]),
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


@settings(max_examples=300, deadline=None)
@given(documents)
def test_registry_reader_never_raises(document: dict[str, Any]) -> None:
    read_registry(loaded(document), ErrorReport())


@settings(max_examples=300, deadline=None)
@given(documents, st.one_of(st.none(), st.binary(max_size=40)), st.sampled_from([PEP440, SEMVER]))
def test_package_reader_never_raises(
    document: dict[str, Any], readme: bytes | None, scheme: VersionScheme
) -> None:
    read_package(
        LoadedPackage(name="alpha", index=loaded(document), readme=readme),
        None,
        ErrorReport(),
        scheme=scheme,
    )


@settings(max_examples=300, deadline=None)
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
    loaded_package = LoadedPackage(name="alpha", index=loaded(document), readme=None)
    read_package(loaded_package, None, report, scheme=PEP440)
    messages = {problem.key: problem.message for problem in report}
    assert messages["package.readme"].startswith("expected a table")
    assert messages["release"].startswith("expected an array of tables")
