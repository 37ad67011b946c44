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

from collections.abc import ItemsView, Iterator, Mapping, Sequence
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
    "known_verdict",
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


class _TrustContext(Mapping[str, ContextValue]):
    """The context of the trust check (see the module's docstring), built when it is first read:
    a role our IAM does not hold has no trust policy to read it (lenient mode's common case), and
    the times' text cost more than the rest of a lenient trust check."""

    __slots__ = ("_amr", "_built", "_identity_id", "_now", "_pool_id", "_session_name", "_tags")

    def __init__(
        self,
        *,
        pool_id: str,
        identity_id: str,
        amr: Sequence[str],
        session_name: str,
        tags: Mapping[str, str],
        now: datetime,
    ) -> None:
        self._pool_id = pool_id
        self._identity_id = identity_id
        self._amr = amr
        self._session_name = session_name
        self._tags = tags
        self._now = now
        self._built: dict[str, ContextValue] | None = None

    def _context(self) -> dict[str, ContextValue]:
        context = self._built
        if context is None:
            now = self._now
            context = {
                AUD_KEY: self._pool_id,
                SUB_KEY: self._identity_id,
                AMR_KEY: list(self._amr),
                "sts:RoleSessionName": self._session_name,
                "aws:CurrentTime": iso_time(now),
                "aws:EpochTime": str(int(now.timestamp())),
            }
            tags = self._tags
            if tags:
                for key, value in tags.items():
                    context[f"aws:RequestTag/{key}"] = value
                context["aws:TagKeys"] = list(tags)
            self._built = context
        return context

    def __getitem__(self, key: str) -> ContextValue:
        return self._context()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._context())

    def __len__(self) -> int:
        return len(self._context())

    def items(self) -> ItemsView[str, ContextValue]:
        return self._context().items()

    def __repr__(self) -> str:
        return repr(self._context())

    def read(self, keys: Sequence[str]) -> tuple[str | tuple[str, ...] | None, ...]:
        """:func:`_read_values` of ``keys`` without making the values no key names: a trust
        policy reads two or three keys, and the times' text is most of the context's cost. Once
        made, or for a time or tag key, from the whole context."""
        if self._built is not None:
            return _fold_read(keys, self._built)
        values: list[str | tuple[str, ...] | None] = []
        for key in keys:
            name = key.lower()
            if name == _AUD:
                values.append(self._pool_id)
            elif name == _AMR:
                values.append(tuple(self._amr))
            elif name == _SUB:
                values.append(self._identity_id)
            elif name == _SESSION_NAME:
                values.append(self._session_name)
            elif name in _TIMES or name.startswith(_REQUEST_TAG) or name == _TAG_KEYS:
                return _fold_read(keys, self._context())
            else:
                values.append(None)  # not in this context
        return tuple(values)


_AUD: Final = AUD_KEY.lower()
_AMR: Final = AMR_KEY.lower()
_SUB: Final = SUB_KEY.lower()
_SESSION_NAME: Final = "sts:rolesessionname"
_TIMES: Final = frozenset({"aws:currenttime", "aws:epochtime"})
_REQUEST_TAG: Final = "aws:requesttag/"
_TAG_KEYS: Final = "aws:tagkeys"


trust_context: Final = _TrustContext
"""``trust_context(pool_id=, identity_id=, amr=, session_name=, tags=, now=)``: the context of
the trust check, made lazily (the class itself, not a function calling it: one call less on
every credentials request)."""


def trust_decisions(
    authority: RoleAuthority, context: Mapping[str, ContextValue], *, tags: bool
) -> tuple[Decision, ...]:
    """The trust policy's decision on ``sts:AssumeRoleWithWebIdentity`` and, with ``tags``, on
    ``sts:TagSession``, both for the Cognito principal on the role's ARN.

    The decisions depend only on the parsed policy, the actions, the role's ARN, the principal
    and the values of the context keys the policy reads (its ``keys``: its conditions' keys and
    its variables), so they are kept with the parsed role (``RoleAuthority.trust_memo``) under
    those values and reused: the standard Cognito trust policy reads only ``aud`` and ``amr``, so
    every identity of a pool shares one evaluation (it cost as much as the rest of a
    GetCredentialsForIdentity call's own work). A policy that reads ``aws:CurrentTime`` is kept
    per second, one that reads ``:sub`` per identity; :data:`TRUST_MEMO_MAX` bounds each role's
    memo (it is emptied when full), and it goes with the parsed role when the role directory
    reads the role again."""
    actions = (ASSUME_ACTION, TAG_ACTION) if tags else (ASSUME_ACTION,)
    memo = authority.trust_memo
    key = (actions, _read_values(authority.trust.keys, context))
    decisions = memo.get(key)
    if decisions is None:
        decisions = tuple(
            evaluate(
                Request(action, authority.role.arn, context, COGNITO_PRINCIPAL),
                [authority.trust],
            )
            for action in actions
        )
        if len(memo) >= TRUST_MEMO_MAX:
            memo.clear()
        memo[key] = decisions
    return decisions


TRUST_MEMO_MAX: Final = 256
"""Trust decisions kept per parsed role (see :func:`trust_decisions`)."""


def _read_values(
    keys: Sequence[str], context: Mapping[str, ContextValue]
) -> tuple[str | tuple[str, ...] | None, ...]:
    """The values of ``keys`` in ``context`` (names compared whatever their case, as the engine
    compares them; a multivalued value as a tuple; None for an absent key)."""
    if isinstance(context, _TrustContext):
        return context.read(keys)
    return _fold_read(keys, context)


def _fold_read(
    keys: Sequence[str], context: Mapping[str, ContextValue]
) -> tuple[str | tuple[str, ...] | None, ...]:
    folded = {name.lower(): value for name, value in context.items()}
    values: list[str | tuple[str, ...] | None] = []
    for key in keys:
        value = folded.get(key.lower())
        values.append(value if value is None or isinstance(value, str) else tuple(value))
    return tuple(values)


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
    known = known_verdict(roles, mode, account_id, role_arn, named_by_pool)
    if known is not None:
        return known
    kept = roles.kept(account_id, role_arn)
    authority = kept[1] if kept is not None else await roles.authority(account_id, role_arn)
    if authority is None:
        return _absent(mode, named_by_pool)
    decisions = trust_decisions(authority, context, tags=tags)
    trusted = all(decision.allowed for decision in decisions)
    return TrustVerdict(trusted, "trusted" if trusted else "not trusted", authority.role, decisions)


def known_verdict(
    roles: RoleDirectory, mode: str, account_id: str, role_arn: str, named_by_pool: bool
) -> TrustVerdict | None:
    """:func:`check_trust`'s verdict when it needs no trust policy: a foreign role, or a role the
    role directory has kept as absent from our IAM (lenient mode's common case); None when the
    role must be read or its trust policy evaluated (then call :func:`check_trust`). Found
    without a coroutine or a context, which such a verdict never reads; positional arguments,
    since it runs on every credentials request."""
    if role_account(role_arn) != account_id:
        return _FOREIGN_ROLE
    kept = roles.kept(account_id, role_arn)
    if kept is None or kept[1] is not None:
        return None
    return _absent(mode, named_by_pool)


def _absent(mode: str, named_by_pool: bool) -> TrustVerdict:
    # A role of this account that our IAM does not hold: strict mode refuses it, lenient mode
    # trusts it when the pool names it (as before roles lived in our IAM).
    if mode == "strict":
        return _NO_SUCH_ROLE
    return _NAMED_BY_POOL if named_by_pool else _NOT_THE_POOLS


# The verdicts without a role, made once (they are immutable).
_FOREIGN_ROLE: Final = TrustVerdict(False, "foreign role")
_NO_SUCH_ROLE: Final = TrustVerdict(False, "no such role")
_NAMED_BY_POOL: Final = TrustVerdict(True, "trusted")
_NOT_THE_POOLS: Final = TrustVerdict(False, "not the pool's")
