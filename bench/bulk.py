"""The scale scenario's data, straight in the server's database (as an operator loading identities
in bulk would: minutes through the API become seconds in SQL): identities for two pools made
through the API, interleaved, and what the scale scenario reads back (identity samples, whether a
pool row is still there, the size of SQLite's write-ahead log).

The rows are the store's own (the server's migrations made the tables): random lowercase UUIDs
after the region, as GetId makes them, and times of now. The small pool's identities are spread
evenly among the big pool's (one in every ``(big + small) // small`` rows), the shape that once
made PostgreSQL's ListIdentities walk the other pool's rows (``tests/store/test_list_plan.py``)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

SQLITE_NOW = "(julianday('now') * 86400 - 210866760000)"
"""Now in seconds since the epoch, as the store keeps times (``unixepoch()`` needs SQLite 3.38)."""
SQLITE_UUID = (
    "printf('%s-%s-4%s-%s-%s', lower(hex(randomblob(4))), lower(hex(randomblob(2))),"
    " substr(lower(hex(randomblob(2))), 2), lower(hex(randomblob(2))), lower(hex(randomblob(6))))"
)


@dataclass(frozen=True, slots=True)
class Database:
    """Where our server keeps its data: a SQLite file, or a PostgreSQL URL (its schema)."""

    sqlite_path: Path | None = None
    postgres_url: str | None = None

    def rows(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """The rows of one statement (``?`` placeholders on SQLite, ``%s`` on PostgreSQL)."""
        if self.sqlite_path is not None:
            conn = sqlite3.connect(self.sqlite_path, timeout=30)
            try:
                with conn:
                    return list(conn.execute(sql, params).fetchall())
            finally:
                conn.close()
        assert self.postgres_url is not None
        with psycopg.connect(self.postgres_url, autocommit=True) as pg:
            cur = pg.execute(sql.replace("?", "%s").encode(), params)
            return list(cur.fetchall()) if cur.description else []

    def load(self, big: str, small: str, big_count: int, small_count: int) -> float:
        """Insert ``big_count`` identities in pool ``big`` and ``small_count`` in ``small``,
        interleaved (see the module doc), in one transaction; the seconds it took (a checkpoint
        or an ``ANALYZE`` after it included)."""
        total = big_count + small_count
        step = max(2, total // max(1, small_count))
        region = big.split(":", 1)[0]
        started = time.perf_counter()
        if self.sqlite_path is not None:
            conn = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)"
                    " INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at,"
                    f" disabled) SELECT ? || ':' || {SQLITE_UUID},"
                    f" CASE WHEN n % ? = 0 THEN ? ELSE ? END, {SQLITE_NOW}, {SQLITE_NOW}, 0 FROM g",
                    (total, region, step, small, big),
                )
                conn.execute("COMMIT")
                # One transaction of a million rows leaves a WAL of hundreds of MB: give it back
                # before measuring anything.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
        else:
            assert self.postgres_url is not None
            with psycopg.connect(self.postgres_url, autocommit=True) as pg:
                pg.execute(
                    "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at,"
                    " disabled) SELECT %s || ':' || gen_random_uuid(),"
                    " CASE WHEN g %% %s = 0 THEN %s ELSE %s END, now(), now(), false"
                    " FROM generate_series(1, %s) g",
                    (region, step, small, big, total),
                )
                # What autovacuum would do soon after such a load: the planner's statistics.
                pg.execute("VACUUM ANALYZE identities")
        return time.perf_counter() - started

    def count(self, pool_id: str) -> int:
        [(n,)] = self.rows("SELECT count(*) FROM identities WHERE pool_id = ?", (pool_id,))
        return int(str(n))

    def sample(self, pool_id: str, count: int) -> list[str]:
        """``count`` identity ids of ``pool_id`` picked at random."""
        rows = self.rows(
            "SELECT identity_id FROM identities WHERE pool_id = ? ORDER BY random() LIMIT ?",
            (pool_id, count),
        )
        return [str(row[0]) for row in rows]

    def pool_row_exists(self, pool_id: str) -> bool:
        """Whether the pool's row is still stored (a deleted pool's goes with its last batch)."""
        rows = self.rows("SELECT 1 FROM identity_pools WHERE pool_id = ?", (pool_id,))
        return bool(rows)

    def wal_bytes(self) -> int | None:
        """The size of SQLite's write-ahead log file (None on PostgreSQL)."""
        if self.sqlite_path is None:
            return None
        wal = self.sqlite_path.with_name(self.sqlite_path.name + "-wal")
        return wal.stat().st_size if wal.exists() else 0

    def file_bytes(self) -> int | None:
        """The size of the SQLite database file, or of the PostgreSQL identities table."""
        if self.sqlite_path is not None:
            return self.sqlite_path.stat().st_size
        [(n,)] = self.rows("SELECT pg_total_relation_size('identities')")
        return int(str(n))
