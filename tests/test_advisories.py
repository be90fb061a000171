"""Advisories: OSV documents checked at build, signed, published for OSV tools, marked on the
releases they affect, reported in the feed, and audited by the client."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from builder import SourceBuilder, fixed_key, release
from regsite.advisories.model import AffectedRange, EventType, RangeEvent
from regsite.advisories.read import osv_schema
from regsite.build import BuildOptions, build, build_files
from regsite.cli import main
from regsite.errors import BuildError
from regsite.keys import write_private_key
from regsite.versions import DEFAULT_SCHEME

FIXED_IN_110 = [{"introduced": "0"}, {"fixed": "1.1.0"}]


def with_advisory(builder: SourceBuilder, **entry: Any) -> SourceBuilder:
    entry = {"name": "alpha", "ranges": [{"type": "ECOSYSTEM", "events": FIXED_IN_110}], **entry}
    builder.add_advisory("x_TESTREG-2026-0001", [entry])
    return builder


def files_of(builder: SourceBuilder, tmp_path: Path) -> dict[str, bytes]:
    source = builder.write(tmp_path / "src")
    return build_files(BuildOptions(source=source, output=tmp_path / "unused"))


def problems_of(builder: SourceBuilder, tmp_path: Path) -> list[str]:
    with pytest.raises(BuildError) as raised:
        files_of(builder, tmp_path)
    return [str(problem) for problem in raised.value.problems]


def test_osv_documents_validate_against_the_osv_schema(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    files = files_of(with_advisory(builder), tmp_path)
    document = json.loads(files["api/v1/advisories/x_TESTREG-2026-0001.json"])
    jsonschema.Draft202012Validator(osv_schema()).validate(document)
    with zipfile.ZipFile(io.BytesIO(files["api/v1/advisories/all.zip"])) as archive:
        assert archive.namelist() == ["x_TESTREG-2026-0001.json"]
        jsonschema.validate(json.loads(archive.read("x_TESTREG-2026-0001.json")), osv_schema())
    index = json.loads(files["api/v1/advisories/index.json"])
    assert index["ecosystem"] == "PyPI:testreg"
    assert index["advisories"][0]["packages"] == ["alpha"]


def test_affected_releases_are_marked_in_the_json_the_page_and_the_package_feed(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    files = files_of(with_advisory(builder), tmp_path)
    releases = json.loads(files["api/v1/packages/alpha.json"])["releases"]
    assert "advisories" not in releases[0]  # 1.1.0 is the fix
    assert releases[1]["advisories"] == [
        {
            "id": "x_TESTREG-2026-0001",
            "summary": "x_TESTREG-2026-0001: a flaw",
            "aliases": [],
            "fixed": ["1.1.0"],
            "url": "../advisories/x_TESTREG-2026-0001.json",
        }
    ]
    page = files["packages/alpha/index.html"].decode()
    assert 'href="../../api/v1/advisories/x_TESTREG-2026-0001.json"' in page
    assert b"Affected by x_TESTREG-2026-0001" in files["packages/alpha/feed.xml"]


def test_advisory_naming_an_unknown_package_or_an_invalid_range_is_refused_with_file_key_fix(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    bad_range = {"type": "ECOSYSTEM", "events": [{"introduced": "not a version"}]}
    builder.add_advisory(
        "x_TESTREG-2026-0002",
        [
            {"name": "nosuch", "versions": ["1.0.0"]},
            {"name": "alpha", "ranges": [bad_range]},
            {"name": "beta", "ranges": [{"type": "SEMVER", "events": FIXED_IN_110}]},
        ],
    )
    path = "advisories/x_TESTREG-2026-0002.json"
    problems = problems_of(builder, tmp_path)
    assert (
        f"{path}: affected[0].package.name: 'nosuch' is not a package of this registry: name a"
        " directory under packages/" in problems
    )
    assert any(
        p.startswith(f"{path}: affected[1].ranges[0].events[0].introduced: ") for p in problems
    )
    assert any("expected a version of this registry" in p for p in problems)
    assert (
        f"{path}: affected[2].ranges[0].type: expected 'ECOSYSTEM' (versions in this registry's"
        " pep440 scheme), found 'SEMVER'" in problems
    )


def test_advisory_breaking_the_osv_schema_is_refused_with_its_key_path(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    document = builder.add_advisory(
        "x_TESTREG-2026-0003", [{"name": "alpha", "versions": ["1.0.0"]}]
    )
    document["affected"][0]["package"]["ecosystem"] = "Nowhere"
    del document["modified"]
    problems = problems_of(builder, tmp_path)
    path = "advisories/x_TESTREG-2026-0003.json"
    assert any(
        p.startswith(f"{path}: affected[0].package.ecosystem: does not follow the OSV")
        for p in problems
    )
    assert f"{path}: does not follow the OSV schema: 'modified' is a required property" in problems


def test_advisory_not_named_after_its_id_and_a_wrong_ecosystem_are_both_reported(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    document = builder.add_advisory(
        "x_TESTREG-2026-0004", [{"name": "alpha", "versions": ["1.0.0"]}]
    )
    document["id"] = "x_TESTREG-2026-9999"
    document["affected"][0]["package"]["ecosystem"] = "PyPI:other"
    problems = problems_of(builder, tmp_path)
    path = "advisories/x_TESTREG-2026-0004.json"
    assert (
        f"{path}: id: 'x_TESTREG-2026-9999' is not the file's name: rename it x_TESTREG-2026-9999.json"
        in problems
    )
    assert (
        f"{path}: affected[0].package.ecosystem: expected 'PyPI:testreg' (this registry's packages), found 'PyPI:other'"
        in problems
    )


def test_a_source_with_several_kinds_of_advisory_problems_lists_all_of_them_in_one_run(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    del builder.add_advisory("x_TESTREG-2026-0010", [{"name": "alpha", "versions": ["1.0.0"]}])[
        "modified"
    ]
    builder.add_advisory("x_TESTREG-2026-0011", [{"name": "nosuch", "versions": ["1.0.0"]}])
    builder.add_advisory("x_TESTREG-2026-0012", [{"name": "alpha", "versions": ["1.0.0"]}])
    builder.add_advisory(
        "x_TESTREG-2026-0013", [{"name": "alpha", "versions": ["1.0.0"]}], ("bob",)
    )
    builder.packages["beta"]["release"][0].update(advisories=["x_TESTREG-2026-0012"])
    builder.packages["alpha"]["package"]["license"] = 7  # and a problem that is no advisory's
    source = builder.write(tmp_path / "src")
    tampered = source / "advisories" / "x_TESTREG-2026-0012.json"
    tampered.write_text(tampered.read_text().replace("a flaw", "no flaw"))
    (source / "advisories" / "notes.txt").write_text("draft\n")
    with pytest.raises(BuildError) as raised:
        build_files(BuildOptions(source=source, output=tmp_path / "unused"))
    problems = [str(problem) for problem in raised.value.problems]
    expected = [
        "advisories/x_TESTREG-2026-0010.json: does not follow the OSV schema: 'modified' is a"
        " required property",
        "advisories/x_TESTREG-2026-0011.json: affected[0].package.name: 'nosuch' is not a"
        " package of this registry",
        "advisories/x_TESTREG-2026-0012.json.sig",
        "advisories/x_TESTREG-2026-0013.json.sig",
        "advisories/notes.txt: unexpected file",
        "packages/beta/package.toml: release[0].advisories: given, but status is not 'insecure'",
        "packages/alpha/package.toml: package.license",
    ]
    for start in expected:
        assert any(problem.startswith(start) for problem in problems), (start, problems)


def test_advisory_signed_by_an_owner_of_another_package_is_refused(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.add_advisory(
        "x_TESTREG-2026-0005", [{"name": "alpha", "versions": ["1.0.0"]}], ("bob",)
    )
    problems = problems_of(builder, tmp_path)
    assert any("belongs to an owner of no package this advisory names" in p for p in problems)


def test_advisory_tampered_after_signing_is_refused(builder: SourceBuilder, tmp_path: Path) -> None:
    source = with_advisory(builder).write(tmp_path / "src")
    path = source / "advisories" / "x_TESTREG-2026-0001.json"
    path.write_text(path.read_text().replace('"1.1.0"', '"1.0.1"'))
    with pytest.raises(BuildError, match="does not match the advisory's bytes"):
        build_files(BuildOptions(source=source, output=tmp_path / "unused"))


def test_an_owner_of_the_package_may_publish_an_advisory(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.add_advisory(
        "x_TESTREG-2026-0006", [{"name": "alpha", "versions": ["1.0.0"]}], ("alice",)
    )
    assert "api/v1/advisories/x_TESTREG-2026-0006.json.sig" in files_of(builder, tmp_path)


def test_release_naming_an_advisory_that_does_not_affect_it_is_refused(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    with_advisory(builder)
    insecure = {"status": "insecure", "status-reason": "See the advisory."}
    builder.packages["alpha"]["release"][1].update(insecure, advisories=["x_TESTREG-2026-0001"])
    builder.packages["alpha"]["release"][0].update(advisories=["x_TESTREG-2026-0001"])
    problems = problems_of(builder, tmp_path)
    assert (
        "packages/alpha/package.toml: release[version=1.1.0].advisories[0]: no advisory"
        " 'x_TESTREG-2026-0001' in advisories/ affects this release: add or fix it there, or"
        " remove the id" in problems
    )
    assert (
        "packages/alpha/package.toml: release[0].advisories: given, but status is not"
        " 'insecure': set status or remove" in problems
    )


def test_explicit_version_that_is_no_release_is_refused(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.add_advisory("x_TESTREG-2026-0007", [{"name": "alpha", "versions": ["1.0.0", "3.0"]}])
    problems = problems_of(builder, tmp_path)
    assert (
        "advisories/x_TESTREG-2026-0007.json: affected[0].versions: 3.0 is not a release of"
        " 'alpha' (releases: 1.0.0, 1.1.0)" in problems
    )


@pytest.mark.parametrize(
    ("events", "affected"),
    [
        ([("introduced", "0"), ("fixed", "1.1")], ["0.9", "1.0"]),
        ([("introduced", "1.0"), ("last_affected", "1.1")], ["1.0", "1.1"]),
        ([("introduced", "0"), ("limit", "1.1")], ["0.9", "1.0"]),
        ([("introduced", "1.0"), ("fixed", "1.1"), ("introduced", "2.0")], ["1.0", "2.0", "2.1"]),
    ],
)
def test_ranges_are_evaluated_as_the_osv_schema_says(
    events: list[tuple[str, str]], affected: list[str]
) -> None:
    parse = DEFAULT_SCHEME.parse_version
    parsed = tuple(
        RangeEvent(EventType(kind), None if text in ("0", "*") else parse(text), text)
        for kind, text in events
    )
    versions = ["0.9", "1.0", "1.1", "2.0", "2.1"]
    assert [v for v in versions if AffectedRange(parsed).affects(parse(v))] == affected


def test_the_feed_reports_an_advisory_when_published_and_when_withdrawn(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    source, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    builder.write(source)
    build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    document = with_advisory(builder).advisories["x_TESTREG-2026-0001"][0]
    builder.write(source)
    build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    marked = json.loads((out / "api/v1/packages/alpha.json").read_bytes())["releases"][1]
    assert marked["advisories"][0]["id"] == "x_TESTREG-2026-0001"  # rendered again: its key changed
    document.update(withdrawn="2026-03-01T00:00:00Z", modified="2026-03-01T00:00:00Z")
    builder.write(source)
    build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    head = json.loads((out / "api/v1/changes.json").read_bytes())
    page = json.loads((out / "api/v1" / head["pages"][-1]["url"]).read_bytes())
    published, withdrawn = page["events"][1:]
    assert (published["kind"], published["versions"]) == ("advisory.published", ["1.0.0"])
    assert (withdrawn["kind"], withdrawn["versions"]) == ("advisory.withdrawn", [])
    released = json.loads((out / "api/v1/packages/alpha.json").read_bytes())["releases"]
    assert all("advisories" not in entry for entry in released)


def test_an_advisory_re_renders_only_the_packages_it_names(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    """Advisories are declared inputs of the keys of the packages they name, and of no other."""
    source, out, cache = tmp_path / "src", tmp_path / "site", tmp_path / "cache"
    builder.add_package("gamma", ["alice"], [release("gamma", "0.1.0", 6)])
    builder.write(source)
    build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    with_advisory(builder).write(source)
    result = build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    assert (result.rendered, result.reused) == (1, 2)  # alpha; beta and gamma as they were
    page = (out / "packages/alpha/index.html").read_text()
    assert "x_TESTREG-2026-0001" in page


# regsite client audit, end to end -----------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.fixture
def signed_site(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path]:
    """A signed site with the advisory; its source (for the root) and the client's state."""
    keys = tmp_path / "keys"
    keys.mkdir()
    for name in ("root", "online"):
        write_private_key(keys / f"{name}.key", fixed_key(name))
    source = with_advisory(builder).write(tmp_path / "src")
    online = str(fixed_key("online").public)
    code, _, err = run(
        capsys, "trust", "online-key", online, "--sign", keys / "root.key", "-C", source
    )
    assert code == 0, err
    code, _, err = run(
        capsys, "build", source, "-o", tmp_path / "site", "--online-key", keys / "online.key"
    )
    assert code == 0, err
    state = tmp_path / "state"
    root = source / "metadata" / "1.root.json"
    code, _, err = run(
        capsys, "client", "trust", tmp_path / "site", "--root", root, "--state", state
    )
    assert code == 0, err
    return source, state


def test_audit_finds_an_affected_locked_release_and_exits_1(
    signed_site: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, state = signed_site
    lock = tmp_path / "regsite.lock"
    code, _, err = run(capsys, "client", "lock", "alpha==1.0.0", "-o", lock, "--state", state)
    assert code == 0, err
    code, out, _ = run(capsys, "client", "audit", lock, "--state", state)
    assert code == 1
    assert "alpha 1.0.0: x_TESTREG-2026-0001 x_TESTREG-2026-0001: a flaw (fixed in: 1.1.0)" in out
    code, out, _ = run(capsys, "client", "audit", lock, "--json", "--state", state)
    assert code == 1 and json.loads(out)[0]["fixed"] == ["1.1.0"]


def test_audit_exits_0_when_no_locked_release_is_affected(
    signed_site: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, state = signed_site
    lock = tmp_path / "regsite.lock"
    code, _, err = run(capsys, "client", "lock", "beta", "-o", lock, "--state", state)
    assert code == 0, err  # beta 0.9.0 and alpha 1.1.0: the fixed release
    code, out, _ = run(capsys, "client", "audit", lock, "--state", state)
    assert (code, out.strip()) == (0, f"no advisory affects the releases locked in {lock}")


def test_client_changes_lists_the_events_after_since_and_refuses_a_restarted_feed(
    signed_site: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, state = signed_site
    code, out, err = run(capsys, "client", "changes", "--since", "0", "--json", "--state", state)
    assert code == 0, err
    changes = json.loads(out)
    assert [event["kind"] for event in changes["events"]] == ["feed.started"]
    code, _, err = run(
        capsys, "client", "changes", "--since", "0", "--epoch", "0" * 16, "--state", state
    )
    assert code == 1 and f"the feed restarted (epoch {changes['epoch']}" in err
    code, _, err = run(capsys, "client", "changes", "--since", "5", "--state", state)
    assert code == 1 and "past the latest event (1)" in err
