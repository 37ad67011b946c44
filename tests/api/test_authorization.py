"""What temporary credentials may call: the attack of an anonymous guest who turns an unsigned
GetId and GetCredentialsForIdentity into ``ASIA…`` credentials and signs administrative calls
with them. A guest role grants none of those on AWS; here no session may make them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.server import REGION, Credentials, ServerProcess


def guest_session(server: ServerProcess, account: Credentials) -> tuple[str, str, dict[str, Any]]:
    """A pool of ``account`` with a guest role, and a guest's credentials obtained unsigned."""
    admin = server.client(account)
    pool_id: str = admin.create_identity_pool(
        IdentityPoolName="guests", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    role = f"arn:aws:iam::{account.account_id}:role/Cognito_guestsUnauth_Role"
    admin.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": role})
    public = server.client(unsigned=True)
    identity_id: str = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    credentials = public.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
    return pool_id, identity_id, credentials


def signed_with(server: ServerProcess, credentials: dict[str, Any], service: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    make: Any = session.client
    return make(service, endpoint_url=server.url, config=Config(retries={"total_max_attempts": 1}))


def test_guest_credentials_cannot_administer_the_account(
    server: ServerProcess, account: Credentials
) -> None:
    _, identity_id, credentials = guest_session(server, account)
    victim: str = server.client(account).create_identity_pool(
        IdentityPoolName="victim", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]
    assumed = (
        f"arn:aws:sts::{account.account_id}:assumed-role/Cognito_guestsUnauth_Role/"
        "CognitoIdentityCredentials"
    )
    victim_arn = f"arn:aws:cognito-identity:{REGION}:{account.account_id}:identitypool/{victim}"
    cognito = signed_with(server, credentials, "cognito-identity")
    denied: list[tuple[str, str, Callable[[], object]]] = [
        ("DeleteIdentityPool", victim_arn, lambda: cognito.delete_identity_pool(IdentityPoolId=victim)),
        ("DescribeIdentityPool", victim_arn, lambda: cognito.describe_identity_pool(IdentityPoolId=victim)),
        ("UpdateIdentityPool", victim_arn, lambda: cognito.update_identity_pool(IdentityPoolId=victim, IdentityPoolName="pwned", AllowUnauthenticatedIdentities=True)),
        ("SetIdentityPoolRoles", victim_arn, lambda: cognito.set_identity_pool_roles(IdentityPoolId=victim, Roles={})),
        ("CreateIdentityPool", "*", lambda: cognito.create_identity_pool(IdentityPoolName="x", AllowUnauthenticatedIdentities=True)),
        ("ListIdentityPools", "*", lambda: cognito.list_identity_pools(MaxResults=10)),
        ("DeleteIdentities", "*", lambda: cognito.delete_identities(IdentityIdsToDelete=[identity_id])),
        ("DescribeIdentity", "*", lambda: cognito.describe_identity(IdentityId=identity_id)),
    ]  # fmt: skip
    for action, resource, call in denied:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "AccessDeniedException",
            f"User: {assumed} is not authorized to perform: cognito-identity:{action} on"
            f" resource: {resource}",
            400,
        ), action
    # Nothing changed: the pools and the identity are all still there.
    admin = server.client(account)
    assert admin.describe_identity_pool(IdentityPoolId=victim)["IdentityPoolName"] == "victim"
    assert admin.describe_identity(IdentityId=identity_id)["IdentityId"] == identity_id


def test_guest_credentials_cannot_call_iam(server: ServerProcess, account: Credentials) -> None:
    _, _, credentials = guest_session(server, account)
    iam = signed_with(server, credentials, "iam")
    calls: list[tuple[str, Callable[[], object]]] = [
        ("CreateOpenIDConnectProvider", lambda: iam.create_open_id_connect_provider(Url="https://idp.example.com", ClientIDList=["app"])),
        ("ListOpenIDConnectProviders", lambda: iam.list_open_id_connect_providers()),
    ]  # fmt: skip
    for action, call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        code, message, status = error_of(exc)
        assert (code, status) == ("AccessDenied", 403), action
        assert f"is not authorized to perform: iam:{action} on resource: *" in message
    assert (
        server.client(account, service="iam").list_open_id_connect_providers()[
            "OpenIDConnectProviderList"
        ]
        == []
    )


def test_guest_credentials_make_the_calls_any_caller_may(
    server: ServerProcess, account: Credentials
) -> None:
    """sts:GetCallerIdentity needs no permission, and the public Cognito operations take a
    signature from anyone: a guest refreshing its credentials signs them."""
    pool_id, identity_id, credentials = guest_session(server, account)
    caller = signed_with(server, credentials, "sts").get_caller_identity()
    assert caller["Account"] == account.account_id
    cognito = signed_with(server, credentials, "cognito-identity")
    assert cognito.get_id(IdentityPoolId=pool_id)["IdentityId"].startswith(REGION)
    refreshed = cognito.get_credentials_for_identity(IdentityId=identity_id)
    assert refreshed["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert cognito.get_open_id_token(IdentityId=identity_id)["IdentityId"] == identity_id


def test_long_term_keys_still_administer_their_account(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="mine", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    client.delete_identity_pool(IdentityPoolId=pool_id)
    assert client.list_identity_pools(MaxResults=10)["IdentityPools"] == []
