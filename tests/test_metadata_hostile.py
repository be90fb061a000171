"""Metadata that python-tuf reads and regsite cannot use: what regsite.metadata.envelope (and the
client's fetcher, which applies it before ngclient) refuses, each as one line naming the file.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tuf.api.metadata import MetaFile, Snapshot, TargetFile, Targets, Timestamp

from conftest import DEMO_ONLINE_KEY
from hostilesite import Trees, copy_tree, make_trees
from regsite.build import BuildOptions, build
from regsite.client.trust import Updater
from regsite.errors import RegistryError
from regsite.fetch import UrlFetcher
from regsite.metadata.envelope import (
    MAX_INTEGER,
    MetadataError,
    online_signer,
    read_metadata,
    sign_metadata,
    verify_role,
)
from regsite.metadata.previous import DirectoryPrevious
from regsite.metadata.root import read_trusted_root

FILE = "metadata/7.test.json"
EXPIRES = datetime.now(UTC) + timedelta(days=1)
SIGNER = online_signer(DEMO_ONLINE_KEY)


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    return make_trees(tmp_path_factory.mktemp("trees"))


def with_signed(data: bytes, change: Any) -> bytes:
    """The file with ``change`` applied to its ``signed`` object: its signatures no longer hold."""
    document = json.loads(data)
    change(document["signed"])
    return json.dumps(document).encode()  # ASCII: a lone surrogate is written as an escape


def timestamp(version: int = 1) -> bytes:
    signed = Timestamp(version=version, expires=EXPIRES, snapshot_meta=MetaFile(version=1))
    return sign_metadata(signed, [SIGNER])


def one_line(error: pytest.ExceptionInfo[RegistryError]) -> str:
    message = str(error.value)
    assert "\n" not in message and message.isprintable(), message
    assert message.startswith(f"{FILE}: "), message
    return message


def test_a_version_no_json_reader_can_hold_is_refused_naming_the_key() -> None:
    with pytest.raises(MetadataError) as error:
        read_metadata(timestamp(version=2**64), Timestamp, FILE)
    assert one_line(error) == (
        f"{FILE}: signed.version: expected an integer from 1 to {MAX_INTEGER},"
        " found int 18446744073709551616"
    )


@pytest.mark.parametrize(
    ("value", "found"), [(True, "bool True"), (1.5, "float 1.5"), (2**200, "int of 201 bits")]
)
def test_a_length_that_is_not_a_bounded_integer_is_refused(value: object, found: str) -> None:
    data = with_signed(
        timestamp(), lambda signed: signed["meta"]["snapshot.json"].update(length=value)
    )
    with pytest.raises(MetadataError) as error:
        read_metadata(data, Timestamp, FILE)
    assert one_line(error).endswith(
        f"signed.snapshot_meta.length: expected an integer from 0 to {MAX_INTEGER}, found {found}"
    )


def test_a_hostile_key_in_a_key_path_is_shown_short_and_escaped() -> None:
    name = "\x1b[2J" + "a" * 200 + ".json"
    snapshot = Snapshot(version=1, expires=EXPIRES, meta={name: MetaFile(version=2**63)})
    with pytest.raises(MetadataError) as error:
        read_metadata(sign_metadata(snapshot, [SIGNER]), Snapshot, FILE)
    message = one_line(error)
    assert f"signed.meta.\\x1b[2J{'a' * 76}….version: expected an integer from 1" in message


def test_a_lone_surrogate_is_refused_by_name() -> None:
    target = TargetFile.from_data("api/v1/x.json", b"x")
    targets = Targets(version=1, expires=EXPIRES, targets={"api/v1/x.json": target})
    data = sign_metadata(targets, [SIGNER])
    hostile = with_signed(
        data,
        lambda signed: signed["targets"].update({"\ud800": signed["targets"]["api/v1/x.json"]}),
    )
    with pytest.raises(MetadataError) as error:
        read_metadata(hostile, Targets, FILE)
    assert "strings must be valid Unicode (found a lone surrogate" in one_line(error)


def test_a_float_fails_the_signature_check_by_name(trees: Trees) -> None:
    root = read_trusted_root(trees.root_file.read_bytes(), "1.root.json")
    data = with_signed(timestamp(), lambda signed: signed.update(note=0.5))
    metadata = read_metadata(data, Timestamp, FILE)  # python-tuf keeps an unknown field
    with pytest.raises(MetadataError) as error:
        verify_role(metadata, root, "timestamp", FILE)
    assert one_line(error) == (
        f"{FILE}: signed: cannot be written as the canonical JSON its signatures cover"
        " (numbers must be integers)"
    )


def test_json_nested_past_the_recursion_limit_is_not_tuf_metadata() -> None:
    with pytest.raises(MetadataError) as error:
        read_metadata(b'{"signed":' * 100_000 + b"1" + b"}" * 100_000, Timestamp, FILE)
    assert one_line(error) == f"{FILE}: not TUF metadata (nested too deeply)"


def test_a_previous_metadata_file_that_cannot_be_read_fails_the_build(
    trees: Trees, tmp_path: Path
) -> None:
    previous = copy_tree(trees.site, tmp_path / "previous", link=True)
    timestamp_file = previous / "metadata" / "timestamp.json"
    timestamp_file.unlink()
    os.symlink(timestamp_file.name, timestamp_file)  # a loop: reading it is ELOOP
    with pytest.raises(MetadataError, match=r"metadata/timestamp\.json: cannot be read"):
        DirectoryPrevious(previous).read("metadata/timestamp.json")
    options = BuildOptions(
        source=trees.source, output=tmp_path / "out", previous=previous, online_key=DEMO_ONLINE_KEY
    )
    with pytest.raises(MetadataError, match="cannot be read"):
        build(options)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda signed: signed.update(version=2**70), "signed.version: expected an integer"),
        (lambda signed: signed.update(note="\ud800"), "strings must be valid Unicode"),
    ],
)
def test_the_client_refuses_a_served_timestamp_before_ngclient_reads_it(
    trees: Trees, tmp_path: Path, change: Any, expected: str
) -> None:
    site = copy_tree(trees.site, tmp_path / "site", link=True)
    served = site / "metadata" / "timestamp.json"
    data = with_signed(served.read_bytes(), change)
    served.unlink()
    served.write_bytes(data)
    url = site.as_uri() + "/"
    pinned = trees.root_file.read_bytes()
    updater = Updater(url, UrlFetcher(), tmp_path / "state", bootstrap=pinned)
    with pytest.raises(MetadataError) as error:
        updater.refresh()
    message = str(error.value)
    assert message.startswith(f"{url}metadata/timestamp.json: ") and expected in message
    assert "\n" not in message and message.isprintable()


def test_the_client_names_a_float_in_a_signed_timestamp(trees: Trees, tmp_path: Path) -> None:
    site = copy_tree(trees.site, tmp_path / "site", link=True)
    served = site / "metadata" / "timestamp.json"
    signed = read_metadata(served.read_bytes(), Timestamp, "timestamp.json").signed
    signed.unrecognized_fields["note"] = 0.5  # signed as json.dumps writes it, but not canonical
    signed.version += 1
    served.unlink()
    served.write_bytes(sign_metadata(signed, [SIGNER]))
    url = site.as_uri() + "/"
    updater = Updater(url, UrlFetcher(), tmp_path / "state", bootstrap=trees.root_file.read_bytes())
    with pytest.raises(MetadataError) as error:
        updater.refresh()
    assert str(error.value) == (
        f"{url}metadata/timestamp.json: signed: cannot be written as the canonical JSON its"
        " signatures cover (numbers must be integers)"
    )
