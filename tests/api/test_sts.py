"""The STS Query endpoint through boto3 and raw HTTP: GetCallerIdentity with long-term and temporary
credentials, AssumeRoleWithWebIdentity, and errors in STS's XML form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import httpx
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from cognitoidentity.server.credentials import CredentialVault, Session, TemporaryCredentials
from cognitoidentity.server.crypto import MasterKey
from tests.api.test_pools import error_of
from tests.support.http import sign
from tests.support.server import REGION, Credentials, ServerProcess

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_ARN = "arn:aws:iam::{account}:role/Cognito_TestAuth_Role"
INVALID_TOKEN_ID = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


def sts(server: ServerProcess, credentials: Credentials | None = None, **kw: Any) -> Any:
    return server.client(credentials, service="sts", **kw)


def temporary_client(server: ServerProcess, issued: TemporaryCredentials, service: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=issued.access_key_id,
        aws_secret_access_key=issued.secret_access_key,
        aws_session_token=issued.session_token,
        region_name=REGION,
    )
    make: Any = session.client
    return make(
        service,
        endpoint_url=server.url,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def issue(server: ServerProcess, account_id: str, **changes: Any) -> TemporaryCredentials:
    """Temporary credentials made as another server process would make them: a vault given the
    server's master key."""
    values: dict[str, Any] = {
        "account_id": account_id,
        "role_arn": ROLE_ARN.format(account=account_id),
        "session_name": "CognitoIdentityCredentials",
        "expires_at": datetime.now(UTC) + timedelta(hours=1),
    }
    values.update(changes)
    vault = CredentialVault(MasterKey.from_text(server.master_key), lambda: datetime.now(UTC))
    return vault.issue(Session(**values))


def post_form(server: ServerProcess, fields: dict[str, str]) -> httpx.Response:
    return httpx.post(
        server.url + "/",
        content=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        timeout=10,
    )


# -- GetCallerIdentity -----------------------------------------------------------------------------


def test_get_caller_identity_with_root_keys(server: ServerProcess, account: Credentials) -> None:
    assert_root(sts(server).get_caller_identity(), server.root.account_id)
    assert_root(sts(server, account).get_caller_identity(), account.account_id)


def assert_root(answer: dict[str, Any], account_id: str) -> None:
    assert answer["UserId"] == account_id
    assert answer["Account"] == account_id
    assert answer["Arn"] == f"arn:aws:iam::{account_id}:root"
    assert re.fullmatch(r"[0-9a-f-]{36}", answer["ResponseMetadata"]["RequestId"])


def test_get_caller_identity_needs_a_signature(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as exc:
        sts(server, unsigned=True).get_caller_identity()
    assert error_of(exc) == (
        "MissingAuthenticationToken",
        "Request is missing Authentication Token",
        403,
    )


def test_unknown_keys_and_bad_secrets(server: ServerProcess) -> None:
    unknown = Credentials("000000000000", "AKIAUNKNOWNUNKNOWN00", "x" * 40)
    with pytest.raises(ClientError) as exc:
        sts(server, unknown).get_caller_identity()
    assert error_of(exc) == ("InvalidClientTokenId", INVALID_TOKEN_ID, 403)
    wrong = Credentials(server.root.account_id, server.root.access_key_id, "y" * 40)
    with pytest.raises(ClientError) as exc:
        sts(server, wrong).get_caller_identity()
    code, message, status = error_of(exc)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match")


def test_a_cognito_signature_is_not_an_sts_one(server: ServerProcess) -> None:
    body = urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    signed = sign(server.url + "/", body, headers, server.root, service="cognito-identity")
    answer = httpx.post(server.url + "/", content=body, headers=signed, timeout=10)
    assert answer.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in answer.text
    assert "Credential should be scoped to correct service: 'sts'" in answer.text


def test_xml_answers_and_invalid_action(server: ServerProcess) -> None:
    answer = post_form(server, {"Action": "GetFederationTokens", "Version": "2011-06-15"})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "text/xml"
    assert answer.text == (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>InvalidAction</Code>'
        "<Message>Could not find operation GetFederationTokens for version 2011-06-15</Message>"
        f"</Error><RequestId>{answer.headers['x-amzn-requestid']}</RequestId></ErrorResponse>"
    )
    missing_version = post_form(server, {"Action": "GetCallerIdentity"})
    assert missing_version.status_code == 400
    assert (
        "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED"
        in missing_version.text
    )


def test_operations_not_built_answer_cleanly(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as exc:
        sts(server).get_session_token()
    assert error_of(exc)[0::2] == ("UnsupportedOperation", 400)


# -- temporary credentials -------------------------------------------------------------------------


def test_temporary_credentials_are_an_assumed_role(
    server: ServerProcess, account: Credentials
) -> None:
    issued = issue(server, account.account_id, session_name="my-session")
    answer = temporary_client(server, issued, "sts").get_caller_identity()
    assert answer["Account"] == account.account_id
    assert answer["Arn"] == (
        f"arn:aws:sts::{account.account_id}:assumed-role/Cognito_TestAuth_Role/my-session"
    )
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:my-session", answer["UserId"])


def test_temporary_credentials_sign_public_cognito_calls(
    server: ServerProcess, account: Credentials
) -> None:
    """A signed public call (what paws and the JS SDK send when they hold credentials) works with
    temporary credentials; what else they may call is tests/api/test_authorization.py's."""
    pool_id = server.client(account).create_identity_pool(
        IdentityPoolName="temp", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    cognito = temporary_client(server, issue(server, account.account_id), "cognito-identity")
    identity_id = cognito.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert identity_id.startswith(f"{REGION}:")


def test_tampered_temporary_credentials_are_refused(
    server: ServerProcess, account: Credentials
) -> None:
    issued = issue(server, account.account_id)
    token = issued.session_token
    tampered_token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (
        TemporaryCredentials(
            issued.access_key_id, issued.secret_access_key, tampered_token, issued.expiration
        ),
        TemporaryCredentials(
            issue(server, account.account_id).access_key_id,
            issued.secret_access_key,
            token,
            issued.expiration,
        ),
    ):
        with pytest.raises(ClientError) as exc:
            temporary_client(server, bad, "sts").get_caller_identity()
        assert error_of(exc) == ("InvalidClientTokenId", INVALID_TOKEN_ID, 403)
    wrong_secret = TemporaryCredentials(
        issued.access_key_id, "z" * 40, issued.session_token, issued.expiration
    )
    with pytest.raises(ClientError) as exc:
        temporary_client(server, wrong_secret, "sts").get_caller_identity()
    assert error_of(exc)[0::2] == ("SignatureDoesNotMatch", 403)


def test_credentials_of_another_master_key_are_unknown(
    server: ServerProcess, account: Credentials
) -> None:
    vault = CredentialVault(MasterKey(b"\x01" * 32), lambda: datetime.now(UTC))
    issued = vault.issue(
        Session(
            account.account_id,
            ROLE_ARN.format(account=account.account_id),
            "s1",
            datetime.now(UTC) + timedelta(hours=1),
        )
    )
    with pytest.raises(ClientError) as exc:
        temporary_client(server, issued, "sts").get_caller_identity()
    assert error_of(exc) == ("InvalidClientTokenId", INVALID_TOKEN_ID, 403)


def test_expired_temporary_credentials(server: ServerProcess, account: Credentials) -> None:
    issued = issue(server, account.account_id, expires_at=datetime.now(UTC) - timedelta(seconds=5))
    with pytest.raises(ClientError) as exc:
        temporary_client(server, issued, "sts").get_caller_identity()
    assert error_of(exc) == ("ExpiredToken", EXPIRED_TOKEN, 403)
    with pytest.raises(ClientError) as exc:
        temporary_client(server, issued, "cognito-identity").list_identity_pools(MaxResults=10)
    assert error_of(exc) == ("ExpiredTokenException", EXPIRED_TOKEN, 400)


# -- AssumeRoleWithWebIdentity ---------------------------------------------------------------------


def test_a_garbage_web_identity_token_is_invalid(server: ServerProcess) -> None:
    client = sts(server, unsigned=True)
    for token in ("not-a-token", "aaaa.bbbb.cccc"):
        with pytest.raises(ClientError) as exc:
            client.assume_role_with_web_identity(
                RoleArn=ROLE_ARN.format(account="123456789012"),
                RoleSessionName="web",
                WebIdentityToken=token,
            )
        code, message, status = error_of(exc)
        assert (code, status) == ("InvalidIdentityToken", 400)
        assert message


def test_assume_role_with_web_identity_validates_its_input(server: ServerProcess) -> None:
    unchecked = server.client_with(
        None,
        Config(signature_version=UNSIGNED, parameter_validation=False),
        service="sts",
    )
    with pytest.raises(ClientError) as exc:
        unchecked.assume_role_with_web_identity(
            RoleArn=ROLE_ARN.format(account="123456789012"),
            RoleSessionName="bad name!",
            WebIdentityToken="x" * 10,
            DurationSeconds=60,
        )
    assert error_of(exc) == (
        "ValidationError",
        "2 validation errors detected: Value 'bad name!' at 'roleSessionName' failed to satisfy"
        " constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value '60' at"
        " 'durationSeconds' failed to satisfy constraint: Member must have value greater than or"
        " equal to 900",
        400,
    )


def test_assume_role_with_web_identity_accepts_a_signed_call(server: ServerProcess) -> None:
    body = urlencode(
        {
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": ROLE_ARN.format(account="123456789012"),
            "RoleSessionName": "web",
            "WebIdentityToken": "garbage-token",
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    signed = sign(server.url + "/", body, headers, server.root, service="sts")
    answer = httpx.post(server.url + "/", content=body, headers=signed, timeout=10)
    assert answer.status_code == 400
    assert "<Code>InvalidIdentityToken</Code>" in answer.text


# -- the full basic flow: GetId → GetOpenIdToken → AssumeRoleWithWebIdentity -----------------------


def open_id_token(server: ServerProcess, account: Credentials, role_arn: str) -> tuple[str, str]:
    """A pool whose unauthenticated role is ``role_arn``, and an OpenID token for a new identity
    of it; returns (pool id, token)."""
    cognito = server.client(account)
    pool_id: str = cognito.create_identity_pool(
        IdentityPoolName="flow", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    cognito.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": role_arn})
    public = server.client(unsigned=True)
    identity_id = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    token: str = public.get_open_id_token(IdentityId=identity_id)["Token"]
    return pool_id, token


def test_basic_flow_credentials_work(server: ServerProcess, account: Credentials) -> None:
    role_arn = ROLE_ARN.format(account=account.account_id)
    pool_id, token = open_id_token(server, account, role_arn)
    answer = sts(server, unsigned=True).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web-session", WebIdentityToken=token, DurationSeconds=900
    )
    assumed = f"arn:aws:sts::{account.account_id}:assumed-role/Cognito_TestAuth_Role/web-session"
    assert answer["AssumedRoleUser"]["Arn"] == assumed
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:web-session", answer["AssumedRoleUser"]["AssumedRoleId"])
    assert answer["Audience"] == pool_id
    assert answer["Provider"] == server.url.removeprefix("http://")
    assert answer["SubjectFromWebIdentityToken"].startswith(f"{REGION}:")
    credentials = answer["Credentials"]
    expires_in = credentials["Expiration"] - datetime.now(UTC)
    assert timedelta(seconds=850) < expires_in <= timedelta(seconds=900)

    issued = TemporaryCredentials(
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
        credentials["Expiration"],
    )
    caller = temporary_client(server, issued, "sts").get_caller_identity()
    assert caller["Arn"] == assumed
    assert caller["Account"] == account.account_id
    assert caller["UserId"] == answer["AssumedRoleUser"]["AssumedRoleId"]

    token_bytes = bytearray(issued.session_token.encode())
    token_bytes[len(token_bytes) // 2] ^= 0x01  # still base64url, no longer the sealed value
    tampered = TemporaryCredentials(
        issued.access_key_id, issued.secret_access_key, token_bytes.decode(), issued.expiration
    )
    with pytest.raises(ClientError) as exc:
        temporary_client(server, tampered, "sts").get_caller_identity()
    assert error_of(exc) == ("InvalidClientTokenId", INVALID_TOKEN_ID, 403)
    wrong_secret = TemporaryCredentials(
        issued.access_key_id, "x" * 40, issued.session_token, issued.expiration
    )
    with pytest.raises(ClientError) as exc:
        temporary_client(server, wrong_secret, "sts").get_caller_identity()
    assert error_of(exc)[0::2] == ("SignatureDoesNotMatch", 403)


def test_basic_flow_refuses_other_roles(server: ServerProcess, account: Credentials) -> None:
    role_arn = ROLE_ARN.format(account=account.account_id)
    _, token = open_id_token(server, account, role_arn)
    with pytest.raises(ClientError) as exc:
        sts(server, unsigned=True).assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{account.account_id}:role/Admin",
            RoleSessionName="web",
            WebIdentityToken=token,
        )
    assert error_of(exc) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        403,
    )


def test_enhanced_flow_credentials_are_the_pool_role(
    server: ServerProcess, account: Credentials
) -> None:
    role_arn = ROLE_ARN.format(account=account.account_id)
    pool_id, _ = open_id_token(server, account, role_arn)
    public = server.client(unsigned=True)
    identity_id = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    credentials = public.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
    issued = TemporaryCredentials(
        credentials["AccessKeyId"],
        credentials["SecretKey"],
        credentials["SessionToken"],
        credentials["Expiration"],
    )
    caller = temporary_client(server, issued, "sts").get_caller_identity()
    assert caller["Arn"] == (
        f"arn:aws:sts::{account.account_id}:assumed-role/Cognito_TestAuth_Role/"
        "CognitoIdentityCredentials"
    )


def test_presigned_get_caller_identity(server: ServerProcess, account: Credentials) -> None:
    """A GET with the signature in the query string, as Vault's AWS auth and the EKS
    authenticator send it."""
    sts = server.client(account, service="sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert f"<Arn>arn:aws:iam::{account.account_id}:root</Arn>" in response.text
    tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
    assert httpx.get(tampered).status_code == 403
