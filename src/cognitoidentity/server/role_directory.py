"""IAM roles as the rest of the server reads them: a role with its trust policy, its permissions
(inline policies, then the default versions of its attached managed policies) and its
permissions boundary, parsed by the policy engine.

The IAM endpoint (:mod:`.operations.iam_roles`, :mod:`.operations.iam_policies`) keeps roles and
policies in the store; trust checks (AssumeRoleWithWebIdentity, GetCredentialsForIdentity), the
authorization point and decisions read them here, by ARN, in the caller's account only: a role of
another account is never found, whatever its ARN says.

Every document was validated when it was written; one that no longer parses (a store filled by an
older version, an import) is read as a policy that allows nothing rather than failing the request:
**Choice**, so a bad document can only take permissions away.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from cognitoidentity.server.cache import Cache
from cognitoidentity.server.policy import Decision, Policy, PolicyError, PolicyKind, parse_policy
from cognitoidentity.server.store.base import IamManagedPolicy, IamRole, Store

__all__ = ["AUTHORITY_CACHE_SIZE", "RoleAuthority", "RoleDirectory"]

AUTHORITY_CACHE_SIZE = 2048
"""Parsed roles kept per process (the oldest go first beyond it)."""

_NOTHING_ALLOWED = '{"Version":"2012-10-17","Statement":[]}'


@dataclass(frozen=True, slots=True)
class RoleAuthority:
    """A role and its parsed policies."""

    role: IamRole
    trust: Policy
    """The trust policy (kind "trust", source type "resource", source id the role's name)."""
    permissions: tuple[Policy, ...]
    """Inline policies (source type "role", source id the policy's name), then the attached
    managed policies' default versions (source type "user-managed", source id the policy's name),
    each in the order IAM lists them."""
    boundary: tuple[Policy, ...] | None
    """The permissions boundary's default version; None without a boundary."""
    trust_memo: dict[Hashable, tuple[Decision, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """The trust policy's decisions already made, kept by :func:`.trust.trust_decisions` (a pure
    function of this parsed policy and the context values it reads): they go with the role."""


class RoleDirectory:
    """Roles by ARN, parsed, read from the store; ``caches_enabled`` False parses at each call."""

    def __init__(self, store: Store, *, caches_enabled: bool = True) -> None:
        self.store = store
        self._kept: Cache[tuple[str, str], tuple[Hashable, RoleAuthority | None]] = Cache(
            "role authorities",
            rule="kept with the store's version() when read; used only while version() still"
            " answers that value (None: never reused)",
            max_entries=AUTHORITY_CACHE_SIZE,
            enabled=caches_enabled,
        )

    def kept(self, account_id: str, role_arn: str) -> tuple[Hashable, RoleAuthority | None] | None:
        """``(version, authority)`` when :meth:`authority` would answer it from what is kept, found
        without a coroutine (a trust check on every credentials request looks here first); None
        when it must be read."""
        version = self.store.version()
        if version is None:
            return None
        kept = self._kept.get((account_id, role_arn))
        return kept if kept is not None and kept[0] == version else None

    async def authority(self, account_id: str, role_arn: str) -> RoleAuthority | None:
        """The role named by ``role_arn`` in ``account_id`` (the ARN must be the role's, path
        included; a role of another account is never found), parsed; None when absent."""
        kept = self.kept(account_id, role_arn)
        if kept is not None:
            return kept[1]
        # Taken before the read: what is kept is never older than the version it is kept under.
        version = self.store.version()
        found = await self._read(account_id, role_arn)
        if version is not None:
            self._kept.put((account_id, role_arn), (version, found))
        return found

    async def _read(self, account_id: str, role_arn: str) -> RoleAuthority | None:
        role = await self.store.get_role_by_arn(account_id, role_arn)
        if role is None:
            return None
        permissions = [
            _parse(document, "identity", name, "role")
            for name, document in role.inline_policies.items()
        ]
        for arn in role.attached_policies:
            policy = await self.store.get_policy(account_id, arn)
            if policy is not None:
                permissions.append(_managed(policy))
        boundary: tuple[Policy, ...] | None = None
        if role.permissions_boundary is not None:
            policy = await self.store.get_policy(account_id, role.permissions_boundary)
            # A boundary that names no policy allows nothing (IAM refuses to set one).
            boundary = (
                (_managed(policy),)
                if policy is not None
                else (_allowing_nothing(role.permissions_boundary, "none"),)
            )
        trust = _parse(role.trust_policy, "trust", role.name, "resource")
        return RoleAuthority(role, trust, tuple(permissions), boundary)


def _managed(policy: IamManagedPolicy) -> Policy:
    return _parse(policy.default_version.document, "identity", policy.name, "user-managed")


def _parse(text: str, kind: PolicyKind, source_id: str, source_type: str) -> Policy:
    try:
        return parse_policy(text, kind=kind, source_id=source_id, source_type=source_type)
    except PolicyError:
        return _allowing_nothing(source_id, source_type)


def _allowing_nothing(source_id: str, source_type: str) -> Policy:
    """A policy without statements: it allows nothing, and denies nothing."""
    return Policy(source_id, source_type, _NOTHING_ALLOWED, statements=())
