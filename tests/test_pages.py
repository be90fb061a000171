"""The site around the package pages: listings, owner and keyword pages, the home page's bounded
lists, sitemap.xml and robots.txt, canonical and Open Graph tags, and the feed link."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from builder import SourceBuilder, release
from regsite.assemble import Site
from regsite.build import BuildOptions, build, build_files
from regsite.render import browse
from regsite.render.browse import listing_path
from regsite.render.browse_pages import browse_pages
from regsite.render.crawl import crawler_files
from regsite.render.html import site_pages
from regsite.theme import load_theme
from sitecheck import scan
from test_render import check_golden

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def many(builder: SourceBuilder, count: int) -> SourceBuilder:
    """``count`` more packages owned by bob, each depending on alpha, published on days 1-28."""
    for number in range(count):
        name = f"pkg-{number:03d}"
        releases = [release(name, "1.0.0", number % 28 + 1, requires={"alpha": ">=1"})]
        builder.add_package(name, ["bob"], releases, keywords=["testing", f"k{number % 3}"])
    return builder


def site_of(source: Path, tmp_path: Path) -> Site:
    return build(BuildOptions(source=source, output=tmp_path / "built")).site


def text(html: bytes) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode())).strip()


def test_golden_listing_owner_and_keyword_pages(source: Path) -> None:
    output = build_files(BuildOptions(source=source, output=source.parent / "out"))
    check_golden("browse-name-1.html", output["browse/name/1.html"])
    check_golden("owner-bob.html", output["owners/bob/index.html"])
    check_golden("keyword-testing.html", output["keywords/testing/index.html"])


def test_an_owner_page_lists_packages_keys_and_since_when(source: Path) -> None:
    output = build_files(BuildOptions(source=source, output=source.parent / "out"))
    page = text(output["owners/alice/index.html"])
    assert "Alice Example (alice)" in page
    assert "1 package, publishing since 2026-01-01" in page
    assert re.search(r"SHA256:[A-Za-z0-9+/]{43} ed25519", page)
    assert scan(output["owners/alice/index.html"]).links.count("../../packages/alpha/index.html")


def test_package_pages_link_keywords_and_owners(source: Path) -> None:
    output = build_files(BuildOptions(source=source, output=source.parent / "out"))
    links = scan(output["packages/beta/index.html"]).links
    assert "../../keywords/testing/index.html" in links
    assert "../../owners/bob/index.html" in links


def test_listings_are_paged_sorted_and_linked(
    builder: SourceBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browse, "PAGE_SIZE", 4)
    site = site_of(many(builder, 9).write(tmp_path / "source"), tmp_path)
    pages = {page.path: page.content for page in browse_pages(site, load_theme())}
    for sort in browse.SORTS:  # 11 packages, 4 to a page
        assert {listing_path(sort, n) for n in (1, 2, 3)} <= pages.keys()
        assert listing_path(sort, 4) not in pages
    names = [
        re.findall(
            r'<li[^>]*><a href="../../packages/[^"]+">([^<]+)<',
            pages[listing_path(sort, 1)].decode(),
        )
        for sort in ("name", "recent", "depended")
    ]
    assert names[0] == ["alpha", "beta", "pkg-000", "pkg-001"]
    assert names[1] == ["pkg-008", "pkg-007", "pkg-006", "pkg-005"]  # newest release first
    assert names[2][0] == "alpha"  # every other package depends on it
    second = scan(pages[listing_path("name", 2)])
    assert {"1.html", "3.html"} <= set(second.links)
    assert "../recent/1.html" in second.links and "../depended/1.html" in second.links
    # The keyword pages are paged alike: 10 packages say "testing" (beta and nine more).
    assert {"keywords/testing/index.html", "keywords/testing/3.html"} <= pages.keys()


def test_a_pager_links_ends_and_neighbours_not_every_page() -> None:
    pager = browse._pager(50, 400, lambda n: listing_path("name", n))
    assert [link.number for link in pager.links] == [1, 48, 49, 50, 51, 52, 400]
    assert (pager.previous, pager.next) == ("49.html", "51.html")


def test_the_name_listing_marks_where_each_initial_starts(
    builder: SourceBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browse, "PAGE_SIZE", 4)
    site = site_of(many(builder, 9).write(tmp_path / "source"), tmp_path)
    assert browse.initials(site) == {"a": 1, "b": 1, "p": 1}
    pages = {page.path: page.content.decode() for page in browse_pages(site, load_theme())}
    assert pages[listing_path("name", 1)].count('id="initial-') == 3
    assert 'id="initial-' not in pages[listing_path("name", 2)]  # p continues from page 1


def test_the_home_page_lists_are_bounded(builder: SourceBuilder, tmp_path: Path) -> None:
    site = site_of(many(builder, 30).write(tmp_path / "source"), tmp_path)
    home = site_pages(site, load_theme())["index.html"].decode()
    assert home.count('class="version"') <= 12 + browse.HOME_LIST  # recent + most depended upon
    assert "pkg-029" not in home.split("Most depended upon")[1]  # not every package
    assert 'href="browse/name/1.html"' in home and 'href="browse/depended/1.html"' in home


def test_sitemap_lists_every_page_with_its_date(source: Path) -> None:
    output = build_files(BuildOptions(source=source, output=source.parent / "out"))
    root = ET.fromstring(output["sitemap.xml"])
    dated = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.iter(f"{SITEMAP}url")
    }
    base = "https://registry.example.org/sub/"
    assert dated[base + "packages/alpha/"] == "2026-01-02"  # its newest release
    assert dated[base + "packages/beta/"] == "2026-01-03"
    assert dated[base] == "2026-01-03"
    html = {p.removesuffix("index.html") for p in output if p.endswith(".html")} - {"404.html"}
    releases = {p for p in html if re.fullmatch(r"packages/[^/]+/[^/]+/", p)}
    assert releases and {base + path for path in html} == set(dated)
    assert dated[base + "packages/alpha/1.0.0/"] == "2026-01-02"  # the package's newest release
    assert output["robots.txt"] == f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n".encode()


def test_a_large_sitemap_becomes_an_index(source: Path, tmp_path: Path) -> None:
    site = site_of(source, tmp_path)
    pages = [(f"browse/name/{n}.html", site.updated) for n in range(1, 4)]
    # 3 listing pages, 2 package pages and 3 release pages
    output = crawler_files(site, pages, limit=2)
    index = ET.fromstring(output["sitemap.xml"])
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    base = "https://registry.example.org/sub/"
    assert parts == [f"{base}sitemaps/{n}.xml" for n in (1, 2, 3, 4)]
    counts = [len(ET.fromstring(output[f"sitemaps/{n}.xml"])) for n in (1, 2, 3, 4)]
    assert counts == [2, 2, 2, 2]


def test_without_a_base_url_no_sitemap_canonical_or_open_graph(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    del builder.registry["registry"]["base-url"]
    output = build_files(BuildOptions(source=builder.write(tmp_path / "s"), output=tmp_path / "o"))
    assert "sitemap.xml" not in output
    assert output["robots.txt"] == b"User-agent: *\nAllow: /\n"
    for path in ("index.html", "browse/name/1.html", "owners/bob/index.html"):
        assert b'rel="canonical"' not in output[path] and b"og:" not in output[path]


def test_site_pages_carry_canonical_and_open_graph_tags(source: Path) -> None:
    output = build_files(BuildOptions(source=source, output=source.parent / "out"))
    page = output["keywords/testing/index.html"].decode()
    url = "https://registry.example.org/sub/keywords/testing/"
    assert f'<link rel="canonical" href="{url}">' in page
    assert f'<meta property="og:url" content="{url}">' in page
    assert '<meta property="og:title" content="Packages about testing · Test Registry">' in page
    assert '<meta property="og:description" content="2 packages with the keyword testing.">' in page
    home = output["index.html"].decode()
    assert '<meta property="og:description" content="A registry for tests.">' in home
    assert b"og:" not in output["404.html"]


def test_every_site_page_has_a_description(builder: SourceBuilder, tmp_path: Path) -> None:
    """Lighthouse's SEO audit wants one on every page: the 404 page had none, nor had the home
    page of a registry without a description."""
    del builder.registry["registry"]["description"]
    output = build_files(BuildOptions(source=builder.write(tmp_path / "s"), output=tmp_path / "o"))
    html = [path for path in output if path.endswith(".html")]
    assert {"404.html", "index.html", "search/index.html", "browse/name/1.html"} <= set(html)
    for path in html:
        assert re.search(rb'<meta name="description" content="[^"]+">', output[path]), path
    home = '<meta name="description" content="Packages published on Test Registry.">'
    assert home in output["index.html"].decode()


def test_every_site_page_links_the_feed(source: Path) -> None:
    output = build_files(BuildOptions(source=source, output=source.parent / "out"))
    feed = '<link rel="alternate" type="application/atom+xml" title="Test Registry: changes" href="{}">'
    assert feed.format("feed.xml") in output["index.html"].decode()
    assert feed.format("../feed.xml") in output["search/index.html"].decode()
    for path in ("browse/name/1.html", "owners/bob/index.html", "keywords/testing/index.html"):
        assert feed.format("../../feed.xml") in output[path].decode(), path


def test_unchanged_listings_are_not_written_again(source: Path, tmp_path: Path) -> None:
    options = BuildOptions(source=source, output=tmp_path / "site", cache=tmp_path / "cache")
    build(options)
    paths = ["browse/name/1.html", "owners/bob/index.html", "keywords/testing/index.html"]
    before = {path: (tmp_path / "site" / path).stat().st_mtime_ns for path in paths}
    build(options)
    assert {path: (tmp_path / "site" / path).stat().st_mtime_ns for path in paths} == before


def test_a_rebuild_renders_only_the_listings_that_changed(
    builder: SourceBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regsite.render import browse_pages as listing_renderer

    rendered: list[str] = []
    render_page = listing_renderer.render_page

    def counting(theme, registry, template, path, context):  # type: ignore[no-untyped-def]
        if template == "listing.html":
            rendered.append(path)
        return render_page(theme, registry, template, path, context)

    monkeypatch.setattr(listing_renderer, "render_page", counting)
    source = builder.write(tmp_path / "source")
    options = BuildOptions(source=source, output=tmp_path / "site", cache=tmp_path / "cache")
    build(options)
    assert "owners/alice/index.html" in rendered
    rendered.clear()
    build(options)
    assert rendered == []  # nothing changed: every listing kept as the output holds it
    builder.packages["beta"]["package"]["description"] = "Beta, described anew."
    build(
        BuildOptions(
            source=builder.write(source), output=tmp_path / "site", cache=tmp_path / "cache"
        )
    )
    assert "owners/bob/index.html" in rendered and "owners/alice/index.html" not in rendered
    assert "keywords/testing/index.html" in rendered
    assert b"Beta, described anew." in (tmp_path / "site/owners/bob/index.html").read_bytes()
