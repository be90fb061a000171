"""A signed example site to attack, and the tools an attacker uses on it (tests/test_attacks.py).

The attacker is the host serving the files, a network in the middle, or the CI job holding the
online key.  What each can do is a function here: serve other bytes, stream forever, redirect,
or sign fresh metadata with the online key over whatever they like.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from securesystemslib.signer import Signature
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, Targets, Timestamp

from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.build import BuildOptions, build, read_model, render_site, write_output
from regsite.client.registry import RemoteRegistry
from regsite.client.trust import Updater
from regsite.commands.sign import sign_file
from regsite.fetch import Fetcher, UrlFetcher
from regsite.keys import PrivateKey, load_private_key
from regsite.metadata.envelope import COMPACT, online_signer, read_metadata, sign_metadata
from regsite.metadata.layout import content_addressed_path
from regsite.model import Registry
from regsite.render import Output

SIGNED_AT = datetime(2026, 11, 1, tzinfo=UTC)  # metadata expiry counts from here
NOW = SIGNED_AT + timedelta(hours=2)  # the client's clock, unless a test freezes it elsewhere
KEYS = EXAMPLE_SITE / "demo-keys"
ROOT_KEY = load_private_key(str(KEYS / "root.key"))
MIRA_KEY = load_private_key(str(KEYS / "mira.key"))
PINNED_ROOT = (EXAMPLE_SITE / "metadata" / "1.root.json").read_bytes()
PACKAGE = "tinyjson"  # owned by mira alone
PACKAGE_JSON = f"api/v1/packages/{PACKAGE}.json"
PACKAGE_TOML = f"api/v1/sources/{PACKAGE}/package.toml"


# Building ---------------------------------------------------------------------------------------


@functools.cache
def _plain() -> tuple[Registry, Output]:
    site, packages = read_model(BuildOptions(source=EXAMPLE_SITE, output=Path("unused")))
    return site.registry, render_site(site, packages)


def plain_output() -> Output:
    """example-site's unsigned output files; a fresh dict each call, free to tamper with."""
    return dict(_plain()[1])


def publish(
    output: Output, out: Path, *, now: datetime = SIGNED_AT, previous: Path | None = None
) -> Path:
    """Sign ``output`` with the online key and write it: an honest build, or a compromised CI
    job's build over files it tampered with."""
    write_output(output, out, signed=(_plain()[0], DEMO_ONLINE_KEY, now), previous=previous)
    return out


def changed_source(directory: Path) -> Path:
    """example-site with tinyjson's description edited and signed again by its owner."""
    source = Path(shutil.copytree(EXAMPLE_SITE, directory))
    index = source / "packages" / PACKAGE / "package.toml"
    text = index.read_text(encoding="utf-8")
    assert 'description = "Small, strict' in text
    index.write_text(text.replace('description = "Small, strict', 'description = "Tiny, strict'))
    sign_file(index, MIRA_KEY)
    return source


def rebuild(source: Path, site: Path, signed_at: datetime) -> Path:
    """The next honest build of ``site`` (the previous output, read for versions to keep)."""
    build(
        BuildOptions(source=source, output=site, online_key=DEMO_ONLINE_KEY, signing_time=signed_at)
    )
    return site


def served_copy(site: Path, path: str) -> Path:
    """Where the content-addressed copy of target ``path`` lies: what clients fetch."""
    data = (site / path).read_bytes()
    return site / content_addressed_path(path, hashlib.sha256(data).hexdigest())


def tamper(site: Path, path: str, change: Callable[[bytes], bytes]) -> None:
    """The host changes a target: the plain file and the copy clients fetch."""
    copy = served_copy(site, path)
    changed = change(copy.read_bytes())
    copy.write_bytes(changed)
    (site / path).write_bytes(changed)


# Forging metadata -------------------------------------------------------------------------------


def read_timestamp(site: Path) -> Timestamp:
    path = "metadata/timestamp.json"
    return read_metadata((site / path).read_bytes(), Timestamp, path).signed


Signed = Root | Targets | Snapshot | Timestamp


def sign_online(signed: Signed) -> bytes:
    return sign_metadata(signed, [online_signer(DEMO_ONLINE_KEY)])


def listed(version: int, data: bytes) -> MetaFile:
    return MetaFile(version, len(data), {"sha256": hashlib.sha256(data).hexdigest()})


def forge_snapshot_and_timestamp(site: Path, version: int, meta: dict[str, MetaFile]) -> None:
    """As the online key: snapshot ``version`` listing ``meta``, and a timestamp pinning it."""
    snapshot = sign_online(Snapshot(version, None, SIGNED_AT + timedelta(days=30), meta))
    (site / f"metadata/{version}.snapshot.json").write_bytes(snapshot)
    timestamp = Timestamp(version, None, SIGNED_AT + timedelta(days=1), listed(version, snapshot))
    (site / "metadata/timestamp.json").write_bytes(sign_online(timestamp))


def forge_targets(site: Path, version: int, targets: Targets) -> None:
    """As the online key: publish ``targets`` as version ``version`` of every online role."""
    data = sign_online(targets)
    (site / f"metadata/{version}.targets.json").write_bytes(data)
    forge_snapshot_and_timestamp(site, version, {"targets.json": listed(version, data)})


def signed_with_key_ids(signed: Signed, key: PrivateKey, key_ids: Sequence[str]) -> bytes:
    """A metadata file with one signature by ``key`` under each of ``key_ids``."""
    metadata = Metadata(signed)
    signature = key.sign(metadata.signed_bytes).hex()
    for keyid in key_ids:
        metadata.signatures[keyid] = Signature(keyid, signature)
    return metadata.to_bytes(COMPACT)


# The client -------------------------------------------------------------------------------------


def site_url(site: Path) -> str:
    return site.as_uri() + "/"


def updater(
    base_url: str,
    store: Path,
    fetcher: Fetcher | None = None,
    *,
    now: Callable[[], datetime] = lambda: NOW,
    pinned_root: bytes | None = PINNED_ROOT,
) -> Updater:
    return Updater(base_url, fetcher or UrlFetcher(), store, bootstrap=pinned_root, now=now)


def remote(base_url: str, store: Path) -> RemoteRegistry:
    client = updater(base_url, store)
    client.refresh()
    return RemoteRegistry(client)


@dataclass
class RecordingFetcher:
    """UrlFetcher that remembers each URL asked for and can act after each fetch."""

    urls: list[str] = field(default_factory=list)
    after: Callable[[str], None] = lambda url: None

    def fetch(self, url: str, max_bytes: int) -> bytes:
        self.urls.append(url)
        data = UrlFetcher().fetch(url, max_bytes)
        self.after(url)
        return data


# A hostile HTTP server --------------------------------------------------------------------------


@dataclass
class Routes:
    """What the server does: serve ``site``'s files, unless a path is overridden here."""

    site: Path | None = None
    replies: dict[str, bytes] = field(default_factory=dict)  # path -> body, with Content-Length
    endless: set[str] = field(default_factory=set)  # paths streamed forever, without a length
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location
    requested: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # stops endless streams


class _Handler(BaseHTTPRequestHandler):
    routes: Routes  # set per server by attack_server()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        self.routes.requested.append(path)
        if path in self.routes.redirects:
            self.send_response(302)
            self.send_header("Location", self.routes.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path in self.routes.endless:
            self.send_response(200)
            self.end_headers()
            self._write_forever()
        elif path in self.routes.replies:
            self._reply(self.routes.replies[path])
        elif (body := self._file(path)) is not None:
            self._reply(body)
        else:
            self.send_error(404)

    def _file(self, path: str) -> bytes | None:
        if self.routes.site is None:
            return None
        relative = posixpath.normpath(path.lstrip("/"))
        if relative.startswith("..") or relative == ".":
            return None
        file = self.routes.site / relative
        return file.read_bytes() if file.is_file() else None

    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _write_forever(self) -> None:
        try:
            while not self.routes.release.is_set():
                self.wfile.write(b"{" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


@contextmanager
def attack_server(routes: Routes) -> Iterator[str]:
    """Serve ``routes`` on a free loopback port; yield the base URL, without a trailing '/'."""
    handler = type("RoutedHandler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = False  # server_close() then waits for every handler thread
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        routes.release.set()
        server.shutdown()
        server.server_close()
        thread.join()
