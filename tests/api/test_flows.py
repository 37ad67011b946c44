"""GetOpenIdToken and GetCredentialsForIdentity: the basic and enhanced flows, end to end with boto3,
the token checked against the JWKS the server publishes, the credentials checked by our STS."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import orjson
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.api.test_pools import error_of
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import Credentials, ServerProcess


def auth_role(account: Credentials) -> str:
    return f"arn:aws:iam::{account.account_id}:role/Cognito_demoAuth_Role"


def unauth_role(account: Credentials) -> str:
    return f"arn:aws:iam::{account.account_id}:role/Cognito_demoUnauth_Role"


def pool_with_roles(client: Any, account: Credentials, **extra: Any) -> str:
    pool_id: str = client.create_identity_pool(
        IdentityPoolName="flows", AllowUnauthenticatedIdentities=True, **extra
    )["IdentityPoolId"]
    client.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": auth_role(account), "unauthenticated": unauth_role(account)},
    )
    return pool_id


def sts_client(server: ServerProcess, creds: dict[str, Any] | None = None) -> Any:
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"] if creds else "unused",
        aws_secret_access_key=(creds.get("SecretKey") or creds.get("SecretAccessKey"))
        if creds
        else "unused",
        aws_session_token=creds["SessionToken"] if creds else None,
        region_name="us-east-1",
    )
    make: Any = session.client
    return make("sts", endpoint_url=server.url, config=Config(retries={"max_attempts": 1}))


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = orjson.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def test_enhanced_flow(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = pool_with_roles(client, account)
    identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    public = server.client(unsigned=True)
    result = public.get_credentials_for_identity(IdentityId=identity_id)
    assert result["IdentityId"] == identity_id
    creds = result["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert len(creds["SecretKey"]) == 40
    lifetime = creds["Expiration"] - datetime.now(UTC)
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1, seconds=5)
    caller = sts_client(server, creds).get_caller_identity()
    assert caller["Account"] == account.account_id
    assert caller["Arn"] == (
        f"arn:aws:sts::{account.account_id}:assumed-role/Cognito_demoUnauth_Role/"
        "CognitoIdentityCredentials"
    )
    assert caller["UserId"].startswith("AROA") and caller["UserId"].endswith(
        ":CognitoIdentityCredentials"
    )


def test_tampered_credentials_are_refused(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    identity_id = client.get_id(IdentityPoolId=pool_with_roles(client, account))["IdentityId"]
    creds = server.client(unsigned=True).get_credentials_for_identity(IdentityId=identity_id)[
        "Credentials"
    ]
    token = creds["SessionToken"]
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for bad in (
        {**creds, "SessionToken": flipped},
        {**creds, "SecretKey": "x" * 40},
        {**creds, "AccessKeyId": "ASIA" + "A" * 16},
    ):
        with pytest.raises(ClientError) as exc:
            sts_client(server, bad).get_caller_identity()
        assert exc.value.response["Error"]["Code"] in (
            "InvalidClientTokenId",
            "SignatureDoesNotMatch",
            "UnrecognizedClientException",
            "InvalidSignatureException",
        )


def test_basic_flow_through_sts(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = pool_with_roles(client, account)
    public = server.client(unsigned=True)
    identity_id = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    issued = public.get_open_id_token(IdentityId=identity_id)
    assert issued["IdentityId"] == identity_id
    claims = claims_of(issued["Token"])
    assert claims["sub"] == identity_id
    assert claims["aud"] == pool_id
    assert claims["amr"] == ["unauthenticated"]
    assert claims["iss"] == server.url
    assert claims["exp"] - claims["iat"] == 600
    assumed = sts_client(server).assume_role_with_web_identity(
        RoleArn=unauth_role(account),
        RoleSessionName="app-session",
        WebIdentityToken=issued["Token"],
    )
    assert assumed["SubjectFromWebIdentityToken"] == identity_id
    assert assumed["Audience"] == pool_id
    assert assumed["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{account.account_id}:assumed-role/Cognito_demoUnauth_Role/app-session"
    )
    caller = sts_client(server, assumed["Credentials"]).get_caller_identity()
    assert caller["Arn"] == assumed["AssumedRoleUser"]["Arn"]


def test_token_verifies_against_published_jwks(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    identity_id = client.get_id(IdentityPoolId=pool_with_roles(client, account))["IdentityId"]
    token = server.client(unsigned=True).get_open_id_token(IdentityId=identity_id)["Token"]
    discovery = httpx.get(server.url + "/.well-known/openid-configuration").json()
    keys = KeySet.import_key_set(httpx.get(discovery["jwks_uri"]).json())
    decoded = jwt.decode(token, keys, algorithms=["RS512"])
    assert decoded.header["alg"] == "RS512" and decoded.header["typ"] == "JWS"
    assert decoded.claims["sub"] == identity_id
    # An altered payload no longer verifies.
    head, _payload, signature = token.split(".")
    altered = claims_of(token) | {"sub": "us-east-1:00000000-0000-4000-8000-000000000000"}
    forged = ".".join(
        [head, base64.urlsafe_b64encode(orjson.dumps(altered)).decode().rstrip("="), signature]
    )
    with pytest.raises(Exception, match="signature"):
        jwt.decode(forged, keys, algorithms=["RS512"])


def test_classic_flow_disabled(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = pool_with_roles(client, account, AllowClassicFlow=False)
    identity_id = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    with pytest.raises(ClientError) as exc:
        server.client(unsigned=True).get_open_id_token(IdentityId=identity_id)
    assert error_of(exc) == (
        "InvalidParameterException",
        "Basic (classic) flow is not enabled, please use enhanced flow.",
        400,
    )
    # The enhanced flow still works.
    assert server.client(unsigned=True).get_credentials_for_identity(IdentityId=identity_id)


def test_flow_errors(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    public = server.client(unsigned=True)
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    for call in (public.get_open_id_token, public.get_credentials_for_identity):
        with pytest.raises(ClientError) as exc:
            call(IdentityId=missing)
        assert error_of(exc) == (
            "ResourceNotFoundException",
            f"Identity '{missing}' not found.",
            400,
        )
    no_roles = client.create_identity_pool(
        IdentityPoolName="noroles", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    identity_id = public.get_id(IdentityPoolId=no_roles)["IdentityId"]
    with pytest.raises(ClientError) as exc:
        public.get_credentials_for_identity(IdentityId=identity_id)
    assert error_of(exc) == (
        "InvalidIdentityPoolConfigurationException",
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        public.get_credentials_for_identity(
            IdentityId=identity_id, Logins={"accounts.google.com": "token"}
        )
    assert error_of(exc) == (
        "InvalidParameterException",
        "Logins should not be specified when trying to get credentials for an unauthenticated "
        "identity.",
        400,
    )
    # A pool that stops allowing guests stops serving its guest identities.
    client.update_identity_pool(
        IdentityPoolId=no_roles, IdentityPoolName="noroles", AllowUnauthenticatedIdentities=False
    )
    for call in (public.get_open_id_token, public.get_credentials_for_identity):
        with pytest.raises(ClientError) as exc:
            call(IdentityId=identity_id)
        assert error_of(exc) == (
            "NotAuthorizedException",
            "Unauthenticated access is not supported for this identity pool.",
            400,
        )


def test_two_processes_accept_each_others_tokens_and_credentials(tmp_path: Path) -> None:
    require_postgres()
    # Processes behind one load balancer share the master key and the issuer URL.
    shared = {"COGNITOIDENTITY_ISSUER_URL": "https://identity.example.test"}
    with temporary_schema() as url:
        first = ServerProcess(tmp_path, url, extra_env=shared).start()
        second = ServerProcess(
            tmp_path, url, root=first.root, master_key=first.master_key, extra_env=shared
        ).start()
        try:
            account = first.new_account()
            pool_id = pool_with_roles(first.client(account), account)
            identity_id = first.client(unsigned=True).get_id(IdentityPoolId=pool_id)["IdentityId"]
            creds = first.client(unsigned=True).get_credentials_for_identity(
                IdentityId=identity_id
            )["Credentials"]
            assert (
                "CognitoIdentityCredentials"
                in sts_client(second, creds).get_caller_identity()["Arn"]
            )
            token = second.client(unsigned=True).get_open_id_token(IdentityId=identity_id)["Token"]
            assumed = sts_client(first).assume_role_with_web_identity(
                RoleArn=unauth_role(account), RoleSessionName="s1", WebIdentityToken=token
            )
            assert assumed["SubjectFromWebIdentityToken"] == identity_id
            assert (
                httpx.get(first.url + "/.well-known/jwks_uri").json()
                == httpx.get(second.url + "/.well-known/jwks_uri").json()
            )
        finally:
            first.stop()
            second.stop()
