"""Reads a store may keep between writes (SQLite keeps the hot point reads until any connection
commits) never hide a write that finished before them: another store's, or another process's."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import sys
from pathlib import Path

import pytest

from cognitoidentity.server.linking import LoginKey
from cognitoidentity.server.store import IamOidcProvider, Identity, Store, open_store
from cognitoidentity.server.store.sqlite import reads

from .conftest import StoreTarget
from .test_change_watch import fresh
from .test_iam_providers import MAIN, oidc
from .test_logins import request
from .test_store_contract import account, at, identity, pool

LOGIN = LoginKey("accounts.google.com", "user-1")


async def one_identity(store: Store) -> Identity:
    """An account, a pool of it and an identity in the pool, stored."""
    await store.create_account(account())
    p = pool()
    await store.create_pool(p, max_pools=10)
    made = identity(p.pool_id)
    await store.create_identity(made)
    return made


def test_repeated_reads_see_another_stores_writes(target: StoreTarget) -> None:
    """Each value is read twice (the second time it may come from what the store kept), then
    changed through another store, as another server process would, then read again; each read is
    a request of its own (a task, as the server runs requests)."""

    async def main() -> None:
        a, b = await target.open(), await target.open()
        try:
            await a.create_account(account())
            p = pool()
            await a.create_pool(p, max_pools=10)
            made = await a.link_logins(p.pool_id, request(LOGIN), at(100))
            lonely = identity(p.pool_id)
            await a.create_identity(lonely)
            provider = oidc(client_ids=("client-1",))
            assert await a.create_oidc_provider(provider)
            for _ in range(2):
                assert await fresh(a.get_pool(p.pool_id)) == p
                assert await fresh(a.find_login(p.pool_id, LOGIN)) == made.identity_id
                assert await fresh(a.get_identity(lonely.identity_id)) == lonely
                found = await fresh(a.get_identity_and_pool(lonely.identity_id))
                assert found == (lonely, p)
                assert await fresh(a.get_oidc_provider(MAIN, provider.arn)) == provider

            renamed = await b.update_pool(p.pool_id, lambda x: dataclasses.replace(x, name="b"))
            assert renamed is not None
            assert await fresh(a.get_pool(p.pool_id)) == renamed
            assert await fresh(a.get_identity_and_pool(lonely.identity_id)) == (lonely, renamed)

            await b.remove_logins(made.identity_id, logins=[LOGIN], now=at(200))
            assert await fresh(a.find_login(p.pool_id, LOGIN)) is None

            def add_client(current: IamOidcProvider) -> IamOidcProvider:
                return dataclasses.replace(current, client_ids=("client-1", "client-2"))

            await b.update_oidc_provider(MAIN, provider.arn, add_client)
            changed = await fresh(a.get_oidc_provider(MAIN, provider.arn))
            assert changed is not None and changed.client_ids == ("client-1", "client-2")

            assert await b.delete_identities(MAIN, [lonely.identity_id]) == []
            assert await fresh(a.get_identity(lonely.identity_id)) is None
            assert await fresh(a.get_identity_and_pool(lonely.identity_id)) is None
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_sqlite_reads_see_a_commit_of_another_process(tmp_path: Path) -> None:
    """A commit made by another process (here: a plain ``sqlite3`` client) is seen by the next
    request, which the event loop runs in a later turn than the reads before the commit."""
    path = str(tmp_path / "store.db")
    target = StoreTarget("sqlite", f"sqlite://{path}")

    async def main() -> None:
        store = await target.open()
        try:
            one = await one_identity(store)
            assert await store.get_identity(one.identity_id) == one
            assert await store.get_identity(one.identity_id) == one
            script = (
                "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                " c.execute('UPDATE identities SET disabled = 1 WHERE identity_id = ?',"
                " (sys.argv[2],)); c.commit()"
            )
            other = await asyncio.create_subprocess_exec(
                sys.executable, "-c", script, path, one.identity_id
            )
            assert await other.wait() == 0
            seen = await store.get_identity(one.identity_id)
            assert seen == dataclasses.replace(one, disabled=True)
        finally:
            await store.close()

    asyncio.run(main())


def test_sqlite_a_store_used_by_a_later_event_loop_checks_again(tmp_path: Path) -> None:
    """A loop that stops right after a read (its end-of-turn callback never runs) does not leave
    the next loop trusting that read."""
    path = str(tmp_path / "store.db")
    target = StoreTarget("sqlite", f"sqlite://{path}")
    first = asyncio.new_event_loop()
    try:
        store = first.run_until_complete(target.open())
        one = first.run_until_complete(one_identity(store))

        async def read_and_stop() -> Identity | None:
            found = await store.get_identity(one.identity_id)
            asyncio.get_running_loop().stop()  # before the end of this turn
            return found

        task = first.create_task(read_and_stop())
        first.run_forever()
        assert task.result() == one
    finally:
        first.close()
    with sqlite3.connect(path) as other:
        other.execute(
            "UPDATE identities SET disabled = 1 WHERE identity_id = ?", (one.identity_id,)
        )
    second = asyncio.new_event_loop()
    try:
        seen = second.run_until_complete(store.get_identity(one.identity_id))
        assert seen == dataclasses.replace(one, disabled=True)
        second.run_until_complete(store.close())
    finally:
        second.close()


def test_the_version_changes_only_after_a_commit(target: StoreTarget) -> None:
    """What the login verifier reuses its choices by: on SQLite, equal versions mean no commit in
    between (by another store here); PostgreSQL keeps nothing, so it cannot tell."""

    async def main() -> None:
        a, b = await target.open(), await target.open()
        try:
            first = a.version()
            if target.kind == "postgresql":
                await b.create_account(account())
                await asyncio.sleep(0)
                assert first is None and a.version() is None
                return
            assert first is not None
            await asyncio.sleep(0)  # a later turn of the event loop, which checks again
            assert a.version() == first
            await b.create_account(account())
            await asyncio.sleep(0)
            second = a.version()
            assert second != first
            await asyncio.sleep(0)
            assert a.version() == second
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


@pytest.mark.parametrize("caches", [True, False])
def test_sqlite_kept_reads_see_a_commit_made_in_the_same_turn(tmp_path: Path, caches: bool) -> None:
    """The WAL index is looked at before every kept read: a commit made by another connection
    in the very turn of the event loop that reads is seen."""
    path = str(tmp_path / "store.db")

    async def main() -> None:
        store = await open_store(path, caches=caches)
        try:
            one = await one_identity(store)
            await asyncio.sleep(0)
            assert await store.get_identity(one.identity_id) == one
            assert await store.get_identity(one.identity_id) == one
            with sqlite3.connect(path) as other:
                other.execute(
                    "UPDATE identities SET disabled = 1 WHERE identity_id = ?", (one.identity_id,)
                )
            seen = await store.get_identity(one.identity_id)  # the same turn
            assert seen == dataclasses.replace(one, disabled=True)
        finally:
            await store.close()

    asyncio.run(main())


@pytest.mark.parametrize("caches", [True, False])
def test_sqlite_without_the_wal_index_keeps_reads_within_a_turn_only_with_caches_on(
    tmp_path: Path, caches: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the WAL index cannot be mapped, SQLite's data_version is checked once per turn:
    within one event-loop turn a kept read does not look again; with the caches off every read
    does, so even a commit made in that very turn is seen."""
    monkeypatch.setattr(reads, "_map_wal_index", lambda path: None)
    path = str(tmp_path / "store.db")

    async def main() -> None:
        store = await open_store(path, caches=caches)
        try:
            one = await one_identity(store)
            await asyncio.sleep(0)
            assert await store.get_identity(one.identity_id) == one
            with sqlite3.connect(path) as other:
                other.execute(
                    "UPDATE identities SET disabled = 1 WHERE identity_id = ?", (one.identity_id,)
                )
            seen = await store.get_identity(one.identity_id)  # the same turn
            assert seen == (one if caches else dataclasses.replace(one, disabled=True))
            await asyncio.sleep(0)
            assert await store.get_identity(one.identity_id) == dataclasses.replace(
                one, disabled=True
            )
        finally:
            await store.close()

    asyncio.run(main())
