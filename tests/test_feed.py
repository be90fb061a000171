"""The change feed: numbered events across rebuilds, immutable pages, epochs, Atom for people."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import feedparser
import pytest

from builder import SourceBuilder, release
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.build import BuildOptions, build, build_files
from regsite.feed import kinds, log, stage
from regsite.metadata import layout
from regsite.report import BuildChanges
from test_curation import BOUND, curated

HEAD = "api/v1/changes.json"


def rebuild(builder: SourceBuilder, source: Path, out: Path) -> None:
    builder.write(source)
    build(BuildOptions(source=source, output=out, jobs=1))


def head(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / HEAD).read_bytes())
    return document


def events(out: Path) -> list[dict[str, Any]]:
    found = []
    for page in head(out)["pages"]:
        found += json.loads((out / "api/v1" / page["url"]).read_bytes())["events"]
    return found


def test_sequence_numbers_only_increase_across_rebuilds(tmp_path: Path) -> None:
    builder, source, out = SourceBuilder(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    epoch = head(out)["epoch"]
    builder.packages["alpha"]["release"].append(release("alpha", "1.2.0", 5))
    rebuild(builder, source, out)
    builder.packages["alpha"]["release"][0].update(status="yanked", **{"status-reason": "Bad."})
    rebuild(builder, source, out)
    builder.add_package("gamma", ["alice"], [release("gamma", "0.1.0", 6)])
    rebuild(builder, source, out)
    found = events(out)
    assert [event["seq"] for event in found] == list(range(1, len(found) + 1))
    assert [event["kind"] for event in found] == [
        "feed.started",
        "release.added",
        "release.yanked",
        "package.added",
        "release.added",
    ]
    assert found[2] == {**found[2], "package": "alpha", "version": "1.0.0"}
    assert head(out)["epoch"] == epoch and head(out)["latest"] == 5


def test_rebuild_with_no_change_adds_nothing(tmp_path: Path) -> None:
    builder, source, out = SourceBuilder(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    before = {
        path: path.read_bytes() for path in (out / "api/v1").rglob("changes*") if path.is_file()
    }
    atom = (out / "feed.xml").read_bytes()
    result = build(BuildOptions(source=source, output=out, jobs=1))
    assert result.written == 0
    assert {
        path: path.read_bytes() for path in (out / "api/v1").rglob("changes*") if path.is_file()
    } == before
    assert (out / "feed.xml").read_bytes() == atom and head(out)["latest"] == 1


def test_full_pages_are_never_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log, "CHANGES_PAGE_SIZE", 2)
    monkeypatch.setattr(layout, "CHANGES_PAGE_SIZE", 2)
    builder, source, out = SourceBuilder(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    builder.packages["alpha"]["release"].append(release("alpha", "1.2.0", 5))
    rebuild(builder, source, out)  # events 1-2: the first page is full
    first = (out / "api/v1/changes/1-2.json").read_bytes()
    for day, version in ((6, "1.3.0"), (7, "1.4.0"), (8, "1.5.0")):
        builder.packages["alpha"]["release"].append(release("alpha", version, day))
        rebuild(builder, source, out)
    assert (out / "api/v1/changes/1-2.json").read_bytes() == first
    assert [page["url"] for page in head(out)["pages"]] == [
        "changes/1-2.json",
        "changes/3-4.json",
        "changes/5-5.json",
    ]


def test_damaged_previous_feed_starts_a_new_epoch_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder, source, out = SourceBuilder(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    builder.packages["alpha"]["release"].append(release("alpha", "1.2.0", 5))
    rebuild(builder, source, out)
    old_epoch = head(out)["epoch"]
    page = out / "api/v1/changes/1-2.json"
    page.write_bytes(page.read_bytes().replace(b"1.2.0", b"9.9.9"))
    builder.packages["alpha"]["release"].append(release("alpha", "1.3.0", 6))
    rebuild(builder, source, out)
    found = events(out)
    assert head(out)["epoch"] != old_epoch
    assert found[0]["kind"] == "feed.started" and found[0]["previous_epoch"] == old_epoch
    assert "sha256 differs" in found[0]["reason"]
    assert [event["kind"] for event in found] == ["feed.started", "release.added"]
    assert "starting a new feed epoch" in caplog.text


def test_missing_previous_feed_starts_a_new_epoch(tmp_path: Path) -> None:
    builder, source, out = SourceBuilder(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    (out / HEAD).unlink()
    builder.packages["alpha"]["release"].append(release("alpha", "1.2.0", 5))
    rebuild(builder, source, out)
    found = events(out)
    assert found[0]["reason"] == "no previous feed (api/v1/changes.json)"
    assert found[1]["kind"] == "release.added"  # the change is still reported


def test_same_input_and_previous_output_give_the_same_feed_bytes(tmp_path: Path) -> None:
    builder, source = SourceBuilder(), tmp_path / "src"
    rebuild(builder, source, tmp_path / "one")
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    builder.packages["beta"]["release"].append(release("beta", "1.0.0", 9))
    rebuild(builder, source, tmp_path / "one")
    rebuild(builder, source, tmp_path / "two")
    for name in (HEAD, "api/v1/changes/1-2.json", "feed.xml"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_feeds_validate_with_a_feed_parser_and_link_absolutely_under_the_base_url(
    source: Path, tmp_path: Path
) -> None:
    files = build_files(BuildOptions(source=source, output=tmp_path / "unused"))
    site = feedparser.parse(files["feed.xml"])
    package = feedparser.parse(files["packages/alpha/feed.xml"])
    for parsed in (site, package):
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
    assert site.feed.title == "Test Registry: changes"
    assert site.feed.links[0].href == "https://registry.example.org/sub/feed.xml"
    assert site.entries[0].title == "#1 Change feed started: no previous output"
    assert [entry.title for entry in package.entries] == ["alpha 1.1.0", "alpha 1.0.0"]
    assert (
        package.entries[0].link
        == "https://registry.example.org/sub/packages/alpha/index.html#v1.1.0"
    )
    page = files["packages/alpha/index.html"].decode()
    assert (
        '<link rel="alternate" type="application/atom+xml" title="alpha: releases"'
        ' href="../../packages/alpha/feed.xml">' in page
    )


def test_feed_links_are_relative_without_a_base_url(builder: SourceBuilder, tmp_path: Path) -> None:
    del builder.registry["registry"]["base-url"]
    source = builder.write(tmp_path / "src")
    files = build_files(BuildOptions(source=source, output=tmp_path / "unused"))
    parsed = feedparser.parse(files["packages/alpha/feed.xml"])
    assert not parsed.bozo
    assert parsed.entries[0].link == "../../packages/alpha/index.html#v1.1.0"
    assert 'href="../../feed.xml"' in files["packages/alpha/index.html"].decode()


def test_text_that_xml_cannot_hold_is_replaced_not_published(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.packages["alpha"]["package"]["description"] = "bell \x07 and <tags> & more"
    source = builder.write(tmp_path / "src")
    files = build_files(BuildOptions(source=source, output=tmp_path / "unused"))
    parsed = feedparser.parse(files["packages/alpha/feed.xml"])
    assert not parsed.bozo
    assert parsed.feed.subtitle == "bell \ufffd and <tags> & more"


def test_an_event_kind_is_registered_once_with_its_fields() -> None:
    kind = kinds.KINDS["release.yanked"]
    assert kind.document(7, "2026-01-01T00:00:00Z", ("alpha", "1.0")) == {
        "seq": 7,
        "kind": "release.yanked",
        "date": "2026-01-01T00:00:00Z",
        "package": "alpha",
        "version": "1.0",
    }
    with pytest.raises(ValueError, match="registered twice"):
        kinds.event_kind("release.yanked", ("package",), "{package}")
    with pytest.raises(ValueError, match="expected values for"):
        kind.document(8, "2026-01-01T00:00:00Z", ("alpha",))


def test_a_fresh_clone_continues_the_feed_of_the_previous_site_not_of_the_cache(
    tmp_path: Path,
) -> None:
    """CI: the source is a new clone, the cache and the last site come back from elsewhere."""
    builder, cache = SourceBuilder(), tmp_path / "cache"
    builder.write(tmp_path / "src")
    build(BuildOptions(source=tmp_path / "src", output=tmp_path / "deployed", cache=cache, jobs=1))
    epoch = head(tmp_path / "deployed")["epoch"]
    builder.packages["alpha"]["release"].append(release("alpha", "1.2.0", 5))
    clone = builder.write(tmp_path / "clone")
    restored = Path(shutil.copytree(cache, tmp_path / "restored-cache"))
    previous = Path(shutil.copytree(tmp_path / "deployed", tmp_path / "restored-site"))
    out = tmp_path / "new-site"
    build(BuildOptions(source=clone, output=out, cache=restored, previous=previous, jobs=1))
    assert head(out)["epoch"] == epoch and head(out)["latest"] == 2
    assert [event["kind"] for event in events(out)] == ["feed.started", "release.added"]
    # The same cache without the previous site: the feed cannot be continued from the cache.
    alone = tmp_path / "no-previous"
    build(BuildOptions(source=clone, output=alone, cache=restored, jobs=1))
    assert head(alone)["epoch"] != epoch
    assert [event["kind"] for event in events(alone)] == ["feed.started"]


def test_a_signed_site_continues_its_feed_and_a_head_its_metadata_does_not_list_restarts_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = Path(shutil.copytree(EXAMPLE_SITE, tmp_path / "src"))
    out = tmp_path / "site"
    options = BuildOptions(source=source, output=out, online_key=DEMO_ONLINE_KEY, jobs=1)
    build(options)
    epoch = head(out)["epoch"]
    build(options)
    assert head(out)["epoch"] == epoch and head(out)["latest"] == 1
    document = head(out)
    document["updated"] = "2030-01-01T00:00:00Z"  # the pages still match: only TUF notices
    (out / HEAD).write_text(json.dumps(document))
    build(options)
    started = events(out)[0]
    assert head(out)["epoch"] != epoch and started["previous_epoch"] == epoch
    assert started["reason"] == (
        "api/v1/changes.json: its bytes are not those the previous site's signed metadata lists"
    )
    assert "starting a new feed epoch" in caplog.text
    other = log.read_previous_feed(out, first_root=b"another registry's root")
    assert isinstance(other, log.FeedUnusable)
    assert other.reason.endswith(
        "metadata/1.root.json is not the source's: another registry's site"
    )
    assert isinstance(
        log.read_previous_feed(out, (source / "metadata/1.root.json").read_bytes()), log.Feed
    )


def test_a_change_of_a_packages_owners_is_an_event(tmp_path: Path) -> None:
    builder, source, out = SourceBuilder(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    builder.registry["packages"]["alpha"]["owners"] = ["alice", "bob"]
    rebuild(builder, source, out)
    event = events(out)[-1]
    assert event == {
        **event,
        "kind": "package.owners-changed",
        "package": "alpha",
        "from": ["alice"],
        "to": ["alice", "bob"],
    }


def test_amendments_reported_by_the_build_become_events_in_table_order() -> None:
    """What curation fills in BuildChanges (amendments_added/removed) becomes events."""
    upper = ("<2", "upper-bound", "alpha", None, "<2", "runtime")
    changes = BuildChanges(
        first_build=False,
        packages=2,
        releases=3,
        amendments_added=(("beta", upper),),
        amendments_removed=(("beta", ("*", "exclude", "alpha", "1.1.0", None, "build")),),
    )
    found = stage.events_of(kinds.KINDS.values(), kinds.FeedSources(changes))
    documents = [
        kind.document(seq, "2026-01-01T00:00:00Z", v) for seq, (kind, v) in enumerate(found, 1)
    ]
    assert [(d["kind"], d["dependency"], d["amendment_kind"]) for d in documents] == [
        ("amendment.added", "alpha", "runtime"),
        ("amendment.removed", "alpha", "build"),
    ]
    assert documents[0]["version"] == "" and documents[1]["specifier"] == ""


def test_adding_and_removing_a_curators_amendment_are_events_in_the_feed(tmp_path: Path) -> None:
    """The feed's amendment.* events come from the build's real amendments (docs/curation.md),
    in the JSON pages and in the Atom feed alike."""
    builder, source, out = curated(), tmp_path / "src", tmp_path / "site"
    rebuild(builder, source, out)
    builder.amend("beta", BOUND, signers=("carol",))
    rebuild(builder, source, out)
    added = events(out)[-1]
    assert added == {
        **added,
        "kind": "amendment.added",
        "package": "beta",
        "releases": "<=0.9.0",
        "narrows": "upper-bound",
        "dependency": "alpha",
        "version": "2.0.0",
        "specifier": "",
        "amendment_kind": "build",
    }
    titles = [entry.title for entry in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    assert f"#{added['seq']} beta: build amendment on alpha added" in titles
    for path in (source / "amendments/beta").iterdir():
        path.unlink()
    (source / "amendments/beta").rmdir()
    builder.amendments.clear()
    builder.amendment_signers.clear()
    rebuild(builder, source, out)
    removed = events(out)[-1]
    assert removed == {**removed, "kind": "amendment.removed", "package": "beta"}
    assert {k: v for k, v in removed.items() if k not in ("seq", "kind", "time")} == {
        k: v for k, v in added.items() if k not in ("seq", "kind", "time")
    }
