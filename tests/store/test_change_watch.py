"""A store keeps its hot point reads between writes (SQLite until any commit, PostgreSQL until its
change count moves, checked once per request), and still a request that starts after another
store's write returned sees it, even while this store's own checks are in flight for requests that
started earlier: such a check may predate the write, so the later request must not use it.

A request is a task, as the server runs each request: PostgreSQL checks once per request (its first
kept read), so reads later in one request may miss what other processes wrote meanwhile, which the
``Store.version`` contract allows."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from typing import TypeVar

from cognitoidentity.server.linking import LoginKey
from cognitoidentity.server.store import IdentityPool, PoolMutation, Store

from .conftest import StoreTarget
from .test_iam_providers import MAIN
from .test_logins import request
from .test_store_contract import account, at, identity, pool

T = TypeVar("T")
ROUNDS = 15
BUSY_READERS = 8


def replaced_by(new: IdentityPool) -> PoolMutation:
    return lambda _: new


async def fresh(call: Awaitable[T]) -> T:
    """``call`` as a request of its own: a new task."""
    return await asyncio.ensure_future(call)


async def keep_busy(store: Store, pool_id: str, stop: asyncio.Event) -> None:
    """Reads over and over, so that a check of ``store`` is nearly always in flight."""
    while not stop.is_set():
        await fresh(store.get_pool(pool_id))
        await asyncio.sleep(0)


def test_a_read_after_another_stores_write_sees_it_while_checks_are_in_flight(
    target: StoreTarget,
) -> None:
    async def main() -> None:
        a, b = await target.open(), await target.open()
        stop = asyncio.Event()
        try:
            owner = account()
            await a.create_account(owner)
            p = pool(allow_unauthenticated=True)
            await a.create_pool(p, max_pools=10)
            busy = [asyncio.create_task(keep_busy(b, p.pool_id, stop)) for _ in range(BUSY_READERS)]
            for n in range(ROUNDS):
                # An identity read (and kept) by b, then deleted through a: gone for b at once.
                made = identity(p.pool_id, n)
                await a.create_identity(made)
                assert await fresh(b.get_identity_and_pool(made.identity_id)) == (made, p)
                assert await fresh(b.get_identity(made.identity_id)) == made
                assert await a.delete_identities(owner.account_id, [made.identity_id]) == []
                assert await fresh(b.get_identity_and_pool(made.identity_id)) is None
                assert await fresh(b.get_identity(made.identity_id)) is None

                # A login's owner, read by b, then unlinked through a.
                login = LoginKey("accounts.google.com", f"user-{n}")
                linked = await a.link_logins(p.pool_id, request(login), at(100 + n))
                assert await fresh(b.find_login(p.pool_id, login)) == linked.identity_id
                found = await fresh(b.get_identity(linked.identity_id))
                assert found is not None and found.logins == ("accounts.google.com",)
                removed = await a.remove_logins(linked.identity_id, logins=[login], now=at(200))
                assert removed == 1
                assert await fresh(b.find_login(p.pool_id, login)) is None
                found = await fresh(b.get_identity(linked.identity_id))
                assert found is not None and found.logins == ()

                # The pool itself.
                renamed = dataclasses.replace(p, name=f"renamed-{n}")
                assert await a.update_pool(p.pool_id, replaced_by(renamed)) == renamed
                assert await fresh(b.get_pool(p.pool_id)) == renamed
                p = renamed
            stop.set()
            await asyncio.gather(*busy)
        finally:
            stop.set()
            await a.close()
            await b.close()

    asyncio.run(main())


def test_version_moves_with_a_write_but_not_with_a_new_guest(target: StoreTarget) -> None:
    """What the login verifiers and the IAM directories reuse their choices by: ``version()``, as
    a request sees it after a read, answers the same until something they derived from may have
    changed. (A new guest identity changes nothing read before: PostgreSQL's count ignores it.)"""

    async def main() -> None:
        a, b = await target.open(), await target.open()

        async def version_after(read: Awaitable[object]) -> object:
            await read
            return b.version()

        try:
            await a.create_account(account())
            p = pool(allow_unauthenticated=True)
            await a.create_pool(p, max_pools=10)
            first = await fresh(version_after(b.get_pool(p.pool_id)))
            assert first is not None
            assert await fresh(version_after(b.get_pool(p.pool_id))) == first
            await a.update_pool(p.pool_id, replaced_by(dataclasses.replace(p, name="other")))
            second = await fresh(version_after(b.get_pool(p.pool_id)))
            assert second is not None and second != first
            guest = identity(p.pool_id)
            assert await a.create_guest_identity(guest)
            after_guest = await fresh(version_after(b.get_identity(guest.identity_id)))
            if target.kind == "postgresql":
                assert after_guest == second
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_a_request_checks_once_and_again_after_its_own_write(target: StoreTarget) -> None:
    """Within one request (PostgreSQL): its first read checks, later reads trust that check, and a
    write of its own makes the next read check again, so the request reads its own write."""

    async def main() -> None:
        store = await target.open()
        try:
            await store.create_account(account())
            p = pool(allow_unauthenticated=True)
            await store.create_pool(p, max_pools=10)

            async def one_request() -> None:
                assert await store.get_pool(p.pool_id) == p
                renamed = dataclasses.replace(p, name="mine")
                assert await store.update_pool(p.pool_id, replaced_by(renamed)) == renamed
                assert await store.get_pool(p.pool_id) == renamed
                made = identity(p.pool_id)
                await store.create_identity(made)
                assert await store.get_identity_and_pool(made.identity_id) == (made, renamed)
                assert await store.delete_identities(MAIN, [made.identity_id]) == []
                assert await store.get_identity(made.identity_id) is None

            await fresh(one_request())
        finally:
            await store.close()

    asyncio.run(main())
