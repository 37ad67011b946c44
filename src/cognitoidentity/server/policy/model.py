"""The policy engine's data: parsed policies and their statements, requests and decisions.

Everything here is immutable. A :class:`Statement` carries, besides what IAM reports about it
(index, Sid, Effect, positions), its elements compiled at parse time (private to the engine), so
evaluation does no parsing and builds no regex except for resource patterns holding variables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from cognitoidentity.server.policy.conditions import Condition
    from cognitoidentity.server.policy.matching import ActionSet, PrincipalSet, ResourceSet

__all__ = [
    "ContextValue",
    "Decision",
    "Match",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "Principal",
    "Request",
    "Statement",
]

PolicyKind: TypeAlias = Literal["identity", "trust", "session", "resource"]
"""identity: an inline or managed permissions policy (or a permissions boundary); trust: a role's
``AssumeRolePolicyDocument``; session: an STS session policy (validated as identity); resource: a
resource-based policy (Principal required, Resource required)."""

Outcome: TypeAlias = Literal["allowed", "explicitDeny", "implicitDeny"]

ContextValue: TypeAlias = str | Sequence[str]
"""A request-context value as IAM holds it: a string ("true", "2026-12-04T19:00:00Z", "10.0.0.1",
"42"), or a sequence of strings for a multivalued key."""


class PolicyError(Exception):
    """A document that is not a valid policy of its kind.

    ``message`` is IAM's ``MalformedPolicyDocument`` wording ("Syntax errors in policy.", "Policy
    document should not specify a principal.", "Missing required field Principal", "The policy
    failed legacy parsing", ...).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a parsed policy."""

    index: int
    """0-based position in the policy's ``Statement`` list."""
    sid: str | None
    effect: Literal["Allow", "Deny"]
    start: tuple[int, int]
    """(line, column), 1-based, as IAM's ``StartPosition``."""
    end: tuple[int, int]
    """(line, column), 1-based, as IAM's ``EndPosition``."""
    actions: ActionSet | None = field(default=None, repr=False, compare=False)
    """Compiled ``Action``/``NotAction`` (None: the element is absent). Private to the engine."""
    resources: ResourceSet | None = field(default=None, repr=False, compare=False)
    """Compiled ``Resource``/``NotResource`` (None: absent, as in trust policies)."""
    principals: PrincipalSet | None = field(default=None, repr=False, compare=False)
    """Compiled ``Principal``/``NotPrincipal`` (None: absent)."""
    conditions: tuple[Condition, ...] = field(default=(), repr=False, compare=False)
    """Compiled ``Condition`` block, one entry per (operator, key); all must hold."""

    @property
    def label(self) -> str:
        """How explanations name the statement: "Statement 1 (Sid X)", 1-based."""
        number = self.index + 1
        return f"Statement {number} (Sid {self.sid})" if self.sid else f"Statement {number}"


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed, validated policy document."""

    source_id: str
    """Simulate's ``SourcePolicyId``: the inline or managed policy's name, "PolicyInputList.1", ..."""
    source_type: str
    """Simulate's ``SourcePolicyType``: "role" | "user-managed" | "aws-managed" | "resource" | "none"."""
    text: str
    """The document as written."""
    statements: tuple[Statement, ...]
    version: str = "2008-10-17"
    """The document's ``Version`` ("2008-10-17" when absent): variables apply only in 2012-10-17."""
    policy_id: str | None = None
    """The document's optional ``Id`` element."""
    keys: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """Context keys its conditions and variables use, in order of first appearance, as spelled."""

    @property
    def label(self) -> str:
        """How explanations name the policy."""
        return f"policy {self.source_id}" if self.source_id else "policy (unnamed)"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request, as a trust or resource policy's ``Principal`` names it."""

    kind: str
    """"AWS" | "Federated" | "Service" | "CanonicalUser"."""
    value: str
    """E.g. ``Principal("Federated", "cognito-identity.amazonaws.com")``,
    ``Principal("AWS", "arn:aws:iam::123456789012:role/r")``."""


@dataclass(frozen=True, slots=True)
class Request:
    """One authorization question: may ``principal`` do ``action`` on ``resource`` in ``context``?"""

    action: str
    """"s3:GetObject", "sts:AssumeRoleWithWebIdentity"."""
    resource: str
    """An ARN or "*"."""
    context: Mapping[str, ContextValue]
    """Condition keys and their values; key names are case-insensitive (the engine folds them)."""
    principal: Principal | None = None
    """Who asks (used by Principal/NotPrincipal in trust and resource policies)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A statement that decided an outcome."""

    policy: Policy
    statement: Statement


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer, with what decided it."""

    outcome: Outcome
    matched: tuple[Match, ...]
    """The statements that decided: the Denies for explicitDeny, the Allows for allowed (every
    applicable Allow of every policy set that had to allow), empty for implicitDeny."""
    missing_context: tuple[str, ...]
    """Condition keys that relevant statements (action and resource matched) needed and the
    context lacked, spelled as in the policy, in order of first appearance."""
    explanation: tuple[str, ...]
    """Human-readable lines: which statement of which policy matched, or why none did."""

    @property
    def allowed(self) -> bool:
        return self.outcome == "allowed"
