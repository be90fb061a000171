"""The write stage's commit: a build stopped or killed while committing never leaves a site that
mixes two builds, and what killed builds leave beside the output is finished or removed."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import DEMO_ONLINE_KEY
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.commands.serve import make_server
from regsite.commands.verify_site import verify_site
from regsite.errors import OutputError
from regsite.fetch import UrlFetcher
from regsite.journal import recover_output, unfinished_commit
from regsite.write import OutputWriter
from test_build import tree_digest
from test_incremental import T0, edit_description
from test_publish import copy_example


def signed_build(source: Path, out: Path, at: datetime | None = T0) -> None:
    """Signed at ``at`` (None: now)."""
    build(
        BuildOptions(source=source, output=out, online_key=DEMO_ONLINE_KEY, signing_time=at, jobs=1)
    )


def build_in_child(
    source: Path, out: Path, after_moves: int, stop: Callable[[], None], at: datetime | None = T0
) -> int:
    """Build in a forked process whose commit calls ``stop`` after ``after_moves`` files moved
    into the output; return the child's exit code (-N: killed by signal N)."""

    def child() -> None:
        moves = 0
        replace = Path.replace

        def counting_replace(self: Path, target: str | os.PathLike[str]) -> Path:
            nonlocal moves
            moved = replace(self, target)
            if ".commit-" in str(self):
                moves += 1
                if moves == after_moves:
                    stop()
            return moved

        Path.replace = counting_replace  # type: ignore[method-assign]
        signed_build(source, out, at)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(60)
    assert process.exitcode is not None
    return process.exitcode


@pytest.fixture
def changed_source(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A site built from example-site, the source changed in every package, and the tree a
    build of the changed source writes over that site."""
    source = copy_example(tmp_path)
    out = tmp_path / "site"
    signed_build(source, out)
    for name in ("hue", "tinyjson", "http-kit", "flagpole"):
        edit_description(source, name, f"{name}, described anew.")
    expected = tmp_path / "expected"
    shutil.copytree(out, expected)
    signed_build(source, expected)
    return source, out, tree_digest(expected)


def test_build_killed_mid_commit_is_finished_by_the_next_build(
    changed_source: tuple[Path, Path, dict[str, str]],
) -> None:
    source, out, expected = changed_source
    code = build_in_child(source, out, 3, lambda: os.kill(os.getpid(), signal.SIGKILL))
    assert code == -signal.SIGKILL
    assert unfinished_commit(out) is not None
    assert tree_digest(out) != expected  # killed half-way: the journal holds the rest
    signed_build(source, out)
    assert tree_digest(out) == expected
    assert unfinished_commit(out) is None
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []


def test_recover_output_finishes_a_killed_commit_without_a_build(
    changed_source: tuple[Path, Path, dict[str, str]],
) -> None:
    source, out, expected = changed_source
    build_in_child(source, out, 1, lambda: os.kill(os.getpid(), signal.SIGKILL))
    assert recover_output(out) is True
    assert tree_digest(out) == expected
    assert recover_output(out) is False


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_during_commit_waits_until_the_commit_is_done(
    changed_source: tuple[Path, Path, dict[str, str]], signal_number: int
) -> None:
    if signal.getsignal(signal_number) is signal.SIG_IGN:  # e.g. under nohup: a build keeps
        pytest.skip(f"{signal.Signals(signal_number).name} is ignored here, so builds ignore it")
    source, out, expected = changed_source
    code = build_in_child(source, out, 2, lambda: os.kill(os.getpid(), signal_number))
    assert code != 0  # the signal stopped the build, after its commit
    assert tree_digest(out) == expected
    assert unfinished_commit(out) is None
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_staging_left_by_a_killed_build_is_removed_by_the_next(
    changed_source: tuple[Path, Path, dict[str, str]],
) -> None:
    source, out, expected = changed_source
    left = out.parent / f".{out.name}.new-k1ll3d"
    (left / "packages").mkdir(parents=True)
    (left / "packages/half-written.html").write_text("<p>half")
    signed_build(source, out)
    assert not left.exists()
    assert tree_digest(out) == expected


def test_two_builds_cannot_write_one_output(
    changed_source: tuple[Path, Path, dict[str, str]],
) -> None:
    source, out, _ = changed_source
    before = tree_digest(out)
    writer = OutputWriter.open(out, None, consistent=True)
    try:
        with pytest.raises(OutputError, match="another regsite build is writing this output"):
            signed_build(source, out)
    finally:
        writer.discard()
    assert tree_digest(out) == before


def test_verify_site_refuses_a_site_with_an_unfinished_commit(
    changed_source: tuple[Path, Path, dict[str, str]],
) -> None:
    source, out, _ = changed_source
    build_in_child(source, out, 2, lambda: os.kill(os.getpid(), signal.SIGKILL))
    root = (source / "metadata/1.root.json").read_bytes()
    killed = verify_site(out.as_uri() + "/", root, UrlFetcher(), now=lambda: T0)
    assert len(killed.problems) == 1
    assert "an unfinished commit of a build that was killed" in killed.problems[0]
    recover_output(out)
    assert verify_site(out.as_uri() + "/", root, UrlFetcher(), now=lambda: T0).ok


def test_timestamp_refresh_finishes_an_unfinished_commit_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = copy_example(tmp_path)
    out = tmp_path / "site"
    now = datetime.now(UTC).replace(microsecond=0)
    signed_build(source, out, now)
    edit_description(source, "hue", "hue, described anew.")
    build_in_child(source, out, 2, lambda: os.kill(os.getpid(), signal.SIGKILL), now)
    key = str(source / "demo-keys/online.key")
    assert main(["timestamp", "refresh", str(out), "--online-key", key]) == 0
    assert "finished the commit of a build that was killed" in capsys.readouterr().out
    assert unfinished_commit(out) is None
    assert b"hue, described anew." in (out / "api/v1/packages/hue.json").read_bytes()


def test_failed_first_build_leaves_no_directory(tmp_path: Path) -> None:
    out = tmp_path / "site"
    writer = OutputWriter.open(out, None, consistent=False)
    writer.put("index.html", b"<p>")
    writer.discard()
    assert list(tmp_path.iterdir()) == []
    assert unfinished_commit(out) is None


def test_serve_warns_about_a_site_with_an_unfinished_commit(
    changed_source: tuple[Path, Path, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    source, out, _ = changed_source
    build_in_child(source, out, 2, lambda: os.kill(os.getpid(), signal.SIGKILL))
    server = make_server(out, port=0)
    server.server_close()
    assert "a build was killed while committing" in caplog.text
