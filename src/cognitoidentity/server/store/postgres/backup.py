"""Backups of the PostgreSQL store: every record read from one snapshot, streamed, and batches of
records inserted as they are.

The export runs in one ``REPEATABLE READ, READ ONLY`` transaction (one snapshot, whatever is
committed meanwhile) and reads each table through a server-side cursor, a page at a time. A batch
of inserts is one transaction.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from cognitoidentity.server.store import base, codec
from cognitoidentity.server.store.postgres import iam_roles
from cognitoidentity.server.store.postgres.connection import Connection, Pool, connection

EXPORT_FETCH = 1000
"""Rows fetched at a time: what an export holds in memory, whatever the store's size."""
IMPORT_STATEMENTS = codec.import_statements("%s", "::jsonb")


async def export_records(pool: Pool, *, identities: bool) -> AsyncGenerator[base.StoreRecord, None]:
    async with connection(pool) as conn, conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for sql, decode in codec.export_queries(
            identities=identities, collate=' COLLATE "C"', attached=iam_roles.ATTACHED
        ):
            async with conn.cursor(name="export") as cursor:
                cursor.itersize = EXPORT_FETCH
                await cursor.execute(sql)
                async for row in cursor:
                    yield decode(row)


async def insert_records(
    conn: Connection, groups: Sequence[tuple[str, list[tuple[Any, ...]]]]
) -> None:
    for kind, rows in groups:
        async with conn.cursor() as cursor:
            await cursor.executemany(IMPORT_STATEMENTS[kind], rows)
            codec.check_inserted(kind, len(rows), cursor.rowcount)
