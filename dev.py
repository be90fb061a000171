#!/usr/bin/env python3
"""The project's two set-up commands; each makes its own virtualenv in .venv.

    python3 dev.py demo   build example-site into _site/ and serve it on http://127.0.0.1:8000/,
                          and the example registries for pip, uv and cargo on the next ports
    python3 dev.py test   ruff, mypy (strict), the JavaScript tests (node --test) and pytest

Needs only Python 3.11+.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".regsite-installed"


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script must explain itself on old Pythons
        sys.exit(f"regsite needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command not in COMMANDS:
        sys.exit(__doc__)
    ensure_environment()
    return COMMANDS[command](sys.argv[2:])


def ensure_environment() -> None:
    """Create .venv and install regsite with its test tools, again whenever pyproject changes."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing regsite and its test tools into .venv", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "--editable", f"{ROOT}[test]"])
    STAMP.write_text(wanted)


def run(argv: list[str]) -> None:
    print(
        "$",
        " ".join(Path(argv[0]).name if i == 0 else arg for i, arg in enumerate(argv)),
        flush=True,
    )
    subprocess.run(argv, cwd=ROOT, check=True)


def demo(extra: list[str]) -> int:
    """example-site on PORT (8000), and the example registries whose artifacts are real on the
    next two ports, each built and served by regsite; prints what pip, uv and cargo type."""
    regsite = str(BIN / "regsite")
    port = demo_port(extra)
    python_url, cargo_url = (f"http://127.0.0.1:{port + n}/" for n in (1, 2))
    online_key = "example-site/demo-keys/online.key"  # a DEMO key, published on purpose
    run([regsite, "build", "example-site", "-o", "_site", "--online-key", online_key])
    python_key = "examples/python-registry/demo-keys/online.key"  # DEMO keys too
    python_site = ["-o", "_site-python", "--base-url", python_url, "--online-key", python_key]
    run([regsite, "build", "examples/python-registry", *python_site])
    cargo_source = ROOT / "_site-cargo-source"  # made afresh: its crates are packed each time
    shutil.rmtree(cargo_source, ignore_errors=True)
    run([str(BIN / "python"), "examples/cargo-registry/make_registry.py", str(cargo_source)])
    cargo_key = "examples/cargo-registry/demo-keys/online.key"
    cargo_site = ["-o", "_site-cargo", "--base-url", cargo_url, "--online-key", cargo_key]
    run([regsite, "build", str(cargo_source), *cargo_site])
    servers = [
        subprocess.Popen([regsite, "serve", site, "--port", str(port + n)], cwd=ROOT)
        for n, site in ((1, "_site-python"), (2, "_site-cargo"))
    ]
    print(demo_commands(python_url, cargo_url), flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            run([regsite, "serve", "_site", *extra])
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    return 0


def demo_port(extra: list[str]) -> int:
    """The port ``--port N`` (or ``--port=N``) gives regsite serve; 8000 without one."""
    for index, argument in enumerate(extra):
        if argument == "--port" and index + 1 < len(extra):
            return int(extra[index + 1])
        if argument.startswith("--port="):
            return int(argument.removeprefix("--port="))
    return 8000


def demo_commands(python_url: str, cargo_url: str) -> str:
    """What a user types against the running demo (docs/flavours.md explains each line)."""
    index = f"{python_url}simple/"
    venv_dir = Path(tempfile.gettempdir()) / "regsite-demo-venv"
    crate = Path(tempfile.gettempdir()) / "regsite-demo-crate"
    config = f'[registries.demo-crates]\\nindex = "sparse+{cargo_url}cargo/"\\n'
    return f"""
The Python example registry (examples/python-registry) is at {python_url}
  python3 -m venv {venv_dir}
  {venv_dir}/bin/pip install --index-url {index} 'sprout[lamp]'
  {BIN / "uv"} pip install --python {venv_dir}/bin/python --index-url {index} seedling==1.1.0

The cargo example registry (examples/cargo-registry) is at {cargo_url}
  cargo new --lib {crate} && cd {crate}
  mkdir -p .cargo && printf '{config}' > .cargo/config.toml
  cargo add stem --registry demo-crates
  cargo build

example-site is at the address below; Ctrl-C stops all three.
"""


def test(extra: list[str]) -> int:
    linted = ["generator", "tests", "example-site", "examples", "bench", "dev.py"]
    run([str(BIN / "ruff"), "check", *linted])
    run([str(BIN / "ruff"), "format", "--check", *linted])
    run([str(BIN / "mypy")])
    node_tests()
    run([str(BIN / "python"), "-m", "pytest", *extra])
    return 0


def node_tests() -> None:
    """The browser's search code under node; CI (REGSITE_REQUIRE_TOOLS=1) insists on node."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("REGSITE_REQUIRE_TOOLS") == "1":
            sys.exit("node is not installed, and REGSITE_REQUIRE_TOOLS=1 says its tests must run")
        print("node is not installed: skipping the JavaScript tests (node --test)", flush=True)
        return
    tests = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("tests/js/*.test.js"))
    run([node, "--test", *tests])


COMMANDS = {"demo": demo, "test": test}

if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
