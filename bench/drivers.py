"""``python -m bench.drivers``: the PostgreSQL driver alone, psycopg against asyncpg, on the
statements the server runs most.

Each variant runs ``--tasks`` coroutines on one uvloop event loop (as one server process runs its
requests), each executing the statement over and over for ``--seconds``, through a connection pool
of ``--pool`` connections as the store draws them. What counts is this process's CPU time per
statement (``time.process_time``, every thread), which is what the driver costs the server: the
database's own work is in another process. Rounds alternate the variants so that other load on the
machine falls on all of them alike; the median of the rounds is printed.

The statements, on the store's own tables (made by its migrations in a throwaway schema):

- ``identity+pool``: the identity with its pool and its logins' providers, one row
  (``statements.GET_IDENTITY_AND_POOL``: GetCredentialsForIdentity, GetOpenIdToken);
- ``version``: the store's change counter (:data:`~cognitoidentity.server.store.postgres.changes.VERSION`),
  the check every event-loop turn with requests makes.

Variants: ``psycopg`` (the store's set-up: psycopg_pool, autocommit, text results, prepared after
``prepare_threshold`` uses), ``psycopg-binary`` (binary results), ``psycopg-raw`` (one connection
per task, no pool: the pool's own cost), ``asyncpg`` (its pool; statements prepared and cached)
and ``asyncpg-raw``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import uvloop

from bench.options import POSTGRES_URL
from cognitoidentity.server.store import open_store
from cognitoidentity.server.store.postgres import changes, statements
from tests.support.postgres import schema_in
from tests.support.server import REGION, ROOT_ACCOUNT

POOL_ID = f"{REGION}:00000000-0000-4000-8000-000000000001"
IDENTITY_ID = f"{REGION}:00000000-0000-4000-8000-000000000002"
VARIANTS = ("psycopg", "psycopg-binary", "psycopg-raw", "asyncpg", "asyncpg-raw")
STATEMENTS = {
    "identity+pool": (statements.GET_IDENTITY_AND_POOL, (IDENTITY_ID,)),
    "version": (changes.VERSION, ()),
}

Run = Callable[[], Awaitable[object]]


@dataclass
class Figure:
    variant: str
    statement: str
    count: int
    cpu_s: float
    wall_s: float

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / self.count * 1e6

    @property
    def rate(self) -> float:
        return self.count / self.wall_s


def _asyncpg_sql(sql: str) -> str:
    """``%s`` placeholders as asyncpg's ``$n``."""
    parts = sql.split("%s")
    return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))


def _search_path(url: str) -> str:
    options = parse_qs(urlsplit(url).query).get("options", [""])[0]
    return options.removeprefix("-csearch_path=")


async def _set_up(url: str) -> None:
    store = await open_store(url)
    await store.close()
    import psycopg

    now = datetime.now(UTC)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO accounts (account_id, name, created_at) VALUES (%s, 'bench', %s)",
            (ROOT_ACCOUNT, now),
        )
        await conn.execute(
            "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
            " VALUES (%s, %s, %s, %s::jsonb, %s)",
            (
                POOL_ID,
                ROOT_ACCOUNT,
                REGION,
                '{"name": "bench", "allow_unauthenticated": true}',
                now,
            ),
        )
        await conn.execute(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at)"
            " VALUES (%s, %s, %s, %s)",
            (IDENTITY_ID, POOL_ID, now, now),
        )
        for _ in range(1000):  # neighbours, so the index lookups are not trivial
            await conn.execute(
                "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at)"
                " VALUES (%s, %s, %s, %s)",
                (f"{REGION}:{uuid.uuid4()}", POOL_ID, now, now),
            )


async def _psycopg_runs(
    stack: AsyncExitStack,
    url: str,
    variant: str,
    tasks: int,
    size: int,
    sql: str,
    params: tuple[object, ...],
) -> list[Run]:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    binary = variant == "psycopg-binary"
    if variant == "psycopg-raw":
        runs: list[Run] = []
        for _ in range(tasks):
            conn = await stack.enter_async_context(
                await AsyncConnection.connect(url, autocommit=True)
            )

            async def run(conn: AsyncConnection[tuple[object, ...]] = conn) -> object:
                cur = await conn.execute(sql, params)
                return await cur.fetchall()

            runs.append(run)
        return runs
    pool = AsyncConnectionPool(
        url, min_size=size, max_size=size, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True)
    stack.push_async_callback(pool.close)

    async def pooled() -> object:
        async with pool.connection() as conn:
            cur = await conn.execute(sql, params, binary=binary)
            return await cur.fetchall()

    return [pooled] * tasks


def _asyncpg() -> Any:
    """asyncpg, which is not a dependency of the project (``.venv/bin/pip install asyncpg``)."""
    return importlib.import_module("asyncpg")


async def _asyncpg_runs(
    stack: AsyncExitStack,
    url: str,
    variant: str,
    tasks: int,
    size: int,
    sql: str,
    params: tuple[object, ...],
) -> list[Run]:
    asyncpg = _asyncpg()
    query = _asyncpg_sql(sql)
    settings = {"search_path": _search_path(url)}
    dsn = url.split("?", 1)[0]
    if variant == "asyncpg-raw":
        runs: list[Run] = []
        for _ in range(tasks):
            conn = await asyncpg.connect(dsn, server_settings=settings)
            stack.push_async_callback(conn.close)

            async def run(conn: Any = conn) -> object:
                return await conn.fetch(query, *params)

            runs.append(run)
        return runs
    pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size, server_settings=settings)
    stack.push_async_callback(pool.close)

    async def pooled() -> object:
        async with pool.acquire() as conn:
            return await conn.fetch(query, *params)

    return [pooled] * tasks


async def _measure(url: str, variant: str, name: str, args: argparse.Namespace) -> Figure:
    sql, params = STATEMENTS[name]
    make = _asyncpg_runs if variant.startswith("asyncpg") else _psycopg_runs
    async with AsyncExitStack() as stack:
        runs = await make(stack, url, variant, args.tasks, args.pool, sql, params)
        count = 0
        stop = False

        async def loop(run: Run) -> None:
            nonlocal count
            while not stop:
                await run()
                count += 1

        workers = [asyncio.create_task(loop(run)) for run in runs]
        await asyncio.sleep(args.warmup)
        count = 0
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(args.seconds)
        done = count
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        stop = True
        await asyncio.gather(*workers)
    return Figure(variant, name, done, cpu, wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drivers", description=__doc__)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--tasks", type=int, default=16, help="concurrent coroutines (16)")
    parser.add_argument("--pool", type=int, default=10, help="connections of a pool (10)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args(argv)
    variants = args.variants.split(",")
    if any(v.startswith("asyncpg") for v in variants):
        try:
            _asyncpg()
        except ImportError:
            print("asyncpg is not installed: .venv/bin/pip install asyncpg", file=sys.stderr)
            return 2
    figures: dict[tuple[str, str], list[Figure]] = {}
    with schema_in(args.postgres_url, "bench_drivers") as url:
        uvloop.run(_set_up(url))
        for round_ in range(args.rounds):
            order = variants if round_ % 2 == 0 else variants[::-1]
            for name in STATEMENTS:
                for variant in order:
                    figure = uvloop.run(_measure(url, variant, name, args))
                    figures.setdefault((variant, name), []).append(figure)
                    print(
                        f"round {round_ + 1} {name:14} {variant:15}"
                        f" {figure.cpu_us:7.1f} µs cpu/stmt {figure.rate:9.0f} stmt/s",
                        flush=True,
                    )
    print(f"\nmedian of {args.rounds} rounds, {args.tasks} tasks, pool {args.pool}:")
    print(f"{'statement':14} {'variant':15} {'cpu µs/stmt':>11} {'stmt/s':>9}")
    for (variant, name), runs in sorted(figures.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu = statistics.median(f.cpu_us for f in runs)
        rate = statistics.median(f.rate for f in runs)
        print(f"{name:14} {variant:15} {cpu:11.1f} {rate:9.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
