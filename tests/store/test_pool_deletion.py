"""Deleting pools in the background, on SQLite and PostgreSQL alike: the pool and its identities
are gone at once for every read, the identities leave the database a batch per transaction (other
writes going in between), a delete cut short resumes with the next deleter, a pool created again
with the same id sees nothing of the old one, and a deleted pool no longer counts against the
account's quota."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
from pathlib import Path

import psycopg
import pytest

from cognitoidentity.server.linking import LoginKey
from cognitoidentity.server.pool_deleter import PoolDeleter
from cognitoidentity.server.store import (
    Identity,
    LimitReached,
    Login,
    Store,
    StoreBusy,
    purge,
)
from cognitoidentity.server.store.base import StoreRecord

from .conftest import StoreTarget
from .test_store_contract import account, at, identity, pool

PROVIDER = "graph.facebook.com"
FIRST = purge.FIRST_BATCH
"""Identities ``delete_pool`` deletes itself, with the mark."""


def add_identities(target: StoreTarget, pool_id: str, count: int, *, logins: int = 0) -> None:
    """``count`` identities in ``pool_id``, inserted directly in the database (as a bulk load
    would); the last ``logins`` of them with a login each (user id = identity id)."""
    prefix = f"{pool_id}-"
    if target.kind == "sqlite":
        conn = sqlite3.connect(target.url.removeprefix("sqlite://"))
        try:
            with conn:
                conn.execute(
                    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)"
                    " INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at,"
                    " disabled) SELECT ? || n, ?, 0, 0, 0 FROM g",
                    (count, prefix, pool_id),
                )
                conn.execute(
                    "INSERT INTO logins (pool_id, provider, user_id, identity_id, created_at)"
                    " SELECT pool_id, ?, identity_id, identity_id, 0 FROM identities"
                    " WHERE pool_id = ? ORDER BY seq DESC LIMIT ?",
                    (PROVIDER, pool_id, logins),
                )
        finally:
            conn.close()
        return
    with psycopg.connect(target.url, autocommit=True) as pg:
        pg.execute(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " SELECT %s || g, %s, now(), now(), false FROM generate_series(1, %s) g",
            (prefix, pool_id, count),
        )
        pg.execute(
            "INSERT INTO logins (pool_id, provider, user_id, identity_id, created_at)"
            " SELECT pool_id, %s, identity_id, identity_id, now() FROM identities"
            " WHERE pool_id = %s ORDER BY seq DESC LIMIT %s",
            (PROVIDER, pool_id, logins),
        )


def rows_of(target: StoreTarget, pool_id: str) -> tuple[int, int]:
    """How many identities and logins of ``pool_id`` the database still holds."""
    [(identities,)] = target.query(f"SELECT count(*) FROM identities WHERE pool_id = '{pool_id}'")
    [(logins,)] = target.query(f"SELECT count(*) FROM logins WHERE pool_id = '{pool_id}'")
    return int(str(identities)), int(str(logins))


@dataclasses.dataclass
class CountingStore:
    """A store's batches, counted (what an operator would see in the deleter's log)."""

    store: Store
    batches: int = 0
    first: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def purge_deleted_pool(self, key: int, *, limit: int) -> int:
        deleted = await self.store.purge_deleted_pool(key, limit=limit)
        self.batches += 1
        self.first.set()
        return deleted

    async def deleted_pools(self) -> list[int]:
        return await self.store.deleted_pools()

    async def compact(self) -> None:
        await self.store.compact()


async def until_purged(store: Store, seconds: float = 20.0) -> None:
    """Wait until no deleted pool is left (a deleter is running)."""
    for _ in range(int(seconds / 0.02)):
        if not await store.deleted_pools():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"deleted pools still there after {seconds}s")


async def exported(store: Store) -> list[StoreRecord]:
    async with contextlib.aclosing(store.export_records()) as records:
        return [record async for record in records]


def test_a_deleted_pool_and_its_identities_are_gone_at_once(target: StoreTarget) -> None:
    doomed = pool(allow_unauthenticated=True)
    kept = pool(allow_unauthenticated=True)
    other = pool("222233334444")

    async def setup(store: Store) -> tuple[Identity, Identity, Identity]:
        await store.create_account(account())
        await store.create_account(account("222233334444"))
        for p in (doomed, kept, other):
            await store.create_pool(p, max_pools=10)
        mine, stays, foreign = (
            identity(doomed.pool_id),
            identity(kept.pool_id),
            identity(other.pool_id),
        )
        for i in (mine, stays, foreign):
            await store.create_identity(i)
        return mine, stays, foreign

    mine, stays, foreign = target.run(setup)
    # More than delete_pool deletes itself: the last 51 are left for the deleter.
    add_identities(target, doomed.pool_id, FIRST + 50, logins=5)
    add_identities(target, other.pool_id, 3)
    last = f"{doomed.pool_id}-{FIRST + 50}"
    login = LoginKey(PROVIDER, last)

    async def body(store: Store) -> None:
        assert await store.find_login(doomed.pool_id, login) == last
        assert await store.delete_pool(doomed.pool_id)
        assert await store.delete_pool("us-east-1:00000000-0000-0000-0000-000000000000") is False
        assert await store.delete_pool(doomed.pool_id) is False  # once only
        assert await store.get_pool(doomed.pool_id) is None
        page = await store.list_pools("111122223333", "us-east-1", after=None, limit=10)
        assert [p.pool_id for p in page.items] == [kept.pool_id]
        assert await store.get_identity(mine.identity_id) is None
        assert await store.get_identity(last) is None
        assert await store.list_logins(last) == []
        assert await store.find_login(doomed.pool_id, login) is None
        developer = await store.list_provider_logins(
            doomed.pool_id, PROVIDER, identity_id=None, after=None, limit=10
        )
        assert developer.items == []
        one = await store.list_provider_logins(
            doomed.pool_id, PROVIDER, identity_id=last, after=None, limit=10
        )
        assert one.items == []
        assert await store.get_identity_and_pool(last) is None
        listed = await store.list_identities(
            doomed.pool_id, hide_disabled=False, after=None, limit=60
        )
        assert listed.items == []
        guest = identity(doomed.pool_id, 1)
        assert not await store.create_guest_identity(guest)
        assert await store.update_pool(doomed.pool_id, lambda p: p) is None
        # Not "another account's": the deleted pool's identities are unknown ids.
        assert await store.delete_identities("222233334444", [last]) == []
        records = await exported(store)
        assert doomed.pool_id not in {getattr(r, "pool_id", None) for r in records}
        assert not [
            r for r in records if isinstance(r, Login) and r.identity_id.startswith(doomed.pool_id)
        ]
        assert len(await store.deleted_pools()) == 1

        # Everything else is as it was.
        assert await store.get_pool(kept.pool_id) == kept
        assert await store.get_identity(stays.identity_id) == stays
        assert await store.get_identity(foreign.identity_id) == foreign
        assert await store.create_guest_identity(identity(kept.pool_id, 2))

    target.run(body)
    # The first batch went with the delete; the rest are the deleter's to remove.
    assert rows_of(target, doomed.pool_id) == (51, 5)


def test_identities_and_logins_go_a_batch_at_a_time(target: StoreTarget) -> None:
    doomed, kept = pool(), pool()

    async def setup(store: Store) -> None:
        await store.create_account(account())
        for p in (doomed, kept):
            await store.create_pool(p, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, FIRST + 25, logins=25)
    add_identities(target, kept.pool_id, 4, logins=2)

    async def body(store: Store) -> list[int]:
        assert await store.delete_pool(doomed.pool_id)
        [key] = await store.deleted_pools()
        counts = []
        while True:
            counts.append(await store.purge_deleted_pool(key, limit=10))
            if counts[-1] < 10:
                break
            assert rows_of(target, doomed.pool_id)[0] == 25 - sum(counts)
        assert await store.deleted_pools() == []
        assert await store.purge_deleted_pool(key, limit=10) == 0  # gone: nothing to do
        return counts

    assert target.run(body) == [10, 10, 5]
    assert rows_of(target, doomed.pool_id) == (0, 0)
    assert target.query(
        f"SELECT count(*) FROM identity_pools WHERE pool_id = '{doomed.pool_id}'"
    ) == [(0,)]
    assert rows_of(target, kept.pool_id) == (4, 2)


def test_a_delete_cut_short_resumes_with_the_next_deleter(target: StoreTarget) -> None:
    doomed = pool()

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(doomed, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, FIRST + 50, logins=10)

    async def first_server(store: Store) -> None:
        assert await store.delete_pool(doomed.pool_id)
        counting = CountingStore(store)
        deleter = PoolDeleter(counting, batch=10, min_batch=10, max_batch=10)
        deleter.start()
        await asyncio.wait_for(counting.first.wait(), 10)
        await deleter.aclose()  # stops after the batch in flight, as a server stopping does
        assert 1 <= counting.batches <= 2

    target.run(first_server)
    left, _ = rows_of(target, doomed.pool_id)
    assert 30 <= left < 50

    async def next_server(store: Store) -> int:
        assert await store.get_pool(doomed.pool_id) is None  # still gone
        deleter = PoolDeleter(store, batch=10, min_batch=10, max_batch=10, poll_seconds=0.05)
        deleter.start()
        try:
            await until_purged(store)
        finally:
            await deleter.aclose()
        return deleter.deleted

    assert target.run(next_server) == left
    assert rows_of(target, doomed.pool_id) == (0, 0)


def test_other_writes_go_in_between_batches(target: StoreTarget) -> None:
    doomed, busy = pool(), pool(allow_unauthenticated=True)

    async def setup(store: Store) -> None:
        await store.create_account(account())
        for p in (doomed, busy):
            await store.create_pool(p, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, FIRST + 5_000, logins=1_000)

    async def body(store: Store) -> tuple[int, list[int]]:
        assert await store.delete_pool(doomed.pool_id)
        [key] = await store.deleted_pools()
        counting = CountingStore(store)
        deleting = asyncio.create_task(purge.purge_pool(counting, key, batch=500))
        waited: list[int] = []  # batches that ran while each write waited
        n = 0
        while not deleting.done():
            before = counting.batches
            assert await store.create_guest_identity(identity(busy.pool_id, n))
            waited.append(counting.batches - before)
            n += 1
        return await deleting, waited

    deleted, waited = target.run(body)
    assert deleted == 5_000
    assert len(waited) >= 3, waited  # writes went in while the delete ran, more than once
    if target.kind == "sqlite":
        # The one writer takes jobs in order: a write waits for the batch in flight, and shares
        # the next one's transaction at most. (On PostgreSQL a write waits for no batch at all,
        # and how many end meanwhile is the machine's timing.)
        assert max(waited) <= 2, waited
    assert rows_of(target, doomed.pool_id) == (0, 0)
    assert rows_of(target, busy.pool_id)[0] == len(waited)


def test_a_pool_created_again_with_the_same_id_sees_nothing_of_the_old(
    target: StoreTarget,
) -> None:
    old = pool(allow_unauthenticated=True)
    again = dataclasses.replace(old, name="again", created_at=at(5))

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(old, max_pools=10)

    target.run(setup)
    add_identities(target, old.pool_id, 2_500, logins=20)
    last = f"{old.pool_id}-2500"
    login = LoginKey(PROVIDER, last)

    async def body(store: Store) -> None:
        assert await store.delete_pool(old.pool_id)
        [old_key] = await store.deleted_pools()
        # A configuration file declaring the same fixed id: the create waits for the old pool's
        # identities to go (in batches), then makes a new pool.
        await store.create_pool(again, max_pools=10)
        assert await store.get_pool(old.pool_id) == again
        assert await store.deleted_pools() == []
        page = await store.list_identities(old.pool_id, hide_disabled=False, after=None, limit=60)
        assert page.items == []
        assert await store.find_login(old.pool_id, login) is None
        assert await store.get_identity(last) is None
        fresh = identity(old.pool_id)
        assert await store.create_guest_identity(fresh)
        # A deleter that still holds the old pool's key touches nothing of the new pool.
        assert await store.purge_deleted_pool(old_key, limit=10) == 0
        assert await store.get_identity(fresh.identity_id) == fresh

    target.run(body)
    assert rows_of(target, old.pool_id) == (1, 0)


def test_a_deleted_pool_no_longer_counts_against_the_quota(target: StoreTarget) -> None:
    first, second, third = pool(name="a"), pool(name="b"), pool(name="c")

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(first, max_pools=2)
        await store.create_pool(second, max_pools=2)

    target.run(setup)
    add_identities(target, first.pool_id, FIRST + 1)  # more than delete_pool deletes itself

    async def body(store: Store) -> None:
        with pytest.raises(LimitReached):
            await store.create_pool(third, max_pools=2)
        assert await store.delete_pool(first.pool_id)
        await store.create_pool(third, max_pools=2)  # while the first's rows are still there
        assert len(await store.deleted_pools()) == 1

    target.run(body)


def test_delete_account_deletes_big_pools_in_batches(target: StoreTarget) -> None:
    doomed, kept = pool(), pool("222233334444")

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_account(account("222233334444"))
        for p in (doomed, kept):
            await store.create_pool(p, max_pools=10)

    target.run(setup)
    count = purge.PURGE_BATCH * 2 + 7
    add_identities(target, doomed.pool_id, count, logins=100)
    add_identities(target, kept.pool_id, 10, logins=1)

    async def body(store: Store) -> None:
        assert await store.delete_account("111122223333")
        assert not await store.delete_account("111122223333")
        assert await store.get_account("111122223333") is None
        assert await store.deleted_pools() == []

    target.run(body)
    assert rows_of(target, doomed.pool_id) == (0, 0)
    assert rows_of(target, kept.pool_id) == (10, 1)


def test_sqlite_gives_the_write_ahead_log_back_after_a_large_delete(tmp_path: Path) -> None:
    target = StoreTarget("sqlite", f"sqlite://{tmp_path / 'store.db'}")
    doomed = pool()
    wal = tmp_path / "store.db-wal"

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(doomed, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, 20_000, logins=2_000)

    async def body(store: Store) -> tuple[int, int]:
        assert await store.delete_pool(doomed.pool_id)
        [key] = await store.deleted_pools()
        await purge.purge_pool(store, key)
        grown = wal.stat().st_size
        await store.compact()
        return grown, wal.stat().st_size

    grown, after = target.run(body)
    assert grown > 1_000_000
    assert after == 0


def test_the_deleter_is_woken_and_stops_cleanly(target: StoreTarget) -> None:
    doomed = pool()

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(doomed, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, FIRST + 30)

    async def body(store: Store) -> None:
        deleter = PoolDeleter(store, batch=10, min_batch=10, max_batch=10, poll_seconds=3600)
        deleter.start()
        await asyncio.sleep(0.05)  # it looked at start: nothing to do, and it waits an hour
        assert await store.delete_pool(doomed.pool_id)
        deleter.wake()
        await until_purged(store)
        await deleter.aclose()
        await deleter.aclose()  # twice is fine
        assert deleter.deleted == 30

    target.run(body)
    assert rows_of(target, doomed.pool_id) == (0, 0)


def test_batches_follow_how_long_they_take() -> None:
    class Unused:
        async def deleted_pools(self) -> list[int]:
            return []

        async def purge_deleted_pool(self, key: int, *, limit: int) -> int:
            return 0

        async def compact(self) -> None:
            return None

    deleter = PoolDeleter(Unused(), batch=2000, batch_seconds=0.05)
    deleter._resize(0.2)  # four times too long: halved, no more
    assert deleter.batch == 1000
    deleter._resize(0.2)  # never below the least batch
    assert deleter.batch == purge.MIN_BATCH
    deleter._resize(0.01)  # five times too short: doubled, no more
    assert deleter.batch == 2000
    for _ in range(3):
        deleter._resize(0.0)
    assert deleter.batch == purge.MAX_BATCH


def test_the_deleter_retries_a_failed_batch(
    target: StoreTarget, caplog: pytest.LogCaptureFixture
) -> None:
    doomed = pool()

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(doomed, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, FIRST + 30)

    @dataclasses.dataclass
    class Failing(CountingStore):
        """A store whose first batch finds it busy and second one fails otherwise."""

        failures: list[Exception] = dataclasses.field(
            default_factory=lambda: [StoreBusy("locked"), RuntimeError("connection lost")]
        )

        async def purge_deleted_pool(self, key: int, *, limit: int) -> int:
            if self.failures:
                raise self.failures.pop(0)
            return await super().purge_deleted_pool(key, limit=limit)

    async def body(store: Store) -> None:
        assert await store.delete_pool(doomed.pool_id)
        failing = Failing(store)
        deleter = PoolDeleter(failing, batch=10, min_batch=10, max_batch=10, retry_seconds=0.01)
        deleter.start()
        try:
            await until_purged(store)
        finally:
            await deleter.aclose()
        assert failing.failures == []
        assert deleter.deleted == 30

    with caplog.at_level(logging.WARNING, logger="cognitoidentity"):
        target.run(body)
    messages = [r.getMessage() for r in caplog.records]
    assert any("locked; trying again" in m for m in messages), messages
    assert any("deleting pools failed" in m for m in messages), messages
    assert rows_of(target, doomed.pool_id) == (0, 0)


def test_a_reader_keeps_the_write_ahead_log_until_it_leaves(tmp_path: Path) -> None:
    """The truncating checkpoint is best effort: a reader in the middle of a long read keeps the
    log (the checkpoint gives up rather than hold writes back); once it has left, it goes."""
    target = StoreTarget("sqlite", f"sqlite://{tmp_path / 'store.db'}")
    doomed = pool()

    async def setup(store: Store) -> None:
        await store.create_account(account())
        await store.create_pool(doomed, max_pools=10)

    target.run(setup)
    add_identities(target, doomed.pool_id, 5_000)

    async def body(store: Store) -> tuple[int, int]:
        reader = sqlite3.connect(tmp_path / "store.db")
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM identities").fetchone()  # a snapshot held
            assert await store.delete_pool(doomed.pool_id)
            [key] = await store.deleted_pools()
            await purge.purge_pool(store, key)
            await store.compact()
            kept = (tmp_path / "store.db-wal").stat().st_size
        finally:
            reader.close()
        await store.compact()
        return kept, (tmp_path / "store.db-wal").stat().st_size

    kept, after = target.run(body)
    assert kept > 0
    assert after == 0
