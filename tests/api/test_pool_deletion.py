"""DeleteIdentityPool through boto3: the answer comes at once, and from then on every operation
finds neither the pool nor its identities, while the server's deleter removes them from the store
in the background (on both stores)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from tests.support.inprocess import InProcessServer
from tests.support.server import Credentials


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    return in_process


def test_a_deleted_pool_is_not_found_at_once(server: InProcessServer, account: Credentials) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="doomed",
        AllowUnauthenticatedIdentities=True,
        DeveloperProviderName="login.example",
    )["IdentityPoolId"]
    kept_id = client.create_identity_pool(
        IdentityPoolName="kept", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    identities = [client.get_id(IdentityPoolId=pool_id)["IdentityId"] for _ in range(5)]
    developer = client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={"login.example": "alice"}
    )["IdentityId"]

    started = time.monotonic()
    client.delete_identity_pool(IdentityPoolId=pool_id)
    assert time.monotonic() - started < 2

    calls: list[Callable[[], object]] = [
        lambda: client.get_id(IdentityPoolId=pool_id),
        lambda: client.describe_identity_pool(IdentityPoolId=pool_id),
        lambda: client.delete_identity_pool(IdentityPoolId=pool_id),
        lambda: client.list_identities(IdentityPoolId=pool_id, MaxResults=10),
        lambda: client.describe_identity(IdentityId=identities[0]),
        lambda: client.get_credentials_for_identity(IdentityId=identities[1]),
        lambda: client.get_open_id_token(IdentityId=identities[2]),
        lambda: client.lookup_developer_identity(
            IdentityPoolId=pool_id, DeveloperUserIdentifier="alice", MaxResults=10
        ),
        lambda: client.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={"login.example": "alice"}
        ),
        lambda: client.describe_identity(IdentityId=developer),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    listed = client.list_identity_pools(MaxResults=60)["IdentityPools"]
    assert [p["IdentityPoolId"] for p in listed] == [kept_id]
    assert client.get_id(IdentityPoolId=kept_id)["IdentityId"]

    # The server's deleter, woken by the delete, removes the rows soon after.
    store = server.store
    deadline = time.monotonic() + 20
    while server.run(store.deleted_pools()):
        assert time.monotonic() < deadline, "the deleter did not finish"
        time.sleep(0.02)
