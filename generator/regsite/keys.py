"""Ed25519 keys: the ``ed25519:<base64>`` text form, fingerprints and private key files."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.signing

from regsite.errors import KeyFileError

__all__ = [
    "PrivateKey",
    "PublicKey",
    "generate_private_key",
    "load_private_key",
    "parse_public_key",
    "write_private_key",
]

_PUBLIC_PREFIX = "ed25519:"
_PRIVATE_PREFIX = "ed25519-private:"
_ENV_PREFIX = "env:"
_KEY_BYTES = 32


@dataclass(frozen=True, slots=True, order=True)
class PublicKey:
    """An ed25519 verification key."""

    raw: bytes

    def __str__(self) -> str:
        return _PUBLIC_PREFIX + base64.b64encode(self.raw).decode("ascii")

    @property
    def fingerprint(self) -> str:
        """``SHA256:`` and the unpadded base64 of the key's SHA-256, as ``ssh-keygen -l`` shows."""
        digest = base64.b64encode(hashlib.sha256(self.raw).digest()).decode("ascii")
        return "SHA256:" + digest.rstrip("=")

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            nacl.signing.VerifyKey(self.raw).verify(message, signature)
        except (nacl.exceptions.BadSignatureError, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class PrivateKey:
    """An ed25519 signing key; ``repr`` never shows the secret."""

    seed: bytes

    def __repr__(self) -> str:
        return f"PrivateKey(public={self.public})"

    @property
    def public(self) -> PublicKey:
        return PublicKey(bytes(nacl.signing.SigningKey(self.seed).verify_key))

    def sign(self, message: bytes) -> bytes:
        return nacl.signing.SigningKey(self.seed).sign(message).signature


def parse_public_key(text: str) -> PublicKey:
    """Parse ``ed25519:<base64>``; raise ``ValueError`` saying what was expected."""
    if not text.startswith(_PUBLIC_PREFIX):
        raise ValueError(f"expected a key written 'ed25519:<base64>', found {text[:20]!r}")
    raw = _decode_base64(text.removeprefix(_PUBLIC_PREFIX))
    if raw is None or len(raw) != _KEY_BYTES:
        raise ValueError("expected 'ed25519:' followed by the base64 of 32 bytes")
    return PublicKey(raw)


def generate_private_key() -> PrivateKey:
    return PrivateKey(bytes(nacl.signing.SigningKey.generate()))


def write_private_key(path: Path, key: PrivateKey) -> None:
    """Create ``path`` with mode 0600 holding the key, and its missing parent directories with
    mode 0700; refuse to overwrite an existing file."""
    text = (
        "# regsite private key (ed25519). Keep it secret.\n"
        f"# public key: {key.public}\n"
        f"{_PRIVATE_PREFIX}{base64.b64encode(key.seed).decode('ascii')}\n"
    )
    _make_key_directory(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path}: already exists; refusing to overwrite a key") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot create key file: {exc.strerror}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)


def _make_key_directory(directory: Path) -> None:
    """Create a key's missing parent directories, readable by their owner only (as ~/.ssh)."""
    if directory.is_dir():
        return
    try:
        directory.mkdir(mode=0o700, parents=True)
    except OSError as exc:
        raise KeyFileError(
            f"{directory}: cannot create the directory for the key file: {exc.strerror}"
        ) from exc


def load_private_key(reference: str) -> PrivateKey:
    """Load a key from a file path, or from ``env:VARIABLE`` for CI secrets."""
    if reference.startswith(_ENV_PREFIX):
        variable = reference.removeprefix(_ENV_PREFIX)
        text = os.environ.get(variable)
        if text is None:
            raise KeyFileError(f"environment variable {variable} is not set (from {reference!r})")
        return _parse_private_key(text, f"environment variable {variable}")
    if reference.startswith(_PUBLIC_PREFIX):
        raise KeyFileError(
            f"{reference[:24]}…: a public key where a private key is expected; give the private"
            " key file it belongs to (or env:VARIABLE)"
        )
    try:
        text = Path(reference).read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"{reference}: cannot read private key: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{reference}: not a regsite private key (not UTF-8 text)") from exc
    return _parse_private_key(text, reference)


def _parse_private_key(text: str, origin: str) -> PrivateKey:
    lines = [line.strip() for line in text.splitlines()]
    values = [line for line in lines if line and not line.startswith("#")]
    if len(values) != 1 or not values[0].startswith(_PRIVATE_PREFIX):
        raise KeyFileError(f"{origin}: expected one line 'ed25519-private:<base64 of 32 bytes>'")
    seed = _decode_base64(values[0].removeprefix(_PRIVATE_PREFIX))
    if seed is None or len(seed) != _KEY_BYTES:
        raise KeyFileError(f"{origin}: expected the base64 of a 32-byte ed25519 seed")
    return PrivateKey(seed)


def _decode_base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
