"""GetId (unauthenticated), ListIdentities, DescribeIdentity and DeleteIdentities through boto3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import POOL_ID, error_of
from tests.support.http import call
from tests.support.server import Credentials, ServerProcess


def make_pool(client: Any, *, unauth: bool = True) -> str:
    pool_id: str = client.create_identity_pool(
        IdentityPoolName="ids", AllowUnauthenticatedIdentities=unauth
    )["IdentityPoolId"]
    return pool_id


def test_get_id_makes_a_new_identity_per_call(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = make_pool(client)
    first = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    second = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert POOL_ID.match(first) and POOL_ID.match(second)
    assert first != second
    listed = client.list_identities(IdentityPoolId=pool_id, MaxResults=60)
    assert listed["IdentityPoolId"] == pool_id
    assert [i["IdentityId"] for i in listed["Identities"]] == [first, second]


def test_get_id_is_public(server: ServerProcess, account: Credentials) -> None:
    pool_id = make_pool(server.client(account))
    unsigned = server.client(unsigned=True)
    identity_id = unsigned.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert POOL_ID.match(identity_id)
    # Credentials of any account may sign it too: the pool id is what counts.
    other = server.client(server.new_account())
    assert POOL_ID.match(other.get_id(IdentityPoolId=pool_id)["IdentityId"])


def test_get_id_checks_the_account_id(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = make_pool(client)
    assert client.get_id(IdentityPoolId=pool_id, AccountId=account.account_id)["IdentityId"]
    with pytest.raises(ClientError) as exc:
        client.get_id(IdentityPoolId=pool_id, AccountId="111111111111")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"IdentityPool '{pool_id}' not found.",
        400,
    )


def test_get_id_when_unauthenticated_access_is_off(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    pool_id = make_pool(client, unauth=False)
    with pytest.raises(ClientError) as exc:
        server.client(unsigned=True).get_id(IdentityPoolId=pool_id)
    assert error_of(exc) == (
        "NotAuthorizedException",
        "Unauthenticated access is not supported for this identity pool.",
        400,
    )


def test_get_id_on_missing_or_other_region_pool(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as exc:
        server.client(unsigned=True).get_id(IdentityPoolId=missing)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"IdentityPool '{missing}' not found.",
        400,
    )
    pool_id = make_pool(client)
    # boto3 never signs GetId; a client that signs it for another region reaches that region.
    body = orjson.dumps({"IdentityPoolId": pool_id})
    west = call(server.url, "GetId", body, account, region="eu-west-1")
    assert west.status_code == 400
    assert west.json() == {
        "__type": "ResourceNotFoundException",
        "message": f"IdentityPool '{pool_id}' not found.",
    }
    east = call(server.url, "GetId", body, account, region="us-east-1")
    assert east.status_code == 200
    assert POOL_ID.match(east.json()["IdentityId"])


def test_describe_identity(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = make_pool(client)
    before = datetime.now(UTC) - timedelta(seconds=5)
    identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    described = client.describe_identity(IdentityId=identity_id)
    assert described["IdentityId"] == identity_id
    assert "Logins" not in described  # unauthenticated: no linked logins
    created = described["CreationDate"]
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=5)
    assert described["LastModifiedDate"] == created


def test_describe_identity_of_other_account_is_not_found(
    server: ServerProcess, account: Credentials
) -> None:
    identity_id = server.client(unsigned=True).get_id(
        IdentityPoolId=make_pool(server.client(account))
    )["IdentityId"]
    other = server.client(server.new_account())
    with pytest.raises(ClientError) as exc:
        other.describe_identity(IdentityId=identity_id)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Identity '{identity_id}' not found.",
        400,
    )


def test_list_identities_paginates(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = make_pool(client)
    made = [client.get_id(IdentityPoolId=pool_id)["IdentityId"] for _ in range(7)]
    seen: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"IdentityPoolId": pool_id, "MaxResults": 3}
        if token is not None:
            kwargs["NextToken"] = token
        page = client.list_identities(**kwargs)
        seen += [i["IdentityId"] for i in page["Identities"]]
        token = page.get("NextToken")
        if token is None:
            break
        assert token != ""
    assert seen == made
    # A token is bound to its pool.
    other_pool = make_pool(client)
    token = client.list_identities(IdentityPoolId=pool_id, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as exc:
        client.list_identities(IdentityPoolId=other_pool, MaxResults=1, NextToken=token)
    assert error_of(exc)[0] == "InvalidParameterException"


def test_list_identities_requires_max_results(server: ServerProcess, account: Credentials) -> None:
    from botocore.config import Config

    client = server.client_with(account, Config(parameter_validation=False))
    pool_id = make_pool(client)
    with pytest.raises(ClientError) as exc:
        client.list_identities(IdentityPoolId=pool_id)
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: "
        "Member must not be null",
        400,
    )


def test_delete_identities(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = make_pool(client)
    keep, drop = (client.get_id(IdentityPoolId=pool_id)["IdentityId"] for _ in range(2))
    foreign = server.client(unsigned=True).get_id(
        IdentityPoolId=make_pool(server.client(server.new_account()))
    )["IdentityId"]
    unknown = "us-east-1:00000000-0000-4000-8000-000000000000"
    result = client.delete_identities(IdentityIdsToDelete=[drop, foreign, unknown])
    assert result["UnprocessedIdentityIds"] == [
        {"IdentityId": foreign, "ErrorCode": "AccessDenied"}
    ]
    remaining = client.list_identities(IdentityPoolId=pool_id, MaxResults=60)["Identities"]
    assert [i["IdentityId"] for i in remaining] == [keep]
    with pytest.raises(ClientError) as exc:
        client.describe_identity(IdentityId=drop)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_delete_identities_accepts_sixty_not_sixty_one(
    server: ServerProcess, account: Credentials
) -> None:
    from botocore.config import Config

    client = server.client_with(account, Config(parameter_validation=False))
    ids = [f"us-east-1:00000000-0000-4000-8000-{n:012d}" for n in range(61)]
    assert client.delete_identities(IdentityIdsToDelete=ids[:60])["UnprocessedIdentityIds"] == []
    with pytest.raises(ClientError) as exc:
        client.delete_identities(IdentityIdsToDelete=ids)
    code, message, _ = error_of(exc)
    assert code == "ValidationException"
    assert (
        "at 'identityIdsToDelete' failed to satisfy constraint: Member must have length less than or equal to 60"
        in message
    )
