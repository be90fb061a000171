"""Hostile bytes in every file regsite reads: a RegistryError naming the file, never a traceback.

READERS below is the list of every reader of data, each with the file it reads, the library
call that reads it and the commands that reach it through ``regsite.cli.main``.  Every payload
of hostilesite.PAYLOADS is put in place of each file in turn.  A reader either refuses the file
(a RegistryError; exit status 1 from the CLI) or, for the previous output's JSON, which only
feeds the build report, treats it as absent and warns.  Nothing may raise anything else, and
every message is printable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from builder import SourceBuilder, fixed_key, release
from conftest import DEMO_ONLINE_KEY, serving
from hostilesite import KINDS, ONLINE_KEY_FILE, Trees, copy_tree, make_trees, republish
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.client.lockfile import read_lock
from regsite.client.registry import RemoteRegistry
from regsite.client.trust import Updater
from regsite.commands.client_state import ClientState, trust_registry
from regsite.commands.search import SearchOptions, search_site
from regsite.commands.trust import write_next_root
from regsite.commands.verify import VerifyOptions, verify_sources
from regsite.commands.verify_site import verify_site
from regsite.errors import BuildError, RegistryError
from regsite.fetch import UrlFetcher
from regsite.keys import load_private_key
from regsite.metadata.previous import DirectoryPrevious, refresh_timestamp, timestamp_period
from regsite.sources import SourceTree

QUERIES = ("alpha", "testing things", "alphx")  # a name, words, and a miss ("did you mean")


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    return make_trees(tmp_path_factory.mktemp("trees"))


@dataclass(frozen=True, slots=True)
class Case:
    """One hostile file in place: the copied tree, a scratch directory, the module's trees."""

    tree: Path
    scratch: Path
    trees: Trees
    http: str | None = None  # the tree's URL when regsite serve serves it

    def url(self) -> str:
        return self.http or self.tree.as_uri() + "/"

    def site(self) -> str:
        """What a user types: the directory, or the URL of the server."""
        return self.http or str(self.tree)


# The library calls ------------------------------------------------------------------------------


def build_and_verify(case: Case) -> None:
    verified = verify_sources(VerifyOptions(source=case.tree))
    if not verified.ok:  # as regsite verify reports it
        raise BuildError(list(verified.check.report), str(case.tree))
    build(BuildOptions(source=case.tree, output=case.scratch / "out", online_key=DEMO_ONLINE_KEY))


def build_over_previous(case: Case) -> None:
    options = BuildOptions(
        source=case.trees.source,
        output=case.scratch / "out",
        previous=case.tree,
        online_key=DEMO_ONLINE_KEY,
    )
    build(options)


def refresh(case: Case) -> None:
    previous = DirectoryPrevious(case.tree)
    period = timestamp_period(previous)
    refresh_timestamp(previous, DEMO_ONLINE_KEY, datetime.now(UTC), period)


def search(case: Case) -> None:
    for query in QUERIES:
        search_site(SearchOptions(site=case.site(), query=query))


def client(case: Case) -> None:
    pinned = case.trees.root_file.read_bytes()
    updater = Updater(case.url(), UrlFetcher(), case.scratch / "state", bootstrap=pinned)
    updater.refresh()
    registry = RemoteRegistry(updater)
    for name in ("alpha", "beta"):
        registry.document(name)  # the owner-signed package.toml, then the JSON built from it


def site_verification(case: Case) -> None:
    result = verify_site(case.url(), case.trees.root_file.read_bytes(), UrlFetcher())
    if not result.ok:
        raise RegistryError("; ".join(result.problems))


def pinned_root(case: Case) -> None:
    trust_registry(ClientState(case.scratch / "state"), case.url(), case.tree / "pinned.json")


def lockfile(case: Case) -> None:
    read_lock(case.tree / "regsite.lock")


def key_file(case: Case) -> None:
    load_private_key(str(case.tree / "online.key"))


# The same through the command line ---------------------------------------------------------------

Argv = Callable[[Case], list[list[str]]]


def source_commands(case: Case) -> list[list[str]]:
    out = str(case.scratch / "out")
    online = str(ONLINE_KEY_FILE)
    return [
        ["verify", str(case.tree)],
        ["build", str(case.tree), "-o", out, "--online-key", online],
    ]


def previous_commands(case: Case) -> list[list[str]]:
    source, out, previous = str(case.trees.source), str(case.scratch / "out"), str(case.tree)
    return [
        ["build", source, "-o", out, "--previous", previous, "--online-key", str(ONLINE_KEY_FILE)]
    ]


def refresh_commands(case: Case) -> list[list[str]]:
    return [["timestamp", "refresh", str(case.tree), "--online-key", str(ONLINE_KEY_FILE)]]


def search_commands(case: Case) -> list[list[str]]:
    return [["search", query, "--site", case.site()] for query in QUERIES]


def client_commands(case: Case) -> list[list[str]]:
    state = str(case.scratch / "state")
    root = str(case.trees.root_file)
    return [
        ["client", "trust", case.site(), "--root", root, "--state", state],
        ["client", "show", "beta", "--state", state],
        ["client", "show", "alpha", "--json", "--state", state],
    ]


def verify_site_commands(case: Case) -> list[list[str]]:
    return [["verify-site", str(case.tree), "--root", str(case.trees.root_file)]]


def pinned_root_commands(case: Case) -> list[list[str]]:
    state, root = str(case.scratch / "state"), str(case.tree / "pinned.json")
    return [
        ["client", "trust", str(case.tree), "--root", root, "--state", state],
        ["verify-site", str(case.tree), "--root", root],
    ]


def lockfile_commands(case: Case) -> list[list[str]]:
    lock, dest = str(case.tree / "regsite.lock"), str(case.scratch / "dest")
    return [["client", "download", lock, "-d", dest]]


def key_file_commands(case: Case) -> list[list[str]]:
    key = str(case.tree / "online.key")
    return [["timestamp", "refresh", str(case.tree), "--online-key", key]]


# Every reader of data ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reader:
    name: str
    tree: str  # "source" or "site": which tree the file is in
    path: str  # the file, relative to the tree
    kind: str  # "toml", "json", "text" or "pinned": which payloads it gets (hostilesite.KINDS)
    read: Callable[[Case], None]
    commands: Argv
    refuses: bool = True  # False: the file is treated as absent, with a warning
    signed: bool = False  # the hostile file is published signed by the online key
    served: bool = False  # read over HTTP from regsite serve, not from the directory


READERS = [
    # The source directory: build and verify.
    Reader("source registry.toml", "source", "registry.toml", "toml", build_and_verify, source_commands),
    Reader("source registry.toml.sig", "source", "registry.toml.sig", "toml", build_and_verify, source_commands),
    Reader("source package.toml", "source", "packages/alpha/package.toml", "toml", build_and_verify, source_commands),
    Reader("source package.toml.sig", "source", "packages/alpha/package.toml.sig", "toml", build_and_verify, source_commands),
    Reader("source README.md", "source", "packages/beta/README.md", "text", build_and_verify, source_commands),
    Reader("source root metadata", "source", "metadata/1.root.json", "json", build_and_verify, source_commands),
    # The previous output a build compares with (the build report) and continues (metadata).
    Reader("previous names.json", "site", "api/v1/names.json", "json", build_over_previous, previous_commands, refuses=False),
    Reader("previous registry.json", "site", "api/v1/registry.json", "json", build_over_previous, previous_commands, refuses=False),
    Reader("previous package JSON", "site", "api/v1/packages/alpha.json", "json", build_over_previous, previous_commands, refuses=False),
    Reader("previous build report", "site", "api/v1/build-report.json", "json", build_over_previous, previous_commands, refuses=False),
    Reader("previous timestamp", "site", "metadata/timestamp.json", "json", build_over_previous, previous_commands),
    Reader("previous snapshot", "site", "metadata/1.snapshot.json", "json", build_over_previous, previous_commands),
    Reader("previous targets", "site", "metadata/1.targets.json", "json", build_over_previous, previous_commands),
    # regsite timestamp refresh, over a published site.
    Reader("refresh timestamp", "site", "metadata/timestamp.json", "json", refresh, refresh_commands),
    Reader("refresh snapshot", "site", "metadata/1.snapshot.json", "json", refresh, refresh_commands),
    Reader("refresh root", "site", "metadata/1.root.json", "json", refresh, refresh_commands),
    Reader("refresh registry.json", "site", "api/v1/registry.json", "json", refresh, refresh_commands),
    Reader("refresh online key file", "site", "online.key", "text", key_file, key_file_commands),
    # regsite search, over a site's directory.
    Reader("search manifest", "site", "search/manifest.json", "json", search, search_commands),
    Reader("search terms shard", "site", "search/terms/0.json", "json", search, search_commands),
    Reader("search names shard", "site", "search/names/0.json", "json", search, search_commands),
    Reader("search typos shard", "site", "search/typos/0.json", "json", search, search_commands),
    # The client, over file:// URLs: what a server or the network in the middle can send...
    Reader("client timestamp", "site", "metadata/timestamp.json", "json", client, client_commands),
    Reader("client snapshot", "site", "metadata/1.snapshot.json", "pinned", client, client_commands),
    Reader("client targets", "site", "metadata/1.targets.json", "pinned", client, client_commands),
    Reader("client next root", "site", "metadata/2.root.json", "json", client, client_commands),
    Reader("client pinned root", "site", "pinned.json", "json", pinned_root, pinned_root_commands),
    # ... and what a compromised build signs with the online key.
    Reader("client package JSON", "site", "api/v1/packages/alpha.json", "json", client, client_commands, signed=True),
    Reader("client package.toml", "site", "api/v1/sources/alpha/package.toml", "toml", client, client_commands, signed=True),
    Reader("client package.toml.sig", "site", "api/v1/sources/alpha/package.toml.sig", "toml", client, client_commands, signed=True),
    Reader("client README.md", "site", "api/v1/sources/beta/README.md", "text", client, client_commands, signed=True),
    Reader("client registry.toml", "site", "api/v1/sources/registry.toml", "toml", client, client_commands, signed=True),
    Reader("client registry.toml.sig", "site", "api/v1/sources/registry.toml.sig", "toml", client, client_commands, signed=True),
    Reader("client lockfile", "site", "regsite.lock", "toml", lockfile, lockfile_commands),
    # The same over HTTP, from regsite serve.
    Reader("HTTP client timestamp", "site", "metadata/timestamp.json", "json", client, client_commands, served=True),
    Reader("HTTP client package JSON", "site", "api/v1/packages/alpha.json", "json", client, client_commands, signed=True, served=True),
    Reader("HTTP search manifest", "site", "search/manifest.json", "json", search, search_commands, served=True),
    Reader("HTTP search terms shard", "site", "search/terms/0.json", "json", search, search_commands, served=True),
    # regsite verify-site over a directory.
    Reader("verify-site timestamp", "site", "metadata/timestamp.json", "json", site_verification, verify_site_commands),
    Reader("verify-site package JSON", "site", "api/v1/packages/alpha.json", "pinned", site_verification, verify_site_commands),
    Reader("verify-site signed package JSON", "site", "api/v1/packages/alpha.json", "json", site_verification, verify_site_commands, signed=True),
]  # fmt: skip


Place = Callable[[Reader, bytes], AbstractContextManager[Case]]


@pytest.fixture
def place(trees: Trees, tmp_path: Path) -> Place:
    """Put a payload where ``reader`` reads; serve the tree while the case runs if it is read
    over HTTP."""

    @contextmanager
    def placed(reader: Reader, payload: bytes) -> Iterator[Case]:
        tree = copy_tree(getattr(trees, reader.tree), tmp_path / "tree", link=not reader.signed)
        if reader.signed:
            republish(trees, tree, reader.path, payload)
        else:
            (tree / reader.path).unlink(missing_ok=True)  # a hard link to the module's tree
            (tree / reader.path).write_bytes(payload)
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        if not reader.served:
            yield Case(tree, scratch, trees)
            return
        with serving(tree) as url:
            yield Case(tree, scratch, trees, http=url + "/")

    return placed


def assert_one_line_or_a_list(message: str) -> None:
    """One line, or a heading and one indented line per problem: no line a value started."""
    first, *rest = message.split("\n")
    assert all(line.startswith("  ") for line in rest), message
    assert not rest or first.endswith(":"), message


def assert_printable(text: str) -> None:
    for line in text.splitlines():
        assert line.isprintable(), repr(line)


def cases(payloads: Callable[[str], list[str]]) -> list[Any]:
    return [
        pytest.param(reader, payload, id=f"{reader.name}: {payload}")
        for reader in READERS
        for payload in payloads(reader.kind)
    ]


@pytest.mark.parametrize(("reader", "payload"), cases(lambda kind: list(KINDS[kind])))
def test_hostile_file_is_a_registry_error(
    reader: Reader,
    payload: str,
    place: Place,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with place(reader, KINDS[reader.kind][payload]) as case:
        try:
            reader.read(case)
        except RegistryError as error:
            assert reader.refuses, f"{reader.name} must treat the file as absent: {error}"
            assert_printable(str(error))
            assert_one_line_or_a_list(str(error))
        else:
            assert not reader.refuses, f"{reader.name} accepted a hostile {reader.path}"
            assert reader.path in caplog.text  # the warning names the file


CLI_PAYLOADS = {  # the deepest and the least printable of each kind
    "pinned": ["binary"],
    "toml": ["deep-table", "deep-dotted-key", "control-characters-toml"],
    "json": ["deep-json-object", "json-wrong-types", "control-characters-json"],
    "text": ["deep-table", "control-characters-toml"],
}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[list[str]], tuple[int, str]]]:
    def run(argv: list[str]) -> tuple[int, str]:
        code = main(argv)
        captured = capsys.readouterr()
        assert_printable(captured.out)
        return code, captured.err

    yield run
    logging.getLogger().handlers.clear()  # main() configured logging for the run


@pytest.mark.parametrize(("reader", "payload"), cases(CLI_PAYLOADS.__getitem__))
def test_hostile_file_through_the_cli_is_a_clean_error(
    reader: Reader,
    payload: str,
    place: Place,
    cli: Callable[[list[str]], tuple[int, str]],
) -> None:
    codes = []
    with place(reader, KINDS[reader.kind][payload]) as case:
        for argv in reader.commands(case):
            code, err = cli(argv)
            codes.append(code)
            assert "Traceback" not in err
            assert_printable(err)
            if code == 1:
                assert Path(reader.path).name in err, err  # the message names the file
                break  # the commands after it need what it failed to do
    assert set(codes) <= {0, 1}
    assert (1 in codes) == reader.refuses, codes


def test_every_reader_is_listed_once() -> None:
    keys = [(reader.read, reader.path, reader.signed, reader.served) for reader in READERS]
    assert len(keys) == len(set(keys))
    assert len({reader.name for reader in READERS}) == len(READERS)


# The failures the readers above once had, one by one ---------------------------------------------


def hostile_copy(trees: Trees, tmp_path: Path, path: str, content: bytes) -> Path:
    site = copy_tree(trees.site, tmp_path / "site", link=True)
    (site / path).unlink()
    (site / path).write_bytes(content)
    return site


def test_search_on_a_record_with_a_null_name_names_the_file(
    trees: Trees, tmp_path: Path, cli: Callable[[list[str]], tuple[int, str]]
) -> None:
    record = (
        b'{"keys": ["alpha"], "values": [[0, 1]],'
        b' "records": [[0, null, "1.0", "The alpha package.", "active", 1]]}'
    )
    site = hostile_copy(trees, tmp_path, "search/terms/0.json", record)
    code, err = cli(["search", "alpha", "--site", str(site)])
    assert code == 1
    assert err == (
        "error: search/terms/0.json: expected name, summary and status of doc 0 to be"
        " strings; the search index is damaged or was not written by this regsite; rebuild the"
        " site\n"
    )


def test_search_on_deep_json_names_the_file(
    trees: Trees, tmp_path: Path, cli: Callable[[list[str]], tuple[int, str]]
) -> None:
    site = hostile_copy(trees, tmp_path, "search/terms/0.json", b"[" * 100_000)
    code, err = cli(["search", "testing", "--site", str(site)])
    assert (code, err.count("\n")) == (1, 1)
    assert "search/terms/0.json: not valid search JSON (nested too deeply)" in err


def test_search_shows_the_site_text_escaped(
    trees: Trees, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = '[[0, "alpha", "1.0\\u001b[2J", "fine\\nerror: fake\\u202e", "active", 1]]'
    site = hostile_copy(
        trees,
        tmp_path,
        "search/terms/0.json",
        b'{"keys": ["alpha"], "values": [[0, 1]], "records": ' + record.encode() + b"}",
    )
    assert main(["search", "alpha", "--site", str(site)]) == 0
    out = capsys.readouterr().out
    assert "1.0\\x1b[2J" in out and "fine\\nerror: fake\\u202e" in out
    assert main(["search", "alpha", "--site", str(site), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.isascii() and "\\u001b[2J" in out and "\\u202e" in out


def test_a_previous_names_json_of_the_wrong_shape_is_absent_with_a_warning(
    trees: Trees, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    names = b'{"packages": [{"name": ["alpha"]}]}'  # a list where a name is expected
    previous = hostile_copy(trees, tmp_path, "api/v1/names.json", names)
    result = build(BuildOptions(source=trees.source, output=tmp_path / "out", previous=previous))
    assert result.changes.first_build
    assert "api/v1/names.json is not shaped as a build writes it: packages[].name" in caplog.text


@pytest.mark.parametrize(
    "document",
    [
        b'{"releases": 7}',
        b'{"releases": [], "status": "\\ud800"}',  # the report, UTF-8, could not hold it
    ],
)
def test_a_damaged_previous_package_document_counts_as_absent(
    trees: Trees, tmp_path: Path, caplog: pytest.LogCaptureFixture, document: bytes
) -> None:
    previous = hostile_copy(trees, tmp_path, "api/v1/packages/alpha.json", document)
    result = build(BuildOptions(source=trees.source, output=tmp_path / "out", previous=previous))
    assert result.changes.packages_changed == ("alpha",)
    assert set(result.changes.releases_added) == {("alpha", "1.0.0"), ("alpha", "1.1.0")}
    assert "api/v1/packages/alpha.json is not shaped as a build writes it" in caplog.text


def test_timestamp_refresh_without_a_usable_registry_json_asks_for_expires(
    trees: Trees, tmp_path: Path, cli: Callable[[list[str]], tuple[int, str]]
) -> None:
    site = hostile_copy(trees, tmp_path, "api/v1/registry.json", b'{"trust": {}}')
    key = str(ONLINE_KEY_FILE)
    code, err = cli(["timestamp", "refresh", str(site), "--online-key", key])
    assert code == 1
    assert "api/v1/registry.json: expected trust.timestamp_expires" in err
    assert "--expires" in err
    assert cli(["timestamp", "refresh", str(site), "--online-key", key, "--expires", "1d"])[0] == 0


def test_client_show_prints_the_owners_text_escaped(
    tmp_path: Path, cli: Callable[[list[str]], tuple[int, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    builder = SourceBuilder()
    builder.registry["trust"]["online-keys"] = [str(DEMO_ONLINE_KEY.public)]
    hostile = "fine\x1b[2J\u202eevil\x85"  # one line, as package.toml requires, yet not printable
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0.0")], description=hostile)
    source = builder.write(tmp_path / "source")
    write_next_root(SourceTree(source), [fixed_key("root")], datetime.now(UTC))
    build(BuildOptions(source=source, output=tmp_path / "site", online_key=DEMO_ONLINE_KEY))
    state = str(tmp_path / "state")
    root = str(source / "metadata" / "1.root.json")
    assert (
        cli(["client", "trust", str(tmp_path / "site"), "--root", root, "--state", state])[0] == 0
    )
    capsys.readouterr()
    assert main(["client", "show", "alpha", "--state", state]) == 0
    out = capsys.readouterr().out
    assert "alpha: fine\\x1b[2J\\u202eevil\\x85\n" in out
    assert main(["client", "show", "alpha", "--json", "--state", state]) == 0
    out = capsys.readouterr().out
    assert out.isascii() and "fine\\u001b[2J\\u202eevil\\u0085" in out
