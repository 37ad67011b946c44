"""The IAM customer managed policy operations: policies, their versions and their tags.

A managed policy belongs to the caller's account (``arn:aws:iam::<account>:policy<path><name>``,
id ``ANPA…``); names are unique in the account whatever their case ("A policy called <name>
already exists. Duplicate names are not allowed."). Documents are identity policies of version
2012-10-17 ("Policy document must be version 2012-10-17 or greater.") of at most 6,144
characters ("Cannot exceed quota for PolicySize: 6144"), returned URL-encoded.

Versions: CreatePolicy makes ``v1``, the default; CreatePolicyVersion numbers ``v2``, ``v3``...
and never reuses a number; at most 5 ("A managed policy can have up to 5 versions. Before you
create a new version, you must delete an existing version."). The default changes only through
``SetAsDefault``/SetDefaultPolicyVersion and cannot be deleted ("Cannot delete the default
version of a policy."); it counts from the next decision on, in every server process.
``UpdateDate`` is when the newest version was created (IAM: "When a policy has more than one
version, this field contains the date and time when the most recent policy version was
created."). ListPolicyVersions lists the newest first, as IAM shows them.

DeletePolicy refuses while the policy is attached to a role or is a role's permissions boundary
("Cannot delete a policy attached to entities."), then while it has other versions than the
default ("This policy has more than one version. Before you delete a policy, you must delete the
policy's versions. The default version is deleted with the policy.").

ListPolicies: ``Scope`` ``AWS`` lists nothing (this server holds no AWS-managed policies); oldest
first; ``OnlyAttached`` keeps the policies in use, attached (``PolicyUsageFilter``
PermissionsPolicy), as a permissions boundary (PermissionsBoundary) or either (no filter).
**Choice**: without ``OnlyAttached`` the usage filter keeps every policy, since any customer
managed policy may serve either way. As IAM's, the list shows neither ``Description`` nor
``Tags``. Managed policy tag keys are case-sensitive (IAM User Guide, "Tagging IAM resources").
"""

from __future__ import annotations

from dataclasses import replace

from cognitoidentity.server.api import iam as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations import iam_common as common
from cognitoidentity.server.store.base import (
    IamDeleteConflict,
    IamManagedPolicy,
    LimitReached,
    PolicyMutation,
    PolicyVersion,
)

__all__ = [
    "create_policy",
    "create_policy_version",
    "delete_policy",
    "delete_policy_version",
    "get_policy",
    "get_policy_version",
    "list_policies",
    "list_policy_tags",
    "list_policy_versions",
    "policy_shape",
    "require_policy",
    "set_default_policy_version",
    "tag_policy",
    "untag_policy",
]

DELETE_CONFLICTS = {
    "attached": "Cannot delete a policy attached to entities.",
    "versions": "This policy has more than one version. Before you delete a policy, you must"
    " delete the policy's versions. The default version is deleted with the policy.",
}
TOO_MANY_VERSIONS = (
    f"A managed policy can have up to {common.MAX_VERSIONS} versions. Before you create a new"
    " version, you must delete an existing version."
)


def policy_shape(policy: IamManagedPolicy, *, listed: bool = False) -> api.Policy:
    """``policy`` on the wire; ``listed``: as ``ListPolicies`` shows it."""
    out: api.Policy = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": policy.boundary_usage_count,
        "IsAttachable": True,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if listed:
        return out
    if policy.description is not None:
        out["Description"] = policy.description
    if policy.tags:
        out["Tags"] = common.tag_list(policy.tags)
    return out


def _version_shape(policy: IamManagedPolicy, version: PolicyVersion) -> api.PolicyVersion:
    return {
        "Document": common.encoded(version.document),
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == policy.default_version_id,
        "CreateDate": version.created_at,
    }


def _not_found(arn: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(f"Policy {arn} was not found.")


def _no_such_version(arn: str, version_id: str) -> api.NoSuchEntityException:
    return api.NoSuchEntityException(
        f"Policy {arn} version {version_id} does not exist or is not attachable."
    )


async def require_policy(ctx: RequestContext, arn: str) -> IamManagedPolicy:
    """The caller's managed policy ``arn``, else ``NoSuchEntity`` (``InvalidInput`` for a string
    that is no policy ARN)."""
    common.policy_path_and_name(arn)
    policy = await ctx.store.get_policy(ctx.account_id, arn)
    if policy is None:
        raise _not_found(arn)
    return policy


async def _mutate(ctx: RequestContext, arn: str, mutate: PolicyMutation) -> IamManagedPolicy:
    common.policy_path_and_name(arn)
    policy = await ctx.store.update_policy(ctx.account_id, arn, mutate)
    if policy is None:
        raise _not_found(arn)
    return policy


def _version(policy: IamManagedPolicy, version_id: str) -> PolicyVersion:
    for version in policy.versions:
        if version.version_id == version_id:
            return version
    raise _no_such_version(policy.arn, version_id)


# -- policies --------------------------------------------------------------------------------------
async def create_policy(
    ctx: RequestContext, params: api.CreatePolicyRequest
) -> api.CreatePolicyResponse:
    """ "Creates a new managed policy for your Amazon Web Services account. This operation
    creates a policy version with a version identifier of v1 and sets v1 as the policy's default
    version." """
    document = params["PolicyDocument"]
    common.check_managed_document(document)
    tags = common.new_tags(params.get("Tags", []), ignore_case=False)
    name, path = params["PolicyName"], params.get("Path", "/")
    created = common.now(ctx)
    policy = IamManagedPolicy(
        arn=common.policy_arn(common.partition(ctx), ctx.account_id, path, name),
        account_id=ctx.account_id,
        name=name,
        path=path,
        policy_id=common.new_unique_id("ANPA", ctx.account_id),
        created_at=created,
        updated_at=created,
        versions=(PolicyVersion("v1", document, created),),
        description=params.get("Description"),
        tags=tags,
    )
    try:
        stored = await ctx.store.create_policy(policy, max_policies=common.MAX_POLICIES)
    except LimitReached as exc:
        raise api.LimitExceededException(
            f"Cannot exceed quota for PoliciesPerAccount: {common.MAX_POLICIES}"
        ) from exc
    if not stored:
        raise api.EntityAlreadyExistsException(
            f"A policy called {name} already exists. Duplicate names are not allowed."
        )
    return {"Policy": policy_shape(policy)}


async def get_policy(ctx: RequestContext, params: api.GetPolicyRequest) -> api.GetPolicyResponse:
    """ "Retrieves information about the specified managed policy, including the policy's default
    version and the total number of IAM users, groups, and roles to which the policy is
    attached." """
    return {"Policy": policy_shape(await require_policy(ctx, params["PolicyArn"]))}


async def delete_policy(ctx: RequestContext, params: api.DeletePolicyRequest) -> None:
    """ "Deletes the specified managed policy." See the module doc for when it refuses."""
    arn = params["PolicyArn"]
    common.policy_path_and_name(arn)
    try:
        deleted = await ctx.store.delete_policy(ctx.account_id, arn)
    except IamDeleteConflict as exc:
        raise api.DeleteConflictException(DELETE_CONFLICTS[exc.reason]) from exc
    if not deleted:
        raise _not_found(arn)


async def list_policies(
    ctx: RequestContext, params: api.ListPoliciesRequest
) -> api.ListPoliciesResponse:
    """ "Lists all the managed policies that are available in your Amazon Web Services account,
    including your own customer-defined managed policies and all Amazon Web Services managed
    policies." Here, the account's own (see the module doc)."""
    after = common.cursor(params.get("Marker"))
    if params.get("Scope", "All") == "AWS":
        return {"Policies": [], "IsTruncated": False}
    page = await ctx.store.list_policies(
        ctx.account_id,
        path_prefix=params.get("PathPrefix", "/"),
        attached=params.get("OnlyAttached", False),
        usage=params.get("PolicyUsageFilter"),
        after=after,
        limit=common.max_items(params.get("MaxItems")),
    )
    out: api.ListPoliciesResponse = {
        "Policies": [policy_shape(p, listed=True) for p in page.items],
        "IsTruncated": page.after is not None,
    }
    if page.after is not None:
        out["Marker"] = str(page.after)
    return out


async def tag_policy(ctx: RequestContext, params: api.TagPolicyRequest) -> None:
    """ "Adds one or more tags to an IAM customer managed policy." An existing key (same case)
    takes the new value."""
    tags = common.new_tags(params["Tags"], ignore_case=False)
    await _mutate(
        ctx,
        params["PolicyArn"],
        lambda p: replace(p, tags=common.merged_tags(p.tags, tags, ignore_case=False)),
    )


async def untag_policy(ctx: RequestContext, params: api.UntagPolicyRequest) -> None:
    """ "Removes the specified tags from the customer managed policy." """
    keys = params["TagKeys"]
    await _mutate(
        ctx,
        params["PolicyArn"],
        lambda p: replace(p, tags=common.without_tags(p.tags, keys, ignore_case=False)),
    )


async def list_policy_tags(
    ctx: RequestContext, params: api.ListPolicyTagsRequest
) -> api.ListPolicyTagsResponse:
    """ "Lists the tags that are attached to the specified IAM customer managed policy." """
    policy = await require_policy(ctx, params["PolicyArn"])
    items, marker = common.offset_page(
        common.tag_list(policy.tags), params.get("Marker"), params.get("MaxItems")
    )
    out: api.ListPolicyTagsResponse = {"Tags": items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


# -- versions --------------------------------------------------------------------------------------
async def create_policy_version(
    ctx: RequestContext, params: api.CreatePolicyVersionRequest
) -> api.CreatePolicyVersionResponse:
    """ "Creates a new version of the specified managed policy." """
    document = params["PolicyDocument"]
    common.check_managed_document(document)
    default = params.get("SetAsDefault", False)
    created = common.now(ctx)
    made: list[PolicyVersion] = []

    def add(policy: IamManagedPolicy) -> IamManagedPolicy:
        if len(policy.versions) >= common.MAX_VERSIONS:
            raise api.LimitExceededException(TOO_MANY_VERSIONS)
        version = PolicyVersion(f"v{policy.next_version}", document, created)
        made[:] = [version]
        return replace(
            policy,
            versions=(*policy.versions, version),
            next_version=policy.next_version + 1,
            default_version_id=version.version_id if default else policy.default_version_id,
            updated_at=created,
        )

    policy = await _mutate(ctx, params["PolicyArn"], add)
    return {"PolicyVersion": _version_shape(policy, made[0])}


async def get_policy_version(
    ctx: RequestContext, params: api.GetPolicyVersionRequest
) -> api.GetPolicyVersionResponse:
    """ "Retrieves information about the specified version of the specified managed policy,
    including the policy document." """
    policy = await require_policy(ctx, params["PolicyArn"])
    return {"PolicyVersion": _version_shape(policy, _version(policy, params["VersionId"]))}


async def list_policy_versions(
    ctx: RequestContext, params: api.ListPolicyVersionsRequest
) -> api.ListPolicyVersionsResponse:
    """ "Lists information about the versions of the specified managed policy, including the
    version that is currently set as the policy's default version." Newest first."""
    policy = await require_policy(ctx, params["PolicyArn"])
    versions = [_version_shape(policy, v) for v in reversed(policy.versions)]
    items, marker = common.offset_page(versions, params.get("Marker"), params.get("MaxItems"))
    out: api.ListPolicyVersionsResponse = {"Versions": items, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


async def delete_policy_version(
    ctx: RequestContext, params: api.DeletePolicyVersionRequest
) -> None:
    """ "Deletes the specified version from the specified managed policy. You cannot delete the
    default version from a policy using this operation." """
    version_id = params["VersionId"]

    def delete(policy: IamManagedPolicy) -> IamManagedPolicy:
        _version(policy, version_id)
        if version_id == policy.default_version_id:
            raise api.DeleteConflictException("Cannot delete the default version of a policy.")
        kept = tuple(v for v in policy.versions if v.version_id != version_id)
        return replace(policy, versions=kept, updated_at=max(v.created_at for v in kept))

    await _mutate(ctx, params["PolicyArn"], delete)


async def set_default_policy_version(
    ctx: RequestContext, params: api.SetDefaultPolicyVersionRequest
) -> None:
    """ "Sets the specified version of the specified policy as the policy's default (operative)
    version." """
    version_id = params["VersionId"]

    def choose(policy: IamManagedPolicy) -> IamManagedPolicy:
        _version(policy, version_id)
        return replace(policy, default_version_id=version_id)

    await _mutate(ctx, params["PolicyArn"], choose)
