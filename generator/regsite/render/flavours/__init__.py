"""Flavours: the formats that other clients already read, rendered from the same model.

A registry enables flavours in ``registry.toml`` (``[flavours] python = true``).  Each flavour is
a module of pure renderers: one package's files (``render_package``), the site-wide files
(``render_site``), the install lines shown on package pages and its entry points in
registry.json.  Every file a flavour writes is a TUF target like any other.  docs/flavours.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from regsite.model import Package, Registry, Site
from regsite.render import Output
from regsite.render.flavours import python

__all__ = [
    "FLAVOURS",
    "Flavour",
    "enabled_flavours",
    "flavour_entry_points",
    "flavour_install_lines",
    "package_flavour_outputs",
    "site_flavour_outputs",
]


@dataclass(frozen=True, slots=True)
class Flavour:
    name: str  # as written in registry.toml's [flavours]
    render_package: Callable[[Site, Package], Output]
    render_site: Callable[[Site], Output]
    install_lines: Callable[[Site, str], tuple[str, ...]]
    entry_points: Callable[[Site], dict[str, Any]]


# Every flavour regsite knows, by the name registry.toml enables it with.
FLAVOURS: Mapping[str, Flavour] = {
    "python": Flavour(
        "python",
        python.render_package,
        python.render_site,
        python.install_lines,
        python.entry_points,
    ),
}


def enabled_flavours(registry: Registry) -> tuple[Flavour, ...]:
    """The flavours ``registry`` enables, in a fixed order."""
    return tuple(flavour for name, flavour in FLAVOURS.items() if name in registry.flavours)


def package_flavour_outputs(site: Site, package: Package) -> Output:
    """Every enabled flavour's files for one package."""
    output: Output = {}
    for flavour in enabled_flavours(site.registry):
        output.update(flavour.render_package(site, package))
    return output


def site_flavour_outputs(site: Site) -> Output:
    """Every enabled flavour's site-wide files."""
    output: Output = {}
    for flavour in enabled_flavours(site.registry):
        output.update(flavour.render_site(site))
    return output


def flavour_install_lines(site: Site, name: str) -> tuple[str, ...]:
    """The install lines of every enabled flavour, for ``name``'s page."""
    return tuple(
        line for f in enabled_flavours(site.registry) for line in f.install_lines(site, name)
    )


def flavour_entry_points(site: Site) -> dict[str, Any]:
    """registry.json's ``flavours``: each enabled flavour's entry points, by name."""
    return {flavour.name: flavour.entry_points(site) for flavour in enabled_flavours(site.registry)}
