"""``IdentityPoolCredentials``: GetId + GetCredentialsForIdentity in one call, the identity id
cached (memory or file), refresh before expiry on an injected clock, and boto3/botocore sessions
that sign with the pool's credentials against our STS."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from cognitoidentity import (
    CognitoIdentity,
    FileIdentityIdCache,
    IdentityPoolCredentials,
    MemoryIdentityIdCache,
    NotAuthorizedException,
    ResourceNotFoundException,
    TemporaryCredentials,
)
from tests.support.server import REGION, Credentials, ServerProcess

DEV = "login.example"
GUEST_ARN_END = ":assumed-role/Cognito_demoUnauth_Role/CognitoIdentityCredentials"


class Clock:
    """A clock the test moves by hand; starts at the real time so the server agrees.

    The server's clock does not move with it, so credentials issued while it runs ahead expire
    "soon" by this clock too: a test moves it ahead to make a refresh due, then back to ``reset``
    once the refresh happened."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def reset(self) -> None:
        self.now = datetime.now(UTC)


def guest_pool(svc: CognitoIdentity, account: Credentials, **extra: Any) -> str:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="helper", AllowUnauthenticatedIdentities=True, **extra
    )["IdentityPoolId"]
    svc.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={
            "authenticated": f"arn:aws:iam::{account.account_id}:role/Cognito_demoAuth_Role",
            "unauthenticated": f"arn:aws:iam::{account.account_id}:role/Cognito_demoUnauth_Role",
        },
    )
    return pool_id


def count_calls(helper: IdentityPoolCredentials) -> list[str]:
    """The Cognito Identity operations the helper's client sends, in order."""
    calls: list[str] = []

    def record(**kwargs: Any) -> None:
        calls.append(kwargs["model"].name)

    helper.client.botocore_client.meta.events.register("before-call.cognito-identity", record)
    return calls


def sts_of(session: Any, server: ServerProcess) -> Any:
    return session.client(
        "sts", endpoint_url=server.url, config=Config(retries={"max_attempts": 1})
    )


def test_one_call_gives_credentials(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = guest_pool(svc, account)
    helper = IdentityPoolCredentials(pool_id, endpoint=server.url)
    calls = count_calls(helper)
    assert helper.region == REGION  # from the pool id
    creds = helper.get_credentials()
    assert isinstance(creds, TemporaryCredentials)
    assert creds.access_key_id.startswith("ASIA")
    assert creds.expiration.tzinfo is UTC
    assert creds.identity_id == helper.get_identity_id()
    assert "secret_access_key" not in repr(creds) and creds.secret_access_key not in repr(creds)
    assert helper.get_credentials() is creds  # fresh enough: no request
    assert calls == ["GetId", "GetCredentialsForIdentity"]
    assert svc.describe_identity(IdentityId=creds.identity_id)["IdentityId"] == creds.identity_id


def test_refresh_before_expiry(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    clock = Clock()
    helper = IdentityPoolCredentials(guest_pool(svc, account), endpoint=server.url, clock=clock)
    calls = count_calls(helper)
    first = helper.get_credentials()
    remaining = first.expiration - clock()
    clock.advance(seconds=(remaining - timedelta(minutes=5, seconds=30)).total_seconds())
    assert helper.get_credentials() is first  # 5.5 minutes left: kept
    clock.advance(minutes=1)
    second = helper.get_credentials()  # 4.5 minutes left: replaced
    clock.reset()
    assert helper.get_credentials() is second
    assert second.access_key_id != first.access_key_id
    assert second.identity_id == first.identity_id
    assert calls == ["GetId", "GetCredentialsForIdentity", "GetCredentialsForIdentity"]
    assert helper.get_credentials(force_refresh=True).access_key_id != second.access_key_id


def test_boto3_session_signs_and_refreshes(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    clock = Clock()
    helper = IdentityPoolCredentials(guest_pool(svc, account), endpoint=server.url, clock=clock)
    session = helper.boto3_session()
    assert session.region_name == REGION
    sts = sts_of(session, server)
    caller = sts.get_caller_identity()
    assert caller["Account"] == account.account_id
    assert caller["Arn"].endswith(GUEST_ARN_END)
    botocore_creds = session.get_credentials()
    assert botocore_creds is not None
    assert botocore_creds.method == "cognito-identity-pool"
    first_key = botocore_creds.get_frozen_credentials().access_key
    assert first_key == helper.get_credentials().access_key_id

    clock.advance(minutes=56)  # within the 5-minute margin of the 1-hour credentials
    assert sts.get_caller_identity()["Arn"].endswith(GUEST_ARN_END)  # refreshed, then signed
    clock.reset()
    second_key = botocore_creds.get_frozen_credentials().access_key
    assert second_key != first_key
    assert second_key == helper.get_credentials().access_key_id


def test_botocore_session_has_no_other_credential_source(
    server: ServerProcess,
    svc: CognitoIdentity,
    account: Credentials,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", account.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", account.secret_access_key)
    helper = IdentityPoolCredentials(guest_pool(svc, account), endpoint=server.url)
    session = helper.botocore_session(region_name="eu-west-1")
    assert session.get_config_variable("region") == "eu-west-1"
    client: Any = session.create_client("sts", endpoint_url=server.url)
    assert client.get_caller_identity()["Arn"].endswith(GUEST_ARN_END)  # not the env keys


def test_identity_id_in_a_file(
    tmp_path: Path, server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = guest_pool(svc, account)
    path = tmp_path / "cache" / "identities.json"
    first = IdentityPoolCredentials(pool_id, endpoint=server.url, cache=path)
    identity_id = first.get_credentials().identity_id
    assert json.loads(path.read_text()) == {pool_id: identity_id}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another run: the identity comes back from the file, without GetId.
    second = IdentityPoolCredentials(pool_id, endpoint=server.url, cache=str(path))
    calls = count_calls(second)
    assert second.get_credentials().identity_id == identity_id
    assert calls == ["GetCredentialsForIdentity"]
    second.clear()
    assert json.loads(path.read_text()) == {}
    assert second.get_identity_id() != identity_id


def test_corrupt_cache_file_counts_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "ids.json"
    path.write_text("not json")
    cache = FileIdentityIdCache(path)
    assert cache.get("us-east-1:x") is None
    cache.set("us-east-1:x", "us-east-1:y")
    assert cache.get("us-east-1:x") == "us-east-1:y"
    memory = MemoryIdentityIdCache()
    memory.set("k", "v")
    memory.delete("k")
    assert memory.get("k") is None


def test_a_stale_cached_identity_is_replaced(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = guest_pool(svc, account)
    cache = MemoryIdentityIdCache()
    helper = IdentityPoolCredentials(pool_id, endpoint=server.url, cache=cache)
    old = helper.get_identity_id()
    svc.delete_identities(IdentityIdsToDelete=[old])
    calls = count_calls(helper)
    creds = helper.get_credentials()
    assert creds.identity_id != old
    assert cache.get(pool_id) == creds.identity_id
    assert calls == ["GetCredentialsForIdentity", "GetId", "GetCredentialsForIdentity"]


def test_an_explicit_identity_is_not_replaced(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = guest_pool(svc, account)
    gone = svc.get_id(IdentityPoolId=pool_id)["IdentityId"]
    svc.delete_identities(IdentityIdsToDelete=[gone])
    helper = IdentityPoolCredentials(pool_id, endpoint=server.url, identity_id=gone)
    with pytest.raises(ResourceNotFoundException):
        helper.get_credentials()


def test_developer_authenticated_logins_from_a_callable(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = guest_pool(svc, account, DeveloperProviderName=DEV)
    issued: list[str] = []

    def logins() -> dict[str, str]:
        # What an app does: ask its backend for a fresh developer token each time.
        answer = svc.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: "alice"}
        )
        issued.append(answer["IdentityId"])
        return {"cognito-identity.amazonaws.com": answer["Token"]}

    alice = svc.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "alice"}
    )["IdentityId"]
    helper = IdentityPoolCredentials(pool_id, endpoint=server.url, identity_id=alice, logins=logins)
    session = helper.boto3_session()
    arn = sts_of(session, server).get_caller_identity()["Arn"]
    assert arn.endswith(":assumed-role/Cognito_demoAuth_Role/CognitoIdentityCredentials")
    assert issued == [alice]


def test_errors_reach_the_caller(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="members-only", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]
    helper = IdentityPoolCredentials(pool_id, endpoint=server.url)
    with pytest.raises(NotAuthorizedException):
        helper.get_credentials()


def test_client_can_be_injected(
    server: ServerProcess, svc: CognitoIdentity, account: Credentials
) -> None:
    pool_id = guest_pool(svc, account)
    helper = IdentityPoolCredentials(pool_id, client=svc)
    assert helper.client is svc
    assert helper.get_credentials().access_key_id.startswith("ASIA")
    assert repr(helper) == f"<IdentityPoolCredentials {pool_id!r}>"
