"""Random bytes and identifiers on the hot path, without a system call each.

``os.urandom`` is a system call; identity ids, request ids, temporary credentials and the nonces
that seal session tokens take random bytes on every request, so they are read 4 KiB at a time from
that same source and handed out once each.
"""

from __future__ import annotations

import os
import threading
import weakref

_CHUNK = 4096


class RandomBytes:
    """A callable returning ``n`` fresh bytes of ``os.urandom`` on each call; no byte is handed out
    twice, whichever threads call it, and a forked child reads its own.

    The bytes seal session tokens as AES-GCM nonces, where one byte string handed out twice
    breaks the cipher: the lock makes taking a slice and moving past it one step (the event
    loop calls it, and so may any thread an operation runs work on)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._position = 0
        self._lock = threading.Lock()
        _LIVE.add(self)

    def __call__(self, n: int) -> bytes:
        with self._lock:
            position = self._position
            end = position + n
            if end > len(self._buffer):
                self._buffer = os.urandom(max(_CHUNK, n))
                position, end = 0, n
            self._position = end
            return self._buffer[position:end]

    def forget(self) -> None:
        """Drop the buffered bytes: the next call reads new ones."""
        self._buffer = b""
        self._position = 0
        self._lock = threading.Lock()  # a lock held at the fork stays held in the child


# A forked child must never hand out its parent's bytes: every buffer is dropped in the child, at
# the fork (checking the process id at each call instead costs a system call each time).
_LIVE: weakref.WeakSet[RandomBytes] = weakref.WeakSet()


def _forget_after_fork() -> None:
    for random in list(_LIVE):
        random.forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


class RandomUuids:
    """A callable returning a fresh random (version 4) UUID string on each call."""

    def __init__(self, random_bytes: RandomBytes | None = None) -> None:
        self._random = random_bytes or RandomBytes()

    def __call__(self) -> str:
        raw = bytearray(self._random(16))
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
