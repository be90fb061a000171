"""Package and release pages (issue 16, points 1, 4 and 6): a page per release, the version
picker, install lines with copy buttons, deprecation notices, dependency ranges as written, the
transitive count, "used by" ranges, the version badge and link previews."""

from __future__ import annotations

import dataclasses
import re
import urllib.request
from pathlib import Path

import pytest

from builder import SourceBuilder, release
from conftest import serving
from regsite.assemble import TRANSITIVE_LIMIT, transitive_counts
from regsite.build import BuildOptions, build, build_files
from regsite.headers import content_security_policy, header_rules, rule_headers
from regsite.outputs import page_inputs
from regsite.render.markdown import render_inline
from regsite.summary import PackageSummary
from regsite.theme import load_theme
from regsite.versions import scheme_named
from sitecheck import scan
from test_validation import build_with


def render(source: Path) -> dict[str, str]:
    files = build_files(BuildOptions(source=source, output=source.parent / "out"))
    return {
        path: content.decode()
        for path, content in files.items()
        if path.endswith((".html", ".svg"))
    }


@pytest.fixture
def chain(builder: SourceBuilder) -> SourceBuilder:
    """alpha <- beta (">=1.0,<2") <- gamma ("*"); delta required alpha only in an old release."""
    builder.add_package("gamma", ["alice"], [release("gamma", "2.0.0", 4, requires={"beta": "*"})])
    builder.add_package(
        "delta",
        ["alice"],
        [release("delta", "1.0.0", 5, requires={"alpha": "<1.1"}), release("delta", "2.0.0", 6)],
    )
    builder.packages["alpha"]["release"][1] |= {"status": "yanked", "status-reason": "Broke `x`."}
    return builder


def test_every_release_has_its_own_compact_page(chain: SourceBuilder, tmp_path: Path) -> None:
    pages = render(chain.write(tmp_path / "source"))
    assert {path for path in pages if path.startswith("packages/alpha/")} == {
        "packages/alpha/index.html",
        "packages/alpha/1.0.0/index.html",
        "packages/alpha/1.1.0/index.html",
        "packages/alpha/badge.svg",
    }
    page = pages["packages/beta/0.9.0/index.html"]
    assert "<title>beta 0.9.0 · Test Registry</title>" in page
    assert f"sha256:{chain.packages['beta']['release'][0]['artifact'][0]['sha256']}" in page
    assert (
        '<a href="../../../packages/alpha/index.html">alpha</a> <code>&gt;=1.0,&lt;2</code>' in page
    )
    assert '<a href="../index.html">beta</a>' in page  # back to the package
    assert len(page) < 5_000  # no README, no list of every release


def test_a_yanked_release_says_so_on_its_own_page(chain: SourceBuilder, tmp_path: Path) -> None:
    page = render(chain.write(tmp_path / "source"))["packages/alpha/1.1.0/index.html"]
    notice = re.search(r'<div class="notice notice-yanked" role="note">(.*?)</div>', page)
    assert notice is not None
    assert "<strong>This release is yanked.</strong> Broke <code>x</code>." in notice.group(1)
    assert "tool add alpha@1.1.0" not in page  # no install line for a yanked release
    assert 'The latest release is <a href="../1.0.0/">1.0.0</a>' in page


def test_version_numbers_link_to_release_pages_and_rows_are_anchors(
    chain: SourceBuilder, tmp_path: Path
) -> None:
    page = render(chain.write(tmp_path / "source"))["packages/alpha/index.html"]
    assert re.search(r'<tr id="v1.0.0">\s*<th scope="row"><a href="1.0.0/">1.0.0</a>', page)
    assert '<tr id="v1.1.0" class="status-yanked">' in page
    assert ">active<" not in page  # the status column marks only what is not active
    picker = re.search(r'<details class="picker">(.*?)</details>', page, re.S)
    assert picker is not None
    assert re.findall(r'<a href="([^"]+)"', picker.group(1)) == ["1.1.0/", "1.0.0/"]


def test_install_lines_come_first_with_a_copy_button(source: Path) -> None:
    page = render(source)["packages/beta/index.html"]
    facts, readme = page.index('class="package-facts"'), page.index('class="readme"')
    assert facts < readme  # first in the page, so first on a phone too
    command = '<div class="command"><pre><code>tool add beta@0.9.0</code></pre>'
    assert (
        command
        + '<button type="button" class="copy" aria-label="Copy: tool add beta@0.9.0" hidden>'
        in page
    )
    assert '<p id="copy-status" class="visually-hidden" role="status"></p>' in page
    assert "<dt>License</dt><dd>MIT</dd>" in page[facts:readme]


def test_a_deprecation_notice_is_markdown_links_its_successor_and_hides_the_install_line(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.packages["alpha"]["package"] |= {
        "status": "deprecated",
        "status-reason": "Use `beta`; see <https://example.org/why> <b>now</b>.",
        "successor": "beta",
    }
    page = render(builder.write(tmp_path / "source"))["packages/alpha/index.html"]
    notice = re.search(
        r'<div class="notice notice-deprecated" role="note"><p>(.*?)</p></div>', page
    )
    assert notice is not None
    assert notice.group(1) == (
        "<strong>Deprecated.</strong> Use <code>beta</code>; see "
        '<a href="https://example.org/why" rel="nofollow noopener noreferrer">https://example.org/why</a>'
        ' &lt;b&gt;now&lt;/b&gt;. Use <a href="../../packages/beta/index.html">beta</a> instead.'
    )
    assert '<details class="install-anyway"><summary>Install anyway</summary>' in page


@pytest.mark.parametrize(
    ("package", "successor", "problem"),
    [
        ("alpha", "Beta", "package.successor: name 'Beta' is not normalised"),
        ("alpha", "alpha", "package.successor: names the package itself"),
        ("beta", "alpha", "package.successor: given, but status is not 'deprecated'"),
    ],
)
def test_a_successor_is_a_name_given_only_when_deprecated(
    builder: SourceBuilder, tmp_path: Path, package: str, successor: str, problem: str
) -> None:
    def mutate(source: SourceBuilder) -> None:
        meta = source.packages[package]["package"]
        meta["successor"] = successor
        if package == "alpha":
            meta |= {"status": "deprecated", "status-reason": "Old."}

    problems = build_with(builder, tmp_path, mutate)
    assert any(problem in found for found in problems), problems


def test_specifiers_read_as_people_write_them() -> None:
    pep440 = scheme_named("pep440")
    assert pep440.parse_specifier("<2,>=1.0").written == ">=1.0,<2"
    assert pep440.parse_specifier("<2,!=1.5.*,>=1.10,>=1.9").written == ">=1.9,>=1.10,!=1.5.*,<2"
    assert pep440.parse_specifier("").written == ""
    semver = scheme_named("semver")
    assert semver.parse_specifier(">=1.2, <2").written == ">=1.2, <2"
    assert semver.parse_specifier("*").written == ""


def test_used_by_shows_the_ranges_dependents_use(chain: SourceBuilder, tmp_path: Path) -> None:
    pages = render(chain.write(tmp_path / "source"))
    used_by = pages["packages/alpha/index.html"].split('id="rdeps-title"')[1].split("</section>")[0]
    assert (
        '<a href="../../packages/beta/index.html">beta</a> <code>&gt;=1.0,&lt;2</code>' in used_by
    )
    assert (
        '<a href="../../packages/delta/index.html">delta</a> <span class="muted">(older releases only)</span>'
        in used_by
    )
    beta = pages["packages/beta/index.html"]
    assert '<a href="../../packages/gamma/index.html">gamma</a> <code>any version</code>' in beta


def test_a_release_page_lists_the_dependents_whose_range_admits_it(
    chain: SourceBuilder, tmp_path: Path
) -> None:
    chain.add_package(
        "epsilon", ["bob"], [release("epsilon", "1.0.0", 7, requires={"alpha": "<1.1"})]
    )
    pages = render(chain.write(tmp_path / "source"))
    older = pages["packages/alpha/1.0.0/index.html"].split('id="rdeps-title"')[1]
    newer = pages["packages/alpha/1.1.0/index.html"].split('id="rdeps-title"')[1]
    assert ">beta</a>" in older and ">epsilon</a>" in older
    assert ">beta</a>" in newer and ">epsilon</a>" not in newer


def test_the_transitive_count_follows_latest_releases(chain: SourceBuilder, tmp_path: Path) -> None:
    pages = render(chain.write(tmp_path / "source"))
    assert "2 packages in all, with their dependencies." in pages["packages/gamma/index.html"]
    assert "in all" not in pages["packages/beta/index.html"]  # only its one direct dependency


def summary(name: str, uses: tuple[str, ...]) -> PackageSummary:
    return PackageSummary(
        name=name, description="", keywords=(), status=None, latest=None, newest=None, first=None,  # type: ignore[arg-type]
        versions=(), yanked=(), depends_on=uses, targets=uses, headings=(), source_path="",
        signers=(), key=b"", requirements_digest=b"", search_digest=b"",
        uses=tuple((use, "") for use in uses),
    )  # fmt: skip


def test_transitive_counts_survive_cycles_and_stop_at_their_limit() -> None:
    packages = {
        "a": summary("a", ("b",)),
        "b": summary("b", ("c",)),
        "c": summary("c", ("a",)),
        "lone": summary("lone", ()),
    }
    assert transitive_counts(packages) == {"a": 2, "b": 2, "c": 2}
    long_chain = {f"p{i}": summary(f"p{i}", (f"p{i + 1}",)) for i in range(TRANSITIVE_LIMIT + 50)}
    assert transitive_counts(long_chain)["p0"] == TRANSITIVE_LIMIT


def test_the_version_badge_is_small_deterministic_and_titled(
    chain: SourceBuilder, tmp_path: Path
) -> None:
    first = render(chain.write(tmp_path / "a"))["packages/alpha/badge.svg"]
    assert first == render(chain.write(tmp_path / "b"))["packages/alpha/badge.svg"]
    assert len(first) < 1_000
    assert (
        'role="img" aria-label="alpha on testreg: 1.0.0"><title>alpha on testreg: 1.0.0</title>'
        in first
    )
    assert "<script" not in first and "href" not in first


def test_package_and_release_pages_carry_open_graph_and_canonical_links(source: Path) -> None:
    pages = render(source)
    release_page = pages["packages/beta/0.9.0/index.html"]
    url = "https://registry.example.org/sub/packages/beta/0.9.0/"
    assert f'<link rel="canonical" href="{url}">' in release_page
    assert f'<meta property="og:url" content="{url}">' in release_page
    assert '<meta property="og:title" content="beta 0.9.0 · Test Registry">' in release_page
    package_page = pages["packages/beta/index.html"]
    assert '<meta property="og:description" content="The beta package.">' in package_page
    badge = "[![beta](https://registry.example.org/sub/packages/beta/badge.svg)](https://registry.example.org/sub/packages/beta/)"
    assert f"<code>{badge}</code>" in package_page


def test_without_a_base_url_there_are_no_open_graph_tags(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    del builder.registry["registry"]["base-url"]
    page = render(builder.write(tmp_path / "source"))["packages/beta/index.html"]
    assert "og:" not in page and 'rel="canonical"' not in page


def test_allowed_image_hosts_show_readme_images_and_join_the_csp(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.registry["registry"]["readme-image-hosts"] = ["img.shields.io"]
    readme = "![ci](https://img.shields.io/badge/ci-ok-green) ![x](https://evil.example/x.png)\n"
    builder.add_package("gamma", ["alice"], [release("gamma", "1.0.0")], readme=readme)
    page = render(builder.write(tmp_path / "source"))["packages/gamma/index.html"]
    assert '<img src="https://img.shields.io/badge/ci-ok-green" alt="ci" loading="lazy">' in page
    assert (
        '<a href="https://evil.example/x.png" rel="nofollow noopener noreferrer" class="readme-image">x</a>'
        in page
    )
    assert "img-src &#39;self&#39; https://img.shields.io;" in page
    assert scan(page.encode()).loads.count("https://img.shields.io/badge/ci-ok-green") == 1


@pytest.mark.parametrize(
    "host", ["https://img.shields.io", "IMG.example.org", "*.example.org", "localhost", "a.b:443"]
)
def test_an_image_host_must_be_a_plain_host_name(
    builder: SourceBuilder, tmp_path: Path, host: str
) -> None:
    def mutate(source: SourceBuilder) -> None:
        source.registry["registry"]["readme-image-hosts"] = ["ok.example.org", host]

    problems = build_with(builder, tmp_path, mutate)
    expected = f'registry.readme-image-hosts[1]: expected a lower-case host name such as "img.shields.io", found {host!r}'
    assert any(expected in problem for problem in problems), problems


def test_the_header_table_allows_the_same_image_hosts() -> None:
    policy = rule_headers("/packages/x/", header_rules(["b.example", "a.example"]))[
        "Content-Security-Policy"
    ]
    assert policy == content_security_policy(["a.example", "b.example"])
    assert "img-src 'self' https://a.example https://b.example;" in policy
    assert "img-src 'self';" in rule_headers("/packages/x/")["Content-Security-Policy"]


def test_status_reasons_render_inline_and_safely() -> None:
    html = render_inline("Use `x`. [js](javascript:alert(1)) <script>y</script> *now*")
    assert (
        html
        == "Use <code>x</code>. [js](javascript:alert(1)) &lt;script&gt;y&lt;/script&gt; <em>now</em>"
    )


def test_regsite_serve_allows_the_image_hosts_the_site_publishes(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.registry["registry"]["readme-image-hosts"] = ["img.shields.io"]
    source = builder.write(tmp_path / "source")
    output = tmp_path / "site"
    build(BuildOptions(source=source, output=output))
    with serving(output) as url, urllib.request.urlopen(f"{url}/packages/beta/") as response:
        policy = response.headers["Content-Security-Policy"]
    assert policy == content_security_policy(["img.shields.io"])


def test_without_release_pages_versions_link_to_their_rows(
    chain: SourceBuilder, tmp_path: Path
) -> None:
    chain.registry["registry"]["release-pages"] = False
    output = build_files(BuildOptions(source=chain.write(tmp_path / "s"), output=tmp_path / "o"))
    assert not [path for path in output if re.fullmatch(r"packages/[^/]+/[^/]+/index\.html", path)]
    page = output["packages/alpha/index.html"].decode()
    assert re.search(r'<tr id="v1.0.0">\s*<th scope="row"><a href="#v1.0.0">1.0.0</a>', page)
    assert '<dt>Latest</dt><dd><a href="#v1.0.0">1.0.0</a>' in page
    picker = re.search(r'<details class="picker">(.*?)</details>', page, re.S)
    assert picker is not None
    assert re.findall(r'<a href="([^"]+)"', picker.group(1)) == ["#v1.1.0", "#v1.0.0"]
    assert "/1.0.0/" not in output["sitemap.xml"].decode()
    assert "packages/alpha/</loc>" in output["sitemap.xml"].decode()


def test_turning_release_pages_off_renders_the_packages_again(
    chain: SourceBuilder, tmp_path: Path
) -> None:
    options = BuildOptions(source=tmp_path / "s", output=tmp_path / "o", cache=tmp_path / "c")
    chain.write(options.source)
    build(options)
    assert (options.output / "packages/alpha/1.0.0/index.html").is_file()
    chain.registry["registry"]["release-pages"] = False
    chain.write(options.source)
    build(options)
    assert not (options.output / "packages/alpha/1.0.0").exists()
    page = (options.output / "packages/alpha/index.html").read_text()
    assert '<a href="#v1.0.0">1.0.0</a>' in page  # rendered again, not taken from the memo


def test_release_pages_are_part_of_every_packages_render_key(source: Path) -> None:
    registry = build(BuildOptions(source=source, output=source.parent / "out")).site.registry
    assert registry.release_pages  # the default
    theme = load_theme()
    without = dataclasses.replace(registry, release_pages=False)
    assert page_inputs(registry, theme, "alpha") != page_inputs(without, theme, "alpha")


def test_release_pages_must_be_a_boolean(builder: SourceBuilder, tmp_path: Path) -> None:
    def mutate(source: SourceBuilder) -> None:
        source.registry["registry"]["release-pages"] = "no"

    problems = build_with(builder, tmp_path, mutate)
    assert any(
        "registry.toml" in found
        and "registry.release-pages" in found
        and "expected true or false, found" in found
        for found in problems
    ), problems
