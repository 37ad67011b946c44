"""Deciding a request against policies, with the reasons.

IAM User Guide, "Policy evaluation logic" (reference section 5), for one account:

1. "By default, all requests are implicitly denied";
2. "an explicit deny in any of these policies overrides the allow": any applicable ``Deny`` of
   any policy (identity, session, permissions boundary) gives ``explicitDeny``;
3. the identity policies must contain an applicable ``Allow``;
4. "if a permissions boundary is set, ... the effective permissions are the intersection": the
   boundary must also allow;
5. "session policies ... the resulting session's permissions are the intersection of the
   role's identity-based policies and the session policies": when session policies are passed,
   they must also allow.

A statement applies when its Principal part (if any), its Action part, its Resource part (if
any) and every condition hold. Nothing is ordered: all applicable statements are collected, then
the precedence above is applied. Role trust policies are evaluated the same way, passed as
``policies`` with the caller in ``Request.principal``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from cognitoidentity.server.policy.conditions import Condition
from cognitoidentity.server.policy.model import (
    ContextValue,
    Decision,
    Match,
    Outcome,
    Policy,
    Request,
    Statement,
)
from cognitoidentity.server.policy.variables import Context, Variable, resolve

__all__ = ["evaluate", "fold_context"]

_SETS: Final = {
    "identity": "the identity policies",
    "session": "the session policies",
    "boundary": "the permissions boundary",
}


def fold_context(context: Mapping[str, ContextValue]) -> dict[str, str | tuple[str, ...]]:
    """The context as the engine reads it: "condition key names are not case-sensitive", so keys
    are lower-cased; a multivalued value becomes a tuple. **Choice**: a value that is not a
    string (a number, a boolean) is read as its ``str``."""
    folded: dict[str, str | tuple[str, ...]] = {}
    for key, value in context.items():
        if type(value) is str:
            folded[str(key).lower()] = value
        elif type(value) in (list, tuple) and all(type(item) is str for item in value):
            folded[str(key).lower()] = tuple(value)
        elif isinstance(value, str):
            folded[str(key).lower()] = str(value)
        elif isinstance(value, Sequence):
            folded[str(key).lower()] = tuple(
                item if isinstance(item, str) else str(item) for item in value
            )
        else:
            folded[str(key).lower()] = str(value)
    return folded


class _Run:
    """The state of one evaluation: the folded request and what has been found so far.

    Evaluation records a short reason per statement and renders explanation lines only at the
    end, and only those the outcome needs (every statement's for implicitDeny, the deciding
    statements' otherwise), so the common allowed case builds few strings.
    """

    __slots__ = ("action", "context", "missing", "reasons", "request", "resource", "seen")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.action = request.action.lower()
        self.resource = request.resource
        self.context: Context = fold_context(request.context)
        self.reasons: list[tuple[Policy, Statement, str, Condition | None]] = []
        self.missing: list[str] = []
        self.seen: set[str] = set()

    def note_missing(self, key: str) -> None:
        folded = key.lower()
        if folded not in self.seen:
            self.seen.add(folded)
            self.missing.append(key)

    def applies(self, policy: Policy, statement: Statement) -> bool:
        """Whether the statement applies; records the reason either way."""
        principals = statement.principals
        if principals is not None and not principals.applies(self.request.principal):
            self.reasons.append((policy, statement, "principal", None))
            return False
        actions = statement.actions
        if actions is not None and not actions.applies(self.action):
            self.reasons.append((policy, statement, "action", None))
            return False
        context = self.context
        resources = statement.resources
        if resources is not None and not resources.applies(self.resource, context):
            for variable in resources.variables:
                if variable.key_lower not in context:
                    self._unresolved(resources.variables)
                    break
            self.reasons.append((policy, statement, "resource", None))
            return False
        failed: Condition | None = None
        for condition in statement.conditions:
            if condition.key_lower not in context:
                self.note_missing(condition.key)
            for variable in condition.variables:
                if variable.key_lower not in context:
                    self._unresolved(condition.variables)
                    break
            if failed is None and not condition.holds(context):
                failed = condition
        if failed is not None:
            self.reasons.append((policy, statement, "condition", failed))
            return False
        self.reasons.append((policy, statement, "applies", None))
        return True

    def _unresolved(self, variables: Sequence[Variable]) -> list[str]:
        """Variables without a value (noted as missing context), as ``${key}``."""
        unresolved: list[str] = []
        for variable in variables:
            if resolve(variable, self.context) is None:
                self.note_missing(variable.key)
                unresolved.append("${" + variable.key + "}")
        return unresolved

    def lines(self, *, all_statements: bool) -> list[str]:
        """The explanation line of each statement (or of the applicable ones only)."""
        request = self.request
        lines: list[str] = []
        for policy, statement, code, condition in self.reasons:
            if code != "applies" and not all_statements:
                continue
            where = f"{statement.label} of {policy.label}"
            if code == "principal":
                principals = statement.principals
                assert principals is not None
                who = (
                    f"principal {request.principal.kind} {request.principal.value}"
                    if request.principal is not None
                    else "the request's missing principal"
                )
                verb = "is in NotPrincipal" if principals.negated else "is not in Principal"
                lines.append(f"{where}: {who} {verb}")
            elif code == "action":
                negated = statement.actions is not None and statement.actions.negated
                verb = "is in NotAction" if negated else "is not in Action"
                lines.append(f"{where}: action {request.action} {verb}")
            elif code == "resource":
                resources = statement.resources
                assert resources is not None
                verb = "is in NotResource" if resources.negated else "is not in Resource"
                line = f"{where}: resource {self.resource} {verb}"
                unresolved = self._unresolved(resources.variables)
                if unresolved and not resources.negated:
                    line += " (the context lacks " + ", ".join(unresolved) + ")"
                lines.append(line)
            elif code == "condition":
                assert condition is not None
                lines.append(f"{where}: {condition.describe(self.context)}")
            else:
                verb = "allows" if statement.effect == "Allow" else "denies"
                line = f"{where}: {verb} {request.action} on {self.resource}"
                vacuous = [
                    c.describe(self.context)
                    for c in statement.conditions
                    if c.vacuous(self.context)
                ]
                if vacuous:
                    line += "; warning: " + "; ".join(vacuous)
                lines.append(line)
        return lines


def evaluate(
    request: Request,
    policies: Sequence[Policy],
    *,
    session_policies: Sequence[Policy] | None = None,
    boundary: Sequence[Policy] | None = None,
) -> Decision:
    """Decide ``request`` against the identity ``policies`` ∩ ``session_policies`` (None: no
    session policy was passed) ∩ ``boundary`` (None: no permissions boundary)."""
    run = _Run(request)
    sets: list[tuple[str, Sequence[Policy]]] = [("identity", policies)]
    if session_policies is not None:
        sets.append(("session", session_policies))
    if boundary is not None:
        sets.append(("boundary", boundary))
    denies: list[Match] = []
    allows: list[tuple[str, list[Match]]] = []
    for name, members in sets:
        allowed: list[Match] = []
        for policy in members:
            for statement in policy.statements:
                if run.applies(policy, statement):
                    match = Match(policy, statement)
                    (allowed if statement.effect == "Allow" else denies).append(match)
        allows.append((name, allowed))
    target = f"{request.action} on {request.resource}"
    if denies:
        first = denies[0]
        summary = f"explicitDeny: {first.statement.label} of {first.policy.label} denies {target}"
        return _decision("explicitDeny", tuple(denies), run, summary)
    for name, allowed in allows:
        if not allowed:
            if name == "identity" and not policies:
                summary = f"implicitDeny: no identity policy, so nothing allows {target}"
            else:
                summary = f"implicitDeny: no statement of {_SETS[name]} allows {target}"
            return _decision("implicitDeny", (), run, summary)
    matched = tuple(match for _, allowed in allows for match in allowed)
    first = matched[0]
    summary = f"allowed: {first.statement.label} of {first.policy.label} allows {target}"
    if len(allows) > 1:
        summary += " (and " + ", ".join(_SETS[name] for name, _ in allows[1:]) + " allow it)"
    return _decision("allowed", matched, run, summary)


def _decision(outcome: Outcome, matched: tuple[Match, ...], run: _Run, summary: str) -> Decision:
    lines = run.lines(all_statements=outcome == "implicitDeny")
    return Decision(
        outcome=outcome,
        matched=matched,
        missing_context=tuple(run.missing),
        explanation=(summary, *lines),
    )
