"""Deleting pools and accounts in the SQLite store: :class:`SqlitePoolDeletion`, the part of
:class:`~.store.SqliteStore` that marks a pool deleted, deletes its identities a batch per
transaction (:mod:`..purge`), and gives the write-ahead log back to the disk afterwards.

Each batch is one job of the writer thread (:mod:`.writer`), so it shares the write lock fairly:
the writes of other requests that queued while it ran go in the next transaction, before the next
batch is even submitted. A batch is ``DELETE ... WHERE seq IN (SELECT ... LIMIT n)`` on the pool's
index, and the logins go with their identities (``ON DELETE CASCADE``): running it twice, or from
two processes (``serve --workers``), deletes nothing twice and never fails.

The write-ahead log grows by about a batch between two automatic checkpoints, so it stays small
during a delete, but the file keeps its largest size until it is truncated: after a large delete
:meth:`SqlitePoolDeletion.compact` runs ``PRAGMA wal_checkpoint(TRUNCATE)``. The database file
keeps its size (SQLite reuses the freed pages for new rows).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeVar

from cognitoidentity.server.store import purge
from cognitoidentity.server.store.sqlite.connection import connect, is_busy
from cognitoidentity.server.store.sqlite.reads import Reader

log = logging.getLogger("cognitoidentity")

T = TypeVar("T")

CHECKPOINT_BUSY_MS: Final = 100
"""How long a truncating checkpoint waits for readers to leave the log. New writes wait while it
is pending, so the wait is short; a checkpoint that could not finish is tried again later."""
CHECKPOINT_TRIES: Final = 5
CHECKPOINT_PAUSE: Final = 0.2

DELETED_POOLS: Final = "SELECT seq FROM identity_pools WHERE deleted_at IS NOT NULL ORDER BY seq"


def mark_pool(conn: sqlite3.Connection, pool_id: str, now: float) -> bool:
    """Mark the pool deleted and delete its first batch of identities (all of a small pool's)."""
    row = conn.execute(
        "SELECT seq FROM identity_pools WHERE pool_id = ? AND deleted_at IS NULL", (pool_id,)
    ).fetchone()
    if row is None:
        return False
    conn.execute("UPDATE identity_pools SET deleted_at = ? WHERE seq = ?", (now, row[0]))
    purge_batch(conn, row[0], purge.FIRST_BATCH)
    return True


def mark_account(conn: sqlite3.Connection, account_id: str, now: float) -> list[int] | None:
    """Delete the account's access keys (it can no longer sign anything) and mark its pools
    deleted; the keys of its deleted pools, or None without such an account."""
    found = conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
    if found is None:
        return None
    conn.execute("DELETE FROM access_keys WHERE account_id = ?", (account_id,))
    conn.execute(
        "UPDATE identity_pools SET deleted_at = ? WHERE account_id = ? AND deleted_at IS NULL",
        (now, account_id),
    )
    rows = conn.execute(
        "SELECT seq FROM identity_pools WHERE account_id = ? AND deleted_at IS NOT NULL",
        (account_id,),
    )
    return [row[0] for row in rows]


def purge_batch(conn: sqlite3.Connection, key: int, limit: int) -> int:
    """Delete up to ``limit`` identities of the deleted pool ``key``, and its row once fewer were
    left; how many identities went."""
    row = conn.execute(
        "SELECT pool_id FROM identity_pools WHERE seq = ? AND deleted_at IS NOT NULL", (key,)
    ).fetchone()
    if row is None:
        return 0
    deleted: int = conn.execute(
        "DELETE FROM identities WHERE seq IN"
        " (SELECT seq FROM identities WHERE pool_id = ? ORDER BY seq LIMIT ?)",
        (row[0], limit),
    ).rowcount
    if deleted < limit:
        # Nothing is left (this transaction holds the write lock): the row goes, and with it the
        # logins' last reference to the pool.
        conn.execute("DELETE FROM identity_pools WHERE seq = ?", (key,))
    return deleted


def checkpoint(path: str) -> bool:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` on a connection of its own: every frame of the log
    copied into the database and the log truncated to nothing; False when readers or a writer
    kept it from finishing within the busy timeout."""
    conn = connect(path, busy_timeout_ms=CHECKPOINT_BUSY_MS)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            return False
        raise
    finally:
        conn.close()


class SqlitePoolDeletion:
    """``delete_pool``, ``delete_account`` and the batches of :mod:`..purge` on SQLite."""

    path: str
    _reader: Reader

    if TYPE_CHECKING:  # the store's

        async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T: ...

    async def delete_pool(self, pool_id: str) -> bool:
        now = time.time()
        return await self._write(lambda conn: mark_pool(conn, pool_id, now))

    async def delete_account(self, account_id: str) -> bool:
        now = time.time()
        keys = await self._write(lambda conn: mark_account(conn, account_id, now))
        if keys is None:
            return False
        purged = 0
        for key in keys:
            purged += await purge.purge_pool(self, key)
        # What is left is small: keys and pools are gone, IAM entities are few.
        await self._write(
            lambda conn: conn.execute("DELETE FROM accounts WHERE account_id = ?", (account_id,))
        )
        if purged >= purge.PURGE_BATCH:
            await self.compact()
        return True

    async def deleted_pools(self) -> list[int]:
        return [row[0] for row in self._reader.rows(DELETED_POOLS)]

    async def purge_deleted_pool(self, key: int, *, limit: int) -> int:
        return await self._write(lambda conn: purge_batch(conn, key, limit))

    async def compact(self) -> None:
        for attempt in range(CHECKPOINT_TRIES):
            if await asyncio.to_thread(checkpoint, self.path):
                return
            if attempt + 1 < CHECKPOINT_TRIES:
                await asyncio.sleep(CHECKPOINT_PAUSE)
        log.info("the write-ahead log stays large: readers kept the checkpoint from finishing")
