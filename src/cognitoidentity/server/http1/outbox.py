"""The answers of all of a server's connections, written together once per turn of the event
loop: one write per answer, in order, and each close in its place after them."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

log = logging.getLogger("cognitoidentity.http")


class Outbox:
    """What the server's connections write during one turn of the event loop, written when the turn
    ends, in order, one write per answer (and closes in their place after them).

    Why not write at once: every answer written at once wakes the client's thread; written
    together, the answers of one turn usually cost one wake-up, so that on the bench machine the
    same load went from ~4,750 to ~5,600 GetCredentialsForIdentity answers a second (alternating
    runs, medians), and latency fell with it. An answer waits for nothing but the end of the turn
    that produced it.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[tuple[asyncio.Transport, bytes | None]] = []

    def put(
        self, loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, data: bytes | None
    ) -> None:
        """``data`` to write, or None to close the transport after what it was given before."""
        if not self._items:
            loop.call_soon(self.flush)
        self._items.append((transport, data))

    def flush(self) -> None:
        items, self._items = self._items, []
        for transport, data in items:
            if transport.is_closing():  # the client went away, or a close came first
                continue
            try:
                if data is None:
                    transport.close()
                else:
                    transport.write(data)
            except Exception:  # one broken transport must not hold back the others' answers
                log.exception("writing an answer failed")
                with suppress(Exception):
                    transport.abort()
