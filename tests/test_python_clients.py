"""Real pip and uv install from the Python example registry, served by ``regsite serve`` on
127.0.0.1, into fresh virtual environments; and regsite's locks in their formats.

The example (examples/python-registry) holds sprout 0.2.0, which requires seedling>=1.0,
trowel (marker true here: python_version >= "3.8"), rain-gauge (marker false here:
python_version < "3.0") and, for its extra "lamp", sunlamp; seedling's newest release, 1.1.0,
is yanked.  No test reaches beyond loopback: pip and uv see no other index and no config.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, require_tool
from regsite.build import BuildOptions, build
from regsite.commands.serve import RequestRecord, make_server
from regsite.keys import load_private_key

EXAMPLE = REPO / "examples" / "python-registry"
ONLINE_KEY = EXAMPLE / "demo-keys" / "online.key"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.slow


class Served:
    """A built site served by regsite serve's server, with its request log."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.log: list[RequestRecord] = []
        self._server = make_server(site, port=0, on_request=self.log.append)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self.index = f"{self.url}simple/"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        return [record.path for record in self.log]


def build_example(out: Path) -> Path:
    key = load_private_key(str(ONLINE_KEY))
    build(BuildOptions(source=EXAMPLE, output=out, online_key=key))
    return out


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(build_example(tmp_path_factory.mktemp("python-example") / "site"))
    yield server
    server.close()


def clean_environment(home: Path) -> dict[str, str]:
    """No pip or uv configuration from this machine: only the index each command names."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))
    }
    return environ | {
        "HOME": str(home),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": str(home / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }


class Environment:
    """A fresh virtual environment; pip is its own (from ensurepip), uv is the test extra's."""

    def __init__(self, root: Path) -> None:
        venv.EnvBuilder(with_pip=True).create(root / "venv")
        self.python = root / "venv" / "bin" / "python"
        self.environ = clean_environment(root)

    def run(
        self, *argv: str | Path, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(part) for part in argv], input=stdin,
            capture_output=True, text=True, env=self.environ, timeout=300, check=check,
        )  # fmt: skip

    def pip(self, *argv: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-m", "pip", *argv, check=check)

    def uv(self, *argv: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(uv_path(), *argv, check=check)

    def installed(self) -> dict[str, str]:
        listed = self.pip("list", "--format=freeze").stdout.split()
        pairs = (line.split("==") for line in listed)
        return {name: version for name, version in pairs if name not in ("pip", "setuptools")}


def uv_path() -> str:
    return require_tool("uv", str(BIN / "uv"))


@pytest.fixture
def environment(tmp_path: Path) -> Environment:
    return Environment(tmp_path)


def test_pip_installs_a_package_with_its_dependency_honouring_markers_and_yanks(
    served: Served, environment: Environment
) -> None:
    environment.pip("install", "--index-url", served.index, "sprout")
    assert environment.installed() == {"seedling": "1.0.0", "sprout": "0.2.0", "trowel": "1.0.0"}


def test_pip_installs_the_dependency_of_an_extra(served: Served, environment: Environment) -> None:
    environment.pip("install", "--index-url", served.index, "sprout[lamp]")
    assert environment.installed()["sunlamp"] == "1.0.0"
    assert "rain-gauge" not in environment.installed()  # its marker is false here


def test_pip_installs_a_yanked_release_only_when_pinned(
    served: Served, environment: Environment
) -> None:
    environment.pip("install", "--index-url", served.index, "seedling")
    assert environment.installed() == {"seedling": "1.0.0"}
    result = environment.pip("install", "--index-url", served.index, "seedling==1.1.0")
    assert environment.installed() == {"seedling": "1.1.0"}
    assert "yanked" in result.stderr.lower()


def test_pip_refuses_a_file_whose_bytes_do_not_match_the_index(
    tmp_path: Path, environment: Environment
) -> None:
    site = build_example(tmp_path / "site")
    (wheel,) = (site / "files" / "trowel").glob("*/trowel-1.0.0-py3-none-any.whl")
    wheel.write_bytes(wheel.read_bytes() + b"\0")  # what a bad host or mirror might serve
    server = Served(site)
    try:
        result = environment.pip("install", "--index-url", server.index, "trowel", check=False)
    finally:
        server.close()
    assert result.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
    assert "trowel" not in environment.installed()


def test_uv_installs_a_package_with_its_dependency_honouring_markers_and_extras(
    served: Served, environment: Environment
) -> None:
    environment.uv("pip", "install", "-p", environment.python, "--index-url", served.index,
                   "sprout[lamp]")  # fmt: skip
    assert environment.installed() == {
        "seedling": "1.0.0", "sprout": "0.2.0", "sunlamp": "1.0.0", "trowel": "1.0.0",
    }  # fmt: skip


def test_uv_installs_a_yanked_release_only_when_pinned(
    served: Served, environment: Environment
) -> None:
    index = ["-p", str(environment.python), "--index-url", served.index]
    environment.uv("pip", "install", *index, "seedling")
    assert environment.installed() == {"seedling": "1.0.0"}
    environment.uv("pip", "install", *index, "seedling==1.1.0")
    assert environment.installed() == {"seedling": "1.1.0"}


def test_uv_resolves_from_core_metadata_files_without_fetching_wheels(
    served: Served, environment: Environment
) -> None:
    served.log.clear()
    compile_ = [uv_path(), "pip", "compile", "--index-url", served.index, "-"]
    result = environment.run(*compile_, stdin="sprout\n")
    assert "trowel==1.0.0" in result.stdout
    fetched = served.paths()
    assert any(path.endswith("sprout-0.2.0-py3-none-any.whl.metadata") for path in fetched)
    assert not any(path.endswith(".whl") for path in fetched), fetched


# Locks: regsite resolves and verifies, pip and uv install exactly that ------------------------


@pytest.fixture
def locked(served: Served, tmp_path: Path) -> Path:
    """A client state that trusts the served example, pinned to its first root."""
    state = tmp_path / "state"
    regsite = str(BIN / "regsite")
    root = EXAMPLE / "metadata" / "1.root.json"
    subprocess.run(
        [regsite, "client", "trust", served.url, "--root", str(root), "--state", str(state)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return state


def lock(state: Path, fmt: str, output: Path, *requirements: str) -> None:
    subprocess.run(
        [str(BIN / "regsite"), "client", "lock", *requirements, "--format", fmt,
         "-o", str(output), "--state", str(state)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip


def test_pip_require_hashes_installs_the_requirements_regsite_locked(
    locked: Path, tmp_path: Path, environment: Environment
) -> None:
    requirements = tmp_path / "requirements.txt"
    lock(locked, "requirements", requirements, "sprout[lamp]")
    text = requirements.read_text()
    assert "--hash=sha256:" in text and "sunlamp==1.0.0" in text
    environment.pip("install", "--require-hashes", "-r", requirements)
    assert environment.installed() == {
        "seedling": "1.0.0", "sprout": "0.2.0", "sunlamp": "1.0.0", "trowel": "1.0.0",
    }  # fmt: skip


def test_pip_require_hashes_refuses_a_requirements_file_with_a_wrong_hash(
    locked: Path, tmp_path: Path, environment: Environment
) -> None:
    requirements = tmp_path / "requirements.txt"
    lock(locked, "requirements", requirements, "trowel")
    text = requirements.read_text()
    digest = text.split("--hash=sha256:")[1][:64]
    requirements.write_text(text.replace(digest, "0" * 64))
    result = environment.pip("install", "--require-hashes", "-r", requirements, check=False)
    assert result.returncode != 0 and "DO NOT MATCH THE HASHES" in result.stderr


def test_uv_installs_the_pylock_regsite_locked(
    locked: Path, tmp_path: Path, environment: Environment
) -> None:
    pylock = tmp_path / "pylock.toml"
    lock(locked, "pylock", pylock, "sprout")
    environment.uv("pip", "install", "-p", environment.python, "-r", pylock)
    assert environment.installed() == {"seedling": "1.0.0", "sprout": "0.2.0", "trowel": "1.0.0"}


def test_uv_is_the_test_extras_pinned_release() -> None:
    output = subprocess.run([uv_path(), "--version"], capture_output=True, text=True, check=True)
    assert output.stdout.split()[1] == "0.13.8"


def test_client_download_fetches_hosted_files_from_the_registry(
    locked: Path, tmp_path: Path, served: Served
) -> None:
    lockfile = tmp_path / "regsite.lock"
    lock(locked, "regsite", lockfile, "seedling")
    subprocess.run(
        [str(BIN / "regsite"), "client", "download", str(lockfile), "-d", str(tmp_path / "dl")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    names = sorted(path.name for path in (tmp_path / "dl").iterdir())
    assert names == ["seedling-1.0.0-py3-none-any.whl", "seedling-1.0.0.tar.gz"]
    assert f"{served.url}files/seedling/" in lockfile.read_text()
