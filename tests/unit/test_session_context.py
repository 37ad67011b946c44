"""What a role session carries and the request context built from it: the sealed session's
format 2 (role id, amr, session policies, issue time) beside format 1, and the condition keys a
policy sees for a call made with it."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from cognitoidentity.server.credentials import (
    CredentialVault,
    InvalidSessionToken,
    Session,
    role_id,
)
from cognitoidentity.server.crypto import EpochBox, MasterKey
from cognitoidentity.server.policy import Request, evaluate, parse_policy
from cognitoidentity.server.session_context import AMR_KEY, principal_tags, session_context

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/app/Readers"
POOL = "us-east-1:4c5b2f0e-8f4e-4c0a-9d53-2a1d0e5a7f11"
IDENTITY = "us-east-1:0f6a9a9e-3b9c-4d8e-b1f2-7c1e5b0e2d44"
AMR = ("authenticated", "login.example", f"login.example:{POOL}:alice")
KEY_ID = "ASIAAAAAAAAAAAAAAAAA"


def full_session(**changes: object) -> Session:
    values: dict[str, object] = {
        "account_id": "123456789012",
        "role_arn": ROLE,
        "session_name": "web",
        "expires_at": NOW + timedelta(hours=1),
        "source_identity_id": IDENTITY,
        "pool_id": POOL,
        "provider": "cognito-identity.amazonaws.com",
        "tags": {"Team": "blue"},
        "iam_role_id": "AROAEXAMPLEROLEID0001",
        "amr": AMR,
        "policy": '{"Version":"2012-10-17","Statement":[]}',
        "policy_arns": ("arn:aws:iam::123456789012:policy/narrow",),
        "issued_at": NOW,
    }
    values.update(changes)
    return Session(**values)  # type: ignore[arg-type]


def test_a_session_round_trips_with_everything_decisions_need() -> None:
    vault = CredentialVault(MasterKey(secrets.token_bytes(32)), lambda: NOW)
    original = full_session()
    issued = vault.issue(original)
    secret, opened = vault.open(issued.access_key_id, issued.session_token)
    assert (secret, opened) == (issued.secret_access_key, original)
    assert opened.role_id == "AROAEXAMPLEROLEID0001"
    assert opened.assumed_role_id == "AROAEXAMPLEROLEID0001:web"
    assert opened.has_session_policy
    # Without a role of our IAM, the id is derived from the ARN, as before.
    derived = full_session(iam_role_id=None, policy=None, policy_arns=())
    assert derived.role_id == role_id(ROLE) and not derived.has_session_policy


def seal(key: MasterKey, document: list[object]) -> str:
    box = EpochBox(key, "sts-session-tokens/v2", max_age_seconds=43_200)
    sealed = box.seal(orjson.dumps(document), KEY_ID.encode(), NOW.timestamp())
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def test_format_1_sessions_still_open_and_unknown_formats_do_not() -> None:
    key = MasterKey(secrets.token_bytes(32))
    vault = CredentialVault(key, lambda: NOW)
    first = [1, KEY_ID, "s" * 40, "123456789012", ROLE, "web", int(NOW.timestamp()) + 60,
             IDENTITY, POOL, "p", {"team": "blue"}]  # fmt: skip
    _, opened = vault.open(KEY_ID, seal(key, first))
    assert opened.role_id == role_id(ROLE)
    assert (opened.amr, opened.policy, opened.policy_arns, opened.issued_at) == ((), None, (), None)
    assert opened.tags == {"team": "blue"}
    for bad in ([3, *first[1:], None, [], None, [], None], [2, *first[1:]], [1, *first[1:], None]):
        with pytest.raises(InvalidSessionToken):
            vault.open(KEY_ID, seal(key, bad))


def test_session_context_keys() -> None:
    context = session_context(
        full_session(),
        now=NOW + timedelta(minutes=5),
        source_ip="10.0.0.7",
        secure=True,
        region="eu-west-1",
        role_tags={"team": "red", "cost-center": "42"},
    )
    assert context == {
        "aws:CurrentTime": "2026-11-26T12:05:00Z",
        "aws:EpochTime": str(int((NOW + timedelta(minutes=5)).timestamp())),
        "aws:SecureTransport": "true",
        "aws:SourceIp": "10.0.0.7",
        "aws:RequestedRegion": "eu-west-1",
        "aws:userid": "AROAEXAMPLEROLEID0001:web",
        "aws:PrincipalArn": ROLE,  # the role's ARN, path included
        "aws:PrincipalAccount": "123456789012",
        "aws:PrincipalType": "AssumedRole",
        "aws:TokenIssueTime": "2026-11-26T12:00:00Z",
        # The session's Team replaces the role's team; the role's other tags stay.
        "aws:PrincipalTag/Team": "blue",
        "aws:PrincipalTag/cost-center": "42",
        "aws:FederatedProvider": "cognito-identity.amazonaws.com",
        "cognito-identity.amazonaws.com:aud": POOL,
        "cognito-identity.amazonaws.com:sub": IDENTITY,
        "cognito-identity.amazonaws.com:amr": list(AMR),
    }
    bare = session_context(
        Session("123456789012", ROLE, "web", NOW + timedelta(hours=1)),
        now=NOW,
        source_ip=None,
        secure=False,
        region=None,
    )
    assert set(bare) == {
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:SecureTransport",
        "aws:userid",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalType",
    }
    assert bare["aws:SecureTransport"] == "false"


def test_principal_tags_merge_whatever_the_case() -> None:
    assert principal_tags({"TEAM": "blue"}, {"team": "red", "env": "prod"}) == {
        "TEAM": "blue",
        "env": "prod",
    }
    assert principal_tags({}, None) == {}


def test_the_context_drives_per_identity_policies() -> None:
    """The documented per-identity prefix: ``${cognito-identity.amazonaws.com:sub}``."""
    policy = parse_policy(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
        '"Resource":"arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*"}]}',
        kind="identity",
    )
    context = session_context(full_session(), now=NOW, source_ip=None, secure=True, region=None)
    own = Request("s3:GetObject", f"arn:aws:s3:::bucket/{IDENTITY}/a.txt", context)
    other = Request("s3:GetObject", "arn:aws:s3:::bucket/us-east-1:someone-else/a.txt", context)
    assert evaluate(own, [policy]).allowed
    assert not evaluate(other, [policy]).allowed


def test_a_kept_session_gives_each_call_its_own_context() -> None:
    """The session's own part of the context is made once (Session.context_parts); the time,
    the request's environment and the role's tags are each call's, and no call's context
    changes another's."""
    session = full_session(tags={"Team": "blue", "dept": "eng"})
    first = session_context(
        session, now=NOW, source_ip="203.0.113.7", secure=True, region="us-east-1"
    )
    later = NOW + timedelta(minutes=5)
    second = session_context(
        session,
        now=later,
        source_ip=None,
        secure=False,
        region=None,
        role_tags={"team": "red", "Owner": "ops"},
    )
    fresh = session_context(
        full_session(tags={"Team": "blue", "dept": "eng"}),
        now=later,
        source_ip=None,
        secure=False,
        region=None,
        role_tags={"team": "red", "Owner": "ops"},
    )
    assert second == fresh and list(second) == list(fresh)
    assert first["aws:CurrentTime"] == "2026-11-26T12:00:00Z"
    assert second["aws:CurrentTime"] == "2026-11-26T12:05:00Z"
    assert first["aws:SourceIp"] == "203.0.113.7" and "aws:SourceIp" not in second
    assert first["aws:PrincipalTag/Team"] == "blue" and "aws:PrincipalTag/Owner" not in first
    assert second["aws:PrincipalTag/Owner"] == "ops"
    assert second["aws:PrincipalTag/Team"] == "blue"  # the session's tag over the role's
    first["aws:PrincipalTag/Team"] = "changed"
    first[AMR_KEY].append("changed")  # type: ignore[union-attr]
    third = session_context(session, now=NOW, source_ip=None, secure=False, region=None)
    assert third["aws:PrincipalTag/Team"] == "blue"
    assert third[AMR_KEY] == list(AMR)


def test_the_clock_keys_are_those_of_each_call_s_own_second() -> None:
    # aws:CurrentTime and aws:EpochTime are kept per second: the last microsecond of a second and
    # the first of the next give each their own, and the two keys always name the same second.
    session = full_session()
    end_of_second = NOW + timedelta(seconds=7, microseconds=999_999)
    seen = [
        session_context(session, now=moment, source_ip=None, secure=True, region=None)
        for moment in (end_of_second, end_of_second + timedelta(microseconds=1), end_of_second)
    ]
    assert [c["aws:CurrentTime"] for c in seen] == [
        "2026-11-26T12:00:07Z",
        "2026-11-26T12:00:08Z",
        "2026-11-26T12:00:07Z",
    ]
    epoch = int(NOW.timestamp())
    assert [c["aws:EpochTime"] for c in seen] == [str(epoch + 7), str(epoch + 8), str(epoch + 7)]
