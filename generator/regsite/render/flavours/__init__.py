"""Flavours: the formats existing package managers read, rendered from the same model and
covered by the same signed metadata.  Each is opt-in under ``[flavours]`` in registry.toml and
is a module of pure renderers: one package's files (``render_package``), the site-wide files
(``render_site``), the install lines of package pages and its entry points in registry.json
(docs/flavours.md)."""

from __future__ import annotations

from typing import Any

from regsite.model import Package, Site
from regsite.render import Output
from regsite.render.flavours import cargo

__all__ = [
    "flavour_entry_points",
    "flavour_install_lines",
    "package_flavour_outputs",
    "site_flavour_outputs",
]


def package_flavour_outputs(site: Site, package: Package) -> Output:
    """The package's files in every flavour the registry turns on."""
    return cargo.render_package(site, package) if site.registry.cargo is not None else {}


def site_flavour_outputs(site: Site) -> Output:
    """The site-wide files of every flavour the registry turns on."""
    return cargo.render_site(site) if site.registry.cargo is not None else {}


def flavour_entry_points(site: Site) -> dict[str, Any]:
    """registry.json's ``flavours``: each enabled flavour's entry points, by name."""
    return {"cargo": cargo.entry_points(site)} if site.registry.cargo is not None else {}


def flavour_install_lines(site: Site, name: str) -> tuple[str, ...]:
    """The install lines of every enabled flavour, for ``name``'s page."""
    return cargo.install_lines(site, name) if site.registry.cargo is not None else ()
