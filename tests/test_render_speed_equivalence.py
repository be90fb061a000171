"""The fast paths of the model and render stages give exactly what the plain code gave.

``url_problem`` accepts most URLs with one regular expression before it falls back to
``urlsplit``; the package page reads release rows formatted once in Python instead of formatting
every value in Jinja. These tests hold both to the behaviour they replaced.
"""

from __future__ import annotations

import random
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from builder import SourceBuilder, release
from regsite.build import BuildOptions, build_files
from regsite.fields import MAX_URL_LENGTH, url_problem


def url_problem_by_urlsplit(url: str) -> str | None:
    """``url_problem`` as it was before its fast path: every URL through ``urlsplit``."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL is {len(url)} characters long; at most {MAX_URL_LENGTH} are allowed"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"not a valid URL: {url[:80]!r}"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"expected an absolute http(s) URL, found {url[:80]!r}"
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        return "URL contains spaces or control characters"
    return None


URLS = [
    "https://files.example.org/a/b-1.0.tar.gz",
    "http://example.org",
    "https://example.org:8443/x?y=1#z",
    "https://example.org:/x",
    "https://a",
    "https://-/",
    "https://...",
    "HTTPS://EXAMPLE.ORG/x",
    "hTTp://example.org",
    "https:/example.org",
    "https:example.org",
    "https://",
    "https:///path",
    "https://?q",
    "https://#f",
    "https://user:pw@example.org/",
    "https://[::1]/x",
    "https://[::1/x",
    "https://::1]/x",
    "https://[v1.x]/",
    "https://[127.0.0.1]/",
    "https://exa mple.org/",
    "https://example.org/a b",
    " https://example.org/",
    "https://example.org/ ",
    "\thttps://example.org/",
    "https://example.org/\n",
    "https://ex\tample.org/",
    "https://example.org/\x7f",
    "https://example.org/\x00",
    "https://exämple.org/",
    "https://example.org/ünïcode",
    "https://example.org/\u00a0",
    "https://ex\u2100ample.org/",
    "https://example.org\\evil.org/",
    "https://example.org_x/",
    "https://example.org%2F/",
    "ftp://example.org/",
    "javascript:alert(1)",
    "//example.org/x",
    "data:text/html,x",
    "",
    "https://example.org/" + "a" * (MAX_URL_LENGTH - 20),
    "https://example.org/" + "a" * MAX_URL_LENGTH,
]


@pytest.mark.parametrize("url", URLS)
def test_url_problem_matches_urlsplit_on_edge_cases(url: str) -> None:
    assert url_problem(url) == url_problem_by_urlsplit(url)


def test_url_problem_matches_urlsplit_on_every_character_in_every_part() -> None:
    template = "https://host.example:80/path/file.tar.gz?query=1#fragment"
    for char in map(chr, [*range(0x80), 0xA0, 0xE9, 0x2100, 0x3000, 0xFF0F]):
        for position in range(len(template) + 1):
            url = template[:position] + char + template[position:]
            assert url_problem(url) == url_problem_by_urlsplit(url), url


def test_url_problem_matches_urlsplit_on_random_urls() -> None:
    pieces = ["http", "https", "HTTP", ":", "//", "/", "?", "#", "@", "[", "]", ".", "-", "a", "1"]
    pieces += [" ", "\t", "\x00", "\x7f", "é", "%20", "example.org", ":8080", "\\"]
    rng = random.Random(5)
    for _ in range(20_000):
        url = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        assert url_problem(url) == url_problem_by_urlsplit(url), url


# A theme whose package page formats each release in Jinja, the way the default theme did before
# it read release rows, next to the rows themselves: the two halves must agree.
EACH_RELEASE_TWICE = """\
{% for release in package.releases %}
{{ release.version }}|{{ release.version.is_prerelease }}|{{ date(release.published) }}|\
{{ release.status.value }}|{{ release.status_reason }}|{{ release.artifacts | length }}
{% for artifact in release.artifacts %}
{{ artifact.url }}|{{ artifact.filename }}|{{ filesize(artifact.size) }}|{{ artifact.sha256 }}
{% endfor %}
{% for dependency in release.requires %}
{{ root }}{{ page_path(dependency.name) }}|{{ dependency.name }}|\
{{ dependency.specifier.written or "any version" }}
{% endfor %}
{% endfor %}
{% if latest %}{% for dependency in latest.requires %}{{ dependency.name }}
{% endfor %}{% endif %}
===
{% for row in release_rows %}
{{ row.version }}|{{ row.prerelease }}|{{ row.published }}|\
{{ row.status }}|{{ row.release.status_reason }}|{{ row.files | length }}
{% for file in row.files %}
{{ file.url }}|{{ file.filename }}|{{ file.size }}|{{ file.sha256 }}
{% endfor %}
{% for dependency in row.requires %}
{{ dependency.href }}|{{ dependency.name }}|{{ dependency.specifier or "any version" }}
{% endfor %}
{% endfor %}
{% if latest %}{% for dependency in latest_row.requires %}{{ dependency.name }}
{% endfor %}{% endif %}
"""


def many_sided_source(builder: SourceBuilder, root: Path) -> Path:
    reason = {"status-reason": "CVE <script>alert(1)</script> & \"quotes\" 'too'"}
    builder.add_package(
        "gamma",
        ["alice"],
        [
            release("gamma", "2.0.0rc1", 9, requires={"alpha": "*", "beta": " >=0.1 , !=0.5,<1"}),
            release("gamma", "1.5.0", 8, status="insecure", requires={"alpha": "*"}, **reason),
            release("gamma", "1.4.0", 7, status="deprecated", **reason),
            release("gamma", "1.3.0", 6, status="yanked", **reason),
            release("gamma", "1!0.1.post2.dev3+local.7", 5, requires={"beta": "==0.9.*"}),
        ],
    )
    for name in ("zeta", "eta"):
        builder.add_package(name, ["bob"], [release(name, "1.0", 2, requires={"gamma": ">=1"})])
    odd = release("theta", "3.0", 10)
    urls = [
        "https://files.example.org/theta/theta%20three-3.0.tar.gz?download=1#frag",
        "https://files.example.org",
        "HTTPS://Files.Example.org:8443/a/b/",
        "https://user@files.example.org/ünïcode/f.whl",
        "http://x/a&b<c>\"d'.tgz",
    ]
    sizes = [0, 999, 1000, 123_456_789, 10**13]
    odd["artifact"] = [
        {**odd["artifact"][0], "url": url, "size": size}
        for url, size in zip(urls, sizes, strict=True)
    ]
    builder.add_package("theta", ["alice"], [odd])
    return builder.write(root)


@pytest.mark.parametrize("package", ["alpha", "beta", "gamma", "theta"])
def test_release_rows_show_what_the_template_formatted_itself(
    builder: SourceBuilder, tmp_path: Path, package: str
) -> None:
    source = many_sided_source(builder, tmp_path / "source")
    theme_dir = tmp_path / "theme"
    theme_dir.mkdir()
    (theme_dir / "package.html").write_text(EACH_RELEASE_TWICE)
    options = BuildOptions(source=source, output=tmp_path / "out", theme=theme_dir)
    page = build_files(options)[f"packages/{package}/index.html"].decode()
    in_jinja, from_rows = page.split("===\n")
    assert in_jinja.strip() and in_jinja == from_rows
