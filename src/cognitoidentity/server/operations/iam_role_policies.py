"""A role's permissions: its inline policies (put, get, delete, list) and the managed policies
attached to it (attach, detach, list).

Inline policies are identity policies (no ``Principal``: "Policy document should not specify a
principal."), checked when put; all of a role's inline policies together may hold 10,240
characters ("Maximum policy size of 10240 bytes exceeded for role <name>"), counted with the new
one replacing any of the same name, in the same transaction as the write. Their names are listed
in alphabetical order (**Choice**: IAM documents no order; sorted is what it shows).

At most 10 managed policies per role ("Cannot exceed quota for PoliciesPerRole: 10"); attaching
one already attached changes nothing, as IAM. The policy must be a managed policy of the account:
``NoSuchEntity`` "Policy <arn> does not exist or is not attachable." (this server holds no
AWS-managed policies). Attachments and deletions of the policy are ordered by the store, so an
attachment never outlives its policy.
"""

from __future__ import annotations

from dataclasses import replace

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import iam_common as common
from cognitoidentity.server.operations.iam_roles import mutate_role
from cognitoidentity.server.store.base import IamEntityMissing, IamRole, LimitReached

__all__ = [
    "attach_role_policy",
    "delete_role_policy",
    "detach_role_policy",
    "get_role_policy",
    "list_attached_role_policies",
    "list_role_policies",
    "put_role_policy",
]


def _no_such_policy(name: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(f"The role policy with name {name} cannot be found.")


async def put_role_policy(ctx: RequestContext, params: api.PutRolePolicyRequest) -> None:
    """ "Adds or updates an inline policy document that is embedded in the specified IAM role."
    A policy of the same name is replaced."""
    name, document = params["PolicyName"], params["PolicyDocument"]
    common.checked_document(document, "identity")

    def put(role: IamRole) -> IamRole:
        inline = dict(role.inline_policies)
        inline[name] = document
        new = replace(role, inline_policies=inline)
        common.check_inline_total(new)
        return new

    await mutate_role(ctx, params["RoleName"], put)


async def get_role_policy(
    ctx: RequestContext, params: api.GetRolePolicyRequest
) -> api.GetRolePolicyResponse:
    """ "Retrieves the specified inline policy document that is embedded with the specified IAM
    role." The document URL-encoded, as IAM returns it."""
    role = await common.require_role(ctx, params["RoleName"])
    name = params["PolicyName"]
    document = role.inline_policies.get(name)
    if document is None:
        raise _no_such_policy(name)
    return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": common.encoded(document)}


async def delete_role_policy(ctx: RequestContext, params: api.DeleteRolePolicyRequest) -> None:
    """ "Deletes the specified inline policy that is embedded in the specified IAM role." """
    name = params["PolicyName"]

    def delete(role: IamRole) -> IamRole:
        if name not in role.inline_policies:
            raise _no_such_policy(name)
        return replace(
            role, inline_policies={k: v for k, v in role.inline_policies.items() if k != name}
        )

    await mutate_role(ctx, params["RoleName"], delete)


async def list_role_policies(
    ctx: RequestContext, params: api.ListRolePoliciesRequest
) -> api.ListRolePoliciesResponse:
    """ "Lists the names of the inline policies that are embedded in the specified IAM role." """
    role = await common.require_role(ctx, params["RoleName"])
    names, marker = common.offset_page(
        sorted(role.inline_policies), params.get("Marker"), params.get("MaxItems")
    )
    out: api.ListRolePoliciesResponse = {"PolicyNames": names, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


async def attach_role_policy(ctx: RequestContext, params: api.AttachRolePolicyRequest) -> None:
    """ "Attaches the specified managed policy to the specified IAM role." """
    name, arn = params["RoleName"], params["PolicyArn"]
    common.policy_path_and_name(arn)
    try:
        await ctx.store.attach_role_policy(
            ctx.account_id, name, arn, max_attached=common.MAX_ATTACHED
        )
    except IamEntityMissing as exc:
        if exc.entity == "role":
            raise common.no_such_role(name) from exc
        raise api.NoSuchEntityException(
            f"Policy {arn} does not exist or is not attachable."
        ) from exc
    except LimitReached as exc:
        raise api.LimitExceededException(
            f"Cannot exceed quota for PoliciesPerRole: {common.MAX_ATTACHED}"
        ) from exc


async def detach_role_policy(ctx: RequestContext, params: api.DetachRolePolicyRequest) -> None:
    """ "Removes the specified managed policy from the specified role." One not attached to it
    is ``NoSuchEntity`` "Policy <arn> was not found." """
    name, arn = params["RoleName"], params["PolicyArn"]
    common.policy_path_and_name(arn)
    try:
        await ctx.store.detach_role_policy(ctx.account_id, name, arn)
    except IamEntityMissing as exc:
        if exc.entity == "role":
            raise common.no_such_role(name) from exc
        raise api.NoSuchEntityException(f"Policy {arn} was not found.") from exc


async def list_attached_role_policies(
    ctx: RequestContext, params: api.ListAttachedRolePoliciesRequest
) -> api.ListAttachedRolePoliciesResponse:
    """ "Lists all managed policies that are attached to the specified IAM role", in the order
    they were attached; with ``PathPrefix``, those whose path starts with it."""
    role = await common.require_role(ctx, params["RoleName"])
    prefix = params.get("PathPrefix", "/")
    attached: list[api.AttachedPolicy] = []
    for arn in role.attached_policies:
        path, policy_name = common.policy_path_and_name(arn)
        if path.startswith(prefix):
            attached.append({"PolicyName": policy_name, "PolicyArn": arn})
    items, marker = common.offset_page(attached, params.get("Marker"), params.get("MaxItems"))
    out: api.ListAttachedRolePoliciesResponse = {
        "AttachedPolicies": items,
        "IsTruncated": marker is not None,
    }
    if marker is not None:
        out["Marker"] = marker
    return out
