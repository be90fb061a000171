"""Every CLI command, run in-process through ``main(argv)`` as a user would type it."""

from __future__ import annotations

import functools
import json
import signal
import stat
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from cliregistry import SHA, make_registry, run
from conftest import EXAMPLE_SITE
from regsite.cli import main
from regsite.keys import load_private_key


def release_argv(name: str, version: str, *extra: str, url: str = "https://e.org/x") -> list[str]:
    return [
        "release",
        "add",
        name,
        version,
        "--artifact",
        url,
        "--sha256",
        SHA,
        "--size",
        "1",
        *extra,
    ]


@pytest.fixture
def registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return make_registry(tmp_path, capsys)


def test_keygen_writes_a_private_file_and_prints_the_public_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "keygen", str(tmp_path / "k.key"))
    assert code == 0
    assert out.startswith("ed25519:") and "fingerprint SHA256:" in err
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600
    assert str(load_private_key(str(tmp_path / "k.key")).public) == out.strip()
    code, _, err = run(capsys, "keygen", str(tmp_path / "k.key"))
    assert code == 1 and "refusing to overwrite" in err


def test_registry_made_with_the_cli_verifies_and_builds(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "verify", str(registry))
    assert code == 0, out
    assert "all 3 signed files verify" in out
    online = str(registry.parent / "keys" / "online.key")
    site = str(tmp_path / "site")
    code, out, _ = run(capsys, "build", str(registry), "-o", site, "--online-key", online)
    assert code == 0 and "built 2 packages, 2 releases" in out
    root = str(registry / "metadata" / "1.root.json")
    code, out, _ = run(capsys, "verify-site", site, "--root", root)
    assert code == 0 and "verified" in out
    widget = json.loads((tmp_path / "site/api/v1/packages/widget.json").read_text())
    assert widget["releases"][0]["requires"] == [{"name": "gadget", "specifier": ">=2"}]
    assert widget["readme"]["url"] == "../sources/widget/README.md"
    page = (tmp_path / "site/packages/widget/index.html").read_text()
    assert "demo get widget==1.0.0" in page


def test_editing_keeps_comments_and_layout(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = registry / "packages/gadget/package.toml"
    path.write_text(path.read_text().replace("[package]", "# Maintained by Ada.\n[package]"))
    code, out, _ = run(
        capsys, "yank", "gadget", "2.0.0", "--reason", "Broken build.", "-C", str(registry)
    )
    assert code == 0 and "sign it: regsite sign" in out
    text = path.read_text()
    assert "# Maintained by Ada.\n[package]" in text
    assert tomllib.loads(text)["release"][0]["status"] == "yanked"
    code, _, err = run(capsys, "verify", str(registry))
    assert code == 1 and "does not match the bytes of package.toml" in err


def test_sign_refreshes_the_signature(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = registry / "packages/gadget/package.toml"
    path.write_text(path.read_text() + "\n")
    assert run(capsys, "verify", str(registry))[0] == 1
    code, out, _ = run(capsys, "sign", str(path), "--key", str(tmp_path / "keys/ada.key"))
    assert code == 0 and out.startswith(f"signed {path} with SHA256:")
    assert run(capsys, "verify", str(registry))[0] == 0


def test_sign_with_a_key_from_the_environment(
    registry: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROOT_KEY", (tmp_path / "keys/root.key").read_text())
    (registry / "registry.toml.sig").unlink()
    assert run(capsys, "sign", str(registry / "registry.toml"), "--key", "env:ROOT_KEY")[0] == 0
    assert run(capsys, "verify", str(registry))[0] == 0


def test_package_readme_records_the_new_hash(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registry / "packages/widget/README.md").write_text("# widget\n\nNow with more widgets.\n")
    assert run(capsys, "verify", str(registry))[0] == 1
    sign = ["--sign", str(tmp_path / "keys/ada.key")]
    assert run(capsys, "package", "readme", "widget", "-C", str(registry), *sign)[0] == 0
    assert run(capsys, "verify", str(registry))[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["release", "add", "widget", "1.0", "--artifact", "https://e.org/x", "--sha256", SHA, "--size", "1"], "version 1.0 already exists"),
        (["release", "add", "widget", "x.y", "--artifact", "https://e.org/x", "--sha256", SHA, "--size", "1"], "not a valid PEP 440 version"),
        (["release", "add", "widget", "3.0", "--artifact", "https://e.org/x", "--sha256", "abc", "--size", "1"], "64 lower-case hexadecimal"),
        (["release", "add", "widget", "3.0", "--artifact", "javascript:x", "--sha256", SHA, "--size", "1"], "absolute http(s) URL"),
        (["release", "add", "widget", "3.0", "--artifact", "https://e.org/x", "--sha256", SHA, "--size", "1", "--requires", "nope>=1"], "not a package of this registry"),
        (["release", "add", "widget", "3.0", "--artifact", "https://e.org/x", "--sha256", SHA, "--size", "1", "--requires", "gadget[x]>=1"], "only 'name' and a version specifier"),
        (["release", "add", "../etc", "3.0", "--artifact", "https://e.org/x", "--sha256", SHA, "--size", "1"], "may only contain"),
        (["yank", "widget", "9.9", "--reason", "x"], "no release 9.9 to yank"),
        (["package", "new", "Bad_Name", "--owner", "ada", "--description", "x"], "not normalised"),
        (["package", "new", "thing", "--owner", "nobody", "--description", "x"], "unknown owner 'nobody'"),
        (["package", "new", "widget", "--owner", "ada", "--description", "x"], "package already exists"),
        (["owner", "add", "ada", "--name", "A", "--key", "ed25519:AAAA"], "expected 'ed25519:'"),
    ],
)  # fmt: skip
def test_bad_edits_are_refused_with_the_reason(
    registry: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = {p: p.read_bytes() for p in registry.rglob("*") if p.is_file()}
    code, _, err = run(capsys, *argv, "-C", str(registry))
    assert code == 1
    assert message in err
    assert {p: p.read_bytes() for p in registry.rglob("*") if p.is_file()} == before


def test_init_refuses_an_existing_registry(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "init", str(registry), "--name", "x", "--title", "X", "--root-key", "k"
    )
    assert code == 1 and "already exists" in err


def test_failed_build_reports_every_problem_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "src/packages/a").mkdir(parents=True)
    (tmp_path / "src/registry.toml").write_text("format = 1\n")
    code, _, err = run(capsys, "build", str(tmp_path / "src"), "-o", str(tmp_path / "out"))
    assert code == 1
    assert f"{tmp_path / 'src'}/registry.toml: registry: missing; expected a table" in err
    assert f"{tmp_path / 'src'}/packages/a/package.toml: file is missing" in err
    assert "Nothing was written" in err
    assert not (tmp_path / "out").exists()


def test_verify_prints_a_table_of_signatures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", str(EXAMPLE_SITE))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["FILE", "SIGNER", "KEY", "STATUS"]
    assert any(
        line.startswith("packages/http-kit/package.toml") and "threshold 2/2 met" in line
        for line in lines
    )
    assert any(
        line.startswith("registry.toml") and " root " in line and line.endswith("valid")
        for line in lines
    )


@pytest.mark.slow
def test_python_m_regsite_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "regsite", "build", str(EXAMPLE_SITE), "-o", str(tmp_path / "s"),
         "--online-key", str(EXAMPLE_SITE / "demo-keys" / "online.key")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("built 18 packages")


@pytest.mark.slow
def test_serve_command_serves_a_built_site_until_ctrl_c(tmp_path: Path) -> None:
    assert main(["build", str(EXAMPLE_SITE), "-o", str(tmp_path / "site"), "--unsigned"]) == 0
    command = [sys.executable, "-m", "regsite", "serve", str(tmp_path / "site"), "--port", "0"]
    # Ctrl-C as in a terminal, even when this test runs where SIGINT is ignored (a background job)
    default_sigint = functools.partial(signal.signal, signal.SIGINT, signal.SIG_DFL)
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, preexec_fn=default_sigint
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split(" at ")[1].split()[0]
            assert url.startswith("http://127.0.0.1:")
            page = url + "packages/tinyjson/index.html"
            with urllib.request.urlopen(page, timeout=10) as response:
                assert b"<h1>tinyjson" in response.read()
            process.send_signal(signal.SIGINT)  # Ctrl-C
            assert process.stdout.read() == "stopped\n"
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.terminate()


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_edits_never_read_a_readme_outside_the_package(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = registry / "packages/widget/package.toml"
    text = path.read_text()
    path.write_text(text.replace('file = "README.md"', 'file = "/etc/passwd"'))
    code, _, err = run(capsys, "yank", "widget", "1.0.0", "--reason", "x", "-C", str(registry))
    assert code == 1 and "expected a plain file name ending in .md" in err
    assert "/etc/passwd" in path.read_text()  # unchanged
    code, _, err = run(
        capsys, "package", "readme", "widget", "--file", "../../README.md", "-C", str(registry)
    )
    assert code == 1 and "--file: expected a plain file name" in err


@pytest.mark.parametrize(
    ("replace", "argv", "message"),
    [
        (("[package]", "package = 1\n[not-package]"), ["yank", "gadget", "2.0.0", "--reason", "x"], "package"),
        (("[[release]]", 'release = "x"\n[[other]]'), ["release", "add", "gadget", "3.0", "--artifact", "https://e.org/x", "--sha256", SHA, "--size", "1"], "'release' must be an array"),
        (("[[release]]", 'release = "x"\n[[other]]'), ["yank", "gadget", "2.0.0", "--reason", "x"], "'release' must be an array"),
    ],
)  # fmt: skip
def test_edits_of_files_with_unexpected_shapes_fail_cleanly(
    registry: Path,
    capsys: pytest.CaptureFixture[str],
    replace: tuple[str, str],
    argv: list[str],
    message: str,
) -> None:
    path = registry / "packages/gadget/package.toml"
    path.write_text(path.read_text().replace(*replace))
    before = snapshot(registry)
    code, _, err = run(capsys, *argv, "-C", str(registry))
    assert code == 1 and message in err
    assert snapshot(registry) == before


def test_bad_sign_key_changes_nothing(registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(registry)
    argv = [
        "yank",
        "gadget",
        "2.0.0",
        "--reason",
        "x",
        "--sign",
        "/nonexistent.key",
        "-C",
        str(registry),
    ]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "cannot read private key" in err
    assert snapshot(registry) == before


def test_refused_init_leaves_no_key_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "init",
        str(tmp_path / "r"),
        "--name",
        "Bad Name",
        "--title",
        "T",
        "--root-key",
        str(tmp_path / "k.key"),
    ]
    code, _, err = run(capsys, *argv)
    assert code == 1 and "may only contain" in err
    assert not (tmp_path / "k.key").exists() and not (tmp_path / "r/registry.toml").exists()


def test_requirement_names_are_normalised(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = release_argv("widget", "2.0", "--requires", "Gadget>=2", "-C", str(registry))
    assert run(capsys, *argv)[0] == 0
    releases = tomllib.loads((registry / "packages/widget/package.toml").read_text())["release"]
    assert releases[-1]["requires"] == {"gadget": ">=2"}


def test_artifact_url_that_urlsplit_refuses(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *release_argv("widget", "2.0", "-C", str(registry), url="http://[x"))
    assert code == 1 and "not a valid URL" in err


def test_build_and_verify_with_a_pinned_root(
    registry: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = str(load_private_key(str(tmp_path / "keys/root.key")).public)
    other = str(load_private_key(str(tmp_path / "keys/ada.key")).public)
    assert run(capsys, "verify", str(registry), "--root-key", root)[0] == 0
    code, _, err = run(
        capsys, "build", str(registry), "-o", str(tmp_path / "s"), "--root-key", other, "--unsigned"
    )
    assert code == 1 and "signed by 0 of the pinned root keys" in err
    monkeypatch.setenv("REGSITE_ROOT_KEYS", f"{other} {root}")
    assert run(capsys, "build", str(registry), "-o", str(tmp_path / "s"), "--unsigned")[0] == 0
    code, _, err = run(
        capsys, "build", str(registry), "-o", str(tmp_path / "s"), "--root-threshold", "2",
        "--unsigned",
    )  # fmt: skip
    assert code == 1 and "signed by 1 of the pinned root keys (--root-key), 2 required" in err
    code, _, err = run(capsys, "verify", str(registry), "--root-key", "ed25519:nope")
    assert code == 1 and "--root-key / REGSITE_ROOT_KEYS" in err


# Messages a newcomer meets ----------------------------------------------------------------------


def test_build_of_a_missing_source_names_it_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "build", "nosuch", "-o", "out")
    assert (code, err) == (1, "error: nosuch: source directory does not exist\n")
    code, _, err = run(capsys, "verify", "nosuch")
    assert (code, err) == (1, "error: nosuch: source directory does not exist\n")


def test_build_of_an_empty_directory_suggests_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "build", str(tmp_path / "empty"), "-o", str(tmp_path / "out"))
    assert code == 1
    assert f"start one with 'regsite init {tmp_path / 'empty'} --name NAME" in err


def test_release_add_to_a_missing_package_suggests_package_new(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *release_argv("nosuch", "1.0", "-C", str(registry)))
    assert code == 1
    assert "this registry has no package 'nosuch'; create it with" in err
    assert f"'regsite package new nosuch --owner OWNER --description TEXT -C {registry}'" in err


def test_an_edit_outside_a_registry_suggests_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *release_argv("widget", "1.0"))
    assert code == 1
    assert "registry.toml: does not exist, so . is not a registry source" in err
    assert "'regsite init DIR --name NAME --title TITLE --root-key KEY'" in err


def test_a_public_key_given_as_a_private_key_says_so(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    public = str(load_private_key(str(tmp_path / "keys/ada.key")).public)
    code, _, err = run(capsys, "sign", str(registry / "registry.toml"), "--key", public)
    assert code == 1 and "a public key where a private key is expected" in err
