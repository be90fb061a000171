"""regsite: compile a directory of signed package indexes into a static registry site."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
