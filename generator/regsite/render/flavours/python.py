"""The Python flavour: the simple repository API as static files, which pip and uv read.

``simple/index.html`` lists every project and ``simple/<name>/index.html`` its files (PEP 503),
each link with ``#sha256=``, ``data-requires-python``, PEP 592's ``data-yanked`` with the reason,
and for hosted wheels PEP 658/714's ``data-core-metadata`` (and ``data-dist-info-metadata``,
which older pip reads).  A deprecated package carries PEP 792's ``pypi:project-status``.  The
PEP 691 JSON form of each page is published beside it as ``index.json`` (static hosts cannot
negotiate content types), with PEP 700's ``versions``, ``size`` and ``upload-time``.  Every link
into the site is relative, so the index works under any base path; external artifacts are linked
by their URL.  docs/flavours.md describes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any

from regsite.assemble import Site
from regsite.errors import SourceProblem
from regsite.model import Artifact, Package, PackageStatus, Registry, Release, ReleaseStatus
from regsite.render import Output

__all__ = [
    "API_VERSION",
    "SIMPLE_DIR",
    "entry_points",
    "index_url",
    "inputs",
    "install_lines",
    "package_problems",
    "render_package",
    "render_site",
    "site_problems",
]

SIMPLE_DIR = "simple"
API_VERSION = "1.4"  # PEP 792's, which includes PEP 700's fields
_ROOT_FROM_PROJECT = "../../"  # simple/<name>/ -> the site's root


def render_package(registry: Registry, package: Package) -> Output:
    """``simple/<name>/index.html`` and its JSON form ``simple/<name>/index.json``."""
    directory = f"{SIMPLE_DIR}/{package.name}"
    files = [(release, artifact) for release in package.releases for artifact in release.artifacts]
    files.sort(key=lambda pair: pair[1].filename)
    return {
        f"{directory}/index.html": _project_html(package, files),
        f"{directory}/index.json": _json(_project_json(package, files)),
    }


def render_site(site: Site) -> Output:
    """``simple/index.html``, every project, and its JSON form ``simple/index.json``."""
    names = list(site.packages)
    links = "".join(f'    <a href="{name}/">{name}</a><br>\n' for name in names)
    html = _page("Simple index", "", links)
    document = {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]}
    return {f"{SIMPLE_DIR}/index.html": html, f"{SIMPLE_DIR}/index.json": _json(document)}


def index_url(registry: Registry) -> str | None:
    """The absolute URL to give pip and uv, when the site knows where it is served."""
    base = registry.base_url
    if base is None:
        return None
    return (base if base.endswith("/") else base + "/") + SIMPLE_DIR + "/"


def install_lines(registry: Registry, name: str) -> tuple[str, ...]:
    """What a user types to install ``name`` from this registry with pip and with uv."""
    url = index_url(registry) or f"BASE_URL/{SIMPLE_DIR}/"
    return (f"pip install --index-url {url} {name}", f"uv pip install --index-url {url} {name}")


def entry_points(site: Site) -> dict[str, Any]:
    """registry.json's ``flavours.python``: URLs relative to registry.json (docs/api.md)."""
    return {
        "index": f"../../{SIMPLE_DIR}/",
        "index_json": f"../../{SIMPLE_DIR}/index.json",
        "project": f"../../{SIMPLE_DIR}/{{name}}/",
        "project_json": f"../../{SIMPLE_DIR}/{{name}}/index.json",
        "index_url": index_url(site.registry),
        "api_version": API_VERSION,
    }


def inputs(registry: Registry) -> str:
    """What :func:`render_package` reads of registry.toml: nothing (the install lines read the
    base URL, which every page's key holds already)."""
    return ""


def package_problems(registry: Registry, package: Package) -> list[SourceProblem]:
    """Nothing the simple API cannot publish: any artifact is a link, hosted or external."""
    return []


def site_problems(registry: Registry) -> list[SourceProblem]:
    """Nothing: the simple API's links are relative, so it needs no base URL."""
    return []


def _project_html(package: Package, files: Iterable[tuple[Release, Artifact]]) -> bytes:
    status = ""
    if package.status is not PackageStatus.ACTIVE:
        status = f'  <meta name="pypi:project-status" content="{package.status.value}">\n'
        if package.status_reason:
            reason = escape(package.status_reason)
            status += f'  <meta name="pypi:project-status-reason" content="{reason}">\n'
    links = "".join(_link(release, artifact) for release, artifact in files)
    return _page(f"Links for {package.name}", status, links)


def _link(release: Release, artifact: Artifact) -> str:
    href = escape(f"{artifact.href(_ROOT_FROM_PROJECT)}#sha256={artifact.sha256}")
    attributes = f'href="{href}"'
    if release.requires_python is not None:
        attributes += f' data-requires-python="{escape(str(release.requires_python))}"'
    if artifact.core_metadata_sha256 is not None:
        value = f"sha256={artifact.core_metadata_sha256}"
        attributes += f' data-dist-info-metadata="{value}" data-core-metadata="{value}"'
    if release.status is ReleaseStatus.YANKED:
        attributes += f' data-yanked="{escape(release.status_reason or "")}"'
    return f"    <a {attributes}>{escape(artifact.filename)}</a><br>\n"


def _page(title: str, head: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'  <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"{head}  <title>{escape(title)}</title>\n</head>\n<body>\n"
        f"  <h1>{escape(title)}</h1>\n{body}</body>\n</html>\n"
    ).encode()


def _project_json(package: Package, files: Iterable[tuple[Release, Artifact]]) -> dict[str, Any]:
    document: dict[str, Any] = {"meta": {"api-version": API_VERSION}, "name": package.name}
    if package.status is not PackageStatus.ACTIVE:
        status = {"status": package.status.value, "reason": package.status_reason}
        document["project-status"] = status
    document["versions"] = [str(release.version) for release in reversed(package.releases)]
    document["files"] = [_file(release, artifact) for release, artifact in files]
    return document


def _file(release: Release, artifact: Artifact) -> dict[str, Any]:
    metadata = artifact.core_metadata_sha256
    core: dict[str, str] | bool = {"sha256": metadata} if metadata is not None else False
    yanked: str | bool = False
    if release.status is ReleaseStatus.YANKED:
        yanked = release.status_reason or True
    return {
        "filename": artifact.filename,
        "url": artifact.href(_ROOT_FROM_PROJECT),
        "hashes": {"sha256": artifact.sha256},
        "requires-python": None
        if release.requires_python is None
        else str(release.requires_python),
        "core-metadata": core,
        "dist-info-metadata": core,
        "yanked": yanked,
        "size": artifact.size,
        "upload-time": release.published.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
