"""A package's version badge: a small SVG a project shows in its own README (docs/pages.md).

The same package gives the same bytes on every build and machine: the text is measured with a
fixed table of character widths (Verdana at 11px, as shields.io draws), not a font on the system.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from regsite.model import Package, ReleaseStatus

__all__ = ["badge_path", "render_badge"]

_HEIGHT = 20
_PADDING = 6  # pixels each side of a text
_NARROW = frozenset("fijlrt.,:;!|'()[] ")
_WIDE = frozenset("mwMW@%")
_COLOURS = {  # text is white on each: contrast 4.5:1 or more
    "active": "#2f6f4f",
    "deprecated": "#8a5a00",
    "insecure": "#a02525",
    "none": "#5a6660",
}


def badge_path(name: str) -> str:
    return f"packages/{name}/badge.svg"


def render_badge(registry_name: str, package: Package) -> bytes:
    """``<registry> | <latest version>``, coloured by the package's status."""
    latest = package.latest
    value = str(latest.version) if latest else "no release"
    state = "none" if latest is None else _state(package, latest.status)
    label_width, value_width = _width(registry_name), _width(value)
    width = label_width + value_width
    title = f"{package.name} on {registry_name}: {value}"
    if state != "active":
        title += f" ({state})" if state != "none" else ""
    texts = _text(label_width / 2, registry_name) + _text(label_width + value_width / 2, value)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_HEIGHT}"'
        f' role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title>'
        f'<rect width="{label_width}" height="{_HEIGHT}" fill="#4a4a4a"/>'
        f'<rect x="{label_width}" width="{value_width}" height="{_HEIGHT}"'
        f' fill="{_COLOURS[state]}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif"'
        f' font-size="11">{texts}</g></svg>\n'
    )
    return svg.encode("utf-8")


def _state(package: Package, status: ReleaseStatus) -> str:
    if status is ReleaseStatus.INSECURE:
        return "insecure"
    if package.status.value == "deprecated" or status is ReleaseStatus.DEPRECATED:
        return "deprecated"
    return "active"


def _text(centre: float, text: str) -> str:
    return f'<text x="{centre:g}" y="14">{escape(text)}</text>'


def _width(text: str) -> int:
    """The text's width in pixels at 11px Verdana, near enough, plus padding."""
    widths = (4 if c in _NARROW else 10 if c in _WIDE else 7 for c in text)
    return sum(widths) + 2 * _PADDING
