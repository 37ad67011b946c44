"""A database that cannot take the work in time: waits for it are bounded and end in StoreBusy.

Bounds asserted with room for a loaded machine; before the bounds, each of these waited 10 s (a
SQLite busy timeout) or indefinitely (a PostgreSQL lock), or 30 s (psycopg_pool's default).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import pytest

from cognitoidentity.server.store import Account, Identity, IdentityPool, Store, StoreBusy
from cognitoidentity.server.store.postgres import LOCK_TIMEOUT_MS, PostgresStore
from cognitoidentity.server.store.sqlite import (
    READ_BUSY_TIMEOUT_MS,
    WRITE_LOCK_WAIT,
    SqliteStore,
)
from tests.support.postgres import require_postgres, temporary_schema

from .conftest import StoreTarget
from .locks import postgres_row_lock, sqlite_wal_recovery, sqlite_write_lock

NOW = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
ACCOUNT = "111122223333"
SLACK = 1.5
"""Seconds a bounded wait may overrun its bound here (a shared, loaded test machine)."""


def guest_pool() -> IdentityPool:
    return IdentityPool(f"us-east-1:{uuid.uuid4()}", ACCOUNT, "guests", True, NOW)


def guest(pool_id: str) -> Identity:
    return Identity(f"us-east-1:{uuid.uuid4()}", pool_id, NOW, NOW)


async def make_pool(store: Store) -> str:
    await store.create_account(Account(ACCOUNT, "main", NOW))
    pool = guest_pool()
    await store.create_pool(pool, max_pools=10)
    return pool.pool_id


class Holder(Protocol):
    """The other session holding the lock."""

    def rollback(self) -> None: ...


@contextmanager
def write_lock(target: StoreTarget, pool_id: str) -> Iterator[Holder]:
    """The lock a long transaction elsewhere holds: SQLite's write lock; in PostgreSQL, the pool's
    row, as deleting the pool locks it."""
    if target.kind == "sqlite":
        with sqlite_write_lock(target.url.removeprefix("sqlite://")) as conn:
            yield conn
    else:
        with postgres_row_lock(
            target.url, "SELECT 1 FROM identity_pools WHERE pool_id = %s FOR UPDATE", (pool_id,)
        ) as pg:
            yield pg


def write_bound(target: StoreTarget) -> float:
    return WRITE_LOCK_WAIT if target.kind == "sqlite" else LOCK_TIMEOUT_MS / 1000


def test_a_write_held_up_by_a_lock_raises_store_busy_then_succeeds(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        pool_id = await make_pool(store)
        refused = guest(pool_id)
        with write_lock(target, pool_id):
            started = time.monotonic()
            with pytest.raises(StoreBusy):
                await store.create_guest_identity(refused)
            assert time.monotonic() - started < write_bound(target) + SLACK
        # Nothing was written, and the same call goes through once the lock is gone.
        assert await store.get_identity(refused.identity_id) is None
        assert await store.create_guest_identity(refused)
        got = await store.get_identity(refused.identity_id)
        assert got is not None and got.pool_id == pool_id

    target.run(body)


def test_a_lock_released_within_the_wait_only_delays_the_write(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        pool_id = await make_pool(store)
        with write_lock(target, pool_id) as holder:
            # A commit elsewhere holds the lock briefly: the write waits for it, it does not fail.
            asyncio.get_running_loop().call_later(0.2, holder.rollback)
            assert await store.create_guest_identity(guest(pool_id))

    target.run(body)


def test_sqlite_writes_arriving_while_the_lock_is_held_each_wait_once(tmp_path: Path) -> None:
    """The bound counts from when a write was submitted: writes that queue up while an earlier
    batch waits for the lock do not wait for that batch and then again for their own."""

    async def main() -> None:
        db = tmp_path / "store.db"
        store = SqliteStore(db)
        try:
            pool_id = await make_pool(store)

            async def timed_write() -> float:
                started = time.monotonic()
                with pytest.raises(StoreBusy):
                    await store.create_guest_identity(guest(pool_id))
                return time.monotonic() - started

            with sqlite_write_lock(db):
                writes = []
                for _ in range(20):  # one every 0.1 s, for twice the bound
                    writes.append(asyncio.ensure_future(timed_write()))
                    await asyncio.sleep(WRITE_LOCK_WAIT / 10)
                waits = await asyncio.gather(*writes)
            # Waiting for the batch ahead and then in full again would take up to twice the bound.
            assert max(waits) < WRITE_LOCK_WAIT + 0.8, waits
        finally:
            await store.close()

    asyncio.run(main())


def test_a_sqlite_read_waits_briefly_for_a_wal_recovery_then_raises_store_busy(
    tmp_path: Path,
) -> None:
    """Reads run on the event loop: while another process rebuilds the WAL index, a read gives up
    after READ_BUSY_TIMEOUT_MS rather than stall every request for ten seconds."""

    async def main() -> None:
        db = tmp_path / "store.db"
        store = SqliteStore(db)
        try:
            pool_id = await make_pool(store)
            await asyncio.sleep(0)  # a later turn: the next read checks the database again
            with sqlite_wal_recovery(db):
                for read in (
                    lambda: store.get_pool(pool_id),
                    lambda: store.list_pools(ACCOUNT, "us-east-1", after=None, limit=10),
                ):
                    started = time.monotonic()
                    with pytest.raises(StoreBusy):
                        await read()
                    assert time.monotonic() - started < READ_BUSY_TIMEOUT_MS / 1000 + 0.4
            await asyncio.sleep(0)
            # This process rebuilds the index itself now: the data is all there.
            got = await store.get_pool(pool_id)
            assert got is not None and got.allow_unauthenticated
            assert await store.create_guest_identity(guest(pool_id))
        finally:
            await store.close()

    asyncio.run(main())


def test_postgres_a_call_waiting_for_a_free_connection_raises_store_busy() -> None:
    """The pool's one connection is taken by a write waiting for a lock: a read waits for the
    pool's timeout, not for the write, and raises StoreBusy; so does the write at its lock
    timeout."""
    require_postgres()

    async def main(url: str) -> None:
        store = await PostgresStore.open(url, min_size=1, max_size=1, pool_timeout=0.2)
        try:
            pool_id = await make_pool(store)
            with write_lock(StoreTarget("postgresql", url), pool_id):
                write = asyncio.ensure_future(store.create_guest_identity(guest(pool_id)))
                await asyncio.sleep(0.1)  # the write has the connection and waits for the lock
                started = time.monotonic()
                with pytest.raises(StoreBusy):
                    await store.get_pool(pool_id)
                assert time.monotonic() - started < 0.2 + SLACK
                with pytest.raises(StoreBusy):
                    await write
            assert await store.get_pool(pool_id) is not None
        finally:
            await store.close()

    with temporary_schema() as url:
        asyncio.run(main(url))
