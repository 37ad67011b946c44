"""SetIdentityPoolRoles and GetIdentityPoolRoles."""

from __future__ import annotations

from dataclasses import replace

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.operations.lookups import pool_not_found, require_pool
from cognitoidentity.server.roles import check_roles
from cognitoidentity.server.store.base import IdentityPool


async def set_identity_pool_roles(
    ctx: RequestContext, params: api.SetIdentityPoolRolesInput
) -> None:
    """ "Sets the roles for an identity pool. These roles are used when making calls to
    GetCredentialsForIdentity action." ``Roles`` replaces the pool's roles (an empty map clears
    them, as infrastructure tools do on destroy); ``RoleMappings`` replaces the mappings, and
    omitting it clears them."""
    pool_id = params["IdentityPoolId"]
    pool = await require_pool(ctx, pool_id)
    roles = dict(params["Roles"])
    mappings = {k: dict(v) for k, v in params.get("RoleMappings", {}).items()}
    check_roles(roles, params.get("RoleMappings", {}), pool.account_id)

    def apply(pool: IdentityPool) -> IdentityPool:
        return replace(pool, roles=roles, role_mappings=mappings)

    if await ctx.store.update_pool(pool_id, apply) is None:
        raise pool_not_found(pool_id)


async def get_identity_pool_roles(
    ctx: RequestContext, params: api.GetIdentityPoolRolesInput
) -> api.GetIdentityPoolRolesResponse:
    """ "Gets the roles for an identity pool." """
    pool = await require_pool(ctx, params["IdentityPoolId"])
    out: api.GetIdentityPoolRolesResponse = {
        "IdentityPoolId": pool.pool_id,
        "Roles": dict(pool.roles),
    }
    if pool.role_mappings:
        out["RoleMappings"] = pool.role_mappings
    return out
