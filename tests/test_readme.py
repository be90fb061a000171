"""README limits (regsite.readme): each is a problem naming the README, the line and the limit;
a README whose package did not verify is never read; Markdown work runs within a CPU budget."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from builder import README, SourceBuilder
from conftest import EXAMPLE_SITE
from regsite import readme as readme_module
from regsite import summary
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.errors import BuildError, RegistryError
from regsite.load import SourceLimits
from regsite.readme import readme_problems
from test_validation import problems_of

SMALL = SourceLimits(
    readme_lines=10,
    readme_nesting=3,
    readme_list_items=5,
    readme_links=4,
    readme_table_cells=8,
    readme_emphasis=6,
)


def problems(text: str, limits: SourceLimits = SMALL) -> list[tuple[int, str]]:
    return readme_problems(text, limits)


def test_readme_with_too_many_lines_is_refused_at_the_first_line_over() -> None:
    assert problems("a\n" * 10) == []
    assert problems("a\n" * 11) == [(11, "more than 10 lines; shorten the README")]


def test_old_mac_line_ends_count_as_lines() -> None:
    assert problems("a\r" * 11) == [(11, "more than 10 lines; shorten the README")]
    assert problems("a\r\n" * 10) == []


def test_block_quotes_nested_too_deeply_are_refused() -> None:
    assert problems("> > > three\n") == []
    assert problems("a\n\n>>>> four\n") == [
        (3, "block quotes and lists nested 4 deep, more than the 3 allowed")
    ]


def test_lists_nested_too_deeply_are_refused() -> None:
    nested = "- a\n  - b\n    1. c\n       - d\n"
    assert problems(nested[: nested.index("       -")]) == []
    assert problems(nested) == [
        (4, "block quotes and lists nested 4 deep, more than the 3 allowed")
    ]
    assert problems("> - > - x\n") == [
        (1, "block quotes and lists nested 4 deep, more than the 3 allowed")
    ]


def test_lists_that_end_do_not_count_as_nested() -> None:
    lists = "- a\n  - b\n    - c\n\ntext\n\n- a\n  - b\n    - c\n- d\n  - e\n"
    assert problems(lists, SourceLimits(readme_nesting=3)) == []


def test_deep_indentation_in_code_is_not_nesting() -> None:
    fenced = "- item\n\n  ```yaml\n" + "".join(f"{'  ' * n}- level {n}\n" for n in range(12))
    assert problems(fenced + "  ```\n", SourceLimits(readme_nesting=3)) == []
    indented = "text\n\n" + "".join(f"    {'  ' * n}- level {n}\n" for n in range(12))
    assert problems(indented, SourceLimits(readme_nesting=3)) == []


def test_readme_with_too_many_list_items_is_refused() -> None:
    assert problems("- a\n" * 5) == []
    assert problems("* a\n+ b\n1. c\n2) d\n- e\n- f\n") == [
        (6, "more than 5 list items; shorten the lists")
    ]


def test_readme_with_too_many_links_is_refused() -> None:
    assert problems("[a](https://x.example) ![b](c) <https://y.example> [d]\n") == []
    assert problems("text\n[a] [b]\n<c> [d] [e]\n") == [
        (3, "more than 4 '[' and '<' (each may open a link or an image); link to fewer pages")
    ]


def test_readme_with_too_many_table_cells_is_refused() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n| 5 | 6 |\n"
    assert problems(table) == []  # 8 cells, the header's among them
    assert problems(table + "| 7 | 8 |\n") == [(6, "tables of more than 8 cells; shorten them")]
    assert problems(table + "\n" + table)[:1] == [(8, "tables of more than 8 cells; shorten them")]


def test_readme_with_too_many_emphasis_markers_is_refused() -> None:
    assert problems("**bold** and _it_\n") == []
    assert problems("**bold**\n\n_it_ ~\n") == [
        (3, "more than 6 '*', '_' and '~' (emphasis markers, counted in code too); use fewer")
    ]


def test_every_broken_limit_is_reported_together() -> None:
    found = problems(">>>>\n" + "- [*]\n" * 12)
    assert [line for line, _ in found] == [1, 6, 7, 8, 11]  # nesting, '[', items, '*', lines


def test_readmes_at_the_size_limit_written_as_people_write_keep_every_limit() -> None:
    texts = [path.read_text() for path in sorted(EXAMPLE_SITE.glob("packages/*/README.md"))]
    text = "\n".join(texts)
    limits = SourceLimits()
    text = (text * (limits.readme_bytes // len(text) + 1))[: limits.readme_bytes]
    assert readme_problems(text, limits) == []


# Through the build: the README's path, the line, the limit -----------------------------------


def test_a_readme_over_a_limit_fails_the_build_naming_it(source: Path) -> None:
    (source / "packages/beta/README.md").write_text(README)
    assert problems_of(source, SourceLimits(readme_lines=5)) == [
        "packages/beta/README.md: line 6: more than 5 lines; shorten the README"
    ]


def test_the_readme_of_a_package_that_did_not_verify_is_never_read(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    """The README breaks a limit, but the package's signature is missing: only that is said."""
    source = builder.write(tmp_path / "source")
    (source / "packages/beta/package.toml.sig").unlink()
    unverified = problems_of(source, SourceLimits(readme_lines=5))
    assert not any("README" in problem for problem in unverified)
    assert any("packages/beta/package.toml.sig" in problem for problem in unverified)


def test_the_readme_of_an_undelegated_package_is_never_read(
    builder: SourceBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del builder.registry["packages"]["beta"]
    source = builder.write(tmp_path / "source")
    read: list[str] = []
    monkeypatch.setattr(readme_module, "readme_problems", lambda text, limits: read.append(text))
    monkeypatch.setattr(summary, "readme_headings", lambda text: read.append(text) or ())
    found = problems_of(source)
    assert any("no entry in registry.toml [packages]" in problem for problem in found)
    assert read == []


def test_build_refuses_the_readme_of_half_a_million_brackets(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    builder.add_package("gamma", ["alice"], [], readme="[" * 500_000)
    source = builder.write(tmp_path / "source")
    assert main(["build", str(source), "-o", str(tmp_path / "site"), "--unsigned"]) == 1
    assert (
        "packages/gamma/README.md: line 1: more than 16,384 '[' and '<' (each may open a link or"
        " an image); link to fewer pages"
    ) in capsys.readouterr().err


# The CPU-time budget ---------------------------------------------------------------------------


def _spin(*args: object) -> tuple[str, ...]:
    ends = time.process_time() + 5
    while time.process_time() < ends:
        pass
    return ()


def test_a_readme_whose_checks_run_out_of_time_is_a_problem_naming_it(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readme_module, "readme_problems", _spin)
    assert problems_of(source, SourceLimits(readme_seconds=0.05)) == [
        "packages/beta/README.md: checking it took more than 0.05 CPU seconds, the budget of one"
        ' README; simplify its markup (docs/format.md, "Limits")'
    ]


def test_a_readme_whose_headings_run_out_of_time_is_a_problem_naming_it(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary, "readme_headings", _spin)
    options = BuildOptions(
        source=source,
        output=source.parent / "out",
        jobs=1,
        limits=SourceLimits(readme_seconds=0.05),
    )
    with pytest.raises(BuildError) as caught:
        build(options)
    assert [str(problem) for problem in caught.value.problems] == [
        "packages/beta/README.md: reading its headings took more than 0.05 CPU seconds, the budget"
        ' of one README; simplify its markup (docs/format.md, "Limits")'
    ]


def test_a_readme_that_renders_too_slowly_fails_the_build_naming_it(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    """The real thing: no stand-in, a README that markdown-it takes a while over (thousands of
    links, about 0.2 s) and a budget far below that, but far above what the checks and the
    headings take (about 2 ms)."""
    readme = "[a link](https://x.example/) " * 3000 + "\n"
    builder.add_package("gamma", ["alice"], [], readme=readme)
    source = builder.write(tmp_path / "source")
    options = BuildOptions(
        source=source, output=tmp_path / "out", jobs=1, limits=SourceLimits(readme_seconds=0.03)
    )
    with pytest.raises(RegistryError) as caught:
        build(options)
    assert str(caught.value) == (
        "packages/gamma/README.md: rendering it took more than 0.03 CPU seconds, the budget of one"
        ' README; simplify its markup (docs/format.md, "Limits")'
    )
    assert not (tmp_path / "out").exists()
