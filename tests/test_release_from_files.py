"""``regsite release add NAME --from-wheel FILE… [--from-sdist FILE]``: releases read from the
distributions' own metadata, hosted or external, and the archives' limits."""

from __future__ import annotations

import gzip
import importlib.util
import io
import tarfile
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from cliregistry import make_registry, run
from regsite import distributions
from regsite.build import BuildOptions, build
from regsite.distributions import DistributionError, read_distribution

REPO = Path(__file__).resolve().parents[1]


def load_make() -> ModuleType:
    """examples/python-registry/make.py, whose wheel and sdist writers the tests reuse."""
    spec = importlib.util.spec_from_file_location(
        "python_example_make", REPO / "examples/python-registry/make.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = load_make()
REQUIRES = ["gadget>=2", 'gadget>=2; extra == "fast"']


@pytest.fixture
def registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return make_registry(tmp_path, capsys)


def wheel(directory: Path, version: str = "1.1.0", **changes: Any) -> Path:
    fields: dict[str, Any] = {
        "name": "widget",
        "version": version,
        "summary": "Makes widgets.",
        "python": ">=3.9",
        "extras": ["fast"],
        "requires": REQUIRES,
    } | changes
    directory.mkdir(exist_ok=True)
    return Path(MAKE.write_wheel(directory, *fields.values()))


def add(capsys: pytest.CaptureFixture[str], registry: Path, *argv: str) -> tuple[int, str, str]:
    keys = registry.parent / "keys"
    common = ["-C", str(registry), "--sign", str(keys / "ada.key")]
    return run(capsys, "release", "add", "widget", *argv, *common)


def recorded(registry: Path) -> dict[str, Any]:
    document = tomllib.loads((registry / "packages/widget/package.toml").read_text())
    release: dict[str, Any] = document["release"][-1]
    return release


def test_release_from_a_wheel_records_its_metadata_and_hosts_it(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = wheel(tmp_path / "dist")
    code, out, err = add(capsys, registry, "--from-wheel", str(path))
    assert (code, err) == (0, "")
    assert "release 1.1.0 of widget, read from its files" in out
    release = recorded(registry)
    assert release["requires-python"] == ">=3.9"
    assert release["provides-extras"] == ["fast"]
    assert release["requires"] == {
        "gadget": [{"version": ">=2"}, {"version": ">=2", "marker": 'extra == "fast"'}]
    }
    (artifact,) = release["artifact"]
    assert artifact["file"] == path.name and "url" not in artifact
    hosted = registry / "packages/widget/files" / path.name
    assert hosted.read_bytes() == path.read_bytes()
    metadata = read_distribution(path, "wheel").core_metadata
    assert (hosted.parent / f"{path.name}.metadata").read_bytes() == metadata
    build(BuildOptions(source=registry, output=tmp_path / "site", online_key=None))


def test_release_from_a_wheel_and_its_sdist_records_both(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    path = wheel(dist)
    sdist = MAKE.write_sdist(dist, "widget", "1.1.0", "Makes widgets.", ">=3.9", ["fast"], REQUIRES)
    assert add(capsys, registry, "--from-wheel", str(path), "--from-sdist", str(sdist))[0] == 0
    files = [artifact["file"] for artifact in recorded(registry)["artifact"]]
    assert files == [path.name, "widget-1.1.0.tar.gz"]
    assert "core-metadata-sha256" not in recorded(registry)["artifact"][1]


def test_url_prefix_records_external_urls_and_copies_nothing(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = wheel(tmp_path / "dist")
    prefix = "https://github.com/example/widget/releases/download/v1.1.0"
    assert add(capsys, registry, "--from-wheel", str(path), "--url-prefix", prefix)[0] == 0
    (artifact,) = recorded(registry)["artifact"]
    assert artifact["url"] == f"{prefix}/{path.name}"
    assert not (registry / "packages/widget/files").exists()


def test_no_copy_records_a_hosted_file_for_build_files_dir(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = wheel(tmp_path / "dist")
    assert add(capsys, registry, "--from-wheel", str(path), "--no-copy")[0] == 0
    assert not (registry / "packages/widget/files" / path.name).exists()
    assert (registry / "packages/widget/files" / f"{path.name}.metadata").is_file()
    files = tmp_path / "files"
    (files / "widget").mkdir(parents=True)
    (files / "widget" / path.name).write_bytes(path.read_bytes())
    build(BuildOptions(source=registry, output=tmp_path / "site", files=files))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "gizmo"}, "is a distribution of 'gizmo', not 'widget'"),
        ({"python": "three"}, "invalid core metadata"),
    ],
    ids=["other-package", "invalid-metadata"],
)
def test_wheel_that_does_not_fit_is_refused_and_nothing_changes(
    registry: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, Any],
    message: str,
) -> None:
    before = (registry / "packages/widget/package.toml").read_bytes()
    code, _, err = add(capsys, registry, "--from-wheel", str(wheel(tmp_path / "d", **changes)))
    assert code == 1 and message in err
    assert (registry / "packages/widget/package.toml").read_bytes() == before
    assert not (registry / "packages/widget/files").exists()


def test_files_of_two_versions_are_refused(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = wheel(tmp_path / "a", "1.1.0"), wheel(tmp_path / "b", "1.2.0")
    code, _, err = add(capsys, registry, "--from-wheel", str(one), "--from-wheel", str(two))
    assert code == 1 and "is version 1.2.0, but widget-1.1.0-py3-none-any.whl is 1.1.0" in err


def test_version_argument_that_differs_from_the_files_is_refused(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = add(capsys, registry, "2.0", "--from-wheel", str(wheel(tmp_path / "d")))
    assert code == 1 and "version 2.0 was given, but the files are version 1.1.0" in err


def test_wheel_depending_on_a_package_not_here_is_refused(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = wheel(tmp_path / "d", requires=["requests>=2"])
    code, _, err = add(capsys, registry, "--from-wheel", str(path))
    assert code == 1 and "depends on 'requests', which is not a package of this registry" in err


def test_metadata_whose_header_claims_too_much_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "widget-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("widget-1.0.dist-info/METADATA", b"Name: widget\n")
    data = bytearray(path.read_bytes())
    # Raise the uncompressed size the central directory claims to 1 GiB.
    central = data.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = (1 << 30).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(DistributionError, match="core metadata may have at most"):
        read_distribution(path, "wheel")


def test_metadata_that_inflates_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "widget-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("widget-1.0.dist-info/METADATA", b"\0" * (5 * 1024 * 1024))
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(DistributionError, match="at most"):
        read_distribution(path, "wheel")


def test_sdist_that_inflates_before_its_pkg_info_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(distributions, "MAX_SCANNED_BYTES", 1024 * 1024)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        filler = tarfile.TarInfo("widget-1.0/filler")
        filler.size = 4 * 1024 * 1024
        archive.addfile(filler, io.BytesIO(b"\0" * filler.size))
    path = tmp_path / "widget-1.0.tar.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    with pytest.raises(DistributionError, match="decompressed before its PKG-INFO"):
        read_distribution(path, "sdist")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("widget.whl", b"", "not a wheel file name"),
        ("widget-1.0-py3-none-any.whl", b"not a zip", "not a valid wheel"),
        ("widget-1.0.tar.gz", b"not gzip", "not a valid sdist"),
    ],
)
def test_unreadable_distribution_says_why(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    kind = "wheel" if name.endswith(".whl") else "sdist"
    with pytest.raises(DistributionError, match=message):
        read_distribution(path, kind)
