"""IAM roles and managed policies in export files (:mod:`.backup`): the fields of their lines.

A role's line holds its inline policies and the ARNs of its attached policies (each managed
policy's line comes first in the file); a policy's line holds its versions. Use counts are not
exported: the store counts them again. Times are as :mod:`.backup` writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from cognitoidentity.server.store.base import IamManagedPolicy, IamRole, PolicyVersion

TimeText = Callable[[datetime], str | None]
"""How :mod:`.backup` writes a time."""
TextTime = Callable[[str], datetime]
"""How :mod:`.backup` reads one back."""


def _pairs(values: dict[str, str]) -> list[list[str]]:
    return [[k, v] for k, v in values.items()]  # in order


def role_fields(role: IamRole) -> dict[str, Any]:
    return {
        "arn": role.arn,
        "account_id": role.account_id,
        "name": role.name,
        "path": role.path,
        "role_id": role.role_id,
        "trust_policy": role.trust_policy,
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "max_signin_session_duration": role.max_signin_session_duration,
        "permissions_boundary": role.permissions_boundary,
        "tags": _pairs(role.tags),
        "inline_policies": _pairs(role.inline_policies),
        "attached_policies": list(role.attached_policies),
    }


def role_from_object(obj: dict[str, Any], created: datetime) -> IamRole:
    signin = obj["max_signin_session_duration"]
    return IamRole(
        arn=obj["arn"],
        account_id=obj["account_id"],
        name=obj["name"],
        path=obj["path"],
        role_id=obj["role_id"],
        trust_policy=obj["trust_policy"],
        created_at=created,
        description=obj["description"],
        max_session_duration=int(obj["max_session_duration"]),
        max_signin_session_duration=None if signin is None else int(signin),
        permissions_boundary=obj["permissions_boundary"],
        tags={k: v for k, v in obj["tags"]},
        inline_policies={k: v for k, v in obj["inline_policies"]},
        attached_policies=tuple(obj["attached_policies"]),
    )


def policy_fields(policy: IamManagedPolicy, time: TimeText) -> dict[str, Any]:
    return {
        "arn": policy.arn,
        "account_id": policy.account_id,
        "name": policy.name,
        "path": policy.path,
        "policy_id": policy.policy_id,
        "updated_at": time(policy.updated_at),
        "description": policy.description,
        "tags": _pairs(policy.tags),
        "versions": [[v.version_id, v.document, time(v.created_at)] for v in policy.versions],
        "default_version_id": policy.default_version_id,
        "next_version": policy.next_version,
    }


def policy_from_object(obj: dict[str, Any], created: datetime, at: TextTime) -> IamManagedPolicy:
    return IamManagedPolicy(
        arn=obj["arn"],
        account_id=obj["account_id"],
        name=obj["name"],
        path=obj["path"],
        policy_id=obj["policy_id"],
        created_at=created,
        updated_at=at(obj["updated_at"]),
        versions=tuple(PolicyVersion(v[0], v[1], at(v[2])) for v in obj["versions"]),
        default_version_id=obj["default_version_id"],
        next_version=int(obj["next_version"]),
        description=obj["description"],
        tags={k: v for k, v in obj["tags"]},
    )
