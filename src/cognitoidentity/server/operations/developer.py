"""Developer authenticated identities: the app's own backend as a login provider.

GetOpenIdTokenForDeveloperIdentity, LookupDeveloperIdentity, MergeDeveloperIdentities and
UnlinkDeveloperIdentity. A developer login is the pool's ``DeveloperProviderName`` with a user
identifier of the backend; it lives in the same logins table as public logins, so the identity
rules (linking, merging, the 20-login limit) are the ones of :mod:`cognitoidentity.server.linking`.
"""

from __future__ import annotations

from datetime import timedelta

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.linking import LinkRequest, LoginKey
from cognitoidentity.server.operations.authn import link_keys, verify_public_logins
from cognitoidentity.server.operations.lookups import identity_not_found, require_pool
from cognitoidentity.server.pagination import decode_token, encode_token
from cognitoidentity.server.store.base import IdentityPool

DEFAULT_TOKEN_DURATION = timedelta(minutes=15)
"""A real developer token has exp - iat = 900 s when TokenDuration is not given."""
UNSUPPORTED_DEVELOPER_PROVIDER = (
    "This identity pool does not support the specified developer provider"
)
MAX_LOOKUP_RESULTS = 60


def developer_provider(pool: IdentityPool, name: str | None = None) -> str:
    """The pool's developer provider name; ``name``, when given, must be it."""
    provider = pool.developer_provider_name
    if provider is None or (name is not None and name != provider):
        raise api.NotAuthorizedException(UNSUPPORTED_DEVELOPER_PROVIDER)
    return provider


async def get_open_id_token_for_developer_identity(
    ctx: RequestContext, params: api.GetOpenIdTokenForDeveloperIdentityInput
) -> api.GetOpenIdTokenForDeveloperIdentityResponse:
    """ "Registers (or retrieves) a Cognito IdentityId and an OpenID Connect token for a user
    authenticated by your backend authentication process. Supplying multiple logins will create an
    implicit linked account. You can only specify one developer provider as part of the Logins
    map, which is linked to the identity pool." "If you didn't provide an IdentityId, a new one is
    created; if the developer user identifier is already registered, its identity is returned." """
    pool = await require_pool(ctx, params["IdentityPoolId"])
    logins = dict(params["Logins"])
    provider = pool.developer_provider_name
    if provider is None or provider not in logins:
        raise api.NotAuthorizedException(UNSUPPORTED_DEVELOPER_PROVIDER)
    user_id = logins.pop(provider)
    verified = await verify_public_logins(ctx, pool, logins)
    keys = (LoginKey(provider, user_id), *(LoginKey(v.provider, v.user_id) for v in verified))
    identity_id = await link_keys(ctx, pool, keys, params.get("IdentityId"))
    duration = params.get("TokenDuration")
    amr = ["authenticated", provider, f"{provider}:{pool.pool_id}:{user_id}"]
    for login in verified:
        amr += [login.provider, login.amr]
    token = await ctx.runtime.tokens.issue(
        identity_id=identity_id,
        pool_id=pool.pool_id,
        amr=amr,
        lifetime=timedelta(seconds=duration) if duration else DEFAULT_TOKEN_DURATION,
        principal_tags=params.get("PrincipalTags") or None,
    )
    return {"IdentityId": identity_id, "Token": token}


async def lookup_developer_identity(
    ctx: RequestContext, params: api.LookupDeveloperIdentityInput
) -> api.LookupDeveloperIdentityResponse:
    """ "Retrieves the IdentityID associated with a DeveloperUserIdentifier or the list of
    DeveloperUserIdentifier values associated with an IdentityId for an existing identity. Either
    IdentityID or DeveloperUserIdentifier must not be null. If you supply only one of these values,
    the other value will be searched in the database and returned as a part of the response. If you
    supply both, DeveloperUserIdentifier will be matched against IdentityID. If the values are
    verified against the database, the response returns both values and is the same as the
    request. Otherwise, a ResourceConflictException is thrown." """
    pool = await require_pool(ctx, params["IdentityPoolId"])
    identity_id = params.get("IdentityId")
    user_id = params.get("DeveloperUserIdentifier")
    if identity_id is None and user_id is None:
        raise api.InvalidParameterException(
            "Either IdentityId or DeveloperUserIdentifier must be specified."
        )
    provider = pool.developer_provider_name
    if provider is None:
        raise api.ResourceNotFoundException(
            f"IdentityPool '{pool.pool_id}' has no developer provider."
        )
    if user_id is not None:
        owner = await ctx.store.find_login(pool.pool_id, LoginKey(provider, user_id))
        if owner is None:
            raise api.ResourceNotFoundException(f"Developer user identifier '{user_id}' not found.")
        if identity_id is not None and identity_id != owner:
            raise api.ResourceConflictException(
                f"Developer user identifier '{user_id}' does not belong to identity "
                f"'{identity_id}'."
            )
        identity_id = owner
    assert identity_id is not None
    identity = await ctx.store.get_identity(identity_id)
    if identity is None or identity.pool_id != pool.pool_id:
        raise identity_not_found(identity_id)
    scope = f"developer:{identity_id}"
    page = await ctx.store.list_provider_logins(
        pool.pool_id,
        provider,
        identity_id=identity_id,
        after=decode_token(scope, params.get("NextToken")),
        limit=params.get("MaxResults", MAX_LOOKUP_RESULTS),
    )
    out: api.LookupDeveloperIdentityResponse = {
        "IdentityId": identity_id,
        "DeveloperUserIdentifierList": [login.user_id for login in page.items],
    }
    token = encode_token(scope, page.after)
    if token is not None:
        out["NextToken"] = token
    return out


async def merge_developer_identities(
    ctx: RequestContext, params: api.MergeDeveloperIdentitiesInput
) -> api.MergeDeveloperIdentitiesResponse:
    """ "Merges two users having different IdentityIds, existing in the same identity pool, and
    identified by the same developer provider. You can use this action to request that discrete
    users be merged and identified as a single user in the Cognito environment. Cognito associates
    the given source user (SourceUserIdentifier) with the IdentityId of the
    DestinationUserIdentifier. Only developer-authenticated users can be merged. If the users to be
    merged are associated with the same public provider, but as two different users, an exception
    will be thrown." The source's identity is disabled; its logins move to the destination's."""
    pool = await require_pool(ctx, params["IdentityPoolId"])
    provider = developer_provider(pool, params["DeveloperProviderName"])
    destination = params["DestinationUserIdentifier"]
    target = await ctx.store.find_login(pool.pool_id, LoginKey(provider, destination))
    if target is None:
        raise api.ResourceNotFoundException(f"Developer user identifier '{destination}' not found.")
    result = await ctx.store.link_logins(
        pool.pool_id,
        LinkRequest(
            logins=(LoginKey(provider, params["SourceUserIdentifier"]),),
            new_identity_id=target,
            identity_id=target,
            survivor="named",
            require_own_login=False,
            developer_provider=provider,
            developer_already_registered=False,
        ),
        ctx.runtime.clock(),
    )
    return {"IdentityId": result.identity_id}


async def unlink_developer_identity(
    ctx: RequestContext, params: api.UnlinkDeveloperIdentityInput
) -> None:
    """ "Unlinks a DeveloperUserIdentifier from an existing identity. Unlinked developer users will
    be considered new identities next time they are seen. If, for a given Cognito identity, you
    remove all federated identities as well as the developer user identifier, the Cognito identity
    becomes inaccessible." """
    pool = await require_pool(ctx, params["IdentityPoolId"])
    provider = developer_provider(pool, params["DeveloperProviderName"])
    identity_id = params["IdentityId"]
    identity = await ctx.store.get_identity(identity_id)
    if identity is None or identity.pool_id != pool.pool_id:
        raise identity_not_found(identity_id)
    login = LoginKey(provider, params["DeveloperUserIdentifier"])
    if await ctx.store.find_login(pool.pool_id, login) != identity_id:
        raise api.ResourceConflictException(
            f"Developer user identifier '{login.user_id}' is not linked to identity "
            f"'{identity_id}'."
        )
    await ctx.store.remove_logins(identity_id, logins=[login], now=ctx.runtime.clock())
