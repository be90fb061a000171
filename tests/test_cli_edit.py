"""The commands that write the source, as a newcomer meets them: init, sign, --sign, versions."""

from __future__ import annotations

import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from cliregistry import SHA, make_registry, run
from regsite.keys import load_private_key


@pytest.fixture
def registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    return make_registry(tmp_path, capsys)


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def fingerprint(key_file: Path) -> str:
    return load_private_key(str(key_file)).public.fingerprint


# init -------------------------------------------------------------------------------------------


def test_init_creates_the_missing_key_directory_readable_by_its_owner_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "home/keys"
    argv = ["init", str(tmp_path / "r"), "--name", "r", "--title", "R"]
    code, out, err = run(capsys, *argv, "--root-key", str(keys / "root.key"))
    assert code == 0, err
    assert f"wrote root private key {keys / 'root.key'}" in out
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    assert stat.S_IMODE((keys / "root.key").stat().st_mode) == 0o600


def test_init_names_a_key_directory_it_cannot_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("not a directory")
    argv = ["init", str(tmp_path / "r"), "--name", "r", "--title", "R"]
    code, _, err = run(capsys, *argv, "--root-key", str(tmp_path / "file/keys/root.key"))
    assert code == 1
    assert f"{tmp_path / 'file/keys'}: cannot create the directory for the key file" in err
    assert not (tmp_path / "r").exists()


def test_init_with_a_public_root_key_writes_no_private_key_and_says_how_to_sign(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, public, _ = run(capsys, "keygen", str(tmp_path / "keys/root.key"))
    public = public.strip()
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "init", "r", "--name", "r", "--title", "R", "--root-key", public)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys", "r"]  # no key file beside
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["root.key"]
    assert not (tmp_path / "r/registry.toml.sig").exists()
    trust = tomllib.loads((tmp_path / "r/registry.toml").read_text())["trust"]
    assert trust["root-keys"] == [public]
    assert "  regsite sign r/registry.toml --key KEY" in out.splitlines()
    assert run(capsys, "sign", "r/registry.toml", "--key", "keys/root.key")[0] == 0
    assert run(capsys, "verify", "r")[0] == 0


def test_init_with_a_public_root_key_and_an_online_key_leaves_both_files_to_the_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, public, _ = run(capsys, "keygen", str(tmp_path / "keys/root.key"))
    monkeypatch.chdir(tmp_path)
    argv = ["init", "r", "--name", "r", "--title", "R", "--root-key", public.strip()]
    code, out, _ = run(capsys, *argv, "--online-key", "keys/online.key")
    assert code == 0
    command = "  regsite root sign r/metadata/1.root.json -C r --key KEY"
    assert command in out.splitlines()
    assert run(capsys, *command.split()[1:-1], "keys/root.key")[0] == 0
    assert run(capsys, "verify", "r")[0] == 0


@pytest.mark.parametrize("key", ["ed25519:AAAA", "ed25519:" + "A" * 44])
def test_init_refuses_a_malformed_public_key_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "init", "r", "--name", "r", "--title", "R", "--root-key", key)
    assert code == 1 and "--root-key" in err
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_new_key_file_in_the_registry_that_gitignore_would_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["init", str(tmp_path / "r"), "--name", "r", "--title", "R"]
    code, _, err = run(capsys, *argv, "--root-key", str(tmp_path / "r/root-secret"))
    assert code == 1 and "must end in .key" in err
    assert not (tmp_path / "r/root-secret").exists()


def test_init_writes_gitattributes_that_keep_signed_files_byte_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "r"
    argv = ["init", str(root), "--name", "r", "--title", "R", "--root-key"]
    assert run(capsys, *argv, str(tmp_path / "root.key"))[0] == 0
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    subprocess.run([git, "init", "-q", str(root)], check=True)
    files = ["registry.toml", "registry.toml.sig", "packages/a/README.md", "metadata/1.root.json"]
    result = subprocess.run(
        [git, "check-attr", "text", "--", *files], cwd=root, capture_output=True, text=True
    )
    assert result.stdout.splitlines() == [f"{file}: text: unset" for file in files]
    assert "*.key" in (root / ".gitignore").read_text().splitlines()


# sign -------------------------------------------------------------------------------------------


def test_sign_refuses_an_owner_key_on_registry_toml_and_names_the_root_keys(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(registry)
    ada = tmp_path / "keys/ada.key"
    code, _, err = run(capsys, "sign", str(registry / "registry.toml"), "--key", str(ada))
    assert code == 1
    assert f"{registry / 'registry.toml'}: key {fingerprint(ada)} may not sign it" in err
    assert (
        f"only the root keys in [trust] root-keys may: {fingerprint(tmp_path / 'keys/root.key')}"
        in err
    )
    assert snapshot(registry) == before


def test_sign_refuses_a_key_no_owner_of_the_package_holds_and_names_the_owners(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(registry)
    path = registry / "packages/widget/package.toml"
    root = tmp_path / "keys/root.key"
    code, _, err = run(capsys, "sign", str(path), "--key", str(root))
    assert code == 1
    assert f"{path}: key {fingerprint(root)} may not sign it;" in err
    assert (
        f"delegates 'widget' to the keys of: ada ({fingerprint(tmp_path / 'keys/ada.key')})" in err
    )
    assert snapshot(registry) == before


def test_sign_refuses_a_revoked_key(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    _, new, _ = run(capsys, "keygen", str(keys / "ada2.key"))
    old = str(load_private_key(str(keys / "ada.key")).public)
    edit = ["-C", str(registry), "--sign", str(keys / "root.key")]
    assert run(capsys, "owner", "add-key", "ada", new.strip(), *edit)[0] == 0
    assert run(capsys, "owner", "revoke-key", "ada", old, *edit)[0] == 0
    path = registry / "packages/gadget/package.toml"
    code, _, err = run(capsys, "sign", str(path), "--key", str(keys / "ada.key"))
    assert code == 1 and "it is revoked (registry.toml [trust] revoked-keys)" in err


def test_sign_checks_every_file_before_signing_any(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(registry)
    files = [str(registry / "packages/widget/package.toml"), str(registry / "registry.toml")]
    code, _, err = run(capsys, "sign", *files, "--key", str(tmp_path / "keys/ada.key"))
    assert code == 1 and "registry.toml: key" in err
    assert snapshot(registry) == before


def two_owner_package(registry: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """``gizmo``, delegated to ada and bob with a threshold of 2, unsigned."""
    _, bob, _ = run(capsys, "keygen", str(keys / "bob.key"))
    edit = ["-C", str(registry), "--sign", str(keys / "root.key")]
    assert run(capsys, "owner", "add", "bob", "--name", "Bob", "--key", bob.strip(), *edit)[0] == 0
    argv = ["package", "new", "gizmo", "--owner", "ada", "--owner", "bob", "--threshold", "2"]
    assert run(capsys, *argv, "--description", "G.", *edit)[0] == 0
    return registry / "packages/gizmo/package.toml"


def test_sign_with_several_keys_adds_each_signature_and_says_the_threshold_is_met(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    path = two_owner_package(registry, keys, capsys)
    argv = ["sign", str(path), "--key", str(keys / "ada.key"), "--key", str(keys / "bob.key")]
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"signed {path} with {fingerprint(keys / 'ada.key')}",
        f"signed {path} with {fingerprint(keys / 'bob.key')}",
        f"{path} is signed as the build requires",
    ]
    assert run(capsys, "verify", str(registry))[0] == 0


def test_sign_with_one_of_two_owners_says_what_the_build_still_needs(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    path = two_owner_package(registry, keys, capsys)
    code, out, _ = run(capsys, "sign", str(path), "--key", str(keys / "ada.key"))
    assert code == 0
    assert out.splitlines()[1:] == [
        f"{path} still needs signatures before it builds:",
        "  threshold not met: 1 of the required 2 owners signed",
    ]
    code, out, _ = run(capsys, "sign", str(path), "--key", str(keys / "bob.key"))
    assert code == 0 and out.splitlines()[-1] == f"{path} is signed as the build requires"


def test_sign_with_several_keys_signs_nothing_unless_every_key_may_sign_every_file(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    before = snapshot(registry)
    path = registry / "packages/widget/package.toml"
    argv = ["sign", str(path), "--key", str(keys / "ada.key"), "--key", str(keys / "root.key")]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert f"{path}: key {fingerprint(keys / 'root.key')} may not sign it;" in err
    assert snapshot(registry) == before


def test_sign_with_the_same_key_twice_signs_once(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ada = str(tmp_path / "keys/ada.key")
    path = registry / "packages/widget/package.toml"
    code, out, _ = run(capsys, "sign", str(path), "--key", ada, "--key", ada)
    assert code == 0 and out.count(f"signed {path} with") == 1
    assert path.with_name("package.toml.sig").read_text().count("[[signature]]") == 1


def test_sign_remove_with_several_keys_removes_each_or_changes_nothing(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    path = two_owner_package(registry, keys, capsys)
    run(capsys, "sign", str(path), "--key", str(keys / "ada.key"), "--key", str(keys / "bob.key"))
    before = snapshot(registry)
    ada, bob, root = (fingerprint(keys / f"{name}.key") for name in ("ada", "bob", "root"))
    code, _, err = run(capsys, "sign", str(path), "--remove", ada, "--remove", root)
    assert code == 1 and f"no signature by {root}" in err
    assert snapshot(registry) == before
    code, out, _ = run(capsys, "sign", str(path), "--remove", ada, "--remove", bob)
    assert code == 0
    assert out.splitlines() == [
        f"removed the signature by {ada} from {path}.sig",
        f"removed the signature by {bob} from {path}.sig",
    ]
    assert not path.with_name("package.toml.sig").exists()


def test_sign_remove_drops_a_signature_by_public_key_or_fingerprint(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    stray = load_private_key(str(keys / "root.key"))
    path = registry / "packages/widget/package.toml"
    from regsite.commands.sign import sign_file  # a signature the CLI refuses to make

    sign_file(path, stray)
    assert run(capsys, "verify", str(registry))[0] == 1
    code, out, _ = run(capsys, "sign", str(path), "--remove", stray.public.fingerprint)
    assert code == 0 and f"removed the signature by {stray.public.fingerprint}" in out
    assert run(capsys, "verify", str(registry))[0] == 0
    ada = str(load_private_key(str(keys / "ada.key")).public)
    assert run(capsys, "sign", str(path), "--remove", ada)[0] == 0
    assert not path.with_name("package.toml.sig").exists()  # "missing" says what to do
    code, _, err = run(capsys, "sign", str(path), "--remove", ada)
    assert code == 1 and "has no signatures" in err


def test_sign_remove_of_a_key_that_did_not_sign_lists_who_did(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = load_private_key(str(tmp_path / "keys/root.key")).public
    path = registry / "packages/widget/package.toml"
    code, _, err = run(capsys, "sign", str(path), "--remove", str(root))
    assert code == 1
    assert (
        f"no signature by {root}; its signatures are by: {fingerprint(tmp_path / 'keys/ada.key')}"
        in err
    )


def test_sign_option_says_which_files_a_key_that_signed_nothing_may_not_sign(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "keys/root.key"
    argv = ["yank", "gadget", "2.0.0", "--reason", "x", "-C", str(registry), "--sign", str(root)]
    code, out, err = run(capsys, *argv)
    assert code == 0
    path = registry / "packages/gadget/package.toml"
    assert f"warning: --sign: {path}: key {fingerprint(root)} may not sign it;" in err
    assert f"updated {path}; sign it: regsite sign {path} --key KEY" in out


def test_sign_option_is_quiet_about_a_key_that_signed_one_of_the_files(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = tmp_path / "keys"
    argv = ["package", "new", "gizmo", "--owner", "ada", "--description", "G.", "-C", str(registry)]
    code, _, err = run(
        capsys, *argv, "--sign", str(keys / "root.key"), "--sign", str(keys / "ada.key")
    )
    assert (code, err) == (0, "")


# versions and READMEs ---------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "normal"), [("1.0.0.beta", "1.0.0b0"), ("v1.0", "1.0")])
def test_release_add_stores_the_normal_form_and_says_so(
    registry: Path, capsys: pytest.CaptureFixture[str], typed: str, normal: str
) -> None:
    argv = ["release", "add", "gadget", typed, "--artifact", "https://e.org/x", "--sha256", SHA]
    code, out, _ = run(capsys, *argv, "--size", "1", "-C", str(registry))
    assert code == 0 and f"version {typed!r} is recorded in its normal form, {normal}" in out
    releases = tomllib.loads((registry / "packages/gadget/package.toml").read_text())["release"]
    assert releases[-1]["version"] == normal
    code, _, err = run(capsys, "yank", "gadget", typed, "--reason", "x", "-C", str(registry))
    assert code == 0, err
    code, _, err = run(capsys, "yank", "gadget", normal, "--reason", "y", "-C", str(registry))
    assert code == 0, err


def test_yank_of_a_missing_release_lists_the_releases(
    registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "yank", "gadget", "9", "--reason", "x", "-C", str(registry))
    assert code == 1 and "no release 9 to yank; its releases: 2.0.0" in err


def test_a_readme_never_recorded_fails_verify_and_build_naming_the_fix(
    registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registry / "packages/gadget/README.md").write_text("# gadget\n")
    problem = (
        "packages/gadget/README.md: not recorded in package.toml, so the site would leave it"
        " out; record it with 'regsite package readme gadget'"
    )
    code, _, err = run(capsys, "verify", str(registry))
    assert code == 1 and problem in err
    code, _, err = run(capsys, "build", str(registry), "-o", str(tmp_path / "s"), "--unsigned")
    assert code == 1 and problem in err
    sign = ["--sign", str(tmp_path / "keys/ada.key")]
    assert run(capsys, "package", "readme", "gadget", "-C", str(registry), *sign)[0] == 0
    assert run(capsys, "verify", str(registry))[0] == 0
