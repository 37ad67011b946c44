"""The SQLite store's group-commit writer: the writes one turn of the event loop submits are
committed together (one transaction, one fsync), a group holds at most ``MAX_GROUP`` writes, and
a write submitted in the turn that closes the writer is still committed."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from cognitoidentity.server.store.sqlite import writer as writer_module
from cognitoidentity.server.store.sqlite.connection import connect
from cognitoidentity.server.store.sqlite.writer import MAX_GROUP, GroupCommitWriter


class Commits:
    """Stands in for the server's metrics: the size of each group committed."""

    def __init__(self) -> None:
        self.groups: list[int] = []

    def store_commit(self, seconds: float, writes: int) -> None:
        self.groups.append(writes)


def writer_on(tmp_path: Path) -> tuple[GroupCommitWriter, Commits, Path]:
    path = tmp_path / "w.db"
    conn = connect(str(path))
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    conn.close()
    commits = Commits()
    return GroupCommitWriter(str(path), metrics=commits), commits, path  # type: ignore[arg-type]


def insert(n: int) -> Any:
    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (n) VALUES (?)", (n,))
        return n

    return job


def rows(path: Path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [n for (n,) in conn.execute("SELECT n FROM t ORDER BY n")]
    finally:
        conn.close()


def test_the_writes_of_one_turn_commit_together(tmp_path: Path) -> None:
    writer, commits, path = writer_on(tmp_path)

    async def main() -> list[int]:
        first = []
        for n in range(40):  # one turn
            first.append(writer.submit(insert(n)))
            if n < 3:
                # The GIL let go for a while, in the same turn: a writer handed each write at
                # once would commit the first ones alone meanwhile.
                time.sleep(0.02)  # noqa: ASYNC251 (blocking on purpose: the turn goes on)
        done = await asyncio.gather(*first)
        second = [writer.submit(insert(n)) for n in range(40, 45)]  # a later one
        return done + await asyncio.gather(*second)

    try:
        assert asyncio.run(main()) == list(range(45))
    finally:
        writer.close()
    assert commits.groups == [40, 5]
    assert rows(path) == list(range(45))


def test_a_group_holds_at_most_max_group_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "MAX_GROUP", 16)
    writer, commits, path = writer_on(tmp_path)

    async def main() -> list[int]:
        return list(await asyncio.gather(*(writer.submit(insert(n)) for n in range(40))))

    try:
        assert asyncio.run(main()) == list(range(40))
    finally:
        writer.close()
    assert commits.groups == [16, 16, 8]
    assert MAX_GROUP > 16  # (the module's own bound is larger; 16 keeps the test small)
    assert rows(path) == list(range(40))


def test_a_write_of_the_closing_turn_is_committed(tmp_path: Path) -> None:
    writer, commits, path = writer_on(tmp_path)

    async def main() -> None:
        writer.submit(insert(7))  # not awaited: the close comes in the same turn
        writer.close()

    asyncio.run(main())
    assert rows(path) == [7]
    assert commits.groups == [1]
