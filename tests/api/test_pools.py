"""Identity pools through boto3 against the server's application run in the test process
(``in_process``: the same application and botocore's real requests and parsing, without a process
or a socket), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.inprocess import InProcessServer
from tests.support.server import Credentials, ServerProcess

POOL_ID = re.compile(
    r"^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    """The tests here need no server process (``account`` makes its accounts here too)."""
    return in_process


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    err = exc.value.response["Error"]
    status = exc.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return err["Code"], err["Message"], status


def test_create_and_describe_round_trip(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    created = client.create_identity_pool(
        IdentityPoolName="My pool",
        AllowUnauthenticatedIdentities=True,
        SupportedLoginProviders={"graph.facebook.com": "1234567890"},
        DeveloperProviderName="login.example",
        CognitoIdentityProviders=[
            {
                "ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
                "ClientId": "client1",
                "ServerSideTokenCheck": True,
            }
        ],
        IdentityPoolTags={"team": "identity", "env": "dev"},
    )
    assert POOL_ID.match(created["IdentityPoolId"])
    described = client.describe_identity_pool(IdentityPoolId=created["IdentityPoolId"])
    for result in (created, described):
        assert result["IdentityPoolName"] == "My pool"
        assert result["AllowUnauthenticatedIdentities"] is True
        assert "AllowClassicFlow" not in result  # never set: omitted
        assert result["SupportedLoginProviders"] == {"graph.facebook.com": "1234567890"}
        assert result["DeveloperProviderName"] == "login.example"
        assert result["CognitoIdentityProviders"] == [
            {
                "ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
                "ClientId": "client1",
                "ServerSideTokenCheck": True,
            }
        ]
        assert result["IdentityPoolTags"] == {"team": "identity", "env": "dev"}


def test_allow_classic_flow_false_is_kept_distinct_from_unset(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    pool = client.create_identity_pool(
        IdentityPoolName="classic", AllowUnauthenticatedIdentities=False, AllowClassicFlow=False
    )
    assert pool["AllowClassicFlow"] is False
    assert (
        client.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])["AllowClassicFlow"]
        is False
    )
    updated = client.update_identity_pool(
        IdentityPoolId=pool["IdentityPoolId"],
        IdentityPoolName="classic",
        AllowUnauthenticatedIdentities=False,
    )
    assert "AllowClassicFlow" not in updated


def test_update_resets_omitted_fields(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool = client.create_identity_pool(
        IdentityPoolName="before",
        AllowUnauthenticatedIdentities=True,
        AllowClassicFlow=True,
        SupportedLoginProviders={"accounts.google.com": "google-client"},
        IdentityPoolTags={"keep": "me"},
    )
    updated = client.update_identity_pool(
        IdentityPoolId=pool["IdentityPoolId"],
        IdentityPoolName="after",
        AllowUnauthenticatedIdentities=False,
    )
    assert updated["IdentityPoolName"] == "after"
    assert updated["AllowUnauthenticatedIdentities"] is False
    assert "AllowClassicFlow" not in updated
    assert updated["SupportedLoginProviders"] == {}
    # Tags are not configuration: an update that omits them keeps them.
    assert updated["IdentityPoolTags"] == {"keep": "me"}
    described = client.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])
    assert described == {**updated, "ResponseMetadata": described["ResponseMetadata"]}


def test_update_with_tags_replaces_them(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool = client.create_identity_pool(
        IdentityPoolName="t", AllowUnauthenticatedIdentities=True, IdentityPoolTags={"a": "1"}
    )
    updated = client.update_identity_pool(
        IdentityPoolId=pool["IdentityPoolId"],
        IdentityPoolName="t",
        AllowUnauthenticatedIdentities=True,
        IdentityPoolTags={"b": "2"},
    )
    assert updated["IdentityPoolTags"] == {"b": "2"}


def test_developer_provider_name_cannot_change(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool = client.create_identity_pool(
        IdentityPoolName="dev",
        AllowUnauthenticatedIdentities=True,
        DeveloperProviderName="first.dev",
    )
    pool_id = pool["IdentityPoolId"]
    with pytest.raises(ClientError) as exc:
        client.update_identity_pool(
            IdentityPoolId=pool_id,
            IdentityPoolName="dev",
            AllowUnauthenticatedIdentities=True,
            DeveloperProviderName="second.dev",
        )
    assert error_of(exc) == (
        "InvalidParameterException",
        "DeveloperProviderName cannot be changed once it is set.",
        400,
    )
    kept = client.update_identity_pool(
        IdentityPoolId=pool_id, IdentityPoolName="dev", AllowUnauthenticatedIdentities=True
    )
    assert kept["DeveloperProviderName"] == "first.dev"


def test_developer_provider_name_can_be_set_later(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    pool = client.create_identity_pool(IdentityPoolName="dev", AllowUnauthenticatedIdentities=True)
    updated = client.update_identity_pool(
        IdentityPoolId=pool["IdentityPoolId"],
        IdentityPoolName="dev",
        AllowUnauthenticatedIdentities=True,
        DeveloperProviderName="later.dev",
    )
    assert updated["DeveloperProviderName"] == "later.dev"


def test_missing_pool_errors(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    message = f"IdentityPool '{missing}' not found."
    calls: list[Callable[[], object]] = [
        lambda: client.describe_identity_pool(IdentityPoolId=missing),
        lambda: client.delete_identity_pool(IdentityPoolId=missing),
        lambda: client.update_identity_pool(
            IdentityPoolId=missing, IdentityPoolName="x", AllowUnauthenticatedIdentities=True
        ),
        lambda: client.list_identities(IdentityPoolId=missing, MaxResults=10),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("ResourceNotFoundException", message, 400)


def test_pools_are_invisible_to_other_accounts(server: ServerProcess, account: Credentials) -> None:
    mine = server.client(account)
    other = server.client(server.new_account())
    pool_id = mine.create_identity_pool(
        IdentityPoolName="private", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    with pytest.raises(ClientError) as exc:
        other.describe_identity_pool(IdentityPoolId=pool_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        other.delete_identity_pool(IdentityPoolId=pool_id)
    assert other.list_identity_pools(MaxResults=60)["IdentityPools"] == []
    assert mine.describe_identity_pool(IdentityPoolId=pool_id)["IdentityPoolName"] == "private"


def test_pools_belong_to_their_region(server: ServerProcess, account: Credentials) -> None:
    east = server.client(account)
    west = server.client(account, region="eu-west-1")
    west_pool = west.create_identity_pool(IdentityPoolName="w", AllowUnauthenticatedIdentities=True)
    assert west_pool["IdentityPoolId"].startswith("eu-west-1:")
    assert [
        p["IdentityPoolId"] for p in east.list_identity_pools(MaxResults=60)["IdentityPools"]
    ] == []
    with pytest.raises(ClientError) as exc:
        east.describe_identity_pool(IdentityPoolId=west_pool["IdentityPoolId"])
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"IdentityPool '{west_pool['IdentityPoolId']}' not found.",
        400,
    )


def test_delete_pool_takes_its_identities(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="gone", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    client.delete_identity_pool(IdentityPoolId=pool_id)
    with pytest.raises(ClientError) as exc:
        client.describe_identity(IdentityId=identity_id)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Identity '{identity_id}' not found.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        client.describe_identity_pool(IdentityPoolId=pool_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_list_identity_pools_paginates(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    created = [
        client.create_identity_pool(IdentityPoolName=f"p{i}", AllowUnauthenticatedIdentities=True)[
            "IdentityPoolId"
        ]
        for i in range(7)
    ]
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = client.list_identity_pools(**kwargs)
        pages += 1
        seen += [p["IdentityPoolId"] for p in page["IdentityPools"]]
        assert all(set(p) == {"IdentityPoolId", "IdentityPoolName"} for p in page["IdentityPools"])
        token = page.get("NextToken")
        assert token != ""
        if token is None:
            break
    assert seen == created  # oldest first, each once
    assert pages == 3
    paginated = [
        p["IdentityPoolId"]
        for page in client.get_paginator("list_identity_pools").paginate(
            MaxResults=2, PaginationConfig={"PageSize": 2}
        )
        for p in page["IdentityPools"]
    ]
    assert paginated == created


def test_foreign_or_garbage_next_token_is_refused(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    for i in range(2):
        client.create_identity_pool(IdentityPoolName=f"p{i}", AllowUnauthenticatedIdentities=True)
    token = client.list_identity_pools(MaxResults=1)["NextToken"]
    other = server.client(server.new_account())
    for bad in (token, "not-a-token"):
        with pytest.raises(ClientError) as exc:
            other.list_identity_pools(MaxResults=1, NextToken=bad)
        assert error_of(exc) == ("InvalidParameterException", "Invalid pagination token.", 400)


def test_one_thousand_pools_per_account(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    for i in range(1000):
        client.create_identity_pool(IdentityPoolName=f"p{i}", AllowUnauthenticatedIdentities=False)
    with pytest.raises(ClientError) as exc:
        client.create_identity_pool(
            IdentityPoolName="one too many", AllowUnauthenticatedIdentities=False
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("LimitExceededException", 400)
    assert "1000" in message
    # Another account is not affected by this one's limit.
    other = server.client(server.new_account())
    assert other.create_identity_pool(IdentityPoolName="ok", AllowUnauthenticatedIdentities=False)


def test_validation_errors_have_coral_messages(server: ServerProcess, account: Credentials) -> None:
    client = server.client_with(account, Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        client.create_identity_pool(
            IdentityPoolName="bad/name!", AllowUnauthenticatedIdentities=True
        )
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value 'bad/name!' at 'identityPoolName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
        400,
    )
    with pytest.raises(ClientError) as exc:
        client.list_identity_pools(MaxResults=61)
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 60",
        400,
    )
    with pytest.raises(ClientError) as exc:
        client.create_identity_pool(IdentityPoolName="x" * 129)
    code, message, _ = error_of(exc)
    assert code == "ValidationException"
    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null"
        in message
    )
    assert "Member must have length less than or equal to 128" in message


@pytest.mark.parametrize(
    "provider",
    [
        {"ClientId": "5ov3i0gfrej294f05tjmhff52n"},
        {"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"},
        {},
        {"ProviderName": "accounts.google.com", "ClientId": "app"},
        {"ProviderName": "cognito-idp.us-east-1.amazonaws.com/eu-west-1_abc", "ClientId": "app"},
    ],
    ids=["no-provider-name", "no-client-id", "empty", "not-a-user-pool", "other-region"],
)
def test_cognito_identity_provider_must_name_a_user_pool_and_client(
    server: ServerProcess, account: Credentials, provider: dict[str, str]
) -> None:
    """Neither member is required by the model: a provider entry lacking one answered 500."""
    client = server.client(account)
    with pytest.raises(ClientError) as exc:
        client.create_identity_pool(
            IdentityPoolName="p",
            AllowUnauthenticatedIdentities=True,
            CognitoIdentityProviders=[provider],
        )
    assert error_of(exc) == ("InvalidParameterException", "Invalid Cognito Identity Provider", 400)
    pool_id = client.create_identity_pool(
        IdentityPoolName="p", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    with pytest.raises(ClientError) as exc:
        client.update_identity_pool(
            IdentityPoolId=pool_id,
            IdentityPoolName="p",
            AllowUnauthenticatedIdentities=True,
            CognitoIdentityProviders=[provider],
        )
    assert error_of(exc) == ("InvalidParameterException", "Invalid Cognito Identity Provider", 400)
