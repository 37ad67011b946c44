"""The STS operations this server answers: GetCallerIdentity and AssumeRoleWithWebIdentity.

Which roles a web identity token may assume is decided by :mod:`..trust`: a role of our IAM by
its trust policy, as AWS's STS decides it (so the basic flow works for any role whose trust
policy trusts the pool, whether the pool names it or not); a role ARN our IAM does not hold by
the ``iam_roles`` setting (``lenient``: the roles the pool names are trusted, as the standard
Cognito trust policy would, ``cognito-identity.amazonaws.com:aud`` = the pool and ``:amr`` =
authenticated or unauthenticated: an unauthenticated identity's token may assume the pool's
unauthenticated role, an authenticated one the pool's authenticated role or any role its
rule-based role mappings can pick; ``strict``: none).
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
from cognitoidentity.server.errors import AccessDeniedException, ValidationException
from cognitoidentity.server.operations import Handler
from cognitoidentity.server.policy import PolicyError, parse_policy
from cognitoidentity.server.roles import AUTHENTICATED, UNAUTHENTICATED
from cognitoidentity.server.store.base import IdentityPool
from cognitoidentity.server.tokens import TAGS_CLAIM, TokenError, TokenExpired, VerifiedToken
from cognitoidentity.server.trust import check_trust, trust_context

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
"""STS's answer to a session policy that is not JSON."""
INVALID_POLICY: Final = "The policy is not in the valid JSON format."
"""STS's answer to a session policy that is JSON but not a valid policy (Hadoop's S3A
troubleshooting guide quotes both messages, as the AWS SDK reported them)."""
DURATION_EXCEEDS_MAX: Final = (
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
)


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
    - The role must trust the token (:mod:`..trust`: its trust policy, with
      ``sts:TagSession`` too when the token carries principal tags; for a role ARN our IAM does
      not hold, the ``iam_roles`` setting), else ``AccessDenied`` "Not authorized to perform
      sts:AssumeRoleWithWebIdentity" (403), whatever failed.
    - ``DurationSeconds`` (default 3600) above the role's ``MaxSessionDuration``: IAM's 400
      ``ValidationError`` "The requested DurationSeconds exceeds the MaxSessionDuration set for
      this role." Checked after trust, so an untrusted caller learns nothing of the role. A role
      our IAM does not hold has no such cap (up to 43200, the model's maximum).
    - ``Policy``, a session policy, is validated by the policy engine as a session policy:
      ``MalformedPolicyDocument`` "Syntax errors in policy." when it is not JSON, "The policy is
      not in the valid JSON format." when it is JSON but no valid policy (STS's two wordings).
      ``PolicyArns`` are kept by ARN. Both are sealed into the session and narrow what it may do
      (:mod:`...authorization`): "The resulting session's permissions are the intersection of
      the role's identity-based policy and the session policies." **Choice**: a policy ARN that
      names no managed policy of the role's account allows nothing when the session is used
      (checked then, not here, as the policy may be created or deleted meanwhile).
    - Session tags come from the token's ``https://aws.amazon.com/tags`` ``principal_tags``.
    - ``ProviderId`` (OAuth 2.0 providers only) and ``MinimumSessionTokenSize`` are accepted and
      ignored.
    - The session's role id (``AssumedRoleId``, GetCallerIdentity's ``UserId``, ``aws:userid``)
      is the role's ``AROA…`` id in our IAM, else one derived from the ARN.
    """
    token = await _verified(ctx, params["WebIdentityToken"])
    pool = await ctx.store.get_pool(token.pool_id)
    if pool is None:
        raise api.InvalidIdentityTokenException(WRONG_AUDIENCE)
    role_arn = params["RoleArn"]
    session_name = params["RoleSessionName"]
    tags = _session_tags(token.principal_tags)
    now = ctx.runtime.clock().replace(microsecond=0)
    verdict = await check_trust(
        ctx.runtime.roles,
        ctx.runtime.settings.iam_roles,
        account_id=pool.account_id,
        role_arn=role_arn,
        named_by_pool=role_arn
        in _assumable_roles(pool, unauthenticated=UNAUTHENTICATED in token.amr),
        context=trust_context(
            pool_id=pool.pool_id,
            identity_id=token.identity_id,
            amr=token.amr,
            session_name=session_name,
            tags=tags,
            now=now,
        ),
        tags=bool(tags),
    )
    if not verdict.trusted:
        raise AccessDeniedException(NOT_AUTHORIZED)
    duration = params.get("DurationSeconds", DEFAULT_DURATION_SECONDS)
    if verdict.role is not None and duration > verdict.role.max_session_duration:
        raise ValidationException(DURATION_EXCEEDS_MAX)
    policy = params.get("Policy")
    if policy is not None:
        _check_policy(policy)
    policy_arns = params.get("PolicyArns", [])
    subject = token.identity_id
    provider = _provider(str(token.claims.get("iss", ctx.runtime.tokens.issuer_url)))
    session = Session(
        account_id=pool.account_id,
        role_arn=role_arn,
        session_name=session_name,
        expires_at=now + timedelta(seconds=duration),
        source_identity_id=subject,
        pool_id=pool.pool_id,
        provider=provider,
        tags=tags,
        iam_role_id=verdict.role.role_id if verdict.role is not None else None,
        amr=token.amr,
        policy=policy,
        policy_arns=tuple(p["arn"] for p in policy_arns if p.get("arn")),
        issued_at=now,
    )
    packed = _packed_percent(policy, policy_arns, tags)
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
    """A session policy as STS checks it: JSON, then a valid session policy (as an identity
    policy: no ``Principal``)."""
    try:
        orjson.loads(policy)
    except orjson.JSONDecodeError as exc:
        raise api.MalformedPolicyDocumentException(MALFORMED_POLICY) from exc
    try:
        parse_policy(policy, kind="session", source_id="session policy")
    except PolicyError as exc:
        message = MALFORMED_POLICY if exc.message == MALFORMED_POLICY else INVALID_POLICY
        raise api.MalformedPolicyDocumentException(message) from exc


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
