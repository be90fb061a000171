"""A plain (non-editable) install carries the theme and schemas and builds from anywhere."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import EXAMPLE_SITE, REPO
from regsite.build import BuildOptions, build
from test_build import tree_digest


@pytest.mark.slow
def test_wheel_install_builds_example_site_from_another_directory(tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    # Reuse the test environment's dependencies (and hatchling) so no network is needed; the
    # wheel installed into the new environment's own site-packages still comes first on the path.
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    parent = "\n".join(path for path in site.getsitepackages())
    (Path(purelib) / "test-dependencies.pth").write_text(parent + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--force-reinstall", str(REPO)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": ""}
    result = subprocess.run(
        [python, "-c", "import regsite.theme as t; print(t.default_theme_dir())"],
        cwd=elsewhere, capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    theme = Path(result.stdout.strip())
    assert theme.is_relative_to(environment), theme  # the copy inside the wheel, not the checkout
    assert (theme / "static" / "style.css").is_file()
    subprocess.run(
        [environment / "bin" / "regsite", "build", str(EXAMPLE_SITE), "-o", "site", "--unsigned"],
        cwd=elsewhere, check=True, capture_output=True, env=env,
    )  # fmt: skip
    build(BuildOptions(source=EXAMPLE_SITE, output=tmp_path / "reference"))
    assert tree_digest(elsewhere / "site") == tree_digest(tmp_path / "reference")
    assert sys.prefix != str(environment)
