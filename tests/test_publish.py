"""The build's TUF metadata, checked by python-tuf's own client (ngclient) over HTTP.

Every test that talks to the site serves it with ``regsite serve``'s server on a loopback port and
fetches through :class:`LoopbackFetcher`, which opens one connection per file and closes it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from tuf.api.exceptions import DownloadHTTPError, ExpiredMetadataError
from tuf.api.metadata import Metadata, SuccinctRoles
from tuf.api.serialization.json import CanonicalJSONSerializer
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE, serving
from regsite.build import BuildOptions, build
from regsite.commands.sign import sign_file
from regsite.errors import BuildError
from regsite.keys import PrivateKey, generate_private_key, load_private_key
from regsite.metadata.envelope import MetadataError, key_id
from regsite.metadata.layout import TIMESTAMP_FILE, content_addressed_path
from regsite.metadata.previous import DirectoryPrevious, refresh_timestamp
from regsite.metadata.publish import BIN_PREFIX, bin_number
from regsite.sources import SourceTree

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # a fixed signing time, for tests without a client
HOUR = timedelta(hours=1)


# Helpers shared with test_key_lifecycle.py -----------------------------------------------------


def demo_key(name: str) -> PrivateKey:
    """A demo private key from example-site/demo-keys: root, online, mira, tomas, kestrel, june."""
    return load_private_key(str(EXAMPLE_SITE / "demo-keys" / f"{name}.key"))


def copy_example(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE_SITE, tmp_path / "source"))


def build_site(
    source: Path,
    out: Path,
    *,
    key: PrivateKey = DEMO_ONLINE_KEY,
    at: datetime | None = None,
    cache: Path | None = None,
) -> None:
    build(BuildOptions(source=source, output=out, online_key=key, signing_time=at, cache=cache))


def sign_registry(source: Path, key: PrivateKey | None = None) -> None:
    sign_file(source / "registry.toml", key or demo_key("root"))


def edit_description(source: Path, package: str, description: str) -> None:
    """Change a package's description and re-sign it with its owners' demo keys."""
    tree = SourceTree(source)
    path = tree.package_path(package)
    document = tree.read(path)
    document["package"]["description"] = description  # type: ignore[index]
    path.write_text(tomlkit.dumps(document), encoding="utf-8")
    for owner in tree.registry().delegations[package].owners:
        sign_file(path, demo_key(owner))


def set_metadata_policy(source: Path, **values: str | int) -> None:
    """Set [metadata] options in registry.toml (``keep_versions=3``) and re-sign it."""
    tree = SourceTree(source)
    document = tree.read(tree.registry_path)
    table = document.setdefault("metadata", tomlkit.table())
    for name, value in values.items():
        table[name.replace("_", "-")] = value
    tree.registry_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    sign_registry(source)


def signed_json(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_bytes())["signed"]
    return document


def versions(site: Path, role: str) -> list[int]:
    """The versions of ``role`` (snapshot, targets, bin-0) published as N.<role>.json."""
    suffix = f".{role}.json"
    names = (p.name for p in (site / "metadata").iterdir() if p.name.endswith(suffix))
    return sorted(int(name.removesuffix(suffix)) for name in names if name[0].isdigit())


def metadata_bytes(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((site / "metadata").iterdir())}


def referenced_files(site: Path) -> dict[str, bytes]:
    """Every file a client reading the current timestamp.json would fetch, with its bytes."""
    files: dict[str, bytes] = {}
    snapshot_version = signed_json(site / TIMESTAMP_FILE)["meta"]["snapshot.json"]["version"]
    snapshot = f"metadata/{snapshot_version}.snapshot.json"
    files[snapshot] = (site / snapshot).read_bytes()
    for name, info in signed_json(site / snapshot)["meta"].items():
        role = f"metadata/{info['version']}.{name}"
        files[role] = (site / role).read_bytes()
        for target, target_info in signed_json(site / role)["targets"].items():
            copy = content_addressed_path(target, target_info["hashes"]["sha256"])
            files[copy] = (site / copy).read_bytes()
    return files


class LoopbackFetcher(FetcherInterface):
    """python-tuf's fetcher over http.client: one connection per file, closed at once, no proxy.

    ``after`` is called with each URL once its bytes are read, to change the site mid-refresh.
    """

    def __init__(self, after: Callable[[str], None] | None = None) -> None:
        self.after = after
        self.fetched: list[str] = []

    def _fetch(self, url: str) -> Iterator[bytes]:
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        try:
            connection.request("GET", parts.path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        self.fetched.append(parts.path)
        if response.status >= 400:
            raise DownloadHTTPError(f"HTTP {response.status} for {url}", response.status)
        if self.after is not None:
            self.after(url)
        return iter([body])


@contextmanager
def tuf_client(
    site: Path,
    cache: Path,
    *,
    bootstrap: bytes | None = None,
    fetcher: FetcherInterface | None = None,
) -> Iterator[Updater]:
    """An ngclient Updater for ``site`` served on loopback; ``cache`` keeps what it trusts.

    ``bootstrap`` is the root the client ships with; None means the root cached in ``cache``.
    """
    (cache / "metadata").mkdir(parents=True, exist_ok=True)
    (cache / "targets").mkdir(exist_ok=True)
    with serving(site) as base:
        yield Updater(
            metadata_dir=str(cache / "metadata"),
            metadata_base_url=f"{base}/metadata/",
            target_base_url=f"{base}/",
            target_dir=str(cache / "targets"),
            fetcher=fetcher or LoopbackFetcher(),
            bootstrap=bootstrap,
        )


def first_root(source: Path = EXAMPLE_SITE) -> bytes:
    return (source / "metadata/1.root.json").read_bytes()


def download(updater: Updater, path: str) -> bytes:
    info = updater.get_targetinfo(path)
    assert info is not None, f"{path} is not a target"
    return Path(updater.download_target(info)).read_bytes()


# python-tuf's client against the example site --------------------------------------------------

EXAMPLE_TARGETS = ["api/v1/packages/http-kit.json", "api/v1/sources/http-kit/package.toml", "index.html"]  # fmt: skip


def test_ngclient_downloads_the_example_sites_files(example_build: Path, tmp_path: Path) -> None:
    with tuf_client(example_build, tmp_path, bootstrap=first_root()) as updater:
        updater.refresh()
        for path in EXAMPLE_TARGETS:
            assert download(updater, path) == (example_build / path).read_bytes()
        assert updater.get_targetinfo("api/v1/packages/no-such-package.json") is None


def test_every_metadata_file_round_trips_through_python_tuf(example_build: Path) -> None:
    root = Metadata.from_bytes(first_root())
    for name, data in metadata_bytes(example_build).items():
        metadata = Metadata.from_bytes(data)
        assert metadata.to_bytes(CanonicalJSONSerializer()) == data, name
        root.verify_delegate(metadata.signed.type, metadata)


def test_root_history_is_republished_byte_for_byte(example_build: Path) -> None:
    assert (example_build / "metadata/1.root.json").read_bytes() == first_root()


def test_every_output_file_is_a_target_with_a_content_addressed_copy(
    example_build: Path,
) -> None:
    targets = signed_json(example_build / "metadata/1.targets.json")["targets"]
    for path, info in targets.items():
        content = (example_build / path).read_bytes()
        assert hashlib.sha256(content).hexdigest() == info["hashes"]["sha256"]
        assert info["length"] == len(content)
        copy = example_build / content_addressed_path(path, info["hashes"]["sha256"])
        assert copy.read_bytes() == content
    assert not any(path.startswith("metadata/") for path in targets)


# Hashed bins -------------------------------------------------------------------------------------

BULK_PACKAGES = 240  # 4 output files each: with the example's 114, past the 1024 bin threshold


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """example-site plus BULK_PACKAGES small packages owned by june, all signed; read-only."""
    source = copy_example(tmp_path_factory.mktemp("big"))
    tree = SourceTree(source)
    document = tree.read(tree.registry_path)
    june = demo_key("june")
    for index in range(BULK_PACKAGES):
        name = f"bulk-{index:03d}"
        document["packages"][name] = {"owners": ["june"]}  # type: ignore[index]
        directory = source / "packages" / name
        directory.mkdir()
        (directory / "package.toml").write_text(bulk_package(name, index), encoding="utf-8")
        sign_file(directory / "package.toml", june)
    tree.registry_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    sign_registry(source)
    return source


def bulk_package(name: str, index: int) -> str:
    return f"""format = 1

[package]
name = "{name}"
description = "Bulk package number {index}."
license = "MIT"

[[release]]
version = "1.0.0"
published = 2025-01-01T00:00:00Z

[[release.artifact]]
url = "https://files.example.org/orchard/{name}/{name}-1.0.0.tar.gz"
sha256 = "{hashlib.sha256(name.encode()).hexdigest()}"
size = 1000
"""


def bin_of(site: Path, path: str) -> str:
    """The succinct hashed bin (TAP 15) that ``path`` belongs to: its hash's first bits."""
    succinct = signed_json(site / "metadata/1.targets.json")["delegations"]["succinct_roles"]
    bits = succinct["bit_length"]
    number = int.from_bytes(hashlib.sha256(path.encode()).digest()[:4], "big") >> (32 - bits)
    return f"{succinct['name_prefix']}-{number:0{(bits + 3) // 4}x}"


def test_ngclient_downloads_a_target_from_a_hashed_bin(big_source: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(big_source, site)
    top = signed_json(site / "metadata/1.targets.json")
    assert top["targets"] == {}
    assert "roles" not in top["delegations"]  # one line of succinct roles names all 16 bins
    assert top["delegations"]["succinct_roles"] == {
        "bit_length": 4,
        "keyids": [key_id(DEMO_ONLINE_KEY.public)],
        "name_prefix": "bin",
        "threshold": 1,
    }
    path = "api/v1/packages/bulk-007.json"
    role = bin_of(site, path)
    listed = signed_json(site / f"metadata/1.{role}.json")["targets"]
    assert path in listed
    total = sum(len(signed_json(p)["targets"]) for p in (site / "metadata").glob("1.bin-*.json"))
    assert total > 1024
    with tuf_client(site, tmp_path / "client", bootstrap=first_root()) as updater:
        updater.refresh()
        assert download(updater, path) == (site / path).read_bytes()
        assert download(updater, "index.html") == (site / "index.html").read_bytes()


@pytest.mark.parametrize("cached", [False, True], ids=["parsed", "from-the-cache"])
def test_a_changed_package_re_signs_only_the_bins_that_list_changed_files(
    big_source: Path, tmp_path: Path, cached: bool
) -> None:
    """With a cache the previous bins are known by their hash, not parsed: same result."""
    source = Path(shutil.copytree(big_source, tmp_path / "source"))
    site, cache = tmp_path / "site", (tmp_path / "cache" if cached else None)
    build_site(source, site, at=T0, cache=cache)
    before = {p: p.read_bytes() for p in (site / "metadata").glob("1.bin-*.json")}
    edit_description(source, "bulk-007", "A changed description.")
    twin = Path(shutil.copytree(site, tmp_path / "twin"))
    build_site(source, site, at=T0 + HOUR, cache=cache)
    build_site(source, twin, at=T0 + HOUR)
    assert metadata_bytes(site) == metadata_bytes(twin)
    changed_paths = {
        path
        for old in before.values()
        for path, info in json.loads(old)["signed"]["targets"].items()
        if hashlib.sha256((site / path).read_bytes()).hexdigest() != info["hashes"]["sha256"]
    }
    assert "api/v1/packages/bulk-007.json" in changed_paths
    changed_bins = {bin_of(site, path) for path in changed_paths}
    assert 0 < len(changed_bins) < 16
    for old_path, content in before.items():
        role = old_path.name.removeprefix("1.").removesuffix(".json")
        assert versions(site, role) == ([1, 2] if role in changed_bins else [1]), role
        assert old_path.read_bytes() == content  # old versions stay, unchanged ones are reused
    assert versions(site, "targets") == [1]  # the delegations did not change
    assert versions(site, "snapshot") == [1, 2]


# Versions ----------------------------------------------------------------------------------------


def test_rebuilding_unchanged_source_an_hour_later_re_signs_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(EXAMPLE_SITE, site, at=T0)
    before = metadata_bytes(site)
    build_site(EXAMPLE_SITE, site, at=T0 + HOUR)
    assert metadata_bytes(site) == before
    assert sorted(before) == ["1.root.json", "1.snapshot.json", "1.targets.json", "timestamp.json"]


def test_one_changed_package_bumps_targets_snapshot_and_timestamp_by_one(
    tmp_path: Path,
) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    build_site(source, site, at=T0)
    old_metadata = metadata_bytes(site)
    old_hue = (site / "api/v1/packages/hue.json").read_bytes()
    edit_description(source, "hue", "Colours for terminals, now with a new description.")
    build_site(source, site, at=T0 + HOUR)
    assert signed_json(site / TIMESTAMP_FILE)["version"] == 2
    assert signed_json(site / TIMESTAMP_FILE)["meta"]["snapshot.json"]["version"] == 2
    assert signed_json(site / "metadata/2.snapshot.json")["meta"]["targets.json"]["version"] == 2
    assert versions(site, "snapshot") == versions(site, "targets") == [1, 2]
    for name in ("1.root.json", "1.snapshot.json", "1.targets.json"):
        assert (site / "metadata" / name).read_bytes() == old_metadata[name]
    old_copy = content_addressed_path("api/v1/packages/hue.json", sha256(old_hue))
    assert (site / old_copy).read_bytes() == old_hue
    new_hue = (site / "api/v1/packages/hue.json").read_bytes()
    assert new_hue != old_hue
    assert (site / content_addressed_path("api/v1/packages/hue.json", sha256(new_hue))).is_file()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_keep_versions_drops_the_oldest_snapshots_and_their_copies(tmp_path: Path) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    set_metadata_policy(source, keep_versions=3)
    build_site(source, site, at=T0)
    first_hue = content_addressed_path(
        "api/v1/packages/hue.json", sha256((site / "api/v1/packages/hue.json").read_bytes())
    )
    for change in range(1, 5):
        edit_description(source, "hue", f"Colours for terminals, change {change}.")
        build_site(source, site, at=T0 + change * HOUR)
        newest = change + 1
        kept = list(range(max(1, newest - 2), newest + 1))
        assert versions(site, "snapshot") == kept, f"after change {change}"
        assert versions(site, "targets") == kept, f"after change {change}"
        assert signed_json(site / TIMESTAMP_FILE)["version"] == newest
    assert not (site / "metadata/1.snapshot.json").exists()
    assert not (site / "metadata/2.snapshot.json").exists()
    assert not (site / first_hue).exists()  # only snapshot 1 referenced it


# Straddling a deploy -----------------------------------------------------------------------------


def test_every_file_the_previous_timestamp_references_survives_a_rebuild(tmp_path: Path) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    build_site(source, site, at=T0)
    before = referenced_files(site)
    edit_description(source, "hue", "A new description.")
    build_site(source, site, at=T0 + HOUR)
    assert signed_json(site / TIMESTAMP_FILE)["version"] == 2
    for path, content in before.items():
        assert (site / path).read_bytes() == content, path


def test_client_that_read_the_timestamp_before_a_deploy_completes_after_it(
    tmp_path: Path,
) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    build_site(source, site)
    old_hue = (site / "api/v1/packages/hue.json").read_bytes()
    edit_description(source, "hue", "A new description.")
    deployed: list[str] = []

    def deploy_after_the_timestamp(url: str) -> None:
        if url.endswith("/metadata/timestamp.json") and not deployed:
            build_site(source, site)
            deployed.append(url)

    fetcher = LoopbackFetcher(after=deploy_after_the_timestamp)
    with tuf_client(site, tmp_path / "client", bootstrap=first_root(), fetcher=fetcher) as updater:
        updater.refresh()  # timestamp 1 from the old site, snapshot 1 and targets 1 from the new
        assert download(updater, "api/v1/packages/hue.json") == old_hue
    assert deployed
    assert "/metadata/1.snapshot.json" in fetcher.fetched
    assert versions(site, "snapshot") == [1, 2]


def test_client_that_refreshed_before_a_deploy_downloads_after_it(tmp_path: Path) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    build_site(source, site)
    old_hue = (site / "api/v1/packages/hue.json").read_bytes()
    with tuf_client(site, tmp_path / "client", bootstrap=first_root()) as updater:
        updater.refresh()
        edit_description(source, "hue", "A new description.")
        build_site(source, site)
        assert download(updater, "api/v1/packages/hue.json") == old_hue
    with tuf_client(site, tmp_path / "client") as updater:
        updater.refresh()
        assert download(updater, "api/v1/packages/hue.json") != old_hue


# Timestamp expiry and refresh --------------------------------------------------------------------


def test_expired_timestamp_is_refused_and_refresh_timestamp_renews_it(tmp_path: Path) -> None:
    source, site = copy_example(tmp_path), tmp_path / "site"
    set_metadata_policy(source, timestamp_expires="1d")
    now = datetime.now(UTC).replace(microsecond=0)
    build_site(source, site, at=now - timedelta(days=2))
    client = tuf_client(site, tmp_path / "client", bootstrap=first_root())
    with client as updater, pytest.raises(ExpiredMetadataError):
        updater.refresh()
    old = signed_json(site / TIMESTAMP_FILE)
    content = refresh_timestamp(DirectoryPrevious(site), DEMO_ONLINE_KEY, now, timedelta(days=1))
    (site / TIMESTAMP_FILE).write_bytes(content)
    new = json.loads(content)["signed"]
    assert new["version"] == old["version"] + 1
    assert new["meta"] == old["meta"]  # the same snapshot
    assert new["expires"] == (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with tuf_client(site, tmp_path / "client") as updater:
        updater.refresh()
        assert download(updater, "index.html") == (site / "index.html").read_bytes()


def test_rebuild_after_a_refresh_keeps_the_refreshed_timestamp(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(EXAMPLE_SITE, site, at=T0)
    refreshed = refresh_timestamp(DirectoryPrevious(site), DEMO_ONLINE_KEY, T0 + HOUR, 2 * HOUR)
    (site / TIMESTAMP_FILE).write_bytes(refreshed)
    build_site(EXAMPLE_SITE, site, at=T0 + 2 * HOUR)
    # The refreshed timestamp (version 2) has an hour left, under half its period: re-signed as 3.
    assert signed_json(site / TIMESTAMP_FILE)["version"] == 3
    assert versions(site, "snapshot") == [1]


def test_refresh_refused_when_the_snapshot_would_expire_first(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(EXAMPLE_SITE, site, at=T0)  # snapshot valid for 30 days
    previous = DirectoryPrevious(site)
    refresh_timestamp(previous, DEMO_ONLINE_KEY, T0 + HOUR, timedelta(days=29))
    with pytest.raises(MetadataError, match="rebuild the site instead") as caught:
        refresh_timestamp(previous, DEMO_ONLINE_KEY, T0 + HOUR, timedelta(days=30))
    assert "metadata/1.snapshot.json expires at 2026-03-31T12:00:00Z" in str(caught.value)


def test_refresh_of_a_directory_that_is_not_a_signed_site_names_the_missing_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(MetadataError, match=r"metadata/timestamp\.json: not found"):
        refresh_timestamp(DirectoryPrevious(tmp_path), DEMO_ONLINE_KEY, T0, HOUR)


def test_refresh_with_a_key_the_root_does_not_list_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(EXAMPLE_SITE, site, at=T0)
    with pytest.raises(MetadataError, match="online"):
        refresh_timestamp(DirectoryPrevious(site), generate_private_key(), T0 + HOUR, HOUR)


# Refused builds ----------------------------------------------------------------------------------


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_online_key_not_in_trust_online_keys_fails_and_writes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with pytest.raises(MetadataError, match=r"is not in registry.toml \[trust\] online-keys"):
        build_site(EXAMPLE_SITE, site, key=generate_private_key())
    assert list(tmp_path.iterdir()) == []
    build_site(EXAMPLE_SITE, site, at=T0)
    before = tree_bytes(site)
    with pytest.raises(MetadataError, match="online-keys"):
        build_site(EXAMPLE_SITE, site, key=demo_key("root"), at=T0 + HOUR)
    assert tree_bytes(site) == before
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging directory left


def test_online_keys_changed_without_a_new_root_fails_naming_registry_toml(
    tmp_path: Path,
) -> None:
    source = copy_example(tmp_path)
    new_key = generate_private_key()
    tree = SourceTree(source)
    document = tree.read(tree.registry_path)
    document["trust"]["online-keys"] = [str(new_key.public)]  # type: ignore[index]
    tree.registry_path.write_text(tomlkit.dumps(document), encoding="utf-8")
    sign_registry(source)
    with pytest.raises(BuildError) as caught:
        build_site(source, tmp_path / "site", key=new_key)
    message = str(caught.value)
    assert "registry.toml: trust.online-keys: differ from the newest root's" in message
    assert "(metadata/1.root.json)" in message
    assert "regsite root update" in message
    assert not (tmp_path / "site").exists()


def test_source_without_root_metadata_suggests_a_command_that_exists(tmp_path: Path) -> None:
    source = copy_example(tmp_path)
    shutil.rmtree(source / "metadata")
    with pytest.raises(MetadataError, match=r"no N\.root\.json") as caught:
        build_site(source, tmp_path / "site")
    assert "regsite root update" in str(caught.value)


def test_damaged_previous_metadata_fails_with_advice(tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_site(EXAMPLE_SITE, site, at=T0)
    (site / TIMESTAMP_FILE).write_bytes(b'{"signatures": [], "signed": {"_type": "root"}}')
    with pytest.raises(MetadataError) as caught:
        build_site(EXAMPLE_SITE, site, at=T0 + HOUR)
    message = str(caught.value)
    assert message.startswith(
        "previous site: metadata/timestamp.json: not TUF metadata (missing key 'version')"
    )
    assert "restore it, or remove the output directory" in message


def test_damaged_previous_bin_fails_even_when_the_cache_knows_the_old_one(tmp_path: Path) -> None:
    site, cache = tmp_path / "site", tmp_path / "cache"
    build_site(EXAMPLE_SITE, site, at=T0, cache=cache)
    damaged = site / "metadata/1.targets.json"
    damaged.write_bytes(damaged.read_bytes()[:-20])
    with pytest.raises(MetadataError, match=r"previous site: metadata/1\.targets\.json"):
        build_site(EXAMPLE_SITE, site, at=T0 + HOUR, cache=cache)


# Determinism -------------------------------------------------------------------------------------


def test_fixed_signing_time_gives_identical_metadata(tmp_path: Path) -> None:
    build_site(EXAMPLE_SITE, tmp_path / "one", at=T0)
    build_site(EXAMPLE_SITE, tmp_path / "two", at=T0)
    assert metadata_bytes(tmp_path / "one") == metadata_bytes(tmp_path / "two")
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")
    expires = {name: signed_json(tmp_path / "one/metadata" / name)["expires"] for name in ("1.targets.json", "1.snapshot.json", "timestamp.json")}  # fmt: skip
    assert expires == {
        "1.targets.json": "2026-05-30T12:00:00Z",  # 90 days
        "1.snapshot.json": "2026-03-31T12:00:00Z",  # 30 days
        "timestamp.json": "2026-03-02T12:00:00Z",  # 1 day
    }


def test_fixed_signing_time_gives_identical_metadata_with_a_previous_site(
    tmp_path: Path,
) -> None:
    source = copy_example(tmp_path)
    for name in ("one", "two"):
        build_site(EXAMPLE_SITE, tmp_path / name, at=T0)
    edit_description(source, "hue", "A new description.")
    for name in ("one", "two"):
        build_site(source, tmp_path / name, at=T0 + HOUR)
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")


def test_bin_number_is_python_tufs_succinct_bin() -> None:
    for bits in (4, 8, 12, 16):
        succinct = SuccinctRoles([], 1, bits, BIN_PREFIX)
        names = list(succinct.get_roles())
        for index in range(300):
            path = f"api/v1/packages/package-{index}.json"
            assert names[bin_number(path, bits)] == succinct.get_role_for_target(path)
