"""The one authorization point: may this caller make this call?

Every request of every protocol comes here after its signature is verified and its parameters are
parsed, before its operation runs (the pipeline in ``app.py``).

- **Unsigned callers** reach only what the model marks public (``authtype: none``): GetId,
  GetOpenIdToken, GetCredentialsForIdentity, UnlinkIdentity and STS AssumeRoleWithWebIdentity.
  The SigV4 layer has already refused an unsigned call to anything else.
- **Long-term access keys** act as their account's root: they may call everything, on their own
  account's resources only (the operations look resources up by account).
- **Temporary credentials** (``ASIA…`` keys whose session token we sealed) act as an assumed role.
  The public operations above and ``sts:GetCallerIdentity`` ("No permissions are required to
  perform this operation.") are allowed to any session. Anything else is decided as IAM decides
  for a role session: the role's permission policies (inline, then attached managed), intersected
  with its permissions boundary and with the session policies sealed in the session (``Policy``
  and ``PolicyArns`` of AssumeRoleWithWebIdentity), any explicit Deny final, for the action
  ``<service>:<Operation>`` on the resource the call names (:func:`resource_arn`), in the context
  :func:`.session_context.session_context` builds (the decision endpoint builds the same).
  A session whose role is not (or no longer) in our IAM may call nothing else: the role has no
  policy that could allow it.

A refusal is worded as IAM words it: "User: <assumed-role ARN> is not authorized to perform:
<service>:<Action> on resource: <ARN>" (``AccessDeniedException``; ``AccessDenied`` 403 in the Query
services), followed by " with an explicit deny in <an identity-based policy | a permissions
boundary | a session policy>" when a Deny statement decided.

Resources: the identity pool a call names (its ARN), the IAM provider or policy ARN a call names,
else ``*``. **Choice**: IAM calls that name a role by ``RoleName`` are authorized on ``*``: the
role's ARN holds its path, which only the operation looks up; a policy that allows such calls on
``arn:aws:iam::<account>:role/...`` resources does not allow them here.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.credentials import Session
from cognitoidentity.server.errors import AccessDeniedException
from cognitoidentity.server.policy import (
    Decision,
    Policy,
    PolicyError,
    Request,
    evaluate,
    parse_policy,
)
from cognitoidentity.server.session_context import session_context
from cognitoidentity.server.sigv4 import Caller

if TYPE_CHECKING:
    from cognitoidentity.server.context import Runtime
    from cognitoidentity.server.role_directory import RoleAuthority
    from cognitoidentity.server.store.base import Store

__all__ = [
    "ALLOWED_TO_ANY_CALLER",
    "SessionPolicies",
    "authorize",
    "client_origin",
    "denial_message",
    "resource_arn",
    "session_policies",
]

ALLOWED_TO_ANY_CALLER: Final = frozenset({("sts", "GetCallerIdentity")})
"""Actions every authenticated caller may take whatever its policies say."""

_RESOURCE_PARAMETERS: Final = (
    "ResourceArn",
    "OpenIDConnectProviderArn",
    "SAMLProviderArn",
    "PolicyArn",
)
"""Parameters that name the call's resource by its ARN."""

_NOTHING_ALLOWED: Final = '{"Version":"2012-10-17","Statement":[]}'
SESSION_POLICY_CACHE_SIZE: Final = 1024


async def authorize(
    caller: Caller | None,
    service: str,
    operation: str,
    public: bool,
    params: Mapping[str, Any],
    *,
    runtime: Runtime,
    source_ip: str | None = None,
    secure: bool = False,
) -> None:
    """Raise :class:`AccessDeniedException` unless ``caller`` may call ``service:operation``
    (``public``: the model lets anyone call it, signed or not) with ``params``; ``source_ip`` and
    ``secure`` describe the connection (``aws:SourceIp``, ``aws:SecureTransport``)."""
    if public or caller is None or caller.session is None:
        return
    if (service, operation) in ALLOWED_TO_ANY_CALLER:
        return
    resource = resource_arn(service, caller, params)
    session = caller.session
    decision: Decision | None = None
    authority: RoleAuthority | None = None
    if isinstance(session, Session):
        authority = await runtime.roles.authority(session.account_id, session.role_arn)
        if authority is not None:
            decision = await _decide(
                runtime,
                session,
                authority,
                f"{service}:{operation}",
                resource,
                session_context(
                    session,
                    now=runtime.clock(),
                    source_ip=source_ip,
                    secure=secure,
                    region=caller.region,
                    role_tags=authority.role.tags,
                ),
            )
            if decision.allowed:
                return
    message = denial_message(caller.principal_arn, f"{service}:{operation}", resource)
    if decision is not None and decision.outcome == "explicitDeny" and decision.matched:
        message += f" with an explicit deny in {_deny_source(decision, authority)}"
    raise AccessDeniedException(message)


async def session_policies(runtime: Runtime, session: Session) -> Sequence[Policy] | None:
    """The session policies of ``session``, parsed (see :class:`SessionPolicies`); None when it
    has none (its role's permissions apply undiminished). The decision endpoint uses this too."""
    if not session.has_session_policy:
        return None
    resolver = runtime.session_policies or SessionPolicies(runtime.store, caches_enabled=False)
    return await resolver.of(session)


async def _decide(
    runtime: Runtime,
    session: Session,
    authority: RoleAuthority,
    action: str,
    resource: str,
    context: Mapping[str, Any],
) -> Decision:
    return evaluate(
        Request(action, resource, context),
        authority.permissions,
        session_policies=await session_policies(runtime, session),
        boundary=authority.boundary,
    )


def denial_message(principal_arn: str, action: str, resource: str) -> str:
    """IAM's refusal of ``action`` on ``resource`` to ``principal_arn``."""
    return f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"


def _deny_source(decision: Decision, authority: RoleAuthority | None) -> str:
    """What kind of policy held the Deny that decided, in IAM's words."""
    policy = decision.matched[0].policy
    if policy.source_type == "session":
        return "a session policy"
    if authority is not None and any(policy is b for b in authority.boundary or ()):
        return "a permissions boundary"
    return "an identity-based policy"


def resource_arn(service: str, caller: Caller, params: Mapping[str, Any]) -> str:
    """The ARN a call is authorized on: the identity pool or the resource the call names, else
    ``*`` (the account-wide actions: CreateIdentityPool, ListIdentityPools, ...)."""
    for name in _RESOURCE_PARAMETERS:
        value = params.get(name)
        if isinstance(value, str):
            return value
    pool_id = params.get("IdentityPoolId")
    if service == "cognito-identity" and isinstance(pool_id, str):
        region = pool_id.partition(":")[0] or caller.region
        return f"arn:aws:cognito-identity:{region}:{caller.account_id}:identitypool/{pool_id}"
    return "*"


def client_origin(scope: Mapping[str, Any]) -> tuple[str | None, bool]:
    """``(source IP, secure)`` of an ASGI request: the peer's address (None when the server does
    not know it) and whether it came over HTTPS. **Choice**: no ``X-Forwarded-For`` is trusted
    (anyone can send one); behind a proxy, ``aws:SourceIp`` is the proxy's address."""
    client = scope.get("client")
    source_ip = str(client[0]) if client else None
    return source_ip, scope.get("scheme") == "https"


class SessionPolicies:
    """A session's session policies, parsed: its inline ``Policy`` (source type ``session``) and
    the default versions of its ``PolicyArns`` (source type ``session``, source id the policy's
    name), read from the store.

    **Choice**: a policy ARN that names no managed policy of the session's account (deleted since,
    or never there, or AWS-managed) counts as a session policy that allows nothing, so a session
    can only lose permissions by it."""

    def __init__(self, store: Store, *, caches_enabled: bool) -> None:
        self._store = store
        self._parsed: Cache[str, Policy] = Cache(
            "session policies",
            rule="keyed by the policy's text, which never changes meaning: never invalidated",
            max_entries=SESSION_POLICY_CACHE_SIZE,
            enabled=caches_enabled,
        )
        self._managed: Cache[tuple[str, str], tuple[Hashable, Policy]] = Cache(
            "session managed policies",
            rule="kept with the store's version() when read; used only while version() still"
            " answers that value (None: never reused)",
            max_entries=SESSION_POLICY_CACHE_SIZE,
            enabled=caches_enabled,
        )

    async def of(self, session: Session) -> Sequence[Policy]:
        policies: list[Policy] = []
        if session.policy is not None:
            policies.append(self._parse(session.policy, "session policy"))
        for arn in session.policy_arns:
            policies.append(await self._managed_policy(session.account_id, arn))
        return policies

    def _parse(self, text: str, source_id: str) -> Policy:
        kept = self._parsed.get(text)
        if kept is not None and kept.source_id == source_id:
            return kept
        try:
            policy = parse_policy(text, kind="session", source_id=source_id, source_type="session")
        except PolicyError:  # validated when issued; a policy that no longer parses allows nothing
            policy = _allows_nothing(source_id)
        self._parsed.put(text, policy)
        return policy

    async def _managed_policy(self, account_id: str, arn: str) -> Policy:
        key = (account_id, arn)
        version = self._store.version()
        if version is not None:
            kept = self._managed.get(key)
            if kept is not None and kept[0] == version:
                return kept[1]
        found = await self._store.get_policy(account_id, arn)
        if found is None:
            policy = _allows_nothing(arn)
        else:
            policy = self._parse(found.default_version.document, found.name)
        if version is not None:
            self._managed.put(key, (version, policy))
        return policy


def _allows_nothing(source_id: str) -> Policy:
    return Policy(source_id, "session", _NOTHING_ALLOWED, statements=())
