#!/usr/bin/env python3
"""The project's two set-up commands; each makes its own virtualenv in .venv.

    python3 dev.py demo   build example-site into _site/ and serve it on http://127.0.0.1:8000/
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
    regsite = str(BIN / "regsite")
    online_key = "example-site/demo-keys/online.key"  # a DEMO key, published on purpose
    run([regsite, "build", "example-site", "-o", "_site", "--online-key", online_key])
    with contextlib.suppress(KeyboardInterrupt):
        run([regsite, "serve", "_site", *extra])
    return 0


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
