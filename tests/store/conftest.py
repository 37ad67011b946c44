"""The ``target`` fixture: where a store lives, for each kind (SQLite file, PostgreSQL schema)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest

from cognitoidentity.server.store import Store, open_store
from tests.support.postgres import require_postgres, temporary_schema

T = TypeVar("T")


@dataclass(frozen=True)
class StoreTarget:
    """Where a store lives; every :meth:`open` gives a new, independent store on the same data (a
    new connection pool or SQLite writer, as another server process would have)."""

    kind: str
    """``"sqlite"`` or ``"postgresql"``."""
    url: str

    async def open(self) -> Store:
        return await open_store(self.url)

    def run(self, body: Callable[[Store], Awaitable[T]]) -> T:
        """Open a store, await ``body(store)`` and close the store, all in one ``asyncio.run``."""

        async def main() -> T:
            store = await self.open()
            try:
                return await body(store)
            finally:
                await store.close()

        return asyncio.run(main())

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of ``sql`` run directly on the database (outside the store)."""
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.url.removeprefix("sqlite://"))
            try:
                return list(conn.execute(sql).fetchall())
            finally:
                conn.close()
        with psycopg.connect(self.url, autocommit=True) as pg:
            return list(pg.execute(sql.encode()).fetchall())


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreTarget]:
    if request.param == "sqlite":
        yield StoreTarget("sqlite", f"sqlite://{tmp_path / 'store.db'}")
        return
    require_postgres()
    with temporary_schema() as url:
        yield StoreTarget("postgresql", url)
