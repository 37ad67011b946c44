"""Identities: GetId (unauthenticated), DescribeIdentity, ListIdentities, DeleteIdentities."""

from __future__ import annotations

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.linking import LOGINS_DONT_MATCH, forbidden
from cognitoidentity.server.operations.authn import authenticate, verify_public_logins
from cognitoidentity.server.operations.lookups import pool_not_found, require_identity, require_pool
from cognitoidentity.server.pagination import decode_token, encode_token
from cognitoidentity.server.store.base import Identity

UNAUTHENTICATED_DISABLED = "Unauthenticated access is not supported for this identity pool."


def identity_output(identity: Identity) -> api.IdentityDescription:
    """Provider names only, never user identifiers; ``Logins`` is absent for an unauthenticated
    identity."""
    out: api.IdentityDescription = {
        "IdentityId": identity.identity_id,
        "CreationDate": identity.created_at,
        "LastModifiedDate": identity.last_modified_at,
    }
    if identity.logins:
        out["Logins"] = list(identity.logins)
    return out


async def get_id(ctx: RequestContext, params: api.GetIdInput) -> api.GetIdResponse:
    """ "Generates (or retrieves) IdentityID. Supplying multiple logins will create an implicit
    linked account." Without logins every call creates a new unauthenticated identity, which the
    client is expected to cache."""
    pool_id = params["IdentityPoolId"]
    logins = params.get("Logins")
    account = params.get("AccountId")
    region = pool_id.split(":", 1)[0]
    if not logins and account is None and (ctx.caller is None or ctx.caller.region == region):
        # The common call, a new guest: one conditional insert, no read first. When it inserts
        # nothing, the full path below finds out why and answers with the right error.
        guest = _new_identity(ctx, pool_id, region)
        if await ctx.store.create_guest_identity(guest):
            ctx.identity_created(authenticated=False)
            return {"IdentityId": guest.identity_id}
    pool = await require_pool(ctx, pool_id, public=True)
    if account is not None and account != pool.account_id:
        raise pool_not_found(pool.pool_id)
    if logins:
        proven = await authenticate(ctx, pool, logins, None)
        return {"IdentityId": proven.identity_id}
    if not pool.allow_unauthenticated:
        raise api.NotAuthorizedException(UNAUTHENTICATED_DISABLED)
    identity = _new_identity(ctx, pool.pool_id, pool.region)
    await ctx.store.create_identity(identity)
    ctx.identity_created(authenticated=False)
    return {"IdentityId": identity.identity_id}


def _new_identity(ctx: RequestContext, pool_id: str, region: str) -> Identity:
    now = ctx.runtime.clock()
    return Identity(
        identity_id=f"{region}:{ctx.runtime.new_uuid()}",
        pool_id=pool_id,
        created_at=now,
        last_modified_at=now,
    )


async def describe_identity(
    ctx: RequestContext, params: api.DescribeIdentityInput
) -> api.IdentityDescription:
    """ "Returns metadata related to the given identity, including when the identity was created and
    any associated linked logins." """
    identity, _ = await require_identity(ctx, params["IdentityId"])
    return identity_output(identity)


async def list_identities(
    ctx: RequestContext, params: api.ListIdentitiesInput
) -> api.ListIdentitiesResponse:
    """ "Lists the identities in an identity pool." ``HideDisabled``: "An optional boolean parameter
    that allows you to hide disabled identities." Oldest first."""
    pool = await require_pool(ctx, params["IdentityPoolId"])
    scope = f"identities:{pool.pool_id}"
    page = await ctx.store.list_identities(
        pool.pool_id,
        hide_disabled=params.get("HideDisabled", False),
        after=decode_token(scope, params.get("NextToken")),
        limit=params["MaxResults"],
    )
    out: api.ListIdentitiesResponse = {
        "IdentityPoolId": pool.pool_id,
        "Identities": [identity_output(i) for i in page.items],
    }
    token = encode_token(scope, page.after)
    if token is not None:
        out["NextToken"] = token
    return out


async def delete_identities(
    ctx: RequestContext, params: api.DeleteIdentitiesInput
) -> api.DeleteIdentitiesResponse:
    """ "Deletes identities from an identity pool. You can specify a list of 1-60 identities that you
    want to delete." Identities of another account come back in ``UnprocessedIdentityIds`` with
    ``AccessDenied``; identities that do not exist are already gone and count as deleted."""
    foreign = await ctx.store.delete_identities(ctx.account_id, params["IdentityIdsToDelete"])
    return {
        "UnprocessedIdentityIds": [
            {"IdentityId": identity_id, "ErrorCode": "AccessDenied"} for identity_id in foreign
        ]
    }


async def unlink_identity(ctx: RequestContext, params: api.UnlinkIdentityInput) -> None:
    """ "Unlinks a federated identity from an existing account. Unlinked logins will be considered
    new identities next time they are seen. Removing the last linked login will make this identity
    inaccessible. This is a public API. You do not need any credentials to call this API."
    ``Logins`` must prove the identity (at least one of its own logins); developer user
    identifiers are removed with UnlinkDeveloperIdentity instead."""
    identity, pool = await require_identity(ctx, params["IdentityId"], public=True)
    if identity.disabled:
        raise forbidden(identity.identity_id)
    remove = params["LoginsToRemove"]
    if pool.developer_provider_name is not None and pool.developer_provider_name in remove:
        raise api.InvalidParameterException(
            "Developer user identifiers are unlinked with UnlinkDeveloperIdentity."
        )
    verified = await verify_public_logins(ctx, pool, params["Logins"])
    linked = {
        (login.provider, login.user_id)
        for login in await ctx.store.list_logins(identity.identity_id)
    }
    if not any((v.provider, v.user_id) in linked for v in verified):
        raise api.NotAuthorizedException(LOGINS_DONT_MATCH)
    await ctx.store.remove_logins(identity.identity_id, providers=remove, now=ctx.runtime.clock())
