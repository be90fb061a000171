"""HTML renderer: home page, one page per package, 404, and the theme's static assets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import jinja2
from markupsafe import Markup

from regsite.advisories.model import Advisory
from regsite.advisories.releases import advisory_marks
from regsite.assemble import TRANSITIVE_LIMIT, Site
from regsite.effective import EffectiveRelease, release_effective, specifier_text
from regsite.headers import meta_content_security_policy
from regsite.model import (
    Amendment,
    Dependency,
    DependencyKind,
    Narrowing,
    Package,
    PackageAmendments,
    Registry,
    Release,
)
from regsite.render import Output
from regsite.render.api import API_ROOT
from regsite.render.atom import package_feed_path
from regsite.render.badge import badge_path
from regsite.render.browse import (
    HOME_LIST,
    PAGE_SIZE,
    SORTS,
    entries,
    initials,
    keyword_path,
    listing_path,
    owner_path,
)
from regsite.render.flavours import flavour_install_lines
from regsite.render.markdown import render_inline, render_readme
from regsite.render.search import search_order
from regsite.summary import PackageSummary, ReleaseBrief
from regsite.theme import Theme, ThemeError
from regsite.versions import Specifier

__all__ = [
    "SITE_FEED",
    "TRANSITIVE_SLOT",
    "USED_BY_SLOT",
    "RecentRelease",
    "package_page_path",
    "release_page_path",
    "render_package_page",
    "render_page",
    "render_release_pages",
    "render_transitive",
    "render_used_by",
    "site_pages",
]

SEARCH_PAGE = "search/index.html"
SITE_FEED = "feed.xml"  # the registry's changes, for people (regsite.feed)
# Where a package page shows what other packages say about it (render_used_by). Text and
# attributes are escaped and raw HTML in READMEs is too, so only the template can write this.
USED_BY_SLOT = "<!--regsite:used-by-->"
TRANSITIVE_SLOT = "<!--regsite:transitive-->"  # how many packages installing it installs
BROWSE_PACKAGES = 100  # listed on the search page, for browsers without JavaScript


@dataclass(frozen=True, slots=True)
class RecentRelease:
    package: PackageSummary
    release: ReleaseBrief


# The package page's loops read these rows: each value is formatted once, in Python, instead of
# through a chain of attribute look-ups, filters and function calls per use in the template.


@dataclass(frozen=True, slots=True)
class PackageLink:
    name: str
    href: (
        str | None
    )  # relative to the page; absolute at an upstream; None: cargo's other registries
    specifier: str = ""  # a dependency's version range; "" when any version will do
    note: str = ""  # cargo's details of a dependency ("dev", "optional"…), "from UPSTREAM"
    amended: str = ""  # the range once curators' amendments apply; "" when none narrows it


@dataclass(frozen=True, slots=True)
class FileRow:
    url: str
    filename: str
    size: str  # as _filesize gives it
    sha256: str


@dataclass(frozen=True, slots=True)
class AdvisoryLink:
    """An advisory affecting a release, as a package page shows it."""

    id: str
    summary: str
    href: str  # the OSV document, relative to the page
    fixed: str  # the versions that fix it, or ""


@dataclass(frozen=True, slots=True)
class ReleaseRow:
    """One row of a package page's table of versions."""

    release: Release
    version: str
    href: str  # its release page, relative to the page listing it
    prerelease: bool
    published: str  # as _date gives it
    status: str
    reason: Markup  # the status reason, inline Markdown rendered; "" when active
    files: tuple[FileRow, ...]
    requires: tuple[PackageLink, ...]
    conflicts: tuple[PackageLink, ...] = ()  # packages amendments say must not be installed too
    advisories: tuple[AdvisoryLink, ...] = ()


@dataclass(frozen=True, slots=True)
class AmendmentRow:
    """One curator amendment, as the package page lists it."""

    amendment: Amendment
    number: int  # its index in the file: amendment[number]
    what: str  # "alpha <2.0", "alpha !=1.4.1", "conflicts with gamma >=2"
    narrowing: str  # "upper bound", "excluded version", "conflict"
    releases: str  # the owner's releases it applies to
    date: str


@dataclass(frozen=True, slots=True)
class _PageFacts:
    """What every release row of one package page reads besides the release."""

    registry: Registry
    name: str
    root: str  # from the page to the site's root
    package_dir: str  # from the page to the package's folder
    amendments: PackageAmendments | None
    advisories: Sequence[Advisory]
    pages: Mapping[str, str]  # each upstream's package page template, by upstream name


def package_page_path(name: str) -> str:
    return f"packages/{name}/index.html"


def release_page_path(name: str, version: str) -> str:
    return f"packages/{name}/{version}/index.html"


def site_pages(site: Site, theme: Theme) -> Output:
    """The pages about the whole registry (home, search, 404) and the theme's assets.

    Only these (and the listings of :mod:`regsite.render.browse`) show site-wide counts: a
    package's page changes only when the package, its dependents, the registry or the theme
    does, so an incremental build re-renders few pages.
    """
    output: Output = dict(theme.assets)
    registry = site.registry
    home = {"site": site, **_home_context(site), "release_count": site.release_count}
    output["index.html"] = render_page(theme, registry, "index.html", "", home)
    not_found = {"site": site, **_not_found_context(site)}
    output["404.html"] = render_page(theme, registry, "404.html", "", not_found)
    search = {
        "site": site,
        "popular": search_order(site)[:BROWSE_PACKAGES],
        "initials": initials(site),
        "page_description": f"Search the {len(site.packages)} packages of {registry.title}.",
    }
    output[SEARCH_PAGE] = render_page(theme, registry, "search.html", SEARCH_PAGE, search)
    output[".nojekyll"] = b""
    return output


def _not_found_context(site: Site) -> dict[str, Any]:
    """404.html is served at any missing path, at any depth: its links start from the root.

    They are root-absolute: the base URL's path with --base-url (a site under /repo/ on GitHub
    Pages), ``/`` without it.  A page at one known place could use relative links; this one
    cannot, since ``../`` from /a/b/c is not ``../`` from /a.
    """
    base_url = site.registry.base_url
    root = urlsplit(base_url).path if base_url else "/"
    return {
        "not_found": True,
        "root": root if root.endswith("/") else root + "/",
        "canonical": None,
    }


def render_package_page(
    registry: Registry,
    theme: Theme,
    package: Package,
    readme_html: str | None = None,
    amendments: PackageAmendments | None = None,
    advisories: Sequence[Advisory] = (),
) -> bytes:
    """The package's page from the package and its amendments alone; :data:`USED_BY_SLOT` marks
    where :func:`render_used_by` goes.  ``readme_html``: the README as the build rendered it
    (within its time budget), if so."""
    if readme_html is None and package.readme is not None:
        readme_html = package_readme(registry, package)
    latest = package.latest
    delegation = registry.delegations[package.name]
    verification = package.source.verification
    path = package_page_path(package.name)
    root = _root(path)
    pages = upstream_pages(registry)
    facts = _PageFacts(registry, package.name, root, "", amendments, advisories, pages)
    rows = [_release_row(facts, release) for release in package.releases]
    # The model objects stay in the context beside the rows, for themes that override the page.
    context = {
        **_package_facts(registry, package, rows, root),
        "release_rows": rows,
        "used_by": Markup(USED_BY_SLOT),  # noqa: S704 - a constant comment
        "transitive": Markup(TRANSITIVE_SLOT),  # noqa: S704 - a constant comment
        "flavour_installs": flavour_install_lines(registry, package.name) if latest else (),
        "readme_html": None if readme_html is None else Markup(readme_html),  # noqa: S704 - markdown-it escapes raw HTML
        "owners": [registry.owners[owner_id] for owner_id in delegation.owners],
        "threshold": delegation.threshold,
        "signed_by": sorted(verification.signers) if verification else [],
        "sources_url": f"{API_ROOT}/sources/{package.name}/",
        "readme_source": package.readme.file if package.readme else None,
        "package_feed": root + package_feed_path(package.name),
        **_amendments_context(registry, amendments),
    }
    return render_page(theme, registry, "package.html", path, context)


def render_release_pages(
    registry: Registry,
    theme: Theme,
    package: Package,
    amendments: PackageAmendments | None = None,
    advisories: Sequence[Advisory] = (),
) -> dict[str, bytes]:
    """Each release's page: its status, date, install line, files and dependencies; what other
    packages say of it goes where :data:`USED_BY_SLOT` is.  A page links to the latest release
    and this one's neighbours, not to every release: listing every release on each page would
    grow a package's bytes with the square of its releases.  None when the registry turned
    them off (``release-pages = false``)."""
    if not registry.release_pages:
        return {}
    pages = upstream_pages(registry)
    facts = _PageFacts(registry, package.name, "../../../", "../", amendments, advisories, pages)
    rows = [_release_row(facts, release) for release in package.releases]
    shared = _package_facts(registry, package, rows, "../../../")
    output: dict[str, bytes] = {}
    for index, row in enumerate(rows):
        path = release_page_path(package.name, row.version)
        context = {
            **shared,
            "row": row,
            "package_href": "../index.html",
            "newer": rows[index - 1] if index > 0 else None,
            "older": rows[index + 1] if index + 1 < len(rows) else None,
            "release_install": registry.install_line(package.name, row.release.version),
            "used_by": Markup(USED_BY_SLOT),  # noqa: S704 - a constant comment
        }
        output[path] = render_page(theme, registry, "release.html", path, context)
    return output


def _package_facts(
    registry: Registry, package: Package, rows: Sequence[ReleaseRow], root: str
) -> dict[str, Any]:
    """What the package and release pages both show: the latest release and the version picker."""
    latest = package.latest
    return {
        "package": package,
        "latest": latest,
        "latest_row": next((row for row in rows if row.release is latest), None),
        "picker": rows,
        "install": latest and registry.install_line(package.name, latest.version),
        "status_html": _inline(package.status_reason),
        "successor_href": package.successor and root + package_page_path(package.successor),
        "badge_path": badge_path(package.name),
        "page_description": package.description,  # for link previews (og:description)
        "api_url": f"{API_ROOT}/packages/{package.name}.json",
    }


def package_readme(registry: Registry, package: Package) -> str | None:
    """The package's README as its page shows it."""
    if package.readme is None:
        return None
    return render_readme(package.readme.text, package.name, registry.readme_image_hosts)


def _amendments_context(registry: Registry, amendments: PackageAmendments | None) -> dict[str, Any]:
    """The page's "Curated constraints": each amendment, who signed the file, its source."""
    if amendments is None:
        return {"amendment_rows": [], "amended_by": [], "amendments_source": None}
    signers = [registry.curators[s] for s in amendments.signers if s in registry.curators]
    return {
        "amendment_rows": [_amendment_row(amendment) for amendment in amendments.amendments],
        "amended_by": signers,
        "amendments_source": "amendments.toml",
    }


_NARROWING_NAMES = {
    Narrowing.UPPER_BOUND: "upper bound",
    Narrowing.EXCLUDE: "excluded version",
    Narrowing.CONFLICT: "conflict",
}


def _amendment_row(amendment: Amendment) -> AmendmentRow:
    releases = "all" if amendment.releases.is_any else str(amendment.releases)
    return AmendmentRow(
        amendment=amendment,
        number=amendment.index,
        what=amendment.constraint,
        narrowing=_NARROWING_NAMES[amendment.narrowing],
        releases=releases,
        date=amendment.date.isoformat(),
    )


def render_used_by(theme: Theme, path: str, dependents: Sequence[tuple[str, str | None]]) -> str:
    """The "Used by" section of the page at ``path``: the packages that depend on it, with the
    range their latest release uses (None: only older releases use it; "": any version)."""
    root = _root(path)
    context = {
        "dependents": dependents,
        "dependent_links": [
            PackageLink(other, root + package_page_path(other), *_range_label(used))
            for other, used in dependents
        ],
        "root": root,
    }
    try:
        return theme.environment.get_template("used_by.html").render(context)
    except jinja2.TemplateError as exc:
        raise ThemeError(f"theme template used_by.html: {exc.message}") from exc


def upstream_pages(registry: Registry) -> dict[str, str]:
    """Each upstream's package page template, where dependencies on its packages link."""
    return {upstream.name: upstream.page or upstream.url for upstream in registry.upstreams}


def _inline(markdown: str | None) -> Markup:
    """A status reason as inline Markdown; markdown-it escapes any HTML in it."""
    return Markup(render_inline(markdown)) if markdown else Markup()  # noqa: S704


def _range_label(used: str | None) -> tuple[str, str]:
    """A dependent's range, or a note that only its older releases depend on this."""
    return ("", "older releases only") if used is None else (used or "any version", "")


def render_transitive(direct: int, transitive: int) -> str:
    """What :data:`TRANSITIVE_SLOT` says: the packages installing the latest release installs."""
    if transitive <= direct:
        return ""
    more = "or more " if transitive >= TRANSITIVE_LIMIT else ""
    return f'<p class="muted">{transitive:,} {more}packages in all, with their dependencies.</p>'


def _release_row(facts: _PageFacts, release: Release) -> ReleaseRow:
    amendments, root = facts.amendments, facts.root
    effective = None if amendments is None else release_effective(release, amendments.amendments)
    version = str(release.version)
    return ReleaseRow(
        release=release,
        version=version,
        href=_release_href(facts, version),
        prerelease=release.version.is_prerelease,
        published=_date(release.published),
        status=release.status.value,
        reason=_inline(release.status_reason),
        files=tuple(
            FileRow(
                artifact.href(root), artifact.filename, _filesize(artifact.size), artifact.sha256
            )
            for artifact in release.artifacts
        ),
        requires=tuple(_dependency_link(facts, d, effective) for d in release.requires),
        conflicts=tuple(
            PackageLink(c.name, root + package_page_path(c.name), _range(c.versions))
            for c in (effective.conflicts if effective else ())
        ),
        advisories=_advisory_links(facts, release),
    )


def _release_href(facts: _PageFacts, version: str) -> str:
    """The release's page, or its row of the package page's table when the registry has no
    release pages (``[registry] release-pages = false``)."""
    if facts.registry.release_pages:
        return f"{facts.package_dir}{quote(version, safe='+!')}/"
    return f"#v{quote(version, safe='+!')}"


def _advisory_links(facts: _PageFacts, release: Release) -> tuple[AdvisoryLink, ...]:
    return tuple(
        AdvisoryLink(
            advisory.id,
            advisory.summary,
            f"{facts.root}{API_ROOT}/advisories/{advisory.id}.json",
            ", ".join(advisory.fixed_in(facts.name)),
        )
        for advisory in advisory_marks(release, facts.name, facts.advisories)
    )


def _dependency_link(
    facts: _PageFacts, dependency: Dependency, effective: EffectiveRelease | None
) -> PackageLink:
    """A link to the package's page: here, or at the upstream it is taken from (its
    registry.json's page template, verified with the rest of the upstream); none for a package
    of one of cargo's other registries. ``amended``: its range once amendments apply."""
    href = None
    if dependency.in_registry:
        href = facts.root + package_page_path(dependency.name)
    elif dependency.upstream is not None and (page := facts.pages.get(dependency.upstream)):
        href = page.replace("{name}", dependency.name)
    amended = ""
    for requirement in effective.requires if effective else ():
        if requirement.name == dependency.name and requirement.amended:
            excluded = "".join(f", !={version}" for version in requirement.excluded)
            amended = specifier_text(facts.registry.version_scheme, requirement) + excluded
    note = dependency_note(dependency)
    return PackageLink(
        dependency.name, href, dependency.specifier.written, note, amended.lstrip(", ")
    )


def _range(specifier: Specifier) -> str:
    return "" if specifier.is_any else str(specifier)


def dependency_note(dependency: Dependency) -> str:
    """Cargo's details of a dependency, in a few words: ``dev, cfg(windows), optional``; and
    the upstream it is taken from."""
    notes = [] if dependency.kind is DependencyKind.NORMAL else [dependency.kind.value]
    notes += [dependency.target] if dependency.target else []
    notes += ["optional"] if dependency.optional else []
    notes += [f"as {dependency.rename}"] if dependency.rename else []
    notes += [f"from {dependency.registry}"] if dependency.registry else []
    notes += [f"from {dependency.upstream}"] if dependency.upstream else []
    return ", ".join(notes)


def _home_context(site: Site) -> dict[str, Any]:
    packages = site.packages
    return {
        "recent": [RecentRelease(packages[name], brief) for name, brief in site.recent],
        "popular": entries(site, search_order(site)[:HOME_LIST]),
        "sorts": SORTS,
        "initials": initials(site),
        "page_size": PAGE_SIZE,
        "page_description": site.registry.description,
    }


def render_page(
    theme: Theme, registry: Registry, template: str, path: str, context: Mapping[str, Any]
) -> bytes:
    root = context.get("root", _root(path))
    base_url = registry.base_url
    page_context = {
        "registry": registry,
        "root": root,
        "path": path,
        "canonical": _canonical(base_url, path),
        "base_url": base_url,
        "csp": meta_content_security_policy(registry.readme_image_hosts),
        "base_path": urlsplit(base_url).path or "/" if base_url else None,
        "asset": _asset_url(theme, root),
        "page_path": package_page_path,
        "listing": listing_path,
        "owner_page": owner_path,
        "keyword_page": keyword_path,
        "search_page": SEARCH_PAGE,
        "page_description": None,  # the page's summary for link previews (og:description)
        "date": _date,
        "filesize": _filesize,
        "site_feed": root + SITE_FEED,  # relative, as every link in a page (decision 6)
        **context,
    }
    try:
        html = theme.environment.get_template(template).render(page_context)
    except jinja2.TemplateError as exc:
        where = template
        if isinstance(exc, jinja2.TemplateSyntaxError):
            where = f"{exc.filename or exc.name or template}:{exc.lineno}"
        raise ThemeError(f"theme template {where}: {exc.message}") from exc
    return html.encode("utf-8")


def _root(path: str) -> str:
    """The relative prefix from the page at ``path`` to the site's root."""
    return "../" * path.count("/")


def _canonical(base_url: str | None, path: str) -> str | None:
    if base_url is None:
        return None
    pretty = path.removesuffix("index.html")
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", pretty)


def _asset_url(theme: Theme, root: str) -> Callable[[str], str]:
    def asset(name: str) -> str:
        if name not in theme.asset_paths:
            raise ThemeError(f"the theme has no static/{name} (asked for by asset({name!r}))")
        return root + theme.asset_paths[name]

    return asset


def _date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")  # the model holds date-times in UTC


def _filesize(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"
