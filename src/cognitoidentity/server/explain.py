"""Why this role? How GetCredentialsForIdentity would choose a role for a pool and a ``Logins`` map
(or an identity), step by step: the answer to "Invalid identity pool configuration" and "ambiguous
role" questions.

Every step runs the code GetCredentialsForIdentity runs, without writing anything:

1. the identity (if one is named): it must be of the pool and enabled;
2. each login, verified on its own by the pool's verifier for its key (:mod:`.logins.dispatch`),
   so that every login's outcome is reported, not only the first failure; a token of ours
   (``cognito-identity.amazonaws.com``) through :func:`.operations.authn.verify_own_token`;
   the claims seen, the principal tags they map to (:func:`.operations.principal_tags.
   principal_tags_for`), and the identity each login already belongs to (no login is linked);
3. the role mapping: which ``RoleMappings`` key addresses each login, and for a ``Rules`` mapping
   each rule with the claim values it compared (:func:`.roles.rule_matches`); for ``Token``, the
   ``cognito:roles`` and ``cognito:preferred_role`` claims;
4. the role, by :func:`.roles.resolve_role` itself (or a SAML assertion's roles), or the exact error
   GetCredentialsForIdentity would answer;
5. the trust check of the enhanced flow (:func:`.trust.check_trust`, the same context), with the
   policy engine's explanation of the trust policy's decisions.

**Choice**: an identity's linking (a login new to the pool, a login owned by another identity that
the call would merge) is reported, not performed; its errors (a merge that is refused, say) are
therefore not predicted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from cognitoidentity.server.api import cognito_identity as api
from cognitoidentity.server.context import RequestContext
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.linking import LOGINS_DONT_MATCH, LoginKey, forbidden
from cognitoidentity.server.logins.base import UNSUPPORTED_PROVIDER, LoginIdentity
from cognitoidentity.server.operations.authn import (
    COGNITO_TOKEN_PROVIDER,
    Authenticated,
    from_logins,
    from_own_token,
    verify_own_token,
)
from cognitoidentity.server.operations.flows import (
    LOGINS_FOR_UNAUTHENTICATED,
    SESSION_NAME,
    enhanced_flow_trust,
    has_login_providers,
    saml_role,
    usable_unauthenticated,
)
from cognitoidentity.server.operations.identities import UNAUTHENTICATED_DISABLED
from cognitoidentity.server.operations.lookups import identity_not_found, require_pool
from cognitoidentity.server.policy import Decision
from cognitoidentity.server.roles import (
    INVALID_POOL_CONFIGURATION,
    PREFERRED_ROLE_CLAIM,
    ROLES_CLAIM,
    VerifiedLogin,
    claim_values,
    mapping_key_for,
    resolve_role,
    rule_matches,
    token_roles,
)
from cognitoidentity.server.store.base import Identity, IdentityPool
from cognitoidentity.server.trust import TrustVerdict

__all__ = ["explain_role_choice", "explain_role_choice_call", "render_text"]

NEW_IDENTITY: Final = "(a new identity)"


async def explain_role_choice_call(
    ctx: RequestContext, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``ExplainRoleChoice``: for a pool of the caller's account, in the region it signed for."""
    pool = await require_pool(ctx, params["IdentityPoolId"])
    return await explain_role_choice(
        ctx,
        pool,
        logins=params.get("Logins") or {},
        identity_id=params.get("IdentityId"),
        custom_role_arn=params.get("CustomRoleArn"),
    )


class _Report:
    """The explanation being written: steps in order, and the structured parts."""

    def __init__(self, pool: IdentityPool, identity_id: str | None) -> None:
        self.out: dict[str, Any] = {
            "IdentityPoolId": pool.pool_id,
            "IdentityId": identity_id,
            "Steps": [],
            "Logins": [],
            "RoleMapping": [],
            "PrincipalTags": {},
            "RoleArn": None,
            "Trust": None,
            "Error": None,
        }

    def step(self, step: str, outcome: str, detail: str) -> None:
        self.out["Steps"].append({"Step": step, "Outcome": outcome, "Detail": detail})

    def fail(self, step: str, error: ServiceError) -> dict[str, Any]:
        self.step(step, "error", f"GetCredentialsForIdentity would answer {_worded(error)}")
        self.out["Error"] = {"Code": error.code, "Message": error.message}
        return self.out


def _worded(error: ServiceError) -> str:
    return f"{error.code}: {error.message}"


async def explain_role_choice(
    ctx: RequestContext,
    pool: IdentityPool,
    *,
    logins: Mapping[str, str],
    identity_id: str | None,
    custom_role_arn: str | None,
) -> dict[str, Any]:
    """The explanation (see the module's docstring), as the endpoint answers it."""
    report = _Report(pool, identity_id)
    identity: Identity | None = None
    if identity_id is not None:
        identity = await ctx.store.get_identity(identity_id)
        if identity is None or identity.pool_id != pool.pool_id:
            return report.fail("identity", identity_not_found(identity_id))
        linked = ", ".join(identity.logins) or "no logins (unauthenticated)"
        report.step("identity", "found", f"{identity_id}: {linked}")
    if not logins:
        return await _unauthenticated(ctx, pool, identity, custom_role_arn, report)
    if identity is not None and not identity.logins and not has_login_providers(pool):
        return report.fail("logins", api.InvalidParameterException(LOGINS_FOR_UNAUTHENTICATED))
    proven = await _verify_logins(ctx, pool, logins, identity, report)
    if proven is None:
        return report.out
    report.out["PrincipalTags"] = dict(proven.principal_tags)
    if proven.principal_tags:
        tags = ", ".join(f"{k}={v}" for k, v in proven.principal_tags.items())
        report.step("principal tags", "mapped", tags)
    else:
        report.step("principal tags", "none", "No principal tag is mapped from these logins.")
    try:
        if proven.saml_roles:
            role_arn = saml_role(proven.saml_roles, custom_role_arn)
            report.step("role", "chosen", f"{role_arn}, from the SAML assertion's roles.")
        else:
            _explain_mappings(pool, proven.role_logins, report)
            role_arn = resolve_role(
                roles=pool.roles,
                role_mappings=pool.role_mappings,
                authenticated=True,
                logins=proven.role_logins,
                custom_role_arn=custom_role_arn,
            )
            report.step("role", "chosen", role_arn)
    except ServiceError as error:
        return report.fail("role", error)
    amr = ("authenticated", *proven.amr)
    return await _trust(ctx, pool, proven.identity_id, role_arn, proven.principal_tags, amr, report)


async def _unauthenticated(
    ctx: RequestContext,
    pool: IdentityPool,
    identity: Identity | None,
    custom_role_arn: str | None,
    report: _Report,
) -> dict[str, Any]:
    """No logins: the unauthenticated identity's role (GetId would make the identity)."""
    try:
        if identity is not None:
            usable_unauthenticated(identity, pool)
        elif not pool.allow_unauthenticated:
            # What GetId answers: there would be no identity to ask credentials for.
            raise api.NotAuthorizedException(UNAUTHENTICATED_DISABLED)
        report.step("logins", "none", "No logins: the unauthenticated role applies.")
        role_arn = resolve_role(
            roles=pool.roles,
            role_mappings=pool.role_mappings,
            authenticated=False,
            logins=(),
            custom_role_arn=custom_role_arn,
        )
        report.step("role", "chosen", f"{role_arn}, the pool's unauthenticated role.")
    except ServiceError as error:
        return report.fail("role", error)
    identity_id = identity.identity_id if identity is not None else NEW_IDENTITY
    return await _trust(ctx, pool, identity_id, role_arn, {}, ("unauthenticated",), report)


async def _verify_logins(
    ctx: RequestContext,
    pool: IdentityPool,
    logins: Mapping[str, str],
    identity: Identity | None,
    report: _Report,
) -> Authenticated | None:
    """Verify each login on its own, report each; the logins proven, or None (the error is in the
    report: the first failure in ``Logins`` order, as GetCredentialsForIdentity answers it)."""
    own = logins.get(COGNITO_TOKEN_PROVIDER)
    if own is not None:
        return await _own_token(ctx, pool, logins, own, identity, report)
    verified: list[LoginIdentity] = []
    first_error: ServiceError | None = None
    for key, token in logins.items():
        entry: dict[str, Any] = {"Provider": key, "Verified": False, "Error": None}
        report.out["Logins"].append(entry)
        try:
            if key == pool.developer_provider_name:
                raise api.NotAuthorizedException(UNSUPPORTED_PROVIDER)
            verifier = await ctx.runtime.logins.verifier_for(pool, key)
            login = await verifier.verify(token)
        except ServiceError as error:
            entry["Error"] = {"Code": error.code, "Message": error.message}
            report.step(f"login {key}", "refused", _worded(error))
            first_error = first_error or error
            continue
        owner = await ctx.store.find_login(pool.pool_id, LoginKey(login.provider, login.user_id))
        entry.update(
            Verified=True,
            UserId=login.user_id,
            Claims=dict(login.claims),
            MappingKeys=list(login.mapping_keys),
            IdentityId=owner,
        )
        belongs = f"belongs to {owner}" if owner else "is linked to no identity yet"
        report.step(f"login {key}", "verified", f"user {login.user_id}; the login {belongs}.")
        verified.append(login)
    if first_error is not None:
        report.fail("logins", first_error)
        return None
    identity_id = _identity_of(report, identity)
    if identity is not None and identity.disabled:
        report.fail("identity", forbidden(identity.identity_id))
        return None
    return from_logins(pool, identity_id, verified)


def _identity_of(report: _Report, identity: Identity | None) -> str:
    """The identity the credentials would be for: the one named, else the one the logins belong
    to (the first found), else a new one."""
    if identity is not None:
        return identity.identity_id
    owners = [entry.get("IdentityId") for entry in report.out["Logins"]]
    found = next((owner for owner in owners if owner), None)
    report.out["IdentityId"] = found
    return found or NEW_IDENTITY


async def _own_token(
    ctx: RequestContext,
    pool: IdentityPool,
    logins: Mapping[str, str],
    token: str,
    identity: Identity | None,
    report: _Report,
) -> Authenticated | None:
    entry: dict[str, Any] = {"Provider": COGNITO_TOKEN_PROVIDER, "Verified": False, "Error": None}
    report.out["Logins"].append(entry)
    try:
        if len(logins) > 1:
            raise api.InvalidParameterException(
                f"{COGNITO_TOKEN_PROVIDER} cannot be combined with other logins."
            )
        verified = await verify_own_token(ctx, pool, token)
        proven = from_own_token(verified)
        if identity is not None and proven.identity_id != identity.identity_id:
            raise api.NotAuthorizedException(LOGINS_DONT_MATCH)
    except ServiceError as error:
        entry["Error"] = {"Code": error.code, "Message": error.message}
        report.fail(f"login {COGNITO_TOKEN_PROVIDER}", error)
        return None
    entry.update(Verified=True, Claims=dict(verified.claims), IdentityId=proven.identity_id)
    report.out["IdentityId"] = proven.identity_id
    report.step(
        f"login {COGNITO_TOKEN_PROVIDER}",
        "verified",
        f"our OpenID token for {proven.identity_id}",
    )
    return proven


def _explain_mappings(pool: IdentityPool, logins: Sequence[VerifiedLogin], report: _Report) -> None:
    """Which mapping addresses each login, and what its rules or token claims say. The first
    login with a mapping decides (resolve_role's order); the others are not looked at."""
    for login in logins:
        key = mapping_key_for(login, pool.role_mappings)
        if key is None:
            tried = ", ".join(login.mapping_keys or (login.provider,))
            report.step(
                f"role mapping {login.provider}", "none", f"No RoleMappings entry for {tried}."
            )
            continue
        mapping = pool.role_mappings[key]
        entry: dict[str, Any] = {
            "Provider": login.provider,
            "MappingKey": key,
            "Type": mapping.get("Type"),
            "AmbiguousRoleResolution": mapping.get("AmbiguousRoleResolution"),
        }
        report.out["RoleMapping"].append(entry)
        resolution = mapping.get("AmbiguousRoleResolution")
        if mapping.get("Type") == "Token":
            roles = token_roles(login.claims.get(ROLES_CLAIM))
            preferred = login.claims.get(PREFERRED_ROLE_CLAIM)
            entry.update(TokenRoles=list(roles), PreferredRole=preferred)
            report.step(
                f"role mapping {login.provider}",
                "found",
                f"Token mapping under {key} (AmbiguousRoleResolution {resolution}):"
                f" {ROLES_CLAIM} = {list(roles)}, {PREFERRED_ROLE_CLAIM} = {preferred!r}",
            )
            return
        report.step(
            f"role mapping {login.provider}",
            "found",
            f"Rules mapping under {key} (AmbiguousRoleResolution {resolution}); the first"
            " matching rule's role applies.",
        )
        configuration = mapping.get("RulesConfiguration") or {}
        rules = []
        for number, rule in enumerate(configuration.get("Rules", []), start=1):
            values = claim_values(login.claims.get(rule["Claim"]))
            matched = rule_matches(rule, login.claims)
            rules.append({**rule, "ClaimValues": list(values), "Matched": matched})
            seen = f"{list(values)}" if values else "missing"
            report.step(
                f"rule {number}",
                "matched" if matched else "no match",
                f"{rule['Claim']} {rule['MatchType']} {rule['Value']!r} (claim: {seen})"
                f" -> {rule['RoleARN']}",
            )
        entry["Rules"] = rules
        if not any(rule["Matched"] for rule in rules):
            report.step("rules", "none matched", f"AmbiguousRoleResolution {resolution} applies.")
        return
    report.step(
        "role mapping",
        "none",
        "No login has a role mapping: the pool's authenticated role applies.",
    )


async def _trust(
    ctx: RequestContext,
    pool: IdentityPool,
    identity_id: str,
    role_arn: str,
    tags: Mapping[str, str],
    amr: Sequence[str],
    report: _Report,
) -> dict[str, Any]:
    """The enhanced flow's trust check of ``role_arn``, as GetCredentialsForIdentity makes it."""
    report.out["RoleArn"] = role_arn
    now = ctx.runtime.clock().replace(microsecond=0)
    verdict = await enhanced_flow_trust(ctx, pool, identity_id, role_arn, tags, amr, now)
    report.out["Trust"] = {
        "Trusted": verdict.trusted,
        "Reason": verdict.reason,
        "Mode": ctx.runtime.settings.iam_roles,
        "Decisions": [_decision(d) for d in verdict.decisions],
    }
    detail = _trust_detail(verdict, role_arn, ctx.runtime.settings.iam_roles)
    report.step("trust", "trusted" if verdict.trusted else "refused", detail)
    for decision in verdict.decisions:
        for line in decision.explanation:
            report.step("trust policy", decision.outcome, line)
    if not verdict.trusted:
        return report.fail(
            "credentials", api.InvalidIdentityPoolConfigurationException(INVALID_POOL_CONFIGURATION)
        )
    report.step("credentials", "issued", f"Credentials for {role_arn}, session {SESSION_NAME}.")
    return report.out


def _trust_detail(verdict: TrustVerdict, role_arn: str, mode: str) -> str:
    match verdict.reason:
        case "foreign role":
            return f"{role_arn} is a role of another account than the pool's: never trusted."
        case "no such role":
            return f"{role_arn} is not in this server's IAM (COGNITOIDENTITY_IAM_ROLES={mode})."
        case "not the pool's":
            return f"{role_arn} is not in this server's IAM, and the pool does not name it."
        case "not trusted":
            return f"The trust policy of {role_arn} does not allow this token."
    if verdict.role is None:
        return (
            f"{role_arn} is not in this server's IAM; the pool's configuration chose it, which"
            f" COGNITOIDENTITY_IAM_ROLES={mode} trusts."
        )
    return f"The trust policy of {role_arn} allows this token."


def _decision(decision: Decision) -> dict[str, Any]:
    return {
        "Outcome": decision.outcome,
        "Explanation": list(decision.explanation),
        "MatchedStatements": [
            {"SourcePolicyId": m.policy.source_id, "Sid": m.statement.sid} for m in decision.matched
        ],
        "MissingContextValues": list(decision.missing_context),
    }


def render_text(result: Mapping[str, Any]) -> str:
    """The explanation as lines for a terminal (``cognitoidentity explain``)."""
    lines = [f"pool {result['IdentityPoolId']}"]
    for step in result["Steps"]:
        lines.append(f"  {step['Step']}: {step['Outcome']}: {step['Detail']}")
    for login in result["Logins"]:
        claims = login.get("Claims")
        if claims:
            lines.append(f"  claims of {login['Provider']}:")
            lines += [f"    {name} = {value!r}" for name, value in claims.items()]
    error = result["Error"]
    if error is not None:
        lines.append(f"=> {error['Code']}: {error['Message']}")
    else:
        lines.append(f"=> role {result['RoleArn']}")
    return "\n".join(lines)
