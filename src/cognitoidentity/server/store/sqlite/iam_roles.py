"""IAM roles and managed policies in the SQLite store: :class:`SqliteIamRoles`, the part of
:class:`~.store.SqliteStore` that keeps them, with the writer jobs it runs.

Each write is one job of the writer thread (:mod:`.writer`): its checks (quota, names in use,
policies in use) and its writes run in one transaction that nothing else writes during, in this
process or another (``BEGIN IMMEDIATE``), so a check can never be overtaken by a concurrent write.
Jobs may run twice (the writer replays a group when one job fails): they only touch the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from cognitoidentity.server.store import base, codec, iam_codec
from cognitoidentity.server.store.sqlite.reads import Reader

T = TypeVar("T")


def _json_array(select: str) -> str:
    return f"(SELECT json_group_array(policy_arn) FROM ({select}))"  # noqa: S608 - constants


ATTACHED = iam_codec.attached(_json_array)
"""The attached policy ARNs of a role row, as a JSON array."""
_ROLE_SELECT = f"SELECT {iam_codec.ROLE_COLUMNS}, {ATTACHED}, seq FROM iam_roles"  # noqa: S608 - constants
GET_ROLE = _ROLE_SELECT + " WHERE account_id = ? AND lower(name) = lower(?)"
GET_ROLE_BY_ARN = _ROLE_SELECT + " WHERE arn = ? AND account_id = ?"
LIST_ROLES = (
    _ROLE_SELECT
    + " WHERE account_id = ?1 AND "
    + iam_codec.PATH_STARTS.format(p="?2")
    + " AND seq > ?3 ORDER BY seq LIMIT ?4"
)
_POLICY_SELECT = (
    f"SELECT {iam_codec.POLICY_COLUMNS}, {iam_codec.POLICY_COUNTS}, seq"  # noqa: S608
    " FROM iam_policies"
)
GET_POLICY = _POLICY_SELECT + " WHERE arn = ? AND account_id = ?"


def _list_policies(condition: str) -> str:
    return (
        _POLICY_SELECT
        + " WHERE account_id = ?1 AND "
        + iam_codec.PATH_STARTS.format(p="?2")
        + f" AND seq > ?3 AND {condition} ORDER BY seq LIMIT ?4"
    )


class SqliteIamRoles:
    """Roles and managed policies (the IAM part of the store's contract)."""

    _reader: Reader

    if TYPE_CHECKING:  # the store's

        async def _write(self, job: Callable[[sqlite3.Connection], T]) -> T: ...

    # -- roles ------------------------------------------------------------------------------------
    async def create_role(self, role: base.IamRole, *, max_roles: int) -> bool:
        return await self._write(lambda conn: _create_role(conn, role, max_roles))

    async def get_role(self, account_id: str, name: str) -> base.IamRole | None:
        return self._reader.one(GET_ROLE, (account_id, name), iam_codec.role_from_row)

    async def get_role_by_arn(self, account_id: str, arn: str) -> base.IamRole | None:
        return self._reader.one(GET_ROLE_BY_ARN, (arn, account_id), iam_codec.role_from_row)

    async def list_roles(
        self, account_id: str, *, path_prefix: str, after: int | None, limit: int
    ) -> base.Page[base.IamRole]:
        rows = self._reader.rows(LIST_ROLES, (account_id, path_prefix, after or 0, limit + 1))
        return codec.page(rows, limit, iam_codec.role_from_row, seq=14)

    async def update_role(
        self, account_id: str, name: str, mutate: base.RoleMutation
    ) -> base.IamRole | None:
        return await self._write(lambda conn: _update_role(conn, account_id, name, mutate))

    async def delete_role(self, account_id: str, name: str) -> bool:
        return await self._write(lambda conn: _delete_role(conn, account_id, name))

    async def attach_role_policy(
        self, account_id: str, role_name: str, policy_arn: str, *, max_attached: int
    ) -> None:
        await self._write(
            lambda conn: _attach(conn, account_id, role_name, policy_arn, max_attached)
        )

    async def detach_role_policy(self, account_id: str, role_name: str, policy_arn: str) -> None:
        await self._write(lambda conn: _detach(conn, account_id, role_name, policy_arn))

    # -- managed policies ---------------------------------------------------------------------------
    async def create_policy(self, policy: base.IamManagedPolicy, *, max_policies: int) -> bool:
        return await self._write(lambda conn: _create_policy(conn, policy, max_policies))

    async def get_policy(self, account_id: str, arn: str) -> base.IamManagedPolicy | None:
        return self._reader.one(GET_POLICY, (arn, account_id), iam_codec.policy_from_row)

    async def list_policies(
        self,
        account_id: str,
        *,
        path_prefix: str,
        attached: bool,
        usage: Literal["PermissionsPolicy", "PermissionsBoundary"] | None,
        after: int | None,
        limit: int,
    ) -> base.Page[base.IamManagedPolicy]:
        condition = iam_codec.in_use(usage) if attached else "1"
        rows = self._reader.rows(
            _list_policies(condition), (account_id, path_prefix, after or 0, limit + 1)
        )
        return codec.page(rows, limit, iam_codec.policy_from_row, seq=14)

    async def update_policy(
        self, account_id: str, arn: str, mutate: base.PolicyMutation
    ) -> base.IamManagedPolicy | None:
        return await self._write(lambda conn: _update_policy(conn, account_id, arn, mutate))

    async def delete_policy(self, account_id: str, arn: str) -> bool:
        return await self._write(lambda conn: _delete_policy(conn, account_id, arn))


# -- writer jobs -----------------------------------------------------------------------------------
def _one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    return conn.execute(sql, params).fetchone()


def _count(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> int:
    return int(conn.execute(sql, params).fetchone()[0])


def _require_policy(conn: sqlite3.Connection, account_id: str, arn: str | None) -> None:
    if arn is not None and (
        _one(conn, "SELECT 1 FROM iam_policies WHERE arn = ? AND account_id = ?", (arn, account_id))
        is None
    ):
        raise base.IamEntityMissing("policy")


def _create_role(conn: sqlite3.Connection, role: base.IamRole, max_roles: int) -> bool:
    if _one(conn, GET_ROLE, (role.account_id, role.name)) is not None:
        return False
    count = _count(conn, "SELECT count(*) FROM iam_roles WHERE account_id = ?", (role.account_id,))
    if count >= max_roles:
        raise base.LimitReached(f"{count} roles")
    _require_policy(conn, role.account_id, role.permissions_boundary)
    conn.execute(
        f"INSERT INTO iam_roles ({iam_codec.ROLE_COLUMNS})"  # noqa: S608 - constant columns
        f" VALUES ({', '.join('?' * iam_codec.ROLE_WRITTEN)})",
        iam_codec.role_row(role, codec.seconds),
    )
    return True


def _update_role(
    conn: sqlite3.Connection, account_id: str, name: str, mutate: base.RoleMutation
) -> base.IamRole | None:
    row = _one(conn, GET_ROLE, (account_id, name))
    if row is None:
        return None
    current = iam_codec.role_from_row(row)
    new = mutate(current)
    if new.permissions_boundary != current.permissions_boundary:
        _require_policy(conn, account_id, new.permissions_boundary)
    values = iam_codec.role_row(new, codec.seconds)
    conn.execute(
        "UPDATE iam_roles SET trust_policy = ?, description = ?, max_session_duration = ?,"
        " permissions_boundary = ?, tags = ?, inline_policies = ?,"
        " max_signin_session_duration = ? WHERE arn = ?",
        (*values[5:6], *values[7:], current.arn),
    )
    return new


def _delete_role(conn: sqlite3.Connection, account_id: str, name: str) -> bool:
    row = _one(conn, GET_ROLE, (account_id, name))
    if row is None:
        return False
    role = iam_codec.role_from_row(row)
    if role.attached_policies:
        raise base.IamDeleteConflict("managed")
    if role.inline_policies:
        raise base.IamDeleteConflict("inline")
    conn.execute("DELETE FROM iam_roles WHERE arn = ?", (role.arn,))
    return True


def _attach(
    conn: sqlite3.Connection, account_id: str, role_name: str, policy_arn: str, max_attached: int
) -> None:
    row = _one(conn, GET_ROLE, (account_id, role_name))
    if row is None:
        raise base.IamEntityMissing("role")
    role = iam_codec.role_from_row(row)
    _require_policy(conn, account_id, policy_arn)
    if policy_arn in role.attached_policies:
        return
    if len(role.attached_policies) >= max_attached:
        raise base.LimitReached(f"{len(role.attached_policies)} attached policies")
    conn.execute(
        "INSERT INTO iam_role_policies (role_arn, policy_arn) VALUES (?, ?)", (role.arn, policy_arn)
    )


def _detach(conn: sqlite3.Connection, account_id: str, role_name: str, policy_arn: str) -> None:
    row = _one(conn, GET_ROLE, (account_id, role_name))
    if row is None:
        raise base.IamEntityMissing("role")
    deleted = conn.execute(
        "DELETE FROM iam_role_policies WHERE role_arn = ? AND policy_arn = ?", (row[0], policy_arn)
    ).rowcount
    if deleted == 0:
        raise base.IamEntityMissing("policy")


def _create_policy(
    conn: sqlite3.Connection, policy: base.IamManagedPolicy, max_policies: int
) -> bool:
    if (
        _one(
            conn,
            "SELECT 1 FROM iam_policies WHERE account_id = ? AND lower(name) = lower(?)",
            (policy.account_id, policy.name),
        )
        is not None
    ):
        return False
    count = _count(
        conn, "SELECT count(*) FROM iam_policies WHERE account_id = ?", (policy.account_id,)
    )
    if count >= max_policies:
        raise base.LimitReached(f"{count} policies")
    conn.execute(
        f"INSERT INTO iam_policies ({iam_codec.POLICY_COLUMNS})"  # noqa: S608 - constant columns
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        iam_codec.policy_row(policy, codec.seconds),
    )
    return True


def _update_policy(
    conn: sqlite3.Connection, account_id: str, arn: str, mutate: base.PolicyMutation
) -> base.IamManagedPolicy | None:
    row = _one(conn, GET_POLICY, (arn, account_id))
    if row is None:
        return None
    new = mutate(iam_codec.policy_from_row(row))
    values = iam_codec.policy_row(new, codec.seconds)
    conn.execute(
        "UPDATE iam_policies SET updated_at = ?, versions = ?, default_version = ?,"
        " next_version = ?, description = ?, tags = ? WHERE arn = ?",
        (*values[6:], arn),
    )
    return new


def _delete_policy(conn: sqlite3.Connection, account_id: str, arn: str) -> bool:
    row = _one(conn, GET_POLICY, (arn, account_id))
    if row is None:
        return False
    policy = iam_codec.policy_from_row(row)
    if policy.attachment_count or policy.boundary_usage_count:
        raise base.IamDeleteConflict("attached")
    if len(policy.versions) > 1:
        raise base.IamDeleteConflict("versions")
    conn.execute("DELETE FROM iam_policies WHERE arn = ?", (arn,))
    return True
