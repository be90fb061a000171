"""STYLE.md: functions stay short.  No function in regsite is over 40 lines (from its ``def``
line, or its first decorator, to its last line), so the number of long functions cannot grow
unnoticed; a function that genuinely reads better long goes in LONG_FUNCTIONS with the reason."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import regsite

PACKAGE = Path(regsite.__file__).parent
MAX_LINES = 40
# "module/path.py:qualified.name" -> why it may stay longer than MAX_LINES.
LONG_FUNCTIONS: dict[str, str] = {}


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """Each function and method below ``tree``, by qualified name, with its length in lines."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            assert node.end_lineno is not None
            yield prefix + node.name, node.end_lineno - first + 1
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def long_functions() -> dict[str, int]:
    """Every function in regsite over MAX_LINES lines, as ``path:name`` -> lines."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, lines in functions(tree):
            if lines > MAX_LINES:
                found[f"{path.relative_to(PACKAGE).as_posix()}:{name}"] = lines
    return found


def test_no_function_is_over_40_lines_unless_allowed_with_a_reason() -> None:
    long = long_functions()
    unexplained = [f"{where} ({lines} lines)" for where, lines in long.items()]
    unexplained = [entry for entry in unexplained if entry.split(" ")[0] not in LONG_FUNCTIONS]
    assert unexplained == [], "split these into well-named pieces (STYLE.md), or allow one here"


def test_every_allowed_long_function_is_still_long() -> None:
    stale = sorted(set(LONG_FUNCTIONS) - set(long_functions()))
    assert stale == [], "these are short now (or gone): remove them from LONG_FUNCTIONS"


def test_the_count_sees_nested_functions_and_decorators() -> None:
    source = "@decorator\ndef outer():\n    def inner():\n        pass\n    return inner\n"
    assert dict(functions(ast.parse(source))) == {"outer": 5, "outer.inner": 2}
