"""Inputs that once crashed or fooled the build: each must give a clean, named problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key
from regsite.build import BuildOptions, build, read_site, source_date_epoch
from regsite.commands.sign import sign_file
from regsite.errors import BuildError, OutputError, RegistryError
from regsite.theme import ThemeError
from regsite.verify import PinnedRoot
from test_build import tree_digest
from test_validation import problems_of


def set_package(builder: SourceBuilder, key: str, value: object) -> None:
    builder.packages["alpha"]["package"][key] = value


def test_url_that_urlsplit_refuses(builder: SourceBuilder, tmp_path: Path) -> None:
    set_package(builder, "homepage", "http://[abc")
    problems = problems_of(builder.write(tmp_path / "s"))
    assert (
        "packages/alpha/package.toml: package.homepage: not a valid URL: 'http://[abc'" in problems
    )


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1969-12-31T23:59:59Z"]
)
def test_dates_at_the_edge_of_the_calendar(source: Path, moment: str) -> None:
    path = source / "packages/alpha/package.toml"
    text = path.read_text()
    path.write_text(
        text.replace("2026-01-01T12:00:00Z", moment, 1).replace(
            "2026-01-01 12:00:00+00:00", moment, 1
        )
    )
    assert path.read_text() != text
    sign_file(path, fixed_key("alice"))
    problems = problems_of(source)
    assert (
        "packages/alpha/package.toml: release[0].published: expected a date-time between the years 1970 and 9998"
        in problems
    )


def test_huge_integers(builder: SourceBuilder, tmp_path: Path) -> None:
    builder.packages["alpha"]["release"][0]["artifact"][0]["size"] = 2**64
    problems = problems_of(builder.write(tmp_path / "s"))
    assert any(
        p.startswith(
            "packages/alpha/package.toml: release[0].artifact[0].size: expected an integer from 0 to"
        )
        for p in problems
    )


@pytest.mark.parametrize(
    "relative", ["registry.toml", "packages/alpha/package.toml", "packages/alpha/package.toml.sig"]
)
@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("x = " + "9" * 5000 + "\n", "not valid"),
        ("x = " + "[" * 3000 + "]" * 3000 + "\n", "not valid"),
    ],
    ids=["integer-too-long", "nested-too-deeply"],
)
def test_toml_that_tomllib_refuses_without_a_decode_error(
    source: Path, relative: str, payload: str, fragment: str
) -> None:
    (source / relative).write_text(payload)
    problems = problems_of(source)
    assert any(p.startswith(relative) and fragment in p for p in problems), problems


@pytest.mark.parametrize("value", ["99999999999999999", "²", "-1", "1.5", " 1"])
def test_bad_source_date_epoch(value: str) -> None:
    with pytest.raises(RegistryError, match="SOURCE_DATE_EPOCH must be a whole number"):
        source_date_epoch({"SOURCE_DATE_EPOCH": value})


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{% block main %}{% if %}{% endblock %}", "theme template"),
        (
            "{% extends 'base.html' %}{% block main %}{{ nothing_here }}{% endblock %}",
            "'nothing_here' is undefined",
        ),
        (
            "{% extends 'base.html' %}{% block main %}{{ asset('gone.css') }}{% endblock %}",
            "no static/gone.css",
        ),
    ],
)
def test_broken_theme_templates(source: Path, tmp_path: Path, template: str, fragment: str) -> None:
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "404.html").write_text(template)
    with pytest.raises(ThemeError, match=fragment.replace("(", r"\(")):
        build(BuildOptions(source=source, output=tmp_path / "out", theme=theme))
    assert not (tmp_path / "out").exists()


def test_a_build_never_replaces_a_tree_holding_its_source(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "nest"
    build(BuildOptions(source=source, output=out))
    shutil.copytree(source, out / "src")
    with pytest.raises(OutputError, match="holds the source directory"):
        build(BuildOptions(source=out / "src", output=out))
    assert (out / "src/registry.toml").is_file()


def test_a_broken_package_is_reported_once_not_by_its_dependents(source: Path) -> None:
    (source / "packages/alpha/package.toml").write_text("this is not toml")
    problems = problems_of(source)
    assert len(problems) == 1 and problems[0].startswith(
        "packages/alpha/package.toml: not valid TOML"
    )


def test_pages_show_dates_in_utc_like_the_json(builder: SourceBuilder, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    late = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    builder.packages["alpha"]["release"][1]["published"] = late
    out = tmp_path / "out"
    build(BuildOptions(source=builder.write(tmp_path / "s"), output=out))
    assert (
        json.loads((out / "api/v1/packages/alpha.json").read_text())["releases"][0]["published"]
        == "2026-03-02T04:30:00Z"
    )
    assert '<time datetime="2026-03-02">' in (out / "packages/alpha/index.html").read_text()


def test_white_space_is_not_a_reason(builder: SourceBuilder, tmp_path: Path) -> None:
    builder.packages["alpha"]["release"][0] |= {"status": "yanked", "status-reason": "   "}
    problems = problems_of(builder.write(tmp_path / "s"))
    assert (
        "packages/alpha/package.toml: release[0].status-reason: must not be empty or only white space"
        in problems
    )


def test_pinned_root_keys_stop_a_swapped_root(builder: SourceBuilder, tmp_path: Path) -> None:
    pin = PinnedRoot(keys=frozenset({fixed_key("root").public}))
    source = builder.write(tmp_path / "s")
    read_site(BuildOptions(source=source, output=tmp_path / "o", pinned_root=pin))
    # An attacker rewrites registry.toml with their own root key and signs it with that key.
    builder.registry["trust"]["root-keys"] = [str(fixed_key("mallory").public)]
    source = builder.write(tmp_path / "s2", sign=False)
    sign_file(source / "registry.toml", fixed_key("mallory"))
    for name in ("alpha", "beta"):
        owner = builder.registry["packages"][name]["owners"][0]
        sign_file(source / "packages" / name / "package.toml", fixed_key(owner))
    read_site(BuildOptions(source=source, output=tmp_path / "o"))  # unpinned: trusted on first use
    with pytest.raises(BuildError) as caught:
        read_site(BuildOptions(source=source, output=tmp_path / "o", pinned_root=pin))
    assert [str(p) for p in caught.value.problems] == [
        "registry.toml.sig: signed by 0 of the pinned root keys (--root-key), 1 required:"
        " registry.toml's root keys changed, or the pin is out of date"
    ]


def test_failed_theme_leaves_previous_output(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(source=source, output=out))
    before = tree_digest(out)
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "index.html").write_text("{{ undefined_thing }}")
    with pytest.raises(ThemeError):
        build(BuildOptions(source=source, output=out, theme=theme))
    assert tree_digest(out) == before
