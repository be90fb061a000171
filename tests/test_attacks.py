"""Each attack of docs/security.md's table against a real signed build, and the check that stops it.

The sites are example-site built with the demo online key, read through file:// or served on
127.0.0.1.  Every test shows the attack refused with its own error, and where it makes sense the
honest case accepted, so a check that refuses everything cannot pass.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from packaging.version import Version
from securesystemslib.signer import SSlibKey
from tuf.api.metadata import DelegatedRole, Delegations, Role, Root, TargetFile, Targets, Timestamp

from attacksite import (
    MIRA_KEY,
    NOW,
    PACKAGE,
    PACKAGE_JSON,
    PACKAGE_TOML,
    PINNED_ROOT,
    ROOT_KEY,
    SIGNED_AT,
    RecordingFetcher,
    Routes,
    attack_server,
    changed_source,
    forge_snapshot_and_timestamp,
    forge_targets,
    listed,
    plain_output,
    publish,
    read_timestamp,
    rebuild,
    remote,
    served_copy,
    sign_online,
    signed_with_key_ids,
    site_url,
    tamper,
    updater,
)
from builder import fixed_key
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.cli import main
from regsite.client.download import ArtifactError
from regsite.client.lockfile import Lock, LockedArtifact, LockedPackage, dump_lock
from regsite.client.registry import ClientError
from regsite.commands.client import download_lock
from regsite.commands.sign import sign_file
from regsite.commands.trust import add_owner_key, revoke_owner_key
from regsite.commands.verify_site import verify_site
from regsite.fetch import RedirectError, UrlFetcher
from regsite.keys import PrivateKey
from regsite.metadata.envelope import MetadataError, key_id, tuf_key
from regsite.metadata.previous import DirectoryPrevious, refresh_timestamp
from regsite.metadata.root import read_trusted_root, sign_root
from regsite.signatures import FileKind, dump_signature_file, sign_bytes, signed_message
from regsite.sources import SourceTree

ONLINE_ID = key_id(DEMO_ONLINE_KEY.public)
ROOT_ID = key_id(ROOT_KEY.public)
NEW_ROOT_KEY = fixed_key("root 2027")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """example-site signed at SIGNED_AT: every role at version 1.  Tests tamper with copies."""
    return publish(plain_output(), tmp_path_factory.mktemp("attacks") / "site")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory, site: Path) -> tuple[Path, Path]:
    """Build N (``site``) and build N+1, made from it after tinyjson's package.toml changed."""
    directory = tmp_path_factory.mktemp("builds")
    newer = Path(shutil.copytree(site, directory / "n+1"))
    rebuild(changed_source(directory / "source"), newer, SIGNED_AT + timedelta(hours=1))
    return site, newer


def copy(site: Path, tmp_path: Path, name: str = "site") -> Path:
    return Path(shutil.copytree(site, tmp_path / name))


def aliased(key: PrivateKey, keyid: str) -> SSlibKey:
    """``key`` as a root lists it, under a key id that is not its own."""
    return SSlibKey(keyid, "ed25519", "ed25519", {"public": key.public.raw.hex()})


def trusted_root() -> Root:
    return read_trusted_root(PINNED_ROOT, "1.root.json")


def not_as_listed(file: str, lister: str) -> str:
    """The error for metadata whose bytes are not those ``lister`` pins: too long, or others."""
    return (
        rf"/metadata/{re.escape(file)}: (expected at most \d+ bytes \(as the signed metadata"
        r" lists\), found more|Observed (length|hash) \S+ does not match expected (length|hash)"
        r" \S+; not the file the signed metadata pins)"
    )


# The host changes files -------------------------------------------------------------------------


def test_tampered_package_json(site: Path, tmp_path: Path) -> None:
    honest = copy(site, tmp_path, "honest")
    tampered = copy(site, tmp_path, "tampered")
    tamper(tampered, PACKAGE_JSON, lambda data: data.replace(b"1.1.1", b"9.9.9"))
    with attack_server(Routes(site=honest)) as base_url:
        document = remote(base_url + "/", tmp_path / "honest-store").document(PACKAGE)
        assert document["latest"] == "1.1.1"
    with attack_server(Routes(site=tampered)) as base_url:
        client = updater(base_url + "/", tmp_path / "store")
        length = (site / PACKAGE_JSON).stat().st_size
        with pytest.raises(
            MetadataError,
            match=rf"{length} bytes with sha256 [0-9a-f]{{64}}; the signed metadata lists {length}"
            rf" bytes with sha256 [0-9a-f]{{64}} for {PACKAGE_JSON}",
        ):
            client.fetch_target(PACKAGE_JSON)


def test_tampered_source(site: Path, tmp_path: Path) -> None:
    # The host edits the republished package.toml: its sha256 is not the one the targets list.
    hosted = copy(site, tmp_path, "hosted")
    tamper(hosted, PACKAGE_TOML, lambda data: data.replace(b"size = 33173", b"size = 33174"))
    with pytest.raises(MetadataError, match=rf"the signed metadata lists .* for {PACKAGE_TOML}"):
        remote(site_url(hosted), tmp_path / "store-1").package(PACKAGE)

    # The online key signs metadata over the edited file: the owner's signature still fails.
    output = plain_output()
    output[PACKAGE_TOML] = output[PACKAGE_TOML].replace(b"size = 33173", b"size = 33174")
    resigned = publish(output, tmp_path / "resigned")
    registry = remote(site_url(resigned), tmp_path / "store-2")
    with pytest.raises(
        ClientError,
        match=r"(?s)tinyjson's package.toml did not verify:.*signature\[0\]: signature by key"
        r" ed25519:\S+ \(SHA256:\S+\) does not match the bytes of package.toml",
    ):
        registry.package(PACKAGE)
    assert registry.package("hue").name == "hue"  # the honest packages beside it still verify


def test_forged_json_with_online_key(tmp_path: Path) -> None:
    output = plain_output()
    document = json.loads(output[PACKAGE_JSON])
    artifact = document["releases"][0]["artifacts"][0]
    artifact["sha256"] = hashlib.sha256(b"the attacker's tarball").hexdigest()
    output[PACKAGE_JSON] = json.dumps(document).encode()
    forged = publish(output, tmp_path / "forged")
    registry = remote(site_url(forged), tmp_path / "store")
    # TUF vouches for the document (the online key signed it), but the owners did not.
    with pytest.raises(
        ClientError,
        match=rf"api/v1/packages/{PACKAGE}.json disagrees with the owner-signed package.toml",
    ):
        registry.document(PACKAGE)
    honest = json.loads(plain_output()[PACKAGE_JSON])["releases"][0]["artifacts"][0]["sha256"]
    package = registry.package(PACKAGE)  # resolving reads the owner-signed source alone
    assert package.releases[0].artifacts[0].sha256 == honest
    assert registry.package("hue").name == "hue"


# Replays ----------------------------------------------------------------------------------------


def test_timestamp_rollback(site: Path, tmp_path: Path) -> None:
    served = copy(site, tmp_path)
    old = (served / "metadata/timestamp.json").read_bytes()
    newer = refresh_timestamp(
        DirectoryPrevious(served), DEMO_ONLINE_KEY, SIGNED_AT, timedelta(days=1)
    )
    (served / "metadata/timestamp.json").write_bytes(newer)
    client = updater(site_url(served), tmp_path / "store")
    client.refresh()
    assert client.timestamp_version == 2

    (served / "metadata/timestamp.json").write_bytes(old)  # the attacker replays version 1
    rollback = (
        r"/metadata/timestamp.json: version 1 is older than the trusted version 2 \(rollback\)"
    )
    with pytest.raises(MetadataError, match=rollback):
        client.refresh()
    with pytest.raises(MetadataError, match=rollback):  # the trust survives between runs
        updater(site_url(served), tmp_path / "store", pinned_root=None).refresh()


def test_snapshot_rollback(builds: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = builds
    client = updater(site_url(new), tmp_path / "store")
    client.refresh()
    assert client.snapshot_version == 2

    # The host serves build N's snapshot under build N+1's name: the timestamp pins its bytes.
    served = copy(new, tmp_path, "swapped")
    (served / "metadata/2.snapshot.json").write_bytes(
        (old / "metadata/1.snapshot.json").read_bytes()
    )
    with pytest.raises(MetadataError, match=not_as_listed("2.snapshot.json", "timestamp.json")):
        # A fresh store: the trusted one holds the real bytes, which the client would reuse.
        updater(site_url(served), tmp_path / "fresh-store").refresh()

    # The online key signs a newer timestamp that points back at snapshot version 1.
    served = copy(new, tmp_path, "pointed-back")
    snapshot = (served / "metadata/1.snapshot.json").read_bytes()
    timestamp = read_timestamp(new)
    back = Timestamp(3, None, timestamp.expires, listed(1, snapshot))
    (served / "metadata/timestamp.json").write_bytes(sign_online(back))
    with pytest.raises(
        MetadataError,
        match=r"timestamp.json: lists snapshot version 1, older than the trusted snapshot version 2 \(rollback\)",
    ):
        updater(site_url(served), tmp_path / "store").refresh()

    # ...or at a fresh snapshot version 3 that lists an older targets version.
    served = copy(new, tmp_path, "older-targets")
    targets = (served / "metadata/1.targets.json").read_bytes()
    forge_snapshot_and_timestamp(served, 3, {"targets.json": listed(1, targets)})
    with pytest.raises(
        MetadataError,
        match=r"3\.snapshot\.json: lists targets.json version 1, older than the trusted version 2 \(rollback\)",
    ):
        updater(site_url(served), tmp_path / "store").refresh()


def test_package_rollback(builds: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = builds
    client = updater(site_url(new), tmp_path / "store")
    latest = client.fetch_target(PACKAGE_TOML)
    assert b"Tiny, strict" in latest and client.snapshot_version == 2

    # Build N served whole: its timestamp is older than the trusted one.
    with pytest.raises(
        MetadataError, match=r"version 1 is older than the trusted version 2 \(rollback\)"
    ):
        updater(site_url(old), tmp_path / "store").refresh()

    # Build N+1's metadata, but build N's signed source under the name the targets list
    # (one byte longer: "Small, strict" became "Tiny, strict").
    served = copy(new, tmp_path, "old-file")
    served_copy(served, PACKAGE_TOML).write_bytes((old / PACKAGE_TOML).read_bytes())
    with pytest.raises(
        MetadataError,
        match=rf"\.package\.toml: expected at most {len(latest)} bytes \(the length the signed"
        r" metadata lists\), found more",
    ):
        updater(site_url(served), tmp_path / "store").fetch_target(PACKAGE_TOML)

    # Build N's targets under build N+1's name: the snapshot pins its bytes.
    served = copy(new, tmp_path, "old-targets")
    (served / "metadata/2.targets.json").write_bytes((old / "metadata/1.targets.json").read_bytes())
    with pytest.raises(MetadataError, match=not_as_listed("2.targets.json", "2.snapshot.json")):
        updater(site_url(served), tmp_path / "fresh-store").refresh()


def test_expired_timestamp(site: Path, tmp_path: Path) -> None:
    clock = [SIGNED_AT + timedelta(hours=23)]
    client = updater(site_url(site), tmp_path / "store", now=lambda: clock[0])
    client.refresh()  # honest: within the day the timestamp is valid for

    clock[0] = SIGNED_AT + timedelta(days=1)  # the mirror froze; a day has passed
    with pytest.raises(
        MetadataError,
        match=r"/metadata/timestamp.json: expired at 2026-11-02T00:00:00Z \(freeze attack",
    ):
        client.refresh()


def test_mix_and_match_snapshot(site: Path, tmp_path: Path) -> None:
    output = plain_output()
    output["api/v1/extra.txt"] = b"another build\n"
    other = publish(output, tmp_path / "other")  # also version 1 of every role

    served = copy(site, tmp_path, "snapshot")
    (served / "metadata/1.snapshot.json").write_bytes(
        (other / "metadata/1.snapshot.json").read_bytes()
    )
    with pytest.raises(MetadataError, match=not_as_listed("1.snapshot.json", "timestamp.json")):
        updater(site_url(served), tmp_path / "store-1").refresh()

    served = copy(site, tmp_path, "targets")
    (served / "metadata/1.targets.json").write_bytes(
        (other / "metadata/1.targets.json").read_bytes()
    )
    with pytest.raises(MetadataError, match=not_as_listed("1.targets.json", "1.snapshot.json")):
        updater(site_url(served), tmp_path / "store-2").refresh()


# Endless data and redirects ---------------------------------------------------------------------


def test_endless_data(site: Path, tmp_path: Path) -> None:
    endless = Routes(site=site, endless={"/metadata/timestamp.json"})
    started = time.monotonic()
    with (
        attack_server(endless) as base_url,
        pytest.raises(
            MetadataError,
            match=r"/metadata/timestamp.json: expected at most 16384 bytes"
            r" \(UpdaterConfig, the most a client reads of this file\), found more \(endless data",
        ),
    ):
        updater(base_url + "/", tmp_path / "store-1").refresh()
    assert time.monotonic() - started < 5

    snapshot = (site / "metadata/1.snapshot.json").read_bytes()
    longer = Routes(site=site, replies={"/metadata/1.snapshot.json": snapshot + b" " * 4096})
    with (
        attack_server(longer) as base_url,
        pytest.raises(
            MetadataError,
            match=rf"1\.snapshot\.json: expected at most {len(snapshot)} bytes"
            r" \(as the signed metadata lists\), found more",
        ),
    ):
        updater(base_url + "/", tmp_path / "store-2").refresh()

    # A target streamed forever: at most the length the signed targets list is read.
    target = "/" + served_copy(site, PACKAGE_JSON).relative_to(site).as_posix()
    length = (site / PACKAGE_JSON).stat().st_size
    with attack_server(Routes(site=site, endless={target})) as base_url:
        client = updater(base_url + "/", tmp_path / "store-3")
        client.refresh()
        started = time.monotonic()
        with pytest.raises(
            MetadataError,
            match=rf"expected at most {length} bytes \(the length the signed metadata lists\),"
            " found more",
        ):
            client.fetch_target(PACKAGE_JSON)
        assert time.monotonic() - started < 5


def test_redirect_to_another_host(site: Path, tmp_path: Path) -> None:
    timestamp = "/metadata/timestamp.json"
    other = Routes(site=site)
    with attack_server(other) as elsewhere:
        moved = Routes(site=site, redirects={timestamp: elsewhere + timestamp})
        with attack_server(moved) as base_url:
            with pytest.raises(RedirectError, match=r"refusing redirect from .*: another port"):
                updater(base_url + "/", tmp_path / "store-1").refresh()
            port = base_url.rsplit(":", 1)[1]
            moved.redirects[timestamp] = f"http://localhost:{port}{timestamp}"
            with pytest.raises(RedirectError, match=r"refusing redirect from .*: another host"):
                updater(base_url + "/", tmp_path / "store-2").refresh()
            # Honest: a redirect within the same origin is followed.
            moved.replies["/moved/timestamp.json"] = (site / "metadata/timestamp.json").read_bytes()
            moved.redirects[timestamp] = "/moved/timestamp.json"
            client = updater(base_url + "/", tmp_path / "store-3")
            client.refresh()
            assert client.timestamp_version == 1
    assert other.requested == []  # nothing was ever asked of the other origin


# Artifacts --------------------------------------------------------------------------------------

ARTIFACT = b"an orchard package tarball\n" * 40


def artifact_lock(tmp_path: Path, url: str, content: bytes = ARTIFACT) -> Path:
    artifact = LockedArtifact(
        url=url, sha256=hashlib.sha256(content).hexdigest(), size=len(content)
    )
    package = LockedPackage(name="widget", version=Version("1.0"), artifacts=(artifact,))
    lock = Lock(
        registry="https://orchard.example.org/", requirements=("widget",), packages=(package,)
    )
    path = tmp_path / "regsite.lock"
    path.write_bytes(dump_lock(lock))
    return path


def test_wrong_artifact_hash(tmp_path: Path) -> None:
    path = "/files/widget-1.0.tar.gz"
    routes = Routes(replies={path: ARTIFACT})
    with attack_server(routes) as base_url:
        lock = artifact_lock(tmp_path, base_url + path)
        [result] = download_lock(lock, tmp_path / "honest")
        assert result.path.read_bytes() == ARTIFACT

        routes.replies[path] = ARTIFACT.replace(b"orchard", b"ORCHARD")  # same length
        with pytest.raises(
            ArtifactError,
            match=rf"artifact {base_url}{path}: expected sha256 {hashlib.sha256(ARTIFACT).hexdigest()}, found [0-9a-f]{{64}}",
        ):
            download_lock(lock, tmp_path / "dest")
    assert list((tmp_path / "dest").iterdir()) == []


def test_wrong_artifact_length(tmp_path: Path) -> None:
    path = "/files/widget-1.0.tar.gz"
    routes = Routes(replies={path: ARTIFACT + b"\x00"})
    with attack_server(routes) as base_url:
        lock = artifact_lock(tmp_path, base_url + path)
        with pytest.raises(ArtifactError, match=rf"expected {len(ARTIFACT)} bytes, found more"):
            download_lock(lock, tmp_path / "longer")
        routes.replies.clear()
        routes.endless.add(path)
        with pytest.raises(ArtifactError, match=rf"expected {len(ARTIFACT)} bytes, found more"):
            download_lock(lock, tmp_path / "endless")
        routes.endless.clear()
        routes.replies[path] = ARTIFACT[:-1]
        with pytest.raises(
            ArtifactError, match=rf"expected {len(ARTIFACT)} bytes, found {len(ARTIFACT) - 1}$"
        ):
            download_lock(lock, tmp_path / "shorter")
    for dest in ("longer", "endless", "shorter"):
        assert list((tmp_path / dest).iterdir()) == []


# A deploy mid-refresh ---------------------------------------------------------------------------


def test_deploy_between_timestamp_and_snapshot(site: Path, tmp_path: Path) -> None:
    served = copy(site, tmp_path)
    source = changed_source(tmp_path / "source")
    old_document = (site / PACKAGE_TOML).read_bytes()

    def deploy_once(url: str) -> None:
        if url.endswith("/metadata/timestamp.json") and not deployed:
            deployed.append(url)
            rebuild(source, served, SIGNED_AT + timedelta(hours=1))

    deployed: list[str] = []
    fetcher = RecordingFetcher(after=deploy_once)
    with attack_server(Routes(site=served)) as base_url:
        client = updater(base_url + "/", tmp_path / "store", fetcher)
        client.refresh()
        assert deployed, "the deploy happened during the refresh"
        assert (client.timestamp_version, client.snapshot_version) == (1, 1)
        assert (served / "metadata/2.snapshot.json").is_file()  # the new build is live...
        assert fetcher.urls[-2].endswith("/metadata/1.snapshot.json")  # ...the old one was kept
        assert client.fetch_target(PACKAGE_TOML) == old_document

        client.refresh()  # the next refresh moves on to the new build
        assert client.snapshot_version == 2
        assert b"Tiny, strict" in client.fetch_target(PACKAGE_TOML)


# Paths and names --------------------------------------------------------------------------------


def stored(store: Path) -> set[str]:
    return {path.name for path in store.iterdir()}


def test_path_traversal_in_metadata(site: Path, tmp_path: Path) -> None:
    """python-tuf looks targets up by path and never checks one: regsite refuses to fetch or
    name a path that leaves the site, and a role name that is not a role name."""
    expires = SIGNED_AT + timedelta(days=90)
    passwd = TargetFile(5, {"sha256": hashlib.sha256(b"root\n").hexdigest()}, "../../etc/passwd")

    served = copy(site, tmp_path, "target-path")
    forge_targets(served, 2, Targets(2, None, expires, {passwd.path: passwd}))
    fetcher = RecordingFetcher()
    client = updater(site_url(served), tmp_path / "store-1", fetcher)
    with pytest.raises(
        MetadataError,
        match=r"target path '\.\./\.\./etc/passwd': expected a relative path without '', '\.', '\.\.'",
    ):
        client.target_info(passwd.path)
    result = verify_site(site_url(served), PINNED_ROOT, fetcher, now=lambda: NOW)
    assert (
        "the signed targets list '../../etc/passwd': expected a relative path without"
        in "\n".join(result.problems)
    )
    assert not any("passwd" in url for url in fetcher.urls)

    served = copy(site, tmp_path, "role-name")
    role = DelegatedRole("../x", [ONLINE_ID], 1, True, path_hash_prefixes=[""])
    delegations = Delegations({ONLINE_ID: tuf_key(DEMO_ONLINE_KEY.public)}, {role.name: role})
    top = sign_online(Targets(2, None, expires, {}, delegations))
    (served / "metadata/2.targets.json").write_bytes(top)
    meta = {"targets.json": listed(2, top), "../x.json": listed(1, top)}
    forge_snapshot_and_timestamp(served, 2, meta)
    fetcher = RecordingFetcher()
    with pytest.raises(
        MetadataError,
        match=r"/metadata/1\.\.\.%2Fx\.json: not a metadata file a regsite site publishes \(expected"
        r" N\.ROLE\.json, a role name of lowercase letters",
    ):
        updater(site_url(served), tmp_path / "store-2", fetcher).target_info(PACKAGE_JSON)
    assert not any("x.json" in url for url in fetcher.urls)

    served = copy(site, tmp_path, "snapshot-name")
    targets = (served / "metadata/1.targets.json").read_bytes()
    forge_snapshot_and_timestamp(served, 2, {"../x.json": listed(1, targets)})
    with pytest.raises(
        MetadataError,
        match=r"2\.snapshot\.json: Role targets was delegated but is not part of snapshot",
    ):
        updater(site_url(served), tmp_path / "store-3").refresh()

    fetcher = RecordingFetcher()
    client = updater(site_url(site), tmp_path / "store-4", fetcher)
    with pytest.raises(
        MetadataError, match=r"target path '\.\./x': expected a relative path without"
    ):
        client.target_info("../x")
    assert fetcher.urls == []  # refused before the client fetched anything


def test_a_target_listed_without_a_sha256_is_refused(site: Path, tmp_path: Path) -> None:
    """The online key lists a target by SHA-512 only: it has no content address to fetch."""
    served = copy(site, tmp_path)
    data = (site / PACKAGE_JSON).read_bytes()
    listed_by = TargetFile(len(data), {"sha512": hashlib.sha512(data).hexdigest()}, PACKAGE_JSON)
    forge_targets(
        served, 2, Targets(2, None, SIGNED_AT + timedelta(days=90), {PACKAGE_JSON: listed_by})
    )
    with pytest.raises(MetadataError, match=r"tinyjson\.json: the signed metadata lists no sha256"):
        updater(site_url(served), tmp_path / "store").fetch_target(PACKAGE_JSON)
    result = verify_site(site_url(served), PINNED_ROOT, UrlFetcher(), now=lambda: NOW)
    assert any("lists no sha256" in problem for problem in result.problems)


def test_a_bad_target_path_is_reported_with_one_expected(site: Path, tmp_path: Path) -> None:
    served = copy(site, tmp_path)
    passwd = TargetFile(5, {"sha256": hashlib.sha256(b"root\n").hexdigest()}, "../../etc/passwd")
    expires = SIGNED_AT + timedelta(days=90)
    forge_targets(served, 2, Targets(2, None, expires, {passwd.path: passwd}))
    result = verify_site(site_url(served), PINNED_ROOT, UrlFetcher(), now=lambda: NOW)
    assert result.problems
    assert not any("expected expected" in problem for problem in result.problems)


# Roots ------------------------------------------------------------------------------------------


def rotated_root(version: int = 2) -> Root:
    """The example root with its root key replaced by NEW_ROOT_KEY."""
    root = trusted_root()
    new_id = key_id(NEW_ROOT_KEY.public)
    keys = {ONLINE_ID: tuf_key(DEMO_ONLINE_KEY.public), new_id: tuf_key(NEW_ROOT_KEY.public)}
    roles = dict(root.roles) | {"root": Role([new_id], 1)}
    return Root(version, None, root.expires, keys, roles, True)


def with_roots(site: Path, tmp_path: Path, name: str, roots: dict[int, bytes]) -> Path:
    served = copy(site, tmp_path, name)
    for version, data in roots.items():
        (served / f"metadata/{version}.root.json").write_bytes(data)
    return served


def test_root_rotation_needs_both_thresholds(site: Path, tmp_path: Path) -> None:
    new_root = rotated_root()
    only_new = with_roots(site, tmp_path, "new", {2: sign_root(new_root, [NEW_ROOT_KEY])})
    with pytest.raises(
        MetadataError,
        match=r"/metadata/2\.root\.json: signed by 0 of the previous \(1\) root role's keys, 1 required",
    ):
        updater(site_url(only_new), tmp_path / "store-1").refresh()

    only_old = with_roots(site, tmp_path, "old", {2: sign_root(new_root, [ROOT_KEY])})
    with pytest.raises(
        MetadataError,
        match=r"/metadata/2\.root\.json: signed by 0 of the root role's keys, 1 required",
    ):
        updater(site_url(only_old), tmp_path / "store-2").refresh()

    both = with_roots(site, tmp_path, "both", {2: sign_root(new_root, [ROOT_KEY, NEW_ROOT_KEY])})
    client = updater(site_url(both), tmp_path / "store-3")
    client.refresh()
    assert client.root.version == 2
    assert client.root.roles["root"].keyids == [key_id(NEW_ROOT_KEY.public)]


def test_root_rotation_one_version_at_a_time(site: Path, tmp_path: Path) -> None:
    both = [ROOT_KEY, NEW_ROOT_KEY]
    two = sign_root(rotated_root(2), both)
    four = sign_root(rotated_root(4), [NEW_ROOT_KEY])
    served = with_roots(site, tmp_path, "says-four", {2: two, 3: four})
    client = updater(site_url(served), tmp_path / "store-1")
    with pytest.raises(
        MetadataError, match=r"/metadata/3\.root\.json: version 4; expected 3 \(one at a time\)"
    ):
        client.refresh()
    assert client.root.version == 2  # version 2 was accepted before 3.root.json was refused

    three = sign_root(rotated_root(3), both)
    skipped = with_roots(site, tmp_path, "named-two", {2: three})
    with pytest.raises(
        MetadataError, match=r"/metadata/2\.root\.json: version 3; expected 2 \(one at a time\)"
    ):
        updater(site_url(skipped), tmp_path / "store-2").refresh()

    # A 3.root.json with no 2.root.json before it is never even fetched.
    gap = with_roots(site, tmp_path, "gap", {3: three})
    fetcher = RecordingFetcher()
    client = updater(site_url(gap), tmp_path / "store-3", fetcher)
    client.refresh()
    assert client.root.version == 1
    assert not any(url.endswith("/3.root.json") for url in fetcher.urls)


def test_one_key_listed_twice(site: Path, tmp_path: Path) -> None:
    root = trusted_root()
    alias = "f" * 64  # a second key id for the same public key
    doubled = Root(
        1,
        None,
        root.expires,
        dict(root.keys) | {alias: aliased(ROOT_KEY, alias)},
        dict(root.roles) | {"root": Role([ROOT_ID, alias], 2)},
        True,
    )
    pinned = signed_with_key_ids(doubled, ROOT_KEY, (ROOT_ID, alias))
    duplicate = r"signed\.keys\.f{16}…: lists a public key that another key id lists already"
    with pytest.raises(MetadataError, match=rf"^the pinned root: {duplicate}"):
        updater(site_url(site), tmp_path / "store-1", pinned_root=pinned)

    # Honest: two distinct keys meet a threshold of 2.
    second = fixed_key("second root key")
    second_id = key_id(second.public)
    two_keys = Root(
        1,
        None,
        root.expires,
        dict(root.keys) | {second_id: tuf_key(second.public)},
        dict(root.roles) | {"root": Role([ROOT_ID, second_id], 2)},
        True,
    )
    assert read_trusted_root(sign_root(two_keys, [ROOT_KEY, second]), "two keys").version == 1

    # A root (properly rotated) whose timestamp role lists the online key twice, threshold 2.
    next_version = Root(
        2,
        None,
        root.expires,
        dict(root.keys) | {alias: aliased(DEMO_ONLINE_KEY, alias)},
        dict(root.roles) | {"timestamp": Role([ONLINE_ID, alias], 2)},
        True,
    )
    served = with_roots(site, tmp_path, "site", {2: sign_root(next_version, [ROOT_KEY])})
    timestamp = read_timestamp(site)
    twice = signed_with_key_ids(timestamp, DEMO_ONLINE_KEY, (ONLINE_ID, alias))
    (served / "metadata/timestamp.json").write_bytes(twice)
    with pytest.raises(MetadataError, match=rf"/metadata/2\.root\.json: {duplicate}"):
        updater(site_url(served), tmp_path / "store-2").refresh()


# Owner keys and signature domains ---------------------------------------------------------------


def test_revoked_owner_key(tmp_path: Path) -> None:
    source = Path(shutil.copytree(EXAMPLE_SITE, tmp_path / "source"))
    tree = SourceTree(source)
    mira_new = fixed_key("mira 2027")
    add_owner_key(tree, "mira", str(mira_new.public))
    revoke_owner_key(tree, "mira", str(MIRA_KEY.public))
    sign_file(source / "registry.toml", ROOT_KEY)

    # The registry's root keys revoked Mira's old key; the online key publishes the new
    # registry.toml beside package.toml files that only the old key signed.
    output = plain_output()
    registry_toml = "api/v1/sources/registry.toml"
    output[registry_toml] = (source / "registry.toml").read_bytes()
    output[registry_toml + ".sig"] = (source / "registry.toml.sig").read_bytes()
    # Honest: tinyjson, signed again with Mira's new key.
    content = output[PACKAGE_TOML]
    signature = sign_bytes(mira_new, FileKind.PACKAGE, content)
    output[PACKAGE_TOML + ".sig"] = dump_signature_file((signature,))
    site = publish(output, tmp_path / "site")

    registry = remote(site_url(site), tmp_path / "store")
    assert MIRA_KEY.public in registry.registry().revoked_keys
    assert registry.package(PACKAGE).name == PACKAGE
    with pytest.raises(
        ClientError,
        match=rf"(?s)url-parse's package.toml did not verify:.*key {re.escape(str(MIRA_KEY.public))}"
        r" \(\S+\) is revoked \(\[trust\] revoked-keys\)",
    ):
        registry.package("url-parse")


def test_signature_from_another_file_type(site: Path, tmp_path: Path) -> None:
    # TUF: the snapshot's signatures (the same online key) on the timestamp's content.
    served = copy(site, tmp_path, "tuf")
    snapshot = json.loads((site / "metadata/1.snapshot.json").read_bytes())
    timestamp = json.loads((site / "metadata/timestamp.json").read_bytes())
    assert snapshot["signatures"][0]["keyid"] == timestamp["signatures"][0]["keyid"]
    replayed = {"signatures": snapshot["signatures"], "signed": timestamp["signed"]}
    (served / "metadata/timestamp.json").write_bytes(json.dumps(replayed).encode())
    with pytest.raises(
        MetadataError,
        match=r"/metadata/timestamp.json: signed by 0 of the timestamp role's keys, 1 required",
    ):
        updater(site_url(served), tmp_path / "store-1").refresh()
    # ...and the snapshot file whole, served as the timestamp.
    (served / "metadata/timestamp.json").write_bytes(
        (site / "metadata/1.snapshot.json").read_bytes()
    )
    with pytest.raises(
        MetadataError,
        match=r"/metadata/timestamp.json: Expected 'timestamp', got 'snapshot'",
    ):
        updater(site_url(served), tmp_path / "store-2").refresh()

    # Sources: Mira's signature over tinyjson's exact bytes, but made as a registry.toml.
    output = plain_output()
    content = output[PACKAGE_TOML]
    as_registry = sign_bytes(MIRA_KEY, FileKind.REGISTRY, content)
    assert MIRA_KEY.public.verify(signed_message(FileKind.REGISTRY, content), as_registry.sig)
    output[PACKAGE_TOML + ".sig"] = dump_signature_file((as_registry,))
    replayed_site = publish(output, tmp_path / "source-sig")
    with pytest.raises(
        ClientError,
        match=r"(?s)tinyjson's package.toml did not verify:.*does not match the bytes of package.toml",
    ):
        remote(site_url(replayed_site), tmp_path / "store-3").package(PACKAGE)


# Malformed input, through the CLI ---------------------------------------------------------------


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


def assert_one_line_error(err: str, *parts: str) -> None:
    """What the CLI prints for a malformed file: one 'error:' line naming it, no traceback."""
    assert_clean_error(err, *parts)
    assert len(err.splitlines()) == 1, err


def assert_clean_error(err: str, *parts: str) -> None:
    """An 'error:' first line, no traceback, and every part (file name, problem) said."""
    assert "Traceback" not in err
    assert err.startswith("error: "), err
    for part in parts:
        assert part in err, err


def live_site(tmp_path: Path, output: dict[str, bytes] | None = None) -> Path:
    """A site signed now, for the CLI, which checks expiry against the clock."""
    return publish(output or plain_output(), tmp_path / "live", now=datetime.now(UTC))


def trusted_state(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Client state that trusts ``site`` through its pinned root; the TUF layer accepts it."""
    root = tmp_path / "1.root.json"
    root.write_bytes(PINNED_ROOT)
    state = str(tmp_path / "state")
    code, err = run(["client", "trust", str(site), "--root", str(root), "--state", state], capsys)
    assert (code, err) == (0, "")
    return state


def garbage_registry_toml(tmp_path: Path) -> Path:
    """A site whose registry.toml source is not TOML, published by the online key."""
    output = plain_output()
    output["api/v1/sources/registry.toml"] = b'format = 1\n[registry\nname = "orchard"\n'
    return live_site(tmp_path, output)


def non_base64_signature(tmp_path: Path) -> Path:
    """A site whose tinyjson package.toml.sig holds a sig that is not base64."""
    output = plain_output()
    sig = output[PACKAGE_TOML + ".sig"].decode()
    start = sig.index('sig = "') + len('sig = "')
    garbled = sig[:start] + "not base64!" + sig[sig.index('"', start) :]
    output[PACKAGE_TOML + ".sig"] = garbled.encode()
    return live_site(tmp_path, output)


def test_malformed_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = live_site(tmp_path)
    state = str(tmp_path / "state")
    bad_root = tmp_path / "bad.root.json"
    bad_root.write_bytes(b'{"signatures": [], "signed": {"_type": "root",')
    code, err = run(
        ["client", "trust", str(site), "--root", str(bad_root), "--state", state], capsys
    )
    assert code == 1
    assert_one_line_error(err, f"{bad_root}: not TUF metadata (Expecting property name")

    (site / "metadata/timestamp.json").write_bytes(b"\xff\xfe not json")
    root = tmp_path / "1.root.json"
    root.write_bytes(PINNED_ROOT)
    code, err = run(["client", "trust", str(site), "--root", str(root), "--state", state], capsys)
    assert code == 1
    assert_one_line_error(err, "/metadata/timestamp.json: not TUF metadata (")


def test_malformed_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "regsite.lock"
    lock.write_bytes(b"lock-version = 1\n[[package]\n")
    code, err = run(["client", "download", str(lock), "-d", str(tmp_path / "dest")], capsys)
    assert code == 1
    assert_one_line_error(err, f"{lock}: not a valid TOML lockfile")

    # trust reads registry.toml for the upstreams it declares (docs/upstreams.md): the root
    # is pinned (the TUF layer accepts it), and the registry's source is refused at once.
    root = tmp_path / "1.root.json"
    root.write_bytes(PINNED_ROOT)
    state = str(tmp_path / "state")
    site = garbage_registry_toml(tmp_path)
    code, err = run(["client", "trust", str(site), "--root", str(root), "--state", state], capsys)
    assert code == 1
    assert_clean_error(err, "registry.toml did not verify", "registry.toml: not valid TOML")
    show = ["client", "show", PACKAGE, "--state", state, "--registry", site.as_uri() + "/"]
    code, err = run(show, capsys)
    assert code == 1
    # One problem, but two lines: see test_malformed_source_file_is_a_one_line_error.
    assert_clean_error(err, "registry.toml did not verify", "registry.toml: not valid TOML")


def test_malformed_signature_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = non_base64_signature(tmp_path)
    state = trusted_state(site, tmp_path, capsys)
    code, err = run(["client", "show", PACKAGE, "--state", state], capsys)
    assert code == 1
    assert_clean_error(
        err,
        "packages/tinyjson/package.toml.sig: signature[0].sig: expected the base64 of a 64-byte"
        " ed25519 signature",
    )

    # TUF metadata signatures are hex; anything else is no signature at all.
    timestamp = json.loads((site / "metadata/timestamp.json").read_bytes())
    timestamp["signatures"][0]["sig"] = "zz" * 64
    (site / "metadata/timestamp.json").write_bytes(json.dumps(timestamp).encode())
    root = str(tmp_path / "1.root.json")
    code, err = run(["client", "trust", str(site), "--root", root, "--state", state], capsys)
    assert code == 1
    assert_one_line_error(
        err, "/metadata/timestamp.json: signed by 0 of the timestamp role's keys, 1 required"
    )


@pytest.mark.parametrize(
    ("make_site", "refused_by"),
    # registry.toml is read as the registry is trusted (for its upstreams), a package at show.
    [(garbage_registry_toml, "trust"), (non_base64_signature, "show")],
)
def test_malformed_source_file_is_a_one_line_error(
    make_site: Callable[[Path], Path],
    refused_by: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    site, root, state = make_site(tmp_path), tmp_path / "1.root.json", str(tmp_path / "state")
    root.write_bytes(PINNED_ROOT)
    commands = {
        "trust": ["client", "trust", str(site), "--root", str(root), "--state", state],
        "show": ["client", "show", PACKAGE, "--state", state, "--registry", site.as_uri() + "/"],
    }
    for name, argv in commands.items():
        code, err = run(argv, capsys)
        if name == refused_by:
            assert code == 1
            assert_one_line_error(err)
            return
        assert (code, err) == (0, "")


# verify-site ------------------------------------------------------------------------------------


def test_verify_site_reports_tampering(site: Path, tmp_path: Path) -> None:
    served = copy(site, tmp_path)
    honest = verify_site(site_url(served), PINNED_ROOT, UrlFetcher(), now=lambda: NOW)
    assert honest.problems == []
    assert honest.packages == 18 and honest.files > 100

    index = (served / "index.html").read_bytes()
    (served / "index.html").write_bytes(index.replace(b"Orchard", b"0rchard", 1))  # same length
    not_found = (served / "404.html").read_bytes()
    (served / "404.html").write_bytes(not_found + b"<script>steal()</script>")
    (served / "evil.js").write_bytes(b"steal()")
    result = verify_site(site_url(served), PINNED_ROOT, UrlFetcher(), now=lambda: NOW)
    assert not result.ok
    digest = hashlib.sha256(index).hexdigest()
    assert sorted(result.problems) == [
        f"404.html: longer than the {len(not_found)} bytes the targets list",
        "evil.js: not listed in the signed metadata",
        f"index.html: {len(index)} bytes with sha256"
        f" {hashlib.sha256(index.replace(b'Orchard', b'0rchard', 1)).hexdigest()}; the signed"
        f" targets say {len(index)} bytes with sha256 {digest}",
    ]
