"""Locks held on a store's database by someone else, as the store (or a server) meets them.

* :func:`sqlite_write_lock`: another connection inside ``BEGIN IMMEDIATE`` (an operator's shell, a
  long transaction of another process): writers wait, WAL readers do not.
* :func:`sqlite_wal_recovery`: another process rebuilding the WAL index, as the first process to
  read after one died mid-commit does: readers wait too (``SQLITE_BUSY_RECOVERY``).
* :func:`postgres_row_lock`: another session holding ``FOR UPDATE`` on a row (as a DELETE does).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


@contextmanager
def sqlite_write_lock(db_path: str | Path) -> Iterator[sqlite3.Connection]:
    """Hold the write lock of the SQLite database at ``db_path`` until exit (or until the yielded
    connection rolls back)."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


# Runs in a process of its own: POSIX record locks never conflict within one process.
_HOLD_RECOVERY_LOCKS = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 3, 120, os.SEEK_SET)
print("held", flush=True)
sys.stdin.readline()
"""


@contextmanager
def sqlite_wal_recovery(db_path: str | Path) -> Iterator[None]:
    """Make another process look, to every connection of the WAL-mode database at ``db_path``, as if
    it were rebuilding the WAL index until exit.

    That is two facts of the ``-shm`` file (https://sqlite.org/walformat.html): the index header's
    two copies disagree (a writer died while updating them), and a process holds the write,
    checkpoint and recover locks of the index (bytes 120-122). A reader then waits for the
    recovery to finish, and gets SQLITE_BUSY_RECOVERY when its busy timeout runs out. On exit the
    locks go, and the next reader rebuilds the index from the WAL, as after a real crash.
    """
    shm = Path(f"{db_path}-shm")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_RECOVERY_LOCKS, str(shm)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        with shm.open("r+b") as f:
            f.seek(48 + 4)  # the second copy of the header, its unused field
            byte = f.read(1)[0]
            f.seek(48 + 4)
            f.write(bytes([byte ^ 0xFF]))
        yield
    finally:
        holder.communicate("\n", timeout=10)  # the holder exits, its locks with it


@contextmanager
def postgres_row_lock(
    url: str, sql: str, params: tuple[object, ...]
) -> Iterator[psycopg.Connection]:
    """Run ``sql`` (a ``SELECT ... FOR UPDATE``) in a transaction of another session, and keep the
    transaction open until exit (or until the yielded connection rolls back)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(sql.encode(), params).fetchall()
        assert rows, "the lock must take a row"
        try:
            yield conn
        finally:
            conn.rollback()
