"""``regsite client``: resolve requirements against a registry, lock them and download artifacts.

TUF verification of the registry's metadata lives elsewhere; these modules take packages that
have already been verified.
"""

from __future__ import annotations

__all__: list[str] = []
