"""What the command line prints around a command: -v, -q, stage lines, and the last-resort guard
that keeps tracebacks from users."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cliregistry import run
from conftest import EXAMPLE_SITE

# Output: -v, -q, stage lines --------------------------------------------------------------------


def test_quiet_first_signed_build_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    online = str(EXAMPLE_SITE / "demo-keys/online.key")
    argv = ["build", str(EXAMPLE_SITE), "-o", str(tmp_path / "s"), "--online-key", online]
    assert run(capsys, *argv, "-q") == (0, "", "")


def test_stage_times_are_printed_once_outside_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "build", str(EXAMPLE_SITE), "-o", str(tmp_path / "s"), "--unsigned"
    )
    assert code == 0
    assert [line for line in err.splitlines() if line.startswith("scan: ")] == [
        next(line for line in err.splitlines() if line.startswith("scan: 18 packages, "))
    ]
    assert "stages:" not in out and out.startswith("built 18 packages")


@pytest.mark.slow
def test_verbose_shows_regsite_logs_but_not_its_libraries_debug_lines(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "regsite", "-v", "build", str(EXAMPLE_SITE), "-o", str(tmp_path / "s"),
         "--online-key", str(EXAMPLE_SITE / "demo-keys" / "online.key"), "-j", "2"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "no previous site: metadata versions start at 1" in lines  # regsite.build, at INFO
    assert len(lines) < 20, lines[:20]  # one per stage and two log lines; markdown-it's are off


# The last resort ---------------------------------------------------------------------------------


def broken_keygen(path: Path) -> None:
    raise ValueError("an unforeseen state\nwith a second line \x1b[31m")


def test_a_bug_prints_one_line_naming_it_and_exits_70(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGSITE_TRACEBACK", raising=False)
    monkeypatch.setattr("regsite.cli.keygen.generate_key_file", broken_keygen)
    code, out, err = run(capsys, "keygen", str(tmp_path / "k.key"))
    assert (code, out) == (70, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: this is a bug in regsite ")
    assert "(ValueError: an unforeseen state\\nwith a second line \\x1b[31m)" in err
    assert "run it again with -v (or REGSITE_TRACEBACK=1) to see the traceback" in err


@pytest.mark.parametrize("ask", ["-v", "REGSITE_TRACEBACK"])
def test_a_bug_shows_its_traceback_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ask: str
) -> None:
    monkeypatch.setattr("regsite.cli.keygen.generate_key_file", broken_keygen)
    if ask == "REGSITE_TRACEBACK":
        monkeypatch.setenv("REGSITE_TRACEBACK", "1")
    argv = ["-v"] if ask == "-v" else []
    code, _, err = run(capsys, *argv, "keygen", str(tmp_path / "k.key"))
    assert code == 70
    assert err.startswith("Traceback (most recent call last):") and "broken_keygen" in err
    assert err.splitlines()[-1].startswith("error: this is a bug in regsite")


def test_an_os_error_names_the_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(path: Path) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("regsite.cli.keygen.generate_key_file", full_disk)
    code, _, err = run(capsys, "keygen", str(tmp_path / "k.key"))
    assert (code, err) == (1, f"error: {tmp_path / 'k.key'}: No space left on device\n")
