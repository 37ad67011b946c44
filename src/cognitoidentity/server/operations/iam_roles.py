"""The IAM role operations: create, read, list, update, delete and tag roles.

A role belongs to the caller's account (IAM is global: whatever region the request was signed
for). Its ARN holds its path (``arn:aws:iam::<account>:role/<path without its leading slash>
<name>``), its id is ``AROA…`` and carries the account (:func:`.iam_common.new_unique_id`), and its
name is unique in the account whatever its case; lookups by name ignore case too (**Choice**: IAM
does not say; names that differ only in case cannot coexist, so nothing is ambiguous).

Documents are checked when written (:mod:`.iam_common`): the trust policy must be a valid trust
policy (a ``Principal``, no ``Resource``) of at most 2,048 characters (``LimitExceeded`` "Cannot
exceed quota for ACLSizePerRole: 2048"); it is returned URL-encoded, as IAM returns it.

Role tag keys are case-insensitive: ``department=hr`` replaces ``Department=finance`` (IAM User
Guide, "Tagging IAM resources"). ``ListRoles`` lists oldest first (**Choice**: IAM documents no
order) and, as IAM's, without ``PermissionsBoundary``, ``RoleLastUsed`` and ``Tags``.
``RoleLastUsed`` is always empty: this server does not track use.
"""

from __future__ import annotations

from dataclasses import replace

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import iam_common as common
from cognitoidentity.server.store.base import (
    IamDeleteConflict,
    IamEntityMissing,
    IamRole,
    LimitReached,
    RoleMutation,
)

__all__ = [
    "create_role",
    "delete_role",
    "delete_role_permissions_boundary",
    "get_role",
    "list_role_tags",
    "list_roles",
    "put_role_permissions_boundary",
    "role_shape",
    "tag_role",
    "untag_role",
    "update_assume_role_policy",
    "update_role",
    "update_role_description",
]

DELETE_CONFLICTS = {
    "managed": "Cannot delete entity, must detach all policies first.",
    "inline": "Cannot delete entity, must delete policies first.",
}


def role_shape(role: IamRole, *, listed: bool = False) -> api.Role:
    """``role`` on the wire; ``listed``: as ``ListRoles`` shows it."""
    out: api.Role = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": common.encoded(role.trust_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        out["Description"] = role.description
    if role.max_signin_session_duration is not None:
        out["MaxSigninSessionDuration"] = role.max_signin_session_duration
    if listed:
        return out
    if role.permissions_boundary is not None:
        out["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": role.permissions_boundary,
        }
    if role.tags:
        out["Tags"] = common.tag_list(role.tags)
    return out


def no_such_boundary(arn: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(f"Scope ARN: {arn} does not exist or is not attachable.")


async def mutate_role(ctx: RequestContext, name: str, mutate: RoleMutation) -> IamRole:
    """Change the caller's role ``name`` atomically, else ``NoSuchEntity``."""
    role = await ctx.store.update_role(ctx.account_id, name, mutate)
    if role is None:
        raise common.no_such_role(name)
    return role


async def create_role(ctx: RequestContext, params: api.CreateRoleRequest) -> api.CreateRoleResponse:
    """ "Creates a new role for your Amazon Web Services account." The trust policy is checked
    (grammar, a trust policy's elements, size) before anything is stored; a permissions boundary
    must name a managed policy of the account."""
    document = params["AssumeRolePolicyDocument"]
    common.check_trust_policy(document)
    tags = common.new_tags(params.get("Tags", []), ignore_case=True)
    boundary = params.get("PermissionsBoundary")
    if boundary is not None:
        common.policy_path_and_name(boundary)
    path = params.get("Path", "/")
    name = params["RoleName"]
    role = IamRole(
        arn=common.role_arn(common.partition(ctx), ctx.account_id, path, name),
        account_id=ctx.account_id,
        name=name,
        path=path,
        role_id=common.new_unique_id("AROA", ctx.account_id),
        trust_policy=document,
        created_at=common.now(ctx),
        description=params.get("Description"),
        max_session_duration=params.get("MaxSessionDuration", 3600),
        max_signin_session_duration=params.get("MaxSigninSessionDuration"),
        permissions_boundary=boundary,
        tags=tags,
    )
    try:
        created = await ctx.store.create_role(role, max_roles=common.MAX_ROLES)
    except LimitReached as exc:
        raise api.LimitExceededException(
            f"Cannot exceed quota for RolesPerAccount: {common.MAX_ROLES}"
        ) from exc
    except IamEntityMissing as exc:
        raise no_such_boundary(boundary or "") from exc
    if not created:
        raise api.EntityAlreadyExistsException(f"Role with name {name} already exists.")
    return {"Role": role_shape(role)}


async def get_role(ctx: RequestContext, params: api.GetRoleRequest) -> api.GetRoleResponse:
    """ "Retrieves information about the specified role, including the role's path, GUID, ARN,
    and the role's trust policy that grants permission to assume the role." """
    role = await common.require_role(ctx, params["RoleName"])
    shape = role_shape(role)
    shape["RoleLastUsed"] = {}
    return {"Role": shape}


async def list_roles(ctx: RequestContext, params: api.ListRolesRequest) -> api.ListRolesResponse:
    """ "Lists the IAM roles that have the specified path prefix." Oldest first, ``MaxItems`` at
    most (default 100); the ``Marker`` continues after the last one."""
    page = await ctx.store.list_roles(
        ctx.account_id,
        path_prefix=params.get("PathPrefix", "/"),
        after=common.cursor(params.get("Marker")),
        limit=common.max_items(params.get("MaxItems")),
    )
    out: api.ListRolesResponse = {
        "Roles": [role_shape(role, listed=True) for role in page.items],
        "IsTruncated": page.after is not None,
    }
    if page.after is not None:
        out["Marker"] = str(page.after)
    return out


async def update_role(ctx: RequestContext, params: api.UpdateRoleRequest) -> api.UpdateRoleResponse:
    """ "Updates the description or maximum session duration setting of a role." Also
    ``MaxSigninSessionDuration`` (kept and shown, not used: this server has no console)."""
    name = params["RoleName"]
    reset = params.get("ResetMaxSigninSessionDuration", False)

    def change(role: IamRole) -> IamRole:
        signin = None if reset else role.max_signin_session_duration
        return replace(
            role,
            description=params.get("Description", role.description),
            max_session_duration=params.get("MaxSessionDuration", role.max_session_duration),
            max_signin_session_duration=params.get("MaxSigninSessionDuration", signin),
        )

    await mutate_role(ctx, name, change)
    return {}


async def update_role_description(
    ctx: RequestContext, params: api.UpdateRoleDescriptionRequest
) -> api.UpdateRoleDescriptionResponse:
    """ "Use UpdateRole instead." Changes the description; answers the role."""
    description = params["Description"]
    role = await mutate_role(
        ctx, params["RoleName"], lambda role: replace(role, description=description)
    )
    return {"Role": role_shape(role)}


async def update_assume_role_policy(
    ctx: RequestContext, params: api.UpdateAssumeRolePolicyRequest
) -> None:
    """ "Updates the policy that grants an IAM entity permission to assume a role." Checked as on
    creation; it counts from the next assume on, in every server process."""
    document = params["PolicyDocument"]
    common.check_trust_policy(document)
    await mutate_role(ctx, params["RoleName"], lambda role: replace(role, trust_policy=document))


async def delete_role(ctx: RequestContext, params: api.DeleteRoleRequest) -> None:
    """ "Deletes the specified role. Unlike the Amazon Web Services Management Console, when you
    delete a role programmatically, you must delete the items attached to the role manually, or
    the deletion fails": its attached managed policies (``DeleteConflict`` "Cannot delete entity,
    must detach all policies first."), then its inline policies ("Cannot delete entity, must
    delete policies first."). Sessions already issued for it keep their credentials until they
    expire, as on AWS; their permissions go with the role."""
    name = params["RoleName"]
    try:
        deleted = await ctx.store.delete_role(ctx.account_id, name)
    except IamDeleteConflict as exc:
        raise api.DeleteConflictException(DELETE_CONFLICTS[exc.reason]) from exc
    if not deleted:
        raise common.no_such_role(name)


async def put_role_permissions_boundary(
    ctx: RequestContext, params: api.PutRolePermissionsBoundaryRequest
) -> None:
    """ "Adds or updates the policy that is specified as the IAM role's permissions boundary." It
    must be a managed policy of the account (``NoSuchEntity`` "Scope ARN: <arn> does not exist or
    is not attachable.")."""
    arn = params["PermissionsBoundary"]
    common.policy_path_and_name(arn)
    try:
        await mutate_role(
            ctx, params["RoleName"], lambda role: replace(role, permissions_boundary=arn)
        )
    except IamEntityMissing as exc:
        raise no_such_boundary(arn) from exc


async def delete_role_permissions_boundary(
    ctx: RequestContext, params: api.DeleteRolePermissionsBoundaryRequest
) -> None:
    """ "Deletes the permissions boundary for the specified IAM role." """
    await mutate_role(
        ctx, params["RoleName"], lambda role: replace(role, permissions_boundary=None)
    )


async def tag_role(ctx: RequestContext, params: api.TagRoleRequest) -> None:
    """ "Adds one or more tags to an IAM role." A key the role has, in any case, takes the new
    key and value; beyond 50 tags, ``LimitExceeded`` and nothing changes."""
    tags = common.new_tags(params["Tags"], ignore_case=True)
    await mutate_role(
        ctx,
        params["RoleName"],
        lambda role: replace(role, tags=common.merged_tags(role.tags, tags, ignore_case=True)),
    )


async def untag_role(ctx: RequestContext, params: api.UntagRoleRequest) -> None:
    """ "Removes the specified tags from the role." Keys in any case; absent keys are ignored."""
    keys = params["TagKeys"]
    await mutate_role(
        ctx,
        params["RoleName"],
        lambda role: replace(role, tags=common.without_tags(role.tags, keys, ignore_case=True)),
    )


async def list_role_tags(
    ctx: RequestContext, params: api.ListRoleTagsRequest
) -> api.ListRoleTagsResponse:
    """ "Lists the tags that are attached to the specified role." In the order they were added."""
    role = await common.require_role(ctx, params["RoleName"])
    items, marker = common.offset_page(
        common.tag_list(role.tags), params.get("Marker"), params.get("MaxItems")
    )
    out: api.ListRoleTagsResponse = {"Tags": items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out
