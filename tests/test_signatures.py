from __future__ import annotations

import base64

from builder import fixed_key
from regsite.signatures import (
    FileKind,
    Signature,
    SignatureStatus,
    check_signatures,
    dump_signature_file,
    parse_signature_file,
    sign_bytes,
)

KEY = fixed_key("alice")


def _anyone(key: object) -> tuple[SignatureStatus, str | None]:
    return SignatureStatus.VALID, str(key)


def test_round_trip_through_signature_file() -> None:
    signature = sign_bytes(KEY, FileKind.PACKAGE, b"content")
    parsed, problems = parse_signature_file(dump_signature_file((signature,)))
    assert problems == []
    assert parsed == (signature,)


def test_domain_separation_stops_replay_across_file_kinds() -> None:
    signature = sign_bytes(KEY, FileKind.PACKAGE, b"same bytes")
    as_package = check_signatures(FileKind.PACKAGE, b"same bytes", (signature,), _anyone, 1)
    as_registry = check_signatures(FileKind.REGISTRY, b"same bytes", (signature,), _anyone, 1)
    assert as_package.verified
    assert not as_registry.verified
    assert as_registry.checks[0].status is SignatureStatus.BAD


def test_threshold_is_not_met_by_one_key_listed_twice() -> None:
    signature = sign_bytes(KEY, FileKind.PACKAGE, b"x")
    result = check_signatures(FileKind.PACKAGE, b"x", (signature, signature), _anyone, 2)
    assert len(result.signers) == 1
    assert not result.verified


def test_one_bad_signature_fails_the_file_even_when_the_threshold_is_met() -> None:
    good = sign_bytes(KEY, FileKind.PACKAGE, b"x")
    other = fixed_key("bob")
    bad = Signature(other.public, other.sign(b"something else"))
    result = check_signatures(FileKind.PACKAGE, b"x", (good, bad), _anyone, 1)
    assert len(result.signers) == 1
    assert not result.verified


def test_malformed_signature_files_give_clean_problems() -> None:
    short = base64.b64encode(b"x" * 10).decode()
    data = (
        f'[[signature]]\nkey = "ed25519:nope"\nsig = "{short}"\n'
        f'[[signature]]\nkey = "{KEY.public}"\nsig = "{short}"\nextra = 1\n'
    )
    signatures, problems = parse_signature_file(data.encode())
    assert signatures == ()
    assert (
        "signature[0].key",
        "expected 'ed25519:' followed by the base64 of 32 bytes",
    ) in problems
    assert ("signature[1].sig", "expected the base64 of a 64-byte ed25519 signature") in problems
    assert ("signature[1].extra", "unknown key; expected only 'key' and 'sig'") in problems
    assert parse_signature_file(b"\xff\xfe")[1][0][1].startswith("not valid UTF-8 TOML")
