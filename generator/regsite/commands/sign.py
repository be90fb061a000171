"""``regsite sign``: add, refresh or remove a signature in ``<file>.sig``; and the ``--sign KEY``
that every command editing the source offers (:class:`EditOptions`, :func:`signed_edit`)."""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from regsite.advisories.model import ADVISORIES_DIR
from regsite.advisories.verify import advisory_signing_refusal
from regsite.amendment_file import AMENDMENTS_DIR
from regsite.atomic_write import write_atomically
from regsite.commands.signing_progress import SigningProgress, signing_progress
from regsite.errors import SourceEditError
from regsite.keys import PrivateKey, PublicKey, load_private_key, parse_public_key
from regsite.load import PACKAGES_DIR
from regsite.model import Registry
from regsite.signatures import (
    FileKind,
    Signature,
    dump_signature_file,
    parse_signature_file,
    sign_bytes,
    signed_message,
)
from regsite.sources import SourceTree

__all__ = [
    "EditOptions",
    "EditSigning",
    "FilesSigned",
    "SignOptions",
    "SignOutcome",
    "SignatureRemoval",
    "SourceEdit",
    "file_kind",
    "may_sign",
    "remove_signature",
    "remove_signatures",
    "sign_edit",
    "sign_edited",
    "sign_file",
    "sign_files",
    "sign_permitted",
    "signed_edit",
    "signing_keys",
    "signing_refusal",
    "source_tree_of",
]


@dataclass(frozen=True, slots=True)
class SignOutcome:
    path: Path
    key: PublicKey
    dropped: tuple[PublicKey, ...]  # signatures removed because they no longer verified


@dataclass(frozen=True, slots=True)
class EditSigning:
    """What ``--sign`` did after an edit: the signatures made, and why the other keys could not."""

    signed: tuple[SignOutcome, ...]
    refused: tuple[str, ...]  # one message per file a key that signed nothing may not sign


def file_kind(path: Path) -> FileKind:
    if path.suffix == ".json" and path.resolve().parent.name == ADVISORIES_DIR:
        return FileKind.ADVISORY
    try:
        return FileKind(path.name)
    except ValueError as exc:
        raise SourceEditError(
            f"{path}: only registry.toml, package.toml, amendments.toml and advisories/<ID>.json"
            " files are signed"
        ) from exc


def sign_file(path: Path, key: PrivateKey) -> SignOutcome:
    """Sign ``path``; keep the other signatures that still verify, drop the stale ones."""
    kind = file_kind(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SourceEditError(f"{path}: cannot read: {exc.strerror}") from exc
    signature_path = _signature_path(path)
    existing = _signatures(signature_path)
    revoked = _revoked_keys(path, kind)
    if key.public in revoked:
        raise SourceEditError(f"{key.public} is listed in registry.toml [trust] revoked-keys")
    message = signed_message(kind, content)
    others = [entry for entry in existing if entry.key != key.public]
    kept = tuple(
        entry
        for entry in others
        if entry.key not in revoked and entry.key.verify(message, entry.sig)
    )
    dropped = tuple(entry.key for entry in others if entry not in kept)
    signatures = (*kept, sign_bytes(key, kind, content))
    write_atomically(signature_path, dump_signature_file(signatures))
    return SignOutcome(path=path, key=key.public, dropped=dropped)


def sign_permitted(paths: Sequence[Path], keys: Sequence[PrivateKey]) -> list[SignOutcome]:
    """``regsite sign``: sign each file with each key, if every key is one the build accepts on
    every one of them (otherwise sign none and say who may sign which)."""
    keys = list({key.public: key for key in keys}.values())  # a key given twice signs once
    refusals = []
    for path in paths:
        registry = source_tree_of(path).registry()
        for key in keys:
            if (refusal := signing_refusal(registry, path, key.public)) is not None:
                refusals.append(refusal)
    if len(refusals) == 1:
        raise SourceEditError(refusals[0])
    if refusals:
        raise SourceEditError(f"signed none of the {len(paths)} files:", details=refusals)
    return [sign_file(path, key) for path in paths for key in keys]


def remove_signature(path: Path, reference: str) -> tuple[PublicKey, ...]:
    """Remove the signatures by a key, given as ``ed25519:…`` or by its ``SHA256:`` fingerprint.

    A ``.sig`` file left with no signature is deleted: "missing" is the clearer problem.
    """
    kept, removed = _removal(path, [reference])
    _write_kept(path, kept)
    return removed


def remove_signatures(paths: Sequence[Path], references: Sequence[str]) -> list[SignatureRemoval]:
    """Remove the signatures by every key given from every file; nothing is changed unless each
    file has a signature by each key."""
    planned = [(path, *_removal(path, references)) for path in paths]
    for path, kept, _ in planned:
        _write_kept(path, kept)
    return [SignatureRemoval(path, removed) for path, _, removed in planned]


def _removal(
    path: Path, references: Sequence[str]
) -> tuple[tuple[Signature, ...], tuple[PublicKey, ...]]:
    """The signatures ``path`` keeps and the keys whose signatures go; an error names a key that
    did not sign it."""
    file_kind(path)
    signature_path = _signature_path(path)
    if not signature_path.exists():
        raise SourceEditError(f"{signature_path}: does not exist; {path} has no signatures")
    existing = _signatures(signature_path)
    for reference in references:
        if not any(_names_key(reference, entry.key) for entry in existing):
            present = ", ".join(entry.key.fingerprint for entry in existing) or "none"
            raise SourceEditError(
                f"{signature_path}: no signature by {reference}; its signatures are by: {present}"
            )
    named = (entry.key for r in references for entry in existing if _names_key(r, entry.key))
    removed = tuple(dict.fromkeys(named))  # in the order the keys were given
    return tuple(entry for entry in existing if entry.key not in removed), removed


def _write_kept(path: Path, kept: tuple[Signature, ...]) -> None:
    signature_path = _signature_path(path)
    if kept:
        write_atomically(signature_path, dump_signature_file(kept))
    else:
        signature_path.unlink()


def _names_key(reference: str, key: PublicKey) -> bool:
    return reference in (str(key), key.fingerprint)


def _signature_path(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def _signatures(signature_path: Path) -> tuple[Signature, ...]:
    """The entries of an existing ``.sig`` file (none when there is no file)."""
    if not signature_path.exists():
        return ()
    existing, problems = parse_signature_file(signature_path.read_bytes())
    if problems:
        where, problem = problems[0]
        raise SourceEditError(f"{signature_path}: {where}: {problem}; fix or delete it")
    return existing


def source_tree_of(path: Path) -> SourceTree:
    """The registry a signed file belongs to: ``registry.toml``, ``packages/<name>/…``,
    ``amendments/<name>/…`` or ``advisories/<ID>.json``."""
    absolute = path.resolve()
    kind = file_kind(path)
    if kind is FileKind.REGISTRY:
        return SourceTree(absolute.parent)
    if kind is FileKind.ADVISORY:
        return SourceTree(absolute.parent.parent)
    expected = AMENDMENTS_DIR if kind is FileKind.AMENDMENTS else PACKAGES_DIR
    if absolute.parent.parent.name != expected:
        raise SourceEditError(
            f"{path}: expected {expected}/<name>/{kind.value} in a registry source"
        )
    return SourceTree(absolute.parent.parent.parent)


def _revoked_keys(path: Path, kind: FileKind) -> frozenset[PublicKey]:
    """[trust] revoked-keys of the registry ``path`` belongs to: their signatures are dropped."""
    registry = path.parent if kind is FileKind.REGISTRY else path.parent.parent.parent
    if kind is FileKind.ADVISORY:
        registry = path.resolve().parent.parent
    try:
        document = tomllib.loads((registry / "registry.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    trust = document.get("trust")
    texts = trust.get("revoked-keys", []) if isinstance(trust, dict) else []
    keys = set()
    for text in texts if isinstance(texts, list) else []:
        with contextlib.suppress(ValueError, TypeError):
            keys.add(parse_public_key(text))
    return frozenset(keys)


def may_sign(registry: Registry, path: Path, key: PublicKey) -> bool:
    """Whether ``key`` is one the build accepts on ``path``."""
    return signing_refusal(registry, path, key) is None


def signing_refusal(registry: Registry, path: Path, key: PublicKey) -> str | None:
    """Why the build would reject ``key``'s signature on ``path``, naming who may sign it;
    None when it would accept it."""
    refused = f"{path}: key {key.fingerprint} may not sign it"
    if key in registry.revoked_keys:
        return f"{refused}: it is revoked (registry.toml [trust] revoked-keys)"
    if file_kind(path) is FileKind.ADVISORY:
        return advisory_signing_refusal(registry, path, key)
    if file_kind(path) is FileKind.REGISTRY:
        if key in registry.root_keys:
            return None
        roots = ", ".join(sorted(root.fingerprint for root in registry.root_keys))
        return f"{refused}; only the root keys in [trust] root-keys may: {roots}"
    name = path.resolve().parent.name
    if file_kind(path) is FileKind.AMENDMENTS:
        return _curator_refusal(registry, name, key, refused)
    delegation = registry.delegations.get(name)
    if delegation is None:
        return (
            f"{refused}: registry.toml delegates no package {name!r}; a root key holder adds"
            f" it with 'regsite package new {name} --owner OWNER --description TEXT'"
        )
    owners = [registry.owners[owner] for owner in delegation.owners]
    if any(key in owner.keys for owner in owners):
        return None
    who = "; ".join(
        f"{owner.id} ({', '.join(k.fingerprint for k in owner.keys) or 'no keys'})"
        for owner in owners
    )
    return f"{refused}; registry.toml delegates {name!r} to the keys of: {who}"


def _curator_refusal(registry: Registry, name: str, key: PublicKey, refused: str) -> str | None:
    """Why ``key`` may not sign package ``name``'s amendments; None when it may."""
    in_scope = registry.curators_of(name)
    if any(key in curator.keys for curator in in_scope):
        return None
    who = "; ".join(
        f"{curator.id} ({', '.join(k.fingerprint for k in curator.keys) or 'no keys'})"
        for curator in in_scope
    )
    if not who:
        return (
            f"{refused}: no curator may amend {name!r}; a root key holder adds it to a curator's"
            " packages in registry.toml [curators]"
        )
    return f"{refused}; only curators whose packages hold {name!r} may: {who}"


def sign_edited(
    tree: SourceTree, changed: Iterable[Path], keys: Iterable[PrivateKey]
) -> list[SignOutcome]:
    """After an edit, sign each changed file with each given key that may sign it."""
    return list(sign_edit(tree, changed, keys).signed)


def sign_edit(tree: SourceTree, changed: Iterable[Path], keys: Iterable[PrivateKey]) -> EditSigning:
    """After an edit, sign each changed file with each given key that may sign it, and say,
    file by file, why a key that could sign none of them did not."""
    keys, changed = list(keys), list(changed)
    if not keys:
        return EditSigning(signed=(), refused=())
    registry = tree.registry()
    signed, refused = [], []
    for key in keys:
        refusals = [signing_refusal(registry, path, key.public) for path in changed]
        signed += [sign_file(p, key) for p, no in zip(changed, refusals, strict=True) if no is None]
        if all(refusals):
            refused += [refusal for refusal in refusals if refusal is not None]
    return EditSigning(signed=tuple(signed), refused=tuple(refused))


# the edit commands' --sign ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class EditOptions:
    """Where an edit command works, and the keys that sign what it changes."""

    source: Path = Path()
    sign: tuple[str, ...] = ()  # private key files or env:VARIABLE


@dataclass(frozen=True, slots=True)
class SourceEdit:
    """The files an edit changed and what ``--sign`` made of them."""

    changed: tuple[Path, ...]
    signing: EditSigning

    @property
    def warnings(self) -> tuple[str, ...]:
        """Why a ``--sign`` key signed nothing: the key is likely the wrong one."""
        return tuple(f"--sign: {refusal}" for refusal in self.signing.refused)


def signing_keys(references: Iterable[str]) -> list[PrivateKey]:
    """Load every ``--sign`` key; done before editing, so that a bad key path changes nothing."""
    return [load_private_key(reference) for reference in references]


def signed_edit(
    tree: SourceTree, keys: Sequence[PrivateKey], changed: Sequence[Path]
) -> SourceEdit:
    """Sign the changed files with each key that may sign them."""
    return SourceEdit(changed=tuple(changed), signing=sign_edit(tree, changed, keys))


# regsite sign -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SignOptions:
    files: tuple[Path, ...]
    keys: tuple[str, ...] = ()  # sign with each private key file (or env:VARIABLE) ...
    remove: tuple[str, ...] = ()  # ... or remove the signatures by these keys or fingerprints


@dataclass(frozen=True, slots=True)
class SignatureRemoval:
    path: Path
    keys: tuple[PublicKey, ...]  # whose signatures were removed from path's .sig


@dataclass(frozen=True, slots=True)
class FilesSigned:
    signed: tuple[SignOutcome, ...] = ()
    removed: tuple[SignatureRemoval, ...] = ()
    progress: tuple[SigningProgress, ...] = ()  # each signed file: what the build still needs


def sign_files(options: SignOptions) -> FilesSigned:
    """Sign each file with every key (each must be one the build accepts on every file), or
    remove the given keys' signatures from each."""
    if options.remove:
        return FilesSigned(removed=tuple(remove_signatures(options.files, options.remove)))
    if not options.keys:
        raise SourceEditError("give a key to sign with (--key KEY), or a signature to --remove")
    signed = sign_permitted(options.files, signing_keys(options.keys))
    progress = tuple(
        signing_progress(source_tree_of(path).registry(), path, file_kind(path))
        for path in dict.fromkeys(options.files)
    )
    return FilesSigned(signed=tuple(signed), progress=progress)
