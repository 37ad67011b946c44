"""Connections to the PostgreSQL database: the pool the store draws them from, how each is set up,
how long a call waits for one and for a lock (then
:class:`~cognitoidentity.server.store.base.StoreBusy`), and the schema migrated when the store
opens.

Waits are bounded, and one that runs out raises ``StoreBusy`` (the client is told to retry):
waiting for a free connection of the pool (``POOL_TIMEOUT``) and, for each statement, for each
lock it needs (``LOCK_TIMEOUT_MS``, PostgreSQL's ``lock_timeout``). There is no
``statement_timeout``: a statement that is working rather than waiting, such as deleting a pool
with millions of identities, may take as long as it needs (a timeout would fail it every time it
is retried).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import orjson
from psycopg import AsyncConnection, errors
from psycopg.rows import TupleRow
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from cognitoidentity.server.store.base import StoreBusy
from cognitoidentity.server.store.migrations import load_migrations

Connection = AsyncConnection[TupleRow]
Pool = AsyncConnectionPool[Connection]

POOL_TIMEOUT = 1.0
"""Seconds a call waits for a free connection of the pool (psycopg_pool's default is 30). All of
them busy for a second means the database is not keeping up; telling clients to back off beats
queueing more work behind it."""
LOCK_TIMEOUT_MS = 1000
"""PostgreSQL's ``lock_timeout`` on the pool's connections: the longest a statement waits for any
one lock. The store's own transactions hold row locks for a few round trips; a lock held for a
second belongs to a long transaction (a pool or account being deleted with its identities, an
operator's session), and the waiting call is answered "busy, retry" instead. Migrations run on a
connection of their own and wait as long as they must."""

MIGRATION_LOCK = 0x436F6749  # "CogI": first key of the advisory lock taken while migrating
"""The second key is a hash of the schema, so stores in different schemas migrate independently."""


async def open_pool(url: str, *, min_size: int, max_size: int, pool_timeout: float) -> Pool:
    """Apply pending migrations to the database at ``url`` (a libpq URI), then open a pool of
    connections to it.

    Migrations run on a connection of their own made first, so a wrong URL, password or
    database fails at once with the server's own message rather than as a pool timeout.
    """
    async with await Connection.connect(url, autocommit=True) as conn:
        await _migrate(conn)
    pool: Pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True},
        configure=_configure,
        timeout=pool_timeout,
        name="cognitoidentity",
    )
    try:
        await pool.open(wait=True)
    except BaseException:
        await pool.close()
        raise
    return pool


@contextlib.asynccontextmanager
async def connection(pool: Pool) -> AsyncIterator[Connection]:
    """A connection of ``pool``; a wait for it, or for a lock, that ran out is StoreBusy."""
    try:
        async with pool.connection() as conn:
            yield conn
    except PoolTimeout as exc:
        raise StoreBusy(f"no database connection became free within {pool.timeout:g}s") from exc
    except errors.LockNotAvailable as exc:
        raise StoreBusy(f"a database lock was not granted within {LOCK_TIMEOUT_MS} ms") from exc


async def _configure(conn: Connection) -> None:
    # JSONB columns come back as dicts; orjson parses them faster than the json module.
    set_json_loads(orjson.loads, conn)
    # A SET, not ``options`` in the connection arguments: those would replace the URL's own.
    await conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")


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
