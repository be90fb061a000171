from __future__ import annotations

import stat
from pathlib import Path

import pytest

from builder import fixed_key
from regsite.errors import KeyFileError
from regsite.keys import load_private_key, parse_public_key, write_private_key


def test_public_key_text_round_trip() -> None:
    public = fixed_key("alice").public
    assert parse_public_key(str(public)) == public
    assert str(public).startswith("ed25519:")
    assert public.fingerprint.startswith("SHA256:")
    assert len(public.fingerprint) == len("SHA256:") + 43


@pytest.mark.parametrize("text", ["ssh-ed25519 AAAA", "ed25519:", "ed25519:!!!!", "ed25519:AAAA"])
def test_malformed_public_keys(text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_public_key(text)


def test_private_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "owner.key"
    key = fixed_key("alice")
    write_private_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_private_key(str(path)) == key
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key(path, fixed_key("bob"))


def test_private_key_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "ci.key"
    write_private_key(path, fixed_key("ci"))
    monkeypatch.setenv("REGSITE_KEY", path.read_text())
    assert load_private_key("env:REGSITE_KEY") == fixed_key("ci")
    with pytest.raises(KeyFileError, match="REGSITE_MISSING is not set"):
        load_private_key("env:REGSITE_MISSING")


def test_private_key_repr_hides_the_secret() -> None:
    key = fixed_key("alice")
    assert key.seed.hex() not in repr(key)


@pytest.mark.parametrize("text", ["", "ed25519-private:abc", "ed25519:AAAA\n", "a\nb\n"])
def test_malformed_private_key_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.key"
    path.write_text(text)
    with pytest.raises(KeyFileError, match=str(path)):
        load_private_key(str(path))
