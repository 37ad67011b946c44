"""Random bytes and UUIDs handed out from a buffer of ``os.urandom``: never the same bytes twice,
not even across a fork."""

from __future__ import annotations

import os
import sys
import threading
import uuid

import pytest

from cognitoidentity.server.ids import RandomBytes, RandomUuids


def test_random_bytes_are_never_handed_out_twice() -> None:
    random = RandomBytes()
    # More than one 4 KiB buffer, in odd sizes that straddle the refills.
    chunks = [random(n) for n in [12, 10, 30, 16] * 300]
    assert [len(c) for c in chunks] == [12, 10, 30, 16] * 300
    # 96-bit chunks or longer: a repeat would be a reused slice, not chance.
    long_enough = [c for c in chunks if len(c) >= 12]
    assert len(set(long_enough)) == len(long_enough)
    assert len(random(10_000)) == 10_000


def test_uuids_are_version_4_and_distinct() -> None:
    ids = RandomUuids()
    values = [ids() for _ in range(2000)]
    assert len(set(values)) == len(values)
    for value in values[:50]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_reads_its_own_bytes() -> None:
    random = RandomBytes()
    random(1)  # the parent has a buffer
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it would hand out next
        os.write(write, random(32))
        os._exit(0)
    os.close(write)
    child = os.read(read, 64)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 32
    assert child != random(32)


def test_random_bytes_are_never_handed_out_twice_across_threads() -> None:
    """Nonces are taken from any thread: a slice read by two threads before either moved past
    it would seal two tokens under one nonce."""
    random = RandomBytes()
    taken: list[bytes] = []
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        mine = [random(12) for _ in range(5000)]
        taken.extend(mine)

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [threading.Thread(target=take) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert len(taken) == 40_000
    assert len(set(taken)) == len(taken)
