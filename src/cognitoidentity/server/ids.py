"""Random identifiers on the hot path: UUID version 4 strings without a system call each.

``uuid.uuid4()`` reads 16 bytes from the kernel per call; identity and request ids are made on
every GetId, so bytes are read 4 KiB at a time from the same source (``os.urandom``) instead.
"""

from __future__ import annotations

import os

_CHUNK = 4096


class RandomUuids:
    """A callable returning a fresh random (version 4) UUID string on each call."""

    def __init__(self) -> None:
        self._buffer = b""
        self._position = 0
        self._pid = os.getpid()

    def __call__(self) -> str:
        position = self._position
        if position + 16 > len(self._buffer) or self._pid != os.getpid():
            # A forked child must never hand out its parent's ids: it reads its own bytes.
            self._buffer = os.urandom(_CHUNK)
            self._pid = os.getpid()
            position = 0
        raw = bytearray(self._buffer[position : position + 16])
        self._position = position + 16
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
