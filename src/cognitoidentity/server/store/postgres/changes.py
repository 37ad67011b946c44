"""What any process committed since this one last looked: the store's change counter (migration
0008: a statement writing any of the store's tables, but for a new identity, bumps it in its own
transaction), checked at most once per event-loop turn.

The guarantee: a read that :meth:`ChangeWatch.check` precedes never misses a write acknowledged,
by any process, before the request making the read arrived. A check is *sent* only after every
caller it answers had called :meth:`~ChangeWatch.check`: the callers of one event-loop turn share
the check that the first of them scheduled, which starts in the next turn; a caller arriving once
that check has started (its query may already have been answered) schedules another. So the
check's snapshot is later than any commit acknowledged before the callers' requests arrived, and
the reads kept since an equal count (:mod:`..kept`) are at least that recent: counters only grow,
so an equal sum means nothing was written in between.

One check runs at a time: the callers arriving while it is in flight share the next one, which
starts when it ends. Under load a check therefore costs one round trip for all the requests that
arrived during the previous one, and the count seen never goes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cognitoidentity.server.store.postgres.connection import Pool, connection

VERSION = "SELECT sum(changes)::bigint FROM store_changes"
"""The change count: the sum of the per-backend counters (see the migration)."""


class ChangeWatch:
    """The store's change count as last checked, and the checks that share an event-loop turn.
    ``on_change`` is called (on the event loop) whenever a check finds a count other than the last
    one applied."""

    def __init__(self, pool: Pool, on_change: Callable[[], None]) -> None:
        self._pool = pool
        self._on_change = on_change
        self._next: asyncio.Future[int] | None = None
        """The check scheduled this turn, not started yet: later callers of the turn join it."""
        self._running: set[asyncio.Task[None]] = set()
        # One check at a time: callers arriving meanwhile share the next one, so under load a
        # check costs one round trip for every request that arrived during the previous one.
        self._one_at_a_time = asyncio.Lock()
        self.count: int | None = None

    async def check(self) -> int:
        """The change count as of a check started after this call (see the module doc)."""
        future = self._next
        if future is None:
            loop = asyncio.get_running_loop()
            future = self._next = loop.create_future()
            task = loop.create_task(self._run(future))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        # Shielded: a caller cancelled (its client went away) must not cancel the others' check.
        return await asyncio.shield(future)

    async def _run(self, future: asyncio.Future[int]) -> None:
        try:
            async with self._one_at_a_time:
                # From here on the query may be answered at any time: later callers need a check
                # of their own, which waits for this one.
                self._next = None
                async with connection(self._pool) as conn:
                    cur = await conn.execute(VERSION)
                    row = await cur.fetchone()
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved here: callers may all be gone
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        count = int(row[0]) if row is not None and row[0] is not None else 0
        if count != self.count:
            self.count = count
            self._on_change()
        if not future.done():
            future.set_result(count)

    async def close(self) -> None:
        """Wait for the checks in flight (the pool is about to close)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
