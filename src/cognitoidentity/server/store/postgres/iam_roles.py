"""IAM roles and managed policies in the PostgreSQL store: :class:`PostgresIamRoles`, the part of
:class:`~.store.PostgresStore` that keeps them.

Every write is one transaction whose row locks order it against the writes it could race with:

- creations lock the account row (``FOR NO KEY UPDATE``), so each one counts the roles (or
  policies) committed by those before it against the quota;
- attaching a policy locks the role (``FOR NO KEY UPDATE``: attachments to one role queue, so the
  count per role holds) and then the policy (``FOR KEY SHARE``), as does naming a policy as a
  permissions boundary;
- deleting a policy locks it ``FOR UPDATE``, which waits for those key-share locks and conflicts
  with them: a delete that comes first makes the attach find no policy; one that comes second
  counts the attachment (READ COMMITTED: its count is a new statement, with a new snapshot) and
  refuses. The attachment's foreign key would refuse a dangling attachment anyway;
- deleting a role locks it ``FOR UPDATE`` before counting its attachments, likewise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from psycopg.rows import TupleRow

from cognitoidentity.server.store import base, codec, iam_codec
from cognitoidentity.server.store.postgres.connection import Connection


def _array(select: str) -> str:
    return f"ARRAY({select})"


ATTACHED = iam_codec.attached(_array)
"""The attached policy ARNs of a role row, as a text array."""
_ROLE_SELECT = f"SELECT {iam_codec.ROLE_COLUMNS}, {ATTACHED}, seq FROM iam_roles"  # noqa: S608 - constants
GET_ROLE = _ROLE_SELECT + " WHERE account_id = %(account)s AND lower(name) = lower(%(name)s)"
GET_ROLE_BY_ARN = _ROLE_SELECT + " WHERE arn = %(arn)s AND account_id = %(account)s"
LIST_ROLES = (
    _ROLE_SELECT
    + " WHERE account_id = %(account)s AND "
    + iam_codec.PATH_STARTS.format(p="%(prefix)s")
    + " AND seq > %(after)s ORDER BY seq LIMIT %(limit)s"
)
_POLICY_SELECT = (
    f"SELECT {iam_codec.POLICY_COLUMNS}, {iam_codec.POLICY_COUNTS}, seq"  # noqa: S608
    " FROM iam_policies"
)
GET_POLICY = _POLICY_SELECT + " WHERE arn = %(arn)s AND account_id = %(account)s"
_LOCK_ACCOUNT = "SELECT 1 FROM accounts WHERE account_id = %(account)s FOR NO KEY UPDATE"
_SHARE_POLICY = (
    "SELECT 1 FROM iam_policies WHERE arn = %(arn)s AND account_id = %(account)s FOR KEY SHARE"
)


def _list_policies(condition: str) -> str:
    return (
        _POLICY_SELECT
        + " WHERE account_id = %(account)s AND "
        + iam_codec.PATH_STARTS.format(p="%(prefix)s")
        + f" AND seq > %(after)s AND {condition} ORDER BY seq LIMIT %(limit)s"
    )


class PostgresIamRoles:
    """Roles and managed policies (the IAM part of the store's contract)."""

    if TYPE_CHECKING:  # the store's

        def _transaction(self) -> contextlib.AbstractAsyncContextManager[Connection]: ...

        async def _fetch(
            self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
        ) -> list[TupleRow]: ...

    # -- roles ------------------------------------------------------------------------------------
    async def create_role(self, role: base.IamRole, *, max_roles: int) -> bool:
        async with self._transaction() as conn:
            params = {"account": role.account_id, "name": role.name}
            await conn.execute(_LOCK_ACCOUNT, params)
            if await _first(conn, GET_ROLE, params) is not None:
                return False
            count = await _count(
                conn, "SELECT count(*) FROM iam_roles WHERE account_id = %(account)s", params
            )
            if count >= max_roles:
                raise base.LimitReached(f"{count} roles")
            await _share_boundary(conn, role.account_id, role.permissions_boundary)
            await conn.execute(
                f"INSERT INTO iam_roles ({iam_codec.ROLE_COLUMNS}) VALUES"  # noqa: S608 - constant
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)",
                iam_codec.role_row(role, codec.timestamptz),
            )
            return True

    async def get_role(self, account_id: str, name: str) -> base.IamRole | None:
        rows = await self._fetch(GET_ROLE, {"account": account_id, "name": name})
        return iam_codec.role_from_row(rows[0]) if rows else None

    async def get_role_by_arn(self, account_id: str, arn: str) -> base.IamRole | None:
        rows = await self._fetch(GET_ROLE_BY_ARN, {"account": account_id, "arn": arn})
        return iam_codec.role_from_row(rows[0]) if rows else None

    async def list_roles(
        self, account_id: str, *, path_prefix: str, after: int | None, limit: int
    ) -> base.Page[base.IamRole]:
        rows = await self._fetch(
            LIST_ROLES,
            {"account": account_id, "prefix": path_prefix, "after": after or 0, "limit": limit + 1},
        )
        return codec.page(rows, limit, iam_codec.role_from_row, seq=14)

    async def update_role(
        self, account_id: str, name: str, mutate: base.RoleMutation
    ) -> base.IamRole | None:
        async with self._transaction() as conn:
            row = await _first(
                conn, GET_ROLE + " FOR NO KEY UPDATE", {"account": account_id, "name": name}
            )
            if row is None:
                return None
            current = iam_codec.role_from_row(row)
            new = mutate(current)  # raising here rolls the transaction back
            if new.permissions_boundary != current.permissions_boundary:
                await _share_boundary(conn, account_id, new.permissions_boundary)
            values = iam_codec.role_row(new, codec.timestamptz)
            await conn.execute(
                "UPDATE iam_roles SET trust_policy = %s, description = %s,"
                " max_session_duration = %s, permissions_boundary = %s, tags = %s::jsonb,"
                " inline_policies = %s::jsonb, max_signin_session_duration = %s WHERE arn = %s",
                (*values[5:6], *values[7:], current.arn),
            )
            return new

    async def delete_role(self, account_id: str, name: str) -> bool:
        async with self._transaction() as conn:
            row = await _first(
                conn,
                "SELECT arn, inline_policies FROM iam_roles"
                " WHERE account_id = %(account)s AND lower(name) = lower(%(name)s) FOR UPDATE",
                {"account": account_id, "name": name},
            )
            if row is None:
                return False
            arn = row[0]
            attached = await _count(
                conn,
                "SELECT count(*) FROM iam_role_policies WHERE role_arn = %(arn)s",
                {"arn": arn},
            )
            if attached:
                raise base.IamDeleteConflict("managed")
            if row[1]:
                raise base.IamDeleteConflict("inline")
            await conn.execute("DELETE FROM iam_roles WHERE arn = %s", (arn,))
            return True

    async def attach_role_policy(
        self, account_id: str, role_name: str, policy_arn: str, *, max_attached: int
    ) -> None:
        async with self._transaction() as conn:
            role_arn = await _lock_role(conn, account_id, role_name)
            params = {"account": account_id, "arn": policy_arn, "role": role_arn}
            if await _first(conn, _SHARE_POLICY, params) is None:
                raise base.IamEntityMissing("policy")
            rows = await conn.execute(
                "SELECT policy_arn FROM iam_role_policies WHERE role_arn = %(role)s", params
            )
            attached = {r[0] for r in await rows.fetchall()}
            if policy_arn in attached:
                return
            if len(attached) >= max_attached:
                raise base.LimitReached(f"{len(attached)} attached policies")
            await conn.execute(
                "INSERT INTO iam_role_policies (role_arn, policy_arn) VALUES (%(role)s, %(arn)s)",
                params,
            )

    async def detach_role_policy(self, account_id: str, role_name: str, policy_arn: str) -> None:
        async with self._transaction() as conn:
            role_arn = await _lock_role(conn, account_id, role_name)
            cur = await conn.execute(
                "DELETE FROM iam_role_policies WHERE role_arn = %s AND policy_arn = %s",
                (role_arn, policy_arn),
            )
            if cur.rowcount == 0:
                raise base.IamEntityMissing("policy")

    # -- managed policies ---------------------------------------------------------------------------
    async def create_policy(self, policy: base.IamManagedPolicy, *, max_policies: int) -> bool:
        async with self._transaction() as conn:
            params = {"account": policy.account_id, "name": policy.name}
            await conn.execute(_LOCK_ACCOUNT, params)
            taken = await _first(
                conn,
                "SELECT 1 FROM iam_policies"
                " WHERE account_id = %(account)s AND lower(name) = lower(%(name)s)",
                params,
            )
            if taken is not None:
                return False
            count = await _count(
                conn, "SELECT count(*) FROM iam_policies WHERE account_id = %(account)s", params
            )
            if count >= max_policies:
                raise base.LimitReached(f"{count} policies")
            await conn.execute(
                f"INSERT INTO iam_policies ({iam_codec.POLICY_COLUMNS}) VALUES"  # noqa: S608
                " (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s::jsonb)",
                iam_codec.policy_row(policy, codec.timestamptz),
            )
            return True

    async def get_policy(self, account_id: str, arn: str) -> base.IamManagedPolicy | None:
        rows = await self._fetch(GET_POLICY, {"account": account_id, "arn": arn})
        return iam_codec.policy_from_row(rows[0]) if rows else None

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
        condition = iam_codec.in_use(usage) if attached else "TRUE"
        rows = await self._fetch(
            _list_policies(condition),
            {"account": account_id, "prefix": path_prefix, "after": after or 0, "limit": limit + 1},
        )
        return codec.page(rows, limit, iam_codec.policy_from_row, seq=14)

    async def update_policy(
        self, account_id: str, arn: str, mutate: base.PolicyMutation
    ) -> base.IamManagedPolicy | None:
        async with self._transaction() as conn:
            row = await _first(
                conn, GET_POLICY + " FOR NO KEY UPDATE", {"account": account_id, "arn": arn}
            )
            if row is None:
                return None
            new = mutate(iam_codec.policy_from_row(row))  # raising here rolls back
            values = iam_codec.policy_row(new, codec.timestamptz)
            await conn.execute(
                "UPDATE iam_policies SET updated_at = %s, versions = %s::jsonb,"
                " default_version = %s, next_version = %s, description = %s, tags = %s::jsonb"
                " WHERE arn = %s",
                (*values[6:], arn),
            )
            return new

    async def delete_policy(self, account_id: str, arn: str) -> bool:
        async with self._transaction() as conn:
            params = {"account": account_id, "arn": arn}
            row = await _first(
                conn,
                "SELECT versions FROM iam_policies"
                " WHERE arn = %(arn)s AND account_id = %(account)s FOR UPDATE",
                params,
            )
            if row is None:
                return False
            # Counted after the lock: each count is a new snapshot, which sees every attachment
            # committed by a transaction that held the policy's key-share lock.
            in_use = await _count(
                conn,
                "SELECT (SELECT count(*) FROM iam_role_policies WHERE policy_arn = %(arn)s)"
                " + (SELECT count(*) FROM iam_roles WHERE permissions_boundary = %(arn)s)",
                params,
            )
            if in_use:
                raise base.IamDeleteConflict("attached")
            if len(row[0]) > 1:
                raise base.IamDeleteConflict("versions")
            await conn.execute("DELETE FROM iam_policies WHERE arn = %s", (arn,))
            return True


async def _first(conn: Connection, sql: str, params: dict[str, Any]) -> TupleRow | None:
    cur = await conn.execute(sql, params)
    return await cur.fetchone()


async def _count(conn: Connection, sql: str, params: dict[str, Any]) -> int:
    row = await _first(conn, sql, params)
    return int(row[0]) if row else 0


async def _lock_role(conn: Connection, account_id: str, name: str) -> str:
    """The ARN of the role ``name``, locked against other attachments and its deletion."""
    row = await _first(
        conn,
        "SELECT arn FROM iam_roles WHERE account_id = %(account)s"
        " AND lower(name) = lower(%(name)s) FOR NO KEY UPDATE",
        {"account": account_id, "name": name},
    )
    if row is None:
        raise base.IamEntityMissing("role")
    return str(row[0])


async def _share_boundary(conn: Connection, account_id: str, arn: str | None) -> None:
    """Check that ``arn`` names a managed policy of the account, and keep it from being deleted
    until the transaction ends."""
    if (
        arn is not None
        and await _first(conn, _SHARE_POLICY, {"account": account_id, "arn": arn}) is None
    ):
        raise base.IamEntityMissing("policy")
