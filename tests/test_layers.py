"""The library's layering: regsite's modules import one another in one direction, so that they
read as one pipeline from the CLI down to the model.  Every import cycle among them fails here,
named import by import.

Only the imports that run when a module is imported count, with those under ``TYPE_CHECKING``
(a type a module names is a dependency too); an import inside a function does not, and it is no
way out of a cycle: move the shared definitions into a module both can import instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import regsite

PACKAGE = Path(regsite.__file__).parent
Imports = dict[str, dict[str, int]]  # module -> the modules it imports -> the line of the first


def module_names(package: Path) -> dict[str, Path]:
    """Every module of the package under ``package``, by its dotted name."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``body`` that run on import, at any depth: not those of a function."""
    for statement in body:
        yield statement
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.stmt):
                yield from import_time_statements([child])
            elif isinstance(child, ast.excepthandler | ast.match_case):
                yield from import_time_statements(child.body)


def imported(statement: ast.stmt, module: str, modules: Mapping[str, Path]) -> list[str]:
    """The modules of ``modules`` an import statement in ``module`` imports: ``from a import b``
    imports ``a.b`` when b is a submodule, else ``a``."""
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names if alias.name in modules]
    if not isinstance(statement, ast.ImportFrom):
        return []
    base = statement.module or ""
    if statement.level:  # relative: from the package that holds this module
        parts = module.split(".")[: None if modules[module].name == "__init__.py" else -1]
        parts = parts[: len(parts) - statement.level + 1]
        base = ".".join([*parts, *([base] if base else [])])
    named = [f"{base}.{alias.name}" for alias in statement.names]
    found = [name if name in modules else base for name in named]
    return [name for name in found if name in modules]


def import_graph(package: Path) -> Imports:
    """Each module of the package -> the modules of the package it imports on import."""
    modules = module_names(package)
    graph: Imports = {}
    for module, path in modules.items():
        targets = graph.setdefault(module, {})
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for statement in import_time_statements(tree.body):
            for target in imported(statement, module, modules):
                if target != module:
                    targets.setdefault(target, statement.lineno)
    return graph


def reachable(graph: Imports, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def cycles(graph: Imports) -> list[list[str]]:
    """The groups of modules that import one another, each sorted: one per cycle (or knot of
    cycles), an empty list when the imports run one way."""
    reach = {module: reachable(graph, module) for module in graph}
    groups = {
        frozenset(other for other in reach[module] if module in reach[other])
        for module in graph
        if module in reach[module]
    }
    return sorted(sorted(group) for group in groups)


def described(graph: Imports, group: list[str], files: Mapping[str, Path]) -> str:
    imports = [
        f"  {files[module].relative_to(PACKAGE.parent)}:{line} imports {target}"
        for module in group
        for target, line in graph[module].items()
        if target in group
    ]
    return f"{', '.join(group)}:\n" + "\n".join(imports)


def test_no_import_cycle_among_the_library_modules() -> None:
    graph = import_graph(PACKAGE)
    found = cycles(graph)
    files = module_names(PACKAGE)
    report = "\n".join(described(graph, group, files) for group in found)
    assert found == [], (
        f"import cycles among regsite's modules:\n{report}\nmove what both sides need into a"
        " module that imports neither (a function-local import only hides the cycle)"
    )


def test_the_cycle_check_counts_type_checking_imports_but_not_a_functions(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("from shop.till import Till\n")
    (package / "till.py").write_text("from shop import stock\nclass Till: ...\n")
    (package / "stock.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from shop.till import Till\n"
    )
    (package / "price.py").write_text("def total():\n    from shop import till\n")
    (package / "label.py").write_text("from . import price\n")
    (package / "shelf.py").write_text("import shop.label\n")
    graph = import_graph(package)
    assert graph["shop.price"] == {}
    assert graph["shop.label"] == {"shop.price": 1}
    assert graph["shop.shelf"] == {"shop.label": 1}
    assert cycles(graph) == [["shop.stock", "shop.till"]]
