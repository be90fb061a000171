"""Incremental builds: the memo changes how fast a build is, never what it writes.

Every test builds a copy of example-site, changes it the way a maintainer would (edit and
re-sign a package.toml, or run ``regsite release add`` / ``yank`` / ``owner add-key``) and
compares the output with what a build without a cache writes from the same previous output;
the CI tests do it as CI runs a build: a fresh clone, the site and the cache restored with new
inodes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from tomlkit import TOMLDocument

import regsite.hosted
import regsite.memo
import regsite.scan
from builder import SourceBuilder
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.build import BuildOptions, BuildResult, build
from regsite.cli import main
from regsite.commands.sign import sign_file
from regsite.errors import BuildError
from regsite.keys import generate_private_key
from regsite.memo import MEMO_FILE
from regsite.metadata.layout import content_addressed_path, has_copy
from regsite.sources import SourceTree
from test_build import read_tree
from test_hosted import WHEEL, WHEEL_PATH, gamma_builder
from test_publish import copy_example, demo_key, edit_description

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEYS = EXAMPLE_SITE / "demo-keys"
PACKAGES = 18  # in example-site
SHA = hashlib.sha256(b"tinyjson-1.2.0").hexdigest()
WHEEL_NAME = "gamma-1.0-py3-none-any.whl"  # test_hosted's


def run_build(source: Path, out: Path, cache: Path | None = None, *, jobs: int = 1) -> BuildResult:
    """A signed build at a fixed signing time, so two builds of the same input are identical."""
    return build(
        BuildOptions(
            source=source,
            output=out,
            online_key=DEMO_ONLINE_KEY,
            signing_time=T0,
            cache=cache,
            jobs=jobs,
        )
    )


def edit_package(source: Path, name: str, change: Callable[[TOMLDocument], None]) -> None:
    """Edit packages/<name>/package.toml and re-sign it with its owners' demo keys."""
    tree = SourceTree(source)
    path = tree.package_path(name)
    document = tree.read(path)
    change(document)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    for owner in tree.registry().delegations[name].owners:
        sign_file(path, demo_key(owner))


def stamps(root: Path) -> dict[str, tuple[int, int]]:
    """Every file's (inode, st_mtime_ns): a file rewritten or replaced gets a new one."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(root).as_posix()] = (info.st_ino, info.st_mtime_ns)
    return found


def cacheless_twin(out: Path, twin: Path) -> Path:
    """A copy of ``out``, to be built without a cache from the same previous output."""
    return Path(shutil.copytree(out, twin))


def report(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "api/v1/build-report.json").read_bytes())
    return document


def counts(result: BuildResult) -> tuple[int, int, int, int, int]:
    return result.written, result.unchanged, result.removed, result.files, result.bytes


def require(name: str, specifier: str) -> Callable[[TOMLDocument], None]:
    """An edit: the package's newest release (the last in the file) also requires ``name``."""

    def change(document: TOMLDocument) -> None:
        document["release"][-1]["requires"][name] = specifier

    return change


def deprecate(document: TOMLDocument) -> None:
    document["package"]["status"] = "deprecated"
    document["package"]["status-reason"] = "Use trellis instead."


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


# A warm cache writes the same bytes -------------------------------------------------------------


@pytest.mark.parametrize(("warm_jobs", "cold_jobs"), [(1, 1), (2, 1), (1, 2)])
def test_warm_cache_build_equals_a_cacheless_build(
    tmp_path: Path, warm_jobs: int, cold_jobs: int
) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    cold = run_build(source, out, cache, jobs=warm_jobs)
    assert (cold.rendered, cold.reused, cold.changes.first_build) == (PACKAGES, 0, True)
    edit_description(source, "tinyjson", "A tiny JSON parser, now with a shorter description.")
    twin = cacheless_twin(out, tmp_path / "b")
    warm = run_build(source, out, cache, jobs=warm_jobs)
    again = run_build(source, twin, None, jobs=cold_jobs)
    assert read_tree(out) == read_tree(twin)
    assert (warm.rendered, warm.reused) == (1, PACKAGES - 1)
    assert (again.rendered, again.reused) == (PACKAGES, 0)
    assert counts(warm) == counts(again)
    assert warm.changes == again.changes
    assert warm.changes.packages_changed == ("tinyjson",)


def test_no_change_rebuild_rewrites_no_file(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    first = run_build(source, out, cache)
    before = stamps(out)
    assert first.written == len(before) == first.files
    for rebuild_cache in (cache, None):  # a cacheless rebuild compares bytes just the same
        result = run_build(source, out, rebuild_cache)
        assert (result.written, result.removed, result.unchanged) == (0, 0, len(before))
        assert stamps(out) == before
    assert run_build(source, out, cache).rendered == 0


def test_one_package_change_rewrites_only_what_shows_it(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    before = stamps(out)
    edit_description(source, "tinyjson", "A tiny JSON parser.")
    result = run_build(source, out, cache)
    after = stamps(out)
    changed = {path for path, stamp in after.items() if before.get(path) != stamp}
    assert set(before) <= set(after)  # old versions stay for clients mid-update
    plain = {  # the package's own files, then every page or index showing its description
        "api/v1/packages/tinyjson.json",
        "api/v1/sources/tinyjson/package.toml",
        "api/v1/sources/tinyjson/package.toml.sig",
        "packages/tinyjson/index.html",
        "packages/tinyjson/feed.xml",  # its subtitle is the description
        "api/v1/names.json",
        "api/v1/build-report.json",
        "search/index.html",
        "search/records/0.json",
        "search/terms/0.json",
        # each release's page, which quotes the description for link previews
        *(str(page.relative_to(out)) for page in out.glob("packages/tinyjson/*/index.html")),
        # the listings that show its description: the first page of each sort (18 packages),
        # its owner's page and its keywords' pages; the home page shows no descriptions
        "browse/name/1.html",
        "browse/recent/1.html",
        "browse/depended/1.html",
        "owners/mira/index.html",
        "keywords/json/index.html",
        "keywords/parser/index.html",
        "keywords/serialization/index.html",
    }
    copies = {
        content_addressed_path(path, hashlib.sha256((out / path).read_bytes()).hexdigest())
        for path in plain
        if has_copy(path)
    }
    metadata = {"metadata/2.snapshot.json", "metadata/2.targets.json", "metadata/timestamp.json"}
    assert changed == plain | copies | metadata
    assert result.written == len(changed) and result.removed == 0
    assert (result.rendered, result.reused) == (1, PACKAGES - 1)
    for unrelated in ("packages/hue/index.html", "api/v1/packages/http-kit.json", "404.html"):
        assert after[unrelated] == before[unrelated]


def test_new_dependency_rerenders_the_dependency(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    dependency = out / "api/v1/packages/tinyjson.json"
    assert "stopwatch" not in json.loads(dependency.read_bytes())["dependents"]
    page_before = stamps(out)["packages/tinyjson/index.html"]
    edit_package(source, "stopwatch", require("tinyjson", ">=1.0"))
    twin = cacheless_twin(out, tmp_path / "b")
    result = run_build(source, out, cache)
    run_build(source, twin)
    assert "stopwatch" in json.loads(dependency.read_bytes())["dependents"]
    assert stamps(out)["packages/tinyjson/index.html"] != page_before
    assert (result.rendered, result.reused) == (2, PACKAGES - 1)  # stopwatch and tinyjson
    assert read_tree(out) == read_tree(twin)


# The build report -------------------------------------------------------------------------------


def test_build_report_lists_releases_yanks_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out, md = copy_example(tmp_path), tmp_path / "site", tmp_path / "report.md"
    build_argv = ("build", source, "-o", out, "--online-key", KEYS / "online.key", "-q")
    assert cli(capsys, *build_argv, "--cache", tmp_path / "cache", "--report-md", md)[0] == 0
    assert report(out)["first_build"] is True
    assert "First build: 18 packages" in md.read_text()
    code, _, err = cli(
        capsys, "release", "add", "tinyjson", "1.2.0", "--artifact",
        "https://files.example.org/orchard/tinyjson/tinyjson-1.2.0.tar.gz", "--sha256", SHA,
        "--size", "14", "--published", "2026-02-01T00:00:00Z",
        "--sign", KEYS / "mira.key", "-C", source,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = cli(
        capsys, "yank", "hue", "1.0.0", "--reason", "Broken colours.",
        "--sign", KEYS / "kestrel.key", "-C", source,
    )  # fmt: skip
    assert code == 0, err
    edit_package(source, "petal", deprecate)
    assert cli(capsys, *build_argv, "--cache", tmp_path / "cache", "--report-md", md)[0] == 0
    document = report(out)
    assert document["first_build"] is False
    changed = ["hue", "petal", "tinyjson"]
    assert document["packages"] == {"added": [], "removed": [], "changed": changed}
    assert document["status"] == [{"name": "petal", "from": "active", "to": "deprecated"}]
    assert document["releases"] == {
        "added": [{"name": "tinyjson", "version": "1.2.0"}],
        "removed": [],
        "yanked": [{"name": "hue", "version": "1.0.0"}],
        "unyanked": [],
    }
    assert document["counts"]["releases"] == document["previous_counts"]["releases"] + 1
    assert document["keys"] == []
    markdown = md.read_text()
    assert "**Releases added** (1)" in markdown and "- `tinyjson` 1.2.0" in markdown
    assert "**Yanked** (1)" in markdown and "- `hue` 1.0.0" in markdown
    assert "- `petal`: active → deprecated" in markdown

    kept = (out / "api/v1/build-report.json").read_bytes()
    assert cli(capsys, *build_argv, "--cache", tmp_path / "cache", "--report-md", md)[0] == 0
    assert (out / "api/v1/build-report.json").read_bytes() == kept  # nothing changed: kept
    assert "No changes to packages, releases or keys." in md.read_text()

    new_key = str(generate_private_key().public)
    code, _, err = cli(
        capsys, "owner", "add-key", "mira", new_key, "--sign", KEYS / "root.key", "-C", source
    )
    assert code == 0, err
    assert cli(capsys, *build_argv, "--cache", tmp_path / "cache")[0] == 0
    document = report(out)
    assert document["keys"] == [{"where": "owner mira", "change": "key added", "key": new_key}]
    assert document["releases"]["added"] == []


# Damage and failure -----------------------------------------------------------------------------


def test_a_damaged_memo_is_started_afresh(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    edit_description(source, "hue", "Terminal colours.")
    memo = cache / MEMO_FILE
    data = memo.read_bytes()
    memo.write_bytes(data[:100] + b"\xff" * 4096 + data[4196:])  # the header and schema broken
    twin = cacheless_twin(out, tmp_path / "b")
    result = run_build(source, out, cache)
    run_build(source, twin)
    assert read_tree(out) == read_tree(twin)
    assert result.reused == 0  # nothing could be read back


def test_missing_output_files_are_written_again_despite_the_cache(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    complete = read_tree(out)
    (out / "packages/hue/index.html").unlink()
    shutil.rmtree(out / "api/v1/sources/tinyjson")
    result = run_build(source, out, cache)
    assert read_tree(out) == complete
    assert result.rendered == 2  # hue and tinyjson; the others were in place
    shutil.rmtree(out)
    result = run_build(source, out, cache)
    assert result.rendered == PACKAGES and result.reused == PACKAGES
    run_build(source, tmp_path / "fresh")
    assert read_tree(out) == read_tree(tmp_path / "fresh")


@pytest.mark.parametrize("breakage", ["signature", "requirement"])
def test_failed_build_with_a_warm_cache_changes_nothing(tmp_path: Path, breakage: str) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    before, contents = stamps(out), read_tree(out)
    edit_description(source, "tinyjson", "Half-done edit.")  # never committed: the build fails
    if breakage == "signature":
        with (source / "packages/hue/package.toml").open("a") as file:
            file.write("# not signed\n")
    else:
        edit_package(source, "stopwatch", require("hue", ">=99"))
    with pytest.raises(BuildError, match="hue"):
        run_build(source, out, cache, jobs=2)
    assert stamps(out) == before and read_tree(out) == contents
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a", "cache", "source"]
    shutil.copy(EXAMPLE_SITE / "packages/hue/package.toml", source / "packages/hue/package.toml")
    shutil.copy(EXAMPLE_SITE / "packages/stopwatch/package.toml", source / "packages/stopwatch")
    shutil.copy(EXAMPLE_SITE / "packages/stopwatch/package.toml.sig", source / "packages/stopwatch")
    twin = cacheless_twin(out, tmp_path / "b")
    run_build(source, out, cache)
    run_build(source, twin)
    assert read_tree(out) == read_tree(twin)
    assert b"Half-done edit." in (out / "packages/tinyjson/index.html").read_bytes()


# The command line -------------------------------------------------------------------------------


def test_cli_summary_quiet_and_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, out, md = copy_example(tmp_path), tmp_path / "site", tmp_path / "changes.md"
    argv = ("build", source, "-o", out, "--unsigned", "--cache", tmp_path / "cache", "-j", "2")
    code, stdout, _ = cli(capsys, *argv, "--quiet")
    assert (code, stdout) == (0, "")
    edit_description(source, "petal", "Templates.")
    code, stdout, _ = cli(capsys, *argv, "--report-md", md)
    assert code == 0
    assert "1 packages rendered, 17 read from the cache" in stdout
    assert " written, " in stdout and " unchanged, " in stdout
    assert "\n  stages: " not in stdout  # outside a terminal each stage has its own line
    assert "0 packages added, 0 removed, 1 changed;" in stdout
    markdown = md.read_text()  # a description changed: no release, yank or key to list
    assert markdown.startswith("### Orchard Packages: build report\n\n18 packages (+0), ")
    assert "**" not in markdown and "No changes" not in markdown
    for bad in ("0", "-1", "many"):
        with pytest.raises(SystemExit) as exited:
            main(["build", str(source), "-o", str(out), "--unsigned", "--jobs", bad])
        assert exited.value.code == 2
        assert "expected a number of processes" in capsys.readouterr().err


# Recorded state: what a rebuild trusts without reading ------------------------------------------


@pytest.fixture
def stamped_at_once(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Source files are stamped however recently they changed (a build otherwise reads again
    what changed in the last two seconds); returns the packages each build read."""
    monkeypatch.setattr(regsite.memo, "_RACY_NS", 0)
    read: list[str] = []
    digest = regsite.memo.files_digest

    def counting(directory: Path, wanted: Callable[[str], bool]) -> bytes:
        read.append(directory.name)
        return digest(directory, wanted)

    monkeypatch.setattr(regsite.memo, "files_digest", counting)
    return read


def test_unchanged_sources_are_not_read_again(tmp_path: Path, stamped_at_once: list[str]) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    assert len(stamped_at_once) == PACKAGES
    stamped_at_once.clear()
    result = run_build(source, out, cache)
    assert (stamped_at_once, result.reused, result.rendered) == ([], PACKAGES, 0)


def test_edit_of_the_same_size_and_time_is_still_noticed(
    tmp_path: Path, stamped_at_once: list[str]
) -> None:
    """The stamp holds the inode-change time, which no tool can set back: a README swapped
    for one of the same size, its modification time put back, is read and refused."""
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    readme = source / "packages/hue/README.md"
    before = readme.stat()
    run_build(source, out, cache)
    stamped_at_once.clear()
    text = readme.read_bytes()
    edited = text.replace(b"colour", b"COLOUR", 1)
    assert edited != text and len(edited) == len(text)
    readme.write_bytes(edited)
    os.utime(readme, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert readme.stat().st_mtime_ns == before.st_mtime_ns
    with pytest.raises(BuildError, match=r"package\.readme\.sha256: README\.md has sha256"):
        run_build(source, out, cache)
    assert stamped_at_once == ["hue"]


def test_recent_source_changes_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed within the racy window (two seconds; here an hour, so that the test does
    not depend on the machine's speed) is not stamped: the next build reads it again."""
    monkeypatch.setattr(regsite.memo, "_RACY_NS", 3600 * 10**9)
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    with sqlite3.connect(cache / MEMO_FILE) as connection:
        assert connection.execute("SELECT count(*) FROM stamp").fetchone() == (0,)
        scans = connection.execute("SELECT count(*) FROM result WHERE stage = 'scan'")
        assert scans.fetchone() == (PACKAGES,)


def test_content_addressed_copies_are_links_and_a_deleted_one_comes_back(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    path = "api/v1/sources/hue/package.toml"
    copy = out / content_addressed_path(path, hashlib.sha256((out / path).read_bytes()).hexdigest())
    assert copy.stat().st_ino == (out / path).stat().st_ino
    assert not any(  # pages are for browsers: no TUF client fetches them, so no copies
        content_addressed_path("packages/hue/index.html", "") in str(p) for p in out.rglob("*")
    )
    complete = read_tree(out)
    copy.unlink()
    result = run_build(source, out, cache)
    assert result.rendered == 1 and read_tree(out) == complete


def test_registry_signature_damaged_after_a_cached_build_fails_closed(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    contents = read_tree(out)
    signature = source / "registry.toml.sig"
    signature.write_text(signature.read_text().replace('sig = "', 'sig = "AAAA', 1))
    with pytest.raises(BuildError, match=r"registry\.toml"):
        run_build(source, out, cache)
    assert read_tree(out) == contents


# Known bugs -------------------------------------------------------------------------------------


def test_cache_does_not_trust_an_output_another_build_changed(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    original = "Small, strict RFC 8259 JSON parser and serializer with precise error positions."
    edited = original.replace("Small", "Short")  # the same length
    run_build(source, out, cache)
    edit_description(source, "tinyjson", edited)
    run_build(source, out, cache)
    edit_description(source, "tinyjson", original)
    run_build(source, out)  # e.g. a plain `regsite build` on a checkout of the old commit
    edit_description(source, "tinyjson", edited)
    twin = cacheless_twin(out, tmp_path / "b")
    run_build(source, out, cache)
    run_build(source, twin)
    assert edited.encode() in (out / "packages/tinyjson/index.html").read_bytes()
    assert read_tree(out) == read_tree(twin)


def test_corrupted_memo_entries_are_misses(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    pickled = b"\x8c\x08tinyjson"  # the str 'tinyjson' in a pickle: SHORT_BINUNICODE, length
    with sqlite3.connect(cache / MEMO_FILE) as connection:
        rows = connection.execute("SELECT stage, key, value FROM result").fetchall()
        damaged = [
            (value.replace(pickled, pickled[:-1] + b"\xff"), stage, key)
            for stage, key, value in rows
            if pickled in value
        ]  # one bad byte in a pickled str: no longer UTF-8, plainly damaged
        connection.executemany("UPDATE result SET value = ? WHERE stage = ? AND key = ?", damaged)
    assert damaged
    twin = cacheless_twin(out, tmp_path / "b")
    run_build(source, out, cache)
    run_build(source, twin)
    assert read_tree(out) == read_tree(twin)


def test_report_against_previous_lists_only_the_changed_package(tmp_path: Path) -> None:
    source, published = copy_example(tmp_path), tmp_path / "published"
    run_build(source, published)
    edit_description(source, "tinyjson", "A tiny JSON parser.")
    result = build(
        BuildOptions(
            source=source,
            output=tmp_path / "site",
            online_key=DEMO_ONLINE_KEY,
            signing_time=T0,
            previous=published,
        )
    )
    assert result.changes.packages_changed == ("tinyjson",)
    assert report(tmp_path / "site")["packages"] == {
        "added": [],
        "removed": [],
        "changed": ["tinyjson"],
    }


# CI: a fresh clone, the site and the cache restored with new inodes ------------------------------


def ci_restore(tmp_path: Path, source: Path, out: Path, cache: Path) -> tuple[Path, Path, Path]:
    """What a CI job starts from: a fresh clone of the source (every file new, with new times)
    and the site and cache the Actions cache restores (same bytes and times, new inodes)."""
    clone = Path(shutil.copytree(source, tmp_path / "clone", copy_function=shutil.copyfile))
    site = Path(shutil.copytree(out, tmp_path / "restored-site"))
    memo = Path(shutil.copytree(cache, tmp_path / "restored-cache"))
    assert (site / "index.html").stat().st_ino != (out / "index.html").stat().st_ino
    return clone, site, memo


def test_ci_rebuild_with_nothing_changed_renders_and_writes_nothing(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    clone, site, memo = ci_restore(tmp_path, source, out, cache)
    before = stamps(site)
    result = run_build(clone, site, memo)
    assert (result.rendered, result.reused, result.written) == (0, PACKAGES, 0)
    assert stamps(site) == before


def test_ci_rebuild_after_one_change_equals_a_cold_build(tmp_path: Path) -> None:
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    clone, site, memo = ci_restore(tmp_path, source, out, cache)
    edit_description(clone, "tinyjson", "A tiny JSON parser, changed in a pull request.")
    twin = cacheless_twin(site, tmp_path / "cold")
    warm = run_build(clone, site, memo)
    cold = run_build(clone, twin)
    assert (warm.rendered, warm.reused) == (1, PACKAGES - 1)
    assert (cold.rendered, cold.reused) == (PACKAGES, 0)
    assert read_tree(site) == read_tree(twin)
    assert counts(warm) == counts(cold)


def test_a_site_restored_from_another_build_is_compared_not_trusted(tmp_path: Path) -> None:
    """The memo describes the output it last wrote; a site from another cache entry (its build
    report's seal differs) is compared file by file instead, and comes out right."""
    source, out, cache = copy_example(tmp_path), tmp_path / "a", tmp_path / "cache"
    run_build(source, out, cache)
    other = copy_example(tmp_path / "other")
    edit_description(other, "hue", "Colours, from another branch.")
    stranger = tmp_path / "stranger"
    run_build(other, stranger)
    twin = cacheless_twin(stranger, tmp_path / "twin")
    result = run_build(source, stranger, cache)
    run_build(source, twin)
    assert read_tree(stranger) == read_tree(twin)
    assert result.rendered == PACKAGES  # nothing the memo recorded was trusted


def signed_targets(site: Path) -> set[str]:
    """Every path the site's metadata lists as a target (a cold build has one version)."""
    found: set[str] = set()
    for role in (site / "metadata").glob("*.json"):
        found.update(json.loads(role.read_text())["signed"].get("targets", {}))
    return found


@pytest.mark.parametrize("name", ["site", "search", "feed", "closures", "report", "metadata"])
def test_a_package_named_like_a_site_output_keeps_a_record_of_its_own(
    tmp_path: Path, name: str
) -> None:
    """Such a package once shared its output record with the site-wide output of that name: it
    was rendered on every build and its package document was left out of the signed targets."""
    source, out, cache = copy_example(tmp_path), tmp_path / "out", tmp_path / "cache"
    signing = [
        "-C",
        str(source),
        "--sign",
        str(KEYS / "root.key"),
        "--sign",
        str(KEYS / "mira.key"),
    ]
    new = ["package", "new", name, "--owner", "mira", "--description", f"The {name} package."]
    release = [
        "release",
        "add",
        name,
        "1.0.0",
        "--artifact",
        "https://e.org/x",
        "--sha256",
        SHA,
        "--size",
        "10",
    ]
    assert main([*new, *signing]) == 0
    assert main([*release, *signing]) == 0
    first = run_build(source, out, cache)
    assert first.files == sum(1 for path in out.rglob("*") if path.is_file())
    assert f"api/v1/packages/{name}.json" in signed_targets(out)
    again = run_build(source, out, cache)
    assert (again.rendered, again.written) == (0, 0)


# Hosted files: inputs of their package's scan ---------------------------------------------------


@pytest.fixture
def hosted_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Hosted files are stamped however recently they changed; returns every hosted file a
    build read, to digest it or to publish it."""
    monkeypatch.setattr(regsite.memo, "_RACY_NS", 0)
    read: list[str] = []
    digest, publish = regsite.memo._file_digest, regsite.hosted._read_checked

    def digesting(entry: os.DirEntry[str], max_bytes: int) -> regsite.memo.FileDigest:
        read.append(entry.name)
        return digest(entry, max_bytes)

    def reading(files: Any, package: str, wanted: Any) -> bytes:
        read.append(wanted.name)
        return publish(files, package, wanted)

    monkeypatch.setattr(regsite.memo, "_file_digest", digesting)
    monkeypatch.setattr(regsite.hosted, "_read_checked", reading)
    return read


def hosted_in_files_dir(tmp_path: Path) -> tuple[SourceBuilder, Path, Path]:
    """test_hosted's gamma, its wheel given to the build as --files DIR/gamma/<wheel>."""
    builder = gamma_builder()
    source = builder.write(tmp_path / "source")
    dist = tmp_path / "dist"
    (dist / "gamma").mkdir(parents=True)
    (dist / "gamma" / WHEEL_NAME).write_bytes(WHEEL)
    return builder, source, dist


def test_hosted_file_changed_in_files_dir_fails_the_build_naming_it(
    tmp_path: Path, hosted_reads: list[str]
) -> None:
    """package.toml unchanged, the wheel in --files DIR swapped for other bytes of the same
    size: the scan key holds the files' digests, so the package is checked again."""
    _, source, dist = hosted_in_files_dir(tmp_path)
    out, cache = tmp_path / "site", tmp_path / "cache"
    options = BuildOptions(source=source, output=out, cache=cache, files=dist, jobs=1)
    build(options)
    forged = WHEEL.replace(b"really", b"REALLY")
    assert len(forged) == len(WHEEL)
    (dist / "gamma" / WHEEL_NAME).write_bytes(forged)
    with pytest.raises(BuildError) as caught:
        build(options)
    expected = (
        f"{dist}/gamma/{WHEEL_NAME} has sha256 {hashlib.sha256(forged).hexdigest()},"
        f" but package.toml records {hashlib.sha256(WHEEL).hexdigest()}; it is not published"
    )
    assert expected in str(caught.value)
    assert (out / WHEEL_PATH).read_bytes() == WHEEL  # a failed build changes nothing


def test_unchanged_hosted_file_is_not_read_again(tmp_path: Path, hosted_reads: list[str]) -> None:
    """Not to digest it (its stat is as recorded) nor to publish it, even when its package is
    rendered again (the output holds it at its content-addressed path)."""
    builder, source, dist = hosted_in_files_dir(tmp_path)
    out, cache = tmp_path / "site", tmp_path / "cache"
    options = BuildOptions(source=source, output=out, cache=cache, files=dist, jobs=1)
    build(options)
    assert hosted_reads == [WHEEL_NAME, WHEEL_NAME]  # digested for the key, read to publish
    hosted_reads.clear()
    result = build(options)
    assert (hosted_reads, result.reused, result.rendered) == ([], 3, 0)
    builder.packages["gamma"]["package"]["description"] = "Gamma, described again."
    builder.write(source)
    result = build(options)
    assert hosted_reads == []
    assert result.rendered == 1
    assert (out / WHEEL_PATH).read_bytes() == WHEEL
    page = (out / "packages/gamma/index.html").read_text()
    assert "Gamma, described again." in page


def test_enabling_a_flavour_renders_every_package_again(tmp_path: Path) -> None:
    """The enabled flavours are declared inputs of every package's render key: a cached
    rebuild writes the flavour's files and equals a build without the cache."""
    builder = SourceBuilder()
    source = builder.write(tmp_path / "source")
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    builder.registry["flavours"] = {"python": True}
    builder.write(source)
    result = build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    assert result.rendered == len(builder.packages)
    fresh = tmp_path / "fresh"
    build(BuildOptions(source=source, output=fresh, jobs=1))
    report = "api/v1/build-report.json"  # says which build was the first, and nothing else
    assert {**read_tree(out), report: b""} == {**read_tree(fresh), report: b""}
    assert (out / "simple/alpha/index.html").is_file()
    assert "pip install --index-url" in (out / "packages/alpha/index.html").read_text()
