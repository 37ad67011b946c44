"""The STS operations this server answers: GetCallerIdentity and AssumeRoleWithWebIdentity.

There is no IAM here: a role is what an identity pool's configuration names. Which roles a web
identity token may assume is the rule that the standard Cognito trust policy expresses
(``cognito-identity.amazonaws.com:aud`` = the pool, ``:amr`` = authenticated or unauthenticated):
an unauthenticated identity's token may assume the pool's unauthenticated role; an authenticated
one the pool's authenticated role or any role its rule-based role mappings can pick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Final

import orjson

from cognitoidentity.server.api import sts as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.credentials import Session
from cognitoidentity.server.errors import AccessDeniedException
from cognitoidentity.server.operations import Handler
from cognitoidentity.server.roles import AUTHENTICATED, UNAUTHENTICATED, role_account
from cognitoidentity.server.store.base import IdentityPool
from cognitoidentity.server.tokens import TAGS_CLAIM, TokenError, TokenExpired, VerifiedToken

__all__ = [
    "DEFAULT_DURATION_SECONDS",
    "MAX_SESSION_TAGS",
    "STS",
    "TAGS_CLAIM",
    "assume_role_with_web_identity",
    "get_caller_identity",
]

DEFAULT_DURATION_SECONDS: Final = 3600
MAX_SESSION_TAGS: Final = 50
MAX_TAG_KEY: Final = 128
MAX_TAG_VALUE: Final = 256
PACKED_BUDGET_BYTES: Final = 2048
"""What ``PackedPolicySize`` (a percentage) is computed against. AWS's packing is not published;
**Choice**: session policy, policy ARNs and tags counted in bytes against 2 KB, so two short tags
come out at a few percent, as AWS reports them."""

NOT_AUTHORIZED: Final = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
WRONG_AUDIENCE: Final = "Incorrect token audience"
MALFORMED_POLICY: Final = "Syntax errors in policy."


async def get_caller_identity(
    ctx: RequestContext, params: api.GetCallerIdentityRequest
) -> api.GetCallerIdentityResponse:
    """ "Returns details about the IAM user or role whose credentials are used to call the
    operation." Long-term keys are their account's root (``UserId`` is the account id); temporary
    credentials are an assumed role (``UserId`` is ``AROA…:<session name>``)."""
    caller = ctx.caller
    if caller is None:  # the model signs this operation, so the protocol never lets this through
        raise RuntimeError("GetCallerIdentity needs a signed caller")
    session = caller.session
    if isinstance(session, Session):
        return {
            "UserId": session.assumed_role_id,
            "Account": session.account_id,
            "Arn": session.assumed_role_arn,
        }
    return {"UserId": caller.account_id, "Account": caller.account_id, "Arn": caller.principal_arn}


async def assume_role_with_web_identity(
    ctx: RequestContext, params: api.AssumeRoleWithWebIdentityRequest
) -> api.AssumeRoleWithWebIdentityResponse:
    """ "Returns a set of temporary security credentials for users who have been authenticated in a
    mobile or web application with a web identity provider." The provider here is this server's
    own OpenID issuer (tokens from GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity).

    - The token must verify: an expired one is ``ExpiredTokenException`` ("Token expired: current
      date/time <now> must be before the expiration date/time <exp>", epoch seconds); anything
      else wrong is ``InvalidIdentityToken``.
    - Its ``aud`` must be an existing identity pool, else ``InvalidIdentityToken``.
    - ``RoleArn`` must be a role that pool's token may assume (see the module's docstring), and
      of the pool's account (no trust policy here can say another account trusts the pool), else
      ``AccessDenied`` "Not authorized to perform sts:AssumeRoleWithWebIdentity" (403).
    - Session tags come from the token's ``https://aws.amazon.com/tags`` ``principal_tags``.
    - **Choice**: ``DurationSeconds`` may be up to 43200 (the model's maximum): with no IAM there is
      no role ``MaxSessionDuration`` to cap it. ``ProviderId`` (OAuth 2.0 providers only) and
      ``PolicyArns`` are accepted and not enforced, like the session policy, which is only checked
      to be a JSON object; no permission is evaluated anywhere on this server.
    """
    token = await _verified(ctx, params["WebIdentityToken"])
    pool = await ctx.store.get_pool(token.pool_id)
    if pool is None:
        raise api.InvalidIdentityTokenException(WRONG_AUDIENCE)
    role_arn = params["RoleArn"]
    if role_account(role_arn) != pool.account_id or role_arn not in _assumable_roles(
        pool, unauthenticated=UNAUTHENTICATED in token.amr
    ):
        raise AccessDeniedException(NOT_AUTHORIZED)
    policy = params.get("Policy")
    if policy is not None:
        _check_policy(policy)
    tags = _session_tags(token.principal_tags)
    subject = token.identity_id
    provider = _provider(str(token.claims.get("iss", ctx.runtime.tokens.issuer_url)))
    duration = params.get("DurationSeconds", DEFAULT_DURATION_SECONDS)
    session = Session(
        account_id=pool.account_id,
        role_arn=role_arn,
        session_name=params["RoleSessionName"],
        expires_at=ctx.runtime.clock() + timedelta(seconds=duration),
        source_identity_id=subject,
        pool_id=pool.pool_id,
        provider=provider,
        tags=tags,
    )
    packed = _packed_percent(policy, params.get("PolicyArns", []), tags)
    credentials = ctx.runtime.credentials.issue(session)
    out: api.AssumeRoleWithWebIdentityResponse = {
        "Credentials": {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "SessionToken": credentials.session_token,
            "Expiration": credentials.expiration,
        },
        "SubjectFromWebIdentityToken": subject,
        "AssumedRoleUser": {
            "Arn": session.assumed_role_arn,
            "AssumedRoleId": session.assumed_role_id,
        },
        "Provider": provider,
        "Audience": pool.pool_id,
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    return out


async def _verified(ctx: RequestContext, token: str) -> VerifiedToken:
    """Our issuer's verdict in STS's words: ``TokenExpired`` carries STS's own message ("Token
    expired: current date/time <now> must be before the expiration date/time <exp>")."""
    try:
        return await ctx.runtime.tokens.verify(token, now=ctx.runtime.clock())
    except TokenExpired as exc:
        raise api.ExpiredTokenException(exc.message) from exc
    except TokenError as exc:
        raise api.InvalidIdentityTokenException(exc.message) from exc


def _assumable_roles(pool: IdentityPool, *, unauthenticated: bool) -> set[str]:
    if unauthenticated:
        role = pool.roles.get(UNAUTHENTICATED)
        return {role} if role else set()
    roles = {pool.roles[AUTHENTICATED]} if pool.roles.get(AUTHENTICATED) else set()
    for mapping in pool.role_mappings.values():
        rules = (mapping.get("RulesConfiguration") or {}).get("Rules") or []
        roles.update(r["RoleARN"] for r in rules if isinstance(r, dict) and r.get("RoleARN"))
    return roles


def _provider(issuer: str) -> str:
    """STS's ``Provider``: the issuer without its scheme (``cognito-identity.amazonaws.com``)."""
    for scheme in ("https://", "http://"):
        if issuer.startswith(scheme):
            return issuer[len(scheme) :]
    return issuer


def _check_policy(policy: str) -> None:
    try:
        document = orjson.loads(policy)
    except orjson.JSONDecodeError as exc:
        raise api.MalformedPolicyDocumentException(MALFORMED_POLICY) from exc
    if not isinstance(document, dict):
        raise api.MalformedPolicyDocumentException(MALFORMED_POLICY)


def _session_tags(principal_tags: Mapping[str, str]) -> dict[str, str]:
    """Session tags from the token's ``https://aws.amazon.com/tags`` ``principal_tags`` (the
    issuer has checked they are ``{"Key": ["value"]}``), within STS's session-tag limits: at most
    50, keys 1-128 characters, values at most 256."""
    if len(principal_tags) > MAX_SESSION_TAGS:
        raise api.InvalidIdentityTokenException(
            f"The token carries {len(principal_tags)} principal tags; at most {MAX_SESSION_TAGS}"
            " session tags are allowed."
        )
    for key, value in principal_tags.items():
        if not 1 <= len(key) <= MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            raise api.InvalidIdentityTokenException(
                f"The principal tag {key} is too long: keys have 1 to {MAX_TAG_KEY} characters,"
                f" values at most {MAX_TAG_VALUE}."
            )
    return dict(principal_tags)


def _packed_percent(
    policy: str | None, policy_arns: list[api.PolicyDescriptorType], tags: Mapping[str, str]
) -> int | None:
    """``PackedPolicySize``, present when a session policy or session tags were passed; over 100%
    is ``PackedPolicyTooLarge``."""
    if policy is None and not policy_arns and not tags:
        return None
    size = len((policy or "").encode())
    size += sum(len(p.get("arn", "").encode()) for p in policy_arns)
    size += sum(len(k.encode()) + len(v.encode()) + 2 for k, v in tags.items())
    percent = max(1, math.ceil(100 * size / PACKED_BUDGET_BYTES))
    if percent > 100:
        raise api.PackedPolicyTooLargeException(
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )
    return percent


STS: dict[str, Handler] = {
    "GetCallerIdentity": get_caller_identity,
    "AssumeRoleWithWebIdentity": assume_role_with_web_identity,
}
"""The STS operations by name; the model's others answer ``UnsupportedOperation``."""
