"""Work gathered during one turn of the event loop and done together when the turn ends.

The decision endpoint's evaluations (``decisions.EvaluationTurn``) and the SQLite writer's
writes (``store/sqlite/writer.py``) are gathered this way: run back to back, evaluations keep the
policy engine in the processor's caches; handed over together, a turn's writes share one commit.
Nothing waits longer than the end of the turn that produced it. (The HTTP layer's
``http1/outbox.py`` does the same for answers, on its one loop.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TurnBatches(Generic[T]):
    """Items added during a turn of an event loop, handed to ``done`` as one list when that turn
    ends; each loop has its own batch (its callback runs on it)."""

    __slots__ = ("_done", "_open")

    def __init__(self, done: Callable[[list[T]], object]) -> None:
        self._done = done
        self._open: dict[asyncio.AbstractEventLoop, list[T]] = {}

    def add(self, item: T) -> None:
        """Add ``item`` to the running loop's batch of this turn."""
        loop = asyncio.get_running_loop()
        batch = self._open.get(loop)
        if batch is None:
            batch = self._open[loop] = []
            loop.call_soon(self._end, loop)
        batch.append(item)

    def end_all(self) -> None:
        """Hand over every batch now, without waiting for the ends of their turns."""
        for loop in list(self._open):
            self._end(loop)

    def _end(self, loop: asyncio.AbstractEventLoop) -> None:
        batch = self._open.pop(loop, None)
        if batch:
            self._done(batch)
