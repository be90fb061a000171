"""``regsite yank``: mark a release yanked, with the reason shown to users."""

from __future__ import annotations

from dataclasses import dataclass

from regsite.commands.release import yank_release
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.sources import SourceTree

__all__ = ["YankOptions", "yank"]


@dataclass(frozen=True, slots=True, kw_only=True)
class YankOptions:
    edit: EditOptions
    name: str
    version: str  # in any spelling of it
    reason: str  # shown to users


def yank(options: YankOptions) -> SourceEdit:
    """Yank the release and sign the package file with the ``--sign`` keys that may."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    changed = yank_release(tree, options.name, options.version, reason=options.reason)
    return signed_edit(tree, keys, changed)
