"""The upstream stage at scale: a registry that takes packages from an upstream of N packages.

    .venv/bin/python bench/upstream_bench.py                              # 10,000, all taken
    .venv/bin/python bench/upstream_bench.py --packages 10000 --take 100
    .venv/bin/python bench/upstream_bench.py --packages 300 --take 300 --releases 2   # quick
    .venv/bin/python bench/upstream_bench.py --packages 500 --latency 20 --jobs 1     # serial

The upstream is the benchmark corpus (bench/source.py), signed and built into a site, served
on 127.0.0.1 by Python's ``http.server`` in a process of its own (``--latency MS`` delays each
answer, as a distant host does; ``--jobs`` sets the files the build fetches at once).  The
downstream is a registry of one package that requires the first package it takes; its
``[[upstream]]`` takes the first ``--take`` packages of the upstream.  Each figure is the
downstream build's ``upstreams`` stage (the pinned root, the verifying client, the owners'
signatures on each package taken), and the whole check of the source (``regsite verify``'s
work), best of ``--repeat``:

- **cold**: an empty memo (a first build, or a cache restored empty): every file fetched, every
  signature checked;
- **unchanged**: the memo the cold build left, the upstream unchanged (a rebuild in CI);
- **one changed**: the same memo, after the upstream published a new release of one taken
  package (a new snapshot: only that package's files are fetched and checked again).

Requests are counted in the server's log.  ``--json-out`` keeps the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import ReleaseSpec
from source import BenchSource, add_release, write_source

from regsite.build import BuildOptions, build, check_source
from regsite.keys import PrivateKey, load_private_key
from regsite.signatures import FileKind, dump_signature_file, sign_bytes
from regsite.upstream_fetch import FETCH_JOBS
from regsite.upstreams import UpstreamOptions

_UPSTREAM = "bench"  # the upstream's name in the downstream's registry.toml


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000, help="the upstream's packages")
    parser.add_argument("--take", type=int, help="packages taken from it (default: all)")
    parser.add_argument("--releases", type=int, help="releases per package (default: 1-5)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0, help="ms before each answer")
    parser.add_argument("--jobs", type=int, default=FETCH_JOBS, help="files fetched at once")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="upstream-bench-") as scratch:
        figures = run(Path(scratch), args)
    print_table(figures)
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def run(scratch: Path, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    upstream = write_source(scratch / "upstream", args.packages, args.releases)
    site = scratch / "upstream-site"
    online = load_private_key(str(upstream.online_key))
    build(BuildOptions(source=upstream.directory, output=site, online_key=online))
    take = min(args.take or args.packages, args.packages)
    figures: dict[str, Any] = {
        "packages": args.packages,
        "taken": take,
        "latency_ms": args.latency,
        "jobs": args.jobs,
        "prepare_seconds": time.perf_counter() - started,
    }
    with _served(site, scratch / "server.log", args.latency) as (url, server):
        source = _downstream(scratch / "downstream", upstream, url, take)
        jobs = args.jobs
        figures["cold"] = _best(args.repeat, lambda: _check(source, None, server, jobs))
        cache = scratch / "cache"
        _check(source, cache, server, jobs)
        figures["unchanged"] = _best(args.repeat, lambda: _check(source, cache, server, jobs))
        results = []
        for attempt in range(args.repeat):  # the upstream publishes a release, then a rebuild
            version, published = f"99.{attempt}.0", datetime(2030, 1, 1, tzinfo=UTC)
            release = ReleaseSpec(version, published, (), False, 1000, "0" * 64)
            add_release(upstream, 0, release)
            build(BuildOptions(source=upstream.directory, output=site, online_key=online))
            results.append(_check(source, cache, server, jobs))
        figures["one_changed"] = _summary(results)
    return figures


def _downstream(directory: Path, upstream: BenchSource, url: str, take: int) -> Path:
    """One package, app, requiring the first package taken; registry.toml takes ``take``."""
    taken = [spec.name for spec in upstream.specs[:take]]
    pinned = upstream.directory / "metadata" / "1.root.json"
    (directory / "upstream" / _UPSTREAM).mkdir(parents=True)
    shutil.copyfile(pinned, directory / "upstream" / _UPSTREAM / "1.root.json")
    key = next(iter(upstream.owners.values()))  # root and owner of the downstream alike
    sha256 = hashlib.sha256(pinned.read_bytes()).hexdigest()
    registry = f"""format = 1

[registry]
name = "downstream"
title = "Downstream"

[trust]
root-keys = ["{key.public}"]

[owners.o]
name = "O"
keys = ["{key.public}"]

[packages]
app = {{ owners = ["o"] }}

[[upstream]]
name = "{_UPSTREAM}"
url = "{url}/"
root = {{ file = "1.root.json", sha256 = "{sha256}" }}
packages = [{", ".join(f'"{name}"' for name in taken)}]
"""
    _signed(directory / "registry.toml", registry, FileKind.REGISTRY, key)
    package = f"""format = 1

[package]
name = "app"
description = "Depends on an upstream package."

[[release]]
version = "1.0.0"
published = 2026-01-01T00:00:00Z
requires = {{ {taken[0]} = {{ version = "*", upstream = "{_UPSTREAM}" }} }}

[[release.artifact]]
url = "https://files.example.org/app-1.0.0.tar.gz"
sha256 = "{"0" * 64}"
size = 1
"""
    (directory / "packages" / "app").mkdir(parents=True)
    _signed(directory / "packages" / "app" / "package.toml", package, FileKind.PACKAGE, key)
    return directory


def _signed(path: Path, text: str, kind: FileKind, key: PrivateKey) -> None:
    path.write_text(text, encoding="utf-8")
    signature = sign_bytes(key, kind, text.encode())
    path.with_name(path.name + ".sig").write_bytes(dump_signature_file((signature,)))


@dataclass
class _StageTimes:
    """A build's Progress that keeps each stage's seconds."""

    seconds: dict[str, float] = field(default_factory=dict)

    def start(self, stage: str, total: int | None) -> None:
        return

    def advance(self, count: int) -> None:
        return

    def finish(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = seconds


@dataclass(frozen=True)
class _Timed:
    seconds: float  # the upstreams stage
    check_seconds: float  # the whole check of the source
    requests: int


def _check(source: Path, cache: Path | None, server: _Server, jobs: int) -> _Timed:
    times = _StageTimes()
    before = server.count()
    started = time.perf_counter()
    options = BuildOptions(
        source=source,
        output=source.parent / "out",
        cache=cache,
        progress=times,
        upstreams=UpstreamOptions(jobs=jobs),
    )
    checked = check_source(options)
    total = time.perf_counter() - started
    if checked.report:
        raise SystemExit("\n".join(str(problem) for problem in checked.report))
    return _Timed(times.seconds["upstreams"], total, server.count() - before)


def _best(repeat: int, measure: Callable[[], _Timed]) -> dict[str, float]:
    return _summary([measure() for _ in range(repeat)])


def _summary(results: list[_Timed]) -> dict[str, float]:
    best = min(results, key=lambda timed: timed.seconds)
    return {"seconds": best.seconds, "check_seconds": best.check_seconds, "requests": best.requests}


@dataclass
class _Server:
    """Python's ``http.server`` in a process of its own (as a host is: not competing with the
    build for the interpreter); requests are counted from its log."""

    log: Path

    def count(self) -> int:
        return self.log.read_text(errors="replace").count('"GET ')


@contextmanager
def _served(site: Path, log: Path, latency: float) -> Iterator[tuple[str, _Server]]:
    port = _free_port()
    with log.open("w") as stream:
        command = [sys.executable, "-c", _LATENT_SERVER, str(port), str(latency)]
        process = subprocess.Popen(command, cwd=site, stderr=stream, stdout=subprocess.DEVNULL)
        try:
            _wait_for(port)
            yield f"http://127.0.0.1:{port}", _Server(log)
        finally:
            process.terminate()
            process.wait()


# http.server's own server (threads, one a connection), each GET answered after the latency.
_LATENT_SERVER = """
import http.server, sys, time
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        time.sleep(float(sys.argv[2]) / 1000)
        super().do_GET()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the upstream's server did not start on port {port}")


def print_table(figures: dict[str, Any]) -> None:
    print(
        f"upstream of {figures['packages']:,} packages, {figures['taken']:,} taken"
        f" (made and built in {figures['prepare_seconds']:.0f} s); {figures['latency_ms']:g} ms"
        f" a request, {figures['jobs']} at once"
    )
    print(f"{'':<12} {'stage (s)':>10} {'check (s)':>10} {'requests':>9}")
    for label in ("cold", "unchanged", "one_changed"):
        row = figures[label]
        seconds, check, requests = row["seconds"], row["check_seconds"], row["requests"]
        print(f"{label:<12} {seconds:>10.3f} {check:>10.3f} {requests:>9}")


if __name__ == "__main__":
    raise SystemExit(main())
