"""``regsite keygen``: create an ed25519 private key file."""

from __future__ import annotations

from pathlib import Path

from regsite.keys import PublicKey, generate_private_key, write_private_key

__all__ = ["generate_key_file"]


def generate_key_file(path: Path) -> PublicKey:
    """Write a new private key to ``path`` (mode 0600, never overwritten); return its public key."""
    key = generate_private_key()
    write_private_key(path, key)
    return key.public
