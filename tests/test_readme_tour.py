"""The README's shell blocks, run as written by a newcomer: a fresh install, a new HOME, no
network.

Every ``sh`` block after the "Set up" section (CI runs that one itself) runs in order in one
bash session, stopping at the first command that fails.  A block that ends by starting
``regsite serve`` keeps running in the README ("run the blocks after it in a second terminal"):
the test starts that block in the background instead, waits until every ``127.0.0.1`` address
the README uses answers, and stops it at the end.  Where the machine allows it, the session
runs in a network namespace of its own, which both proves that nothing reaches the network and
keeps the README's ports free of anything else running on the machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import site
import socket
import subprocess
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO

README = REPO / "README.md"
SETUP_SECTION = "Set up"  # `python3 dev.py demo` and `python3 dev.py test`: CI runs them
_FENCE = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_LOCAL_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")


@dataclass(frozen=True, slots=True)
class Block:
    section: str
    code: str

    @property
    def serves(self) -> bool:
        """Whether the block ends by starting the preview server, which runs until stopped."""
        commands = [line for line in self.code.splitlines() if line.strip()]
        return bool(commands) and commands[-1].startswith("regsite serve ")


def readme_blocks(text: str) -> list[Block]:
    """The ``sh`` blocks of the README, each with the ``## `` section it is in."""
    blocks = []
    for match in _FENCE.finditer(text):
        headings = re.findall(r"^## (.+)$", text[: match.start()], re.MULTILINE)
        blocks.append(Block(section=headings[-1] if headings else "", code=match.group(1)))
    return blocks


def tour_script(blocks: list[Block], log: Path) -> str:
    """One bash session running the blocks; a serving block is started in the background."""
    ports = sorted({int(port) for block in blocks for port in _LOCAL_URL.findall(block.code)})
    lines = [
        "set -euo pipefail -o xtrace",
        "wait_for_port() {  # the servers of a background block take a moment to listen",
        "    for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0;"
        " sleep 0.1; done",
        f'    echo "nothing listens on port $1; the server said:" >&2; cat {log} >&2; return 1',
        "}",
    ]
    for block in blocks:
        lines.append(f"# --- README, {block.section}")
        if block.serves:
            lines.append(f"(\n{block.code}) > {log} 2>&1 &")
            lines += [f"wait_for_port {port}" for port in ports]
        else:
            lines.append(block.code)
    return "\n".join(lines) + "\n"


def install_regsite(tmp_path: Path) -> Path:
    """A new virtualenv with regsite installed from this checkout as a user would (pip install
    .); its dependencies come from the test environment, so no network is needed."""
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", str(REPO)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return environment / "bin"


def isolated_network() -> list[str]:
    """A command prefix that runs in a new network namespace with only loopback up, or [] when
    the machine does not allow one."""
    prefix = ["unshare", "--map-root-user", "--net"]
    probe = [*prefix, "sh", "-c", "ip link set lo up"]
    try:
        subprocess.run(probe, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return prefix


def ports_in_use(blocks: list[Block]) -> list[int]:
    busy = []
    for port in {int(p) for block in blocks for p in _LOCAL_URL.findall(block.code)}:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


def test_readme_blocks_are_found_and_exactly_one_serves() -> None:
    blocks = readme_blocks(README.read_text(encoding="utf-8"))
    setup = [block.code for block in blocks if block.section == SETUP_SECTION]
    assert setup == ["python3 dev.py demo    # build example-site/ into _site/ and serve it at"
                     " http://127.0.0.1:8000/\npython3 dev.py test    # the whole test suite:"
                     " ruff, mypy (strict), node --test, pytest\n"]  # fmt: skip
    tour = [block for block in blocks if block.section != SETUP_SECTION]
    assert len(tour) >= 8 and [block.serves for block in tour].count(True) == 1
    text = "".join(block.code for block in tour)
    assert "…" not in text and "example.org" not in text  # nothing to fill in, nothing remote


@pytest.mark.slow
def test_readme_tour_runs_verbatim_offline_in_a_new_home(tmp_path: Path) -> None:
    blocks = [
        block
        for block in readme_blocks(README.read_text(encoding="utf-8"))
        if block.section != SETUP_SECTION
    ]
    namespace = isolated_network()
    if namespace:
        setup = "ip link set lo up\n"
    elif busy := ports_in_use(blocks):
        pytest.skip(f"ports {busy} are in use and no network namespace can be made here")
    else:
        setup = ""
    bin_dir = install_regsite(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    script = tmp_path / "tour.sh"
    script.write_text(setup + tour_script(blocks, tmp_path / "server.log"))
    env = {
        "HOME": str(home),
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TMPDIR": str(tmp_path),
        "PYTHONPATH": "",
    }
    with subprocess.Popen(
        [*namespace, "bash", str(script)], cwd=home, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    ) as session:  # fmt: skip
        try:
            output, _ = session.communicate(timeout=900)
        finally:
            with contextlib.suppress(ProcessLookupError):  # the background servers too
                os.killpg(session.pid, signal.SIGTERM)
    assert session.returncode == 0, output[-6000:]
    assert "locked 2 packages into myreg.lock:" in output
    assert "Did you mean 'widget'?" in output
    assert sorted(p.name for p in (home / "myreg/vendor").iterdir()) == [
        "gizmo-0.1.0.tar.gz", "widget-1.0.1.tar.gz",
    ]  # fmt: skip
    assert (home / ".local/share/bash-completion/completions/regsite").is_file()
