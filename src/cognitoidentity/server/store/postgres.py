"""The shared store: PostgreSQL through a psycopg 3 async connection pool, for any number of server
processes.

Connections run in autocommit mode: a read or a single-statement write is its own transaction, and
a write of several statements opens one explicit transaction. Races between processes are settled
by row locks: ``create_pool`` locks the account row before counting its pools, ``update_pool`` locks
the pool row before calling the mutation. Statements are constant strings (a list is passed as one
array parameter), so psycopg prepares the frequent ones on each connection after a few uses.

Table names are unqualified: the connection's ``search_path`` (e.g. ``options=-csearch_path=x`` in
the URL) decides which schema holds the store, migrations included.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    Identity,
    IdentityPool,
    LimitReached,
    Page,
    PoolMutation,
    SigningKeyRecord,
)
from cognitoidentity.server.store.codec import dump_pool_document, pool_from_document
from cognitoidentity.server.store.migrations import load_migrations

Connection = AsyncConnection[TupleRow]

MIGRATION_LOCK = 0x436F6749  # "CogI": first key of the advisory lock taken while migrating
"""The second key is a hash of the schema, so stores in different schemas migrate independently."""


def _dt(value: datetime) -> datetime:
    return value.astimezone(UTC)


async def _configure(conn: Connection) -> None:
    # JSONB columns come back as dicts; orjson parses them faster than the json module.
    set_json_loads(orjson.loads, conn)


_POOL_COLUMNS = "pool_id, account_id, created_at, document"
_IDENTITY_COLUMNS = "identity_id, pool_id, created_at, last_modified_at, disabled"

_SQL_LIST_IDENTITIES = (
    f"SELECT {_IDENTITY_COLUMNS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s ORDER BY seq LIMIT %s"
)
_SQL_LIST_ENABLED_IDENTITIES = (
    f"SELECT {_IDENTITY_COLUMNS}, seq FROM identities"  # noqa: S608 - constant columns
    " WHERE pool_id = %s AND seq > %s AND NOT disabled ORDER BY seq LIMIT %s"
)
# One statement: find the ids with their owner, delete the caller's, return the others.
_SQL_DELETE_IDENTITIES = """
WITH found AS (
    SELECT i.identity_id, p.account_id = %(account_id)s AS mine
    FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id
    WHERE i.identity_id = ANY(%(ids)s::text[])
), deleted AS (
    DELETE FROM identities WHERE identity_id IN (SELECT identity_id FROM found WHERE mine)
)
SELECT identity_id FROM found WHERE NOT mine
"""


class PostgresStore:
    """The :class:`~cognitoidentity.server.store.base.Store` on a PostgreSQL database."""

    def __init__(self, pool: AsyncConnectionPool[Connection]) -> None:
        """Wrap an open pool whose schema is migrated; use :meth:`open` instead."""
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresStore:
        """Connect to ``url`` (a libpq URI), apply pending migrations and return the store.

        Migrations run on a connection of their own made first, so a wrong URL, password or
        database fails at once with the server's own message rather than as a pool timeout.
        """
        async with await Connection.connect(url, autocommit=True) as conn:
            await _migrate(conn)
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True},
            configure=_configure,
            name="cognitoidentity",
        )
        try:
            await pool.open(wait=True)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def close(self) -> None:
        await self._pool.close()

    async def _fetch(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[TupleRow]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def _rowcount(self, sql: str, params: Sequence[Any]) -> int:
        """Run one writing statement (autocommit: the statement is its own transaction)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

    # -- accounts and access keys -----------------------------------------------------------
    async def create_account(self, account: Account) -> bool:
        inserted = await self._rowcount(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (account_id) DO NOTHING",
            (account.account_id, account.name, account.created_at),
        )
        return inserted == 1

    async def get_account(self, account_id: str) -> Account | None:
        rows = await self._fetch(
            "SELECT account_id, name, created_at FROM accounts WHERE account_id = %s",
            (account_id,),
        )
        return Account(rows[0][0], rows[0][1], _dt(rows[0][2])) if rows else None

    async def list_accounts(self) -> list[Account]:
        # COLLATE "C": byte order, as SQLite sorts, whatever the database's collation.
        rows = await self._fetch(
            'SELECT account_id, name, created_at FROM accounts ORDER BY account_id COLLATE "C"'
        )
        return [Account(r[0], r[1], _dt(r[2])) for r in rows]

    async def delete_account(self, account_id: str) -> bool:
        # Keys, pools and (through the pools) identities go with it: ON DELETE CASCADE.
        deleted = await self._rowcount("DELETE FROM accounts WHERE account_id = %s", (account_id,))
        return deleted == 1

    async def create_access_key(self, key: AccessKey) -> None:
        await self._rowcount(
            "INSERT INTO access_keys (access_key_id, account_id, secret_ciphertext, created_at)"
            " VALUES (%s, %s, %s, %s)",
            (key.access_key_id, key.account_id, key.secret_ciphertext, key.created_at),
        )

    @staticmethod
    def _access_key(row: TupleRow) -> AccessKey:
        return AccessKey(row[0], row[1], bytes(row[2]), _dt(row[3]))

    async def get_access_key(self, access_key_id: str) -> AccessKey | None:
        rows = await self._fetch(
            "SELECT access_key_id, account_id, secret_ciphertext, created_at FROM access_keys"
            " WHERE access_key_id = %s",
            (access_key_id,),
        )
        return self._access_key(rows[0]) if rows else None

    async def list_access_keys(self, account_id: str | None = None) -> list[AccessKey]:
        if account_id is None:
            rows = await self._fetch(
                "SELECT access_key_id, account_id, secret_ciphertext, created_at FROM access_keys"
                ' ORDER BY account_id COLLATE "C", created_at'
            )
        else:
            rows = await self._fetch(
                "SELECT access_key_id, account_id, secret_ciphertext, created_at FROM access_keys"
                " WHERE account_id = %s ORDER BY created_at",
                (account_id,),
            )
        return [self._access_key(r) for r in rows]

    async def delete_access_key(self, access_key_id: str) -> bool:
        deleted = await self._rowcount(
            "DELETE FROM access_keys WHERE access_key_id = %s", (access_key_id,)
        )
        return deleted == 1

    # -- identity pools ----------------------------------------------------------------------
    async def create_pool(self, pool: IdentityPool, *, max_pools: int) -> None:
        document = dump_pool_document(pool)
        async with self._pool.connection() as conn, conn.transaction():
            # Creators of pools in one account queue on the account row, so each one counts the
            # pools committed by those before it. NO KEY UPDATE conflicts with itself (and with
            # DELETE of the account) but not with the key-share locks of foreign-key checks, so
            # concurrent access-key inserts for the account are not held up.
            await conn.execute(
                "SELECT 1 FROM accounts WHERE account_id = %s FOR NO KEY UPDATE",
                (pool.account_id,),
            )
            cur = await conn.execute(
                "SELECT count(*) FROM identity_pools WHERE account_id = %s", (pool.account_id,)
            )
            row = await cur.fetchone()
            count = row[0] if row else 0
            if count >= max_pools:
                raise LimitReached(f"{count} pools")
            await conn.execute(
                "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
                " VALUES (%s, %s, %s, %s::jsonb, %s)",
                (pool.pool_id, pool.account_id, pool.region, document, pool.created_at),
            )

    @staticmethod
    def _pool_record(row: TupleRow) -> IdentityPool:
        return pool_from_document(row[0], row[1], _dt(row[2]), row[3])

    async def get_pool(self, pool_id: str) -> IdentityPool | None:
        rows = await self._fetch(
            f"SELECT {_POOL_COLUMNS} FROM identity_pools WHERE pool_id = %s",  # noqa: S608
            (pool_id,),
        )
        return self._pool_record(rows[0]) if rows else None

    async def update_pool(self, pool_id: str, mutate: PoolMutation) -> IdentityPool | None:
        async with self._pool.connection() as conn, conn.transaction():
            # The UPDATE below changes no key column, so NO KEY UPDATE is the lock it takes anyway;
            # taking it here (rather than FOR UPDATE) lets identities keep being created in the
            # pool while ``mutate`` runs.
            cur = await conn.execute(
                f"SELECT {_POOL_COLUMNS} FROM identity_pools"  # noqa: S608 - constant columns
                " WHERE pool_id = %s FOR NO KEY UPDATE",
                (pool_id,),
            )
            row = await cur.fetchone()
            if row is None:
                return None
            new = mutate(self._pool_record(row))  # raising here rolls the transaction back
            await conn.execute(
                "UPDATE identity_pools SET document = %s::jsonb WHERE pool_id = %s",
                (dump_pool_document(new), pool_id),
            )
            return new

    async def delete_pool(self, pool_id: str) -> bool:
        deleted = await self._rowcount("DELETE FROM identity_pools WHERE pool_id = %s", (pool_id,))
        return deleted == 1

    async def list_pools(
        self, account_id: str, region: str, *, after: int | None, limit: int
    ) -> Page[IdentityPool]:
        rows = await self._fetch(
            f"SELECT {_POOL_COLUMNS}, seq FROM identity_pools"  # noqa: S608 - constant columns
            " WHERE account_id = %s AND region = %s AND seq > %s ORDER BY seq LIMIT %s",
            (account_id, region, after or 0, limit + 1),
        )
        items = [self._pool_record(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][4] if len(rows) > limit else None)

    # -- identities --------------------------------------------------------------------------
    async def create_identity(self, identity: Identity) -> None:
        await self._rowcount(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (%s, %s, %s, %s, %s)",
            (
                identity.identity_id,
                identity.pool_id,
                identity.created_at,
                identity.last_modified_at,
                identity.disabled,
            ),
        )

    @staticmethod
    def _identity(row: TupleRow) -> Identity:
        return Identity(row[0], row[1], _dt(row[2]), _dt(row[3]), bool(row[4]))

    async def get_identity(self, identity_id: str) -> Identity | None:
        rows = await self._fetch(
            f"SELECT {_IDENTITY_COLUMNS} FROM identities WHERE identity_id = %s",  # noqa: S608
            (identity_id,),
        )
        return self._identity(rows[0]) if rows else None

    async def list_identities(
        self, pool_id: str, *, hide_disabled: bool, after: int | None, limit: int
    ) -> Page[Identity]:
        rows = await self._fetch(
            _SQL_LIST_ENABLED_IDENTITIES if hide_disabled else _SQL_LIST_IDENTITIES,
            (pool_id, after or 0, limit + 1),
        )
        items = [self._identity(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][5] if len(rows) > limit else None)

    async def delete_identities(self, account_id: str, identity_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(identity_ids))
        if not ids:
            return []
        # A single statement is atomic in autocommit mode; pools never change owner, so the
        # ownership read and the delete cannot disagree.
        rows = await self._fetch(_SQL_DELETE_IDENTITIES, {"account_id": account_id, "ids": ids})
        foreign = {r[0] for r in rows}
        return [i for i in ids if i in foreign]

    # -- OpenID token signing keys -------------------------------------------------------------
    async def create_signing_key(self, key: SigningKeyRecord) -> bool:
        # One statement: the unique partial index admits one current key, so of several processes
        # creating the first key at once exactly one inserts; the others do nothing.
        inserted = await self._rowcount(
            "INSERT INTO signing_keys (kid, private_key_ciphertext, public_jwk, created_at,"
            " retired_at, delete_after) VALUES (%s, %s, %s::jsonb, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            _signing_key_params(key),
        )
        return inserted == 1

    async def list_signing_keys(self, *, now: datetime | None = None) -> list[SigningKeyRecord]:
        rows = await self._fetch(
            "SELECT kid, private_key_ciphertext, public_jwk, created_at, retired_at, delete_after"
            " FROM signing_keys"
            " WHERE %(now)s::timestamptz IS NULL OR delete_after IS NULL OR delete_after > %(now)s"
            ' ORDER BY retired_at IS NULL DESC, created_at DESC, kid COLLATE "C"',
            {"now": now},
        )
        return [
            SigningKeyRecord(
                r[0],
                bytes(r[1]),
                r[2],
                _dt(r[3]),
                None if r[4] is None else _dt(r[4]),
                None if r[5] is None else _dt(r[5]),
            )
            for r in rows
        ]

    async def rotate_signing_key(
        self, new: SigningKeyRecord, retired_at: datetime, delete_after: datetime
    ) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            # Rotations and first-key creations queue on this lock (reads are not held up), so the
            # UPDATE below sees the key committed by a rotation that ran just before.
            await conn.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
            await conn.execute(
                "UPDATE signing_keys SET retired_at = %s, delete_after = %s"
                " WHERE retired_at IS NULL",
                (retired_at, delete_after),
            )
            await conn.execute(
                "INSERT INTO signing_keys (kid, private_key_ciphertext, public_jwk, created_at,"
                " retired_at, delete_after) VALUES (%s, %s, %s::jsonb, %s, %s, %s)",
                _signing_key_params(new),
            )

    async def purge_signing_keys(self, now: datetime) -> int:
        return await self._rowcount(
            "DELETE FROM signing_keys WHERE delete_after IS NOT NULL AND delete_after <= %s",
            (now,),
        )


def _signing_key_params(key: SigningKeyRecord) -> tuple[Any, ...]:
    return (
        key.kid,
        key.private_key_ciphertext,
        orjson.dumps(key.public_jwk).decode(),
        key.created_at,
        key.retired_at,
        key.delete_after,
    )


async def _migrate(conn: Connection) -> None:
    """Apply pending migrations in one transaction, serialised across processes by an advisory
    transaction lock (released at commit or rollback)."""
    async with conn.transaction():
        await conn.execute(
            f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK},"
            " hashtext(coalesce(current_schema(), '')))"
        )
        cur = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        row = await cur.fetchone()
        if row is None or not row[0]:
            await conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
            )
        cur = await conn.execute("SELECT version FROM schema_migrations")
        done = {r[0] for r in await cur.fetchall()}
        for migration in load_migrations("postgresql"):
            if migration.version in done:
                continue
            for statement in migration.statements:
                await conn.execute(statement.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, now())",
                (migration.version, migration.name),
            )
