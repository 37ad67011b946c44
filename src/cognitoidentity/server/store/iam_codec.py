"""Conversions between IAM roles and managed policies and the columns both SQL stores keep them in
(shared, dialect-free, like :mod:`.codec`): the columns each record is selected with, in order,
with the decoder of such a row and the encoder of the record written whole.

A role is selected with the ARNs of its attached policies (an array each dialect spells its own
way, :data:`ATTACHED` with ``{array}``), a policy with its two use counts. Tags, inline policies
and versions are JSON arrays (text in SQLite, JSONB in PostgreSQL); a version's time is epoch
seconds in both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

# ``codec`` imports this module too: its names are read when called, never at import.
from cognitoidentity.server.store import base, codec

if TYPE_CHECKING:
    from cognitoidentity.server.store.codec import Row, TimeColumn

ROLE_COLUMNS = (
    "arn, account_id, name, path, role_id, trust_policy, created_at, description,"
    " max_session_duration, permissions_boundary, tags, inline_policies,"
    " max_signin_session_duration"
)
"""Followed, in each store's SQL, by the role's attached policy ARNs (:func:`attached`)."""
ROLE_WRITTEN = 13
"""How many of :data:`ROLE_COLUMNS` a role's row has (the attachments are rows of their own)."""
POLICY_COLUMNS = (
    "arn, account_id, name, path, policy_id, created_at, updated_at, versions, default_version,"
    " next_version, description, tags"
)
"""Followed by the two use counts (:data:`POLICY_COUNTS`)."""
POLICY_COUNTS = (
    "(SELECT count(*) FROM iam_role_policies a WHERE a.policy_arn = iam_policies.arn),"
    " (SELECT count(*) FROM iam_roles b WHERE b.permissions_boundary = iam_policies.arn)"
)

ArrayOf = Callable[[str], str]
"""How a dialect turns a one-column ``SELECT`` into an array value (a JSON array in SQLite)."""


def attached(array_of: ArrayOf) -> str:
    """The expression of a role row's attached policy ARNs, in the order they were attached."""
    return array_of(
        "SELECT a.policy_arn FROM iam_role_policies a WHERE a.role_arn = iam_roles.arn"
        " ORDER BY a.seq"
    )


def dump_pairs(pairs: Mapping[str, str]) -> str:
    return orjson.dumps([[key, value] for key, value in pairs.items()]).decode()


def dump_versions(versions: tuple[base.PolicyVersion, ...]) -> str:
    return orjson.dumps(
        [[v.version_id, v.document, v.created_at.timestamp()] for v in versions]
    ).decode()


def _load_versions(value: list[list[Any]] | str | bytes) -> tuple[base.PolicyVersion, ...]:
    items: list[list[Any]] = value if isinstance(value, list) else orjson.loads(value)
    return tuple(base.PolicyVersion(v[0], v[1], codec.instant(float(v[2]))) for v in items)


def role_row(role: base.IamRole, time: TimeColumn) -> tuple[Any, ...]:
    """``role`` as a row of the first :data:`ROLE_WRITTEN` of :data:`ROLE_COLUMNS`."""
    return (
        role.arn,
        role.account_id,
        role.name,
        role.path,
        role.role_id,
        role.trust_policy,
        time(role.created_at),
        role.description,
        role.max_session_duration,
        role.permissions_boundary,
        codec.dump_tags(role.tags),
        dump_pairs(role.inline_policies),
        role.max_signin_session_duration,
    )


def role_from_row(row: Row) -> base.IamRole:
    """:data:`ROLE_COLUMNS`, then the attached policy ARNs (a JSON array, or an array)."""
    return base.IamRole(
        arn=row[0],
        account_id=row[1],
        name=row[2],
        path=row[3],
        role_id=row[4],
        trust_policy=row[5],
        created_at=codec.instant(row[6]),
        description=row[7],
        max_session_duration=int(row[8]),
        permissions_boundary=row[9],
        tags=codec.load_tags(row[10]),
        inline_policies=codec.load_tags(row[11]),
        max_signin_session_duration=None if row[12] is None else int(row[12]),
        attached_policies=codec.load_json_list(row[13]) if row[13] else (),
    )


def policy_row(policy: base.IamManagedPolicy, time: TimeColumn) -> tuple[Any, ...]:
    """``policy`` as a row of :data:`POLICY_COLUMNS` (its use counts are not written)."""
    return (
        policy.arn,
        policy.account_id,
        policy.name,
        policy.path,
        policy.policy_id,
        time(policy.created_at),
        time(policy.updated_at),
        dump_versions(policy.versions),
        policy.default_version_id,
        policy.next_version,
        policy.description,
        codec.dump_tags(policy.tags),
    )


def policy_from_row(row: Row) -> base.IamManagedPolicy:
    """:data:`POLICY_COLUMNS`, then the two use counts (absent: 0)."""
    counts = (int(row[12]), int(row[13])) if len(row) > 13 else (0, 0)
    return base.IamManagedPolicy(
        arn=row[0],
        account_id=row[1],
        name=row[2],
        path=row[3],
        policy_id=row[4],
        created_at=codec.instant(row[5]),
        updated_at=codec.instant(row[6]),
        versions=_load_versions(row[7]),
        default_version_id=row[8],
        next_version=int(row[9]),
        description=row[10],
        tags=codec.load_tags(row[11]),
        attachment_count=counts[0],
        boundary_usage_count=counts[1],
    )


PATH_STARTS = "substr(path, 1, length({p})) = {p}"
"""A path that starts with the parameter ``{p}`` (case-sensitive, unlike SQLite's LIKE)."""
IN_USE = {
    "PermissionsPolicy": "EXISTS (SELECT 1 FROM iam_role_policies a"
    " WHERE a.policy_arn = iam_policies.arn)",
    "PermissionsBoundary": "EXISTS (SELECT 1 FROM iam_roles b"
    " WHERE b.permissions_boundary = iam_policies.arn)",
}
"""When a policy counts as in use (``ListPolicies``' ``OnlyAttached``), by ``PolicyUsageFilter``."""


def in_use(usage: str | None) -> str:
    """The condition of ``ListPolicies``' ``OnlyAttached`` for ``usage`` (None: either use)."""
    if usage is None:
        return f"({IN_USE['PermissionsPolicy']} OR {IN_USE['PermissionsBoundary']})"
    return IN_USE[usage]
