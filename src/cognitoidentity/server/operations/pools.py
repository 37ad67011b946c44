"""Identity pools: CreateIdentityPool, DescribeIdentityPool, UpdateIdentityPool, DeleteIdentityPool,
ListIdentityPools."""

from __future__ import annotations

import re
from dataclasses import replace

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations.lookups import pool_not_found, require_pool
from cognitoidentity.server.operations.tags import check_tags
from cognitoidentity.server.pagination import decode_token, encode_token
from cognitoidentity.server.store.base import CognitoProvider, IdentityPool, LimitReached, Store

MAX_POOLS_MESSAGE = (
    "You have reached the maximum number of identity pools ({limit}) for this account."
)


def pool_output(pool: IdentityPool) -> api.IdentityPool:
    """The wire form. ``AllowClassicFlow`` is omitted while it was never set, as AWS does."""
    out: api.IdentityPool = {
        "IdentityPoolId": pool.pool_id,
        "IdentityPoolName": pool.name,
        "AllowUnauthenticatedIdentities": pool.allow_unauthenticated,
        "SupportedLoginProviders": dict(pool.supported_login_providers),
        "IdentityPoolTags": dict(pool.tags),
    }
    if pool.allow_classic_flow is not None:
        out["AllowClassicFlow"] = pool.allow_classic_flow
    if pool.developer_provider_name is not None:
        out["DeveloperProviderName"] = pool.developer_provider_name
    if pool.openid_connect_provider_arns:
        out["OpenIdConnectProviderARNs"] = list(pool.openid_connect_provider_arns)
    if pool.cognito_identity_providers:
        out["CognitoIdentityProviders"] = [
            {
                "ProviderName": p.provider_name,
                "ClientId": p.client_id,
                "ServerSideTokenCheck": p.server_side_token_check,
            }
            for p in pool.cognito_identity_providers
        ]
    if pool.saml_provider_arns:
        out["SamlProviderARNs"] = list(pool.saml_provider_arns)
    return out


def configured_pool(
    pool: IdentityPool, params: api.CreateIdentityPoolInput | api.IdentityPool
) -> IdentityPool:
    """``pool`` with every configurable field taken from ``params``: "If you don't provide a value
    for a parameter, Amazon Cognito sets it to its default value." Raises
    ``InvalidParameterException`` for a Cognito provider that is not a user pool's."""
    return replace(
        pool,
        name=params["IdentityPoolName"],
        allow_unauthenticated=params["AllowUnauthenticatedIdentities"],
        allow_classic_flow=params.get("AllowClassicFlow"),
        supported_login_providers=dict(params.get("SupportedLoginProviders", {})),
        openid_connect_provider_arns=tuple(params.get("OpenIdConnectProviderARNs", ())),
        cognito_identity_providers=tuple(
            _cognito_provider(p) for p in params.get("CognitoIdentityProviders", ())
        ),
        saml_provider_arns=tuple(params.get("SamlProviderARNs", ())),
    )


INVALID_COGNITO_PROVIDER = "Invalid Cognito Identity Provider"
_USER_POOL_PROVIDER = re.compile(
    r"cognito-idp\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/\1_[0-9A-Za-z]+", re.ASCII
)
"""``cognito-idp.<region>.amazonaws.com/<user pool id>``, the pool id in that region."""


def _cognito_provider(entry: api.CognitoIdentityProvider) -> CognitoProvider:
    """One ``CognitoIdentityProviders`` entry. The model requires neither member, but a user pool
    is its provider name and an app client id: "Invalid Cognito Identity Provider" (AWS's words)
    when either is missing or the name is not a user pool's."""
    name, client_id = entry.get("ProviderName"), entry.get("ClientId")
    if not name or not client_id or not _USER_POOL_PROVIDER.fullmatch(name):
        raise api.InvalidParameterException(INVALID_COGNITO_PROVIDER)
    return CognitoProvider(name, client_id, entry.get("ServerSideTokenCheck", False))


async def check_provider_arns(
    store: Store, account_id: str, params: api.CreateIdentityPoolInput | api.IdentityPool
) -> None:
    """Every ``OpenIdConnectProviderARNs`` and ``SamlProviderARNs`` entry must be an IAM provider
    of the pool's account (kept by this server's IAM endpoint), else ``InvalidParameterException``
    (**Choice** of words: AWS's are not known)."""
    for arn in dict.fromkeys(params.get("OpenIdConnectProviderARNs", ())):
        if await store.get_oidc_provider(account_id, arn) is None:
            raise api.InvalidParameterException(
                f"Invalid OpenIdConnectProviderARN: {arn} is not an OpenID Connect provider of"
                " this account."
            )
    for arn in dict.fromkeys(params.get("SamlProviderARNs", ())):
        if await store.get_saml_provider(account_id, arn) is None:
            raise api.InvalidParameterException(
                f"Invalid SamlProviderARN: {arn} is not a SAML provider of this account."
            )


async def create_identity_pool(
    ctx: RequestContext, params: api.CreateIdentityPoolInput
) -> api.IdentityPool:
    """ "Creates a new identity pool. The identity pool is a store of user identity information that
    is specific to your Amazon Web Services account." At most 1,000 pools per account."""
    tags = dict(params.get("IdentityPoolTags", {}))
    check_tags(tags)
    await check_provider_arns(ctx.store, ctx.account_id, params)
    region = ctx.region or ctx.runtime.settings.region
    blank = IdentityPool(
        pool_id=f"{region}:{ctx.runtime.new_uuid()}",
        account_id=ctx.account_id,
        name=params["IdentityPoolName"],
        allow_unauthenticated=params["AllowUnauthenticatedIdentities"],
        created_at=ctx.runtime.clock(),
        developer_provider_name=params.get("DeveloperProviderName"),
        tags=tags,
    )
    pool = configured_pool(blank, params)
    limit = ctx.runtime.settings.max_pools_per_account
    try:
        await ctx.store.create_pool(pool, max_pools=limit)
    except LimitReached as exc:
        raise api.LimitExceededException(MAX_POOLS_MESSAGE.format(limit=limit)) from exc
    return pool_output(pool)


async def describe_identity_pool(
    ctx: RequestContext, params: api.DescribeIdentityPoolInput
) -> api.IdentityPool:
    """ "Gets details about a particular identity pool, including the pool name, ID description,
    creation date, and current number of users." """
    return pool_output(await require_pool(ctx, params["IdentityPoolId"]))


def developer_provider_after(current: str | None, wanted: str | None) -> str | None:
    """A pool's ``DeveloperProviderName`` after an update asking for ``wanted``: kept when omitted,
    set when unset, and otherwise it "cannot be changed once set"."""
    if wanted is None or wanted == current:
        return current
    if current is not None:
        raise api.InvalidParameterException(
            "DeveloperProviderName cannot be changed once it is set."
        )
    return wanted


async def update_identity_pool(ctx: RequestContext, params: api.IdentityPool) -> api.IdentityPool:
    """ "Updates the configuration of an identity pool. If you don't provide a value for a
    parameter, Amazon Cognito sets it to its default value."

    Two fields are not configuration and follow their own rules: ``DeveloperProviderName`` "cannot
    be changed once set" (omitting it keeps it), and ``IdentityPoolTags``, when given, replaces the
    pool's tags (omitted, the tags are kept; TagResource/UntagResource manage them otherwise)."""
    pool_id = params["IdentityPoolId"]
    await require_pool(ctx, pool_id)
    new_tags = params.get("IdentityPoolTags")
    if new_tags is not None:
        check_tags(new_tags)
    await check_provider_arns(ctx.store, ctx.account_id, params)
    wanted_developer = params.get("DeveloperProviderName")

    def apply(current: IdentityPool) -> IdentityPool:
        updated = configured_pool(current, params)
        return replace(
            updated,
            developer_provider_name=developer_provider_after(
                current.developer_provider_name, wanted_developer
            ),
            tags=dict(new_tags) if new_tags is not None else current.tags,
        )

    pool = await ctx.store.update_pool(pool_id, apply)
    if pool is None:
        raise pool_not_found(pool_id)
    return pool_output(pool)


async def delete_identity_pool(ctx: RequestContext, params: api.DeleteIdentityPoolInput) -> None:
    """ "Deletes an identity pool. Once a pool is deleted, users will not be able to authenticate
    with the pool." Its identities are deleted with it: the pool and its identities are gone for
    every operation when this answers, and the deleter removes the identities from the store in
    the background (:mod:`..pool_deleter`), however many there are."""
    pool = await require_pool(ctx, params["IdentityPoolId"])
    if not await ctx.store.delete_pool(pool.pool_id):
        raise pool_not_found(pool.pool_id)
    if ctx.runtime.pool_deleter is not None:
        ctx.runtime.pool_deleter.wake()


async def list_identity_pools(
    ctx: RequestContext, params: api.ListIdentityPoolsInput
) -> api.ListIdentityPoolsResponse:
    """ "Lists all of the Cognito identity pools registered for your account." Oldest first, in the
    region the request was signed for."""
    region = ctx.region or ctx.runtime.settings.region
    scope = f"pools:{ctx.account_id}:{region}"
    page = await ctx.store.list_pools(
        ctx.account_id,
        region,
        after=decode_token(scope, params.get("NextToken")),
        limit=params["MaxResults"],
    )
    out: api.ListIdentityPoolsResponse = {
        "IdentityPools": [
            {"IdentityPoolId": p.pool_id, "IdentityPoolName": p.name} for p in page.items
        ]
    }
    token = encode_token(scope, page.after)
    if token is not None:
        out["NextToken"] = token
    return out
