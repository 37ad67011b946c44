"""known_verdict: check_trust's verdict without a context or a coroutine, when no trust policy is
needed; it must give the very verdict check_trust gives, and no verdict otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import cast

import pytest

from cognitoidentity.server.role_directory import RoleDirectory
from cognitoidentity.server.store.base import IamRole, Store
from cognitoidentity.server.trust import check_trust, known_verdict

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Absent"
FOREIGN = "arn:aws:iam::210987654321:role/Other"


class _NoRoles:
    """A store holding no role, at a fixed version (None: reads never kept)."""

    def __init__(self, version: int | None) -> None:
        self._version = version

    def version(self) -> Hashable | None:
        return self._version

    async def get_role_by_arn(self, account_id: str, role_arn: str) -> IamRole | None:
        return None


def _directory(version: int | None) -> RoleDirectory:
    return RoleDirectory(cast(Store, _NoRoles(version)))


@pytest.mark.parametrize("mode", ["lenient", "strict"])
@pytest.mark.parametrize("named_by_pool", [True, False])
def test_a_role_kept_as_absent_gets_check_trusts_verdict(mode: str, named_by_pool: bool) -> None:
    roles = _directory(1)
    assert known_verdict(roles, mode, ACCOUNT, ROLE, named_by_pool) is None  # not read yet
    assert asyncio.run(roles.authority(ACCOUNT, ROLE)) is None
    expected = asyncio.run(
        check_trust(
            roles,
            mode,
            account_id=ACCOUNT,
            role_arn=ROLE,
            named_by_pool=named_by_pool,
            context={},
            tags=False,
        )
    )
    assert known_verdict(roles, mode, ACCOUNT, ROLE, named_by_pool) == expected


@pytest.mark.parametrize("arn", [FOREIGN, "not an arn"])
def test_a_foreign_role_is_refused_as_check_trust_refuses_it(arn: str) -> None:
    roles = _directory(None)
    expected = asyncio.run(
        check_trust(
            roles,
            "lenient",
            account_id=ACCOUNT,
            role_arn=arn,
            named_by_pool=True,
            context={},
            tags=False,
        )
    )
    assert not expected.trusted
    assert known_verdict(roles, "lenient", ACCOUNT, arn, True) == expected


def test_nothing_is_known_when_reads_are_not_kept() -> None:
    roles = _directory(None)
    assert asyncio.run(roles.authority(ACCOUNT, ROLE)) is None
    assert known_verdict(roles, "lenient", ACCOUNT, ROLE, True) is None
