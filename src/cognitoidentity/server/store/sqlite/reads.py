"""Reads on the caller's thread (the event loop's), with a connection of their own: WAL readers
never block the writer, nor wait for it.

The point reads a request makes on its hot path (an identity, a pool, a login's owner, an IAM
provider) are kept, decoded, until any connection commits, in this process or another; a write
anywhere forgets them all, and a read-mostly load (returning users, credentials refreshes) reads
each row once.

How a commit is seen: every commit to a WAL database rewrites the header of its WAL index, the
``-shm`` file every connection to it maps (its layout is documented at
https://www.sqlite.org/walformat.html: a change counter, the last frame, checksums and salts, in
two copies), before the commit returns. The reader maps that file too and compares the header's
96 bytes with what it saw last, before every kept read (a slice of a mapping: ~0.1 µs, no system
call); any difference (a commit, a checkpoint that restarts the WAL, a header caught halfway
through its rewrite) forgets the kept reads. So a read never misses a commit that returned
before it began, in any process (``serve --workers N``, an admin command). The file is mapped only
while the reader's connection, which holds it open, is open: SQLite truncates it only when no
connection has it open.

**Choice**: where the file cannot be mapped (another VFS, a platform without it), the reader asks
SQLite's ``PRAGMA data_version`` instead (it changes whenever another connection has committed),
once per event-loop turn, since that check starts a read transaction (file-lock system calls):
one check then serves everything the event loop had already queued when it was made, and a request
whose bytes arrived after it is queued behind the callback that ends it, and checks again. Measured
(``bench/inprocess.py``): the pragma cost 2-7 µs a turn, most of it in system calls.
"""

from __future__ import annotations

import asyncio
import mmap
import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.store.base import StoreBusy
from cognitoidentity.server.store.sqlite.connection import READ_BUSY_TIMEOUT_MS, connect, is_busy

READ_CACHE_SIZE = 4096
"""Point reads kept between two commits (see the module doc); beyond it the oldest go first."""
WAL_INDEX_HEADER = 96
"""Bytes of the WAL index's header: its two copies (``WalIndexHdr``, 48 bytes each)."""

R = TypeVar("R")
_NOT_KEPT: Any = object()


class Reader:
    """The store's reading connection and the point reads it keeps (``caches`` False: none)."""

    def __init__(self, path: str, *, caches: bool = True) -> None:
        # Reads run on the event loop: a short wait for a lock (READ_BUSY_TIMEOUT_MS).
        self._conn = connect(path, busy_timeout_ms=READ_BUSY_TIMEOUT_MS)
        self._kept: Cache[tuple[Any, ...], Any] = Cache(
            "kept reads",
            rule="until any connection, in any process, commits: the WAL index header, checked"
            " before every kept read (else SQLite's data_version, once per event-loop turn)",
            max_entries=READ_CACHE_SIZE,
            enabled=caches,
        )
        self._version = -1
        self._checked_in: asyncio.AbstractEventLoop | None = None
        # The first read opens (and creates, if need be) the WAL index this connection shares;
        # it lies beside the database file as SQLite names it (its full path, links resolved).
        self.rows("PRAGMA data_version")
        self._wal_index = _map_wal_index(self.rows("PRAGMA database_list")[0][2])
        self._header = b""

    def close(self) -> None:
        if self._wal_index is not None:
            self._wal_index.close()  # before the connection that keeps the file whole
            self._wal_index = None
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
        """A number that changes when any connection, in any process, commits (see the module
        doc), after forgetting the kept reads if it changed."""
        wal_index = self._wal_index
        if wal_index is not None:
            header = wal_index[:WAL_INDEX_HEADER]
            if header != self._header:
                self._header = header
                self._kept.clear()
                self._version += 1
            return self._version
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
        wal_index = self._wal_index
        if wal_index is None or wal_index[:WAL_INDEX_HEADER] != self._header:
            self.version()  # (which looks again: the header may change in between, harmlessly)
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


def _map_wal_index(path: str) -> mmap.mmap | None:
    """The WAL index of the database file ``path``, mapped read-only; None when it cannot be."""
    if not path:  # a temporary or in-memory database
        return None
    try:
        fd = os.open(path + "-shm", os.O_RDONLY)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_size < WAL_INDEX_HEADER:
            return None
        return mmap.mmap(fd, WAL_INDEX_HEADER, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)  # the mapping keeps what it needs
