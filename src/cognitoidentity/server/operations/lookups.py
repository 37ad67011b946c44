"""The one way operations find pools and identities, so a missing or foreign one is always
``ResourceNotFoundException`` with AWS's message, never a KeyError."""

from __future__ import annotations

from cognitoidentity.server.api.cognito_identity import ResourceNotFoundException
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.store.base import Identity, IdentityPool


def pool_not_found(pool_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"IdentityPool '{pool_id}' not found.")


def identity_not_found(identity_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Identity '{identity_id}' not found.")


def visible(ctx: RequestContext, pool: IdentityPool, *, public: bool = False) -> bool:
    """Whether the caller may see ``pool``: a signed caller only in its own account (unless the
    operation is public) and only in the region it signed for. An unsigned call to a public
    operation reaches the pool's own region, as if sent to that region's endpoint."""
    if ctx.caller is None:
        return public
    if not public and pool.account_id != ctx.caller.account_id:
        return False
    return pool.region == ctx.caller.region


async def require_pool(ctx: RequestContext, pool_id: str, *, public: bool = False) -> IdentityPool:
    pool = await ctx.store.get_pool(pool_id)
    if pool is None or not visible(ctx, pool, public=public):
        raise pool_not_found(pool_id)
    return pool


async def require_identity(
    ctx: RequestContext, identity_id: str, *, public: bool = False
) -> tuple[Identity, IdentityPool]:
    found = await ctx.store.get_identity_and_pool(identity_id)
    if found is None or not visible(ctx, found[1], public=public):
        raise identity_not_found(identity_id)
    return found
