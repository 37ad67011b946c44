"""Reads on the caller's thread (the event loop's), with a connection of their own: WAL readers
never block the writer, nor wait for it.

The point reads a request makes on its hot path (an identity, a pool, a login's owner, an IAM
provider) are kept, decoded, until any connection commits: SQLite's ``PRAGMA data_version`` changes
on the reading connection whenever another connection, in this process or another, has committed.
A write anywhere forgets them all; a read-mostly load (returning users, credentials refreshes) reads
each row once. The check itself starts a read transaction (file-lock system calls), so one check
serves everything the event loop had already queued when it was made: a request whose bytes
arrived after the check is queued behind the callback that ends it, and checks again. So a read
never misses a commit that finished before its request arrived, in any process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.store.base import StoreBusy
from cognitoidentity.server.store.sqlite.connection import READ_BUSY_TIMEOUT_MS, connect, is_busy

READ_CACHE_SIZE = 4096
"""Point reads kept between two commits (see the module doc); beyond it the oldest go first."""

R = TypeVar("R")
_NOT_KEPT: Any = object()


class Reader:
    """The store's reading connection and the point reads it keeps (``caches`` False: none)."""

    def __init__(self, path: str, *, caches: bool = True) -> None:
        # Reads run on the event loop: a short wait for a lock (READ_BUSY_TIMEOUT_MS).
        self._conn = connect(path, busy_timeout_ms=READ_BUSY_TIMEOUT_MS)
        self._kept: Cache[tuple[Any, ...], Any] = Cache(
            "kept reads",
            rule="until any connection, in any process, commits: SQLite's data_version, checked"
            " once per event-loop turn",
            max_entries=READ_CACHE_SIZE,
            enabled=caches,
        )
        self._version = -1
        self._checked_in: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        self._conn.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of ``sql``, read now (never kept)."""
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise StoreBusy(f"the SQLite database is locked: {exc}") from exc
            raise

    def _end_check(self) -> None:
        self._checked_in = None

    def version(self) -> int:
        """SQLite's ``data_version`` as of this event-loop turn's check (the module doc), after
        forgetting the kept reads if it changed: it changes when any connection, in any process,
        commits."""
        loop = asyncio.get_running_loop()
        # Compared with the loop, not a flag: a loop that stopped before its callback ran must not
        # leave the next loop trusting its check.
        if self._checked_in is not loop:
            version = self.rows("PRAGMA data_version")[0][0]
            if version != self._version:
                self._kept.clear()
                self._version = version
            self._checked_in = loop
            loop.call_soon(self._end_check)
        return self._version

    def one(
        self, sql: str, params: tuple[Any, ...], decode: Callable[[Sequence[Any]], R]
    ) -> R | None:
        """``decode`` of the first row (None without one), kept until the next commit."""
        if self._checked_in is not asyncio.get_running_loop():
            self.version()
        key = (sql, *params)
        kept: Any = self._kept.get(key, _NOT_KEPT)
        if kept is not _NOT_KEPT:
            found: R | None = kept
            return found
        # Read after the check: what is kept is never older than the version it is kept under.
        rows = self.rows(sql, params)
        value = decode(rows[0]) if rows else None
        self._kept.put(key, value)
        return value
