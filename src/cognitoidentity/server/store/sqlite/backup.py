"""Backups of the SQLite store: every record read from one snapshot, streamed, and batches of
records inserted as they are.

The export reads on a connection of its own inside one read transaction: WAL readers see the
database as of their first read until the transaction ends, whatever is committed meanwhile, and
neither block writers nor touch the store's reader and what it keeps. Inserts are one writer job,
so a batch is one transaction (the writer's).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from cognitoidentity.server.store import base, codec
from cognitoidentity.server.store.sqlite import iam_roles
from cognitoidentity.server.store.sqlite.connection import connect

EXPORT_FETCH = 1000
"""Rows fetched at a time: what an export holds in memory, whatever the store's size."""
IMPORT_STATEMENTS = codec.import_statements("?", "")


async def export_records(path: str, *, identities: bool) -> AsyncGenerator[base.StoreRecord, None]:
    conn = connect(path)
    try:
        conn.execute("BEGIN")
        for sql, decode in codec.export_queries(
            identities=identities, collate="", attached=iam_roles.ATTACHED
        ):
            cursor = conn.execute(sql)
            while rows := cursor.fetchmany(EXPORT_FETCH):
                for row in rows:
                    yield decode(row)
                await asyncio.sleep(0)  # a long export lets the event loop's other work run
        conn.execute("COMMIT")
    finally:
        conn.close()


def insert_records(
    conn: sqlite3.Connection, groups: Sequence[tuple[str, list[tuple[Any, ...]]]]
) -> None:
    for kind, rows in groups:
        codec.check_inserted(
            kind, len(rows), conn.executemany(IMPORT_STATEMENTS[kind], rows).rowcount
        )
