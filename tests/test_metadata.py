"""Unit tests for regsite.metadata: canonical JSON, key ids, strict parsing and threshold checks.

python-tuf and securesystemslib are the reference: our canonical bytes, key ids and signed files
must be the ones they produce and accept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import Signature, SSlibKey
from securesystemslib.signer._utils import compute_default_keyid
from tuf.api.metadata import Metadata
from tuf.api.serialization.json import CanonicalJSONSerializer

from builder import fixed_key
from conftest import EXAMPLE_SITE
from regsite.keys import PrivateKey, PublicKey, load_private_key
from regsite.metadata.canonical import canonical_json
from regsite.metadata.envelope import (
    MAX_SIGNATURES,
    SignedFile,
    read_signed_file,
    sign_metadata,
    verify_role,
)
from regsite.metadata.roles import (
    DelegatedRole,
    Delegations,
    FileInfo,
    MetadataError,
    MetaInfo,
    Role,
    RoleKeys,
    Root,
    Signed,
    Snapshot,
    Targets,
    Timestamp,
    key_document,
    key_id,
    parse_signed,
    signed_document,
)
from regsite.metadata.root import next_root, read_trusted_root, sign_root

FILE = "metadata/7.test.json"  # the file name every error message must carry
EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
SHA = hashlib.sha256(b"content").hexdigest()
KEY_A = fixed_key("online-a")
KEY_B = fixed_key("online-b")
ID_A = key_id(KEY_A.public)
ID_B = key_id(KEY_B.public)


# Canonical JSON ---------------------------------------------------------------------------------


def reference_canonical(value: object) -> bytes:
    """securesystemslib's canonical JSON, which python-tuf signs and verifies."""
    text = encode_canonical(value)
    assert isinstance(text, str)
    return text.encode("utf-8")


DOCUMENTS = [
    {},
    [],
    "",
    0,
    -1,
    2**64,
    -(2**70),
    True,
    False,
    None,
    {"b": 1, "a": 2, "A": 3, "": 4, "aa": [], "é": {}, "Z": None},
    {"quote": 'say "hi"', "backslash": "C:\\path\\", "both": '\\"'},
    {"controls": "\x00\x01\n\t\r\x1f\x7f", "separators": "\u2028\u2029"},
    {"unicode": "café naïve straße 漢字 データ σοφός", "astral": "😀𝄞"},
    {"😀": 1, "€": 2, "z": 3, "\uffff": 4},  # key order is code point order
    [[[[]]], {"a": [{"b": [1, "2", True, None]}]}],
    {"signed": {"_type": "timestamp", "version": 3, "meta": {"snapshot.json": {"version": 2}}}},
    ("a", "tuple", 1),
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=range(len(DOCUMENTS)))
def test_canonical_json_equals_securesystemslib(document: object) -> None:
    assert canonical_json(document) == reference_canonical(document)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
awkward_text = st.text(alphabet=st.sampled_from(['"', "\\", "\n", "\x00", "é", "😀", "a", "/"]))


@given(json_values)
def test_canonical_json_equals_securesystemslib_on_any_document(document: object) -> None:
    encoded = canonical_json(document)
    assert encoded == reference_canonical(document)
    # Only '"' and '\\' are escaped, so control characters appear raw: strict=False reads them.
    assert json.loads(encoded.decode("utf-8"), strict=False) == document


@given(st.dictionaries(awkward_text, awkward_text, max_size=4))
def test_canonical_json_escapes_only_quotes_and_backslashes(document: dict[str, str]) -> None:
    assert canonical_json(document) == reference_canonical(document)


@pytest.mark.parametrize(
    "value", [1.5, 0.0, float("nan"), float("inf"), {"version": 1.0}, [1, 2.5]], ids=repr
)
def test_canonical_json_rejects_floats(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


@pytest.mark.parametrize("value", [{1: "a"}, {("a",): 1}, {None: 1}], ids=repr)
def test_canonical_json_rejects_non_string_keys(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


@pytest.mark.parametrize("value", [b"ab", {"sig": b"\x00\xff"}, bytearray(b"x")], ids=repr)
def test_canonical_json_rejects_bytes(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


# Key ids ---------------------------------------------------------------------------------------


def demo_key(name: str) -> PrivateKey:
    return load_private_key(str(EXAMPLE_SITE / "demo-keys" / f"{name}.key"))


PUBLIC_KEYS = [
    *(fixed_key(name).public for name in ("root", "alice", "online-a")),
    *(demo_key(name).public for name in ("root", "online", "june")),
    PublicKey(bytes(32)),
    PublicKey(b"\xff" * 32),
]


@pytest.mark.parametrize("public", PUBLIC_KEYS, ids=str)
def test_key_id_equals_securesystemslib_default_key_id(public: PublicKey) -> None:
    keyval = {"public": public.raw.hex()}
    expected = compute_default_keyid("ed25519", "ed25519", keyval)
    assert key_id(public) == expected
    document = {"keytype": "ed25519", "scheme": "ed25519", "keyval": keyval}
    assert key_id(public) == hashlib.sha256(reference_canonical(document)).hexdigest()
    assert key_document(public) == document


def test_python_tuf_verifies_a_signature_made_with_our_key_id() -> None:
    message = canonical_json(signed_document(sample(Role.TIMESTAMP)))
    key = SSlibKey(ID_A, "ed25519", "ed25519", {"public": KEY_A.public.raw.hex()})
    key.verify_signature(Signature(ID_A, KEY_A.sign(message).hex()), message)


def test_example_root_key_ids_are_the_ones_python_tuf_reads() -> None:
    root = Metadata.from_bytes((EXAMPLE_SITE / "metadata/1.root.json").read_bytes())
    assert key_id(demo_key("root").public) in root.signed.roles["root"].keyids
    assert key_id(demo_key("online").public) in root.signed.roles["timestamp"].keyids
    root.verify_delegate("root", root)


# Sample metadata -------------------------------------------------------------------------------


def sample(role: Role) -> Signed:
    """A valid document of each role, signed by KEY_A (and a bin delegated to KEY_B)."""
    if role is Role.ROOT:
        roles = {r: RoleKeys((ID_A,), 1) for r in Role}
        return Root(version=1, expires=EXPIRES, keys={ID_A: KEY_A.public}, roles=roles)
    if role is Role.TARGETS:
        bin_role = DelegatedRole(name="bin-0", keyids=(ID_B,), threshold=1, prefixes=("0",))
        return Targets(
            version=1,
            expires=EXPIRES,
            targets={"api/x.json": FileInfo(7, SHA)},
            delegations=Delegations(keys={ID_B: KEY_B.public}, roles=(bin_role,)),
        )
    if role is Role.SNAPSHOT:
        return Snapshot(version=1, expires=EXPIRES, meta={"targets.json": MetaInfo(1, 10, SHA)})
    return Timestamp(version=1, expires=EXPIRES, snapshot=MetaInfo(1, 10, SHA))


@pytest.mark.parametrize("role", list(Role))
def test_signed_files_round_trip_through_python_tuf(role: Role) -> None:
    data = sign_metadata(sample(role), [KEY_A])
    metadata = Metadata.from_bytes(data)
    assert metadata.to_bytes(CanonicalJSONSerializer()) == data
    root = Metadata.from_bytes(sign_metadata(sample(Role.ROOT), [KEY_A]))
    root.signed.verify_delegate(role.value, metadata.signed_bytes, metadata.signatures)
    parsed = read_signed_file(data, role, FILE)
    assert parsed.signed == sample(role)
    verify_role(parsed, {ID_A: KEY_A.public}, RoleKeys((ID_A,), 1), role.value)


# Malformed documents ---------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def set_at(*path: str | int, value: object) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def rename_target(new: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        targets = document["signed"]["targets"]
        targets[new] = targets.pop("api/x.json")

    return mutate


def replace_key(new: dict[str, Any]) -> Mutation:
    return set_at("signed", "keys", ID_A, value=new)


def rsa_key() -> dict[str, Any]:
    return {"keytype": "rsa", "keyval": {"public": "-----BEGIN PUBLIC KEY-----"}, "scheme": "rsa"}


MALFORMED = [
    # (role, mutation, the key path the message must name)
    (Role.TIMESTAMP, set_at("signed", "_type", value="snapshot"), "signed._type"),
    (Role.SNAPSHOT, set_at("signed", "_type", value="timestamp"), "signed._type"),
    (Role.TIMESTAMP, set_at("signed", "_type", value=None), "signed._type"),
    (Role.TIMESTAMP, set_at("signed", "spec_version", value="2.0.0"), "signed.spec_version"),
    (Role.TIMESTAMP, set_at("signed", "version", value=0), "signed.version"),
    (Role.TIMESTAMP, set_at("signed", "version", value=-1), "signed.version"),
    (Role.TIMESTAMP, set_at("signed", "version", value=True), "signed.version"),
    (Role.TIMESTAMP, set_at("signed", "version", value="1"), "signed.version"),
    (Role.TIMESTAMP, set_at("signed", "expires", value="2030-01-01T00:00:00"), "signed.expires"),
    (Role.TIMESTAMP, set_at("signed", "expires", value="2030-02-30T00:00:00Z"), "signed.expires"),
    (Role.TIMESTAMP, set_at("signed", "expires", value="2030-01-01 00:00:00Z"), "signed.expires"),
    (Role.TIMESTAMP, set_at("signed", "expires", value="2030-01-01T00:00:00+01:00"), "signed.expires"),
    (Role.TIMESTAMP, set_at("signed", "expires", value=1893456000), "signed.expires"),
    (Role.TIMESTAMP, set_at("signed", "meta", "extra.json", value={"version": 1}), "signed.meta"),
    (Role.TIMESTAMP, set_at("signed", "meta", "snapshot.json", "version", value=0), "signed.meta.snapshot.json.version"),
    (Role.SNAPSHOT, set_at("signed", "meta", "targets.json", "hashes", "sha256", value=SHA.upper()), "signed.meta.targets.json.hashes.sha256"),
    (Role.SNAPSHOT, set_at("signed", "meta", "targets.json", "hashes", "sha256", value=SHA[:-1]), "signed.meta.targets.json.hashes.sha256"),
    (Role.SNAPSHOT, set_at("signed", "meta", "targets.json", "length", value=-1), "signed.meta.targets.json.length"),
    (Role.SNAPSHOT, set_at("signed", "meta", "../x.json", value={"version": 1}), "signed.meta.../x.json"),
    (Role.TARGETS, set_at("signed", "targets", "api/x.json", "hashes", "sha256", value="zz" * 32), "signed.targets.api/x.json.hashes.sha256"),
    (Role.TARGETS, set_at("signed", "targets", "api/x.json", "hashes", value={"md5": SHA}), "signed.targets.api/x.json.hashes.sha256"),
    (Role.TARGETS, rename_target("../etc/passwd"), "signed.targets.'../etc/passwd'"),
    (Role.TARGETS, rename_target("/abs"), "signed.targets.'/abs'"),
    (Role.TARGETS, rename_target("a//b"), "signed.targets.'a//b'"),
    (Role.TARGETS, rename_target("a\\b"), "signed.targets.'a\\\\b'"),
    (Role.TARGETS, rename_target("a/./b"), "signed.targets.'a/./b'"),
    (Role.TARGETS, rename_target("a/"), "signed.targets.'a/'"),
    (Role.TARGETS, rename_target(""), "signed.targets.''"),
    (Role.TARGETS, rename_target("a\x00b"), "signed.targets.'a\\x00b'"),
    (Role.TARGETS, rename_target("a\nb"), "signed.targets.'a\\nb'"),
    (Role.TARGETS, rename_target("x" * 1025), "signed.targets.'xxx"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "name", value="../x"), "signed.delegations.roles[0].name"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "name", value="targets"), "signed.delegations.roles[0].name"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "name", value="Bin-0"), "signed.delegations.roles[0].name"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "path_hash_prefixes", value=["zz"]), "signed.delegations.roles[0].path_hash_prefixes"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "path_hash_prefixes", value=["0A"]), "signed.delegations.roles[0].path_hash_prefixes"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "path_hash_prefixes", value=[]), "signed.delegations.roles[0].path_hash_prefixes"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "path_hash_prefixes", value="0"), "signed.delegations.roles[0].path_hash_prefixes"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, "keyids", value=[ID_A]), "signed.delegations.roles[0].keyids"),
    (Role.TARGETS, set_at("signed", "delegations", "roles", 0, value="bin-0"), "signed.delegations.roles[0]"),
    (Role.TARGETS, set_at("signed", "delegations", "keys", ID_B, value=rsa_key()), f"signed.delegations.keys.{ID_B}.keytype"),
    (Role.ROOT, set_at("signed", "roles", "snapshot", "keyids", value=[ID_B]), "signed.roles.snapshot.keyids"),
    (Role.ROOT, set_at("signed", "roles", "root", "threshold", value=0), "signed.roles.root.threshold"),
    (Role.ROOT, set_at("signed", "roles", "timestamp", value=None), "signed.roles.timestamp"),
    (Role.ROOT, replace_key(rsa_key()), f"signed.keys.{ID_A}.keytype"),
    (Role.ROOT, replace_key({"keytype": "ed25519", "scheme": "ed25519ph", "keyval": {"public": "00" * 32}}), f"signed.keys.{ID_A}.keytype"),
    (Role.ROOT, replace_key({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "00" * 31}}), f"signed.keys.{ID_A}.keyval.public"),
    (Role.ROOT, replace_key({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "Z" * 64}}), f"signed.keys.{ID_A}.keyval.public"),
    (Role.ROOT, set_at("signed", "consistent_snapshot", value="yes"), "signed.consistent_snapshot"),
    (Role.ROOT, set_at("signed", value=[]), "signed"),
    (Role.TIMESTAMP, set_at("signatures", value={"keyid": ID_A}), "signatures"),
    (Role.TIMESTAMP, set_at("signatures", value=[{"keyid": ID_A, "sig": "00"}] * (MAX_SIGNATURES + 1)), "signatures"),
    (Role.TIMESTAMP, set_at("signatures", 0, "sig", value="not hex"), "signatures[0].sig"),
    (Role.TIMESTAMP, set_at("signatures", 0, "sig", value="abc"), "signatures[0].sig"),
    (Role.TIMESTAMP, set_at("signatures", 0, "keyid", value=1), "signatures[0]"),
    (Role.TIMESTAMP, set_at("signatures", 0, value="sig"), "signatures[0]"),
]  # fmt: skip


def malformed_id(case: tuple[Role, Mutation, str]) -> str:
    role, _, where = case
    return f"{role}-{where[:60]}"


def signed_json(role: Role) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(sign_metadata(sample(role), [KEY_A]))
    return document


@pytest.mark.parametrize("case", MALFORMED, ids=[malformed_id(case) for case in MALFORMED])
def test_malformed_document_names_the_file_and_key_path(case: tuple[Role, Mutation, str]) -> None:
    role, mutate, where = case
    document = signed_json(role)
    mutate(document)
    data = json.dumps(document, ensure_ascii=False).encode("utf-8")
    with pytest.raises(MetadataError) as caught:
        read_signed_file(data, role, FILE)
    assert str(caught.value).startswith(f"{FILE}: {where}"), str(caught.value)


def test_float_version_in_a_file_names_the_key_path() -> None:
    document = signed_json(Role.TIMESTAMP)
    document["signed"]["version"] = 1.5
    with pytest.raises(MetadataError, match=r"^metadata/7\.test\.json: signed\.version: "):
        read_signed_file(json.dumps(document).encode(), Role.TIMESTAMP, FILE)


def test_float_version_given_as_a_python_value_names_the_key_path() -> None:
    document = signed_document(sample(Role.SNAPSHOT)) | {"version": 2.0}
    with pytest.raises(MetadataError, match=r"^metadata/7\.test\.json: signed\.version: "):
        parse_signed(document, Role.SNAPSHOT, FILE)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def with_extra_field(value: bytes) -> Callable[[bytes], bytes]:
    """Unknown fields are allowed in TUF metadata, so a hostile value can hide in one."""
    return lambda data: data.replace(b'"signed":{', b'"signed":{"x":' + value + b",", 1)


TOP_VERSION = b'"spec_version":"1.0.31","version":1}'
UNPARSABLE = [
    # (name, how the valid bytes are spoiled, what the message says after the file name)
    (
        "float-version",
        lambda d: d.replace(TOP_VERSION, TOP_VERSION[:-1] + b".0}"),
        "signed.version",
    ),
    (
        "exponent-version",
        lambda d: d.replace(TOP_VERSION, TOP_VERSION[:-1] + b"e0}"),
        "signed.version",
    ),
    ("nan", with_extra_field(b"NaN"), "NaN"),
    ("infinity", with_extra_field(b"-Infinity"), "Infinity"),
    ("huge-integer", with_extra_field(b"9" * 5000), "JSON"),
    ("invalid-utf8", lambda d: d.replace(b"timestamp", b"times\xfftamp"), "UTF-8"),
    ("utf16", lambda d: d.decode().encode("utf-16"), "UTF-8"),
    ("truncated", lambda d: d[:-1], "JSON"),
    ("deeply-nested-json", lambda d: nested(100_000), "JSON"),
    ("deeply-nested-extra-field", with_extra_field(nested(100_000)), "JSON"),
    ("not-an-object", lambda d: b"[]", "expected a JSON object"),
    ("empty", lambda d: b"", "JSON"),
]


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [(spoil, reason) for _, spoil, reason in UNPARSABLE],
    ids=[name for name, _, _ in UNPARSABLE],
)
def test_unparsable_file_is_a_metadata_error_naming_the_file(
    spoil: Callable[[bytes], bytes], reason: str
) -> None:
    data = spoil(sign_metadata(sample(Role.TIMESTAMP), [KEY_A]))
    with pytest.raises(MetadataError) as caught:
        read_signed_file(data, Role.TIMESTAMP, FILE)
    message = str(caught.value)
    assert message.startswith(f"{FILE}: "), message
    assert reason in message, message


def nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def test_nesting_that_json_accepts_but_canonical_encoding_overflows_is_a_metadata_error() -> None:
    data = with_extra_field(nested_objects(600))(sign_metadata(sample(Role.TIMESTAMP), [KEY_A]))
    with pytest.raises(MetadataError, match=r"^metadata/7\.test\.json: "):
        read_signed_file(data, Role.TIMESTAMP, FILE)


def test_root_without_consistent_snapshots_is_refused() -> None:
    root = sample(Role.ROOT)
    assert isinstance(root, Root)
    data = sign_root(Root(**{**_fields(root), "consistent_snapshot": False}), [KEY_A])
    with pytest.raises(MetadataError, match=r"^metadata/1\.root\.json: consistent_snapshot"):
        read_trusted_root(data, "metadata/1.root.json")


def _fields(root: Root) -> dict[str, Any]:
    return {name: getattr(root, name) for name in Root.__slots__}


# Threshold verification ------------------------------------------------------------------------


def file_bytes(signed: Signed, signatures: list[tuple[str, PrivateKey]]) -> bytes:
    """A file whose signatures claim the given key ids, each made by the given key."""
    document = signed_document(signed)
    message = canonical_json(document)
    entries = [{"keyid": keyid, "sig": key.sign(message).hex()} for keyid, key in signatures]
    return canonical_json({"signatures": entries, "signed": document})


def signed_with(signed: Signed, role: Role, signatures: list[tuple[str, PrivateKey]]) -> SignedFile:
    return read_signed_file(file_bytes(signed, signatures), role, FILE)


BOTH = {ID_A: KEY_A.public, ID_B: KEY_B.public}


def test_threshold_met_by_two_distinct_keys() -> None:
    signed_file = signed_with(
        sample(Role.TIMESTAMP), Role.TIMESTAMP, [(ID_A, KEY_A), (ID_B, KEY_B)]
    )
    verify_role(signed_file, BOTH, RoleKeys((ID_A, ID_B), 2), "timestamp")


@pytest.mark.parametrize(
    "signatures",
    [
        [(ID_A, KEY_A)],
        [(ID_A, KEY_A), (ID_A, KEY_A)],  # one signature repeated
        [(ID_A, KEY_A), (ID_B, KEY_A)],  # KEY_A's signature filed under KEY_B's id
        [(ID_A, KEY_A), (key_id(fixed_key("mallory").public), fixed_key("mallory"))],
        [],
    ],
    ids=["one-of-two", "same-signature-twice", "wrong-key-under-an-id", "unlisted-key", "none"],
)
def test_threshold_of_two_not_met(signatures: list[tuple[str, PrivateKey]]) -> None:
    signed_file = signed_with(sample(Role.TIMESTAMP), Role.TIMESTAMP, signatures)
    with pytest.raises(MetadataError) as caught:
        verify_role(signed_file, BOTH, RoleKeys((ID_A, ID_B), 2), "timestamp")
    assert str(caught.value).startswith(f"{FILE}: signed by ")
    assert "of the timestamp role's keys, 2 required" in str(caught.value)


ALIAS = "ff" * 32  # a second key id for KEY_A


def test_one_key_listed_under_two_key_ids_counts_once() -> None:
    signed_file = signed_with(
        sample(Role.TIMESTAMP), Role.TIMESTAMP, [(ID_A, KEY_A), (ALIAS, KEY_A)]
    )
    keys = {ID_A: KEY_A.public, ALIAS: KEY_A.public}
    with pytest.raises(MetadataError, match="signed by 1 of the timestamp role's keys, 2 required"):
        verify_role(signed_file, keys, RoleKeys((ID_A, ALIAS), 2), "timestamp")


def test_root_listing_one_key_twice_cannot_meet_its_own_threshold_of_two() -> None:
    roles = {role: RoleKeys((ID_A, ALIAS), 2) for role in Role}
    root = Root(
        version=1, expires=EXPIRES, keys={ID_A: KEY_A.public, ALIAS: KEY_A.public}, roles=roles
    )
    data = file_bytes(root, [(ID_A, KEY_A), (ALIAS, KEY_A)])
    with pytest.raises(MetadataError, match="signed by 1 of the root role's keys, 2 required"):
        read_trusted_root(data, "metadata/1.root.json")


def test_snapshot_signature_copied_onto_a_look_alike_timestamp_is_refused() -> None:
    info = MetaInfo(1, 10, SHA)
    snapshot = Snapshot(version=1, expires=EXPIRES, meta={"snapshot.json": info})
    timestamp = Timestamp(version=1, expires=EXPIRES, snapshot=info)
    snapshot_document, timestamp_document = signed_document(snapshot), signed_document(timestamp)
    assert snapshot_document | {"_type": "timestamp"} == timestamp_document  # only _type differs
    keys, role_keys = {ID_A: KEY_A.public}, RoleKeys((ID_A,), 1)
    original = sign_metadata(snapshot, [KEY_A])
    verify_role(read_signed_file(original, Role.SNAPSHOT, FILE), keys, role_keys, "snapshot")
    stolen = json.loads(original)["signatures"]
    forged = canonical_json({"signatures": stolen, "signed": timestamp_document})
    signed_file = read_signed_file(forged, Role.TIMESTAMP, FILE)
    with pytest.raises(MetadataError, match="signed by 0 of the timestamp role's keys"):
        verify_role(signed_file, keys, role_keys, "timestamp")


def test_signature_over_a_changed_version_is_refused() -> None:
    document = signed_json(Role.TIMESTAMP)
    document["signed"]["version"] = 2
    signed_file = read_signed_file(canonical_json(document), Role.TIMESTAMP, FILE)
    with pytest.raises(MetadataError, match="signed by 0 of"):
        verify_role(signed_file, {ID_A: KEY_A.public}, RoleKeys((ID_A,), 1), "timestamp")


def test_whitespace_and_key_order_do_not_change_what_is_verified() -> None:
    document = signed_json(Role.SNAPSHOT)
    pretty = json.dumps(document, indent=2).encode()  # not canonical, but the same JSON
    signed_file = read_signed_file(pretty, Role.SNAPSHOT, FILE)
    verify_role(signed_file, {ID_A: KEY_A.public}, RoleKeys((ID_A,), 1), "snapshot")


def test_next_root_needs_the_previous_root_keys_and_one_version_step() -> None:
    first = sample(Role.ROOT)
    assert isinstance(first, Root)
    roles = {r: RoleKeys((ID_B,), 1) for r in Role}
    second = Root(version=2, expires=EXPIRES, keys={ID_B: KEY_B.public}, roles=roles)
    file = "metadata/2.root.json"
    with pytest.raises(MetadataError, match=r"signed by 0 of the previous \(1\) root role's keys"):
        next_root(first, sign_root(second, [KEY_B]), file)
    with pytest.raises(MetadataError, match="signed by 0 of the root role's keys"):
        next_root(first, sign_root(second, [KEY_A]), file)
    assert next_root(first, sign_root(second, [KEY_A, KEY_B]), file) == second
    third = Root(**{**_fields(second), "version": 3})
    with pytest.raises(MetadataError, match=r"version 3; expected 2"):
        next_root(first, sign_root(third, [KEY_A, KEY_B]), file)
