"""Help for every option and argument, and the shell completion scripts made from the parser."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cliregistry import run
from regsite.cli import command_parser
from regsite.commands.completion import CompletionOptions, completion_script


def parsers(
    parser: argparse.ArgumentParser, path: str = "regsite"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}")


def test_every_command_option_and_argument_has_help() -> None:
    missing = []
    for path, parser in parsers(command_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._VersionAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{path} {c.dest}" for c in action._choices_actions if not c.help]
    assert missing == []


def test_bare_regsite_lists_the_commands_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code == 2 and out == ""
    assert err.startswith("usage: regsite")
    for command in ("init", "keygen", "build", "verify", "serve", "client", "completion"):
        assert f"\n    {command} " in err


@pytest.mark.parametrize("group", ["owner", "package", "release", "root", "trust", "client"])
def test_a_command_group_alone_lists_its_actions_and_exits_2(
    capsys: pytest.CaptureFixture[str], group: str
) -> None:
    code, _, err = run(capsys, group)
    assert code == 2 and err.startswith(f"usage: regsite {group} ") and "ACTION" in err


def bash_completions(script: Path, *words: str) -> list[str]:
    """What bash offers for the last of ``words``, as its completion function computes it."""
    line = " ".join(f"'{word}'" for word in words)
    program = (
        f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _regsite;"
        ' printf "%s\\n" "${COMPREPLY[@]}"'
    )
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "-c", program], capture_output=True, text=True, check=True)
    return result.stdout.split()


@pytest.fixture
def bash_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, _ = run(capsys, "completion", "bash")
    assert code == 0
    script = tmp_path / "regsite.bash"
    script.write_text(out)
    return script


def test_bash_completion_script_is_valid_bash(bash_script: Path) -> None:
    subprocess.run(["bash", "-n", str(bash_script)], check=True)


def test_bash_completion_completes_commands_actions_and_options(
    bash_script: Path, tmp_path: Path
) -> None:
    assert bash_completions(bash_script, "regsite", "bu") == ["build"]
    assert bash_completions(bash_script, "regsite", "-v", "owner", "") == [
        "add", "add-key", "revoke-key",
    ]  # fmt: skip
    assert bash_completions(bash_script, "regsite", "yank", "--si") == ["--sign"]
    assert bash_completions(bash_script, "regsite", "completion", "") == ["bash", "zsh", "fish"]
    (tmp_path / "root.key").touch()
    assert bash_completions(bash_script, "regsite", "sign", "--key", f"{tmp_path}/ro") == [
        f"{tmp_path}/root.key"
    ]
    # a value of an option is not taken for a command: "owner" here names an owner id
    assert bash_completions(
        bash_script, "regsite", "package", "new", "--owner", "owner", "--ke"
    ) == ["--keyword"]


def test_zsh_completion_script_runs_the_bash_function(tmp_path: Path) -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh is not installed")
    script = tmp_path / "regsite.zsh"
    script.write_text(completion_script(CompletionOptions(parser=command_parser(), shell="zsh")))
    subprocess.run([zsh, "-n", str(script)], check=True)
    program = (
        f'source {script}; emulate sh -c \'COMP_WORDS=(regsite owner ""); COMP_CWORD=2; _regsite;'
        ' echo "${COMPREPLY[@]}"\''
    )
    result = subprocess.run(
        [zsh, "-f", "-c", program], capture_output=True, text=True, check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    # zsh's own matching filters by what was typed: bash's compgen -W filtering is not emulated
    assert result.stdout.split() == ["add", "add-key", "revoke-key"]


def test_fish_completion_script_completes_commands_and_options(tmp_path: Path) -> None:
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed")
    script = tmp_path / "regsite.fish"
    script.write_text(completion_script(CompletionOptions(parser=command_parser(), shell="fish")))
    subprocess.run([fish, "-n", str(script)], check=True)
    program = (
        f"source {script}; complete -C 'regsite ow'; complete -C 'regsite owner add --na';"
        " complete -C 'regsite client '"
    )
    result = subprocess.run(
        [fish, "--no-config", "-c", program], capture_output=True, text=True, check=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    offered = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert offered == [
        "owner", "--name", "audit", "changes", "download", "lock", "show", "trust", "vendor"
    ]  # fmt: skip
