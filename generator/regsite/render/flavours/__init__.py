"""Flavours: the formats existing package managers read, rendered from the same model and
covered by the same signed metadata.  Each is opt-in under ``[flavours]`` in registry.toml and
is a pure renderer: one function per package, one for the whole site (docs/flavours.md)."""

from __future__ import annotations

from regsite.model import Package, Site
from regsite.render import Output
from regsite.render.flavours import cargo

__all__ = ["flavour_package", "flavour_site"]


def flavour_package(site: Site, package: Package) -> Output:
    """The package's files in every flavour the registry turns on."""
    return cargo.cargo_package(site, package) if site.registry.cargo is not None else {}


def flavour_site(site: Site) -> Output:
    """The site-wide files of every flavour the registry turns on."""
    return cargo.cargo_site(site) if site.registry.cargo is not None else {}
