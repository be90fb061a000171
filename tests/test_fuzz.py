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

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tuf.api.metadata import Root, Snapshot, Targets, Timestamp

from hostilesite import Hostile, Trees, make_trees, mutated_json, mutated_toml
from regsite.assemble import Site
from regsite.build import BuildOptions, check_source, read_site
from regsite.cli.search import found_text
from regsite.client.lockfile import read_lock
from regsite.client.registry import RemoteRegistry
from regsite.commands.search import SearchOptions, dump_found, search_site
from regsite.errors import BuildError, ErrorReport, RegistryError
from regsite.load import LoadedFile, LoadedPackage
from regsite.metadata.envelope import read_metadata, verify_role
from regsite.metadata.layout import METADATA_DIR
from regsite.metadata.root import read_trusted_root, root_file_name, verify_root_history
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.render.api import dump_json
from regsite.report import PreviousOutput, compare_builds, report_document, report_markdown
from regsite.signatures import parse_signature_file
from regsite.versions import PEP440, SEMVER, VersionScheme

_COMMON = settings(
    derandomize=True,  # the same examples on every run: CI is reproducible
    database=None,  # nothing remembered between runs either
    deadline=timedelta(seconds=5),  # per example; an honest one takes milliseconds
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # The explain phase re-runs a failure under a tracer that swallows RecursionError, which
    # turns a stack overflow found here into a "flaky strategy" error instead of its traceback.
    phases=[phase for phase in Phase if phase is not Phase.explain],
)
settings.register_profile("regsite-quick", _COMMON, max_examples=60)
settings.register_profile("regsite-ci", _COMMON, max_examples=600)
FUZZ = settings.get_profile(os.environ.get("REGSITE_FUZZ_PROFILE", "regsite-quick"))


# The readers ------------------------------------------------------------------------------------


def _make_trees() -> tuple[Trees, Site]:
    directory = Path(tempfile.mkdtemp(prefix="regsite-fuzz-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    made = make_trees(directory)
    return made, read_site(BuildOptions(source=made.source, output=made.site))


# The small signed registry every mutation starts from, and its model.  Made at import, outside
# any example: made inside the first one (it draws on ``random``), it made that example differ
# from the others, and hypothesis reported a flaky test instead of the failure.
TREES, SITE = _make_trees()


def trees() -> Trees:
    return TREES


def site_model() -> Site:
    return SITE


def json_of(tree: str) -> Callable[[str], st.SearchStrategy[Hostile]]:
    return lambda path: mutated_json(json.loads((getattr(trees(), tree) / path).read_bytes()))


def toml_of(tree: str) -> Callable[[str], st.SearchStrategy[Hostile]]:
    return lambda path: mutated_toml((getattr(trees(), tree) / path).read_text())


def files(
    paths: Sequence[str], mutate: Callable[[str], st.SearchStrategy[Hostile]]
) -> st.SearchStrategy[tuple[str, Hostile]]:
    """A path and a mutation of its file.  The strategy is fixed before the test runs (no
    ``st.data()``): with draws inside the test, a failure here was reported as flaky."""
    return st.deferred(
        lambda: st.sampled_from(paths).flatmap(lambda path: st.tuples(st.just(path), mutate(path)))
    )


def assert_clean(error: RegistryError) -> None:
    for line in str(error).splitlines():
        assert line.isprintable(), repr(line)


def copy_with(
    tree: Path, destination: Path, path: str, content: bytes, only: Sequence[str] = ()
) -> Path:
    """``tree`` (or just its files ``only``) as hard links, but for ``path``: ``content``."""
    if only:
        for name in only:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            os.link(tree / name, destination / name)
    else:
        shutil.copytree(tree, destination, copy_function=os.link)
    (destination / path).unlink(missing_ok=True)
    (destination / path).write_bytes(content)
    return destination


SOURCE = [
    "registry.toml",
    "registry.toml.sig",
    "packages/alpha/package.toml",
    "packages/alpha/package.toml.sig",
]


@FUZZ
@given(files(SOURCE, toml_of("source")) | files(["metadata/1.root.json"], json_of("source")))
def test_source_readers_never_raise(case: tuple[str, Hostile]) -> None:
    path, hostile = case
    with tempfile.TemporaryDirectory() as scratch:
        source = copy_with(trees().source, Path(scratch) / "source", path, hostile.content)
        checked = check_source(BuildOptions(source=source, output=Path(scratch) / "out"))
        if checked.report:
            assert_clean(BuildError(list(checked.report), str(source)))


METADATA: dict[str, type[Timestamp | Snapshot | Targets]] = {
    "metadata/timestamp.json": Timestamp,
    "metadata/1.snapshot.json": Snapshot,
    "metadata/1.targets.json": Targets,
}


def newest_root(site: Path) -> Root:
    """The root that signs the site's online roles: the last of its root history."""
    history = []
    while (path := site / METADATA_DIR / root_file_name(len(history) + 1)).is_file():
        history.append(path.read_bytes())
    return verify_root_history(history)[-1]


SITE_ROOT = newest_root(TREES.site)


@FUZZ
@given(files(["metadata/1.root.json"], json_of("site")))
def test_root_reader_never_raises(case: tuple[str, Hostile]) -> None:
    path, hostile = case
    try:
        read_trusted_root(hostile.content, path)
    except RegistryError as error:
        assert_clean(error)


@FUZZ
@given(files(list(METADATA), json_of("site")))
def test_metadata_reader_never_raises(case: tuple[str, Hostile]) -> None:
    """Read as the build reads a previous site, and checked as a client checks a signature."""
    path, hostile = case
    try:
        metadata = read_metadata(hostile.content, METADATA[path], path)
        verify_role(metadata, SITE_ROOT, METADATA[path].type, path)
    except RegistryError as error:
        assert_clean(error)


PREVIOUS = ["api/v1/names.json", "api/v1/registry.json", "api/v1/packages/alpha.json"]


@FUZZ
@given(files(PREVIOUS, json_of("site")))
def test_previous_output_reader_never_raises(case: tuple[str, Hostile]) -> None:
    path, hostile = case
    with tempfile.TemporaryDirectory() as scratch:
        previous = copy_with(trees().site, Path(scratch), path, hostile.content, PREVIOUS)
        changes = compare_builds(site_model(), PreviousOutput(previous, {PREVIOUS[2]}))
    dump_json(report_document(changes))  # the report is written as UTF-8 JSON
    assert report_markdown(changes, "fuzz").encode("utf-8")


SEARCH = [
    "search/manifest.json",
    "search/terms/0.json",
    "search/names/0.json",
    "search/typos/0.json",
    "search/records/0.json",
]


@FUZZ
@given(files(SEARCH, json_of("site")), st.sampled_from(["alpha", "alphx", "test", "b"]))
def test_search_reader_never_raises(case: tuple[str, Hostile], query: str) -> None:
    path, hostile = case
    with tempfile.TemporaryDirectory() as scratch:
        site = copy_with(trees().site, Path(scratch), path, hostile.content, SEARCH)
        try:
            found = search_site(SearchOptions(site=str(site), query=query))
        except RegistryError as error:
            assert_clean(error)
            return
    assert all(line.isprintable() for line in found_text(found).splitlines())
    assert dump_found(found).isascii()


@dataclass(frozen=True, slots=True)
class ServedTargets:
    """What the TUF updater hands RemoteRegistry: the site's targets, one of them hostile."""

    root: Root
    files: dict[str, bytes]

    def fetch_target(self, path: str) -> bytes:
        return self.files[path]


CLIENT_JSON = ["api/v1/packages/alpha.json"]
CLIENT_TOML = [
    "api/v1/sources/registry.toml",
    "api/v1/sources/registry.toml.sig",
    "api/v1/sources/alpha/package.toml",
    "api/v1/sources/alpha/package.toml.sig",
]


@FUZZ
@given(files(CLIENT_JSON, json_of("site")) | files(CLIENT_TOML, toml_of("site")))
def test_client_readers_never_raise(case: tuple[str, Hostile]) -> None:
    """What a compromised build signs reaches these readers with every signature valid."""
    path, hostile = case
    served = {name: (trees().site / name).read_bytes() for name in CLIENT_JSON + CLIENT_TOML}
    served[path] = hostile.content
    root = read_trusted_root(trees().root_file.read_bytes(), "1.root.json")
    try:
        RemoteRegistry(ServedTargets(root, served)).package("alpha")
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
@given(mutated_toml(LOCK))
def test_lockfile_reader_never_raises(hostile: Hostile) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        lock = Path(scratch) / "regsite.lock"
        lock.write_bytes(hostile.content)
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


@FUZZ
@given(documents)
def test_registry_reader_never_raises(document: dict[str, Any]) -> None:
    read_registry(loaded(document), ErrorReport())


@FUZZ
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
    loaded_package = LoadedPackage(name="alpha", index=loaded(document), readme=None)
    read_package(loaded_package, None, report, scheme=PEP440)
    messages = {problem.key: problem.message for problem in report}
    assert messages["package.readme"].startswith("expected a table")
    assert messages["release"].startswith("expected an array of tables")
