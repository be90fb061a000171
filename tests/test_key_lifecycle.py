"""Key lifecycle on a copy of example-site: online, root and owner key rotation, revocation.

Each test edits the source with regsite.commands.trust, as the ``regsite root``, ``trust`` and
``owner add-key/revoke-key`` commands do, then builds, and where a client is involved lets
python-tuf's ngclient, which trusted metadata/1.root.json, follow the change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomlkit
from tuf.api.metadata import Metadata

from regsite.commands.sign import sign_file
from regsite.commands.trust import (
    add_owner_key,
    change_root_keys,
    revoke_owner_key,
    root_status,
    set_online_keys,
    sign_root_file,
    write_next_root,
)
from regsite.errors import BuildError, SourceEditError
from regsite.keys import PrivateKey, generate_private_key
from regsite.metadata.envelope import MetadataError, key_id
from regsite.metadata.root import make_root, sign_root
from regsite.signatures import FileKind, dump_signature_file, sign_bytes
from regsite.sources import SourceTree
from test_publish import (
    build_site,
    copy_example,
    demo_key,
    download,
    first_root,
    sign_registry,
    tuf_client,
)

NOW = datetime.now(UTC).replace(microsecond=0)  # clients check expiry against the real clock


def cached_root(cache: Path) -> bytes:
    """The root an ngclient using ``cache`` trusts now."""
    return (cache / "metadata/root.json").read_bytes()


def signer_ids(path: Path) -> set[str]:
    return {entry["keyid"] for entry in json.loads(path.read_bytes())["signatures"]}


def refresh_and_fetch_index(site: Path, cache: Path, bootstrap: bytes | None = None) -> None:
    with tuf_client(site, cache, bootstrap=bootstrap) as updater:
        updater.refresh()
        names = "api/v1/sources/registry.toml"  # a signed source: fetched from its copy
        assert download(updater, names) == (site / names).read_bytes()


# Online key rotation ---------------------------------------------------------------------------


def test_online_key_rotation_is_followed_by_a_client_that_trusted_root_1(tmp_path: Path) -> None:
    source, site, cache = copy_example(tmp_path), tmp_path / "site", tmp_path / "client"
    tree = SourceTree(source)
    build_site(source, site)
    refresh_and_fetch_index(site, cache, bootstrap=first_root(source))
    new_online = generate_private_key()
    assert set_online_keys(tree, [str(new_online.public)]) == [tree.registry_path]
    sign_registry(source)
    status = write_next_root(tree, [demo_key("root")], NOW)
    assert (status.path, status.version, status.missing) == (source / "metadata/2.root.json", 2, ())
    with pytest.raises(MetadataError, match=r"is not in registry.toml \[trust\] online-keys"):
        build_site(source, site, key=demo_key("online"))
    build_site(source, site, key=new_online)
    assert (site / "metadata/2.root.json").read_bytes() == status.path.read_bytes()
    assert signer_ids(site / "metadata/timestamp.json") == {key_id(new_online.public)}
    refresh_and_fetch_index(site, cache)
    assert cached_root(cache) == status.path.read_bytes()
    refresh_and_fetch_index(site, tmp_path / "new-client", bootstrap=first_root(source))


def test_root_2_names_the_new_online_key_for_every_online_role(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    tree = SourceTree(source)
    new_online = generate_private_key()
    set_online_keys(tree, [str(new_online.public)])
    sign_registry(source)
    status = write_next_root(tree, [demo_key("root")], NOW)
    root = Metadata.from_bytes(status.path.read_bytes()).signed
    for role in ("targets", "snapshot", "timestamp"):
        assert root.roles[role].keyids == [key_id(new_online.public)]
    assert root.roles["root"].keyids == [key_id(demo_key("root").public)]


# Root key rotation -----------------------------------------------------------------------------


def rotate_root_keys(source: Path) -> tuple[PrivateKey, PrivateKey]:
    """Replace the demo root key with a new one in registry.toml, signed by the new key."""
    tree = SourceTree(source)
    old, new = demo_key("root"), generate_private_key()
    changed = change_root_keys(
        tree, add=[str(new.public)], remove=[str(old.public)], threshold=None
    )
    assert changed == [tree.registry_path, source / "advisories/x_ORCHARD-2026-0001.json"]
    outcome = sign_file(tree.registry_path, new)
    assert outcome.dropped == (old.public,)  # the old key's signature no longer matches
    sign_file(changed[1], new)  # the advisory the old root key signed, now without its signature
    return old, new


def test_root_key_rotation_signed_by_old_and_new_keys(tmp_path: Path) -> None:
    source, site, cache = copy_example(tmp_path), tmp_path / "site", tmp_path / "client"
    build_site(source, site)
    refresh_and_fetch_index(site, cache, bootstrap=first_root(source))
    old, new = rotate_root_keys(source)
    status = write_next_root(SourceTree(source), [old, new], NOW)
    assert status.complete
    assert signer_ids(status.path) == {key_id(old.public), key_id(new.public)}
    build_site(source, site)
    refresh_and_fetch_index(site, cache)
    assert cached_root(cache) == status.path.read_bytes()
    root = Metadata.from_bytes(status.path.read_bytes()).signed
    assert root.roles["root"].keyids == [key_id(new.public)]


def test_root_signed_only_by_the_new_key_waits_for_the_old_keys_signature(
    tmp_path: Path,
) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    tree = SourceTree(source)
    old, new = rotate_root_keys(source)
    status = write_next_root(tree, [new], NOW)
    assert status.missing == ("a threshold of the previous root keys (1)",)
    assert root_status(tree, status.path) == status
    with pytest.raises(BuildError) as caught:
        build_site(source, site)
    message = str(caught.value)
    assert "metadata/2.root.json: signed by 0 of the previous (1) root role's keys" in message
    assert not site.exists()
    with pytest.raises(SourceEditError, match="is not a root key of this or the last version"):
        sign_root_file(tree, status.path, demo_key("online"))
    completed = sign_root_file(tree, status.path, old)
    assert completed.complete
    build_site(source, site)
    refresh_and_fetch_index(site, tmp_path / "client", bootstrap=first_root(source))


def test_root_signed_only_by_the_old_key_waits_for_the_new_keys_signature(
    tmp_path: Path,
) -> None:
    source = copy_example(tmp_path)
    tree = SourceTree(source)
    old, new = rotate_root_keys(source)
    status = write_next_root(tree, [old, generate_private_key()], NOW)  # a stranger's is ignored
    assert status.missing == ("a threshold of the new root keys (1)",)
    assert signer_ids(status.path) == {key_id(old.public)}
    with pytest.raises(BuildError, match=r"metadata/2\.root\.json: signed by 0 of the root role"):
        build_site(source, tmp_path / "site")
    assert sign_root_file(tree, status.path, new).complete


def test_root_file_whose_version_skips_a_number_fails_the_build(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    tree = SourceTree(source)
    write_next_root(tree, [demo_key("root")], NOW)  # 2.root.json: a renewal
    skipped = make_root(tree.registry(), 4, NOW + tree.registry().policy.root_expires)
    (source / "metadata/3.root.json").write_bytes(sign_root(skipped, [demo_key("root")]))
    with pytest.raises(BuildError) as caught:
        build_site(source, tmp_path / "site")
    assert "metadata/3.root.json: version 4; expected 3 (one at a time)" in str(caught.value)
    with pytest.raises(SourceEditError, match="the existing root history does not verify"):
        write_next_root(tree, [demo_key("root")], NOW)


def test_gap_in_root_files_fails_the_build(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    tree = SourceTree(source)
    status = write_next_root(tree, [demo_key("root")], NOW)
    status.path.rename(source / "metadata/3.root.json")
    with pytest.raises(BuildError, match=r"root versions \[1, 3\] have a gap; expected 1\.\.N"):
        build_site(source, tmp_path / "site")
    with pytest.raises(SourceEditError, match="have a gap"):
        write_next_root(tree, [demo_key("root")], NOW)


def test_root_file_with_a_stray_file_beside_it_fails_the_build(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    (source / "metadata/root.json").write_bytes(first_root(source))
    with pytest.raises(BuildError, match=r"metadata/root\.json: unexpected file"):
        build_site(source, tmp_path / "site")


# Owner key rotation and revocation -------------------------------------------------------------

JUNE_PACKAGES = ["backoff", "flagpole", "petal", "text-utils"]  # flagpole is june's and kestrel's


def add_and_revoke_june_key(source: Path) -> tuple[PrivateKey, PrivateKey]:
    """Give june a new key, then revoke her old one; registry.toml is re-signed each time."""
    tree = SourceTree(source)
    old, new = demo_key("june"), generate_private_key()
    assert add_owner_key(tree, "june", str(new.public)) == [tree.registry_path]
    sign_registry(source)
    for package in JUNE_PACKAGES:
        sign_file(tree.package_path(package), new)
    assert revoke_owner_key(tree, "june", str(old.public)) == [tree.registry_path]
    sign_registry(source)
    return old, new


def re_sign_from_scratch(source: Path, package: str, keys: list[PrivateKey]) -> None:
    path = SourceTree(source).package_path(package)
    path.with_name("package.toml.sig").unlink()
    for key in keys:
        sign_file(path, key)


def test_owner_key_rotation_and_revocation_builds(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    _, new = add_and_revoke_june_key(source)
    for package in JUNE_PACKAGES:  # what the build's message says to do, after the revocation
        sign_file(SourceTree(source).package_path(package), new)
    build_site(source, tmp_path / "site")


def test_owner_key_rotation_builds_once_the_old_signatures_are_gone(tmp_path: Path) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    old, new = add_and_revoke_june_key(source)
    for package in JUNE_PACKAGES:
        co_owners = [demo_key("kestrel")] if package == "flagpole" else []
        re_sign_from_scratch(source, package, [new, *co_owners])
    build_site(source, site)
    registry = json.loads((site / "api/v1/registry.json").read_bytes())
    assert registry["trust"]["revoked_keys"] == [str(old.public)]
    refresh_and_fetch_index(site, tmp_path / "client", bootstrap=first_root(source))


def test_package_signed_only_by_a_revoked_key_fails_naming_the_revocation(
    tmp_path: Path,
) -> None:
    source = copy_example(tmp_path)
    old, new = add_and_revoke_june_key(source)
    for package in JUNE_PACKAGES:
        co_owners = [demo_key("kestrel")] if package == "flagpole" else []
        re_sign_from_scratch(source, package, [new, *co_owners])
    # regsite sign refuses a revoked key, so write the signature the way an attacker would.
    petal = SourceTree(source).package_path("petal")
    signature = sign_bytes(old, FileKind.PACKAGE, petal.read_bytes())
    petal.with_name("package.toml.sig").write_bytes(dump_signature_file((signature,)))
    with pytest.raises(BuildError) as caught:
        build_site(source, tmp_path / "site")
    problems = {str(problem) for problem in caught.value.problems}
    assert problems == {
        f"packages/petal/package.toml.sig: signature[0]: key {old.public}"
        f" ({old.public.fingerprint}) is revoked ([trust] revoked-keys); sign with the owner's"
        " new key",
        "packages/petal/package.toml.sig: threshold not met: 0 of the required 1 owners signed",
    }


def registry_bytes(source: Path) -> bytes:
    return (source / "registry.toml").read_bytes()


def test_a_revoked_key_cannot_be_listed_again(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    tree = SourceTree(source)
    old, _ = add_and_revoke_june_key(source)
    before = registry_bytes(source)
    for owner in ("june", "mira"):
        with pytest.raises(SourceEditError, match=r"is listed in \[trust\] revoked-keys"):
            add_owner_key(tree, owner, str(old.public))
    with pytest.raises(SourceEditError, match=r"online-keys: .* is listed in \[trust\] revoked"):
        set_online_keys(tree, [str(old.public)])
    with pytest.raises(SourceEditError, match=r"root-keys: .* is listed in \[trust\] revoked"):
        change_root_keys(tree, add=[str(old.public)], remove=[], threshold=None)
    assert registry_bytes(source) == before


def test_a_revoked_key_listed_again_by_hand_fails_the_build(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    old, _ = add_and_revoke_june_key(source)
    tree = SourceTree(source)
    document = tree.read(tree.registry_path)
    document["owners"]["mira"]["keys"].append(str(old.public))  # type: ignore[index]
    tree.registry_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    sign_registry(source)
    with pytest.raises(BuildError) as caught:
        build_site(source, tmp_path / "site")
    assert (
        f"registry.toml: owners.mira.keys: {old.public} is listed in [trust] revoked-keys;"
        " remove it from the owner's keys"
    ) in str(caught.value)


def test_revoking_an_owners_only_key_is_refused(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    before = registry_bytes(source)
    mira = str(demo_key("mira").public)
    with pytest.raises(SourceEditError) as caught:
        revoke_owner_key(SourceTree(source), "mira", mira)
    assert str(caught.value) == (
        f"{mira} is owner 'mira''s only key; add the new key first"
        " (regsite owner add-key mira NEW_KEY)"
    )
    assert registry_bytes(source) == before


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda tree: revoke_owner_key(tree, "mira", str(demo_key("june").public)), "owner 'mira' has no key"),
        (lambda tree: revoke_owner_key(tree, "nobody", str(demo_key("june").public)), "registry.toml has no owner 'nobody'"),
        (lambda tree: add_owner_key(tree, "mira", str(demo_key("mira").public)), "owner 'mira' already has key"),
        (lambda tree: add_owner_key(tree, "mira", str(demo_key("june").public)), "also belongs to owner 'june'"),
        (lambda tree: add_owner_key(tree, "mira", "ed25519:AAAA"), "key 'ed25519:AAAA'"),
        (lambda tree: change_root_keys(tree, add=[], remove=[str(demo_key("mira").public)], threshold=None), "not one of the root keys"),
    ],
    ids=["revoke-unknown-key", "unknown-owner", "duplicate-key", "key-of-another-owner", "malformed-key", "remove-non-root-key"],
)  # fmt: skip
def test_refused_key_edit_leaves_registry_toml_unchanged(
    tmp_path: Path, edit: Callable[[SourceTree], object], message: str
) -> None:
    source = copy_example(tmp_path)
    before = registry_bytes(source)
    with pytest.raises(SourceEditError, match=message):
        edit(SourceTree(source))
    assert registry_bytes(source) == before
