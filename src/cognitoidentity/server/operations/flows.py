"""The calls that turn an identity into a token or credentials: GetOpenIdToken (basic flow) and
GetCredentialsForIdentity (enhanced flow).

In the enhanced flow Cognito calls STS itself: the role it chose must trust the pool's token as
in the basic flow (:mod:`..trust`, the same check, for the session ``CognitoIdentityCredentials``),
else "Invalid identity pool configuration. Check assigned IAM roles for this pool."
(``InvalidIdentityPoolConfigurationException``, which covers both "no role configured" and "STS
returned an error"). A role our IAM does not hold is trusted in ``lenient`` mode (the pool's
configuration, or a verified login, chose it) and refused in ``strict`` mode.

**Choice**: Cognito's own scope-down session policy for guests (and the managed policy
``AmazonCognitoUnauthenticatedIdentities`` it adds) is not applied: its service list is not
published in full and changes; guest sessions have exactly their role's permissions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import datetime, timedelta

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.credentials import Session
from cognitoidentity.server.linking import LOGINS_DONT_MATCH, forbidden
from cognitoidentity.server.operations.authn import authenticate
from cognitoidentity.server.operations.identities import UNAUTHENTICATED_DISABLED
from cognitoidentity.server.operations.lookups import require_identity
from cognitoidentity.server.roles import (
    INVALID_POOL_CONFIGURATION,
    forbidden_role,
    resolve_role,
)
from cognitoidentity.server.store.base import Identity, IdentityPool
from cognitoidentity.server.trust import TrustVerdict, check_trust, known_verdict, trust_context

OPENID_TOKEN_LIFETIME = timedelta(seconds=600)
"""GetOpenIdToken: "The OpenID token is valid for 10 minutes." """
CREDENTIALS_LIFETIME = timedelta(hours=1)
"""Enhanced-flow credentials are valid for one hour (Developer Guide, authentication flow)."""
SESSION_NAME = "CognitoIdentityCredentials"
CLASSIC_FLOW_DISABLED = "Basic (classic) flow is not enabled, please use enhanced flow."
LOGINS_FOR_UNAUTHENTICATED = (
    "Logins should not be specified when trying to get credentials for an unauthenticated identity."
)


def usable_unauthenticated(identity: Identity, pool: IdentityPool) -> None:
    """An unauthenticated identity may get a token or credentials only while it is enabled, has no
    logins, and its pool still allows unauthenticated identities."""
    if identity.disabled:
        raise forbidden(identity.identity_id)
    if identity.logins:
        raise api.NotAuthorizedException(LOGINS_DONT_MATCH)
    if not pool.allow_unauthenticated:
        raise api.NotAuthorizedException(UNAUTHENTICATED_DISABLED)


def has_login_providers(pool: IdentityPool) -> bool:
    return bool(
        pool.supported_login_providers
        or pool.cognito_identity_providers
        or pool.openid_connect_provider_arns
        or pool.saml_provider_arns
        or pool.developer_provider_name
    )


async def get_open_id_token(
    ctx: RequestContext, params: api.GetOpenIdTokenInput
) -> api.GetOpenIdTokenResponse:
    """ "Gets an OpenID token, using a known Cognito ID. This known Cognito ID is returned by GetId.
    You can optionally add additional logins for the identity. Supplying multiple logins creates an
    implicit link. The OpenID token is valid for 10 minutes." With ``AllowClassicFlow`` explicitly
    false the basic flow is refused; never set, it is allowed (as AWS does)."""
    identity, pool = await require_identity(ctx, params["IdentityId"], public=True)
    if pool.allow_classic_flow is False:
        raise api.InvalidParameterException(CLASSIC_FLOW_DISABLED)
    logins = params.get("Logins") or {}
    if not logins:
        usable_unauthenticated(identity, pool)
        token = await ctx.runtime.tokens.issue(
            identity_id=identity.identity_id,
            pool_id=pool.pool_id,
            amr=["unauthenticated"],
            lifetime=OPENID_TOKEN_LIFETIME,
        )
        return {"IdentityId": identity.identity_id, "Token": token}
    proven = await authenticate(ctx, pool, logins, identity.identity_id)
    token = await ctx.runtime.tokens.issue(
        identity_id=proven.identity_id,
        pool_id=pool.pool_id,
        amr=["authenticated", *proven.amr],
        lifetime=OPENID_TOKEN_LIFETIME,
        principal_tags=proven.principal_tags or None,
    )
    return {"IdentityId": proven.identity_id, "Token": token}


async def get_credentials_for_identity(
    ctx: RequestContext, params: api.GetCredentialsForIdentityInput
) -> api.GetCredentialsForIdentityResponse:
    """ "Returns credentials for the provided identity ID. Any provided logins will be validated
    against supported login providers. If the token is for cognito-identity.amazonaws.com, it will
    be passed through to AWS Security Token Service with the appropriate role for the token."

    The role comes from the pool's roles and role mappings (see :mod:`..roles`), or for a SAML
    login from the assertion's roles; the credentials are for the session
    ``CognitoIdentityCredentials``, last one hour, and carry the login's principal tags."""
    identity, pool = await require_identity(ctx, params["IdentityId"], public=True)
    logins = params.get("Logins") or {}
    custom_role = params.get("CustomRoleArn")
    if not logins:
        usable_unauthenticated(identity, pool)
        role_arn = resolve_role(
            roles=pool.roles,
            role_mappings=pool.role_mappings,
            authenticated=False,
            logins=(),
            custom_role_arn=custom_role,
        )
        return await _credentials(
            ctx, pool, identity.identity_id, role_arn, {}, None, ("unauthenticated",)
        )
    if not identity.logins and not has_login_providers(pool):
        raise api.InvalidParameterException(LOGINS_FOR_UNAUTHENTICATED)
    proven = await authenticate(ctx, pool, logins, identity.identity_id)
    if proven.saml_roles:
        role_arn = saml_role(proven.saml_roles, custom_role)
    else:
        role_arn = resolve_role(
            roles=pool.roles,
            role_mappings=pool.role_mappings,
            authenticated=True,
            logins=proven.role_logins,
            custom_role_arn=custom_role,
        )
    return await _credentials(
        ctx,
        pool,
        proven.identity_id,
        role_arn,
        proven.principal_tags,
        proven.provider,
        ("authenticated", *proven.amr),
    )


def saml_role(pairs: tuple[tuple[str, str], ...], custom_role: str | None) -> str:
    """ "SAML ... uses CustomRoleArn to choose among several" roles of the assertion."""
    roles = list(dict.fromkeys(role for role, _ in pairs))
    if custom_role is not None:
        if custom_role not in roles:
            raise forbidden_role(custom_role)
        return custom_role
    if len(roles) != 1:
        raise api.InvalidParameterException(
            "The SAML assertion has several roles: choose one with CustomRoleArn."
        )
    return roles[0]


def enhanced_flow_trust(
    ctx: RequestContext,
    pool: IdentityPool,
    identity_id: str,
    role_arn: str,
    tags: Mapping[str, str],
    amr: Sequence[str],
    now: datetime,
) -> Awaitable[TrustVerdict]:
    """The trust check Cognito's own AssumeRoleWithWebIdentity makes for the role it chose: the
    pool names the role, the session is ``CognitoIdentityCredentials``. (check_trust's coroutine
    itself, awaited by the caller: no coroutine of its own.)"""
    return check_trust(
        ctx.runtime.roles,
        ctx.runtime.settings.iam_roles,
        account_id=pool.account_id,
        role_arn=role_arn,
        named_by_pool=True,
        context=trust_context(
            pool_id=pool.pool_id,
            identity_id=identity_id,
            amr=amr,
            session_name=SESSION_NAME,
            tags=tags,
            now=now,
        ),
        tags=bool(tags),
    )


async def _credentials(
    ctx: RequestContext,
    pool: IdentityPool,
    identity_id: str,
    role_arn: str,
    tags: dict[str, str],
    provider: str | None,
    amr: Sequence[str],
) -> api.GetCredentialsForIdentityResponse:
    runtime = ctx.runtime
    # The clock's second and the expiry, made once per second by the vault (which then knows
    # their epoch seconds when it issues).
    times = runtime.credentials.times(runtime.clock(), CREDENTIALS_LIFETIME)
    now = times.now
    # A foreign role, or one the role directory keeps as absent, is decided without the trust
    # context or check_trust's coroutine (the same verdict check_trust gives).
    verdict = known_verdict(
        runtime.roles, runtime.settings.iam_roles, pool.account_id, role_arn, True
    )
    if verdict is None:
        verdict = await enhanced_flow_trust(ctx, pool, identity_id, role_arn, tags, amr, now)
    if not verdict.trusted:
        # Also a role of another account (named by a user pool's cognito:roles claim, a SAML
        # assertion, or stored before pools were checked): STS would refuse, and so does
        # GetCredentialsForIdentity.
        raise api.InvalidIdentityPoolConfigurationException(INVALID_POOL_CONFIGURATION)
    issued = runtime.credentials.issue(
        Session(
            account_id=pool.account_id,
            role_arn=role_arn,
            session_name=SESSION_NAME,
            expires_at=times.expires_at,
            source_identity_id=identity_id,
            pool_id=pool.pool_id,
            provider=provider,
            tags=tags,
            iam_role_id=verdict.role.role_id if verdict.role is not None else None,
            amr=tuple(amr),
            issued_at=now,
        )
    )
    return {
        "IdentityId": identity_id,
        "Credentials": {
            "AccessKeyId": issued.access_key_id,
            "SecretKey": issued.secret_access_key,
            "SessionToken": issued.session_token,
            "Expiration": issued.expiration,
        },
    }
