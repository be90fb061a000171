"""``regsite build``'s policy (regsite.commands.build): when signing is required, the warnings
it returns, the environment it reads; and how the CLI (regsite.cli.build) prints them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cliregistry import run
from conftest import EXAMPLE_SITE
from regsite.commands.build import BuildRequest, RootPins, build_site, parse_size, pinned_root
from regsite.errors import RegistryError
from regsite.keys import generate_private_key

ONLINE_KEY = EXAMPLE_SITE / "demo-keys" / "online.key"
EXPIRED = re.compile(
    r"signed at SOURCE_DATE_EPOCH, the timestamp expired at 2020-01-0\d \d\d:\d\dZ;"
    r" run 'regsite timestamp refresh' before publishing"
)


def test_the_library_returns_warnings_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    signed = build_site(BuildRequest(source=EXAMPLE_SITE, output=site, online_key=str(ONLINE_KEY)))
    assert signed.signed and signed.warnings == ()
    unsigned = build_site(BuildRequest(source=EXAMPLE_SITE, output=site, unsigned=True))
    assert not unsigned.signed
    assert unsigned.warnings == (
        f"{site} holds a signed site; after this unsigned build, the next signed one needs"
        " --previous (a copy of it) to continue its metadata versions",
    )
    assert capsys.readouterr() == ("", "")


def test_an_unsigned_build_over_a_signed_site_warns_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = str(tmp_path / "site")
    assert (
        run(capsys, "build", str(EXAMPLE_SITE), "-o", site, "--online-key", str(ONLINE_KEY))[0] == 0
    )
    code, out, err = run(capsys, "build", str(EXAMPLE_SITE), "-o", site, "--unsigned", "-q")
    assert (code, out) == (0, "")
    assert err == (
        f"warning: {site} holds a signed site; after this unsigned build, the next signed one"
        " needs --previous (a copy of it) to continue its metadata versions\n"
    )


def test_a_timestamp_signed_at_an_old_source_date_epoch_warns_that_it_expired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1577836800")  # 2020-01-01
    site = str(tmp_path / "site")
    code, out, err = run(
        capsys, "build", str(EXAMPLE_SITE), "-o", site, "--online-key", str(ONLINE_KEY), "-q"
    )
    assert (code, out) == (0, "")
    assert EXPIRED.fullmatch(err.removeprefix("warning: ").rstrip("\n")), err
    built = build_site(
        BuildRequest(source=EXAMPLE_SITE, output=tmp_path / "again", online_key=str(ONLINE_KEY))
    )
    assert len(built.warnings) == 1 and EXPIRED.fullmatch(built.warnings[0])


def test_a_recent_source_date_epoch_gives_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "4102444800")  # 2100: expires long after now
    built = build_site(
        BuildRequest(source=EXAMPLE_SITE, output=tmp_path / "site", online_key=str(ONLINE_KEY))
    )
    assert built.signed and built.warnings == ()


def test_the_online_key_is_read_from_the_environment_when_not_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGSITE_ONLINE_KEY", ONLINE_KEY.read_text())
    built = build_site(BuildRequest(source=EXAMPLE_SITE, output=tmp_path / "site"))
    assert built.signed and (tmp_path / "site" / "metadata" / "timestamp.json").is_file()


def test_a_registry_with_a_root_is_not_built_unsigned_by_accident(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGSITE_ONLINE_KEY", raising=False)
    with pytest.raises(RegistryError, match=r"metadata: this registry publishes signed metadata"):
        build_site(BuildRequest(source=EXAMPLE_SITE, output=tmp_path / "site"))
    assert not (tmp_path / "site").exists()


def test_root_keys_come_from_the_options_before_the_environment() -> None:
    given, environment = generate_private_key().public, generate_private_key().public
    environ = {"REGSITE_ROOT_KEYS": str(environment)}
    assert pinned_root(RootPins(), {}) is None
    from_environment = pinned_root(RootPins(), environ)
    assert from_environment is not None and from_environment.keys == {environment}
    from_options = pinned_root(RootPins(keys=(str(given),)), environ)
    assert from_options is not None and from_options.keys == {given}


@pytest.mark.parametrize(
    ("pins", "message"),
    [
        (RootPins(keys=("ed25519:nope",)), "--root-key / REGSITE_ROOT_KEYS: "),
        (RootPins(keys=(str(generate_private_key().public),), threshold=2), "between 1 and 1"),
        (RootPins(keys=(str(generate_private_key().public),), threshold=0), "between 1 and 1"),
    ],
    ids=["bad-key", "threshold-above", "threshold-zero"],
)
def test_pinned_root_keys_that_cannot_work_are_refused(pins: RootPins, message: str) -> None:
    with pytest.raises(RegistryError, match=re.escape(message)):
        pinned_root(pins, {})


def test_a_report_that_cannot_be_written_names_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "missing-directory" / "report.md"
    code, _, err = run(
        capsys, "build", str(EXAMPLE_SITE), "-o", str(tmp_path / "site"), "--unsigned", "-q",
        "--report-md", str(report),
    )  # fmt: skip
    assert code == 1
    assert err == f"error: {report}: cannot write the report: No such file or directory\n"


def test_the_report_is_written_beside_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.md"
    code, out, _ = run(
        capsys, "build", str(EXAMPLE_SITE), "-o", str(tmp_path / "site"), "--unsigned",
        "--report-md", str(report),
    )  # fmt: skip
    assert code == 0 and out.startswith("built ")
    assert "no metadata signed (--unsigned): clients cannot verify this site" in out
    assert report.read_text(encoding="utf-8").startswith("#")


def test_a_site_nearing_the_host_budget_warns_and_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    built = build_site(BuildRequest(source=EXAMPLE_SITE, output=site, unsigned=True))
    assert built.warnings == () and built.result.bytes > 0
    tight = built.result.bytes * 100 // 95  # the site is 95% of it
    again = build_site(
        BuildRequest(source=EXAMPLE_SITE, output=site, unsigned=True, host_budget=tight)
    )
    assert len(again.warnings) == 1
    assert re.search(r"the site is .* MB, 95% of the host budget of .* MB", again.warnings[0])
    assert "publish less: release-pages = false in [registry]" in again.warnings[0]
    argv = ["build", str(EXAMPLE_SITE), "-o", str(site), "--unsigned"]
    code, out, err = run(capsys, *argv, "--host-budget", "10KB")
    assert code == 0 and "of the host budget of 0 MB (--host-budget;" in err
    assert re.search(r"per package: [0-9.]+ KB in [0-9.]+ files", out)
    assert "host budget" not in run(capsys, *argv, "--host-budget", "0")[2]
    with pytest.raises(SystemExit):
        run(capsys, *argv, "--host-budget", "a lot")
    assert "expected a size like 1GB, 500MB or 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "size"),
    [("1GB", 10**9), ("500MB", 500 * 10**6), ("2GiB", 2 * 2**30), ("0", 0), ("1.5 GB", 15 * 10**8)],
)
def test_host_budget_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "command",
    [["build", str(EXAMPLE_SITE), "-o", "site"], ["timestamp", "refresh", "site"], ["init", "r"]],
)
def test_online_key_given_twice_is_refused_rather_than_the_first_dropped(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    twice = ["--online-key", str(ONLINE_KEY), "--online-key", "env:OTHER_KEY"]
    with pytest.raises(SystemExit) as exit_status:
        run(capsys, *command, *twice)
    assert exit_status.value.code == 2
    assert "--online-key takes one value; it was given more than once" in capsys.readouterr().err
