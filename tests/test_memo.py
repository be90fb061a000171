"""The memo keeps what a successful build stored or read, and nothing else."""

from __future__ import annotations

from pathlib import Path

from regsite.memo import Memo


def test_a_build_keeps_what_it_stored_or_read_and_prunes_the_rest(tmp_path: Path) -> None:
    first = Memo.open(tmp_path)
    read, stored, unused = (first.key("scan", [name]) for name in ("read", "stored", "unused"))
    for key in (read, stored, unused):
        first.put("scan", key, key.hex())
    first.close(prune=True)

    second = Memo.open(tmp_path)  # reads one result, stores another again, leaves the third
    assert second.get("scan", read) == read.hex()
    second.put("scan", stored, "again")
    second.close(prune=True)

    third = Memo.open(tmp_path)
    found = third.get_many("scan", [read, stored, unused])
    assert found == {read: read.hex(), stored: "again"}
    third.close(prune=False)  # a failed build prunes nothing


def test_a_failed_build_prunes_nothing(tmp_path: Path) -> None:
    first = Memo.open(tmp_path)
    key = first.key("scan", ["kept"])
    first.put("scan", key, 1)
    first.close(prune=True)
    Memo.open(tmp_path).close(prune=False)  # read nothing, failed
    assert Memo.open(tmp_path).get("scan", key) == 1
