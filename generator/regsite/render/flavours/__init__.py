"""Flavours: the formats that other clients already read, rendered from the same model and
covered by the same signed metadata.

A registry enables flavours in ``registry.toml`` (``[flavours] python = true``, ``cargo =
true``).  Each flavour is a module of pure renderers, split as the build's stages are
(docs/decisions.md, 24): a package's own files from the package alone (``render_package``,
rendered in the worker that reads it), the site-wide files (``render_site``), the install lines
on package pages, its entry points in registry.json, and the problems it finds in a package or
in the registry.  Every file a flavour writes is a TUF target like any other.  docs/flavours.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from regsite.assemble import Site
from regsite.errors import SourceProblem
from regsite.model import Package, PackageAmendments, Registry
from regsite.render import Output
from regsite.render.flavours import cargo, python

__all__ = [
    "FLAVOURS",
    "Flavour",
    "enabled_flavours",
    "flavour_entry_points",
    "flavour_inputs",
    "flavour_install_lines",
    "flavour_package_problems",
    "flavour_site_problems",
    "package_flavour_outputs",
    "site_flavour_outputs",
]


@dataclass(frozen=True, slots=True)
class Flavour:
    name: str  # as written in registry.toml's [flavours]
    # The package alone, and the curators' amendments to it (a flavour that publishes
    # requirements publishes the effective ones, docs/curation.md).
    render_package: Callable[[Registry, Package, PackageAmendments | None], Output]
    render_site: Callable[[Site], Output]
    install_lines: Callable[[Registry, str], tuple[str, ...]]
    entry_points: Callable[[Site], dict[str, Any]]
    # What render_package and install_lines read of registry.toml beyond the registry's name,
    # title, base URL and install line: part of each package's render key.
    inputs: Callable[[Registry], str]
    package_problems: Callable[[Registry, Package], list[SourceProblem]]
    site_problems: Callable[[Registry], list[SourceProblem]]


# Every flavour regsite knows, by the name registry.toml enables it with, in a fixed order.
FLAVOURS: Mapping[str, Flavour] = {
    "python": Flavour(
        "python",
        lambda registry, package, _: python.render_package(registry, package),  # no requires
        python.render_site,
        python.install_lines,
        python.entry_points,
        python.inputs,
        python.package_problems,
        python.site_problems,
    ),
    "cargo": Flavour(
        "cargo",
        cargo.render_package,
        cargo.render_site,
        cargo.install_lines,
        cargo.entry_points,
        cargo.inputs,
        cargo.package_problems,
        cargo.site_problems,
    ),
}


def enabled_flavours(registry: Registry) -> tuple[Flavour, ...]:
    """The flavours ``registry`` enables, in a fixed order."""
    return tuple(flavour for name, flavour in FLAVOURS.items() if name in registry.flavours)


def package_flavour_outputs(
    registry: Registry, package: Package, amendments: PackageAmendments | None = None
) -> Output:
    """Every enabled flavour's files for one package, from the package and its amendments."""
    output: Output = {}
    for flavour in enabled_flavours(registry):
        output.update(flavour.render_package(registry, package, amendments))
    return output


def site_flavour_outputs(site: Site) -> Output:
    """Every enabled flavour's site-wide files."""
    output: Output = {}
    for flavour in enabled_flavours(site.registry):
        output.update(flavour.render_site(site))
    return output


def flavour_install_lines(registry: Registry, name: str) -> tuple[str, ...]:
    """The install lines of every enabled flavour, for ``name``'s page."""
    return tuple(
        line for f in enabled_flavours(registry) for line in f.install_lines(registry, name)
    )


def flavour_entry_points(site: Site) -> dict[str, Any]:
    """registry.json's ``flavours``: each enabled flavour's entry points, by name."""
    return {flavour.name: flavour.entry_points(site) for flavour in enabled_flavours(site.registry)}


def flavour_inputs(registry: Registry) -> list[str]:
    """What every enabled flavour's per-package outputs read of registry.toml: declared in each
    package's render key, so enabling a flavour or changing its settings renders again."""
    return [f"flavour {f.name} {f.inputs(registry)}" for f in enabled_flavours(registry)]


def flavour_package_problems(registry: Registry, package: Package) -> list[SourceProblem]:
    """What the enabled flavours cannot publish of ``package`` (found in its scan)."""
    return [p for f in enabled_flavours(registry) for p in f.package_problems(registry, package)]


def flavour_site_problems(registry: Registry) -> list[SourceProblem]:
    """What the enabled flavours need of the registry as a whole, its base URL included."""
    return [problem for f in enabled_flavours(registry) for problem in f.site_problems(registry)]
