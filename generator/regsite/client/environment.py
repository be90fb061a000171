"""The Python a lock is made for: PEP 508 markers and requires-python are evaluated for the Python
running the lock, as pip does (a lock is made for one environment)."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.markers import default_environment
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from regsite.model import Dependency
from regsite.versions import PEP440, VersionScheme

__all__ = ["LockEnvironment"]


@dataclass(frozen=True, slots=True)
class LockEnvironment:
    markers: dict[str, str]  # PEP 508's environment, without "extra"
    python: Version | None  # None: a version scheme without requires-python (semver)

    @classmethod
    def here(cls, scheme: VersionScheme) -> LockEnvironment:
        """The Python running this process, in the registry's version ``scheme``."""
        markers = {key: str(value) for key, value in default_environment().items()}
        python = Version(platform.python_version()) if scheme is PEP440 else None
        return cls(markers, python)

    def applies(self, dependency: Dependency, extras: Iterable[str]) -> bool:
        """A dependency without a marker always applies; one with a marker when it holds here,
        for no extra or for one of the ``extras`` asked for."""
        if dependency.marker is None:
            return True
        return any(
            dependency.marker.evaluate({**self.markers, "extra": extra}) for extra in ("", *extras)
        )

    def supports(self, requires_python: SpecifierSet | None) -> bool:
        """Whether a release's requires-python admits this Python (pre-releases included)."""
        if requires_python is None or self.python is None:
            return True
        return requires_python.contains(self.python, True)
