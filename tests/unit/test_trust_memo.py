"""The trust decisions kept with a parsed role (``trust.trust_decisions``): reused only when every
context value the trust policy reads is the same, so a kept decision is always the one a fresh
evaluation gives."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cognitoidentity.server.policy import ContextValue, parse_policy
from cognitoidentity.server.role_directory import RoleAuthority
from cognitoidentity.server.store.base import IamRole
from cognitoidentity.server.trust import (
    TRUST_MEMO_MAX,
    _read_values,
    trust_context,
    trust_decisions,
)

NOW = datetime(2026, 12, 5, 8, 0, 0, tzinfo=UTC)
POOL = "us-east-1:4c5b2f0e-8f4e-4c0a-9d53-2a1d0e5a7f11"
ALICE = "us-east-1:0f6a9a9e-3b9c-4d8e-b1f2-7c1e5b0e2d44"
BOB = "us-east-1:7d2c4e1a-1b2c-4d3e-8f90-a1b2c3d4e5f6"
COGNITO = "cognito-identity.amazonaws.com"


def authority(*conditions: dict[str, Any]) -> RoleAuthority:
    """A role whose trust policy allows the Cognito principal under each of ``conditions``
    (one statement each)."""
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": COGNITO},
                    "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                    "Condition": condition,
                }
                for condition in conditions
            ],
        }
    )
    role = IamRole(
        arn="arn:aws:iam::123456789012:role/Trusting",
        account_id="123456789012",
        name="Trusting",
        path="/",
        role_id="AROAEXAMPLEROLEID0001",
        trust_policy=document,
        created_at=NOW,
    )
    trust = parse_policy(document, kind="trust", source_id="Trusting", source_type="resource")
    return RoleAuthority(role, trust, (), None)


def context(
    identity: str = ALICE,
    amr: tuple[str, ...] = ("unauthenticated",),
    now: datetime = NOW,
    tags: dict[str, str] | None = None,
) -> Mapping[str, ContextValue]:
    return trust_context(
        pool_id=POOL,
        identity_id=identity,
        amr=amr,
        session_name="CognitoIdentityCredentials",
        tags=tags or {},
        now=now,
    )


def allowed(
    role: RoleAuthority, ctx: Mapping[str, ContextValue], *, tags: bool = False
) -> list[bool]:
    return [decision.allowed for decision in trust_decisions(role, ctx, tags=tags)]


def test_the_standard_policy_is_evaluated_once_for_every_identity_of_the_pool() -> None:
    role = authority(
        {
            "StringEquals": {f"{COGNITO}:aud": POOL},
            "ForAnyValue:StringLike": {f"{COGNITO}:amr": "unauthenticated"},
        }
    )
    first = trust_decisions(role, context(ALICE), tags=False)
    assert [d.allowed for d in first] == [True]
    # Another identity, another second: the policy reads neither, so the decision is reused.
    again = trust_decisions(role, context(BOB, now=NOW + timedelta(seconds=3)), tags=False)
    assert again is first
    # amr is read: an authenticated token is decided anew, and refused.
    assert allowed(role, context(amr=("authenticated", "accounts.google.com"))) == [False]
    assert len(role.trust_memo) == 2


def test_a_policy_reading_the_identity_is_decided_per_identity() -> None:
    role = authority({"StringEquals": {f"{COGNITO}:sub": ALICE}})
    assert allowed(role, context(ALICE)) == [True]
    assert allowed(role, context(BOB)) == [False]
    assert allowed(role, context(ALICE)) == [True]


def test_key_names_are_compared_whatever_their_case() -> None:
    role = authority({"StringEquals": {"Cognito-Identity.AmazonAWS.com:SUB": ALICE}})
    assert allowed(role, context(ALICE)) == [True]
    assert allowed(role, context(BOB)) == [False]


def test_a_policy_reading_the_time_is_decided_for_each_time() -> None:
    role = authority({"DateLessThan": {"aws:CurrentTime": "2026-12-05T08:00:02Z"}})
    assert allowed(role, context(now=NOW)) == [True]
    assert allowed(role, context(now=NOW + timedelta(seconds=5))) == [False]
    assert allowed(role, context(now=NOW + timedelta(seconds=1))) == [True]


def test_session_tags_and_their_absence_are_part_of_what_is_read() -> None:
    role = authority(
        {"StringEquals": {"aws:RequestTag/team": "blue"}},
        {"Null": {"aws:RequestTag/team": "true"}},
    )
    assert allowed(role, context(tags={"team": "blue"}), tags=True) == [True, True]
    assert allowed(role, context(tags={"team": "red"}), tags=True) == [False, False]
    assert allowed(role, context()) == [True]
    # The same context, without and with the TagSession decision.
    assert allowed(role, context(tags={"team": "blue"}), tags=False) == [True]


def test_the_memo_stays_bounded() -> None:
    role = authority({"StringLike": {f"{COGNITO}:sub": "us-east-1:*"}})
    for n in range(TRUST_MEMO_MAX + 10):
        assert allowed(role, context(f"us-east-1:{n:08d}-0000-4000-8000-000000000000")) == [True]
    assert 0 < len(role.trust_memo) <= TRUST_MEMO_MAX


def test_the_memo_key_reads_what_the_engine_would_read() -> None:
    """The trust context answers the memo's key from its inputs without making the rest: the
    same values as the whole context, folded as the engine folds it."""
    names = [
        f"{COGNITO}:aud",
        f"{COGNITO.upper()}:AMR",
        f"{COGNITO}:Sub",
        "sts:RoleSessionName",
        "aws:CurrentTime",
        "AWS:EpochTime",
        "aws:RequestTag/team",
        "aws:TagKeys",
        "aws:SourceIp",
    ]
    amr = ("authenticated", "login.example")
    for tags in ({}, {"team": "blue", "Level": "2"}):
        for count in range(len(names) + 1):
            keys = names[count:] + names[:count]
            whole = dict(context(amr=amr, tags=tags))  # a plain dict: read by folding
            assert _read_values(keys, context(amr=amr, tags=tags)) == _read_values(keys, whole)
    assert _read_values(names[:4], context(amr=amr)) == (
        POOL,
        amr,
        ALICE,
        "CognitoIdentityCredentials",
    )
