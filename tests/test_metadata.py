"""Unit tests for regsite.metadata.envelope and .root: what regsite adds to python-tuf's
``tuf.api.metadata`` (the key bridge, file-named errors, thresholds over distinct keys, the
root checks).  The files themselves are python-tuf's: written, signed and read by it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import Signature, SSlibKey
from securesystemslib.signer._utils import compute_default_keyid
from tuf.api.metadata import (
    Delegations,
    Metadata,
    MetaFile,
    Role,
    Root,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)

from builder import fixed_key
from conftest import EXAMPLE_SITE
from regsite.keys import PrivateKey, PublicKey, load_private_key
from regsite.metadata.envelope import (
    COMPACT,
    MetadataError,
    canonical_bytes,
    key_id,
    online_signer,
    read_metadata,
    sign_metadata,
    tuf_key,
    verify_role,
)
from regsite.metadata.root import next_root, read_trusted_root, sign_root

FILE = "metadata/7.test.json"  # the file name every error message must carry
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
SHA = hashlib.sha256(b"content").hexdigest()
KEY_A = fixed_key("online-a")
KEY_B = fixed_key("online-b")
ID_A = key_id(KEY_A.public)
ID_B = key_id(KEY_B.public)
ALIAS = "ff" * 32  # a second key id for KEY_A


def demo_key(name: str) -> PrivateKey:
    return load_private_key(str(EXAMPLE_SITE / "demo-keys" / f"{name}.key"))


# Keys ------------------------------------------------------------------------------------------

PUBLIC_KEYS = [
    *(fixed_key(name).public for name in ("root", "alice", "online-a")),
    *(demo_key(name).public for name in ("root", "online", "june")),
    PublicKey(bytes(32)),
    PublicKey(b"\xff" * 32),
]


@pytest.mark.parametrize("public", PUBLIC_KEYS, ids=str)
def test_key_id_equals_securesystemslib_default_key_id(public: PublicKey) -> None:
    keyval = {"public": public.raw.hex()}
    assert key_id(public) == compute_default_keyid("ed25519", "ed25519", keyval)
    assert tuf_key(public).keyval == keyval


def test_the_signer_signs_as_our_pynacl_key_does() -> None:
    message = b"regsite metadata"
    signature = online_signer(KEY_A).sign(message)
    assert signature == Signature(ID_A, KEY_A.sign(message).hex())  # ed25519 is deterministic
    tuf_key(KEY_A.public).verify_signature(signature, message)


def test_example_root_key_ids_are_the_ones_python_tuf_reads() -> None:
    root = Metadata[Root].from_bytes((EXAMPLE_SITE / "metadata/1.root.json").read_bytes())
    assert key_id(demo_key("root").public) in root.signed.roles["root"].keyids
    assert key_id(demo_key("online").public) in root.signed.roles["timestamp"].keyids
    root.signed.verify_delegate("root", root.signed_bytes, root.signatures)


# Sample metadata -------------------------------------------------------------------------------


def aliased(key: PrivateKey, keyid: str) -> SSlibKey:
    """The key as TUF lists it, under ``keyid`` (which may not be its own)."""
    return SSlibKey(keyid, "ed25519", "ed25519", {"public": key.public.raw.hex()})


def sample_root(keyids: list[str] | None = None, threshold: int = 1, version: int = 1) -> Root:
    keyids = keyids or [ID_A]
    roles = {name: Role(list(keyids), threshold) for name in ("root", "targets", "snapshot", "timestamp")}  # fmt: skip
    keys = {keyid: aliased(KEY_A if keyid in (ID_A, ALIAS) else KEY_B, keyid) for keyid in keyids}  # fmt: skip
    return Root(version, None, EXPIRES, keys, roles, True)


def sample(kind: type) -> Root | Targets | Snapshot | Timestamp:
    """A valid document of each role, signed by KEY_A (its bins delegated to KEY_B)."""
    if kind is Root:
        return sample_root()
    if kind is Targets:
        succinct = SuccinctRoles([ID_B], 1, 4, "bin")
        delegations = Delegations({ID_B: tuf_key(KEY_B.public)}, succinct_roles=succinct)
        target = TargetFile(7, {"sha256": SHA}, "api/x.json")
        return Targets(1, None, EXPIRES, {"api/x.json": target}, delegations)
    if kind is Snapshot:
        return Snapshot(1, None, EXPIRES, {"targets.json": MetaFile(1, 10, {"sha256": SHA})})
    return Timestamp(1, None, EXPIRES, MetaFile(1, 10, {"sha256": SHA}))


ROLES = [Root, Targets, Snapshot, Timestamp]


@pytest.mark.parametrize("kind", ROLES, ids=lambda kind: kind.type)
def test_written_files_are_canonical_json_that_python_tuf_verifies(kind: type) -> None:
    data = sign_metadata(sample(kind), [online_signer(KEY_A)])
    document = json.loads(data)
    canonical = encode_canonical(document)
    assert isinstance(canonical, str)
    assert canonical.encode() == data  # any TUF client's canonical form is the file itself
    metadata = Metadata.from_bytes(data)
    read_metadata(data, kind, FILE)
    sample_root().verify_delegate(kind.type, metadata.signed_bytes, metadata.signatures)


def test_signatures_are_sorted_by_key_id() -> None:
    data = sign_metadata(sample(Timestamp), [online_signer(KEY_B), online_signer(KEY_A)])
    keyids = [entry["keyid"] for entry in json.loads(data)["signatures"]]
    assert keyids == sorted([ID_A, ID_B])


# Canonical JSON: json.dumps where it writes the same bytes, securesystemslib where not ------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


def reference_canonical(document: object) -> bytes:
    text = encode_canonical(document)  # type: ignore[arg-type]
    assert isinstance(text, str)
    return text.encode("utf-8")


@pytest.mark.parametrize(
    "document",
    [
        {"b": 1, "a": 2, "A": 3, "": 4, "aa": [], "é": {}, "Z": None},
        {"quote": 'say "hi"', "backslash": "C:\\path\\", "both": '\\"'},
        {"controls": "\x00\x01\n\t\r\x1f\x7f", "separators": "\u2028\u2029"},
        {"unicode": "café naïve straße 漢字 σοφός", "astral": "😀𝄞", "😀": 1, "\uffff": 2},
        [[[[]]], {"a": [{"b": [1, "2", True, None, -(2**70)]}]}],
    ],
    ids=["key-order", "quotes", "controls", "unicode", "nesting"],
)
def test_canonical_bytes_equal_securesystemslib(document: object) -> None:
    assert canonical_bytes(document) == reference_canonical(document)


@given(JSON_VALUES)
def test_canonical_bytes_equal_securesystemslib_on_any_document(document: object) -> None:
    assert canonical_bytes(document) == reference_canonical(document)


# Reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff", "not TUF metadata"),
        (b"[]", "not TUF metadata"),
        (b'{"signatures": []}', "not TUF metadata (missing key 'signed')"),
        (
            b'{"signatures": [], "signed": {"_type": "timestamp"}}',
            "not TUF metadata (missing key 'version')",
        ),
        (b'{"signatures": [], "signed": {"_type": "mirror"}}', "not TUF metadata"),
    ],
    ids=["not-utf8", "array", "no-signed", "no-version", "unknown-type"],
)
def test_unparsable_file_is_a_metadata_error_naming_the_file(data: bytes, problem: str) -> None:
    with pytest.raises(MetadataError) as caught:
        read_metadata(data, Timestamp, FILE)
    assert str(caught.value).startswith(f"{FILE}: {problem}")


def test_a_file_of_another_role_names_both_roles() -> None:
    data = sign_metadata(sample(Snapshot), [online_signer(KEY_A)])
    with pytest.raises(
        MetadataError, match=rf"^{FILE}: signed\._type: expected 'timestamp', found 'snapshot'"
    ):
        read_metadata(data, Timestamp, FILE)


def test_root_without_consistent_snapshots_is_refused() -> None:
    root = sample_root()
    root.consistent_snapshot = False
    with pytest.raises(MetadataError, match=r"^metadata/1\.root\.json: consistent_snapshot"):
        read_trusted_root(sign_root(root, [KEY_A]), "metadata/1.root.json")


# Threshold verification ------------------------------------------------------------------------


def with_signatures(signed: Timestamp | Root, signatures: list[tuple[str, PrivateKey]]) -> bytes:
    """A file whose signatures claim the given key ids, each made by the given key."""
    metadata = Metadata(signed)
    for keyid, key in signatures:
        metadata.signatures[keyid] = Signature(keyid, key.sign(metadata.signed_bytes).hex())
    return metadata.to_bytes(COMPACT)


def test_threshold_met_by_two_distinct_keys() -> None:
    data = with_signatures(sample(Timestamp), [(ID_A, KEY_A), (ID_B, KEY_B)])  # type: ignore[arg-type]
    verify_role(
        read_metadata(data, Timestamp, FILE), sample_root([ID_A, ID_B], 2), "timestamp", FILE
    )


@pytest.mark.parametrize(
    "signatures",
    [
        [(ID_A, KEY_A)],
        [(ID_A, KEY_A), (ID_B, KEY_A)],  # KEY_A's signature filed under KEY_B's id
        [(ID_A, KEY_A), (key_id(fixed_key("mallory").public), fixed_key("mallory"))],
        [],
    ],
    ids=["one-of-two", "wrong-key-under-an-id", "unlisted-key", "none"],
)
def test_threshold_of_two_not_met(signatures: list[tuple[str, PrivateKey]]) -> None:
    data = with_signatures(sample(Timestamp), signatures)  # type: ignore[arg-type]
    metadata = read_metadata(data, Timestamp, FILE)
    with pytest.raises(MetadataError) as caught:
        verify_role(metadata, sample_root([ID_A, ID_B], 2), "timestamp", FILE)
    assert str(caught.value).startswith(f"{FILE}: signed by ")
    assert "of the timestamp role's keys, 2 required" in str(caught.value)


def test_one_key_listed_under_two_key_ids_counts_once() -> None:
    data = with_signatures(sample(Timestamp), [(ID_A, KEY_A), (ALIAS, KEY_A)])  # type: ignore[arg-type]
    metadata = read_metadata(data, Timestamp, FILE)
    doubled = sample_root([ID_A, ALIAS], 2)
    assert doubled.get_verification_result("timestamp", metadata.signed_bytes, metadata.signatures)  # python-tuf counts 2  # fmt: skip
    with pytest.raises(MetadataError, match="signed by 1 of the timestamp role's keys, 2 required"):
        verify_role(metadata, doubled, "timestamp", FILE)


def test_root_listing_one_key_twice_is_refused() -> None:
    data = with_signatures(sample_root([ID_A, ALIAS], 2), [(ID_A, KEY_A), (ALIAS, KEY_A)])
    with pytest.raises(MetadataError, match="lists a public key that another key id lists"):
        read_trusted_root(data, "metadata/1.root.json")


def test_snapshot_signature_copied_onto_a_look_alike_timestamp_is_refused() -> None:
    info = MetaFile(1, 10, {"sha256": SHA})
    original = sign_metadata(Snapshot(1, None, EXPIRES, {"snapshot.json": info}), [online_signer(KEY_A)])  # fmt: skip
    timestamp = Metadata(Timestamp(1, None, EXPIRES, info))
    forged = json.dumps({"signatures": json.loads(original)["signatures"], "signed": timestamp.signed.to_dict()})  # fmt: skip
    metadata = read_metadata(forged.encode(), Timestamp, FILE)
    with pytest.raises(MetadataError, match="signed by 0 of the timestamp role's keys"):
        verify_role(metadata, sample_root(), "timestamp", FILE)


def test_whitespace_and_key_order_do_not_change_what_is_verified() -> None:
    data = sign_metadata(sample(Snapshot), [online_signer(KEY_A)])
    pretty = json.dumps(json.loads(data), indent=2).encode()  # not canonical, but the same JSON
    verify_role(read_metadata(pretty, Snapshot, FILE), sample_root(), "snapshot", FILE)


def test_next_root_needs_the_previous_root_keys_and_one_version_step() -> None:
    first = sample_root()
    second = sample_root([ID_B], version=2)
    file = "metadata/2.root.json"
    with pytest.raises(MetadataError, match=r"signed by 0 of the previous \(1\) root role's keys"):
        next_root(first, sign_root(second, [KEY_B]), file)
    with pytest.raises(MetadataError, match="signed by 0 of the root role's keys"):
        next_root(first, sign_root(second, [KEY_A]), file)
    assert next_root(first, sign_root(second, [KEY_A, KEY_B]), file) == second
    third = sample_root([ID_B], version=3)
    with pytest.raises(MetadataError, match=r"version 3; expected 2"):
        next_root(first, sign_root(third, [KEY_A, KEY_B]), file)
