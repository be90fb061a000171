"""``regsite client``: resolve requirements against a registry, lock them and download artifacts.

``trust`` verifies the registry's metadata with python-tuf's ``ngclient`` (fetching through
``tuf_fetcher``); ``registry`` checks the owners' signatures on top; the other modules take
packages that have already been verified.
"""

from __future__ import annotations

__all__: list[str] = []
