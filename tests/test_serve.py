"""``regsite serve``: production headers, ETags, no listings, 404 at any depth, hostile requests."""

from __future__ import annotations

import hashlib
import random
import select
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from builder import SourceBuilder
from regsite.build import BuildOptions, build
from regsite.commands import serve
from regsite.commands.serve import ServeLimits, make_server
from regsite.errors import RegistryError
from regsite.fetch import UrlFetcher
from regsite.headers import CONTENT_SECURITY_POLICY, DEFAULT_CACHE_CONTROL
from regsite.write import SITE_MARKER
from sitecheck import is_local, scan


@contextmanager
def served(site: Path, limits: ServeLimits | None = None) -> Iterator[str]:
    """``regsite serve`` on a free loopback port, with the given limits; yields its base URL."""
    server = make_server(site, port=0, limits=limits)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def site(source: Path, tmp_path: Path) -> Path:
    """A built site of its own, for tests that change it."""
    build(BuildOptions(source=source, output=tmp_path / "site"))
    return tmp_path / "site"


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built site that tests only read."""
    tmp_path = tmp_path_factory.mktemp("shared")
    source = SourceBuilder().write(tmp_path / "source")
    build(BuildOptions(source=source, output=tmp_path / "site"))
    return tmp_path / "site"


@pytest.fixture(scope="module")
def base_url(shared_site: Path) -> Iterator[str]:
    with served(shared_site) as url:
        yield url


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Response:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=10) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Response:
    def __init__(self, status: int, headers: Message, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def exchange(base: str, data: bytes, *, pause: float = 0.0) -> tuple[int, bytes]:
    """Send raw bytes and read the whole answer; returns its status and the answer.

    With ``pause``, the bytes go one at a time, that many seconds apart, until the server answers.
    """
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=20) as connection:
        try:
            if pause:
                for byte in data:
                    connection.sendall(bytes([byte]))
                    time.sleep(pause)
                    if select.select([connection], [], [], 0)[0]:
                        break
            else:
                connection.sendall(data)
            connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed before reading everything: read the answer
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split(b" ")
    assert status_line[0] == b"HTTP/1.0", answer[:200]
    return int(status_line[1]), answer


# Bad requests get a status, never a traceback or a dropped connection ---------------------------


def test_a_request_line_over_64_kb_is_414(base_url: str) -> None:
    for size in (65_600, 1_000_000):
        status, _ = exchange(base_url, b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 414


@pytest.mark.parametrize("version", [b"HTTP/2.0", b"HTTP/2", b"HTTP/3.0", b"HTTP/0.9"])
def test_an_http_version_other_than_1_x_is_505(base_url: str, version: bytes) -> None:
    status, _ = exchange(base_url, b"GET / " + version + b"\r\nHost: x\r\n\r\n")
    assert status == 505


def test_the_http_2_connection_preface_is_505(base_url: str) -> None:
    status, _ = exchange(base_url, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    assert status == 505


def test_a_later_http_1_minor_version_is_served_as_1_1(base_url: str) -> None:
    status, _ = exchange(base_url, b"GET / HTTP/1.7\r\nHost: x\r\n\r\n")
    assert status == 200


@pytest.mark.parametrize(
    "data",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),  # a TLS hello
        b"\x80\x00\xff\xfe\r\n\r\n",
        b"\x00\x01\x02\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /\r\n\r\n",  # HTTP/0.9's form
        b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / http/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1\r\nHost: x\r\n\r\n",
        b"G\xc3\x89T / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n",  # unencoded UTF-8 in the target
        b"GET index.html HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n folded: value\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n",  # the head never ends
    ],
)
def test_bytes_that_are_not_a_well_formed_request_are_400(base_url: str, data: bytes) -> None:
    status, _ = exchange(base_url, data)
    assert status == 400


@pytest.mark.parametrize(
    "path",
    [
        "/%00",
        "/index.html%00.json",
        "/%ff",
        "/%c0%af",  # an overlong encoding of /
        "/%ed%a0%80",  # a UTF-16 surrogate
        "/%zz",
        "/abc%",
        "/%0d%0aSet-Cookie:%20x",
        "/%1b[31m",
        "/static%5c..%5cindex.html",
    ],
)
def test_a_path_that_is_not_clean_utf_8_is_400(base_url: str, path: str) -> None:
    status, answer = exchange(base_url, f"GET {path} HTTP/1.0\r\n\r\n".encode())
    assert status == 400
    assert b"Set-Cookie" not in answer.split(b"\r\n\r\n")[0]


def test_header_floods_and_over_long_headers_are_431(base_url: str) -> None:
    head = b"GET / HTTP/1.1\r\nHost: x\r\n"
    for fields in (
        b"X-A: b\r\n" * 101,  # too many fields
        b"X-A: " + b"b" * 9000 + b"\r\n",  # one line over 8 KiB
        (b"X-A: " + b"b" * 8000 + b"\r\n") * 9,  # over 64 KiB together
        b"X-A: " + b"b" * 2_000_000 + b"\r\n",
    ):
        status, _ = exchange(base_url, head + fields + b"\r\n")
        assert status == 431


def test_other_methods_are_405_with_allow(base_url: str) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "BREW"):
        status, answer = exchange(base_url, f"{method} / HTTP/1.0\r\n\r\n".encode())
        assert status == 405 and b"\r\nAllow: GET, HEAD\r\n" in answer


def test_random_bytes_always_get_an_answer(base_url: str) -> None:
    randomness = random.Random(12)  # reproducible
    pieces = [b"GET", b" ", b"/", b"%", b"HTTP/1.1", b"\r\n", b":", b"\x00", b"\xff", b"..", b"a"]
    for _ in range(150):
        data = b"".join(randomness.choice(pieces) for _ in range(randomness.randint(1, 40)))
        status, _ = exchange(base_url, data + b"\r\n\r\n")
        assert 200 <= status < 600


def test_a_slow_sender_is_cut_off_at_the_head_deadline(site: Path) -> None:
    limits = ServeLimits(head_seconds=0.5)
    with served(site, limits) as url:
        started = time.monotonic()
        status, _ = exchange(url, b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 60, pause=0.02)
        assert status == 408
        assert time.monotonic() - started < 10  # one byte at a time never resets the deadline


def test_connections_over_the_limit_get_503_at_once(site: Path) -> None:
    with served(site, ServeLimits(connections=1, head_seconds=5)) as url:
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port)) as idle:
            idle.sendall(b"GET / HTTP/1.1\r\n")  # holds the only slot while it dawdles
            time.sleep(0.2)
            status, _ = exchange(url, b"GET / HTTP/1.0\r\n\r\n")
            assert status == 503
        time.sleep(0.5)  # the slot is free again once that client is gone
        assert exchange(url, b"GET / HTTP/1.0\r\n\r\n")[0] == 200


def test_a_failure_inside_the_server_is_a_500_not_a_dropped_connection(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(serve, "_respond", broken)
    status, answer = exchange(base_url, b"GET / HTTP/1.0\r\n\r\n")
    assert status == 500 and b"a bug" not in answer


# Traversal and the decoded path -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/static/..%2f..%2f..%2f..%2fetc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/%252e%252e/etc/passwd",  # decoded once only
        "http://127.0.0.1/../../etc/passwd",
    ],
)
def test_path_traversal_is_refused(base_url: str, path: str) -> None:
    status, answer = exchange(base_url, f"GET {path} HTTP/1.0\r\n\r\n".encode())
    assert status in (400, 404) and b"root:" not in answer


def test_a_symbolic_link_out_of_the_site_is_not_followed(site: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("the secret")
    (site / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (site / "leakdir").symlink_to(tmp_path, target_is_directory=True)
    with served(site) as url:
        for path in ("/leak.txt", "/leakdir/secret.txt"):
            response = fetch(url + path)
            assert response.status == 404 and b"the secret" not in response.body


def test_header_rules_are_decided_on_the_decoded_normalised_path(
    base_url: str, shared_site: Path
) -> None:
    style = next(shared_site.glob("static/style.*.css")).name
    api = fetch(f"{base_url}/%61pi/v1/registry.json")
    assert api.status == 200 and api.headers["Access-Control-Allow-Origin"] == "*"
    assert api.headers["Content-Type"] == "application/json; charset=utf-8"
    # Through api/ to static/: a static file's rules, not api/'s CORS.
    asset = fetch(f"{base_url}/api/v1/%2e%2e/%2e%2e/static/{style}")
    assert asset.status == 200 and asset.headers["Access-Control-Allow-Origin"] is None
    assert "immutable" in asset.headers["Cache-Control"]
    # Through static/ to api/: api/'s rules, not a year of caching.
    document = fetch(f"{base_url}/static/..%2fapi/v1/registry.json")
    assert document.status == 200 and document.headers["Access-Control-Allow-Origin"] == "*"
    assert document.headers["Cache-Control"] == DEFAULT_CACHE_CONTROL


# Headers, ETags and conditional requests ----------------------------------------------------------


def test_serves_pages_and_json_with_production_headers(base_url: str) -> None:
    page = fetch(f"{base_url}/packages/beta/index.html")
    assert page.status == 200 and b"<h1>beta" in page.body
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == DEFAULT_CACHE_CONTROL
    document = fetch(f"{base_url}/api/v1/packages/beta.json")
    assert document.status == 200
    assert document.headers["Content-Type"] == "application/json; charset=utf-8"
    assert document.headers["Access-Control-Allow-Origin"] == "*"
    assert fetch(f"{base_url}/").headers["Server"] == "regsite"  # no Python version


def test_files_carry_a_strong_etag_that_is_their_sha256(base_url: str, shared_site: Path) -> None:
    response = fetch(f"{base_url}/api/v1/registry.json")
    digest = hashlib.sha256((shared_site / "api/v1/registry.json").read_bytes()).hexdigest()
    assert response.headers["ETag"] == f'"{digest}"'
    assert response.headers["Last-Modified"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match_gives_304(base_url: str, method: str) -> None:
    url = f"{base_url}/api/v1/registry.json"
    etag = fetch(url).headers["ETag"]
    for condition in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = fetch(url, {"If-None-Match": condition}, method)
        assert response.status == 304 and response.body == b""
        assert response.headers["ETag"] == etag
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Type"] is None
    assert fetch(url, {"If-None-Match": '"other"'}, method).status == 200


def test_if_modified_since_gives_304_unless_if_none_match_disagrees(base_url: str) -> None:
    url = f"{base_url}/index.html"
    later = formatdate(time.time() + 3600, usegmt=True)
    earlier = formatdate(time.time() - 30 * 86400, usegmt=True)
    assert fetch(url, {"If-Modified-Since": later}).status == 304
    assert fetch(url, {"If-Modified-Since": earlier}).status == 200
    assert fetch(url, {"If-Modified-Since": "not a date"}).status == 200
    # If-None-Match decides when both are sent (RFC 9110 13.1.3).
    assert fetch(url, {"If-Modified-Since": later, "If-None-Match": '"x"'}).status == 200


def test_head_sends_the_get_headers_without_a_body(base_url: str) -> None:
    url = f"{base_url}/api/v1/registry.json"
    got, head = fetch(url), fetch(url, method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == str(len(got.body))
    assert head.headers["ETag"] == got.headers["ETag"]
    assert fetch(f"{base_url}/nope", method="HEAD").body == b""


def test_a_changed_file_gets_a_new_etag(site: Path) -> None:
    with served(site) as base_url:
        url = f"{base_url}/api/v1/names.json"
        before = fetch(url).headers["ETag"]
        replacement = site / "api/v1/names.json.new"
        replacement.write_bytes(b'{"changed": true}\n')
        replacement.replace(site / "api/v1/names.json")  # as a build replaces it
        after = fetch(url, {"If-None-Match": before})
    assert after.status == 200 and after.body == b'{"changed": true}\n'
    assert after.headers["ETag"] != before


def test_the_regsite_client_revalidates_with_304(base_url: str, tmp_path: Path) -> None:
    fetcher = UrlFetcher(cache_dir=tmp_path / "cache")
    url = f"{base_url}/api/v1/registry.json"
    first, cached_first = fetcher.fetch_with_status(url, 1_000_000)
    second, cached_second = fetcher.fetch_with_status(url, 1_000_000)
    assert (cached_first, cached_second) == (False, True) and first == second


# Folders, 404 ------------------------------------------------------------------------------------


def test_a_folder_redirects_to_its_slash_and_serves_its_index(base_url: str) -> None:
    redirect = fetch(f"{base_url}/packages/beta?tab=files")
    assert redirect.status == 301
    assert redirect.headers["Location"] == "/packages/beta/?tab=files"
    page = fetch(f"{base_url}/packages/beta/")
    assert page.status == 200 and b"<h1>beta" in page.body
    assert fetch(f"{base_url}/").status == 200


def test_a_redirect_never_leaves_the_site(base_url: str) -> None:
    for target in ("//packages/beta", "//evil.example/%2e%2e/packages/beta"):
        status, answer = exchange(base_url, f"GET {target} HTTP/1.0\r\n\r\n".encode())
        assert status == 301 and b"\r\nLocation: /packages/beta/\r\n" in answer


def test_a_folder_without_index_html_is_404_not_a_listing(base_url: str) -> None:
    for path in ("/static/", "/static", "/api/v1/", "/api/v1/packages/", "/metadata/"):
        response = fetch(base_url + path)
        assert response.status == 404, path
        assert b"Page not found" in response.body and b"Directory listing" not in response.body


def test_a_file_asked_for_as_a_folder_is_404(base_url: str) -> None:
    assert fetch(f"{base_url}/index.html/").status == 404


def test_a_404_is_never_cached(base_url: str) -> None:
    response = fetch(f"{base_url}/static/style.0000000000.css")
    assert response.status == 404 and response.headers["Cache-Control"] == "no-store"


def test_refuses_a_directory_that_is_not_a_site(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not a built site"):
        make_server(tmp_path)


MISSING = ["/nope", "/nope/", "/a/b/c/d/e", "/packages/nope/x/y/", "/static/x/y.css", "/%C3%A9/x"]


def assert_404_page_loads_everything(url: str) -> None:
    """Fetch a missing path; every link and asset of the 404 page, resolved against the
    address it was served at, must load."""
    response = fetch(url)
    assert response.status == 404 and b"Page not found" in response.body
    assert b"<base" not in response.body  # it would send the skip link to another page
    page = scan(response.body)
    targets = [*page.links, *page.loads]
    assert page.loads and len(page.links) > 3
    for target in (t for t in targets if is_local(t)):
        if target.startswith("#"):  # in-page (the skip link): an element of this page
            assert f'id="{target[1:]}"'.encode() in response.body, target
            continue
        resolved = urljoin(url, target).partition("#")[0]
        assert fetch(resolved).status == 200, (url, target, resolved)


@pytest.fixture(scope="module")
def site_at_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site built without a base URL, served; yields its address."""
    builder = SourceBuilder()
    del builder.registry["registry"]["base-url"]
    tmp_path = tmp_path_factory.mktemp("root")
    build(BuildOptions(source=builder.write(tmp_path / "source"), output=tmp_path / "site"))
    with served(tmp_path / "site") as url:
        yield url


@pytest.mark.parametrize("path", MISSING)
def test_the_404_page_loads_its_links_and_assets_at_any_depth(site_at_root: str, path: str) -> None:
    assert_404_page_loads_everything(site_at_root + path)


@pytest.mark.parametrize("path", MISSING)
def test_the_404_page_of_a_site_under_a_subpath_loads_its_links(
    source: Path, tmp_path: Path, path: str
) -> None:
    # GitHub Pages' project sites: the site lives at /repo/, and its 404.html is served for
    # anything missing there.  The host's root is another site of the same owner.
    host = tmp_path / "host"
    base_url = "https://user.github.io/repo/"
    build(BuildOptions(source=source, output=host / "repo", base_url=base_url))
    (host / SITE_MARKER).parent.mkdir(parents=True)
    shutil.copy(host / "repo" / SITE_MARKER, host / SITE_MARKER)
    shutil.copy(host / "repo/404.html", host / "404.html")
    with served(host) as url:
        assert_404_page_loads_everything(f"{url}/repo{path}")
