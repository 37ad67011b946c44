"""The one kind of cache the server keeps: :class:`Cache`, a bounded map that may forget anything.

Every per-process cache of data that can change is a :class:`Cache`, named for what it holds and
constructed with its one invalidation rule, stated in words (``rule``) and carried out either by the
cache itself (``ttl``) or by its owner (who clears it, or keys and checks its entries so that a
stale one is never used): the README's table lists them all. A cache is only ever an optimisation.
With the ``caches`` setting off (``enabled=False``) every cache misses and keeps nothing, and every
answer must be the same, only slower; the API suite runs once that way to show it.

A cache is used from one thread (its owner's event loop): nothing here locks.

Every cache counts its hits and misses for ``/metrics`` (:mod:`.metrics` takes the counts of
:func:`live_caches`). Those are found through a process-wide weak set rather than passed to the
metrics, because caches are made deep inside their owners, which know nothing of metrics; two
servers in one process (tests) therefore report each other's caches too.
"""

from __future__ import annotations

import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, overload

__all__ = ["Cache", "live_caches", "parse_caches"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
D = TypeVar("D")


class Cache(Generic[K, V]):
    """At most ``max_entries`` values by key; when full, the entry stored first is forgotten to
    make room (storing a kept key again counts as storing it anew).

    ``ttl``: an entry is forgotten ``ttl`` seconds of ``clock`` after it was stored (None: only
    its owner's rule forgets it). ``enabled`` False: :meth:`put` keeps nothing, so :meth:`get`
    always misses."""

    __slots__ = (
        "__weakref__",
        "_clock",
        "_entries",
        "_hits",
        "_misses",
        "_stored_at",
        "enabled",
        "max_entries",
        "name",
        "rule",
        "ttl",
    )

    def __init__(
        self,
        name: str,
        *,
        rule: str,
        max_entries: int,
        ttl: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"cache {name!r}: max_entries must be at least 1, not {max_entries}")
        self.name = name
        self.rule = rule
        self.max_entries = max_entries
        self.ttl = ttl
        self.enabled = enabled
        self._clock = clock
        # Ordered for the eviction: a plain dict's oldest key is found by scanning past the slots
        # of those already evicted, which grows with the cache (bench/README, issue 12).
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._stored_at: dict[K, float] = {}
        """Only with a ``ttl``."""
        self._hits = 0
        self._misses = 0
        _LIVE.add(self)

    def __repr__(self) -> str:
        state = f"{len(self._entries)}/{self.max_entries}" if self.enabled else "off"
        return f"<Cache {self.name!r} {state}: {self.rule}>"

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: object = None) -> object:
        """The value kept for ``key``, else ``default``."""
        ttl = self.ttl
        if ttl is None:
            value = self._entries.get(key, _ABSENT)
            # A hit of a cache without a time to live (most lookups) returns at once.
            if value is not _ABSENT:
                self._hits += 1
                return value
        else:
            # Inline, not a method: a lookup is on most requests' path, and a call costs more
            # than the check.
            stored_at = self._stored_at.get(key)
            if stored_at is None:
                value = _ABSENT
            elif self._clock() - stored_at >= ttl:
                self.discard(key)
                value = _ABSENT
            else:
                value = self._entries[key]
        if value is _ABSENT:
            self._misses += 1
            return default
        self._hits += 1
        return value

    def take_counts(self) -> tuple[int, int]:
        """Hits and misses of :meth:`get` since the last call (:mod:`.metrics` takes them)."""
        counts = (self._hits, self._misses)
        self._hits = self._misses = 0
        return counts

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key`` (nothing when the cache is off)."""
        if not self.enabled:
            return
        entries = self._entries
        if key in entries:
            self.discard(key)  # stored anew: it goes to the end of the line
        elif len(entries) >= self.max_entries:
            oldest, _ = entries.popitem(last=False)
            if self.ttl is not None:
                del self._stored_at[oldest]
        entries[key] = value
        if self.ttl is not None:
            self._stored_at[key] = self._clock()

    def discard(self, key: K) -> None:
        """Forget ``key``, if kept."""
        if self._entries.pop(key, _ABSENT) is not _ABSENT and self.ttl is not None:
            del self._stored_at[key]

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()
        self._stored_at.clear()


_ABSENT = object()
_LIVE: weakref.WeakSet[Cache[Any, Any]] = weakref.WeakSet()


def live_caches() -> list[Cache[Any, Any]]:
    """Every cache of this process that is still referenced (see the module doc)."""
    return list(_LIVE)


def parse_caches(text: str) -> bool:
    """The ``caches`` setting: ``on`` (the default) or ``off``."""
    value = text.strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"expected on or off, not {text!r}")
    return value == "on"
