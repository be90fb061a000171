"""The verifying client and the key lifecycle, end to end through ``main(argv)``.

Each test builds a signed registry, serves it on 127.0.0.1 and runs the commands README.md
("Using a registry") and docs/security.md ("Key lifecycle") show, as a user would type them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key
from clientsite import Served, revalidating_server, served_release
from conftest import EXAMPLE_SITE, serving
from regsite.cli import main
from regsite.keys import write_private_key

TIMESTAMP = "metadata/timestamp.json"
DEMO_KEYS = EXAMPLE_SITE / "demo-keys"
DEMO_ROOT_KEY = "ed25519:Olv1I3oP3ST50SRxhEAk4Zwkete9Vnwk3smZWIw+EI4="
MIRA_KEY = "ed25519:vH0UA/GwIwIpncolkIRH9QplSk2Q3qp9+BfFobOhrBs="
DEMO_ROOT_FINGERPRINT = "SHA256:E+Q3mLPDOjdeVDB6NgqODOLcONMbnMVOIlIrV7KS7Rk"
MIRA_PACKAGES = ("http-kit", "rootstock", "tinyjson", "toml-read", "url-parse")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def client(
    capsys: pytest.CaptureFixture[str], state: Path, *argv: str | Path
) -> tuple[int, str, str]:
    """``regsite client ACTION ARGS... --state STATE``."""
    return run(capsys, "client", *argv, "--state", state)


def pin(capsys: pytest.CaptureFixture[str], state: Path, url: str | Path, root: Path) -> None:
    """``regsite client trust URL --root ROOT``, which must succeed."""
    code, _, err = client(capsys, state, "trust", url, "--root", root)
    assert code == 0, err


def owner_edit(
    capsys: pytest.CaptureFixture[str], source: Path, *argv: str
) -> tuple[int, str, str]:
    """``regsite owner ACTION ARGS... --sign ROOT_KEY -C SOURCE`` with the demo root key."""
    return run(capsys, "owner", *argv, "--sign", DEMO_KEYS / "root.key", "-C", source)


def root_command(
    capsys: pytest.CaptureFixture[str], source: Path, *argv: str | Path
) -> tuple[int, str, str]:
    """``regsite root ACTION ARGS... -C SOURCE``."""
    return run(capsys, "root", *argv, "-C", source)


def build_signed(
    capsys: pytest.CaptureFixture[str],
    source: Path,
    site: Path,
    key: Path = DEMO_KEYS / "online.key",
) -> tuple[int, str, str]:
    return run(capsys, "build", source, "-o", site, "--online-key", key)


@pytest.fixture(autouse=True)
def _isolated_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the user's client state or a CI online key by accident."""
    monkeypatch.setenv("REGSITE_CLIENT_DIR", str(tmp_path / "default-client"))
    monkeypatch.delenv("REGSITE_ONLINE_KEY", raising=False)


@dataclass(frozen=True, slots=True)
class SignedRegistry:
    """A signed source, its site, and the artifact server its releases point at."""

    source: Path
    site: Path
    keys: Path
    artifacts: Path
    files: Served

    @property
    def root(self) -> Path:
        """The root clients pin with --root."""
        return self.source / "metadata" / "1.root.json"

    def key(self, name: str) -> Path:
        return self.keys / f"{name}.key"


@pytest.fixture
def registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[SignedRegistry]:
    """alpha 1.0.0, 1.1.0 and 1.2.0 (yanked); beta 0.9.0 requiring alpha>=1.0,<2."""
    artifacts, keys = tmp_path / "artifacts", tmp_path / "keys"
    artifacts.mkdir()
    keys.mkdir()
    for name in ("root", "online", "alice", "bob"):
        write_private_key(keys / f"{name}.key", fixed_key(name))
    with revalidating_server(artifacts) as files:
        builder = SourceBuilder()
        alpha = [
            served_release(files, artifacts, "alpha", "1.0.0", 1),
            served_release(files, artifacts, "alpha", "1.1.0", 2),
            served_release(
                files, artifacts, "alpha", "1.2.0", 3,
                status="yanked", **{"status-reason": "Deletes the home directory."},
            ),
        ]  # fmt: skip
        builder.add_package("alpha", ["alice"], alpha)
        beta = served_release(files, artifacts, "beta", "0.9.0", 4, requires={"alpha": ">=1.0,<2"})
        builder.add_package("beta", ["bob"], [beta])
        source = builder.write(tmp_path / "source")
        online = str(fixed_key("online").public)
        # docs/security.md, "Start a registry's metadata"
        trust = ("trust", "online-key", online, "--sign", keys / "root.key", "-C", source)
        code, out, err = run(capsys, *trust)
        assert code == 0 and "metadata/1.root.json (root version 1), fully signed" in out, err
        site = tmp_path / "site"
        code, _, err = build_signed(capsys, source, site, keys / "online.key")
        assert code == 0, err
        yield SignedRegistry(source, site, keys, artifacts, files)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def timestamp_version(site: Path) -> int:
    version: int = json.loads((site / TIMESTAMP).read_bytes())["signed"]["version"]
    return version


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def replace_site(live: Path, site: Path) -> None:
    """Deploy ``site`` where a server already serves ``live`` (the same URL)."""
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(site, live)


# README: trust, lock, download -----------------------------------------------------------------


def test_readme_trust_lock_download_fetches_the_locked_artifacts(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = tmp_path / "state", tmp_path / "orchard.lock", tmp_path / "vendor"
    with serving(registry.site) as url:
        code, out, err = client(capsys, state, "trust", url, "--root", registry.root)
        assert code == 0, err
        assert out.splitlines() == [
            f"trusted {url}/ (root version 1)",
            "root keys (threshold 1):",
            f"  {fixed_key('root').public.fingerprint}",
        ]
        code, out, err = client(capsys, state, "lock", "alpha>=1", "beta", "-o", lock)
        assert code == 0, err
        assert out.splitlines() == [
            f"locked 2 packages into {lock}:",
            "  alpha 1.1.0",
            "  beta 0.9.0",
        ]
    # The lockfile alone is enough: the registry is no longer served.
    code, out, err = run(capsys, "client", "download", lock, "-d", vendor)
    assert code == 0, err
    assert out.splitlines() == [
        f"downloaded: {vendor / 'alpha-1.1.0.tar.gz'}",
        f"downloaded: {vendor / 'beta-0.9.0.tar.gz'}",
    ]
    locked = tomllib.loads(lock.read_text())
    assert locked["registry"] == url + "/"
    assert locked["requirements"] == ["alpha>=1", "beta"]
    for package in locked["package"]:
        (artifact,) = package["artifact"]
        name = f"{package['name']}-{package['version']}.tar.gz"
        assert artifact["url"] == f"{registry.files.url}/{name}"
        assert sha256(vendor / name) == sha256(registry.artifacts / name) == artifact["sha256"]
        assert (vendor / name).stat().st_size == artifact["size"]
    code, out, _ = run(capsys, "client", "download", lock, "-d", vendor)
    assert code == 0 and out.count("already present: ") == 2


def test_download_refuses_an_artifact_that_changed_on_its_host(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = tmp_path / "state", tmp_path / "L", tmp_path / "vendor"
    with serving(registry.site) as url:
        pin(capsys, state, url, registry.root)
        assert client(capsys, state, "lock", "beta", "-o", lock)[0] == 0
    artifact = registry.artifacts / "beta-0.9.0.tar.gz"
    artifact.write_bytes(artifact.read_bytes().swapcase())  # same length, other bytes
    code, _, err = run(capsys, "client", "download", lock, "-d", vendor)
    assert code == 1
    assert f"error: artifact {registry.files.url}/beta-0.9.0.tar.gz: expected sha256" in err
    assert not (vendor / "beta-0.9.0.tar.gz").exists()


def test_show_lists_the_verified_releases_and_json_prints_the_document(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    with serving(registry.site) as url:
        pin(capsys, state, url, registry.root)
        code, out, err = client(capsys, state, "show", "alpha")
        assert code == 0, err
        assert out.splitlines() == [
            "alpha: The alpha package.",
            "signed by: alice (owner signatures verified)",
            "  1.2.0  [yanked]",
            "  1.1.0",
            "  1.0.0",
        ]
        code, out, _ = client(capsys, state, "show", "beta", "--registry", url)
        assert code == 0 and out.splitlines()[-1] == "  0.9.0  requires alpha<2,>=1.0"
        code, out, _ = client(capsys, state, "show", "beta", "--json")
        assert code == 0
        assert json.loads(out) == json.loads(
            (registry.site / "api/v1/packages/beta.json").read_bytes()
        )
        code, out, err = client(capsys, state, "show", "gamma")
        assert (code, out) == (1, "")
        assert err == f"error: no package named 'gamma' in the registry at {url}/\n"


def test_client_commands_before_any_trust_say_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    code, _, err = client(capsys, state, "lock", "alpha")
    assert code == 1
    assert err.startswith(f"error: no registry trusted yet in {state}: run 'regsite client trust")


# Trust on first use, and a root from another registry ------------------------------------------


def test_trust_on_first_use_prints_the_fingerprints_and_a_warning(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    with serving(registry.site) as url:
        code, out, err = client(capsys, state, "trust", url)
        assert code == 0, err
        assert f"  {fixed_key('root').public.fingerprint}\n" in out
        assert out.splitlines()[-1] == (
            "trusted on first use: compare these fingerprints with ones the registry publishes"
            " elsewhere, or pin a root file with --root"
        )
        code, out, _ = client(capsys, state, "lock", "alpha", "-o", tmp_path / "L")
        assert code == 0 and "  alpha 1.1.0" in out


def test_unreadable_root_file_is_named(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.root.json"
    code, _, err = client(capsys, tmp_path, "trust", registry.site, "--root", missing)
    assert code == 1
    assert err == (
        f"error: {missing}: cannot read the root file: No such file or directory; expected a"
        " registry's metadata/N.root.json\n"
    )


def test_failed_trust_keeps_the_registry_trusted_before(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    other_root = EXAMPLE_SITE / "metadata" / "1.root.json"
    with serving(registry.site) as url:
        pin(capsys, state, url, registry.root)
        assert client(capsys, state, "trust", url, "--root", other_root)[0] == 1
        code, _, err = client(capsys, state, "show", "alpha")
    assert code == 0, err


# Resolution: yanked releases and unresolvable requirements ---------------------------------------


@pytest.mark.parametrize(
    ("requirements", "locked"),
    [
        (["alpha"], ["alpha 1.1.0"]),
        (["alpha>=1.1"], ["alpha 1.1.0"]),
        (["beta"], ["alpha 1.1.0", "beta 0.9.0"]),
        (["alpha==1.2.0"], ["alpha 1.2.0"]),
        (["beta", "alpha==1.2.0"], ["alpha 1.2.0", "beta 0.9.0"]),
    ],
    ids=["newest", "range", "dependency", "pinned", "pinned-beside-a-dependent"],
)
def test_yanked_release_is_locked_only_when_pinned_exactly(
    registry: SignedRegistry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    requirements: list[str],
    locked: list[str],
) -> None:
    state, lock = tmp_path / "state", tmp_path / "L"
    # Read through file://: resolution does not depend on the transport, and it is faster.
    pin(capsys, state, registry.site, registry.root)
    code, out, err = client(capsys, state, "lock", *requirements, "-o", lock)
    assert code == 0, err
    assert out.splitlines()[1:] == [f"  {line}" for line in locked]


@pytest.mark.parametrize(
    ("requirement", "message"),
    [
        (
            "alpha>=1.2",
            "error: cannot find versions that satisfy every requirement:\n"
            "  alpha>=1.2 (required by your requirements)\n"
            "  alpha has versions 1.1.0, 1.0.0; yanked: 1.2.0 (a requirement that pins one"
            " exactly, like 'alpha==1.2.0', selects it)\n",
        ),
        ("gamma", "error: no package named 'gamma' (required by your requirements)\n"),
        ("alpha[ex tra]", "error: invalid requirement 'alpha[ex tra]': expected an extra's"),
    ],
    ids=["only-a-yanked-release-matches", "missing-package", "malformed-extras"],
)
def test_unresolvable_requirement_explains_and_writes_no_lock(
    registry: SignedRegistry,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    requirement: str,
    message: str,
) -> None:
    state, lock = tmp_path / "state", tmp_path / "L"
    pin(capsys, state, registry.site, registry.root)
    code, out, err = client(capsys, state, "lock", requirement, "-o", lock)
    assert (code, out) == (1, "")
    assert err.startswith(message)
    assert not lock.exists()


# HTTP caching --------------------------------------------------------------------------------


def test_second_lock_revalidates_the_timestamp_with_if_none_match(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock = tmp_path / "state", tmp_path / "L"
    with revalidating_server(registry.site) as site:
        pin(capsys, state, site.url, registry.root)
        # A new pin is checked in a scratch store, then read for the upstreams it declares.
        first, again = [r for r in site.requests if r.path == f"/{TIMESTAMP}"]
        assert (first.status, first.if_none_match, again.status) == (200, None, 304)
        site.requests.clear()
        code, out, err = client(capsys, state, "lock", "beta", "-o", lock)
        assert code == 0 and "  beta 0.9.0" in out, err
        (second,) = [r for r in site.requests if r.path == f"/{TIMESTAMP}"]
        assert second.status == 304 and second.if_none_match is not None
        # A third run fetches nothing anew: every file it reads was cached.
        site.requests.clear()
        assert client(capsys, state, "lock", "beta", "-o", lock)[0] == 0
        revalidated = [r for r in site.requests if r.path != "/metadata/2.root.json"]
        assert revalidated and {r.status for r in revalidated} == {304}
        assert site.statuses("/metadata/2.root.json") == [404]  # no root rotation yet
        # A new timestamp has a new ETag: the cache never hides a change.
        refresh = ("timestamp", "refresh", registry.site, "--online-key", registry.key("online"))
        assert run(capsys, *refresh)[0] == 0
        site.requests.clear()
        assert client(capsys, state, "lock", "beta", "-o", lock)[0] == 0
        assert site.statuses(f"/{TIMESTAMP}") == [200]


# verify-site -------------------------------------------------------------------------------------


def tamper_package_json(site: Path) -> str:
    path = "api/v1/packages/alpha.json"
    document = json.loads((site / path).read_bytes())
    document["releases"] = document["releases"][1:]  # hide 1.2.0's yank
    (site / path).write_text(json.dumps(document))
    return path


def add_unlisted_file(site: Path) -> str:
    path = "api/v1/packages/gamma.json"
    (site / path).write_text('{"name": "gamma"}')
    return path


def test_verify_site_passes_an_honest_build(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "verify-site", registry.site, "--root", registry.root)
    assert (code, err) == (0, "")
    assert out.startswith(f"{registry.site.as_uri()}/: verified: ")
    assert out.endswith(" files and 2 packages' owner signatures checked\n")


@pytest.mark.parametrize("tamper", [tamper_package_json, add_unlisted_file])
def test_verify_site_names_the_file_that_changed(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str], tamper: Callable[[Path], str]
) -> None:
    path = tamper(registry.site)
    code, out, err = run(capsys, "verify-site", registry.site, "--root", registry.root)
    assert code == 1
    assert err.startswith(f"problem: {path}: ")
    assert ": FAILED with 1 problem: " in out


def test_verify_site_over_http(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(registry.site) as url:
        code, out, err = run(capsys, "verify-site", url, "--root", registry.root)
        assert (code, err) == (0, ""), err
        assert out.startswith(f"{url}/: verified: ")
        path = tamper_package_json(registry.site)
        code, out, err = run(capsys, "verify-site", url, "--root", registry.root)
    assert code == 1
    assert err.startswith(f"problem: {path}: ")
    assert "bytes with sha256" in err and "the signed targets say" in err


def test_verify_site_with_another_registrys_root_names_it(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    other_root = EXAMPLE_SITE / "metadata" / "1.root.json"
    code, _, err = run(capsys, "verify-site", registry.site, "--root", other_root)
    assert code == 1
    assert err == (
        f"problem: {other_root} is not a root of the registry at {registry.site.as_uri()}/: its"
        f" root keys ({DEMO_ROOT_FINGERPRINT}) are not the ones the registry's"
        f" metadata/1.root.json names ({fixed_key('root').public.fingerprint}); pin the root this"
        " registry's operators publish (its metadata/1.root.json); if you are sure the file is"
        " theirs, the server is not serving this registry's metadata\n"
    )


# timestamp refresh ----------------------------------------------------------------------------


def test_timestamp_refresh_signs_only_a_new_timestamp(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_bytes(registry.site)
    version = timestamp_version(registry.site)
    refresh = ("timestamp", "refresh", registry.site, "--online-key", registry.key("online"))
    code, out, err = run(capsys, *refresh)
    assert code == 0, err
    assert out == f"signed {registry.site / TIMESTAMP} version {version + 1}, valid for 24 hours\n"
    assert timestamp_version(registry.site) == version + 1
    after = tree_bytes(registry.site)
    assert after.pop(TIMESTAMP) != before.pop(TIMESTAMP)
    assert after == before
    assert run(capsys, "verify-site", registry.site, "--root", registry.root)[0] == 0


def test_timestamp_refresh_refuses_a_directory_that_is_not_a_site(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_bytes(registry.source)
    refresh = ("timestamp", "refresh", registry.source, "--online-key", registry.key("online"))
    code, _, err = run(capsys, *refresh)
    assert code == 1
    assert err == (
        f"error: {registry.source}: holds no api/v1/registry.json; is it a site built by regsite?\n"
    )
    assert tree_bytes(registry.source) == before


# Rollback --------------------------------------------------------------------------------------


@pytest.fixture
def two_builds(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path]:
    """The registry's first build, and a later one that adds alpha 1.3.0 (metadata version 2)."""
    release = served_release(registry.files, registry.artifacts, "alpha", "1.3.0", 5)
    (artifact,) = release["artifact"]
    later = tmp_path / "later"
    shutil.copytree(registry.site, later)  # the previous site: versions go up from it
    code, _, err = run(
        capsys, "release", "add", "alpha", "1.3.0", "--artifact", artifact["url"],
        "--sha256", artifact["sha256"], "--size", str(artifact["size"]),
        "--sign", registry.key("alice"), "-C", registry.source,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = build_signed(capsys, registry.source, later, registry.key("online"))
    assert code == 0, err
    assert timestamp_version(later) == timestamp_version(registry.site) + 1
    return registry.site, later


def test_client_that_trusted_a_later_build_refuses_an_older_one(
    registry: SignedRegistry,
    two_builds: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    earlier, later = two_builds
    live, state, lock = tmp_path / "live", tmp_path / "state", tmp_path / "L"
    replace_site(live, earlier)
    with serving(live) as url:
        pin(capsys, state, url, registry.root)
        replace_site(live, later)
        code, out, err = client(capsys, state, "lock", "alpha", "-o", lock)
        assert code == 0 and "  alpha 1.3.0" in out, err
        replace_site(live, earlier)
        code, out, err = client(capsys, state, "lock", "alpha", "-o", tmp_path / "L2")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {url}/{TIMESTAMP}: version 1 is older than the trusted version 2 (rollback)\n"
    )
    assert not (tmp_path / "L2").exists()


def test_trusting_the_same_root_again_keeps_rollback_protection(
    registry: SignedRegistry,
    two_builds: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    earlier, later = two_builds
    live, state = tmp_path / "live", tmp_path / "state"
    replace_site(live, later)
    with serving(live) as url:
        pin(capsys, state, url, registry.root)
        replace_site(live, earlier)
        code, _, err = client(capsys, state, "trust", url, "--root", registry.root)
    assert code == 1 and "(rollback)" in err


# Key lifecycle on a copy of example-site --------------------------------------------------------


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE_SITE, tmp_path / "source"))


def keygen(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    code, public, err = run(capsys, "keygen", path)
    assert code == 0, err
    return public.strip()


def root_files(status: str) -> list[str]:
    """The file names 'regsite root status' lists, in order."""
    return [line.split(":")[0] for line in status.splitlines()]


def test_online_key_rotation(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, new_key = tmp_path / "site", tmp_path / "online-2026.key"
    public = keygen(capsys, new_key)
    root_key = ("--sign", DEMO_KEYS / "root.key", "-C", example)
    code, out, err = run(capsys, "trust", "online-key", public, *root_key)
    assert code == 0, err
    assert out.splitlines() == [
        f"updated {example / 'registry.toml'} and signed",
        f"wrote {example / 'metadata/2.root.json'} (root version 2), fully signed",
    ]
    assert f'online-keys = ["{public}"]' in (example / "registry.toml").read_text()
    code, _, err = build_signed(capsys, example, site)  # the old key
    assert code == 1 and "is not in registry.toml [trust] online-keys" in err
    code, _, err = build_signed(capsys, example, site, new_key)
    assert code == 0, err
    code, out, _ = root_command(capsys, example, "status")
    assert code == 0 and root_files(out) == ["1.root.json", "2.root.json"]
    assert all(line.endswith(", signed") for line in out.splitlines())
    # A client that pinned root 1 follows the rotation.
    code, _, err = run(capsys, "verify-site", site, "--root", EXAMPLE_SITE / "metadata/1.root.json")
    assert code == 0, err


def test_root_key_rotation_then_a_threshold_of_two_holders(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, other = DEMO_KEYS / "root.key", tmp_path / "root-2027.key", tmp_path / "root-b.key"
    new_public, other_public = keygen(capsys, new), keygen(capsys, other)
    rotate = ("trust", "root-keys", "--add", new_public, "--remove", DEMO_ROOT_KEY)
    code, out, err = run(capsys, *rotate, "--sign", old, "--sign", new, "-C", example)
    assert code == 0, err
    assert out.endswith("metadata/2.root.json (root version 2), fully signed\n")
    # A second root key and a threshold of 2: one signature is not enough.
    add = ("trust", "root-keys", "--add", other_public, "--threshold", "2")
    code, out, _ = run(capsys, *add, "--sign", new, "-C", example)
    assert code == 1
    assert "(root version 3); still needs:\n  a threshold of the new root keys (2)\n" in out
    code, out, _ = root_command(
        capsys, example, "sign", example / "metadata/3.root.json", "--key", other
    )
    assert code == 0 and out.endswith("(root version 3), fully signed\n")
    # Renewing the root with one key of the two.
    code, out, _ = root_command(capsys, example, "update", "--sign", new)
    four = example / "metadata/4.root.json"
    assert code == 1
    assert out.splitlines() == [
        f"wrote {four} (root version 4); still needs:",
        "  a threshold of the new root keys (2)",
        "  a threshold of the previous root keys (2)",
        f"each remaining key holder runs: regsite root sign {four} --key KEY",
    ]
    code, out, _ = root_command(capsys, example, "status")
    assert code == 1 and out.splitlines()[-1].startswith("4.root.json: expires ")
    assert out.splitlines()[-1].endswith(", NEEDS a threshold of the new root keys (2);"
                                         " a threshold of the previous root keys (2)")  # fmt: skip
    code, out, _ = root_command(capsys, example, "sign", four, "--key", other)
    assert code == 0 and out.endswith("(root version 4), fully signed\n")
    code, out, _ = root_command(capsys, example, "status")
    assert code == 0 and root_files(out) == [f"{n}.root.json" for n in range(1, 5)]
    # registry.toml needs the second root signature too (see the xfail below).
    assert run(capsys, "sign", example / "registry.toml", "--key", other)[0] == 0
    # So does the advisory the root keys sign: `trust root-keys` dropped the removed key's
    # signature from it and signed it with the new key.
    advisory = example / "advisories/x_ORCHARD-2026-0001.json"
    assert DEMO_ROOT_KEY not in advisory.with_name(advisory.name + ".sig").read_text()
    assert run(capsys, "sign", advisory, "--key", other)[0] == 0
    code, _, err = build_signed(capsys, example, tmp_path / "site")
    assert code == 0, err
    root_1 = EXAMPLE_SITE / "metadata/1.root.json"
    code, _, err = run(capsys, "verify-site", tmp_path / "site", "--root", root_1)
    assert code == 0, err


def test_root_sign_with_several_keys_adds_each_or_signs_nothing(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second, stranger = tmp_path / "root-b.key", tmp_path / "stranger.key"
    add = ("trust", "root-keys", "--add", keygen(capsys, second), "--threshold", "2")
    assert run(capsys, *add, "--sign", DEMO_KEYS / "root.key", "-C", example)[0] == 1
    two = example / "metadata/2.root.json"
    before = two.read_bytes()
    keygen(capsys, stranger)
    code, _, err = root_command(capsys, example, "sign", two, "--key", second, "--key", stranger)
    assert code == 1 and "is not a root key of this or the last version" in err
    assert two.read_bytes() == before
    both = ("--key", second, "--key", DEMO_KEYS / "root.key")
    code, out, _ = root_command(capsys, example, "sign", two, *both)
    assert code == 0 and out.endswith("(root version 2), fully signed\n")


def test_following_the_root_sign_advice_is_enough_to_build(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    second = tmp_path / "root-b.key"
    add = ("trust", "root-keys", "--add", keygen(capsys, second), "--threshold", "2")
    assert run(capsys, *add, "--sign", DEMO_KEYS / "root.key", "-C", example)[0] == 1
    code, _, _ = root_command(
        capsys, example, "sign", example / "metadata/2.root.json", "--key", second
    )
    assert code == 0
    status, _, _ = root_command(capsys, example, "status")
    code, _, err = build_signed(capsys, example, tmp_path / "site")
    assert status == 1 or code == 0, err  # status must not say "signed" while the build refuses


def test_owner_key_revocation_rejects_packages_signed_only_by_it(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_key = tmp_path / "mira-new.key"
    new = keygen(capsys, new_key)
    code, out, err = owner_edit(capsys, example, "add-key", "mira", new)
    assert (code, out) == (0, f"updated {example / 'registry.toml'} and signed\n"), err
    registry = tomllib.loads((example / "registry.toml").read_text())
    assert registry["owners"]["mira"]["keys"] == [MIRA_KEY, new]
    code, out, err = owner_edit(capsys, example, "revoke-key", "mira", MIRA_KEY)
    assert code == 0, err
    assert MIRA_KEY in out and "no longer signed by enough owners" in out
    assert out.count("removed the revoked key's signature from") == len(MIRA_PACKAGES)
    registry = tomllib.loads((example / "registry.toml").read_text())
    assert registry["owners"]["mira"]["keys"] == [new]
    assert registry["trust"]["revoked-keys"] == [MIRA_KEY]
    code, _, err = run(capsys, "build", example, "-o", tmp_path / "site", "--unsigned")
    assert code == 1 and err.endswith("Nothing was written; the previous output is unchanged.\n")
    for package in MIRA_PACKAGES:  # the revoked signatures are gone, so thresholds are not met
        assert f"packages/{package}/package.toml.sig: threshold not met" in err
    assert not (tmp_path / "site").exists()
    code, _, err = owner_edit(capsys, example, "add-key", "mira", MIRA_KEY)
    assert code == 1 and "is listed in [trust] revoked-keys" in err
    # What revoke-key says to do: sign again with the new key.
    files = [example / "packages" / package / "package.toml" for package in MIRA_PACKAGES]
    assert run(capsys, "sign", *files, "--key", new_key)[0] == 0
    code, _, err = run(capsys, "build", example, "-o", tmp_path / "site", "--unsigned")
    assert code == 0, err


def test_owner_key_rotation_as_documented_builds(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_key = tmp_path / "mira-new.key"
    assert owner_edit(capsys, example, "add-key", "mira", keygen(capsys, new_key))[0] == 0
    files = [example / "packages" / package / "package.toml" for package in MIRA_PACKAGES]
    assert run(capsys, "sign", *files, "--key", new_key)[0] == 0
    assert owner_edit(capsys, example, "revoke-key", "mira", MIRA_KEY)[0] == 0
    code, _, err = run(capsys, "build", example, "-o", tmp_path / "site", "--unsigned")
    assert code == 0, err


def test_signed_source_needs_an_online_key_or_unsigned(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    code, _, err = run(capsys, "build", example, "-o", site)
    assert code == 1
    assert "--online-key KEY" in err and "--unsigned" in err
    assert not site.exists()
    code, out, err = run(capsys, "build", example, "-o", site, "--unsigned")
    assert code == 0, err
    assert "no metadata signed (--unsigned): clients cannot verify this site" in out
    assert not (site / "metadata").exists()


@pytest.mark.parametrize(
    "option", [(), ("--online-key", "env:REGSITE_ONLINE_KEY")], ids=["default", "env:"]
)
def test_online_key_from_the_environment(
    example: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    option: tuple[str, ...],
) -> None:
    site = tmp_path / "site"
    monkeypatch.setenv("REGSITE_ONLINE_KEY", (DEMO_KEYS / "online.key").read_text())
    code, _, err = run(capsys, "build", example, "-o", site, *option)
    assert code == 0, err
    assert timestamp_version(site) == 1
    code, _, err = run(capsys, "timestamp", "refresh", site, *option)
    assert code == 0, err
    assert timestamp_version(site) == 2
    code, _, err = run(capsys, "verify-site", site, "--root", example / "metadata/1.root.json")
    assert code == 0, err
