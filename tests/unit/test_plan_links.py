"""``linking.plan_links``, the pure planner of how presented logins attach to identities: which
identity the call ends on, whether it is created, which logins are added and which identities merge
into it, and every refusal with its error and message. One table of plans, one of errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cognitoidentity.server.api.cognito_identity import (
    DeveloperUserAlreadyRegisteredException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.linking import (
    LOGINS_DONT_MATCH,
    MAX_LOGINS,
    IdentityState,
    LinkPlan,
    LinkRequest,
    LoginKey,
    Snapshot,
    plan_links,
)

GOOGLE = "accounts.google.com"
FACEBOOK = "graph.facebook.com"
AMAZON = "www.amazon.com"
DEVELOPER = "login.example.app"
NEW = "us-east-1:new"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def g(user: str) -> LoginKey:
    return LoginKey(GOOGLE, user)


def fb(user: str) -> LoginKey:
    return LoginKey(FACEBOOK, user)


def dev(user: str) -> LoginKey:
    return LoginKey(DEVELOPER, user)


def identity(name: str, minute: int, *logins: LoginKey, disabled: bool = False) -> IdentityState:
    """Identity ``us-east-1:<name>``, created ``minute`` minutes after T0."""
    return IdentityState(
        f"us-east-1:{name}", T0 + timedelta(minutes=minute), disabled, tuple(logins)
    )


def ask(*logins: LoginKey, named: IdentityState | str | None = None, **options: Any) -> LinkRequest:
    """A call presenting ``logins``, naming ``named`` (an identity, or an id nobody has) if given."""
    identity_id = named.identity_id if isinstance(named, IdentityState) else named
    return LinkRequest(tuple(logins), NEW, identity_id, **options)


def world(*identities: IdentityState, named: IdentityState | None = None) -> Snapshot:
    """What the store loads: the owner of every login of ``identities``, and the named identity.
    (It loads only presented logins; extra owners here check that the planner looks no further.)"""
    owners = {key: state for state in identities for key in state.logins}
    return Snapshot(owners, named)


def plan(
    target: IdentityState | str,
    *,
    add: tuple[LoginKey, ...] = (),
    merge: tuple[IdentityState, ...] = (),
    after: tuple[LoginKey, ...],
    create: bool = False,
) -> LinkPlan:
    return LinkPlan(
        target=target.identity_id if isinstance(target, IdentityState) else target,
        create=create,
        add=tuple(sorted(add)),
        merge=tuple(sorted(m.identity_id for m in merge)),
        logins_after=tuple(sorted(after)),
    )


@dataclass(frozen=True)
class Case:
    id: str
    request: LinkRequest
    snapshot: Snapshot
    expected: LinkPlan


# Identities used below: A older than B older than C; U an unauthenticated identity (no logins).
A = identity("a", 1, g("ada"))
B = identity("b", 2, fb("bob"))
C = identity("c", 3, LoginKey(AMAZON, "cy"))
U = identity("u", 0)
OLD_U = identity("old-u", -60)
A_DEV = identity("a-dev", 1, dev("d1"), dev("d2"))
B_DEV = identity("b-dev", 2, dev("d3"))
B_SAME_TIME = identity("b-same-time", 1, fb("bo"))
A_SAME_TIME = identity("a-same-time", 1, LoginKey(AMAZON, "al"))
FULL = identity("full", 1, *(dev(f"u{i:02}") for i in range(MAX_LOGINS - 1)))

PLANS = [
    Case(
        "a login nobody has makes a new identity",
        ask(g("new")),
        world(A),
        plan(NEW, create=True, add=(g("new"),), after=(g("new"),)),
    ),
    Case(
        "several new logins make one new identity with all of them",
        ask(g("new"), fb("new")),
        world(),
        plan(NEW, create=True, add=(g("new"), fb("new")), after=(g("new"), fb("new"))),
    ),
    Case(
        "a returning login ends on its identity and changes nothing",
        ask(g("ada")),
        world(A, B),
        plan(A, after=(g("ada"),)),
    ),
    Case(
        "a new login presented with a known one is linked to its identity",
        ask(g("ada"), fb("new")),
        world(A),
        plan(A, add=(fb("new"),), after=(g("ada"), fb("new"))),
    ),
    Case(
        "logins of two identities merge them into the older one",
        ask(fb("bob"), g("ada")),
        world(A, B),
        plan(A, merge=(B,), after=(g("ada"), fb("bob"))),
    ),
    Case(
        "three identities merge into the oldest, with a new login added",
        ask(LoginKey(AMAZON, "cy"), fb("bob"), g("ada"), dev("new")),
        world(C, B, A),
        plan(
            A,
            add=(dev("new"),),
            merge=(B, C),
            after=(g("ada"), fb("bob"), LoginKey(AMAZON, "cy"), dev("new")),
        ),
    ),
    Case(
        "of identities created at the same moment, the smallest id survives",
        ask(fb("bo"), LoginKey(AMAZON, "al")),
        world(B_SAME_TIME, A_SAME_TIME),
        plan(A_SAME_TIME, merge=(B_SAME_TIME,), after=(fb("bo"), LoginKey(AMAZON, "al"))),
    ),
    Case(
        "a login given to a named unauthenticated identity is linked to it",
        ask(g("new"), named=U),
        world(A, named=U),
        plan(U, add=(g("new"),), after=(g("new"),)),
    ),
    Case(
        "a named unauthenticated identity merges into the authenticated one, even when older",
        ask(g("ada"), named=OLD_U),
        world(A, named=OLD_U),
        plan(A, merge=(OLD_U,), after=(g("ada"),)),
    ),
    Case(
        "a named authenticated identity presented with its own login takes a new one",
        ask(g("ada"), fb("new"), named=A),
        world(A, named=A),
        plan(A, add=(fb("new"),), after=(g("ada"), fb("new"))),
    ),
    Case(
        "a named identity and another login's identity merge into the older",
        ask(fb("bob"), g("ada"), named=B),
        world(A, B, named=B),
        plan(A, merge=(B,), after=(g("ada"), fb("bob"))),
    ),
    Case(
        "without require_own_login a named identity takes logins that are not its own",
        ask(fb("new"), named=A, require_own_login=False),
        world(named=A),
        plan(A, add=(fb("new"),), after=(g("ada"), fb("new"))),
    ),
    Case(
        "survivor='named': the named identity survives though younger",
        ask(
            dev("d1"),
            named=B_DEV,
            survivor="named",
            developer_provider=DEVELOPER,
            developer_already_registered=False,
            require_own_login=False,
        ),
        world(A_DEV, named=B_DEV),
        plan(B_DEV, merge=(A_DEV,), after=(dev("d1"), dev("d2"), dev("d3"))),
    ),
    Case(
        "survivor='named' without a named identity: the oldest survives",
        ask(fb("bob"), g("ada"), survivor="named"),
        world(B, A),
        plan(A, merge=(B,), after=(g("ada"), fb("bob"))),
    ),
    Case(
        "a developer user identifier on the named identity itself is no conflict",
        ask(dev("d1"), named=A_DEV, developer_provider=DEVELOPER),
        world(A_DEV, named=A_DEV),
        plan(A_DEV, after=(dev("d1"), dev("d2"))),
    ),
    Case(
        "a developer user identifier of another identity, no identity named: that identity",
        ask(dev("d3"), developer_provider=DEVELOPER),
        world(B_DEV),
        plan(B_DEV, after=(dev("d3"),)),
    ),
    Case(
        "several developer user identifiers may sit on one identity",
        ask(dev("d1"), dev("d9"), developer_provider=DEVELOPER),
        world(A_DEV),
        plan(A_DEV, add=(dev("d9"),), after=(dev("d1"), dev("d2"), dev("d9"))),
    ),
    Case(
        "a disabled owner of a login not presented is not looked at",
        ask(g("ada")),
        world(A, identity("gone", 0, fb("old"), disabled=True)),
        plan(A, after=(g("ada"),)),
    ),
    Case(
        "exactly the maximum number of logins is allowed",
        ask(dev("u00"), dev("last"), developer_provider=DEVELOPER),
        world(FULL),
        plan(FULL, add=(dev("last"),), after=(*FULL.logins, dev("last"))),
    ),
]


@pytest.mark.parametrize("case", PLANS, ids=[c.id for c in PLANS])
def test_plans(case: Case) -> None:
    assert plan_links(case.request, case.snapshot) == case.expected


@dataclass(frozen=True)
class Refusal:
    id: str
    request: LinkRequest
    snapshot: Snapshot
    error: type[ServiceError]
    message: str


MISSING = "us-east-1:00000000-0000-4000-8000-000000000404"
DISABLED = identity("disabled", 0, disabled=True)
GOOGLE_CONFLICT = f"A different login of {GOOGLE} is already linked to this identity."
LIMIT = f"The number of linked logins is limited to {MAX_LOGINS}."

REFUSALS = [
    Refusal(
        "a named identity that does not exist",
        ask(g("ada"), named=MISSING),
        world(A),
        ResourceNotFoundException,
        f"Identity '{MISSING}' not found.",
    ),
    Refusal(
        "a named identity that is disabled (merged away)",
        ask(g("new"), named=DISABLED),
        world(named=DISABLED),
        NotAuthorizedException,
        f"Access to Identity '{DISABLED.identity_id}' is forbidden.",
    ),
    Refusal(
        "a named authenticated identity presented without any of its logins",
        ask(fb("bob"), named=A),
        world(B, named=A),
        NotAuthorizedException,
        LOGINS_DONT_MATCH,
    ),
    Refusal(
        "a presented login whose owner is disabled",
        ask(fb("lost")),
        world(identity("merged", 0, fb("lost"), disabled=True)),
        NotAuthorizedException,
        "Access to Identity 'us-east-1:merged' is forbidden.",
    ),
    Refusal(
        "a developer user identifier of another identity than the named one",
        ask(dev("d3"), named=A_DEV, developer_provider=DEVELOPER, require_own_login=False),
        world(B_DEV, named=A_DEV),
        DeveloperUserAlreadyRegisteredException,
        "Developer user identifier 'd3' is already registered to another identity.",
    ),
    Refusal(
        "two users of one public provider in one call",
        ask(g("one"), g("two")),
        world(),
        ResourceConflictException,
        GOOGLE_CONFLICT,
    ),
    Refusal(
        "a second user of a provider the named identity has a user of",
        ask(g("ada"), g("other"), named=A),
        world(A, named=A),
        ResourceConflictException,
        GOOGLE_CONFLICT,
    ),
    Refusal(
        "a merge that would give one identity two users of one provider",
        ask(g("ada"), fb("bob")),
        world(A, identity("b2", 2, fb("bob"), g("bea"))),
        ResourceConflictException,
        GOOGLE_CONFLICT,
    ),
    Refusal(
        "one login more than the maximum",
        ask(dev("u00"), dev("one-more"), dev("two-more"), developer_provider=DEVELOPER),
        world(FULL),
        ResourceConflictException,
        LIMIT,
    ),
    Refusal(
        "a merge past the maximum",
        ask(dev("u00"), dev("d3"), developer_provider=DEVELOPER),
        world(FULL, identity("two", 5, dev("d3"), dev("d4"))),
        ResourceConflictException,
        LIMIT,
    ),
    Refusal(
        "a lower maximum set by the call",
        ask(g("ada"), fb("new"), max_logins=1),
        world(A),
        ResourceConflictException,
        "The number of linked logins is limited to 1.",
    ),
    Refusal(
        "the named identity is checked before the logins' owners",
        ask(fb("lost"), named=MISSING),
        world(identity("merged", 0, fb("lost"), disabled=True)),
        ResourceNotFoundException,
        f"Identity '{MISSING}' not found.",
    ),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.id for c in REFUSALS])
def test_refusals(case: Refusal) -> None:
    with pytest.raises(case.error) as raised:
        plan_links(case.request, case.snapshot)
    assert type(raised.value) is case.error
    assert raised.value.message == case.message


@pytest.mark.parametrize(
    ("request_", "snapshot", "changes"),
    [
        (ask(g("ada")), world(A), False),
        (ask(g("ada"), named=A), world(A, named=A), False),
        (ask(g("new")), world(), True),
        (ask(g("ada"), fb("new")), world(A), True),
        (ask(g("ada"), fb("bob")), world(A, B), True),
    ],
    ids=["returning login", "returning named", "create", "add", "merge"],
)
def test_changes_tells_whether_the_store_must_write(
    request_: LinkRequest, snapshot: Snapshot, changes: bool
) -> None:
    assert plan_links(request_, snapshot).changes is changes
