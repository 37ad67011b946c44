"""IAM roles and customer managed policies in a configuration file, checked as IAM checks them.

A policy declares ``CreatePolicy``'s members; a role ``CreateRole``'s, with its inline policies
(``InlinePolicies``: name to document, as ``PutRolePolicy`` puts them) and the managed policies
attached to it (``AttachedPolicies``: each the ARN of a policy of the account, or the
``PolicyName`` of a policy the same account declares in the file). ``PermissionsBoundary`` is an
ARN or such a name too. Documents are tables or JSON text (:mod:`.documents`).

Every value goes through the model's shapes (``CreateRole``, ``CreatePolicy``, ``PutRolePolicy``,
``AttachRolePolicy``), then through the operations' own checks (:mod:`..operations.iam_common`):
trust policies, identity policies and managed policies parsed by the policy engine with IAM's
``MalformedPolicyDocument`` messages, the size quotas, tags, policy ARNs, at most 10 attached
policies. What needs the store (an ARN that names a policy the file does not declare) is checked by
:mod:`.plan_iam`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.config.documents import document_text
from cognitoidentity.server.config.locate import Path
from cognitoidentity.server.config.model_check import input_shape, kind_of, model_problem
from cognitoidentity.server.config.source import Problem
from cognitoidentity.server.operations import iam_common as common
from cognitoidentity.server.store.base import IamManagedPolicy, IamRole, PolicyVersion

if TYPE_CHECKING:
    from cognitoidentity.server.config.declared import _Reader

ROLE_MEMBERS = (
    "RoleName",
    "Path",
    "Description",
    "MaxSessionDuration",
    "MaxSigninSessionDuration",
    "PermissionsBoundary",
    "Tags",
    "AssumeRolePolicyDocument",
)
"""``CreateRole``'s members, as a role declares them."""
INLINE_POLICIES = "InlinePolicies"
"""A role's inline policies: name to document (``PutRolePolicy``)."""
ATTACHED_POLICIES = "AttachedPolicies"
"""A role's managed policies: ARNs or names of policies the account declares
(``AttachRolePolicy``)."""
POLICY_MEMBERS = ("PolicyName", "Path", "Description", "Tags", "PolicyDocument")
"""``CreatePolicy``'s members, as a policy declares them."""
ARN_PREFIX = "arn:"


@dataclass(frozen=True, slots=True)
class DeclaredPolicy:
    path: Path
    policy: IamManagedPolicy
    """As ``CreatePolicy`` would store it: one version, ``v1``, the document."""


@dataclass(frozen=True, slots=True)
class DeclaredRole:
    path: Path
    role: IamRole
    """As ``CreateRole``, then ``PutRolePolicy`` and ``AttachRolePolicy`` for each, would leave it;
    ``attached_policies`` and ``permissions_boundary`` are ARNs."""
    named_at: tuple[tuple[str, Path], ...] = ()
    """Each policy ARN the role uses (attached, or its boundary) with where the file names it."""


def policies(
    reader: _Reader, value: object, path: Path, account_id: str
) -> tuple[DeclaredPolicy, ...]:
    """The account's declared managed policies (their names unique whatever their case)."""
    items = reader.tables(value, path)
    twice = _declared_twice(reader, items, "PolicyName", "policy")
    found = [_policy(reader, item, where, account_id) for where, item in items]
    return tuple(p for p, (at, _) in zip(found, items, strict=True) if p and at not in twice)


def roles(
    reader: _Reader,
    value: object,
    path: Path,
    account_id: str,
    declared_policies: tuple[DeclaredPolicy, ...],
    policy_tables: object,
) -> tuple[DeclaredRole, ...]:
    """The account's declared roles (their names unique whatever their case); they may name the
    ``declared_policies`` (read from ``policy_tables``)."""
    by_name: dict[str, str | None] = {name: None for name in _policy_names(policy_tables)}
    by_name.update({p.policy.name.lower(): p.policy.arn for p in declared_policies})
    items = reader.tables(value, path)
    twice = _declared_twice(reader, items, "RoleName", "role")
    found = [_role(reader, item, where, account_id, by_name) for where, item in items]
    return tuple(r for r, (at, _) in zip(found, items, strict=True) if r and at not in twice)


def _declared_twice(
    reader: _Reader, items: list[tuple[Path, object]], key: str, kind: str
) -> set[Path]:
    """The items whose name (``key``) an earlier item has, whatever its case: each a problem."""
    seen: set[str] = set()
    twice: set[Path] = set()
    for where, item in items:
        name = item.get(key) if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name.lower() in seen:
            twice.add(where)
            reader.problem(
                (*where, key),
                f"{kind} {name} is declared twice (names are unique whatever their case)",
            )
        seen.add(name.lower())
    return twice


def _policy_names(value: object) -> list[str]:
    """The names (in lower case) the file's policies have, valid or not."""
    if not isinstance(value, list):
        return []
    return [
        item["PolicyName"].lower()
        for item in value
        if isinstance(item, dict) and isinstance(item.get("PolicyName"), str)
    ]


def _parsed(
    reader: _Reader, operation: str, table: dict[str, Any], names: tuple[str, ...], path: Path
) -> dict[str, Any]:
    """The members ``names`` of ``table`` that the model accepts, each checked on its own so that
    every refusal is told (and the operations' checks still run on the others)."""
    shape = input_shape("iam", operation)
    out: dict[str, Any] = {}
    for name in names:
        parsed = reader.members(shape, table, (name,), path, query=True)
        if parsed is not None:
            out.update(parsed)
    return out


def _document(
    reader: _Reader, table: dict[str, Any], key: str, path: Path, names: tuple[str, ...]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``table`` with its document ``key`` as JSON text, and the members to parse: a value that is
    no document is told, and not parsed (so that it is not told missing as well)."""
    if key not in table:
        return table, names
    text = document_text(table[key], (*path, key))
    if isinstance(text, Problem):
        reader.problems.append(text)
        return table, tuple(name for name in names if name != key)
    return {**table, key: text}, names


def _policy(reader: _Reader, value: object, path: Path, account_id: str) -> DeclaredPolicy | None:
    table = reader.table(value, path, POLICY_MEMBERS)
    if table is None:
        return None
    before = len(reader.problems)
    table, names = _document(reader, table, "PolicyDocument", path, POLICY_MEMBERS)
    params = _parsed(reader, "CreatePolicy", table, names, path)
    check = reader.operation_check
    document = params.get("PolicyDocument")
    if document is not None:
        check((*path, "PolicyDocument"), common.check_managed_document, document)
    tags = check(
        (*path, "Tags"),
        functools.partial(common.new_tags, ignore_case=False),
        params.get("Tags", []),
    )
    if len(reader.problems) > before or tags is None or document is None:
        return None
    now = reader.checks.now.replace(microsecond=0)
    name, iam_path = params["PolicyName"], params.get("Path", "/")
    policy = IamManagedPolicy(
        arn=common.policy_arn(reader.checks.partition, account_id, iam_path, name),
        account_id=account_id,
        name=name,
        path=iam_path,
        policy_id=common.new_unique_id("ANPA", account_id),
        created_at=now,
        updated_at=now,
        versions=(PolicyVersion("v1", document, now),),
        description=params.get("Description"),
        tags=tags,
    )
    return DeclaredPolicy(path, policy)


def _role(
    reader: _Reader,
    value: object,
    path: Path,
    account_id: str,
    policy_arns: Mapping[str, str | None],
) -> DeclaredRole | None:
    table = reader.table(value, path, (*ROLE_MEMBERS, INLINE_POLICIES, ATTACHED_POLICIES))
    if table is None:
        return None
    before = len(reader.problems)
    table, names = _document(reader, table, "AssumeRolePolicyDocument", path, ROLE_MEMBERS)
    boundary = table.get("PermissionsBoundary")
    if isinstance(boundary, str) and not boundary.startswith(ARN_PREFIX):
        named = _named_policy(reader, boundary, (*path, "PermissionsBoundary"), policy_arns)
        table = {k: v for k, v in table.items() if k != "PermissionsBoundary"}
        if named is not None:
            table["PermissionsBoundary"] = named
    params = _parsed(reader, "CreateRole", table, names, path)
    check = reader.operation_check
    trust = params.get("AssumeRolePolicyDocument")
    if trust is not None:
        check((*path, "AssumeRolePolicyDocument"), common.check_trust_policy, trust)
    tags = check(
        (*path, "Tags"),
        functools.partial(common.new_tags, ignore_case=True),
        params.get("Tags", []),
    )
    arn = params.get("PermissionsBoundary")
    if arn is not None:
        check((*path, "PermissionsBoundary"), common.policy_path_and_name, arn)
    inline = _inline_policies(reader, table.get(INLINE_POLICIES), (*path, INLINE_POLICIES))
    attached = _attached_policies(
        reader, table.get(ATTACHED_POLICIES), (*path, ATTACHED_POLICIES), policy_arns
    )
    if (
        len(reader.problems) > before
        or trust is None
        or tags is None
        or inline is None
        or attached is None
    ):
        return None
    named_at = list(attached.items())
    if arn is not None:
        named_at.append((arn, (*path, "PermissionsBoundary")))
    name, iam_path = params["RoleName"], params.get("Path", "/")
    role = IamRole(
        arn=common.role_arn(reader.checks.partition, account_id, iam_path, name),
        account_id=account_id,
        name=name,
        path=iam_path,
        role_id=common.new_unique_id("AROA", account_id),
        trust_policy=trust,
        created_at=reader.checks.now.replace(microsecond=0),
        description=params.get("Description"),
        max_session_duration=params.get("MaxSessionDuration", 3600),
        max_signin_session_duration=params.get("MaxSigninSessionDuration"),
        permissions_boundary=arn,
        tags=tags,
        inline_policies=inline,
        attached_policies=tuple(attached),
    )
    check((*path, INLINE_POLICIES), common.check_inline_total, role)
    return DeclaredRole(path, role, tuple(named_at)) if len(reader.problems) == before else None


def _inline_policies(reader: _Reader, value: object, path: Path) -> dict[str, str] | None:
    """Name to document text, each checked as ``PutRolePolicy`` checks it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        reader.problem(path, f"must be a table of policy names to documents, not {kind_of(value)}")
        return None
    shape = input_shape("iam", "PutRolePolicy")
    out: dict[str, str] = {}
    for name, document in value.items():
        where = (*path, name)
        found = model_problem(shape.members["PolicyName"], name, where, "policyName", query=True)
        text = document_text(document, where)
        if found is None and not isinstance(text, Problem):
            found = model_problem(
                shape.members["PolicyDocument"], text, where, "policyDocument", query=True
            )
        if isinstance(text, Problem):
            found = found or text
        if found is not None:
            reader.problems.append(found)
            continue
        assert isinstance(text, str)
        if reader.operation_check(where, common.checked_document, text, "identity") is not None:
            out[name] = text
    return out if len(out) == len(value) else None


def _attached_policies(
    reader: _Reader, value: object, path: Path, policy_arns: Mapping[str, str | None]
) -> dict[str, Path] | None:
    """The ARNs of the policies attached, in the file's order, with where each is named (each
    once, as attaching an attached policy again changes nothing)."""
    if value is None:
        return {}
    if not isinstance(value, list):
        reader.problem(path, f"must be an array of policy ARNs or names, not {kind_of(value)}")
        return None
    shape = input_shape("iam", "AttachRolePolicy").members["PolicyArn"]
    arns: dict[str, Path] = {}
    for index, item in enumerate(value):
        where = (*path, index)
        if not isinstance(item, str):
            reader.problem(where, f"must be a string (a policy ARN or name), not {kind_of(item)}")
            continue
        arn: str | None = item
        if not item.startswith(ARN_PREFIX):
            arn = _named_policy(reader, item, where, policy_arns)
        else:
            found = model_problem(shape, item, where, "policyArn", query=True)
            if found is not None:
                reader.problems.append(found)
                continue
            if reader.operation_check(where, common.policy_path_and_name, item) is None:
                continue
        if arn is not None:
            arns.setdefault(arn, where)
    if len(arns) > common.MAX_ATTACHED:
        reader.service_error(
            path,
            api.LimitExceededException(
                f"Cannot exceed quota for PoliciesPerRole: {common.MAX_ATTACHED}"
            ),
        )
        return None
    return arns


def _named_policy(
    reader: _Reader, name: str, path: Path, policy_arns: Mapping[str, str | None]
) -> str | None:
    """The ARN of the policy ``name`` (any case) the account declares; else a problem (but for a
    declared policy with problems of its own, told at the policy)."""
    if name.lower() in policy_arns:
        return policy_arns[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(policy_arns), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    reader.problem(
        path,
        f"no policy named {name!r} is declared in this account's policies{hint}: name one of"
        " them, or give the ARN of a policy of the account",
    )
    return None
