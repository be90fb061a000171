from __future__ import annotations

import pytest

from regsite.names import name_problem, normalize_name


@pytest.mark.parametrize(
    ("name", "normalised"),
    [("Foo.Bar", "foo-bar"), ("foo_bar", "foo-bar"), ("a--_.b", "a-b"), ("tinyjson", "tinyjson")],
)
def test_normalize_name(name: str, normalised: str) -> None:
    assert normalize_name(name) == normalised


@pytest.mark.parametrize("name", ["tinyjson", "http-kit", "a", "x1", "a" * 64, "com10"])
def test_valid_names(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("../x", "may only contain"),
        ("a/b", "may only contain"),
        ("Foo.Bar", "expected 'foo-bar'"),
        ("foo_bar", "expected 'foo-bar'"),
        ("-foo", "start and end"),
        ("foo-", "start and end"),
        ("con", "reserved by Windows"),
        ("lpt1", "reserved by Windows"),
        ("аpple", "ASCII"),  # Cyrillic а
        ("tinyjsоn", "ASCII"),  # Cyrillic о
        ("a" * 65, "at most 64"),
        ("a b", "may only contain"),
    ],
)
def test_invalid_names(name: str, fragment: str) -> None:
    problem = name_problem(name)
    assert problem is not None
    assert fragment in problem
