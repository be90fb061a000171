"""Hosted artifacts: found in the source or --files DIR, checked, published content-addressed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from builder import SourceBuilder
from regsite.build import BuildOptions, build, build_files
from regsite.cli import main
from regsite.errors import BuildError
from regsite.model import hosted_path

WHEEL = b"not really a wheel, but bytes the build must publish as they are"
METADATA = b"Metadata-Version: 2.1\nName: gamma\nVersion: 1.0\n\n"


def hosted(file: str, content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "file": file,
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
    } | extra


def gamma_builder(**artifact: Any) -> SourceBuilder:
    """SourceBuilder's registry plus gamma 1.0, whose one artifact is hosted."""
    builder = SourceBuilder()
    entry = hosted("gamma-1.0-py3-none-any.whl", WHEEL, **artifact)
    release = {"version": "1.0", "published": datetime(2026, 1, 5, tzinfo=UTC), "artifact": [entry]}
    builder.add_package("gamma", ["alice"], [release])
    return builder


def put(source: Path, name: str, file: str, content: bytes) -> Path:
    path = source / "packages" / name / "files" / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


WHEEL_PATH = hosted_path("gamma", hashlib.sha256(WHEEL).hexdigest(), "gamma-1.0-py3-none-any.whl")


def test_hosted_file_is_published_at_its_content_addressed_path(tmp_path: Path) -> None:
    source = gamma_builder().write(tmp_path / "source")
    put(source, "gamma", "gamma-1.0-py3-none-any.whl", WHEEL)
    out = tmp_path / "site"
    build(BuildOptions(source=source, output=out))
    assert (out / WHEEL_PATH).read_bytes() == WHEEL
    document = json.loads((out / "api/v1/packages/gamma.json").read_text())
    artifact = document["releases"][0]["artifacts"][0]
    assert artifact["url"] == f"../../../{WHEEL_PATH}"
    assert artifact["hosted"] is True
    page = (out / "packages/gamma/1.0/index.html").read_text()  # the release's own page
    assert f'href="../../../{WHEEL_PATH}"' in page


def test_hosted_file_missing_names_every_place_looked_and_writes_nothing(tmp_path: Path) -> None:
    source = gamma_builder().write(tmp_path / "source")
    out = tmp_path / "site"
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(source=source, output=out, files=tmp_path / "dist"))
    message = str(caught.value)
    assert "release[version=1.0].artifact[file=gamma-1.0-py3-none-any.whl]" in message
    assert "packages/gamma/files/gamma-1.0-py3-none-any.whl and " in message
    assert f"{tmp_path / 'dist'}/gamma/gamma-1.0-py3-none-any.whl" in message
    assert not out.exists()


def test_hosted_file_with_another_sha256_names_both_hashes_and_is_never_published(
    tmp_path: Path,
) -> None:
    source = gamma_builder().write(tmp_path / "source")
    forged = WHEEL.replace(b"really", b"REALLY")  # same size, other bytes
    put(source, "gamma", "gamma-1.0-py3-none-any.whl", forged)
    out = tmp_path / "site"
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(source=source, output=out))
    message = str(caught.value)
    assert hashlib.sha256(forged).hexdigest() in message
    assert hashlib.sha256(WHEEL).hexdigest() in message
    assert "it is not published" in message
    assert not out.exists()


def test_hosted_file_of_another_size_is_refused_before_it_is_read(tmp_path: Path) -> None:
    source = gamma_builder().write(tmp_path / "source")
    put(source, "gamma", "gamma-1.0-py3-none-any.whl", WHEEL + b"!")
    with pytest.raises(BuildError, match=f"is {len(WHEEL) + 1} bytes, but package.toml records"):
        build(BuildOptions(source=source, output=tmp_path / "site"))


def test_hosted_files_of_every_package_are_reported_together(tmp_path: Path) -> None:
    builder = gamma_builder()
    delta = {"version": "2.0", "published": datetime(2026, 1, 6, tzinfo=UTC)}
    builder.add_package("delta", ["bob"], [delta | {"artifact": [hosted("d.whl", b"d")]}])
    source = builder.write(tmp_path / "source")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(source=source, output=tmp_path / "site"))
    assert len(caught.value.problems) == 2


def test_files_dir_supplies_what_the_source_does_not_hold(tmp_path: Path) -> None:
    source = gamma_builder().write(tmp_path / "source")
    dist = tmp_path / "dist"
    (dist / "gamma").mkdir(parents=True)
    (dist / "gamma" / "gamma-1.0-py3-none-any.whl").write_bytes(WHEEL)
    build(BuildOptions(source=source, output=tmp_path / "site", files=dist))
    assert (tmp_path / "site" / WHEEL_PATH).read_bytes() == WHEEL


def test_source_comes_before_files_dir(tmp_path: Path) -> None:
    source = gamma_builder().write(tmp_path / "source")
    put(source, "gamma", "gamma-1.0-py3-none-any.whl", WHEEL)
    dist = tmp_path / "dist"
    (dist / "gamma").mkdir(parents=True)
    (dist / "gamma" / "gamma-1.0-py3-none-any.whl").write_bytes(b"x" * len(WHEEL))
    build(BuildOptions(source=source, output=tmp_path / "site", files=dist))
    assert (tmp_path / "site" / WHEEL_PATH).read_bytes() == WHEEL


def test_symbolic_link_as_hosted_file_is_refused(tmp_path: Path) -> None:
    source = gamma_builder().write(tmp_path / "source")
    real = tmp_path / "elsewhere.whl"
    real.write_bytes(WHEEL)
    link = source / "packages/gamma/files/gamma-1.0-py3-none-any.whl"
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    with pytest.raises(BuildError, match="symbolic links are refused"):
        build(BuildOptions(source=source, output=tmp_path / "site"))


def test_core_metadata_is_published_beside_its_wheel_and_checked(tmp_path: Path) -> None:
    digest = hashlib.sha256(METADATA).hexdigest()
    source = gamma_builder(**{"core-metadata-sha256": digest}).write(tmp_path / "source")
    put(source, "gamma", "gamma-1.0-py3-none-any.whl", WHEEL)
    put(source, "gamma", "gamma-1.0-py3-none-any.whl.metadata", METADATA)
    build(BuildOptions(source=source, output=tmp_path / "site"))
    assert (tmp_path / "site" / f"{WHEEL_PATH}.metadata").read_bytes() == METADATA
    put(source, "gamma", "gamma-1.0-py3-none-any.whl.metadata", METADATA + b"Summary: x\n")
    with pytest.raises(BuildError, match=r"core-metadata-sha256: .*has sha256"):
        build(BuildOptions(source=source, output=tmp_path / "other"))


@pytest.mark.parametrize(
    "file", ["../escape.whl", "a/b.whl", ".hidden.whl", "a..b.whl", "x" * 201, "sp ace.whl"]
)
def test_hosted_file_name_that_is_not_a_plain_name_is_refused(tmp_path: Path, file: str) -> None:
    builder = SourceBuilder()
    release = {"version": "1.0", "published": datetime(2026, 1, 5, tzinfo=UTC)}
    builder.add_package("gamma", ["alice"], [release | {"artifact": [hosted(file, WHEEL)]}])
    with pytest.raises(BuildError, match=r"expected a plain file name|at most 200 allowed"):
        build(BuildOptions(source=builder.write(tmp_path / "source"), output=tmp_path / "site"))


@pytest.mark.parametrize(
    ("artifact", "message"),
    [
        (hosted("g.whl", WHEEL) | {"url": "https://example.org/g.whl"}, "exactly one of 'url'"),
        ({"sha256": "0" * 64, "size": 1}, "exactly one of 'url'"),
        (
            {
                "url": "https://example.org/g.whl",
                "sha256": "0" * 64,
                "size": 1,
                "core-metadata-sha256": "0" * 64,
            },
            "only for a hosted file",
        ),
    ],
    ids=["both", "neither", "core-metadata-of-external"],
)
def test_artifact_that_is_neither_plainly_external_nor_hosted_is_refused(
    tmp_path: Path, artifact: dict[str, Any], message: str
) -> None:
    builder = SourceBuilder()
    release = {"version": "1.0", "published": datetime(2026, 1, 5, tzinfo=UTC)}
    builder.add_package("gamma", ["alice"], [release | {"artifact": [artifact]}])
    with pytest.raises(BuildError, match=message):
        build(BuildOptions(source=builder.write(tmp_path / "source"), output=tmp_path / "site"))


def test_in_memory_build_publishes_hosted_files_from_the_source_and_files_dir(
    tmp_path: Path,
) -> None:
    source = gamma_builder().write(tmp_path / "source")
    dist = tmp_path / "dist"
    (dist / "gamma").mkdir(parents=True)
    (dist / "gamma" / "gamma-1.0-py3-none-any.whl").write_bytes(WHEEL)
    output = build_files(BuildOptions(source=source, output=tmp_path / "out", files=dist))
    assert output[WHEEL_PATH] == WHEEL
    put(source, "gamma", "gamma-1.0-py3-none-any.whl", WHEEL)
    assert build_files(BuildOptions(source=source, output=tmp_path / "out"))[WHEEL_PATH] == WHEEL


def test_hosted_file_problems_come_with_the_requirement_problems_in_one_run(
    tmp_path: Path,
) -> None:
    """The hosted files are checked in the scan, so a missing file and a dependency that
    nothing satisfies are reported together, not one build after the other."""
    builder = gamma_builder()
    late = {"version": "2.0", "published": datetime(2026, 1, 7, tzinfo=UTC)}
    late |= {"requires": {"alpha": ">=99"}, "artifact": [hosted("g2.whl", b"g2")]}
    builder.packages["gamma"]["release"].append(late)
    source = builder.write(tmp_path / "source")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(source=source, output=tmp_path / "site"))
    message = str(caught.value)
    assert "hosted file not found: looked for packages/gamma/files/gamma-1.0-py3" in message
    assert "hosted file not found: looked for packages/gamma/files/g2.whl" in message
    assert "no release of 'alpha' satisfies >=99" in message


def test_verify_looks_in_files_dir_as_build_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = gamma_builder().write(tmp_path / "source")
    dist = tmp_path / "dist"
    (dist / "gamma").mkdir(parents=True)
    (dist / "gamma" / "gamma-1.0-py3-none-any.whl").write_bytes(WHEEL)
    assert main(["verify", str(source)]) == 1
    assert "hosted file not found" in capsys.readouterr().err
    assert main(["verify", str(source), "--files", str(dist)]) == 0
    assert "all 4 signed files verify" in capsys.readouterr().out
