"""RoleDirectory.kept: the authority answered without a coroutine, only under the store's current
version, and never before it was read."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from cognitoidentity.server.role_directory import RoleDirectory
from cognitoidentity.server.store.base import Store

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Absent"


class FakeStore:
    """A store holding no role, whose version() the test moves (a commit)."""

    def __init__(self) -> None:
        self.current: int | None = 1
        self.reads = 0

    def version(self) -> int | None:
        return self.current

    async def get_role_by_arn(self, account_id: str, role_arn: str) -> Any:
        self.reads += 1
        return None


def test_kept_answers_only_what_authority_read_under_the_same_version() -> None:
    store = FakeStore()
    roles = RoleDirectory(cast(Store, store))
    assert roles.kept(ACCOUNT, ROLE) is None  # never read
    assert asyncio.run(roles.authority(ACCOUNT, ROLE)) is None
    assert store.reads == 1
    assert roles.kept(ACCOUNT, ROLE) == (1, None)  # kept: an absent role, without a read
    assert asyncio.run(roles.authority(ACCOUNT, ROLE)) is None
    assert store.reads == 1
    store.current = 2  # something committed
    assert roles.kept(ACCOUNT, ROLE) is None
    assert asyncio.run(roles.authority(ACCOUNT, ROLE)) is None
    assert store.reads == 2
    store.current = None  # a store that cannot tell: nothing is reused
    assert roles.kept(ACCOUNT, ROLE) is None
    asyncio.run(roles.authority(ACCOUNT, ROLE))
    assert store.reads == 3


def test_with_caches_off_nothing_is_kept() -> None:
    store = FakeStore()
    roles = RoleDirectory(cast(Store, store), caches_enabled=False)
    asyncio.run(roles.authority(ACCOUNT, ROLE))
    assert roles.kept(ACCOUNT, ROLE) is None
