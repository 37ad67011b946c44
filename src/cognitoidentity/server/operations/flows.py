"""The calls that turn an identity into a token or credentials: GetOpenIdToken (basic flow) and
GetCredentialsForIdentity (enhanced flow)."""

from __future__ import annotations

from datetime import timedelta

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.credentials import Session
from cognitoidentity.server.errors import UnsupportedOperationException
from cognitoidentity.server.operations.identities import UNAUTHENTICATED_DISABLED
from cognitoidentity.server.operations.lookups import require_identity
from cognitoidentity.server.roles import resolve_role
from cognitoidentity.server.store.base import Identity, IdentityPool

OPENID_TOKEN_LIFETIME = timedelta(seconds=600)
"""GetOpenIdToken: "The OpenID token is valid for 10 minutes." """
CREDENTIALS_LIFETIME = timedelta(hours=1)
"""Enhanced-flow credentials are valid for one hour (Developer Guide, authentication flow)."""
SESSION_NAME = "CognitoIdentityCredentials"
CLASSIC_FLOW_DISABLED = "Basic (classic) flow is not enabled, please use enhanced flow."
LOGINS_FOR_UNAUTHENTICATED = (
    "Logins should not be specified when trying to get credentials for an unauthenticated identity."
)


def forbidden(identity_id: str) -> api.NotAuthorizedException:
    return api.NotAuthorizedException(f"Access to Identity '{identity_id}' is forbidden.")


def _usable_unauthenticated(identity: Identity, pool: IdentityPool) -> None:
    """An unauthenticated identity may get a token or credentials only while it is enabled, has no
    logins, and its pool still allows unauthenticated identities."""
    if identity.disabled:
        raise forbidden(identity.identity_id)
    if identity.logins:
        raise api.NotAuthorizedException(
            "Logins don't match. Please include at least one valid login for this identity or "
            "identity pool."
        )
    if not pool.allow_unauthenticated:
        raise api.NotAuthorizedException(UNAUTHENTICATED_DISABLED)


async def get_open_id_token(
    ctx: RequestContext, params: api.GetOpenIdTokenInput
) -> api.GetOpenIdTokenResponse:
    """ "Gets an OpenID token, using a known Cognito ID. This known Cognito ID is returned by GetId.
    ... The OpenID token is valid for 10 minutes." With ``AllowClassicFlow`` explicitly false the
    basic flow is refused; never set, it is allowed (as AWS does)."""
    identity, pool = await require_identity(ctx, params["IdentityId"], public=True)
    if params.get("Logins"):
        raise UnsupportedOperationException("Logins are not supported by this server yet.")
    if pool.allow_classic_flow is False:
        raise api.InvalidParameterException(CLASSIC_FLOW_DISABLED)
    _usable_unauthenticated(identity, pool)
    token = await ctx.runtime.tokens.issue(
        identity_id=identity.identity_id,
        pool_id=pool.pool_id,
        amr=["unauthenticated"],
        lifetime=OPENID_TOKEN_LIFETIME,
    )
    return {"IdentityId": identity.identity_id, "Token": token}


async def get_credentials_for_identity(
    ctx: RequestContext, params: api.GetCredentialsForIdentityInput
) -> api.GetCredentialsForIdentityResponse:
    """ "Returns credentials for the provided identity ID. Any provided logins will be validated
    against supported login providers. If the token is for cognito-identity.amazonaws.com, it will
    be passed through to AWS Security Token Service with the appropriate role for the token."

    The role comes from the pool's roles and role mappings (see :mod:`..roles`); the credentials
    are for the session ``CognitoIdentityCredentials`` and last one hour."""
    identity, pool = await require_identity(ctx, params["IdentityId"], public=True)
    if params.get("Logins") and not identity.logins:
        raise api.InvalidParameterException(LOGINS_FOR_UNAUTHENTICATED)
    _usable_unauthenticated(identity, pool)
    role_arn = resolve_role(
        roles=pool.roles,
        role_mappings=pool.role_mappings,
        authenticated=False,
        logins=(),
        custom_role_arn=params.get("CustomRoleArn"),
    )
    now = ctx.runtime.clock()
    issued = ctx.runtime.credentials.issue(
        Session(
            account_id=role_arn.split(":")[4],  # the role's account, as in AWS's assumed-role ARN
            role_arn=role_arn,
            session_name=SESSION_NAME,
            expires_at=now + CREDENTIALS_LIFETIME,
            source_identity_id=identity.identity_id,
            pool_id=pool.pool_id,
            provider=None,
            tags={},
        )
    )
    return {
        "IdentityId": identity.identity_id,
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "SecretKey": issued.secret_access_key,
            "SessionToken": issued.session_token,
            "Expiration": issued.expiration,
        },
    }
