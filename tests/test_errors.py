"""Messages: printable, bounded, and with the fix for the mistakes people make."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from builder import SourceBuilder
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.errors import BuildError, RegistryError, SourceProblem, describe, printable
from regsite.fields import MAX_KEY_PARTS, long_key_problem
from regsite.load import SourceLimits

DEEP_TABLE = "{" + ("a." * 30 + "a = {") * 300 + "}" * 301  # 9,300 tables deep


def deep(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, é and 漢字", "plain text, é and 漢字"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("one\nerror: two\r", "one\\nerror: two\\r"),
        ("\u202eevil\u200b\u2028\x85\x7f", "\\u202eevil\\u200b\\u2028\\x85\\x7f"),
        ("lone \ud800", "lone \\ud800"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(shown) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1", "str '1'"),
        ("\x1b[2J" + "x" * 100, "str '\\x1b[2J" + "x" * 36 + "'… (104 characters)"),
        (10**5000, "int of 16610 bits"),
        (-3, "int -3"),
        (True, "bool True"),
        (1.5, "float 1.5"),
        (None, "NoneType None"),
        (date(2026, 1, 2), "date 2026-01-02"),
        (deep(100_000), "dict with 1 key"),
        ([[]] * 3, "list of 3 items"),
    ],
    ids=["str", "long-str", "huge-int", "int", "bool", "float", "none", "date", "deep", "list"],
)
def test_describe_is_short_and_never_walks_into_a_value(value: object, shown: str) -> None:
    assert describe(value) == shown


def test_an_error_message_cannot_start_a_line_of_its_own() -> None:
    error = RegistryError("x.json: key 'a\nerror: all is well\x1b[0m' is wrong")
    assert str(error) == "x.json: key 'a\\nerror: all is well\\x1b[0m' is wrong"
    listing = RegistryError("2 problems:", details=["one\nfake", "two"])
    assert str(listing) == "2 problems:\n  one\\nfake\n  two"
    problem = SourceProblem("packages/a\nb/package.toml", "k\u202e", "bad\rvalue")
    assert problem.display("src") == "src/packages/a\\nb/package.toml: k\\u202e: bad\\rvalue"
    listed = BuildError([problem, problem])
    assert str(listed).splitlines()[1:] == [f"  {problem.display()}"] * 2


def test_control_characters_in_key_names_are_escaped(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = builder.write(tmp_path / "source")
    index = source / "packages" / "alpha" / "package.toml"
    evil = '"\\u001b[31mred" = 1\n"fake\\nerror: line" = 2\n"\\u202eevil" = 3\n'
    index.write_text(index.read_text().replace("[package]\n", "[package]\n" + evil, 1))
    for argv in (["verify", str(source)], ["build", str(source), "-o", str(tmp_path / "out")]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert all(line.isprintable() for line in err.splitlines()), err
        assert "package.\\x1b[31mred: unknown key" in err
        assert "package.fake\\nerror: line: unknown key" in err
        assert "package.\\u202eevil: unknown key" in err
        assert not any(line.startswith("error: line") for line in err.splitlines())


@pytest.mark.parametrize("file", ["registry.toml", "packages/alpha/package.toml"])
def test_a_table_9300_deep_where_a_string_is_expected_is_one_problem(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str], file: str
) -> None:
    source = builder.write(tmp_path / "source")
    key = "title" if file == "registry.toml" else "description"
    path = source / file
    text = path.read_text()
    start = text.index(f"{key} = ")
    path.write_text(text[:start] + f"{key} = {DEEP_TABLE}" + text[text.index("\n", start) :])
    for argv in (["verify", str(source)], ["build", str(source), "-o", str(tmp_path / "out")]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        assert f"{key}: expected a string, found dict with 1 key" in err


def test_a_dotted_key_of_a_million_parts_is_refused_in_linear_time(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    source = builder.write(tmp_path / "source")
    limit = SourceLimits().package_bytes
    index = source / "packages" / "alpha" / "package.toml"
    parts = (limit - index.stat().st_size) // 2 - 10  # tomllib would take hours
    index.write_text(index.read_text() + "a." * parts + "a = 1\n")
    started = time.perf_counter()
    with pytest.raises(BuildError, match=f"a dotted key of {MAX_KEY_PARTS} or more parts"):
        build(BuildOptions(source=source, output=tmp_path / "out"))
    assert time.perf_counter() - started < 60  # generous: only hours-long regressions fail


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("x = 1\n" + ".".join(["a"] * MAX_KEY_PARTS) + " = 1", 2),
        ("[" + " . ".join(['"a.b"'] * MAX_KEY_PARTS) + "]", 1),
        ("x = {" + ".".join(["'a'"] * MAX_KEY_PARTS) + " = 1}", 1),
        ('x = "a"\n\n' + ".".join(['"\\u0061"'] * 40) + " = 1", 3),
    ],
)
def test_long_dotted_keys_are_found_however_they_are_written(text: str, line: int) -> None:
    assert (long_key_problem(text) or "").startswith(f"line {line}: ")


@pytest.mark.parametrize(
    "text",
    [
        ".".join(["a"] * (MAX_KEY_PARTS - 1)) + " = 1",
        'description = "' + ".".join(["a"] * 100) + '"',
        '"' + '\\"' * 100_000 + "." * 40,
    ],
)
def test_dots_in_strings_and_short_keys_are_fine(text: str) -> None:
    assert long_key_problem(text) is None


def test_a_byte_order_mark_is_named_with_the_fix(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = builder.write(tmp_path / "source")
    index = source / "packages" / "alpha" / "package.toml"
    index.write_bytes(b"\xef\xbb\xbf" + index.read_bytes())
    assert main(["verify", str(source)]) == 1
    err = capsys.readouterr().err
    assert "package.toml: the file starts with a UTF-8 byte order mark (BOM)" in err
    assert "save it as UTF-8 without a BOM" in err
    assert "Invalid statement" not in err


def test_crlf_line_endings_get_a_hint_about_autocrlf(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = builder.write(tmp_path / "source")
    index = source / "packages" / "alpha" / "package.toml"
    index.write_bytes(index.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["verify", str(source)]) == 1
    err = capsys.readouterr().err
    assert "the file changed after it was signed" in err
    assert "packages/alpha/package.toml has CRLF (\\r\\n) line endings" in err
    assert "core.autocrlf" in err and "'*.toml -text'" in err
    beta = source / "packages" / "beta" / "package.toml"
    beta.write_bytes(beta.read_bytes() + b"# changed\n")  # changed, but not CRLF: no hint
    assert main(["verify", str(source)]) == 1
    assert "beta/package.toml has CRLF" not in capsys.readouterr().err


def test_a_readme_converted_to_crlf_gets_the_hint_about_autocrlf(
    builder: SourceBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = builder.write(tmp_path / "source")
    readme = source / "packages" / "beta" / "README.md"
    readme.write_bytes(readme.read_bytes().replace(b"\n", b"\r\n"))
    assert main(["build", str(source), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "packages/beta/package.toml: package.readme.sha256: README.md has sha256" in err
    assert "packages/beta/README.md has CRLF (\\r\\n) line endings" in err
    assert "core.autocrlf" in err and "'*.md -text'" in err
    assert "if it was edited, run 'regsite package readme' and sign again" in err
