"""TagResource, UntagResource, ListTagsForResource, and the tag rules shared with pool creation.

"Each tag consists of a key and value ... Maximum number of tags per resource: 50. Maximum key
length: 128 Unicode characters. Maximum value length: 256 Unicode characters. Allowed characters:
letters, spaces, and numbers representable in UTF-8, plus the following characters: + - = . _ : / @.
Tag keys and values are case-sensitive. Don't use the aws: prefix." (Amazon Cognito Developer Guide,
Tagging Amazon Cognito resources)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import regex

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations.lookups import pool_not_found, visible
from cognitoidentity.server.store.base import IdentityPool

MAX_TAGS = 50
_TAG_TEXT = regex.compile(r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*")
_POOL_ARN = regex.compile(
    r"arn:(?P<partition>aws[\w-]*):cognito-identity:(?P<region>[\w-]+):(?P<account>\d{12})"
    r":identitypool/(?P<pool>[\w-]+:[0-9a-f-]+)"
)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def pool_arn(pool: IdentityPool) -> str:
    return (
        f"arn:{partition_of(pool.region)}:cognito-identity:{pool.region}:{pool.account_id}"
        f":identitypool/{pool.pool_id}"
    )


def check_tags(tags: Mapping[str, str]) -> None:
    """Reject tags the service would refuse (the model only checks lengths)."""
    for key, value in tags.items():
        if key.lower().startswith("aws:"):
            raise api.InvalidParameterException(
                f"Tag key '{key}' is invalid: the aws: prefix is reserved for AWS use."
            )
        if not _TAG_TEXT.fullmatch(key) or not _TAG_TEXT.fullmatch(value):
            raise api.InvalidParameterException(
                f"Tag '{key}' is invalid: keys and values may contain only letters, numbers, "
                "spaces and the characters + - = . _ : / @"
            )
    if len(tags) > MAX_TAGS:
        raise api.InvalidParameterException(
            f"The number of tags exceeds the maximum of {MAX_TAGS} tags per identity pool."
        )


async def _pool_by_arn(ctx: RequestContext, arn: str) -> IdentityPool:
    match = _POOL_ARN.fullmatch(arn)
    if match is None:
        raise api.InvalidParameterException(f"Invalid ARN: {arn}")
    pool = await ctx.store.get_pool(match["pool"])
    if (
        pool is None
        or not visible(ctx, pool)
        or match["account"] != pool.account_id
        or match["region"] != pool.region
    ):
        raise pool_not_found(match["pool"])
    return pool


async def tag_resource(
    ctx: RequestContext, params: api.TagResourceInput
) -> api.TagResourceResponse:
    """ "Assigns a set of tags to the specified Amazon Cognito identity pool." Existing keys are
    overwritten."""
    pool = await _pool_by_arn(ctx, params["ResourceArn"])

    def add(current: IdentityPool) -> IdentityPool:
        merged = {**current.tags, **params["Tags"]}
        check_tags(merged)
        return _with_tags(current, merged)

    if await ctx.store.update_pool(pool.pool_id, add) is None:
        raise pool_not_found(pool.pool_id)
    return {}


async def untag_resource(
    ctx: RequestContext, params: api.UntagResourceInput
) -> api.UntagResourceResponse:
    """ "Removes the specified tags from the specified Amazon Cognito identity pool." Keys that are
    not present are ignored."""
    pool = await _pool_by_arn(ctx, params["ResourceArn"])
    remove = set(params["TagKeys"])

    def drop(current: IdentityPool) -> IdentityPool:
        return _with_tags(current, {k: v for k, v in current.tags.items() if k not in remove})

    if await ctx.store.update_pool(pool.pool_id, drop) is None:
        raise pool_not_found(pool.pool_id)
    return {}


async def list_tags_for_resource(
    ctx: RequestContext, params: api.ListTagsForResourceInput
) -> api.ListTagsForResourceResponse:
    """ "Lists the tags that are assigned to an Amazon Cognito identity pool." """
    pool = await _pool_by_arn(ctx, params["ResourceArn"])
    return {"Tags": dict(pool.tags)}


def _with_tags(pool: IdentityPool, tags: dict[str, str]) -> IdentityPool:
    return replace(pool, tags=tags)
