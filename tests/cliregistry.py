"""A registry made with the CLI alone, and a helper that runs the CLI in-process."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from regsite.cli import main

SHA = hashlib.sha256(b"artifact").hexdigest()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def make_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """init, keygen, owner add, package new (widget, with a README; gadget), release add; the
    keys are in ``tmp_path/keys``: root.key, online.key, ada.key."""
    root = tmp_path / "reg"
    keys = tmp_path / "keys"
    keys.mkdir()
    code, out, _ = run(
        capsys, "init", str(root), "--name", "demo", "--title", "Demo", "--root-key",
        str(keys / "root.key"), "--install", "demo get {name}=={version}",
        "--online-key", str(keys / "online.key"),
    )  # fmt: skip
    assert code == 0 and "wrote root private key" in out
    assert "metadata/1.root.json, signed: online key" in out
    code, public, _ = run(capsys, "keygen", str(keys / "ada.key"))
    assert code == 0
    common = ["-C", str(root), "--sign", str(keys / "root.key"), "--sign", str(keys / "ada.key")]
    owner = ["owner", "add", "ada", "--name", "Ada", "--key", public.strip(), "-C", str(root)]
    assert run(capsys, *owner, "--sign", str(keys / "root.key"))[0] == 0
    (root / "packages/widget").mkdir(parents=True)
    (root / "packages/widget/README.md").write_text("# widget\n\nMakes widgets.\n")
    for name in ("widget", "gadget"):
        args = ["package", "new", name, "--owner", "ada", "--description", f"The {name}."]
        assert run(capsys, *args, "--keyword", "tools", *common)[0] == 0
    assert run(capsys, "release", "add", "gadget", "2.0.0", "--artifact", "https://example.org/g-2.0.0.tgz",
               "--sha256", SHA, "--size", "8", "--published", "2026-02-01T00:00:00Z", *common)[0] == 0  # fmt: skip
    code, out, _ = run(
        capsys, "release", "add", "widget", "1.0.0", "--artifact", "https://example.org/w-1.0.0.tgz",
        "--sha256", SHA, "--size", "8", "--requires", "gadget>=2", "--published", "2026-03-01T00:00:00Z",
        *common,
    )  # fmt: skip
    assert code == 0 and " and signed" in out
    return root
