"""Deleting pools and accounts in the PostgreSQL store: :class:`PostgresPoolDeletion`, the part of
:class:`~.store.PostgresStore` that marks a pool deleted and deletes its identities a batch per
transaction (:mod:`..purge`).

A batch locks only the identities it deletes, so the writes of other requests never wait for it
(the pool's own row is locked at the end, for the time of its delete). Several processes may
delete the same pool at once (``serve --workers``, or servers on other machines): each batch takes
identities no other batch holds (``FOR UPDATE SKIP LOCKED``), and the logins go with their
identities (``ON DELETE CASCADE``). The rows' space is reclaimed by autovacuum, as for any delete.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from psycopg.rows import TupleRow

from cognitoidentity.server.store import purge
from cognitoidentity.server.store.postgres.connection import Connection

DELETED_POOLS: Final = "SELECT seq FROM identity_pools WHERE deleted_at IS NOT NULL ORDER BY seq"
_BATCH: Final = """
DELETE FROM identities WHERE pool_id = %(pool)s AND seq IN (
    SELECT seq FROM identities WHERE pool_id = %(pool)s ORDER BY seq LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
"""


class PostgresPoolDeletion:
    """``delete_pool``, ``delete_account`` and the batches of :mod:`..purge` on PostgreSQL."""

    if TYPE_CHECKING:  # the store's

        def _transaction(self) -> contextlib.AbstractAsyncContextManager[Connection]: ...

        async def _fetch(
            self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
        ) -> list[TupleRow]: ...

        async def _rowcount(self, sql: str, params: Sequence[Any]) -> int: ...

    async def delete_pool(self, pool_id: str) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "UPDATE identity_pools SET deleted_at = now()"
                " WHERE pool_id = %s AND deleted_at IS NULL RETURNING seq",
                (pool_id,),
            )
            row = await cur.fetchone()
            if row is None:
                return False
            # A first batch in the same transaction: a small pool is gone with the answer.
            await _purge_batch(conn, row[0], purge.FIRST_BATCH)
            return True

    async def delete_account(self, account_id: str) -> bool:
        async with self._transaction() as conn:
            # The account row's lock queues this behind pools being created in the account (they
            # lock it too), so none is left unmarked.
            cur = await conn.execute(
                "SELECT 1 FROM accounts WHERE account_id = %s FOR NO KEY UPDATE", (account_id,)
            )
            if await cur.fetchone() is None:
                return False
            await conn.execute("DELETE FROM access_keys WHERE account_id = %s", (account_id,))
            cur = await conn.execute(
                "UPDATE identity_pools SET deleted_at = coalesce(deleted_at, now())"
                " WHERE account_id = %s RETURNING seq",
                (account_id,),
            )
            keys = [row[0] for row in await cur.fetchall()]
        for key in keys:
            await purge.purge_pool(self, key)
        # What is left is small: keys and pools are gone, IAM entities are few.
        await self._rowcount("DELETE FROM accounts WHERE account_id = %s", (account_id,))
        return True

    async def deleted_pools(self) -> list[int]:
        return [row[0] for row in await self._fetch(DELETED_POOLS)]

    async def purge_deleted_pool(self, key: int, *, limit: int) -> int:
        async with self._transaction() as conn:
            return await _purge_batch(conn, key, limit)

    async def compact(self) -> None:
        """Nothing to give back by hand: autovacuum reclaims deleted rows."""


async def _purge_batch(conn: Connection, key: int, limit: int) -> int:
    """Delete up to ``limit`` identities of the deleted pool ``key``, and its row once fewer were
    free; how many identities went. Inside the caller's transaction."""
    cur = await conn.execute(
        "SELECT pool_id FROM identity_pools WHERE seq = %s AND deleted_at IS NOT NULL", (key,)
    )
    row = await cur.fetchone()
    if row is None:
        return 0
    cur = await conn.execute(_BATCH, {"pool": row[0], "limit": limit})
    deleted = cur.rowcount
    if deleted < limit:
        # Fewer were free: the rest, if any, are another batch's, and the cascade waits for it.
        # Identities that a request inserted meanwhile go with the row too.
        await conn.execute(
            "DELETE FROM identity_pools WHERE seq = %s AND deleted_at IS NOT NULL", (key,)
        )
    return deleted
