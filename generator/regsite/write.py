"""Write stage: build the new tree beside the old one, then swap it in."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from regsite.errors import OutputError
from regsite.render import Output

__all__ = ["SITE_MARKER", "WriteResult", "write_site"]

log = logging.getLogger(__name__)

# A directory holding this file is a regsite output and may be replaced by the next build.
SITE_MARKER = "api/v1/registry.json"


@dataclass(frozen=True, slots=True)
class WriteResult:
    files: int
    bytes: int


def write_site(output: Output, out: Path, keep: Path | None = None) -> WriteResult:
    """Write every file to a fresh directory beside ``out`` and swap it in at the end.

    If anything fails, ``out`` is left exactly as it was.  A non-empty ``out`` that is not a
    previous regsite output is never replaced, so a mistyped ``-o`` cannot delete a directory,
    and neither is a directory that holds ``keep`` (the source being built).
    """
    out = out.absolute()
    _check_replaceable(out, keep)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output directory: {exc.strerror}") from exc
    try:
        staging.chmod(0o755)
        total = sum(_write_file(staging, path, content) for path, content in sorted(output.items()))
        _swap(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{out}: cannot write the site: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteResult(files=len(output), bytes=total)


def _check_replaceable(out: Path, keep: Path | None) -> None:
    if keep is not None and keep.resolve().is_relative_to(out.resolve()):
        raise OutputError(f"{out}: holds the source directory {keep}; choose another output")
    if not out.exists():
        return
    if out.is_symlink() or not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory; refusing to replace it")
    if any(out.iterdir()) and not (out / SITE_MARKER).is_file():
        raise OutputError(
            f"{out}: directory is not empty and holds no {SITE_MARKER}, so it is not a previous"
            " regsite output; refusing to replace it (choose a new or empty directory)"
        )


def _write_file(root: Path, relative: str, content: bytes) -> int:
    parts = PurePosixPath(relative)
    if parts.is_absolute() or any(part in ("", ".", "..") for part in parts.parts):
        raise OutputError(f"refusing to write outside the output directory: {relative!r}")
    target = root.joinpath(*parts.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return len(content)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except OSError:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)
    log.debug("replaced %s (previous tree removed)", os.fspath(out))
