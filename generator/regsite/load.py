"""Load stage: read the source directory's files within size limits and parse their TOML."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regsite.errors import ErrorReport, RegistryError
from regsite.fields import long_key_problem
from regsite.model import SourceFile
from regsite.names import name_problem, normalize_name
from regsite.signatures import Signature, ThresholdResult, parse_signature_file

__all__ = [
    "PACKAGES_DIR",
    "PACKAGE_FILE",
    "REGISTRY_FILE",
    "ROOT_METADATA_DIR",
    "LoadedFile",
    "LoadedPackage",
    "LoadedSource",
    "SourceLimits",
    "crlf_hint",
    "load_package",
    "load_root_history",
    "load_signed_file",
    "load_source",
    "loaded_file",
    "package_directories",
    "package_from_content",
    "package_input",
    "read_registry_bytes",
    "read_upstream_root",
    "readme_file_problem",
    "registry_from_content",
    "require_source_directory",
]

REGISTRY_FILE = "registry.toml"
PACKAGES_DIR = "packages"
PACKAGE_FILE = "package.toml"
ROOT_METADATA_DIR = "metadata"  # N.root.json, signed offline by the root keys
_ROOT_FILE = re.compile(r"([1-9][0-9]{0,5})\.root\.json")
_README_DEFAULT = "README.md"
_README_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\.md")


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceLimits:
    """Size limits checked before anything is parsed (docs/format.md, "Limits")."""

    registry_bytes: int = 16 * 1024 * 1024
    package_bytes: int = 1024 * 1024
    amendments_bytes: int = 1024 * 1024  # a curator's amendments to one package
    readme_bytes: int = 512 * 1024
    signature_bytes: int = 64 * 1024
    root_metadata_bytes: int = 512 * 1024
    # What a README may hold before Markdown sees it (regsite.readme): each bounds a kind of markup
    # that costs markdown-it-py tens of times more per byte than prose.
    readme_lines: int = 32_768
    readme_nesting: int = 8  # block quotes and lists, one inside another
    readme_list_items: int = 16_384
    readme_links: int = 16_384  # '[' and '<' characters: each may open a link or an image
    readme_table_cells: int = 16_384
    readme_emphasis: int = 32_768  # '*', '_' and '~' characters
    readme_seconds: float = 10.0  # CPU seconds for each pass of Markdown work on a README; 0: none


@dataclass(frozen=True, kw_only=True, slots=True)
class LoadedFile:
    """A TOML file as read: its exact bytes, its parsed document and its signature file."""

    path: str  # relative to the source directory, with '/' separators
    content: bytes
    document: dict[str, Any]
    signature_path: str
    signature_content: bytes | None
    signatures: tuple[Signature, ...]

    def source_file(self, verification: ThresholdResult | None) -> SourceFile:
        """The model's record of this file, with the verify stage's verdict."""
        return SourceFile(
            path=self.path,
            content=self.content,
            signature_content=self.signature_content,
            verification=verification,
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class LoadedPackage:
    name: str
    index: LoadedFile
    readme: bytes | None


@dataclass(frozen=True, kw_only=True, slots=True)
class LoadedSource:
    root: Path
    registry: LoadedFile | None
    packages: tuple[LoadedPackage, ...]
    directories: tuple[str, ...]  # every package directory found, loaded or not
    root_history: tuple[bytes, ...] = ()  # metadata/1.root.json, 2.root.json, ... in order


def load_source(
    root: Path, report: ErrorReport, limits: SourceLimits | None = None
) -> LoadedSource:
    """Read ``registry.toml`` and every ``packages/<name>/``; record problems in ``report``."""
    limits = limits or SourceLimits()
    require_source_directory(root)
    content = read_registry_bytes(root, limits, report)
    registry = None if content is None else registry_from_content(root, content, limits, report)
    directories = tuple(package_directories(root, report))
    packages = tuple(
        package
        for name in directories
        if (package := load_package(root, name, report, limits)) is not None
    )
    return LoadedSource(
        root=root,
        registry=registry,
        packages=packages,
        directories=directories,
        root_history=load_root_history(root, report, limits),
    )


def require_source_directory(root: Path) -> None:
    """Stop at once when there is no source to collect problems from."""
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise RegistryError(f"{root}: source directory {what}")


def load_root_history(root: Path, report: ErrorReport, limits: SourceLimits) -> tuple[bytes, ...]:
    """``metadata/N.root.json`` for N = 1, 2, ... with no gap; nothing else may be there."""
    directory = root / ROOT_METADATA_DIR
    if not directory.exists():
        return ()
    if directory.is_symlink() or not directory.is_dir():
        report.add(ROOT_METADATA_DIR, "", "expected a directory (symbolic links are refused)")
        return ()
    versions: list[int] = []
    for entry in sorted(os.scandir(directory), key=lambda item: item.name):
        match = _ROOT_FILE.fullmatch(entry.name)
        if match is None:
            if not entry.name.startswith("."):
                where = f"{ROOT_METADATA_DIR}/{entry.name}"
                report.add(where, "", "unexpected file; metadata/ holds only N.root.json files")
            continue
        versions.append(int(match[1]))
    versions.sort()
    if versions != list(range(1, len(versions) + 1)):
        report.add(ROOT_METADATA_DIR, "", f"root versions {versions} have a gap; expected 1..N")
        return ()
    history = [
        _read_bytes(
            root,
            f"{ROOT_METADATA_DIR}/{version}.root.json",
            limits.root_metadata_bytes,
            report,
            required=True,
        )
        for version in versions
    ]
    return tuple(content for content in history if content is not None)


def load_package(
    root: Path, name: str, report: ErrorReport, limits: SourceLimits | None = None
) -> LoadedPackage | None:
    """Read ``packages/<name>/``; ``name`` must already satisfy the name rules."""
    limits = limits or SourceLimits()
    relative = f"{PACKAGES_DIR}/{name}/{PACKAGE_FILE}"
    content = _read_bytes(root, relative, limits.package_bytes, report, required=True)
    return None if content is None else package_from_content(root, name, content, limits, report)


def load_signed_file(
    root: Path, relative: str, max_bytes: int, limits: SourceLimits, report: ErrorReport
) -> LoadedFile | None:
    """Read and parse a signed TOML file and its ``.sig`` (a curator's amendments file)."""
    content = _read_bytes(root, relative, max_bytes, report, required=True)
    return None if content is None else _with_signatures(root, relative, content, limits, report)


def registry_from_content(
    root: Path, content: bytes, limits: SourceLimits, report: ErrorReport
) -> LoadedFile | None:
    """Parse ``content`` as registry.toml, with the signature file that is on disk."""
    return _with_signatures(root, REGISTRY_FILE, content, limits, report)


def package_from_content(
    root: Path, name: str, content: bytes, limits: SourceLimits, report: ErrorReport
) -> LoadedPackage | None:
    """Parse ``content`` as the package index of ``name`` and read the README it names."""
    relative = f"{PACKAGES_DIR}/{name}/{PACKAGE_FILE}"
    index = _with_signatures(root, relative, content, limits, report)
    if index is None:
        return None
    readme = None
    declared = index.document.get("package", {})
    readme_entry = declared.get("readme") if isinstance(declared, dict) else None
    if isinstance(readme_entry, dict) and isinstance(file := readme_entry.get("file"), str):
        readme = _load_readme(root, f"{PACKAGES_DIR}/{name}", file, limits, report)
    elif isinstance(declared, dict) and "readme" not in declared:
        _unrecorded_readme(root, name, report)
    return LoadedPackage(name=name, index=index, readme=readme)


def _unrecorded_readme(root: Path, name: str, report: ErrorReport) -> None:
    """A README.md that package.toml does not record would be left off the site, silently."""
    relative = f"{PACKAGES_DIR}/{name}/{_README_DEFAULT}"
    if os.path.lexists(root / relative):
        report.add(
            relative,
            "",
            "not recorded in package.toml, so the site would leave it out; record it with"
            f" 'regsite package readme {name}', then sign package.toml (or remove the file)",
        )


_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _parse_toml(relative: str, content: bytes, report: ErrorReport) -> dict[str, Any] | None:
    """Parse UTF-8 TOML; a problem (never an exception) for anything tomllib refuses."""
    if content.startswith(_UTF8_BOM):
        # Not stripped: the signature covers the exact bytes, and TOML does not allow one.
        report.add(relative, "", _BOM_PROBLEM)
        return None
    if content.startswith(_UTF16_BOMS):
        report.add(relative, "", "the file is UTF-16; save it as UTF-8 (without a BOM)")
        return None
    try:
        text = content.decode("utf-8")
        if (problem := long_key_problem(text)) is not None:
            report.add(relative, "", problem)
            return None
        return tomllib.loads(text)
    except UnicodeDecodeError as exc:
        report.add(relative, "", f"not valid UTF-8 (byte {exc.start})")
    except ValueError as exc:  # TOMLDecodeError, and integers too long to convert
        report.add(relative, "", f"not valid TOML: {exc}")
    except RecursionError:
        report.add(relative, "", "not valid TOML: arrays or tables nested too deeply")
    return None


def crlf_hint(path: str) -> str:
    """Why a file with CRLF line endings may no longer match its signature or recorded hash."""
    # Git's core.autocrlf rewrites line endings on checkout, which changes the signed bytes.
    return (
        f"{path} has CRLF (\\r\\n) line endings: if git converted them on checkout"
        " (core.autocrlf), the .gitattributes that 'regsite init' writes keeps signed files byte"
        " for byte ('*.toml -text', '*.sig -text', '*.md -text'); add it, then delete the file"
        f" and check it out again (git checkout -- {path})"
    )


_BOM_PROBLEM = (
    "the file starts with a UTF-8 byte order mark (BOM), which TOML does not allow; save it as"
    " UTF-8 without a BOM (in an editor, 'UTF-8' rather than 'UTF-8 with BOM'), and sign it"
    " again if it was signed with one"
)


def read_registry_bytes(root: Path, limits: SourceLimits, report: ErrorReport) -> bytes | None:
    if not os.path.lexists(root / REGISTRY_FILE):
        report.add(
            REGISTRY_FILE,
            "",
            f"file is missing: {root} is not a registry source; start one with"
            f" 'regsite init {root} --name NAME --title TITLE --root-key KEY'",
        )
        return None
    return _read_bytes(root, REGISTRY_FILE, limits.registry_bytes, report, required=True)


def read_registry_signature_bytes(root: Path, limits: SourceLimits) -> bytes | None:
    """registry.toml.sig's bytes, or None when it cannot be read (reading registry.toml with
    :func:`registry_from_content` reports why)."""
    relative = f"{REGISTRY_FILE}.sig"
    return _read_bytes(root, relative, limits.signature_bytes, ErrorReport(), required=False)


def read_upstream_root(
    root: Path, relative: str, limits: SourceLimits, report: ErrorReport
) -> bytes | None:
    """An upstream's pinned root (``upstream/<name>/N.root.json``, names already checked), with
    no symbolic link on the way to it."""
    parent = root
    for part in relative.split("/")[:-1]:
        parent = parent / part
        if parent.is_symlink():
            where = parent.relative_to(root).as_posix()
            report.add(where, "", "expected a directory (symbolic links are refused)")
            return None
    return _read_bytes(root, relative, limits.root_metadata_bytes, report, required=True)


def package_directories(root: Path, report: ErrorReport) -> list[str]:
    """The package directories under ``packages/`` whose names are valid, sorted."""
    directory = root / PACKAGES_DIR
    if not directory.exists():
        return []
    if directory.is_symlink() or not directory.is_dir():
        report.add(PACKAGES_DIR, "", "expected a directory (symbolic links are not followed)")
        return []
    names = []
    seen: dict[str, str] = {}
    for entry in sorted(os.scandir(directory), key=lambda item: item.name):
        if entry.name.startswith("."):
            continue
        relative = f"{PACKAGES_DIR}/{entry.name}"
        first = seen.setdefault(normalize_name(entry.name), entry.name)
        if first != entry.name:
            report.add(relative, "", f"collides with packages/{first}: both normalise alike")
        if entry.is_symlink() or not entry.is_dir():
            report.add(relative, "", "expected a package directory (symbolic links are refused)")
        elif (problem := name_problem(entry.name)) is not None:
            report.add(relative, "", f"directory {problem}")
        else:
            names.append(entry.name)
    return names


def package_input(file: str) -> bool:
    """Whether a file in a package directory is an input of the package's scan: its version
    index, the signatures, and Markdown (the README it names, or one it should)."""
    return file in _PACKAGE_INPUTS or file.endswith(".md")


_PACKAGE_INPUTS = frozenset({PACKAGE_FILE, f"{PACKAGE_FILE}.sig"})


def readme_file_problem(file: str) -> str | None:
    """READMEs are plain ``.md`` file names beside package.toml: never a path."""
    if _README_NAME.fullmatch(file) is None:
        return f"expected a plain file name ending in .md beside package.toml, found {file!r:.80}"
    return None


def _load_readme(
    root: Path, directory: str, file: str, limits: SourceLimits, report: ErrorReport
) -> bytes | None:
    if (problem := readme_file_problem(file)) is not None:
        report.add(f"{directory}/{PACKAGE_FILE}", "package.readme.file", problem)
        return None
    return _read_bytes(root, f"{directory}/{file}", limits.readme_bytes, report, required=True)


def _with_signatures(
    root: Path, relative: str, content: bytes, limits: SourceLimits, report: ErrorReport
) -> LoadedFile | None:
    signature_content = _read_bytes(
        root, relative + ".sig", limits.signature_bytes, report, required=False
    )
    return loaded_file(relative, content, signature_content, report)


def loaded_file(
    relative: str, content: bytes, signature_content: bytes | None, report: ErrorReport
) -> LoadedFile | None:
    """Parse a signed TOML file and its ``.sig`` from bytes (as a client fetched them)."""
    document = _parse_toml(relative, content, report)
    if document is None:
        return None
    signature_path = relative + ".sig"
    signatures: tuple[Signature, ...] = ()
    if signature_content is not None:
        signatures, problems = parse_signature_file(signature_content)
        for key, message in problems:
            report.add(signature_path, key, message)
    return LoadedFile(
        path=relative,
        content=content,
        document=document,
        signature_path=signature_path,
        signature_content=signature_content,
        signatures=signatures,
    )


def _read_bytes(
    root: Path, relative: str, max_bytes: int, report: ErrorReport, *, required: bool
) -> bytes | None:
    path = root / relative
    try:
        info = path.lstat()
    except FileNotFoundError:
        if required:
            report.add(relative, "", "file is missing")
        return None
    except OSError as exc:
        report.add(relative, "", f"cannot read: {exc.strerror}")
        return None
    if not stat.S_ISREG(info.st_mode):
        report.add(relative, "", "expected a regular file (symbolic links are refused)")
        return None
    if info.st_size > max_bytes:
        report.add(relative, "", f"file is {info.st_size} bytes; the limit is {max_bytes} bytes")
        return None
    with path.open("rb") as handle:
        content = handle.read(max_bytes + 1)
    if len(content) > max_bytes:
        report.add(relative, "", f"file grew past the limit of {max_bytes} bytes while read")
        return None
    return content
