"""IAM's policy simulator and its context keys: SimulatePrincipalPolicy, SimulateCustomPolicy,
GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy, answered by the policy engine
(:mod:`cognitoidentity.server.policy`) as decisions are made everywhere else in this server.

The principal is a role of the caller's account (this server has no IAM users or groups: their
ARNs are ``NoSuchEntity``); its policies are its inline policies (``SourcePolicyType`` "role",
``SourcePolicyId`` the policy's name), the default versions of its attached managed policies
("user-managed", the policy's name) and any ``PolicyInputList`` documents ("none",
"PolicyInputList.<n>", 1-based), less those named in ``PolicyExclusionList``. Its permissions
boundary, or the ``PermissionsBoundaryPolicyInputList`` given, must allow too; then
``PermissionsBoundaryDecisionDetail`` says whether it did.

One result per action and resource (``ResourceArns`` default ``*``), in that order, paged with
``Marker``/``MaxItems`` (default 100). ``MatchedStatements`` are the statements that decided (the
Denies of an explicit deny, the Allows of an allow, none for an implicit deny), with their
positions in the document; ``MissingContextValues`` the condition keys that relevant statements
needed and ``ContextEntries`` lacked. A result for a named resource repeats its decision in
``ResourceSpecificResults`` (what newer clients read) and keeps the missing keys there, as IAM
does. **Choice**: ``ResourcePolicy`` is checked but not evaluated (IAM does not simulate
resource policies for roles either), and ``CallerArn``, ``ResourceOwner`` and
``ResourceHandlingOption`` are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import iam_common as common
from cognitoidentity.server.policy import (
    ContextValue,
    Decision,
    Policy,
    PolicyError,
    PolicyKind,
    Request,
    context_keys,
    evaluate,
    parse_policy,
)
from cognitoidentity.server.store.base import IamRole

__all__ = [
    "get_context_keys_for_custom_policy",
    "get_context_keys_for_principal_policy",
    "simulate_custom_policy",
    "simulate_principal_policy",
]

_PRINCIPAL_KINDS = ("role", "user", "group")


def _parsed(
    text: str, source_id: str, source_type: str = "none", kind: PolicyKind = "identity"
) -> Policy:
    """A supplied document; one that is no valid policy is ``InvalidInput`` (the operations model
    no other error for it)."""
    try:
        return parse_policy(text, kind=kind, source_id=source_id, source_type=source_type)
    except PolicyError as exc:
        raise api.InvalidInputException(f"{source_id}: {exc.message}") from exc


def _inputs(texts: Sequence[str], list_name: str) -> list[Policy]:
    return [_parsed(text, f"{list_name}.{n}") for n, text in enumerate(texts, start=1)]


async def _principal(ctx: RequestContext, arn: str) -> IamRole:
    """The role ``PolicySourceArn`` names in the caller's account, else ``NoSuchEntity``."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or "/" not in parts[5]:
        raise api.InvalidInputException(f"ARN {arn} is not valid.")
    kind, _, rest = parts[5].partition("/")
    name = rest.rsplit("/", 1)[-1]
    if kind not in _PRINCIPAL_KINDS:
        raise api.InvalidInputException(
            f"PolicySourceArn {arn} must name a user, a group or a role."
        )
    role = await ctx.store.get_role_by_arn(ctx.account_id, arn) if kind == "role" else None
    if role is None:
        raise api.NoSuchEntityException(f"The {kind} with name {name} cannot be found.")
    return role


async def _role_policies(
    ctx: RequestContext, role: IamRole, excluded: Sequence[api.PolicyIdentifier] = ()
) -> tuple[list[Policy], list[Policy] | None]:
    """The role's permission policies and its boundary (None without one), less ``excluded``."""
    inline_out = {
        e["InlinePolicyIdentifier"]["PolicyName"] for e in excluded if "InlinePolicyIdentifier" in e
    }
    arns_out = {e["PolicyArn"] for e in excluded if "PolicyArn" in e}
    policies = [
        _stored(text, name, "role")
        for name, text in sorted(role.inline_policies.items())
        if name not in inline_out
    ]
    for arn in role.attached_policies:
        managed = await ctx.store.get_policy(ctx.account_id, arn)
        if managed is not None and arn not in arns_out:
            policies.append(_stored(managed.default_version.document, managed.name, "user-managed"))
    boundary: list[Policy] | None = None
    if role.permissions_boundary is not None:
        managed = await ctx.store.get_policy(ctx.account_id, role.permissions_boundary)
        boundary = (
            [_stored(managed.default_version.document, managed.name, "user-managed")]
            if managed is not None
            else []
        )
    return policies, boundary


def _stored(text: str, source_id: str, source_type: str) -> Policy:
    """A stored document (validated when written; one that no longer parses allows nothing)."""
    try:
        return parse_policy(text, kind="identity", source_id=source_id, source_type=source_type)
    except PolicyError:
        return Policy(source_id, source_type, text, statements=())


def _context(entries: Sequence[api.ContextEntry]) -> dict[str, ContextValue]:
    """``ContextEntries`` as the engine's request context: list types as lists of strings."""
    context: dict[str, ContextValue] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise api.InvalidInputException("A context entry must have a ContextKeyName.")
        values = list(entry.get("ContextKeyValues", []))
        many = entry.get("ContextKeyType", "string").endswith("List") or len(values) != 1
        context[name] = values if many else values[0]
    return context


def _statements(decision: Decision) -> list[api.Statement]:
    return [
        {
            "SourcePolicyId": match.policy.source_id,
            "SourcePolicyType": cast(api.PolicySourceType, match.policy.source_type),
            "StartPosition": {"Line": match.statement.start[0], "Column": match.statement.start[1]},
            "EndPosition": {"Line": match.statement.end[0], "Column": match.statement.end[1]},
        }
        for match in decision.matched
    ]


def _results(
    actions: Sequence[str],
    resources: Sequence[str],
    context: dict[str, ContextValue],
    policies: Sequence[Policy],
    boundary: Sequence[Policy] | None,
) -> list[api.EvaluationResult]:
    out: list[api.EvaluationResult] = []
    for action in actions:
        for resource in resources:
            request = Request(action=action, resource=resource, context=context)
            decision = evaluate(request, policies, boundary=boundary)
            matched = _statements(decision)
            missing = list(decision.missing_context)
            result: api.EvaluationResult = {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decision.outcome,
                "MatchedStatements": matched,
                "MissingContextValues": missing if resource == "*" else [],
            }
            if boundary is not None:
                allowed = evaluate(request, boundary).allowed
                result["PermissionsBoundaryDecisionDetail"] = {
                    "AllowedByPermissionsBoundary": allowed
                }
            if resource != "*":
                result["ResourceSpecificResults"] = [
                    {
                        "EvalResourceName": resource,
                        "EvalResourceDecision": decision.outcome,
                        "MatchedStatements": matched,
                        "MissingContextValues": missing,
                    }
                ]
            out.append(result)
    return out


def _page(
    results: list[api.EvaluationResult], marker: str | None, max_items: int | None
) -> api.SimulatePolicyResponse:
    items, next_marker = common.offset_page(results, marker, max_items)
    out: api.SimulatePolicyResponse = {
        "EvaluationResults": items,
        "IsTruncated": next_marker is not None,
    }
    if next_marker is not None:
        out["Marker"] = next_marker
    return out


def _check_resource_policy(text: str | None) -> None:
    if text is not None:
        _parsed(text, "ResourcePolicy", kind="resource")


async def simulate_principal_policy(
    ctx: RequestContext, params: api.SimulatePrincipalPolicyRequest
) -> api.SimulatePolicyResponse:
    """ "Simulate how a set of IAM policies attached to an IAM entity works with a list of API
    operations and Amazon Web Services resources to determine the policies' effective
    permissions." """
    role = await _principal(ctx, params["PolicySourceArn"])
    policies, boundary = await _role_policies(ctx, role, params.get("PolicyExclusionList", []))
    policies += _inputs(params.get("PolicyInputList", []), "PolicyInputList")
    given = params.get("PermissionsBoundaryPolicyInputList")
    if given:
        boundary = _inputs(given, "PermissionsBoundaryPolicyInputList")
    _check_resource_policy(params.get("ResourcePolicy"))
    results = _results(
        params["ActionNames"],
        params.get("ResourceArns") or ["*"],
        _context(params.get("ContextEntries", [])),
        policies,
        boundary,
    )
    return _page(results, params.get("Marker"), params.get("MaxItems"))


async def simulate_custom_policy(
    ctx: RequestContext, params: api.SimulateCustomPolicyRequest
) -> api.SimulatePolicyResponse:
    """ "Simulate how a set of IAM policies and optionally a resource-based policy works with a
    list of API operations and Amazon Web Services resources to determine the policies' effective
    permissions." """
    policies = _inputs(params["PolicyInputList"], "PolicyInputList")
    given = params.get("PermissionsBoundaryPolicyInputList")
    boundary = _inputs(given, "PermissionsBoundaryPolicyInputList") if given else None
    _check_resource_policy(params.get("ResourcePolicy"))
    results = _results(
        params["ActionNames"],
        params.get("ResourceArns") or ["*"],
        _context(params.get("ContextEntries", [])),
        policies,
        boundary,
    )
    return _page(results, params.get("Marker"), params.get("MaxItems"))


async def get_context_keys_for_principal_policy(
    ctx: RequestContext, params: api.GetContextKeysForPrincipalPolicyRequest
) -> api.GetContextKeysForPolicyResponse:
    """ "Gets a list of all of the context keys referenced in all the IAM policies that are
    attached to the specified IAM entity", and in ``PolicyInputList``: in order of first
    appearance, each once."""
    role = await _principal(ctx, params["PolicySourceArn"])
    policies, _ = await _role_policies(ctx, role)
    policies += _inputs(params.get("PolicyInputList", []), "PolicyInputList")
    return {"ContextKeyNames": context_keys(policies)}


async def get_context_keys_for_custom_policy(
    ctx: RequestContext, params: api.GetContextKeysForCustomPolicyRequest
) -> api.GetContextKeysForPolicyResponse:
    """ "Gets a list of all of the context keys referenced in the input policies." """
    policies = _inputs(params["PolicyInputList"], "PolicyInputList")
    return {"ContextKeyNames": context_keys(policies)}
