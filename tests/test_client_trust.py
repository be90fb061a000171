"""The TUF client workflow (regsite.client.trust) against sites that regsite itself signed."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from builder import fixed_key
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE, serving
from regsite.build import BuildOptions, build, read_model, render_site, write_output
from regsite.client.trust import Updater, trust_on_first_use
from regsite.commands.sign import sign_file
from regsite.commands.trust import set_online_keys, write_next_root
from regsite.commands.verify_site import verify_site
from regsite.fetch import UrlFetcher
from regsite.keys import PrivateKey, load_private_key
from regsite.metadata.envelope import MetadataError
from regsite.metadata.layout import content_addressed_path
from regsite.metadata.previous import DirectoryPrevious, refresh_timestamp
from regsite.render import Output
from regsite.sources import SourceTree

SIGNED_AT = datetime(2026, 11, 1, tzinfo=UTC)  # metadata expiry counts from here
NOW = SIGNED_AT + timedelta(hours=1)
PINNED_ROOT = (EXAMPLE_SITE / "metadata" / "1.root.json").read_bytes()
ROOT_KEY = load_private_key(str(EXAMPLE_SITE / "demo-keys" / "root.key"))
PACKAGE = "api/v1/packages/http-kit.json"
EXTRA_FILES = 1000  # added to example-site's ~110 files: past publish's 1024 -> hashed bins


@dataclass
class RecordingFetcher:
    """UrlFetcher, remembering every URL asked for."""

    urls: list[str] = field(default_factory=list)

    def fetch(self, url: str, max_bytes: int) -> bytes:
        self.urls.append(url)
        return UrlFetcher().fetch(url, max_bytes)

    def fetched(self, suffix: str) -> list[str]:
        return [url for url in self.urls if url.endswith(suffix)]


def updater(
    site: Path,
    store: Path,
    fetcher: RecordingFetcher | None = None,
    now: Callable[[], datetime] = lambda: NOW,
    pinned_root: bytes | None = PINNED_ROOT,
) -> Updater:
    return Updater(
        site.as_uri() + "/", fetcher or RecordingFetcher(), store, bootstrap=pinned_root, now=now
    )


def build_signed(source: Path, output: Path, key: PrivateKey = DEMO_ONLINE_KEY) -> Path:
    build(BuildOptions(source=source, output=output, online_key=key, signing_time=SIGNED_AT))
    return output


def copy_source(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE_SITE, tmp_path / "source"))


def newer_timestamp(site: Path, copy: Path) -> Path:
    """A copy of ``site`` whose timestamp.json is version 2, for the same snapshot."""
    shutil.copytree(site, copy)
    timestamp = refresh_timestamp(
        DirectoryPrevious(copy), DEMO_ONLINE_KEY, SIGNED_AT, timedelta(days=1)
    )
    (copy / "metadata" / "timestamp.json").write_bytes(timestamp)
    return copy


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_signed(EXAMPLE_SITE, tmp_path_factory.mktemp("signed") / "site")


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Output]:
    """example-site plus EXTRA_FILES small files, signed with hashed bins; and its plain files."""
    out = tmp_path_factory.mktemp("big") / "site"
    registry_site, packages = read_model(BuildOptions(source=EXAMPLE_SITE, output=out))
    plain = render_site(registry_site, packages)
    plain.update({f"extra/{i:04}.txt": f"extra file {i}\n".encode() for i in range(EXTRA_FILES)})
    write_output(plain, out, signed=(registry_site.registry, DEMO_ONLINE_KEY, SIGNED_AT))
    return out, plain


# The workflow ----------------------------------------------------------------------------------


def test_fresh_refresh_over_http_fetches_a_package_equal_to_the_plain_file(
    site: Path, tmp_path: Path
) -> None:
    with serving(site) as base_url:
        client = Updater(
            base_url + "/", UrlFetcher(), tmp_path / "store", bootstrap=PINNED_ROOT, now=lambda: NOW
        )
        client.refresh()
        assert client.fetch_target(PACKAGE) == (site / PACKAGE).read_bytes()
    assert (client.root.version, client.timestamp_version, client.snapshot_version) == (1, 1, 1)
    stored = sorted(path.name for path in (tmp_path / "store").iterdir())
    assert stored == [
        "root.json",
        "root_history",
        "snapshot.json",
        "targets.json",
        "timestamp.json",
    ]


def test_target_info_refreshes_first_and_fetches_the_content_addressed_copy(
    site: Path, tmp_path: Path
) -> None:
    fetcher = RecordingFetcher()
    client = updater(site, tmp_path / "store", fetcher)
    data = (site / PACKAGE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    info = client.target_info(PACKAGE)
    assert (info.length, info.hashes) == (len(data), {"sha256": digest})
    client.fetch_target(PACKAGE)
    names = [url.removeprefix(site.as_uri() + "/") for url in fetcher.urls]
    assert names == [
        "metadata/2.root.json",
        "metadata/timestamp.json",
        "metadata/1.snapshot.json",
        "metadata/1.targets.json",
        content_addressed_path(PACKAGE, digest),
    ]


def test_trust_on_first_use_returns_the_self_signed_first_root(site: Path) -> None:
    data, root = trust_on_first_use(site.as_uri() + "/", UrlFetcher())
    assert data == PINNED_ROOT
    assert root.version == 1 and len(root.keys) == 2


def test_all_targets_lists_every_plain_file_of_a_small_site(site: Path, tmp_path: Path) -> None:
    targets = updater(site, tmp_path / "store").all_targets()
    assert "index.html" in targets and PACKAGE in targets
    assert not any(path.startswith("metadata/") for path in targets)
    assert all((site / path).stat().st_size == info.length for path, info in targets.items())


# Persistence -----------------------------------------------------------------------------------


def test_a_second_updater_on_the_same_store_does_not_refetch_the_root_chain(
    tmp_path: Path,
) -> None:
    source = copy_source(tmp_path)
    write_next_root(SourceTree(source), [ROOT_KEY], SIGNED_AT)
    site = build_signed(source, tmp_path / "site")
    first = RecordingFetcher()
    updater(site, tmp_path / "store", first).refresh()
    assert first.fetched("root.json") == [f"{site.as_uri()}/metadata/{v}.root.json" for v in (2, 3)]
    assert (tmp_path / "store/root.json").read_bytes() == (
        site / "metadata/2.root.json"
    ).read_bytes()

    second = RecordingFetcher()
    again = updater(site, tmp_path / "store", second, pinned_root=None)
    assert (again.root.version, again.timestamp_version, again.snapshot_version) == (2, 1, 1)
    again.refresh()
    assert second.fetched("root.json") == [f"{site.as_uri()}/metadata/3.root.json"]
    # The stored snapshot and targets have the sha256 the timestamp and snapshot list.
    assert second.fetched("snapshot.json") == second.fetched("targets.json") == []


def test_the_stored_timestamp_version_is_enforced_on_the_next_run(
    site: Path, tmp_path: Path
) -> None:
    newer = newer_timestamp(site, tmp_path / "newer")
    updater(newer, tmp_path / "store").refresh()
    client = updater(site, tmp_path / "store")
    assert client.timestamp_version == 2
    with pytest.raises(
        MetadataError,
        match=r"/metadata/timestamp.json: version 1 is older than the trusted version 2 \(rollback\)",
    ):
        client.refresh()


def test_the_same_timestamp_version_keeps_the_stored_file(site: Path, tmp_path: Path) -> None:
    updater(site, tmp_path / "store").refresh()
    stored = (tmp_path / "store/timestamp.json").stat().st_mtime_ns
    updater(site, tmp_path / "store").refresh()
    assert (tmp_path / "store/timestamp.json").stat().st_mtime_ns == stored


def test_a_stored_timestamp_that_no_longer_verifies_is_replaced(site: Path, tmp_path: Path) -> None:
    updater(site, tmp_path / "store").refresh()
    (tmp_path / "store/timestamp.json").write_bytes(b'{"signatures": [], "signed": {}}')
    client = updater(site, tmp_path / "store")
    assert client.timestamp_version is None
    client.refresh()
    assert client.timestamp_version == 1


def test_a_damaged_stored_root_is_replaced_by_the_pinned_one(site: Path, tmp_path: Path) -> None:
    updater(site, tmp_path / "store").refresh()
    damaged = PINNED_ROOT.replace(b'"version":1', b'"version":7')
    (tmp_path / "store/root.json").write_bytes(damaged)
    with pytest.raises(MetadataError, match=r"root.json: signed by 0 of the root role's keys"):
        updater(site, tmp_path / "store", pinned_root=None)  # nothing else to trust
    client = updater(site, tmp_path / "store")
    client.refresh()
    assert client.root.version == 1


def test_without_a_stored_or_pinned_root_there_is_nothing_to_trust(
    site: Path, tmp_path: Path
) -> None:
    with pytest.raises(MetadataError, match="no trusted root stored and no pinned root given"):
        updater(site, tmp_path / "store", pinned_root=None)


def test_rotating_the_online_key_discards_the_stored_timestamp_and_snapshot(
    site: Path, tmp_path: Path
) -> None:
    # The client trusts a timestamp of version 2 signed by the old online key...
    updater(newer_timestamp(site, tmp_path / "old"), tmp_path / "store").refresh()
    # ...and the registry rotates its online key, then publishes a fresh site at version 1.
    source = copy_source(tmp_path)
    new_key = fixed_key("online key 2")
    set_online_keys(SourceTree(source), [str(new_key.public)])
    sign_file(source / "registry.toml", ROOT_KEY)
    write_next_root(SourceTree(source), [ROOT_KEY], SIGNED_AT)
    rotated = build_signed(source, tmp_path / "rotated", new_key)
    client = updater(rotated, tmp_path / "store")
    client.refresh()
    assert (client.root.version, client.timestamp_version) == (2, 1)


# Failures --------------------------------------------------------------------------------------


def test_an_expired_timestamp_is_a_freeze_attack(site: Path, tmp_path: Path) -> None:
    client = updater(site, tmp_path / "store", now=lambda: SIGNED_AT + timedelta(days=2))
    with pytest.raises(
        MetadataError,
        match=r"/metadata/timestamp.json: expired at 2026-11-02T00:00:00Z \(freeze attack",
    ):
        client.refresh()


def test_an_expired_root_is_refused_before_anything_else(site: Path, tmp_path: Path) -> None:
    client = updater(site, tmp_path / "store", now=lambda: datetime(2037, 1, 1, tzinfo=UTC))
    with pytest.raises(MetadataError, match=r"/metadata/1\.root\.json: expired at 2036-11-18"):
        client.refresh()


def test_an_unlisted_target_and_a_bad_path_are_refused(site: Path, tmp_path: Path) -> None:
    client = updater(site, tmp_path / "store")
    with pytest.raises(MetadataError, match=r"nope\.json: not listed in the registry's signed"):
        client.target_info("api/v1/packages/nope.json")
    with pytest.raises(MetadataError, match="expected a relative path without"):
        client.target_info("api/../registry.toml")


def test_a_target_whose_bytes_changed_is_refused(site: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(site, tmp_path / "site"))
    info = updater(copy, tmp_path / "store").target_info(PACKAGE)
    served = copy / content_addressed_path(PACKAGE, info.hashes["sha256"])
    served.write_bytes(served.read_bytes().replace(b"http-kit", b"http-kat"))
    with pytest.raises(MetadataError, match=f"the signed metadata lists {info.length} bytes"):
        updater(copy, tmp_path / "store").fetch_target(PACKAGE)


# Hashed bins -----------------------------------------------------------------------------------


def test_target_info_finds_a_target_through_its_hashed_bin(
    big_site: tuple[Path, Output], tmp_path: Path
) -> None:
    site, plain = big_site
    fetcher = RecordingFetcher()
    client = updater(site, tmp_path / "store", fetcher)
    path = "extra/0007.txt"
    assert client.fetch_target(path) == plain[path]
    digest = hashlib.sha256(path.encode()).hexdigest()
    assert fetcher.fetched(".json")[-1].endswith(f"/metadata/1.bin-{digest[0]}.json")
    assert len(fetcher.fetched(".json")) == 5  # root 2, timestamp, snapshot, targets, one bin
    assert (tmp_path / f"store/bin-{digest[0]}.json").is_file()

    second = RecordingFetcher()
    assert updater(site, tmp_path / "store", second).target_info(path) == client.target_info(path)
    assert not any("bin-" in url for url in second.urls)  # the stored bin still matches


def test_all_targets_through_bins_equals_the_plain_output(
    big_site: tuple[Path, Output], tmp_path: Path
) -> None:
    site, plain = big_site
    fetcher = RecordingFetcher()
    targets = updater(site, tmp_path / "store", fetcher).all_targets()
    assert len(plain) > 1024
    assert {path: (info.length, info.hashes["sha256"]) for path, info in targets.items()} == {
        path: (len(data), hashlib.sha256(data).hexdigest()) for path, data in plain.items()
    }
    assert len({url for url in fetcher.urls if ".bin-" in url}) == 16


def test_trust_stored_by_the_hand_written_client_keeps_its_rollback_protection(
    site: Path, tmp_path: Path
) -> None:
    """The earlier client kept ``<role>.json`` files, root.json a plain file: ngclient's layout
    but for root_history/, so its trusted timestamp still stops a rollback."""
    newer = newer_timestamp(site, tmp_path / "newer")
    store = tmp_path / "store"
    store.mkdir()
    (store / "root.json").write_bytes(PINNED_ROOT)
    (store / "timestamp.json").write_bytes((newer / "metadata/timestamp.json").read_bytes())
    with pytest.raises(MetadataError, match=r"version 1 is older than the trusted version 2"):
        updater(site, store).refresh()
    updater(newer, store).refresh()
    assert (store / "root.json").is_symlink()


def test_verify_site_checks_every_target_of_every_bin(
    big_site: tuple[Path, Output], tmp_path: Path
) -> None:
    site, plain = big_site
    result = verify_site(site.as_uri() + "/", PINNED_ROOT, UrlFetcher(), now=lambda: NOW)
    assert result.ok, result.problems
    assert result.files == len(plain)

    served = Path(shutil.copytree(site, tmp_path / "served"))
    tampered = "extra/0007.txt"
    (served / tampered).write_bytes(b"tampered\n")
    other = "0" if hashlib.sha256(tampered.encode()).hexdigest()[0] != "0" else "1"
    damaged = served / f"metadata/1.bin-{other}.json"
    damaged.write_bytes(damaged.read_bytes().replace(b'"version":1', b'"version":2'))
    result = verify_site(served.as_uri() + "/", PINNED_ROOT, UrlFetcher(), now=lambda: NOW)
    problems = "\n".join(result.problems)
    assert f"/metadata/1.bin-{other}.json: Observed hash" in problems  # the others still checked
    assert f"{tampered}: 9 bytes with sha256" in problems
