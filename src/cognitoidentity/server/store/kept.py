"""What a store keeps in each process between requests, the same way for both dialects: point reads
until the store's version changes (:class:`KeptReads`), and pools decoded from their stored
document (:class:`DecodedPools`). Each is a :class:`~cognitoidentity.server.cache.Cache` with its
rule; with the ``caches`` setting off they keep nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Final

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.store import base, codec

READ_CACHE_SIZE: Final = 4096
"""Point reads kept between two changes; beyond it the oldest go first."""
POOL_CACHE_SIZE: Final = 1024
"""Decoded pools kept per store; beyond it the oldest go first."""
MISSING: Final[Any] = object()
"""What :meth:`KeptReads.get` answers for a read not kept."""


class KeptReads:
    """Decoded point reads by statement and parameters, all forgotten at once by :meth:`forget`
    (the owner calls it when the store's version changes).

    A read that was on its way while they were forgotten may be older than the change: :meth:`put`
    keeps it only if nothing was forgotten since the :attr:`generation` its reader noted before
    reading."""

    __slots__ = ("_cache", "generation")

    def __init__(self, *, rule: str, enabled: bool, max_entries: int = READ_CACHE_SIZE) -> None:
        self._cache: Cache[Hashable, Any] = Cache(
            "kept reads", rule=rule, max_entries=max_entries, enabled=enabled
        )
        self.generation = 0

    @property
    def enabled(self) -> bool:
        return self._cache.enabled

    def forget(self) -> None:
        self._cache.clear()
        self.generation += 1

    def get(self, key: Hashable) -> Any:
        """The value kept for ``key``, else :data:`MISSING`."""
        return self._cache.get(key, MISSING)

    def put(self, key: Hashable, value: Any, generation: int) -> None:
        """Keep ``value``, read after :attr:`generation` was ``generation``, unless the reads were
        forgotten since."""
        if generation == self.generation:
            self._cache.put(key, value)


class DecodedPools:
    """Pools decoded from a row of :data:`~.codec.POOL_COLUMNS` whose document is JSON text: a pool
    whose document has not changed is the same (immutable) record, so the decoded one is kept, and
    decoding the JSON costs more than reading the row."""

    __slots__ = ("_cache",)

    def __init__(self, *, enabled: bool, max_entries: int = POOL_CACHE_SIZE) -> None:
        self._cache: Cache[tuple[str, str], base.IdentityPool] = Cache(
            "decoded pools",
            rule="never stale: keyed by the pool id and its stored document",
            max_entries=max_entries,
            enabled=enabled,
        )

    def decode(self, row: Sequence[Any]) -> base.IdentityPool:
        key = (row[0], row[3])
        pool = self._cache.get(key)
        if pool is None:
            pool = codec.pool_from_row(row)
            self._cache.put(key, pool)
        return pool
