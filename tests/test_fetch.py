"""regsite.fetch against a real HTTP server on 127.0.0.1, and file:// URLs."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from tuf.api import exceptions as tuf_errors

import regsite.deadline
from conftest import require_tool
from regsite import __version__
from regsite.client.failures import UnreachableRegistryError
from regsite.client.tuf_fetcher import RegistryFetcher
from regsite.fetch import (
    FetchConfig,
    FetchError,
    NotFoundError,
    RedirectError,
    SlowRetrievalError,
    TooLargeError,
    UnreachableError,
    UrlFetcher,
)
from regsite.metadata.envelope import MetadataError
from slowserver import Trickle, trickling

ETAG = '"v1"'
BODY = b"hello, registry\n"


@dataclass
class Seen:
    """What the server was asked, so tests can check the requests the fetcher made."""

    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    seen: Seen  # set per server by serve()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.seen.paths.append(self.path)
        self.seen.headers.append(dict(self.headers.items()))
        url = urlsplit(self.path)
        route = getattr(self, "route_" + url.path.strip("/").replace("-", "_"), None)
        if route is None:
            self.send_error(404)
        else:
            route(parse_qs(url.query))

    def reply(self, body: bytes, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def route_hello(self, query: dict[str, list[str]]) -> None:
        self.reply(BODY)

    def route_etag(self, query: dict[str, list[str]]) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.end_headers()
        else:
            self.reply(BODY, ETag=ETAG)

    def route_endless(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.end_headers()
        self.write_forever()

    def route_huge_length(self, query: dict[str, list[str]]) -> None:
        # Promises a gigabyte and sends nothing: only an up-front check can fail fast.
        self.send_response(200)
        self.send_header("Content-Length", str(10**9))
        self.end_headers()
        self.seen.release.wait(5)

    def route_stall(self, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.end_headers()
        self.seen.release.wait(5)

    def route_redirect(self, query: dict[str, list[str]]) -> None:
        self.send_response(int(query.get("code", ["302"])[0]))
        self.send_header("Location", query["to"][0])
        self.end_headers()
        if "endless" in query:
            self.write_forever()

    def route_loop(self, query: dict[str, list[str]]) -> None:
        self.send_response(302)
        self.send_header("Location", "/loop")
        self.end_headers()

    def route_error(self, query: dict[str, list[str]]) -> None:
        self.send_error(500, "Broken On Purpose")

    def write_forever(self) -> None:
        try:
            while not self.seen.release.is_set():
                self.wfile.write(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture
def seen() -> Seen:
    return Seen()


def serve(seen: Seen) -> Iterator[str]:
    handler = type("BoundHandler", (Handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        seen.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def base(seen: Seen) -> Iterator[str]:
    yield from serve(seen)


@pytest.fixture
def other_base() -> Iterator[str]:
    """A second server on another port: another origin."""
    yield from serve(Seen())


def test_fetch_returns_the_body_and_sends_a_user_agent(base: str, seen: Seen) -> None:
    assert UrlFetcher().fetch(f"{base}/hello", max_bytes=100) == BODY
    assert seen.headers[0]["User-Agent"] == f"regsite/{__version__}"


def test_body_exactly_at_the_limit_is_accepted(base: str) -> None:
    assert UrlFetcher().fetch(f"{base}/hello", max_bytes=len(BODY)) == BODY


def test_body_one_byte_over_the_limit_is_too_large(base: str) -> None:
    with pytest.raises(TooLargeError, match="Content-Length"):
        UrlFetcher().fetch(f"{base}/hello", max_bytes=len(BODY) - 1)


def test_endless_body_fails_fast(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(TooLargeError, match=r"/endless: larger than the limit of 100000 bytes"):
        UrlFetcher().fetch(f"{base}/endless", max_bytes=100_000)
    assert time.monotonic() - started < 5


def test_content_length_over_the_limit_fails_before_the_body(base: str) -> None:
    started = time.monotonic()
    with pytest.raises(TooLargeError, match=r"1000000000 bytes long \(Content-Length\)"):
        UrlFetcher(config=FetchConfig(deadline=10)).fetch(f"{base}/huge-length", max_bytes=1000)
    assert time.monotonic() - started < 5


def test_a_stalled_response_times_out_after_the_read_timeout(base: str) -> None:
    config = FetchConfig(deadline=5, read_timeout=0.3)
    with pytest.raises(FetchError, match=r"cannot fetch .*/stall: no answer within 0.3 s$"):
        UrlFetcher(config=config).fetch(f"{base}/stall", max_bytes=1000)


def test_not_found(base: str) -> None:
    with pytest.raises(NotFoundError, match=r"cannot fetch .*/missing: HTTP 404 Not Found"):
        UrlFetcher().fetch(f"{base}/missing", max_bytes=1000)


def test_server_error_names_status_and_reason(base: str) -> None:
    with pytest.raises(FetchError, match=r"/error: HTTP 500 Broken On Purpose") as caught:
        UrlFetcher().fetch(f"{base}/error", max_bytes=1000)
    assert not isinstance(caught.value, NotFoundError)


def test_connection_refused_names_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with pytest.raises(FetchError, match=rf"cannot fetch {url}: .*refused"):
        UrlFetcher().fetch(url, max_bytes=1000)


@pytest.mark.parametrize("url", ["ftp://example.org/x", "data:,hello", "example.org/x"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError, match=rf"cannot fetch {url}: expected an http, https or file"):
        UrlFetcher().fetch(url, max_bytes=1000)


# Redirects


def test_same_host_redirect_is_followed(base: str, seen: Seen) -> None:
    assert UrlFetcher().fetch(f"{base}/redirect?to=/hello", max_bytes=100) == BODY
    assert seen.paths == ["/redirect?to=/hello", "/hello"]
    assert seen.headers[1]["User-Agent"] == f"regsite/{__version__}"


@pytest.mark.parametrize("code", [301, 303, 307, 308])
def test_every_redirect_code_is_followed(base: str, code: int) -> None:
    url = f"{base}/redirect?code={code}&to=/hello"
    assert UrlFetcher().fetch(url, max_bytes=100) == BODY


def test_redirect_to_another_host_is_refused(base: str, seen: Seen) -> None:
    port = urlsplit(base).port
    target = f"http://localhost:{port}/hello"
    message = rf"refusing redirect from {base}/redirect\?to=\S+ to {target}: another host"
    with pytest.raises(RedirectError, match=message):
        UrlFetcher().fetch(f"{base}/redirect?to={target}", max_bytes=100)
    assert seen.paths == [f"/redirect?to={target}"]


def test_redirect_to_another_port_is_refused(base: str, other_base: str) -> None:
    with pytest.raises(RedirectError, match="another port"):
        UrlFetcher().fetch(f"{base}/redirect?to={other_base}/hello", max_bytes=100)


def test_redirect_to_another_origin_is_followed_when_allowed(base: str, other_base: str) -> None:
    fetcher = UrlFetcher(same_origin_redirects=False)
    assert fetcher.fetch(f"{base}/redirect?to={other_base}/hello", max_bytes=100) == BODY


@pytest.mark.parametrize("same_origin", [True, False])
def test_redirect_to_a_file_url_is_refused(base: str, tmp_path: Path, same_origin: bool) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"private")
    fetcher = UrlFetcher(same_origin_redirects=same_origin)
    with pytest.raises(RedirectError, match="only http and https redirects are followed"):
        fetcher.fetch(f"{base}/redirect?to={secret.as_uri()}", max_bytes=100)


def test_redirect_loop_stops_after_five(base: str, seen: Seen) -> None:
    with pytest.raises(RedirectError, match="more than 5 redirects"):
        UrlFetcher().fetch(f"{base}/loop", max_bytes=100)
    assert len(seen.paths) == 6


def test_redirect_body_is_not_read(base: str) -> None:
    """urllib reads a redirect's whole body; an endless one must not hang the fetch."""
    url = f"{base}/redirect?to=/hello&endless=1"
    assert UrlFetcher(config=FetchConfig(deadline=5)).fetch(url, max_bytes=100) == BODY


# The ETag cache


def test_etag_is_cached_and_a_304_is_served_from_the_cache(
    base: str, seen: Seen, tmp_path: Path
) -> None:
    fetcher = UrlFetcher(cache_dir=tmp_path / "cache")
    assert fetcher.fetch_with_status(f"{base}/etag", max_bytes=100) == (BODY, False)
    assert fetcher.fetch_with_status(f"{base}/etag", max_bytes=100) == (BODY, True)
    assert "If-None-Match" not in seen.headers[0]
    assert seen.headers[1]["If-None-Match"] == ETAG


def test_response_without_etag_is_not_cached(base: str, tmp_path: Path) -> None:
    fetcher = UrlFetcher(cache_dir=tmp_path / "cache")
    fetcher.fetch(f"{base}/hello", max_bytes=100)
    assert fetcher.fetch_with_status(f"{base}/hello", max_bytes=100) == (BODY, False)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"garbage", id="garbage"),
        pytest.param(lambda data: data[:-3] + b"XYZ", id="body-changed"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_corrupt_cache_entry_is_refetched(
    base: str, seen: Seen, tmp_path: Path, damage: object
) -> None:
    cache = tmp_path / "cache"
    fetcher = UrlFetcher(cache_dir=cache)
    fetcher.fetch(f"{base}/etag", max_bytes=100)
    (entry,) = cache.iterdir()
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    assert fetcher.fetch_with_status(f"{base}/etag", max_bytes=100) == (BODY, False)
    assert "If-None-Match" not in seen.headers[1]
    assert fetcher.fetch_with_status(f"{base}/etag", max_bytes=100) == (BODY, True)


def test_cached_body_is_still_subject_to_max_bytes(base: str, tmp_path: Path) -> None:
    fetcher = UrlFetcher(cache_dir=tmp_path / "cache")
    fetcher.fetch(f"{base}/etag", max_bytes=100)
    with pytest.raises(TooLargeError):
        fetcher.fetch(f"{base}/etag", max_bytes=len(BODY) - 1)


def test_cache_entries_leave_no_temporary_files(base: str, tmp_path: Path) -> None:
    fetcher = UrlFetcher(cache_dir=tmp_path / "cache")
    fetcher.fetch(f"{base}/etag", max_bytes=100)
    fetcher.fetch(f"{base}/etag", max_bytes=100)
    assert len(list((tmp_path / "cache").iterdir())) == 1


# file:// URLs


def test_file_url_is_read_and_percent_decoded(tmp_path: Path) -> None:
    path = tmp_path / "with space & ünïcode.txt"
    path.write_bytes(BODY)
    assert "%20" in path.as_uri()
    assert UrlFetcher().fetch(path.as_uri(), max_bytes=100) == BODY


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    url = (tmp_path / "missing.txt").as_uri()
    with pytest.raises(NotFoundError, match=rf"cannot fetch {url}: no such file"):
        UrlFetcher().fetch(url, max_bytes=100)


def test_file_over_the_limit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 101)
    with pytest.raises(TooLargeError, match="101 bytes long; at most 100"):
        UrlFetcher().fetch(path.as_uri(), max_bytes=100)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_file_fails_fast() -> None:
    with pytest.raises(TooLargeError, match="larger than the limit of 1000 bytes"):
        UrlFetcher().fetch("file:///dev/zero", max_bytes=1000)


def test_directory_is_a_fetch_error(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="cannot fetch file:"):
        UrlFetcher().fetch(tmp_path.as_uri(), max_bytes=100)


def test_file_url_on_another_host_is_refused() -> None:
    with pytest.raises(FetchError, match="file URLs on another host are not supported"):
        UrlFetcher().fetch("file://server/share/x", max_bytes=100)


# Deadlines against slow senders

DEADLINE = FetchConfig(deadline=0.6, read_timeout=1.0)  # every wait is cut to the time left
MARGIN = 1.5  # seconds allowed past the deadline on a busy machine


SLOW_SENDERS = {
    "status-line": ("http", Trickle(b"HTTP/1.1 200 OK", b" ")),
    "headers": ("http", Trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: a\r\n")),
    "body": ("http", Trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"x")),
    "chunked-body": (
        "http",
        Trickle(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"1\r\nx\r\n"),
    ),
    # A TLS record header announcing 16 KiB of handshake, then its bytes one at a time.
    "tls-handshake": ("https", Trickle(b"\x16\x03\x03\x40\x00", b"\x00")),
    # Each answer alone is quick; five redirects in a row are not.
    "redirects": (
        "http",
        Trickle(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n", delay=0.2),
    ),
}


@pytest.mark.parametrize("sender", SLOW_SENDERS.values(), ids=SLOW_SENDERS.keys())
def test_slow_sender_cannot_hold_a_fetch_past_its_deadline(sender: tuple[str, Trickle]) -> None:
    scheme, trickle = sender
    with trickling(trickle) as address:
        url = f"{scheme}://{address}/slow"
        started = time.monotonic()
        with pytest.raises(SlowRetrievalError) as caught:
            UrlFetcher(config=DEADLINE).fetch(url, max_bytes=100_000)
        elapsed = time.monotonic() - started
    assert str(caught.value) == (
        f"cannot fetch {url}: did not finish within the 0.6 s deadline (the server is too slow,"
        " or sends its answer a few bytes at a time)"
    )
    assert elapsed < DEADLINE.deadline + MARGIN


def test_a_server_that_accepts_and_says_nothing_fails_after_the_read_timeout() -> None:
    config = FetchConfig(deadline=5, read_timeout=0.3)
    with trickling(Trickle(b"", delay=10)) as address:
        url = f"http://{address}/silent"
        with pytest.raises(FetchError, match=rf"^cannot fetch {url}: no answer within 0.3 s$"):
            UrlFetcher(config=config).fetch(url, max_bytes=100)


def test_a_large_allowed_body_gets_time_at_the_minimum_speed() -> None:
    config = FetchConfig(deadline=30, min_speed=1000)
    assert config.deadline_for(10_000).seconds == 30
    assert config.deadline_for(100_000).seconds == 100
    assert FetchConfig(deadline=30).deadline_for(10**9).seconds == 30


def test_a_fast_body_within_the_deadline_is_read_whole(base: str) -> None:
    config = FetchConfig(deadline=0.5, read_timeout=0.5, chunk_size=1)
    assert UrlFetcher(config=config).fetch(f"{base}/hello", max_bytes=100) == BODY


def test_unreachable_host_is_its_own_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with pytest.raises(UnreachableError) as caught:
        UrlFetcher().fetch(url, max_bytes=1000)
    assert caught.value.reason == f"connection refused by 127.0.0.1:{port}"


def test_a_host_name_that_does_not_resolve_says_so() -> None:
    url = "http://no-such-host.invalid/x"  # .invalid never resolves (RFC 2606)
    with pytest.raises(
        UnreachableError, match=r"cannot resolve the host name no-such-host\.invalid"
    ):
        UrlFetcher().fetch(url, max_bytes=1000)


def test_a_file_url_in_a_missing_directory_names_the_directory(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "metadata"
    url = (missing / "1.root.json").as_uri()
    with pytest.raises(NotFoundError) as caught:
        UrlFetcher().fetch(url, max_bytes=100)
    assert str(caught.value) == f"cannot fetch {url}: no such directory {missing}"


def test_the_ngclient_fetcher_keeps_the_deadline_the_limit_and_404s(tmp_path: Path) -> None:
    """regsite.client.tuf_fetcher: what ngclient downloads goes through regsite.fetch."""
    (tmp_path / "metadata").mkdir()
    for name in ("timestamp.json", "1.snapshot.json", "x.json"):
        (tmp_path / "metadata" / name).write_bytes(BODY)
    site = tmp_path.as_uri() + "/"
    fetcher = RegistryFetcher(UrlFetcher(config=DEADLINE), site, tmp_path / "state")
    assert fetcher.download_bytes(f"{site}metadata/timestamp.json", 100) == BODY
    with pytest.raises(tuf_errors.DownloadHTTPError, match="no such file") as missing:
        fetcher.download_bytes(f"{site}metadata/2.root.json", 100)
    assert missing.value.status_code == 404  # ngclient stops looking for newer roots
    with pytest.raises(MetadataError, match=r"expected at most 5 bytes .* \(endless data attack"):
        fetcher.download_bytes(f"{site}metadata/1.snapshot.json", 5)
    with pytest.raises(MetadataError, match="not a metadata file a regsite site publishes"):
        fetcher.download_bytes(f"{site}metadata/1.%2E%2E%2Fx.json", 100)
    slow_body = SLOW_SENDERS["body"][1]
    with trickling(slow_body) as address:
        slow = RegistryFetcher(UrlFetcher(config=DEADLINE), f"http://{address}/", tmp_path)
        started = time.monotonic()
        with pytest.raises(UnreachableRegistryError, match=r"0\.6 s deadline"):
            slow.download_bytes(f"http://{address}/metadata/timestamp.json", 100_000)
        assert time.monotonic() - started < DEADLINE.deadline + MARGIN


@pytest.fixture
def tls_base(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https server on 127.0.0.1 with a fresh self-signed certificate; yields its base URL
    and the certificate."""
    openssl = require_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen = Seen()
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Bound", (Handler,), {"seen": seen}))
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_https_is_read_through_the_deadline_and_checks_the_certificate(
    tls_base: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, cert = tls_base
    with pytest.raises(UnreachableError, match="TLS certificate not accepted: self-signed"):
        UrlFetcher().fetch(f"{base}/hello", max_bytes=100)
    trusting = ssl.create_default_context(cafile=cert)
    trusting.sslsocket_class = regsite.deadline._tls_context().sslsocket_class
    monkeypatch.setattr(regsite.deadline, "_tls_context", lambda: trusting)
    assert UrlFetcher(config=DEADLINE).fetch(f"{base}/hello", max_bytes=100) == BODY
