"""The CLI's layering: ``regsite.cli`` parses and prints, ``regsite.commands`` does the work, and
the dependency points one way.  Each failure names the module and the line to move."""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import regsite
import regsite.cli
import regsite.commands
from regsite.cli import command_parser
from regsite.cli.dispatch import Dispatch

PACKAGE = Path(regsite.__file__).parent
# The modules of regsite.cli that every command shares rather than one command's own.
SHARED_CLI = {"dispatch", "edits", "key_holders"}
# The one library module that writes to the terminal: the progress the CLI hands to a build.
TERMINAL = {"progress.py"}


def submodules(package: object) -> list[str]:
    path = package.__path__  # type: ignore[attr-defined]
    return sorted(info.name for info in pkgutil.iter_modules(path))


def library_files() -> Iterator[Path]:
    """Every module below the CLI: the commands, the pipeline, the client."""
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] != "cli" and relative != Path("__main__.py"):
            yield path


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def commands_of(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that does something (not a group like ``owner``), with its words."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if path and not groups:
        yield path, parser
    for group in groups:
        for name, child in group.choices.items():
            yield from commands_of(child, (*path, name))


def test_every_cli_module_imports() -> None:
    for name in submodules(regsite.cli):
        importlib.import_module(f"regsite.cli.{name}")


def test_no_library_module_imports_the_cli() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in library_files()
        for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if module == "regsite.cli" or module.startswith("regsite.cli.")
    ]
    assert wrong == [], "the library must not depend on the CLI; move the code into regsite.cli"


def test_importing_every_command_module_loads_no_cli_module() -> None:
    modules = [f"regsite.commands.{name}" for name in submodules(regsite.commands)]
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'regsite.cli' or m.startswith('regsite.cli.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_no_library_module_prints() -> None:
    wrong = []
    for path in library_files():
        if path.name in TERMINAL:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "print":
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} calls print")
            if isinstance(node, ast.Attribute) and ast.unparse(node) in (
                "sys.stdout",
                "sys.stderr",
            ):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} uses {ast.unparse(node)}")
    assert wrong == [], "return the text (or a warning) in the result; regsite.cli prints it"


def test_every_command_is_dispatched_to_its_library_module() -> None:
    wrong = []
    for words, parser in commands_of(command_parser()):
        handler = parser.get_default("handler")
        module = words[0].replace("-", "_")
        command = f"regsite {' '.join(words)}"
        if not isinstance(handler, Dispatch):
            wrong.append(f"{command}: handler {handler!r} is not a Dispatch")
            continue
        if handler.run.__module__ != f"regsite.commands.{module}":
            wrong.append(f"{command}: runs {handler.run.__module__}.{handler.run.__name__}")
        for part in (handler.options, handler.show):
            if part.__module__ != f"regsite.cli.{module}":
                wrong.append(f"{command}: {part.__qualname__} is in {part.__module__}")
    assert wrong == []


def test_each_command_has_one_cli_module_named_after_it() -> None:
    parser = command_parser()
    [group] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands = {name.replace("-", "_") for name in group.choices}
    assert set(submodules(regsite.cli)) - SHARED_CLI == commands
    assert commands <= set(submodules(regsite.commands))
