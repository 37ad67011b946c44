"""What time ends, on the in-process server's clock (moved by the test, never slept through): the
access-key lookup cache, temporary credentials, OpenID tokens and SigV4 signatures."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.http import json_headers, sign
from tests.support.inprocess import InProcessServer
from tests.support.server import REGION, Credentials, needs_caches

EXPIRED_TOKEN = "The security token included in the request is expired"
INVALID_TOKEN = "The security token included in the request is invalid."


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    """Every test here runs on the in-process server, whose clock it moves."""
    return in_process


def temporary(server: InProcessServer, credentials: dict[str, Any], service: str) -> Any:
    """A boto3 client of ``service`` signed with temporary ``credentials`` as the API answers them
    (``SecretKey`` from Cognito, ``SecretAccessKey`` from STS)."""
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials.get("SecretKey") or credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    make: Any = session.client
    client = make(service, endpoint_url=server.url, config=Config(retries={"max_attempts": 1}))
    return server.attach(client)


def guest_identity(server: InProcessServer, account: Credentials) -> tuple[str, str]:
    """A new unauthenticated identity of a new pool whose unauthenticated role is set; returns
    (identity id, role)."""
    client = server.client(account)
    role = f"arn:aws:iam::{account.account_id}:role/Cognito_expiryUnauth_Role"
    pool_id: str = client.create_identity_pool(
        IdentityPoolName="expiry", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": role})
    identity_id: str = server.client(unsigned=True).get_id(IdentityPoolId=pool_id)["IdentityId"]
    return identity_id, role


@needs_caches
def test_a_deleted_key_works_until_the_lookup_cache_forgets_it(
    server: InProcessServer, account: Credentials
) -> None:
    clock = server.clock
    ttl = timedelta(seconds=server.settings.key_cache_seconds)
    client = server.client(account)
    client.list_identity_pools(MaxResults=5)  # the key is looked up and kept
    kept_at = clock.monotonic()
    # `cognitoidentity keys delete`, a process of its own on the same store.
    server.admin("keys", "delete", account.access_key_id)
    assert server.run(server.store.get_access_key(account.access_key_id)) is None
    # The clock is real time plus the test's offset: the command's own run time counts too.
    almost = ttl - timedelta(seconds=clock.monotonic() - kept_at) - timedelta(milliseconds=500)
    clock.advance(almost)
    assert client.list_identity_pools(MaxResults=5)["IdentityPools"] == []
    clock.advance(timedelta(milliseconds=500))
    with pytest.raises(ClientError) as exc:
        client.list_identity_pools(MaxResults=5)
    assert error_of(exc) == ("UnrecognizedClientException", INVALID_TOKEN, 400)


def test_an_unknown_key_is_not_remembered(server: InProcessServer, account: Credentials) -> None:
    later = Credentials(
        account.account_id, "AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)
    )
    with pytest.raises(ClientError) as exc:
        server.client(later).list_identity_pools(MaxResults=5)
    assert error_of(exc) == ("UnrecognizedClientException", INVALID_TOKEN, 400)
    # The key is made now: it works at once, with no time passing.
    server.run(
        server.account_admin.create_key(
            account.account_id, later.access_key_id, later.secret_access_key
        )
    )
    assert server.client(later).list_identity_pools(MaxResults=5)["IdentityPools"] == []


def test_credentials_for_an_identity_end_at_their_expiration(
    server: InProcessServer, account: Credentials
) -> None:
    clock = server.clock
    identity_id, _ = guest_identity(server, account)
    public = server.client(unsigned=True)
    credentials = public.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
    left = credentials["Expiration"] - clock.now()
    assert timedelta(minutes=59) < left <= timedelta(hours=1)
    sts = temporary(server, credentials, "sts")
    cognito = temporary(server, credentials, "cognito-identity")

    clock.advance(left - timedelta(seconds=2))
    assert sts.get_caller_identity()["Arn"].endswith(
        ":assumed-role/Cognito_expiryUnauth_Role/CognitoIdentityCredentials"
    )

    clock.advance(timedelta(seconds=2))
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == ("ExpiredToken", EXPIRED_TOKEN, 403)
    with pytest.raises(ClientError) as exc:  # a signed Cognito call: expiry is checked first
        cognito.list_identity_pools(MaxResults=5)
    assert error_of(exc) == ("ExpiredTokenException", EXPIRED_TOKEN, 400)
    # New credentials for the same identity work: the identity did not expire.
    fresh = public.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
    assert temporary(server, fresh, "sts").get_caller_identity()["Account"] == account.account_id


def test_an_open_id_token_is_good_for_ten_minutes(
    server: InProcessServer, account: Credentials
) -> None:
    clock = server.clock
    identity_id, role = guest_identity(server, account)
    token = server.client(unsigned=True).get_open_id_token(IdentityId=identity_id)["Token"]
    sts = server.client(unsigned=True, service="sts")

    def assume() -> Any:
        return sts.assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="web", WebIdentityToken=token
        )

    clock.advance(timedelta(minutes=10) - timedelta(seconds=2))
    assert assume()["SubjectFromWebIdentityToken"] == identity_id
    clock.advance(timedelta(seconds=2))
    with pytest.raises(ClientError) as exc:
        assume()
    code, message, status = error_of(exc)
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ")


def test_a_signature_is_good_for_fifteen_minutes(
    server: InProcessServer, account: Credentials
) -> None:
    clock = server.clock
    body = b'{"MaxResults": 5}'
    headers = sign(server.url + "/", body, json_headers("ListIdentityPools"), account)
    assert server.http is not None
    clock.advance(timedelta(minutes=15) - timedelta(seconds=2))
    assert server.http.post("/", content=body, headers=headers).status_code == 200
    clock.advance(timedelta(seconds=2))
    replayed = server.http.post("/", content=body, headers=headers)
    assert replayed.status_code == 400
    assert replayed.json()["__type"] == "InvalidSignatureException"
    assert replayed.json()["message"].startswith("Signature expired: ")
