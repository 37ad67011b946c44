"""Whether a web identity token of an identity pool may assume a role: the trust check of both
flows, AssumeRoleWithWebIdentity (basic) and GetCredentialsForIdentity (enhanced), as AWS's STS
makes it.

For a role that exists in our IAM (:mod:`.role_directory`), its trust policy decides, evaluated
by the policy engine for the principal ``{"Federated": "cognito-identity.amazonaws.com"}`` with
the token's context (reference ``iam-roles-policies.md`` sections 8 and 9):

- ``cognito-identity.amazonaws.com:aud`` (the pool id), ``:sub`` (the identity id) and ``:amr``
  (multivalued: ``["unauthenticated"]``, or ``["authenticated", <provider>, ...]``);
- ``sts:RoleSessionName`` (``CognitoIdentityCredentials`` in the enhanced flow). **Choice**: it is
  in the context; the service authorization reference omits it for this action, the condition-key
  page lists it for the assume-role family, and a trust policy that does not name it is unaffected;
- ``aws:CurrentTime`` and ``aws:EpochTime``. **Choice**: ``aws:SourceIp`` and the transport keys
  are not (whether AWS has them here is not documented, and in the enhanced flow Cognito itself
  calls STS);
- the action ``sts:AssumeRoleWithWebIdentity`` on the role's ARN, and, when the token carries
  principal tags, also ``sts:TagSession`` with ``aws:RequestTag/<key>`` and ``aws:TagKeys``:
  "the role trust policy must allow sts:TagSession" (every role reachable with tags needs it).

Trust policies must allow explicitly: an implicit deny refuses, as an explicit one does.

A role ARN that names no role of our IAM (the ``iam_roles`` setting, ``COGNITOIDENTITY_IAM_ROLES``):

- ``lenient`` (default): a role the pool itself names (its roles, its rules' roles; in the enhanced
  flow any role the pool's configuration or a verified login chose) is trusted, as before roles
  lived here, so existing set-ups keep working; another is refused;
- ``strict``: refused, as on AWS (**Choice**: with the same error as any trust failure; what STS
  answers for a missing role is not documented).

A role of another account than the pool's is always refused: **Choice**, kept from before (our
accounts are separate tenants, and no account's role is looked up for another).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from cognitoidentity.server.policy import ContextValue, Decision, Principal, Request, evaluate
from cognitoidentity.server.role_directory import RoleAuthority, RoleDirectory
from cognitoidentity.server.roles import role_account
from cognitoidentity.server.session_context import AMR_KEY, AUD_KEY, SUB_KEY, iso_time
from cognitoidentity.server.store.base import IamRole

__all__ = [
    "ASSUME_ACTION",
    "COGNITO_PRINCIPAL",
    "TAG_ACTION",
    "TrustVerdict",
    "check_trust",
    "trust_context",
    "trust_decisions",
]

ASSUME_ACTION: Final = "sts:AssumeRoleWithWebIdentity"
TAG_ACTION: Final = "sts:TagSession"
COGNITO_PRINCIPAL: Final = Principal("Federated", "cognito-identity.amazonaws.com")

Reason = Literal["trusted", "not trusted", "foreign role", "no such role", "not the pool's"]


@dataclass(frozen=True, slots=True)
class TrustVerdict:
    """The answer of :func:`check_trust`."""

    trusted: bool
    reason: Reason
    """``trusted`` (by its trust policy or, lenient, by the pool naming it), ``not trusted`` (its
    trust policy does not allow), ``foreign role``, ``no such role`` (strict), ``not the pool's``
    (lenient, a role our IAM does not hold and the pool does not name)."""
    role: IamRole | None = None
    """The role in our IAM; None when it is not there."""
    decisions: tuple[Decision, ...] = ()
    """The trust policy's decisions (AssumeRoleWithWebIdentity, then TagSession if tags were
    asked for); empty when no trust policy was evaluated."""


def trust_context(
    *,
    pool_id: str,
    identity_id: str,
    amr: Sequence[str],
    session_name: str,
    tags: Mapping[str, str],
    now: datetime,
) -> dict[str, ContextValue]:
    """The context of the trust check (see the module's docstring)."""
    context: dict[str, ContextValue] = {
        AUD_KEY: pool_id,
        SUB_KEY: identity_id,
        AMR_KEY: list(amr),
        "sts:RoleSessionName": session_name,
        "aws:CurrentTime": iso_time(now),
        "aws:EpochTime": str(int(now.timestamp())),
    }
    if tags:
        for key, value in tags.items():
            context[f"aws:RequestTag/{key}"] = value
        context["aws:TagKeys"] = list(tags)
    return context


def trust_decisions(
    authority: RoleAuthority, context: Mapping[str, ContextValue], *, tags: bool
) -> tuple[Decision, ...]:
    """The trust policy's decision on ``sts:AssumeRoleWithWebIdentity`` and, with ``tags``, on
    ``sts:TagSession``, both for the Cognito principal on the role's ARN."""
    actions = (ASSUME_ACTION, TAG_ACTION) if tags else (ASSUME_ACTION,)
    return tuple(
        evaluate(
            Request(action, authority.role.arn, context, COGNITO_PRINCIPAL),
            [authority.trust],
        )
        for action in actions
    )


async def check_trust(
    roles: RoleDirectory,
    mode: str,
    *,
    account_id: str,
    role_arn: str,
    named_by_pool: bool,
    context: Mapping[str, ContextValue],
    tags: bool,
) -> TrustVerdict:
    """May a token of a pool of ``account_id`` assume ``role_arn``? ``mode`` is the ``iam_roles``
    setting; ``named_by_pool``: whether the pool's configuration names the role (lenient mode);
    ``context`` from :func:`trust_context`; ``tags``: whether session tags are asked for."""
    if role_account(role_arn) != account_id:
        return TrustVerdict(False, "foreign role")
    authority = await roles.authority(account_id, role_arn)
    if authority is None:
        if mode == "strict":
            return TrustVerdict(False, "no such role")
        return TrustVerdict(named_by_pool, "trusted" if named_by_pool else "not the pool's")
    decisions = trust_decisions(authority, context, tags=tags)
    trusted = all(decision.allowed for decision in decisions)
    return TrustVerdict(trusted, "trusted" if trusted else "not trusted", authority.role, decisions)
