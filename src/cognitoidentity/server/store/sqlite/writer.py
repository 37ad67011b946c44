"""The group-commit writer: one thread with one connection runs every write of the store.

The writes a turn of the event loop submits are handed to the writer together when the turn
ends, and every write that arrives while a commit is in flight joins the next transaction, so one
fsync covers many requests. (Handed over one by one, the first write of a turn woke the writer,
which began its group with the few writes already queued and committed them while the turn went
on: a turn's writes took two fsyncs or more; bench/README.md, issue 12.) A write that fails rolls
back alone (the group is run again, each write in its own savepoint). The guest identities of a
group (GetId's common call) go in with one multi-row statement: ``sqlite3`` hands the GIL to the
event loop at every statement, and winning it back, once per insert, cost more than the inserts
themselves. Each transaction starts with ``BEGIN IMMEDIATE``, so several server processes may
write to the same file; a group waits for another's write lock until ``WRITE_LOCK_WAIT`` after
its oldest write was submitted, then fails as :class:`~cognitoidentity.server.store.base.StoreBusy`.
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
from typing import TYPE_CHECKING, Any

from cognitoidentity.server.store.base import StoreBusy
from cognitoidentity.server.store.sqlite.connection import (
    WRITE_LOCK_WAIT,
    connect,
    is_busy,
    store_error,
)
from cognitoidentity.server.turns import TurnBatches

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

MAX_GROUP = 512
"""Most writes committed by one transaction; bounds the latency a single fsync can add."""
MAX_GUESTS_PER_STATEMENT = 200
"""Guest identities inserted by one statement (4 parameters each, far below SQLite's limit)."""

Job = Callable[[sqlite3.Connection], Any]
Submitted = tuple[Job, asyncio.Future[Any], float]
"""A job, the future of its outcome, and when it was submitted (``time.monotonic()``)."""
Outcome = tuple[asyncio.Future[Any], bool, Any]
"""A job's future, whether the job succeeded, and its result or exception."""


@dataclass(slots=True)  # not frozen: one per GetId, and a frozen __init__ costs twice as much
class GuestInsert:
    """A guest identity for a pool that must exist and allow them: a job that the writer may join
    with the group's other guest inserts (:func:`insert_guests`)."""

    identity_id: str
    created_at: float
    last_modified_at: float
    pool_id: str

    def __call__(self, conn: sqlite3.Connection) -> bool:
        return insert_guests(conn, [self])[0]


def insert_guests(conn: sqlite3.Connection, guests: Sequence[GuestInsert]) -> list[bool]:
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
        " WHERE json_extract(p.document, '$.allow_unauthenticated') = 1 AND p.deleted_at IS NULL"
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


class GroupCommitWriter:
    """One thread, one connection: runs submitted jobs in shared transactions."""

    def __init__(self, path: str, *, metrics: Metrics | None = None) -> None:
        # No busy timeout: ``_begin`` waits for the lock itself, until a deadline set by the batch.
        self._conn = connect(path, busy_timeout_ms=0)
        self._jobs: queue.SimpleQueue[list[Submitted] | None] = queue.SimpleQueue()
        # What a turn of the event loop submits goes to the queue as one list when it ends.
        self._turns: TurnBatches[Submitted] = TurnBatches(self._jobs.put)
        self._metrics = metrics
        self._thread = threading.Thread(target=self._run, name="sqlite-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> asyncio.Future[Any]:
        """``job``'s outcome, once the writer has committed it (at the end of this turn of the
        event loop, at the earliest)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._turns.add((job, future, time.monotonic()))
        return future

    def close(self) -> None:
        self._turns.end_all()  # submitted in a turn not ended: still committed
        self._jobs.put(None)
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        waiting: list[Submitted] = []
        stop = False
        while not stop or waiting:
            if not waiting:
                first = self._jobs.get()
                if first is None:
                    return
                waiting = first
            # The turns handed over meanwhile join, a turn's writes staying together; a group
            # commits at most MAX_GROUP writes, the rest go in the next.
            while len(waiting) < MAX_GROUP and not stop:
                try:
                    turn = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if turn is None:
                    stop = True
                else:
                    waiting += turn
            batch, waiting = waiting[:MAX_GROUP], waiting[MAX_GROUP:]
            started = time.perf_counter()
            self._commit(batch)
            if self._metrics is not None:
                self._metrics.store_commit(time.perf_counter() - started, len(batch))

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
                if not is_busy(exc):
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
        outcomes: list[Outcome] = []
        try:
            guests: list[tuple[GuestInsert, asyncio.Future[Any]]] = []
            for job, future, _ in batch:
                if isinstance(job, GuestInsert):
                    guests.append((job, future))  # concurrent requests: any order is theirs
                else:
                    outcomes.append((future, True, job(conn)))
            for start in range(0, len(guests), MAX_GUESTS_PER_STATEMENT):
                chunk = guests[start : start + MAX_GUESTS_PER_STATEMENT]
                done = insert_guests(conn, [guest for guest, _ in chunk])
                outcomes += [
                    (future, True, ok) for (_, future), ok in zip(chunk, done, strict=True)
                ]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = self._commit_one_by_one(batch, deadline)
        self._deliver_all(outcomes)

    def _commit_one_by_one(self, batch: list[Submitted], deadline: float) -> list[Outcome]:
        outcomes: list[Outcome] = []
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
                    outcomes.append((future, False, store_error(exc)))
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
    def _deliver_all(outcomes: list[Outcome]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].get_loop(), []).append(outcome)
        for loop, items in by_loop.items():
            # A closed loop raises RuntimeError: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_deliver, items)


def _failed(batch: list[Submitted], exc: BaseException) -> list[Outcome]:
    """Every job of ``batch`` failing with ``exc``; a busy database as a :class:`StoreBusy` of
    each job's own (each is raised, and gets its traceback, in its own request)."""
    return [(future, False, store_error(exc)) for _, future, _ in batch]


def _deliver(items: list[Outcome]) -> None:
    for future, ok, value in items:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
