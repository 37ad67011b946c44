"""Pools deleted in the background, the part both stores share: the batch loop that removes a
deleted pool's identities to the end, and what creating a pool over one still being deleted does.

``Store.delete_pool`` marks the pool (migration 0007), and deletes a first batch of its identities
in the same transaction (:data:`FIRST_BATCH`): from that commit on no read finds the pool nor its
identities, and the mark survives a restart. The rest go a batch per write transaction (``Store.purge_deleted_pool``), so a write of any other request waits for one batch at
most, and the pool's row goes with the last batch. The deleter of each server process
(``server/pool_deleter.py``) runs the batches; :func:`purge_pool` runs them to the end for a caller
that must wait (deleting an account, creating a pool again with the same id).

A deleted pool is named by its row's ``seq``, never by its pool id: the id may be taken again as
soon as the row is gone, and a batch keyed by the old row can then find nothing (rather than the
new pool's identities).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, Protocol, TypeVar

from cognitoidentity.server.store.base import StoreError

T = TypeVar("T")

PURGE_BATCH: Final = 2000
"""Identities (with their logins) deleted by one write transaction. On SQLite the write lock is
held for the batch, and the writes of other requests wait for it: about 20-60 ms on this kind of
machine (each identity's random id touches its own page of the unique index; see bench/README.md,
"Scale"), against over 20 s for a million identities in one transaction."""
MIN_BATCH: Final = 1000
MAX_BATCH: Final = 5000
FIRST_BATCH: Final = MIN_BATCH
"""Identities ``delete_pool`` deletes itself, in the transaction that marks the pool: a pool of
that many or fewer (most pools) is gone from the database with the answer, and no deleter is
needed for it; a larger one is left to the deleter."""
CREATE_ATTEMPTS: Final = 5
"""Tries of a create that found its pool id still held by a pool being deleted (each try first
deletes that pool to the end; more than one only when the id is deleted again meanwhile)."""


class PoolStillDeleting(StoreError):
    """The pool id is held by a pool deleted but whose identities are not all gone yet."""

    def __init__(self, key: int) -> None:
        super().__init__(f"the pool id is held by deleted pool #{key}, not yet purged")
        self.key = key


class Purger(Protocol):
    async def purge_deleted_pool(self, key: int, *, limit: int) -> int: ...


async def purge_pool(store: Purger, key: int, *, batch: int = PURGE_BATCH) -> int:
    """Delete the deleted pool ``key`` to the end, a batch per transaction; return how many
    identities went (0 when it was gone already)."""
    total = 0
    while True:
        deleted = await store.purge_deleted_pool(key, limit=batch)
        total += deleted
        if deleted < batch:  # the last batch deleted the pool's row too
            return total


async def create_when_free(store: Purger, create: Callable[[], Awaitable[T]]) -> T:
    """``create()``; when it finds its pool id held by a pool being deleted, delete that pool to
    the end first, then try again.

    **Choice**: a pool created with the id of a pool whose deletion has not finished (only a
    configuration file's fixed ids can do that) waits for it, rather than failing or sharing the
    row: the old identities are all gone before the new pool exists, so it never sees them. The
    wait is the deletion's own, in batches (other writes go on meanwhile)."""
    attempt = 1
    while True:
        try:
            return await create()
        except PoolStillDeleting as exc:
            if attempt >= CREATE_ATTEMPTS:
                raise
            await purge_pool(store, exc.key)
        attempt += 1
