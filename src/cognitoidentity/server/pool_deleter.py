"""The pool deleter: a task of each server process that deletes the identities of deleted pools, a
bounded batch per write transaction, in the background.

``DeleteIdentityPool`` only marks the pool (``Store.delete_pool``), so it answers at once and the
pool is gone for every operation from then on; this task then runs
``Store.purge_deleted_pool`` until each marked pool is gone (:mod:`.store.purge`). Between two
batches the writes of other requests go in, and the deleter pauses for half a batch's time
(``PAUSE_RATIO``) so that they keep a good share of the write lock: a GetId waits for one batch at
most, never for the whole delete. The marks are in the store, so a delete cut short by a stop or a crash resumes when a
server starts again; and several deleters (``serve --workers``, servers sharing a PostgreSQL
database) may work on the same pool, each batch deleting what is left (see the stores'
``deletion`` modules).

The deleter works when woken (the process's own ``DeleteIdentityPool``), at start, and every
``poll_seconds`` (deletes made through another process, or left by one that stopped). After large
deletes it asks the store to give the disk back (``Store.compact``: SQLite's write-ahead log).

Batches are sized to take about ``BATCH_SECONDS`` each, between ``MIN_BATCH`` and ``MAX_BATCH``
identities: the size follows how long the last batch took, so a slower disk or a busier store gets
smaller batches and the wait of other writes stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final, Protocol

from cognitoidentity.server.store.base import StoreBusy
from cognitoidentity.server.store.purge import MAX_BATCH, MIN_BATCH, PURGE_BATCH

log = logging.getLogger("cognitoidentity")

POLL_SECONDS: Final = 30.0
"""How often an idle deleter looks for pools deleted through other processes."""
RETRY_SECONDS: Final = 1.0
"""The pause after a failed batch (a busy store, a lost connection) before trying again."""
BATCH_SECONDS: Final = 0.05
"""The time a batch should take: what another write waits for at most, beyond its own commit."""
PAUSE_RATIO: Final = 0.5
"""After each batch the deleter waits this fraction of the batch's time before the next one, so
that on SQLite, where a batch holds the only write lock, other writes get at least a third of it
(a GetId load kept a quarter of its rate during a million-identity delete without the pause)."""
COMPACT_AFTER: Final = 10_000
"""Identities deleted since the last ``compact`` that make the next idle moment run one."""
STOP_SECONDS: Final = 5.0
"""How long stopping waits for the batch in flight before cancelling it (it rolls back)."""


class DeletingStore(Protocol):
    """What the deleter needs of a :class:`~cognitoidentity.server.store.base.Store`."""

    async def deleted_pools(self) -> list[int]: ...

    async def purge_deleted_pool(self, key: int, *, limit: int) -> int: ...

    async def compact(self) -> None: ...


class PoolDeleter:
    """Deletes the identities of deleted pools in the background: :meth:`start` it on a running
    event loop, :meth:`wake` it after marking a pool, :meth:`aclose` it before closing the store."""

    def __init__(
        self,
        store: DeletingStore,
        *,
        batch: int = PURGE_BATCH,
        poll_seconds: float = POLL_SECONDS,
        batch_seconds: float = BATCH_SECONDS,
        min_batch: int = MIN_BATCH,
        max_batch: int = MAX_BATCH,
        pause_ratio: float = PAUSE_RATIO,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._store = store
        self._min, self._max = min_batch, max_batch
        self._batch = min(max(batch, min_batch), max_batch)
        self._poll = poll_seconds
        self._target = batch_seconds
        self._pause_ratio = pause_ratio
        self._retry = retry_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._since_compact = 0
        self.deleted = 0
        """Identities this deleter deleted, in all."""

    @property
    def batch(self) -> int:
        """The size of the next batch."""
        return self._batch

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pool-deleter")

    def wake(self) -> None:
        """Look for deleted pools now rather than at the next poll."""
        self._wake.set()

    async def aclose(self) -> None:
        """Stop after the batch in flight (at most :data:`STOP_SECONDS`); what is left is
        resumed by the next start."""
        self._stopping = True
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> int:
        """Delete every deleted pool to the end (unless stopped); how many identities went."""
        total = 0
        for key in await self._store.deleted_pools():
            started = time.monotonic()
            deleted = 0
            while not self._stopping:
                limit = self._batch
                began = time.monotonic()
                count = await self._store.purge_deleted_pool(key, limit=limit)
                took = time.monotonic() - began
                self._resize(took)
                deleted += count
                if count == limit:
                    await asyncio.sleep(took * self._pause_ratio)
                else:
                    log.info(
                        "deleted pool #%d: %d identities in %.1fs",
                        key,
                        deleted,
                        time.monotonic() - started,
                    )
                    break
            total += deleted
            self.deleted += deleted
            self._since_compact += deleted
            if self._stopping:
                break
        return total

    def _resize(self, took: float) -> None:
        """The next batch's size, aiming at :data:`BATCH_SECONDS` (at most doubling or halving)."""
        if took <= 0:
            wanted = self._batch * 2
        else:
            wanted = int(self._batch * min(2.0, max(0.5, self._target / took)))
        self._batch = min(max(wanted, self._min), self._max)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_once()
                if self._since_compact >= COMPACT_AFTER and not self._stopping:
                    self._since_compact = 0
                    await self._store.compact()
            except StoreBusy as exc:
                log.warning("deleting pools: %s; trying again in %gs", exc, self._retry)
                await self._pause(self._retry)
                continue
            except Exception:
                log.exception("deleting pools failed; trying again in %gs", self._retry)
                await self._pause(self._retry)
                continue
            await self._pause(self._poll)

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or until woken or stopped."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
