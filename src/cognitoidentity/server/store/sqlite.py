"""The embedded store: SQLite in WAL mode with ``synchronous=FULL``, so no committed identity is lost
even on power loss.

Writes go through one writer thread that commits in groups: every write that arrives while a commit is
in flight joins the next transaction, each inside its own savepoint, so a failed write rolls back alone
and one fsync covers many requests. The guest identities of a group (GetId's common call) go in with
one multi-row statement: ``sqlite3`` hands the GIL to the event loop at every statement, and winning
it back, once per insert, cost more than the inserts themselves. Reads run on the caller's thread with their own connection (WAL
readers never block the writer). Several server processes may open the same file: each transaction
starts with ``BEGIN IMMEDIATE``.

Waits for a lock are bounded, and a database that stays locked raises
:class:`~cognitoidentity.server.store.base.StoreBusy` (the client is told to retry) rather than
holding requests: a write waits at most ``WRITE_LOCK_WAIT`` seconds after it was submitted for the
write lock (another process's transaction), a read ``READ_BUSY_TIMEOUT_MS``.

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
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from cognitoidentity.server.linking import (
    IdentityState,
    LinkPlan,
    LinkRequest,
    LoginKey,
    Snapshot,
    plan_links,
)
from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    IamOidcProvider,
    IamSamlProvider,
    Identity,
    IdentityPool,
    LimitReached,
    LinkResult,
    Login,
    OidcProviderMutation,
    Page,
    PoolMutation,
    SamlProviderMutation,
    SigningKeyRecord,
    StoreBusy,
)
from cognitoidentity.server.store.codec import (
    dump_json_list,
    dump_pool_document,
    dump_tags,
    load_json_list,
    load_tags,
    pool_from_document,
)
from cognitoidentity.server.store.migrations import load_migrations

T = TypeVar("T")

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
POOL_CACHE_SIZE = 1024
"""Decoded pools kept per store, keyed by id and document text (so never stale)."""
READ_CACHE_SIZE = 4096
"""Point reads kept between two commits (see the module doc); beyond it they are all forgotten."""
MAX_GROUP = 512
"""Most writes committed by one transaction; bounds the latency a single fsync can add."""

Job = Callable[[sqlite3.Connection], Any]
Submitted = tuple[Job, asyncio.Future[Any], float]
"""A job, the future of its outcome, and when it was submitted (``time.monotonic()``)."""
MAX_GUESTS_PER_STATEMENT = 200
"""Guest identities inserted by one statement (4 parameters each, far below SQLite's limit)."""
R = TypeVar("R")


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


# The identity's columns, then the distinct provider names of its logins as a JSON array (one
# indexed lookup per identity, in the same statement).
_IDENTITY_SELECT = (
    "SELECT identity_id, pool_id, created_at, last_modified_at, disabled,"
    " (SELECT json_group_array(DISTINCT l.provider) FROM logins l"
    " WHERE l.identity_id = identities.identity_id)"
)
_SQL_GET_IDENTITY = _IDENTITY_SELECT + " FROM identities WHERE identity_id = ?"
_SQL_GET_IDENTITY_AND_POOL = (
    "SELECT i.identity_id, i.pool_id, i.created_at, i.last_modified_at, i.disabled,"
    " (SELECT json_group_array(DISTINCT l.provider) FROM logins l"
    " WHERE l.identity_id = i.identity_id),"
    " p.pool_id, p.account_id, p.created_at, p.document"
    " FROM identities i JOIN identity_pools p ON p.pool_id = i.pool_id WHERE i.identity_id = ?"
)
_SQL_LIST_IDENTITIES = (
    _IDENTITY_SELECT + ", seq FROM identities"
    " WHERE pool_id = ? AND seq > ? AND (disabled = 0 OR NOT ?) ORDER BY seq LIMIT ?"
)
_LOGIN_COLUMNS = "provider, user_id, identity_id, created_at, seq"


def _providers(value: str | None) -> tuple[str, ...]:
    if not value or value == "[]":
        return ()
    names: list[str] = orjson.loads(value)
    return tuple(sorted(names))


def _login(row: Sequence[Any]) -> Login:
    return Login(row[0], row[1], row[2], _dt(row[3]))


def _connect(path: str, busy_timeout_ms: int = SETUP_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
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


def _is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (SQLITE_BUSY and its extended codes, such
    as SQLITE_BUSY_RECOVERY), after the connection's busy timeout ran out."""
    # An OperationalError raised by Python code rather than SQLite has no code.
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.OperationalError)
        and isinstance(code, int)
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


def _store_error(exc: BaseException) -> BaseException:
    """``exc`` as the caller should see it: a busy database as a new :class:`StoreBusy`."""
    if isinstance(exc, StoreBusy):
        busy = StoreBusy(*exc.args)
        busy.__cause__ = exc.__cause__
        return busy
    if _is_busy(exc):
        busy = StoreBusy(f"the SQLite database is locked: {exc}")
        busy.__cause__ = exc
        return busy
    return exc


@dataclass(frozen=True, slots=True)
class _GuestInsert:
    """A guest identity for a pool that must exist and allow them: a job that the writer may join
    with the group's other guest inserts (:func:`_insert_guests`)."""

    identity_id: str
    created_at: float
    last_modified_at: float
    pool_id: str

    def __call__(self, conn: sqlite3.Connection) -> bool:
        return _insert_guests(conn, [self])[0]


def _insert_guests(conn: sqlite3.Connection, guests: Sequence[_GuestInsert]) -> list[bool]:
    """Whether each guest was inserted, with one statement for all (identity ids are new UUIDs:
    only a missing pool, or one refusing guests, leaves one out; then one more read says which)."""
    rows = ", ".join("(?, ?, ?, ?)" for _ in guests)
    params = [
        value
        for g in guests
        for value in (g.identity_id, g.created_at, g.last_modified_at, g.pool_id)
    ]
    # Only placeholders are joined into the statement.
    sql = (
        "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"  # noqa: S608
        " SELECT v.column1, p.pool_id, v.column2, v.column3, 0"
        f" FROM (VALUES {rows}) AS v JOIN identity_pools p ON p.pool_id = v.column4"
        " WHERE json_extract(p.document, '$.allow_unauthenticated') = 1"
    )
    cur = conn.execute(sql, params)
    if cur.rowcount == len(guests):
        return [True] * len(guests)
    marks = ", ".join("?" for _ in guests)
    inserted = {
        row[0]
        for row in conn.execute(
            f"SELECT identity_id FROM identities WHERE identity_id IN ({marks})",  # noqa: S608
            [guest.identity_id for guest in guests],
        )
    }
    return [guest.identity_id in inserted for guest in guests]


class _GroupCommitWriter:
    """One thread, one connection: runs submitted jobs in shared transactions."""

    def __init__(self, path: str) -> None:
        # No busy timeout: ``_begin`` waits for the lock itself, until a deadline set by the batch.
        self._conn = _connect(path, busy_timeout_ms=0)
        self._jobs: queue.SimpleQueue[Submitted | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._jobs.put((job, future, time.monotonic()))
        return future

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_GROUP:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _begin(self, deadline: float) -> None:
        """``BEGIN IMMEDIATE``, tried again while another connection holds the write lock, until
        ``deadline`` (at least once); then :class:`StoreBusy`.

        The wait is here rather than in SQLite's busy handler so that it ends at the deadline of
        the batch's oldest job: jobs that queued up while an earlier batch waited for the lock
        have used up part of their wait already."""
        delay = 0.001
        while True:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StoreBusy(
                        "the SQLite database is locked by another connection"
                        f" (waited up to {WRITE_LOCK_WAIT:g}s for the write lock)"
                    ) from exc
            # Short sleeps first (a commit elsewhere takes milliseconds), 50 ms at most between
            # tries, as SQLite's own busy handler does.
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.05)

    def _commit(self, batch: list[Submitted]) -> None:
        # Most batches succeed whole: run them without savepoints (two statements fewer a job).
        # When a job fails, the transaction is rolled back and the batch run again with a
        # savepoint around each job, so the failure stays the failing job's alone. Jobs only touch
        # the database, so running one twice is safe.
        conn = self._conn
        deadline = batch[0][2] + WRITE_LOCK_WAIT  # the queue is FIFO: the first job is the oldest
        try:
            self._begin(deadline)
        except Exception as exc:
            # Nothing ran, and running the jobs one by one would only wait again.
            self._deliver_all(_failed(batch, exc))
            return
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            guests: list[tuple[_GuestInsert, asyncio.Future[Any]]] = []
            for job, future, _ in batch:
                if isinstance(job, _GuestInsert):
                    guests.append((job, future))  # concurrent requests: any order is theirs
                else:
                    outcomes.append((future, True, job(conn)))
            for start in range(0, len(guests), MAX_GUESTS_PER_STATEMENT):
                chunk = guests[start : start + MAX_GUESTS_PER_STATEMENT]
                done = _insert_guests(conn, [guest for guest, _ in chunk])
                outcomes += [
                    (future, True, ok) for (_, future), ok in zip(chunk, done, strict=True)
                ]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = self._commit_one_by_one(batch, deadline)
        self._deliver_all(outcomes)

    def _commit_one_by_one(
        self, batch: list[Submitted], deadline: float
    ) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        conn = self._conn
        try:
            self._begin(deadline)
            for job, future, _ in batch:
                conn.execute("SAVEPOINT job")
                try:
                    result = job(conn)
                except BaseException as exc:  # handed to the awaiting coroutine
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((future, False, _store_error(exc)))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((future, True, result))
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = _failed(batch, exc)
        return outcomes

    @staticmethod
    def _deliver_all(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, items in by_loop.items():
            # A closed loop raises RuntimeError: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_deliver, items)


def _failed(
    batch: list[Submitted], exc: BaseException
) -> list[tuple[asyncio.Future[Any], bool, Any]]:
    """Every job of ``batch`` failing with ``exc``; a busy database as a :class:`StoreBusy` of
    each job's own (each is raised, and gets its traceback, in its own request)."""
    return [(future, False, _store_error(exc)) for _, future, _ in batch]


def _deliver(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in items:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class SqliteStore:
    """The :class:`~cognitoidentity.server.store.base.Store` on one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._migrate()
        # Reads run on the caller's thread, the event loop's: a short wait (READ_BUSY_TIMEOUT_MS).
        self._reader = _connect(self.path, busy_timeout_ms=READ_BUSY_TIMEOUT_MS)
        self._writer = _GroupCommitWriter(self.path)
        self._pools: dict[tuple[str, str], IdentityPool] = {}
        self._kept: dict[tuple[Any, ...], Any] = {}
        self._kept_version = -1
        self._checked_in: asyncio.AbstractEventLoop | None = None

    def _migrate(self) -> None:
        conn = _connect(self.path)
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

    async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._writer.submit(job)
        return result

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._reader.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise StoreBusy(f"the SQLite database is locked: {exc}") from exc
            raise

    def _end_check(self) -> None:
        self._checked_in = None

    def _kept_reads(self) -> dict[tuple[Any, ...], Any]:
        """The kept reads, after forgetting them if anything was committed since (module doc)."""
        loop = asyncio.get_running_loop()
        # Compared with the loop, not a flag: a loop that stopped before its callback ran must not
        # leave the next loop trusting its check.
        if self._checked_in is not loop:
            version = self._read("PRAGMA data_version")[0][0]
            if version != self._kept_version:
                self._kept.clear()
                self._kept_version = version
            self._checked_in = loop
            loop.call_soon(self._end_check)
        return self._kept

    def read_mark(self) -> int:
        """SQLite's ``data_version`` as of this event-loop turn's check (the module doc): it
        changes when any connection, in any process, commits."""
        self._kept_reads()
        return self._kept_version

    def _read_one(
        self, sql: str, params: tuple[Any, ...], decode: Callable[[Sequence[Any]], R]
    ) -> R | None:
        """``decode`` of the first row (None without one), kept until the next commit."""
        kept_reads = self._kept_reads()
        key = (sql, *params)
        try:
            kept: R | None = kept_reads[key]
            return kept
        except KeyError:
            pass
        # Read after the check: what is kept is never older than the version it is kept under.
        rows = self._read(sql, params)
        value = decode(rows[0]) if rows else None
        if len(kept_reads) >= READ_CACHE_SIZE:
            kept_reads.clear()
        kept_reads[key] = value
        return value

    async def close(self) -> None:
        self._writer.close()
        self._reader.close()

    # -- accounts and access keys -----------------------------------------------------------
    async def create_account(self, account: Account) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (account.account_id, account.name, _ts(account.created_at)),
            )
            return cur.rowcount == 1

        return await self._write(job)

    async def get_account(self, account_id: str) -> Account | None:
        rows = self._read("SELECT * FROM accounts WHERE account_id = ?", (account_id,))
        return Account(rows[0][0], rows[0][1], _dt(rows[0][2])) if rows else None

    async def list_accounts(self) -> list[Account]:
        rows = self._read("SELECT * FROM accounts ORDER BY account_id")
        return [Account(r[0], r[1], _dt(r[2])) for r in rows]

    async def delete_account(self, account_id: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute("DELETE FROM accounts WHERE account_id = ?", (account_id,)).rowcount
                == 1
            )

        return await self._write(job)

    async def create_access_key(self, key: AccessKey) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO access_keys VALUES (?, ?, ?, ?)",
                (key.access_key_id, key.account_id, key.secret_ciphertext, _ts(key.created_at)),
            )

        await self._write(job)

    async def get_access_key(self, access_key_id: str) -> AccessKey | None:
        rows = self._read("SELECT * FROM access_keys WHERE access_key_id = ?", (access_key_id,))
        return (
            AccessKey(rows[0][0], rows[0][1], bytes(rows[0][2]), _dt(rows[0][3])) if rows else None
        )

    async def list_access_keys(self, account_id: str | None = None) -> list[AccessKey]:
        if account_id is None:
            rows = self._read("SELECT * FROM access_keys ORDER BY account_id, created_at")
        else:
            rows = self._read(
                "SELECT * FROM access_keys WHERE account_id = ? ORDER BY created_at", (account_id,)
            )
        return [AccessKey(r[0], r[1], bytes(r[2]), _dt(r[3])) for r in rows]

    async def delete_access_key(self, access_key_id: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM access_keys WHERE access_key_id = ?", (access_key_id,))
            return cur.rowcount == 1

        return await self._write(job)

    # -- identity pools ----------------------------------------------------------------------
    async def create_pool(self, pool: IdentityPool, *, max_pools: int) -> None:
        document = dump_pool_document(pool)

        def job(conn: sqlite3.Connection) -> None:
            (count,) = conn.execute(
                "SELECT count(*) FROM identity_pools WHERE account_id = ?", (pool.account_id,)
            ).fetchone()
            if count >= max_pools:
                raise LimitReached(f"{count} pools")
            conn.execute(
                "INSERT INTO identity_pools (pool_id, account_id, region, document, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (pool.pool_id, pool.account_id, pool.region, document, _ts(pool.created_at)),
            )

        await self._write(job)

    def _pool(self, row: Sequence[Any]) -> IdentityPool:
        # Decoding a pool's JSON document costs more than reading its row; a pool whose document
        # has not changed is the same (immutable) record, so the decoded one is kept.
        key = (row[0], row[3])
        pool = self._pools.get(key)
        if pool is None:
            pool = pool_from_document(row[0], row[1], _dt(row[2]), row[3])
            if len(self._pools) >= POOL_CACHE_SIZE:
                self._pools.clear()
            self._pools[key] = pool
        return pool

    async def get_pool(self, pool_id: str) -> IdentityPool | None:
        return self._read_one(
            "SELECT pool_id, account_id, created_at, document FROM identity_pools WHERE pool_id = ?",
            (pool_id,),
            self._pool,
        )

    async def update_pool(self, pool_id: str, mutate: PoolMutation) -> IdentityPool | None:
        def job(conn: sqlite3.Connection) -> IdentityPool | None:
            row = conn.execute(
                "SELECT pool_id, account_id, created_at, document FROM identity_pools"
                " WHERE pool_id = ?",
                (pool_id,),
            ).fetchone()
            if row is None:
                return None
            new = mutate(self._pool(row))
            conn.execute(
                "UPDATE identity_pools SET document = ? WHERE pool_id = ?",
                (dump_pool_document(new), pool_id),
            )
            return new

        return await self._write(job)

    async def delete_pool(self, pool_id: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM identity_pools WHERE pool_id = ?", (pool_id,))
            return cur.rowcount == 1

        return await self._write(job)

    async def list_pools(
        self, account_id: str, region: str, *, after: int | None, limit: int
    ) -> Page[IdentityPool]:
        rows = self._read(
            "SELECT pool_id, account_id, created_at, document, seq FROM identity_pools"
            " WHERE account_id = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?",
            (account_id, region, after or 0, limit + 1),
        )
        items = [self._pool(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][4] if len(rows) > limit else None)

    # -- identities --------------------------------------------------------------------------
    async def create_identity(self, identity: Identity) -> None:
        params = (
            identity.identity_id,
            identity.pool_id,
            _ts(identity.created_at),
            _ts(identity.last_modified_at),
            int(identity.disabled),
        )

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at,"
                " disabled) VALUES (?, ?, ?, ?, ?)",
                params,
            )

        await self._write(job)

    async def create_guest_identity(self, identity: Identity) -> bool:
        job = _GuestInsert(
            identity.identity_id,
            _ts(identity.created_at),
            _ts(identity.last_modified_at),
            identity.pool_id,
        )
        return await self._write(job)

    @staticmethod
    def _identity(row: Sequence[Any]) -> Identity:
        return Identity(row[0], row[1], _dt(row[2]), _dt(row[3]), bool(row[4]), _providers(row[5]))

    async def get_identity(self, identity_id: str) -> Identity | None:
        return self._read_one(_SQL_GET_IDENTITY, (identity_id,), self._identity)

    async def get_identity_and_pool(self, identity_id: str) -> tuple[Identity, IdentityPool] | None:
        return self._read_one(
            _SQL_GET_IDENTITY_AND_POOL,
            (identity_id,),
            lambda row: (self._identity(row), self._pool(row[6:])),
        )

    async def list_identities(
        self, pool_id: str, *, hide_disabled: bool, after: int | None, limit: int
    ) -> Page[Identity]:
        rows = self._read(_SQL_LIST_IDENTITIES, (pool_id, after or 0, hide_disabled, limit + 1))
        items = [self._identity(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][6] if len(rows) > limit else None)

    async def delete_identities(self, account_id: str, identity_ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(identity_ids))

        def job(conn: sqlite3.Connection) -> list[str]:
            marks = ",".join("?" * len(ids))
            rows = conn.execute(
                f"SELECT i.identity_id, p.account_id FROM identities i"  # noqa: S608 - only marks
                f" JOIN identity_pools p ON p.pool_id = i.pool_id WHERE i.identity_id IN ({marks})",
                ids,
            ).fetchall()
            mine = [r[0] for r in rows if r[1] == account_id]
            foreign = [r[0] for r in rows if r[1] != account_id]
            if mine:
                conn.execute(
                    f"DELETE FROM identities WHERE identity_id IN ({','.join('?' * len(mine))})",  # noqa: S608
                    mine,
                )
            return foreign

        return await self._write(job) if ids else []

    # -- logins --------------------------------------------------------------------------------
    async def link_logins(self, pool_id: str, request: LinkRequest, now: datetime) -> LinkResult:
        # One writer job: the writer thread runs jobs one at a time and each transaction starts
        # with BEGIN IMMEDIATE, so nothing (in this process or another) writes between the
        # snapshot and the plan's writes. A planner error rolls the job's savepoint back.
        def job(conn: sqlite3.Connection) -> LinkResult:
            plan = plan_links(request, _load_snapshot(conn, pool_id, request))
            _apply_plan(conn, pool_id, plan, _ts(now))
            return LinkResult(plan.target, plan.create, plan.merge, plan.logins_after)

        return await self._write(job)

    async def remove_logins(
        self,
        identity_id: str,
        *,
        providers: Sequence[str] = (),
        logins: Sequence[LoginKey] = (),
        now: datetime,
    ) -> int:
        if not providers and not logins:
            return 0

        def job(conn: sqlite3.Connection) -> int:
            removed = 0
            for provider in dict.fromkeys(providers):
                removed += conn.execute(
                    "DELETE FROM logins WHERE identity_id = ? AND provider = ?",
                    (identity_id, provider),
                ).rowcount
            for key in dict.fromkeys(logins):
                removed += conn.execute(
                    "DELETE FROM logins WHERE identity_id = ? AND provider = ? AND user_id = ?",
                    (identity_id, key.provider, key.user_id),
                ).rowcount
            if removed:
                conn.execute(
                    "UPDATE identities SET last_modified_at = ? WHERE identity_id = ?",
                    (_ts(now), identity_id),
                )
            return removed

        return await self._write(job)

    async def list_logins(self, identity_id: str) -> list[Login]:
        rows = self._read(
            f"SELECT {_LOGIN_COLUMNS} FROM logins WHERE identity_id = ? ORDER BY seq",  # noqa: S608
            (identity_id,),
        )
        return [_login(r) for r in rows]

    async def find_login(self, pool_id: str, login: LoginKey) -> str | None:
        return self._read_one(
            "SELECT identity_id FROM logins WHERE pool_id = ? AND provider = ? AND user_id = ?",
            (pool_id, login.provider, login.user_id),
            lambda row: str(row[0]),
        )

    async def list_provider_logins(
        self,
        pool_id: str,
        provider: str,
        *,
        identity_id: str | None,
        after: int | None,
        limit: int,
    ) -> Page[Login]:
        if identity_id is None:
            rows = self._read(
                f"SELECT {_LOGIN_COLUMNS} FROM logins"  # noqa: S608 - constant columns
                " WHERE pool_id = ? AND provider = ? AND seq > ? ORDER BY seq LIMIT ?",
                (pool_id, provider, after or 0, limit + 1),
            )
        else:
            # One identity has few logins; without statistics SQLite would rather walk all of the
            # provider's logins in the pool.
            rows = self._read(
                f"SELECT {_LOGIN_COLUMNS} FROM logins INDEXED BY logins_by_identity"  # noqa: S608
                " WHERE identity_id = ? AND pool_id = ? AND provider = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (identity_id, pool_id, provider, after or 0, limit + 1),
            )
        items = [_login(r) for r in rows[:limit]]
        return Page(items, rows[limit - 1][4] if len(rows) > limit else None)

    # -- OpenID token signing keys -------------------------------------------------------------
    async def create_signing_key(self, key: SigningKeyRecord) -> bool:
        params = _signing_key_params(key)

        def job(conn: sqlite3.Connection) -> bool:
            # The unique partial index admits one current key: a second creator does nothing.
            cur = conn.execute(
                "INSERT INTO signing_keys (kid, private_key_ciphertext, public_jwk, created_at,"
                " retired_at, delete_after) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params,
            )
            return cur.rowcount == 1

        return await self._write(job)

    async def list_signing_keys(self, *, now: datetime | None = None) -> list[SigningKeyRecord]:
        rows = self._read(
            "SELECT kid, private_key_ciphertext, public_jwk, created_at, retired_at, delete_after"
            " FROM signing_keys WHERE ? IS NULL OR delete_after IS NULL OR delete_after > ?"
            " ORDER BY retired_at IS NULL DESC, created_at DESC, kid",
            (None if now is None else _ts(now),) * 2,
        )
        return [
            SigningKeyRecord(
                r[0],
                bytes(r[1]),
                orjson.loads(r[2]),
                _dt(r[3]),
                None if r[4] is None else _dt(r[4]),
                None if r[5] is None else _dt(r[5]),
            )
            for r in rows
        ]

    async def rotate_signing_key(
        self, new: SigningKeyRecord, retired_at: datetime, delete_after: datetime
    ) -> None:
        params = _signing_key_params(new)

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE signing_keys SET retired_at = ?, delete_after = ? WHERE retired_at IS NULL",
                (_ts(retired_at), _ts(delete_after)),
            )
            conn.execute(
                "INSERT INTO signing_keys (kid, private_key_ciphertext, public_jwk, created_at,"
                " retired_at, delete_after) VALUES (?, ?, ?, ?, ?, ?)",
                params,
            )

        await self._write(job)

    async def purge_signing_keys(self, now: datetime) -> int:
        def job(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "DELETE FROM signing_keys WHERE delete_after IS NOT NULL AND delete_after <= ?",
                (_ts(now),),
            )
            return cur.rowcount

        return await self._write(job)

    # -- IAM identity providers ----------------------------------------------------------------
    async def create_oidc_provider(self, provider: IamOidcProvider) -> bool:
        params = (
            provider.arn,
            provider.account_id,
            provider.url,
            dump_json_list(provider.client_ids),
            dump_json_list(provider.thumbprints),
            dump_tags(provider.tags),
            _ts(provider.created_at),
        )

        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "INSERT INTO iam_oidc_providers (arn, account_id, url, client_ids, thumbprints,"
                " tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params,
            )
            return cur.rowcount == 1

        return await self._write(job)

    async def get_oidc_provider(self, account_id: str, arn: str) -> IamOidcProvider | None:
        return self._read_one(
            _SQL_GET_OIDC_PROVIDER,
            (arn, account_id),
            _oidc_provider,
        )

    async def list_oidc_providers(self, account_id: str) -> list[IamOidcProvider]:
        rows = self._read(
            f"SELECT {_OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
            " WHERE account_id = ? ORDER BY arn",
            (account_id,),
        )
        return [_oidc_provider(r) for r in rows]

    async def update_oidc_provider(
        self, account_id: str, arn: str, mutate: OidcProviderMutation
    ) -> IamOidcProvider | None:
        def job(conn: sqlite3.Connection) -> IamOidcProvider | None:
            row = conn.execute(
                f"SELECT {_OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
                " WHERE arn = ? AND account_id = ?",
                (arn, account_id),
            ).fetchone()
            if row is None:
                return None
            new = mutate(_oidc_provider(row))
            conn.execute(
                "UPDATE iam_oidc_providers SET client_ids = ?, thumbprints = ?, tags = ?"
                " WHERE arn = ?",
                (
                    dump_json_list(new.client_ids),
                    dump_json_list(new.thumbprints),
                    dump_tags(new.tags),
                    arn,
                ),
            )
            return new

        return await self._write(job)

    async def delete_oidc_provider(self, account_id: str, arn: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM iam_oidc_providers WHERE arn = ? AND account_id = ?",
                (arn, account_id),
            )
            return cur.rowcount == 1

        return await self._write(job)

    async def create_saml_provider(self, provider: IamSamlProvider) -> bool:
        params = (
            provider.arn,
            provider.account_id,
            provider.name,
            provider.metadata_document,
            dump_tags(provider.tags),
            _ts(provider.created_at),
            None if provider.valid_until is None else _ts(provider.valid_until),
        )

        def job(conn: sqlite3.Connection) -> bool:
            # ON CONFLICT without a target: the ARN and the case-blind name index both count.
            cur = conn.execute(
                "INSERT INTO iam_saml_providers (arn, account_id, name, metadata_document, tags,"
                " created_at, valid_until) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params,
            )
            return cur.rowcount == 1

        return await self._write(job)

    async def get_saml_provider(self, account_id: str, arn: str) -> IamSamlProvider | None:
        return self._read_one(
            _SQL_GET_SAML_PROVIDER,
            (arn, account_id),
            _saml_provider,
        )

    async def list_saml_providers(self, account_id: str) -> list[IamSamlProvider]:
        rows = self._read(
            f"SELECT {_SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
            " WHERE account_id = ? ORDER BY arn",
            (account_id,),
        )
        return [_saml_provider(r) for r in rows]

    async def update_saml_provider(
        self, account_id: str, arn: str, mutate: SamlProviderMutation
    ) -> IamSamlProvider | None:
        def job(conn: sqlite3.Connection) -> IamSamlProvider | None:
            row = conn.execute(
                f"SELECT {_SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
                " WHERE arn = ? AND account_id = ?",
                (arn, account_id),
            ).fetchone()
            if row is None:
                return None
            new = mutate(_saml_provider(row))
            conn.execute(
                "UPDATE iam_saml_providers SET metadata_document = ?, tags = ?, valid_until = ?"
                " WHERE arn = ?",
                (
                    new.metadata_document,
                    dump_tags(new.tags),
                    None if new.valid_until is None else _ts(new.valid_until),
                    arn,
                ),
            )
            return new

        return await self._write(job)

    async def delete_saml_provider(self, account_id: str, arn: str) -> bool:
        def job(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "DELETE FROM iam_saml_providers WHERE arn = ? AND account_id = ?",
                (arn, account_id),
            )
            return cur.rowcount == 1

        return await self._write(job)


_OIDC_COLUMNS = "arn, account_id, url, created_at, client_ids, thumbprints, tags"
_SAML_COLUMNS = "arn, account_id, name, metadata_document, created_at, valid_until, tags"
_SQL_GET_OIDC_PROVIDER = (
    f"SELECT {_OIDC_COLUMNS} FROM iam_oidc_providers"  # noqa: S608 - constant columns
    " WHERE arn = ? AND account_id = ?"
)
_SQL_GET_SAML_PROVIDER = (
    f"SELECT {_SAML_COLUMNS} FROM iam_saml_providers"  # noqa: S608 - constant columns
    " WHERE arn = ? AND account_id = ?"
)


def _oidc_provider(row: Sequence[Any]) -> IamOidcProvider:
    return IamOidcProvider(
        row[0],
        row[1],
        row[2],
        _dt(row[3]),
        load_json_list(row[4]),
        load_json_list(row[5]),
        load_tags(row[6]),
    )


def _saml_provider(row: Sequence[Any]) -> IamSamlProvider:
    return IamSamlProvider(
        row[0],
        row[1],
        row[2],
        row[3],
        _dt(row[4]),
        None if row[5] is None else _dt(row[5]),
        load_tags(row[6]),
    )


def _identity_state(
    conn: sqlite3.Connection, pool_id: str, identity_id: str
) -> IdentityState | None:
    """The identity with all its logins, or None when it does not exist in ``pool_id``."""
    row = conn.execute(
        "SELECT created_at, disabled FROM identities WHERE identity_id = ? AND pool_id = ?",
        (identity_id, pool_id),
    ).fetchone()
    if row is None:
        return None
    logins = conn.execute(
        "SELECT provider, user_id FROM logins WHERE identity_id = ? ORDER BY seq", (identity_id,)
    ).fetchall()
    return IdentityState(
        identity_id, _dt(row[0]), bool(row[1]), tuple(LoginKey(p, u) for p, u in logins)
    )


def _load_snapshot(conn: sqlite3.Connection, pool_id: str, request: LinkRequest) -> Snapshot:
    states: dict[str, IdentityState | None] = {}

    def state(identity_id: str) -> IdentityState | None:
        if identity_id not in states:
            states[identity_id] = _identity_state(conn, pool_id, identity_id)
        return states[identity_id]

    owners: dict[LoginKey, IdentityState] = {}
    for key in dict.fromkeys(request.logins):
        row = conn.execute(
            "SELECT identity_id FROM logins WHERE pool_id = ? AND provider = ? AND user_id = ?",
            (pool_id, key.provider, key.user_id),
        ).fetchone()
        owner = None if row is None else state(row[0])
        if owner is not None:
            owners[key] = owner
    named = None if request.identity_id is None else state(request.identity_id)
    return Snapshot(owners, named)


def _apply_plan(conn: sqlite3.Connection, pool_id: str, plan: LinkPlan, now: float) -> None:
    target = plan.target
    if plan.create:
        conn.execute(
            "INSERT INTO identities (identity_id, pool_id, created_at, last_modified_at, disabled)"
            " VALUES (?, ?, ?, ?, 0)",
            (target, pool_id, now, now),
        )
    for merged in plan.merge:
        conn.execute("UPDATE logins SET identity_id = ? WHERE identity_id = ?", (target, merged))
        conn.execute(
            "UPDATE identities SET disabled = 1, last_modified_at = ? WHERE identity_id = ?",
            (now, merged),
        )
    conn.executemany(
        "INSERT INTO logins (pool_id, provider, user_id, identity_id, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(pool_id, key.provider, key.user_id, target, now) for key in plan.add],
    )
    if plan.changes and not plan.create:
        conn.execute(
            "UPDATE identities SET last_modified_at = ? WHERE identity_id = ?", (now, target)
        )


def _signing_key_params(key: SigningKeyRecord) -> tuple[Any, ...]:
    return (
        key.kid,
        key.private_key_ciphertext,
        orjson.dumps(key.public_jwk).decode(),
        _ts(key.created_at),
        None if key.retired_at is None else _ts(key.retired_at),
        None if key.delete_after is None else _ts(key.delete_after),
    )
