"""Attacks on the build's signature checks: every one must stop the build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key
from regsite.commands.sign import sign_file
from test_validation import problems_of

SIGNED_FILES = [
    "registry.toml",
    "registry.toml.sig",
    "packages/alpha/package.toml",
    "packages/alpha/package.toml.sig",
    "packages/beta/package.toml",
    "packages/beta/README.md",
]


@pytest.mark.parametrize("relative", SIGNED_FILES)
def test_one_flipped_byte_in_any_signed_file_fails_the_build(source: Path, relative: str) -> None:
    path = source / relative
    data = bytearray(path.read_bytes())
    # Flip a byte inside a signature or key value, or in the body of the other files.
    position = data.rfind(b'sig = "') + 10 if relative.endswith(".sig") else len(data) // 2
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    assert problems_of(source)


def test_package_signed_by_an_undelegated_owner(source: Path) -> None:
    (source / "packages/alpha/package.toml.sig").unlink()
    sign_file(source / "packages/alpha/package.toml", fixed_key("bob"))
    problems = problems_of(source)
    assert any(
        p.startswith("packages/alpha/package.toml.sig: signature[0]: key ed25519:")
        and "belongs to owner 'bob', who is not delegated this package" in p
        for p in problems
    )
    assert any("threshold not met: 0 of the required 1 owners signed" in p for p in problems)


def test_package_signed_by_an_unknown_key(source: Path) -> None:
    sign_file(source / "packages/alpha/package.toml", fixed_key("mallory"))
    problems = problems_of(source)
    assert any("is not a key of any owner in registry.toml [owners]" in p for p in problems)


def test_registry_signed_by_a_key_that_is_not_a_root_key(source: Path) -> None:
    (source / "registry.toml.sig").unlink()
    sign_file(source / "registry.toml", fixed_key("alice"))
    problems = problems_of(source)
    assert any(
        "is not one of the root keys in registry.toml [trust] root-keys" in p for p in problems
    )


def test_signature_copied_from_another_file(source: Path) -> None:
    shutil.copy(
        source / "packages/beta/package.toml.sig", source / "packages/alpha/package.toml.sig"
    )
    problems = problems_of(source)
    assert any(p.startswith("packages/alpha/package.toml.sig: signature[0]") for p in problems)


def test_package_index_signature_replayed_on_the_registry_file(
    source: Path, builder: SourceBuilder
) -> None:
    # The root key signs a package file; its bytes are then used as registry.toml.
    alpha = source / "packages/alpha/package.toml"
    sign_file(alpha, fixed_key("root"))
    shutil.copy(alpha, source / "registry.toml")
    shutil.copy(alpha.with_name("package.toml.sig"), source / "registry.toml.sig")
    assert problems_of(source)


def test_missing_signature_file(source: Path) -> None:
    (source / "packages/beta/package.toml.sig").unlink()
    problems = problems_of(source)
    assert any(
        p.startswith("packages/beta/package.toml.sig: signature file is missing") for p in problems
    )


def test_threshold_of_two_owners(builder: SourceBuilder, tmp_path: Path) -> None:
    builder.registry["packages"]["alpha"] = {"owners": ["alice", "bob"], "threshold": 2}
    builder.registry["owners"]["alice"]["keys"].append(str(fixed_key("alice-laptop").public))
    source = builder.write(tmp_path / "source", sign=False)
    sign_file(source / "registry.toml", fixed_key("root"))
    sign_file(source / "packages/beta/package.toml", fixed_key("bob"))
    alpha = source / "packages/alpha/package.toml"
    sign_file(alpha, fixed_key("alice"))
    sign_file(alpha, fixed_key("alice-laptop"))  # two keys of one owner count once
    problems = problems_of(source)
    assert (
        "packages/alpha/package.toml.sig: threshold not met: 1 of the required 2 owners signed"
        in problems
    )
    sign_file(alpha, fixed_key("bob"))
    from regsite.build import BuildOptions, read_site

    site = read_site(BuildOptions(source=source, output=tmp_path / "out"))
    assert site.packages["alpha"].signers == ("alice", "bob")


def test_resigning_drops_stale_signatures(source: Path) -> None:
    alpha = source / "packages/alpha/package.toml"
    alpha.write_text(alpha.read_text() + "\n# edited\n")
    outcome = sign_file(alpha, fixed_key("alice"))
    assert outcome.dropped == ()  # alice's own signature is replaced, not counted as stale
    sign_file(alpha, fixed_key("mallory"))
    alpha.write_text(alpha.read_text() + "# edited again\n")
    outcome = sign_file(alpha, fixed_key("alice"))
    assert outcome.dropped == (fixed_key("mallory").public,)
