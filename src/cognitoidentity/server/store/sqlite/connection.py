"""Connections to the store's SQLite file: how each is set up, how long it waits for a lock, what
counts as a busy database, and the schema migrated when the store opens.

Waits for a lock are bounded, and a database that stays locked raises
:class:`~cognitoidentity.server.store.base.StoreBusy` (the client is told to retry) rather than
holding requests: a write waits at most ``WRITE_LOCK_WAIT`` seconds after it was submitted for the
write lock (another process's transaction), a read ``READ_BUSY_TIMEOUT_MS``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from cognitoidentity.server.store.base import StoreBusy
from cognitoidentity.server.store.migrations import load_migrations

SETUP_BUSY_TIMEOUT_MS = 10_000
"""How long opening and migrating the database waits for a lock: once, at start-up, where failing
is worse than waiting."""
WRITE_LOCK_WAIT = 1.0
"""Seconds a write may wait for the write lock, counted from when it was submitted (so requests
that queued up behind a batch waiting for the lock do not wait again in full). Another process's
commit holds the lock for about one fsync, milliseconds; a lock held for a second is a long
transaction (a bulk delete in another process, an operator's shell), and answering "busy, retry"
after about a second lets the client back off and retry (botocore's standard mode: 3 attempts)
rather than have its request held, and its socket timeout run, while the lock is held."""
READ_BUSY_TIMEOUT_MS = 100
"""How long a read waits for a lock. Reads run on the event loop, which serves no other request
while one waits, so the wait must be short. WAL readers never wait for writers or checkpoints;
they wait only in rare cases, such as another process rebuilding the WAL index after a process
died while writing it, when failing one request beats stalling all of them."""


def connect(path: str, busy_timeout_ms: int = SETUP_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection set up for the store; its waits for a lock last ``busy_timeout_ms`` once set
    up (setting up, at start-up, may wait ``SETUP_BUSY_TIMEOUT_MS``)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {SETUP_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    if busy_timeout_ms != SETUP_BUSY_TIMEOUT_MS:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    return conn


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (SQLITE_BUSY and its extended codes, such
    as SQLITE_BUSY_RECOVERY), after the connection's busy timeout ran out."""
    # An OperationalError raised by Python code rather than SQLite has no code.
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.OperationalError)
        and isinstance(code, int)
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


def store_error(exc: BaseException) -> BaseException:
    """``exc`` as the caller should see it: a busy database as a new :class:`StoreBusy`."""
    if isinstance(exc, StoreBusy):
        busy = StoreBusy(*exc.args)
        busy.__cause__ = exc.__cause__
        return busy
    if is_busy(exc):
        busy = StoreBusy(f"the SQLite database is locked: {exc}")
        busy.__cause__ = exc
        return busy
    return exc


def migrate(path: str) -> None:
    """Apply the pending migrations in one transaction (``BEGIN IMMEDIATE``: one process at a
    time)."""
    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in load_migrations("sqlite"):
            if migration.version in done:
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (migration.version, migration.name, datetime.now(UTC).timestamp()),
            )
        conn.execute("COMMIT")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()
