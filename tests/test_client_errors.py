"""What the client says when things go wrong, as a newcomer meets them through ``main(argv)``.

Every message must name the file or URL, say what was expected, and say what to do: a root of
another registry, a registry that is down or too slow, a URL that is not a site, a state
directory or an output path that cannot be written.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from builder import fixed_key
from conftest import EXAMPLE_SITE, serving
from regsite.commands import client_state
from regsite.fetch import FetchConfig, UrlFetcher
from slowserver import Trickle, trickling
from test_client_cli import (
    DEMO_ROOT_FINGERPRINT,
    SignedRegistry,
    _isolated_client,
    build_signed,
    client,
    pin,
    registry,
    run,
)

__all__ = ["_isolated_client", "registry"]  # fixtures, used by name

OTHER_ROOT = EXAMPLE_SITE / "metadata" / "1.root.json"
SERVE_HINT = "check the URL, and that the site is being served, then try again"


def test_root_from_another_registry_is_named(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(registry.site) as url:
        code, out, err = client(capsys, tmp_path, "trust", url, "--root", OTHER_ROOT)
    assert (code, out) == (1, "")
    assert err == (
        f"error: {OTHER_ROOT} is not a root of the registry at {url}/: its root keys"
        f" ({DEMO_ROOT_FINGERPRINT}) are not the ones the registry's metadata/1.root.json names"
        f" ({fixed_key('root').public.fingerprint}); pin the root this registry's operators"
        " publish (its metadata/1.root.json); if you are sure the file is theirs, the server is"
        " not serving this registry's metadata\n"
    )


def test_a_registry_recreated_with_new_keys_says_to_trust_it_again(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    with serving(registry.site) as url:
        pin(capsys, state, url, registry.root)
        code, _, err = build_signed(capsys, EXAMPLE_SITE, tmp_path / "example")
        assert code == 0, err
        for path in registry.site.iterdir():  # the operator starts over, with other keys
            path.rename(tmp_path / f"old-{path.name}")
        (tmp_path / "example").rename(registry.site)
        code, _, err = client(capsys, state, "show", "alpha")
    stored = next(state.glob("*/metadata/root.json"))
    assert code == 1
    assert err == (
        f"error: {stored} is not a root of the registry at {url}/: its root keys"
        f" ({fixed_key('root').public.fingerprint}) are not the ones the registry's"
        f" metadata/1.root.json names ({DEMO_ROOT_FINGERPRINT}); if the registry was re-created"
        f" with new keys, trust it again with 'regsite client trust {url}/ --root"
        " NEW.root.json'; otherwise the server is not serving this registry's metadata\n"
    )


# A registry that cannot be reached ---------------------------------------------------------


@pytest.mark.parametrize("action", ["show", "lock"])
def test_unreachable_registry_says_so(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str], action: str
) -> None:
    state = tmp_path / "state"
    with serving(registry.site) as url:
        pin(capsys, state, url, registry.root)
    # The server is gone: the first fetch (is there a newer root?) is refused.
    output = ["-o", tmp_path / "regsite.lock"] if action == "lock" else []
    code, out, err = client(capsys, state, action, "alpha", *output)
    assert (code, out) == (1, "")
    assert err == (
        f"error: cannot reach the registry at {url}/: connection refused by"
        f" {url.removeprefix('http://')} (while fetching metadata/2.root.json); {SERVE_HINT}\n"
    )


def test_trusting_a_registry_that_is_down_says_so(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(registry.site) as url:
        pass
    code, _, err = client(capsys, tmp_path, "trust", url)
    assert code == 1
    assert err == (
        f"error: cannot reach the registry at {url}/: connection refused by"
        f" {url.removeprefix('http://')} (while fetching metadata/1.root.json); {SERVE_HINT}\n"
    )


def test_a_host_name_that_does_not_resolve_is_said_before_anything_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "http://no-such-registry.invalid/"
    code, _, err = client(capsys, tmp_path, "trust", url, "--root", OTHER_ROOT)
    assert code == 1
    assert err.startswith(
        f"error: cannot reach the registry at {url}: cannot resolve the host name"
        " no-such-registry.invalid ("
    )
    assert err.endswith(f"(while fetching metadata/2.root.json); {SERVE_HINT}\n")


def test_a_failing_server_names_its_http_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    with trickling(Trickle(answer)) as address:
        code, _, err = client(capsys, tmp_path, "trust", f"http://{address}/")
    assert code == 1
    assert err == (
        f"error: cannot reach the registry at http://{address}/: HTTP 503 Service Unavailable"
        " (while fetching metadata/1.root.json); check the URL, or try again later if the"
        " server is failing\n"
    )


def test_slow_registry_cannot_hold_the_client_past_its_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_state, "REGISTRY_FETCH", FetchConfig(deadline=0.6))
    slow_body = Trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n", b"{")
    with trickling(slow_body) as address:
        started = time.monotonic()
        code, _, err = client(capsys, tmp_path, "trust", f"http://{address}/")
        elapsed = time.monotonic() - started
    assert code == 1
    assert err == (
        f"error: cannot reach the registry at http://{address}/: did not finish within the 0.6 s"
        " deadline (the server is too slow, or sends its answer a few bytes at a time) (while"
        " fetching metadata/1.root.json); try again later, or over a faster connection\n"
    )
    assert elapsed < 0.6 + 1.5


def test_verify_site_on_a_slow_url_reports_the_deadline(
    registry: SignedRegistry, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import regsite.commands.verify_site

    fast = FetchConfig(deadline=0.6)
    monkeypatch.setattr(regsite.commands.verify_site, "UrlFetcher", lambda: UrlFetcher(config=fast))
    slow_headers = Trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: a\r\n")
    with trickling(slow_headers) as address:
        code, out, err = run(capsys, "verify-site", f"http://{address}/", "--root", registry.root)
    assert code == 1
    assert "FAILED with 1 problem" in out
    assert err.startswith(f"problem: cannot reach the registry at http://{address}/: did not")


# URLs and paths that are not what was expected ---------------------------------------------


def test_a_url_that_is_not_a_site_says_what_was_expected(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(registry.site) as url:
        code, _, err = client(capsys, tmp_path, "trust", f"{url}/api/")
    assert code == 1
    assert err == (
        f"error: {url}/api/ has no metadata/1.root.json (HTTP 404 Not Found): expected the"
        " top directory of a site that 'regsite build' signed with an online key; check the URL\n"
    )


def test_a_site_without_a_timestamp_says_what_was_expected(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (registry.site / "metadata" / "timestamp.json").unlink()
    code, _, err = client(capsys, tmp_path, "trust", registry.site, "--root", registry.root)
    url = registry.site.as_uri() + "/"
    assert code == 1
    assert err.startswith(f"error: {url} has no metadata/timestamp.json (no such file ")


@pytest.mark.parametrize("form", ["path", "file-url"])
def test_a_site_directory_that_does_not_exist_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    missing = tmp_path / "no-site"
    where = str(missing) if form == "path" else missing.as_uri()
    code, _, err = client(capsys, tmp_path / "state", "trust", where)
    assert code == 1
    expected = "a site built by 'regsite build'"
    assert err == (
        f"error: {where}: no such directory; expected {expected}, or an http(s):// or file:// URL\n"
        if form == "path"
        else f"error: {where}: no such directory {missing}; expected {expected}\n"
    )


def test_a_root_file_that_is_not_a_root_says_what_was_expected(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timestamp = registry.site / "metadata" / "timestamp.json"
    code, _, err = client(capsys, tmp_path, "trust", registry.site, "--root", timestamp)
    assert code == 1
    assert err == (
        f"error: {timestamp}: signed._type: expected 'root', found 'timestamp'; --root expects a"
        " registry's root file, such as its metadata/1.root.json\n"
    )


# Paths the client cannot write -------------------------------------------------------------


def test_a_state_directory_that_cannot_be_written_is_named(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    state = blocker / "state"  # cannot be created, even by root
    code, _, err = client(capsys, state, "trust", registry.site, "--root", registry.root)
    assert code == 1
    assert err.startswith(f"error: {state}")
    assert err.endswith(
        ": cannot write the client state (Not a directory); choose a writable directory with"
        " --state DIR or $REGSITE_CLIENT_DIR\n"
    )


def test_a_state_directory_that_is_a_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "a-file"
    state.write_text("not a directory\n")
    code, _, err = client(capsys, state, "show", "alpha")
    assert code == 1
    assert err.startswith(f"error: {state}/default-registry: cannot read the client state (")
    assert err.endswith("); choose another directory with --state DIR or $REGSITE_CLIENT_DIR\n")


def test_a_lockfile_path_that_cannot_be_written_is_named(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock = tmp_path / "state", tmp_path / "no-dir" / "regsite.lock"
    pin(capsys, state, registry.site, registry.root)
    code, _, err = client(capsys, state, "lock", "alpha", "-o", lock)
    assert code == 1
    assert err == (
        f"error: cannot write the lockfile {lock}: No such file or directory; choose another"
        " path with -o\n"
    )


def test_a_download_directory_that_cannot_be_created_is_named(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock = tmp_path / "state", tmp_path / "regsite.lock"
    pin(capsys, state, registry.site, registry.root)
    assert client(capsys, state, "lock", "alpha", "-o", lock)[0] == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    code, _, err = run(capsys, "client", "download", lock, "-d", blocker / "vendor")
    assert code == 1
    assert err == (
        f"error: cannot create the download directory {blocker / 'vendor'}: Not a directory;"
        " choose another with -d DIR\n"
    )


def test_a_registry_that_redirects_to_another_host_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = b"HTTP/1.1 301 Moved\r\nLocation: https://elsewhere.example.org/\r\n\r\n"
    with trickling(Trickle(moved)) as address:
        code, _, err = client(capsys, tmp_path, "trust", f"http://{address}/")
    assert code == 1
    assert err == (
        f"error: refusing redirect from http://{address}/metadata/1.root.json to"
        " https://elsewhere.example.org/: another scheme (while fetching metadata/1.root.json);"
        " if the registry has moved, use the URL it moved to\n"
    )


def test_a_missing_lockfile_says_how_to_write_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "regsite.lock"
    code, _, err = run(capsys, "client", "download", missing, "-d", tmp_path / "vendor")
    assert code == 1
    assert err == (
        f"error: cannot read lockfile {missing}: No such file or directory; write one with"
        " 'regsite client lock REQUIREMENT...'\n"
    )
    assert not (tmp_path / "vendor").exists()
