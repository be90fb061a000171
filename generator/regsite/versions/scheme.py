"""What every version scheme provides: parsed versions, parsed specifiers, and the scheme itself."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from regsite.errors import RegistryError

__all__ = ["Specifier", "Version", "VersionScheme", "VersionSyntaxError"]


class VersionSyntaxError(RegistryError, ValueError):
    """A version or specifier is not written in the registry's scheme; the message says why."""


class Version(Protocol):
    """A parsed version: hashable, ordered by precedence, printed in its normal form.

    Two versions are equal when they have the same precedence, so ``1.0`` and ``1.0.0`` (PEP 440)
    or ``1.0.0+a`` and ``1.0.0+b`` (SemVer, whose build metadata does not count) are one version.
    """

    @property
    def is_prerelease(self) -> bool: ...

    def __lt__(self, other: Any) -> bool: ...

    def __hash__(self) -> int: ...

    def __str__(self) -> str: ...


class Specifier(Protocol):
    """A parsed dependency specifier (cargo says requirement): the versions a dependency accepts."""

    @property
    def is_any(self) -> bool:
        """Every version will do (``*``)."""
        ...

    def admits(self, version: Version) -> bool:
        """``version`` satisfies this specifier, a pre-release included if it is named."""
        ...

    def pins(self, version: Version) -> bool:
        """This names exactly ``version`` (``==1.2`` or ``=1.2.3``): a yanked release may do."""
        ...

    def with_name(self, name: str) -> str:
        """``name`` and this specifier as a user writes them: ``alpha>=1,<2``, ``alpha ^1.2``."""
        ...

    @property
    def written(self) -> str:
        """This specifier in the order people write one (``>=1.0,<2``): lower bounds first, by
        version; "" for any version."""
        ...

    def __hash__(self) -> int: ...

    def __str__(self) -> str: ...


_V = TypeVar("_V", bound=Version)


class VersionScheme(ABC):
    """One way of writing, ordering and matching versions; a registry uses exactly one.

    The schemes are singletons, named in ``registry.toml`` as ``version-scheme``.
    """

    name: ClassVar[str]  # as written in registry.toml
    version_syntax: ClassVar[str]  # for messages: "a PEP 440 version like 1.0.2"
    specifier_examples: ClassVar[str]  # for messages: "'>=1.2,<2' or '*'"

    @abstractmethod
    def parse_version(self, text: str) -> Version:
        """The version ``text`` spells; raise :class:`VersionSyntaxError` saying why not."""

    @abstractmethod
    def parse_specifier(self, text: str) -> Specifier:
        """The specifier ``text`` spells (``*`` is any version); raise VersionSyntaxError."""

    @abstractmethod
    def parse_requirement(self, text: str) -> tuple[str, Specifier]:
        """``name`` or a name and specifier as a user types them; raise VersionSyntaxError."""

    @abstractmethod
    def select(self, specifiers: Sequence[Specifier], versions: Iterable[_V]) -> list[_V]:
        """The ``versions`` that every specifier admits under the scheme's rules for choosing
        pre-releases, in the order given."""

    def __repr__(self) -> str:
        return f"<version-scheme {self.name}>"

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # Pickled models (the build cache) come back holding the same singleton.
        from regsite.versions import scheme_named

        return scheme_named, (self.name,)
