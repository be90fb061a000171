"""The sign stage alone: ``publish_metadata`` over N synthetic targets, two implementations.

    .venv/bin/python bench/sign_bench.py                       # 10,000 and 100,000 targets
    .venv/bin/python bench/sign_bench.py --targets 10000 --old-ref 78b99e2 --repeat 3

For each size, each implementation runs in a fresh process: this checkout's ``generator/``
(``new``) and, with ``--old-ref``, the same directory at another git commit (``old``, extracted
with ``git archive``; default: the commit before the sign stage moved onto python-tuf).  Each
process times, with example-site's registry and demo online key:

- **cold**: no previous site, an empty memo: every role signed;
- **one change**: the cold output as the previous site, the memo the cold build recorded (as
  the build cache keeps it), one target's hash changed, an hour later;
- **one change, no memo**: the same without the memo (a cache restored empty), so every
  previous bin is parsed to learn its content.

Figures are the best of ``--repeat`` runs, in seconds; ``--json-out`` keeps them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example-site"
OLD_REF = "78b99e2"  # main before issue 14's python-tuf sign stage
SIGNED_AT = datetime(2026, 3, 1, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--old-ref", default=OLD_REF, help="git commit of the other side; '' skips it"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--run-one", type=int, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.run_one is not None:
        print(json.dumps(run_one(args.run_one, args.repeat)))
        return 0
    results = compare(args.targets, args.old_ref, args.repeat)
    print_table(results)
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def compare(sizes: list[int], old_ref: str, repeat: int) -> dict[str, dict[str, Any]]:
    """Each size, each implementation, in a child process of its own."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="sign-bench-") as scratch:
        sides = {"new": ROOT / "generator"}
        if old_ref:
            sides["old"] = extract(old_ref, Path(scratch))
        for size in sizes:
            for side, generator in sides.items():
                env = dict(os.environ, PYTHONPATH=str(generator))
                command = [
                    sys.executable,
                    __file__,
                    "--run-one",
                    str(size),
                    "--repeat",
                    str(repeat),
                ]
                out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
                results.setdefault(str(size), {})[side] = json.loads(out.stdout)
    return results


def extract(ref: str, into: Path) -> Path:
    """``generator/`` at commit ``ref``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "generator"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "generator"


# The child: one implementation ------------------------------------------------------------------


@dataclasses.dataclass
class MemoryPrevious:
    """The previous site in memory; any target copy it is asked for exists."""

    files: Mapping[str, bytes]

    def read(self, path: str) -> bytes | None:
        if path.startswith("metadata/"):
            return self.files.get(path)
        return b"a target's content-addressed copy\n"

    def snapshot_versions(self) -> list[int]:
        names = (path.removeprefix("metadata/") for path in self.files)
        return sorted(int(n.split(".")[0]) for n in names if n.endswith(".snapshot.json"))


def run_one(size: int, repeat: int) -> dict[str, Any]:
    from regsite.keys import load_private_key
    from regsite.metadata.previous import RoleMemo
    from regsite.metadata.publish import publish_metadata
    from regsite.sources import SourceTree

    file_info = _file_info_type()
    registry = dataclasses.replace(
        SourceTree(EXAMPLE).registry(),
        root_history=((EXAMPLE / "metadata/1.root.json").read_bytes(),),
    )
    key = load_private_key(str(EXAMPLE / "demo-keys/online.key"))
    targets = {path: file_info(1000 + i, _sha(path)) for i, path in enumerate(_paths(size))}
    changed = dict(targets)
    first = next(iter(changed))
    changed[first] = file_info(2000, _sha("changed"))

    def cold() -> tuple[Mapping[str, bytes], Any]:
        memo = RoleMemo()
        return publish_metadata(targets, registry, key, SIGNED_AT, None, memo), memo

    output, memo = cold()
    later = SIGNED_AT + timedelta(hours=1)
    previous = MemoryPrevious(output)
    figures = {
        "cold": best(lambda: cold(), repeat),
        "one change": best(
            lambda: publish_metadata(
                changed, registry, key, later, previous, RoleMemo(known=dict(memo.current))
            ),
            repeat,
        ),
        "one change, no memo": best(
            lambda: publish_metadata(changed, registry, key, later, previous, RoleMemo()), repeat
        ),
    }
    rebuilt = publish_metadata(
        changed, registry, key, later, previous, RoleMemo(known=memo.current)
    )
    resigned = [path for path, data in rebuilt.items() if output.get(path) != data]
    return {
        "seconds": figures,
        "metadata files": sum(1 for path in output if path.startswith("metadata/")),
        "metadata bytes": sum(
            len(data) for path, data in output.items() if path.startswith("metadata/")
        ),
        "files written by the one-change rebuild": len(resigned),
    }


def _file_info_type() -> Callable[[int, str], Any]:
    try:
        from regsite.metadata.publish import FileInfo  # python-tuf sign stage

        return FileInfo  # type: ignore[no-any-return]
    except ImportError:
        from regsite.metadata.roles import FileInfo  # type: ignore[no-redef]  # hand-written one

        return FileInfo  # type: ignore[no-any-return]


def _paths(size: int) -> list[str]:
    """Paths shaped like a site's: per package a document, its sources, its page."""
    kinds = ("api/v1/packages/{}.json", "api/v1/sources/{}/package.toml", "packages/{}/index.html")
    return [kinds[i % 3].format(f"package-{i // 3:06d}") for i in range(size)]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def best(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print("| targets | figure | old (s) | new (s) | new / old |")
    print("|---|---|---|---|---|")
    for size, sides in results.items():
        for figure in sides["new"]["seconds"]:
            new = sides["new"]["seconds"][figure]
            old = sides.get("old", {}).get("seconds", {}).get(figure)
            ratio = f"{new / old:.2f}x" if old else "-"
            shown = "-" if old is None else old
            print(f"| {int(size):,} | {figure} | {shown} | {new} | {ratio} |")
    for size, sides in results.items():
        for side, result in sides.items():
            others = {k: v for k, v in result.items() if k != "seconds"}
            print(f"{int(size):,} targets, {side}: {others}")


if __name__ == "__main__":
    sys.exit(main())
