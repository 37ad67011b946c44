"""The wire, below the SDKs: routing, JSON errors, CORS and SigV4 answers over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import httpx
import orjson
import pytest

from tests.support.http import call, json_headers, sign
from tests.support.server import Credentials, ServerProcess

CREATE = orjson.dumps({"IdentityPoolName": "wire", "AllowUnauthenticatedIdentities": True})


def assert_error(response: httpx.Response, code: str, message: str | None = None) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-errortype"] == f"{code}:"
    assert response.headers["x-amzn-requestid"]
    assert response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    assert body["__type"] == code  # bare, never namespaced with '#'
    if message is not None:
        assert body["message"] == message


def test_success_headers(server: ServerProcess, account: Credentials) -> None:
    response = call(server.url, "CreateIdentityPool", CREATE, account)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert len(response.headers["x-amzn-requestid"]) == 36
    assert "x-amzn-RequestId" in response.headers["access-control-expose-headers"]


def test_unknown_target(server: ServerProcess, account: Credentials) -> None:
    assert_error(
        call(server.url, "NoSuchOperation", b"{}", account),
        "UnknownOperationException",
        "Unknown operation AWSCognitoIdentityService.NoSuchOperation",
    )
    response = httpx.post(
        server.url + "/", content=b"{}", headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"}
    )
    assert_error(response, "UnknownOperationException")


def test_requests_without_target_get_json_not_html(server: ServerProcess) -> None:
    assert_error(httpx.get(server.url + "/"), "UnknownOperationException")
    assert_error(httpx.post(server.url + "/", content=b"{}"), "UnknownOperationException")
    assert_error(httpx.get(server.url + "/no/such/page"), "UnknownOperationException")
    # A path that decodes to a CR LF is named in the message, never in a header of the answer.
    forged = httpx.post(server.url + "/%0d%0ax-forged:%201", content=b"{}")
    assert_error(
        forged,
        "UnknownOperationException",
        "No operation at POST /\r\nx-forged: 1 without an X-Amz-Target header",
    )
    assert "x-forged" not in forged.headers


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Request body is not valid JSON"),
        (b"[]", "Start of list found where not expected"),
        (
            b'{"IdentityPoolName": 5, "AllowUnauthenticatedIdentities": true}',
            "NUMBER_VALUE can not be converted to String",
        ),
        (
            b'{"IdentityPoolName": "x", "AllowUnauthenticatedIdentities": "yes"}',
            "STRING_VALUE can not be converted to Boolean",
        ),
        (
            b'{"IdentityPoolName": ["x"], "AllowUnauthenticatedIdentities": true}',
            "Start of list found where not expected",
        ),
    ],
    ids=["not-json", "array", "number-for-string", "string-for-bool", "list-for-string"],
)
def test_serialization_errors(
    server: ServerProcess, account: Credentials, body: bytes, message: str
) -> None:
    assert_error(
        call(server.url, "CreateIdentityPool", body, account), "SerializationException", message
    )


def test_empty_body_counts_as_empty_object(server: ServerProcess, account: Credentials) -> None:
    response = call(server.url, "ListIdentityPools", b"", account)
    assert_error(
        response,
        "ValidationException",
        "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_unknown_members_are_ignored(server: ServerProcess, account: Credentials) -> None:
    body = orjson.dumps(
        {"IdentityPoolName": "x", "AllowUnauthenticatedIdentities": True, "Extra": [1, 2]}
    )
    assert call(server.url, "CreateIdentityPool", body, account).status_code == 200


def test_cors_preflight(server: ServerProcess) -> None:
    response = httpx.options(
        server.url + "/",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = response.headers["access-control-allow-headers"].split(",")
    for header in (
        "x-amz-target",
        "x-amz-user-agent",
        "authorization",
        "x-amz-security-token",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "content-type",
        "x-amz-date",
    ):
        assert header in allowed
    assert "POST" in response.headers["access-control-allow-methods"]


def test_unsigned_call_to_signed_operation(server: ServerProcess) -> None:
    assert_error(
        call(server.url, "ListIdentityPools", b'{"MaxResults": 5}'),
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )


def test_unknown_access_key(server: ServerProcess) -> None:
    stranger = Credentials("123456789012", "AKIAUNKNOWNUNKNOWN00", "secret")
    assert_error(
        call(server.url, "ListIdentityPools", b'{"MaxResults": 5}', stranger),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_wrong_secret_and_tampering(server: ServerProcess, account: Credentials) -> None:
    wrong = Credentials(account.account_id, account.access_key_id, "not-the-secret")
    mismatch = (
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details."
    )
    assert_error(
        call(server.url, "ListIdentityPools", b'{"MaxResults": 5}', wrong),
        "InvalidSignatureException",
        mismatch,
    )
    url = server.url + "/"
    body = b'{"MaxResults": 5}'
    headers = sign(url, body, json_headers("ListIdentityPools"), account)
    tampered_body = httpx.post(url, content=b'{"MaxResults": 6}', headers=headers)
    assert_error(tampered_body, "InvalidSignatureException", mismatch)
    retargeted = {**headers, "X-Amz-Target": "AWSCognitoIdentityService.ListIdentityPoolz"}
    # The target is routed first: an unknown one is reported as such.
    assert_error(httpx.post(url, content=body, headers=retargeted), "UnknownOperationException")
    other_op = {**headers, "X-Amz-Target": "AWSCognitoIdentityService.DescribeIdentityPool"}
    response = httpx.post(
        url,
        content=b'{"IdentityPoolId": "us-east-1:00000000-0000-4000-8000-000000000000"}',
        headers=other_op,
    )
    assert_error(response, "InvalidSignatureException", mismatch)
    assert httpx.post(url, content=body, headers=headers).status_code == 200


def test_stale_signature(server: ServerProcess, account: Credentials) -> None:
    url = server.url + "/"
    body = b'{"MaxResults": 5}'
    past = datetime.now(UTC) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=past.replace(tzinfo=None)):
        headers = sign(url, body, json_headers("ListIdentityPools"), account)
    response = httpx.post(url, content=body, headers=headers)
    assert_error(response, "InvalidSignatureException")
    assert response.json()["message"].startswith("Signature expired: ")


def test_malformed_authorization(server: ServerProcess) -> None:
    headers = {
        **json_headers("ListIdentityPools"),
        "X-Amz-Date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/cognito-identity/aws4_request",
    }
    response = httpx.post(server.url + "/", content=b'{"MaxResults": 5}', headers=headers)
    assert_error(response, "IncompleteSignatureException")
    assert "Signature" in response.json()["message"]


def test_public_operation_accepts_signed_and_unsigned(
    server: ServerProcess, account: Credentials
) -> None:
    pool_id = call(server.url, "CreateIdentityPool", CREATE, account).json()["IdentityPoolId"]
    body = orjson.dumps({"IdentityPoolId": pool_id})
    assert call(server.url, "GetId", body).status_code == 200
    assert call(server.url, "GetId", body, account).status_code == 200
    # A signature that is present must be right, even on a public operation.
    wrong = Credentials(account.account_id, account.access_key_id, "wrong")
    assert_error(call(server.url, "GetId", body, wrong), "InvalidSignatureException")
