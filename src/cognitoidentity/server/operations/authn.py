"""Logins presented to the public operations: verifying them, linking them to identities, and what
an authenticated identity's token and credentials carry (``amr``, role, principal tags).

Two kinds of ``Logins`` entry exist besides the public providers: the pool's developer provider
name, which only GetOpenIdTokenForDeveloperIdentity (a signed, backend call) may present, and
``cognito-identity.amazonaws.com``, whose value is an OpenID token we issued (what the SDKs send in
the developer flow): it proves the identity it was issued for, with that token's ``amr`` and tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.linking import LOGINS_DONT_MATCH, LinkRequest, LoginKey, forbidden
from cognitoidentity.server.logins.base import UNSUPPORTED_PROVIDER, LoginIdentity
from cognitoidentity.server.operations.principal_tags import principal_tags_for
from cognitoidentity.server.roles import VerifiedLogin
from cognitoidentity.server.store.base import IdentityPool
from cognitoidentity.server.tokens import TokenError, VerifiedToken

COGNITO_TOKEN_PROVIDER = "cognito-identity.amazonaws.com"  # noqa: S105 - a provider name
"""The ``Logins`` key under which a client presents an OpenID token of ours."""


@dataclass(frozen=True, slots=True)
class Authenticated:
    """An identity proven by logins: what its token and credentials carry."""

    identity_id: str
    amr: tuple[str, ...]
    """Our token's ``amr`` after "authenticated": provider names and their detail entries."""
    role_logins: tuple[VerifiedLogin, ...]
    principal_tags: dict[str, str] = field(default_factory=dict)
    saml_roles: tuple[tuple[str, str], ...] = ()
    provider: str | None = None
    """The first provider, for the credentials' session."""


async def verify_public_logins(
    ctx: RequestContext, pool: IdentityPool, logins: Mapping[str, str]
) -> list[LoginIdentity]:
    """Verify ``logins`` of public providers (Facebook, Google, user pools, OIDC, SAML, ...).
    The developer provider name and our own token's key are not logins of a public provider."""
    if not logins:
        return []
    if COGNITO_TOKEN_PROVIDER in logins or (
        pool.developer_provider_name is not None and pool.developer_provider_name in logins
    ):
        raise api.NotAuthorizedException(UNSUPPORTED_PROVIDER)
    return await ctx.runtime.logins.verify(pool, logins)


async def verify_own_token(ctx: RequestContext, pool: IdentityPool, token: str) -> VerifiedToken:
    """An OpenID token we issued for an identity of ``pool``."""
    try:
        verified = await ctx.runtime.tokens.verify(token)
    except TokenError as exc:
        raise api.NotAuthorizedException(f"Invalid login token. {exc.message}") from exc
    if verified.pool_id != pool.pool_id:
        raise api.NotAuthorizedException("Invalid login token. Incorrect token audience.")
    return verified


def from_own_token(verified: VerifiedToken) -> Authenticated:
    """What a token of ours proves: its identity, ``amr`` and principal tags."""
    if "authenticated" not in verified.amr:
        raise api.NotAuthorizedException(
            "Invalid login token. The token of an unauthenticated identity is not a login."
        )
    detail = tuple(entry for entry in verified.amr if entry != "authenticated")
    provider = detail[0] if detail else COGNITO_TOKEN_PROVIDER
    return Authenticated(
        identity_id=verified.identity_id,
        amr=detail,
        role_logins=(VerifiedLogin(provider, (provider,), verified.claims),),
        principal_tags=dict(verified.principal_tags),
        provider=provider,
    )


def from_logins(
    pool: IdentityPool, identity_id: str, verified: Sequence[LoginIdentity]
) -> Authenticated:
    amr: list[str] = []
    tags: dict[str, str] = {}
    for login in verified:
        amr += [login.provider, login.amr]
        for key, value in principal_tags_for(pool, login.provider, login.claims).items():
            tags.setdefault(key, value)
    return Authenticated(
        identity_id=identity_id,
        amr=tuple(amr),
        role_logins=tuple(VerifiedLogin(v.provider, v.mapping_keys, v.claims) for v in verified),
        principal_tags=tags,
        saml_roles=tuple(pair for v in verified for pair in v.roles_from_assertion),
        provider=verified[0].provider if verified else None,
    )


async def link(
    ctx: RequestContext,
    pool: IdentityPool,
    verified: Sequence[LoginIdentity],
    identity_id: str | None,
) -> str:
    """Attach verified logins and answer the identity they now belong to: the same login always
    reaches the same identity, a new one links to the named identity (or makes a new identity),
    one owned elsewhere merges the two."""
    return await link_keys(
        ctx, pool, tuple(LoginKey(v.provider, v.user_id) for v in verified), identity_id
    )


async def link_keys(
    ctx: RequestContext,
    pool: IdentityPool,
    keys: tuple[LoginKey, ...],
    identity_id: str | None,
) -> str:
    """:func:`link` for logins already verified (or a developer's user identifiers)."""
    settled = await _already_linked(ctx, pool, keys, identity_id)
    if settled is not None:
        return settled
    result = await ctx.store.link_logins(
        pool.pool_id,
        LinkRequest(
            logins=keys,
            new_identity_id=f"{pool.region}:{ctx.runtime.new_uuid()}",
            identity_id=identity_id,
            developer_provider=pool.developer_provider_name,
        ),
        ctx.runtime.clock(),
    )
    if result.created:
        ctx.identity_created(authenticated=True)
    return result.identity_id


async def _already_linked(
    ctx: RequestContext, pool: IdentityPool, keys: tuple[LoginKey, ...], identity_id: str | None
) -> str | None:
    """The common case, a returning user: every presented login already belongs to one identity
    (the named one, if any), so nothing changes and one read per login answers, without a write
    transaction. That identity is enabled: a disabled identity owns no login (a merge moves every
    login to the survivor before it disables the others). Anything else (a new login, a merge, an
    error to report) takes the full path."""
    owner: str | None = None
    for key in keys:  # a plain loop: one login is the common case
        found = await ctx.store.find_login(pool.pool_id, key)
        if found is None or (owner is not None and found != owner):
            return None
        owner = found
    if owner is None or (identity_id is not None and owner != identity_id):
        return None
    return owner


async def authenticate(
    ctx: RequestContext,
    pool: IdentityPool,
    logins: Mapping[str, str],
    identity_id: str | None,
) -> Authenticated:
    """Prove an identity of ``pool`` with ``logins``: our own token, or public providers' tokens
    (verified, then linked). ``identity_id`` is the identity the call names, if any."""
    own = logins.get(COGNITO_TOKEN_PROVIDER)
    if own is not None:
        if len(logins) > 1:
            raise api.InvalidParameterException(
                f"{COGNITO_TOKEN_PROVIDER} cannot be combined with other logins."
            )
        authenticated = from_own_token(await verify_own_token(ctx, pool, own))
        if identity_id is not None and authenticated.identity_id != identity_id:
            raise api.NotAuthorizedException(LOGINS_DONT_MATCH)
        identity = await ctx.store.get_identity(authenticated.identity_id)
        if identity is None or identity.pool_id != pool.pool_id:
            raise api.ResourceNotFoundException(
                f"Identity '{authenticated.identity_id}' not found."
            )
        if identity.disabled:
            raise forbidden(identity.identity_id)
        return authenticated
    verified = await verify_public_logins(ctx, pool, logins)
    return from_logins(pool, await link(ctx, pool, verified, identity_id), verified)
