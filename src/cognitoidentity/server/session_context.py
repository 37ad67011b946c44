"""The request context of a call made with temporary credentials: the condition keys a policy
sees when a role session of ours asks to do something.

One plain function, :func:`session_context`, used by every place that decides for a session: the
authorization point (:mod:`.authorization`, our own operations) and the decision endpoint (requests
a self-hosted service forwards). Both must build the very same context, so both call this; a key
added here is added for both.

The keys, as the IAM User Guide lists them for a role session from a web identity (reference
``iam-roles-policies.md`` section 8):

- ``aws:userid`` "<role id>:<role session name>" (``AROA…:CognitoIdentityCredentials`` in the
  enhanced flow), ``aws:PrincipalArn`` the *role's* ARN, path included (not the session's, which
  drops the path), ``aws:PrincipalAccount``, ``aws:PrincipalType`` ``AssumedRole``;
- ``aws:PrincipalTag/<key>``: "the tags attached to the role ... and session tags", where "session
  tags override role tags with the same key" (keys compared whatever their case);
- ``cognito-identity.amazonaws.com:aud`` (the pool), ``:sub`` (the identity) and ``:amr``
  (multivalued): "the web identity keys remain usable after AssumeRoleWithWebIdentity" in other
  services' policies; ``aws:FederatedProvider`` ``cognito-identity.amazonaws.com``;
- ``aws:TokenIssueTime`` (when the credentials were issued; absent for sessions sealed before
  sessions recorded it);
- the request's environment: ``aws:CurrentTime`` (ISO 8601, UTC, to the second), ``aws:EpochTime``,
  ``aws:SecureTransport``, ``aws:SourceIp`` (absent when unknown, as through a VPC endpoint) and
  ``aws:RequestedRegion`` (absent when the request names no region).

``aws:username`` is absent for roles, as on AWS. Every value is a string, or a list of strings for
a multivalued key, as the policy engine takes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

from cognitoidentity.server.credentials import ContextParts, Session
from cognitoidentity.server.policy import ContextValue

__all__ = [
    "AMR_KEY",
    "AUD_KEY",
    "COGNITO_PROVIDER",
    "SUB_KEY",
    "iso_time",
    "principal_tags",
    "session_context",
]

COGNITO_PROVIDER: Final = "cognito-identity.amazonaws.com"
"""The web identity provider of every session this server issues, as AWS names Cognito's: the
trust policies' ``Federated`` principal and the prefix of its condition keys, whatever our issuer
URL is."""
AUD_KEY: Final = f"{COGNITO_PROVIDER}:aud"
SUB_KEY: Final = f"{COGNITO_PROVIDER}:sub"
AMR_KEY: Final = f"{COGNITO_PROVIDER}:amr"


def iso_time(moment: datetime) -> str:
    """``aws:CurrentTime``'s form: ``2026-12-04T19:00:00Z``."""
    # isoformat, not strftime: half the cost, and every session's request and every trust check
    # makes one or two.
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def principal_tags(
    session_tags: Mapping[str, str], role_tags: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The session's principal tags: the role's tags, then the session's over them (a session tag
    replaces a role tag whose key is the same whatever its case, and keeps its own spelling)."""
    merged: dict[str, tuple[str, str]] = {}
    for key, value in (role_tags or {}).items():
        merged[key.lower()] = (key, value)
    for key, value in session_tags.items():
        merged[key.lower()] = (key, value)
    return dict(merged.values())


@lru_cache(maxsize=4)
def _clock_keys(epoch: int) -> tuple[str, str]:
    """``aws:CurrentTime`` and ``aws:EpochTime`` of a second. Memoized (a pure function): every
    call of one second asks for the same two strings."""
    return iso_time(datetime.fromtimestamp(epoch, UTC)), str(epoch)


def session_context(
    session: Session,
    *,
    now: datetime,
    source_ip: str | None,
    secure: bool,
    region: str | None,
    role_tags: Mapping[str, str] | None = None,
) -> dict[str, ContextValue]:
    """The request context for a call made by ``session`` at ``now`` from ``source_ip`` (None:
    unknown), over HTTPS or not (``secure``), for ``region`` (None: none named).

    ``role_tags``: the tags of the role in our IAM (``RoleAuthority.role.tags``); None for a role
    our IAM does not hold. The authorization point and the decision endpoint both pass them, so
    ``aws:PrincipalTag/...`` is the same for both.

    What comes from the session alone is made once per session (:attr:`Session.context_parts`):
    a session opened from a kept token (the vault's "opened sessions") is the same object from
    one call to the next."""
    parts = session.context_parts
    if parts is None:
        parts = session.context_parts = _session_parts(session)
    principal, issued, tags, web_identity = parts
    current_time, epoch_time = _clock_keys(int(now.timestamp()))
    context: dict[str, ContextValue] = {
        "aws:CurrentTime": current_time,
        "aws:EpochTime": epoch_time,
        "aws:SecureTransport": "true" if secure else "false",
    }
    context.update(principal)
    if source_ip:
        context["aws:SourceIp"] = source_ip
    if region:
        context["aws:RequestedRegion"] = region
    if issued is not None:
        context["aws:TokenIssueTime"] = issued
    if role_tags:
        for key, value in principal_tags(session.tags, role_tags).items():
            context[f"aws:PrincipalTag/{key}"] = value
    else:
        context.update(tags)
    context.update(web_identity)
    if session.amr:
        context[AMR_KEY] = list(session.amr)
    return context


def _session_parts(session: Session) -> ContextParts:
    """The keys :func:`session_context` takes from ``session`` alone, in its order."""
    principal = {
        "aws:userid": session.assumed_role_id,
        "aws:PrincipalArn": session.role_arn,
        "aws:PrincipalAccount": session.account_id,
        "aws:PrincipalType": "AssumedRole",
    }
    issued = None if session.issued_at is None else iso_time(session.issued_at)
    tags = {f"aws:PrincipalTag/{key}": value for key, value in principal_tags(session.tags).items()}
    web_identity: dict[str, str] = {}
    if session.pool_id is not None:
        web_identity["aws:FederatedProvider"] = COGNITO_PROVIDER
        web_identity[AUD_KEY] = session.pool_id
    if session.source_identity_id is not None:
        web_identity[SUB_KEY] = session.source_identity_id
    return principal, issued, tags, web_identity
