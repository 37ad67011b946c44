"""The one request pipeline, in process (ASGI over httpx): every service goes through the same
steps in the same order whatever its protocol, and every exception becomes an answer in the
protocol of the service that was called.

The order, pinned here for JSON 1.1 (Cognito Identity) and Query (STS): route, authenticate,
parse and validate, authorize, run. So an unsigned call to a signed operation with bad parameters
is refused for its signature, never told about its parameters; a signed one gets its validation
error; and a session that may not call the operation is told so only for a well-formed call."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode

import httpx
import orjson
import pytest

from cognitoidentity.server.app import Application, Mounted
from cognitoidentity.server.operations import Handler
from cognitoidentity.server.services import REGISTERED, Registration, build_services
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.sigv4 import ResolvedCredential, SigV4Verifier
from cognitoidentity.server.store import StoreBusy
from tests.support.http import JSON_TYPE, sign
from tests.support.server import Credentials

URL = "http://pipeline.test/"
ACCOUNT = "123456789012"
ROOT = Credentials(ACCOUNT, "AKIAPIPELINEROOT0001", "root-secret")
SESSION = Credentials(ACCOUNT, "ASIAPIPELINESESSION1", "session-secret")
"""A key the resolver below treats as temporary credentials (a session of an assumed role)."""
POOL = "us-east-1:4c5b2f0e-8f4e-4c0a-9d53-2a1d0e5a7f11"


class Keys:
    async def __call__(
        self, access_key_id: str, session_token: str | None
    ) -> ResolvedCredential | None:
        if access_key_id == ROOT.access_key_id:
            return ResolvedCredential(
                ROOT.secret_access_key, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root"
            )
        if access_key_id == SESSION.access_key_id:
            return ResolvedCredential(
                SESSION.secret_access_key,
                ACCOUNT,
                f"arn:aws:sts::{ACCOUNT}:assumed-role/Guest/CognitoIdentityCredentials",
                session=object(),
            )
        return None


async def _ok(ctx: Any, params: Any) -> Any:
    return {"IdentityPoolId": params.get("IdentityPoolId", POOL), "IdentityPoolName": "p"}


async def _caller(ctx: Any, params: Any) -> Any:
    return {"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": ctx.caller.principal_arn}


async def _fails(ctx: Any, params: Any) -> Any:
    raise RuntimeError("a bug")


async def _busy(ctx: Any, params: Any) -> Any:
    raise StoreBusy("locked")


def application(cognito: Mapping[str, Handler], sts: Mapping[str, Handler]) -> Application:
    registered = {r.model: r for r in REGISTERED}
    services = build_services(
        lambda name: SigV4Verifier(Keys(), service=name),
        (
            Registration("cognito-identity", cognito),
            Registration("sts", sts),
            registered["iam"],
        ),
    )
    app = Application(_never_mounted)
    app.mounted = Mounted(runtime=SimpleNamespace(settings=Settings()), services=services)  # type: ignore[arg-type]
    return app


async def _never_mounted() -> Mounted:
    raise AssertionError("mounted directly")


def run(app: Application, method: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=cast(Any, app))  # ASGI types: dict vs MutableMapping
        async with httpx.AsyncClient(transport=transport, base_url=URL) as client:
            return await client.request(method, URL, content=body, headers=headers)

    return asyncio.run(go())


def json_call(
    app: Application, op: str, params: dict[str, Any], creds: Credentials | None
) -> tuple[int, dict[str, Any]]:
    body = orjson.dumps(params)
    headers = {"Content-Type": JSON_TYPE, "X-Amz-Target": f"AWSCognitoIdentityService.{op}"}
    if creds is not None:
        headers = sign(URL, body, headers, creds)
    answer = run(app, "POST", body, headers)
    document: dict[str, Any] = answer.json()
    return answer.status_code, document


def query_call(
    app: Application, fields: dict[str, str], creds: Credentials | None, service: str = "sts"
) -> tuple[int, str]:
    body = urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if creds is not None:
        headers = sign(URL, body, headers, creds, service=service)
    answer = run(app, "POST", body, headers)
    return answer.status_code, answer.text


COGNITO = {"DescribeIdentityPool": _ok, "ListIdentityPools": _fails, "DeleteIdentityPool": _busy}
STS = {"GetCallerIdentity": _caller}
BAD_POOL = {"IdentityPoolId": "not a pool id"}
GOOD_POOL = {"IdentityPoolId": POOL}


@pytest.mark.parametrize(
    ("creds", "params", "expected"),
    [
        (None, BAD_POOL, "MissingAuthenticationTokenException"),
        (Credentials(ACCOUNT, "AKIAUNKNOWNKEY000001", "x"), BAD_POOL, "UnrecognizedClientException"),
        (Credentials(ACCOUNT, ROOT.access_key_id, "wrong"), BAD_POOL, "InvalidSignatureException"),
        (ROOT, BAD_POOL, "ValidationException"),
        (SESSION, BAD_POOL, "ValidationException"),
        (SESSION, GOOD_POOL, "AccessDeniedException"),
    ],
    ids=["unsigned", "unknown-key", "bad-signature", "root-bad-params", "session-bad-params", "session-denied"],
)  # fmt: skip
def test_json_order_of_checks(
    creds: Credentials | None, params: dict[str, Any], expected: str
) -> None:
    status, body = json_call(application(COGNITO, STS), "DescribeIdentityPool", params, creds)
    assert (status, body["__type"]) == (400, expected)


def test_json_call_runs_and_unknown_operations_are_refused() -> None:
    app = application(COGNITO, STS)
    assert json_call(app, "DescribeIdentityPool", GOOD_POOL, ROOT) == (
        200,
        {"IdentityPoolId": POOL, "IdentityPoolName": "p"},
    )
    status, body = json_call(app, "NoSuchOperation", {}, ROOT)
    assert (status, body) == (
        400,
        {
            "__type": "UnknownOperationException",
            "message": "Unknown operation AWSCognitoIdentityService.NoSuchOperation",
        },
    )


GOOD_ARN = {"OpenIDConnectProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"}
BAD_ARN = {"OpenIDConnectProviderArn": "short"}


@pytest.mark.parametrize(
    ("creds", "fields", "expected"),
    [
        (None, BAD_ARN, ("MissingAuthenticationToken", 403)),
        (Credentials(ACCOUNT, ROOT.access_key_id, "wrong"), BAD_ARN, ("SignatureDoesNotMatch", 403)),
        (ROOT, BAD_ARN, ("ValidationError", 400)),
        (SESSION, BAD_ARN, ("ValidationError", 400)),
        (SESSION, GOOD_ARN, ("AccessDenied", 403)),
    ],
    ids=["unsigned", "bad-signature", "root-bad-params", "session-bad-params", "session-denied"],
)  # fmt: skip
def test_query_order_of_checks(
    creds: Credentials | None, fields: dict[str, str], expected: tuple[str, int]
) -> None:
    app = application(COGNITO, STS)
    call = {"Action": "GetOpenIDConnectProvider", "Version": "2010-05-08", **fields}
    status, text = query_call(app, call, creds, service="iam")
    code, expected_status = expected
    assert status == expected_status
    assert f"<Code>{code}</Code>" in text


def test_any_session_may_ask_who_it_is() -> None:
    app = application(COGNITO, STS)
    call = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    status, text = query_call(app, call, SESSION)
    assert status == 200
    assert "assumed-role/Guest/CognitoIdentityCredentials" in text


def test_query_denies_a_session_what_its_role_does_not_allow() -> None:
    status, text = query_call(
        application(COGNITO, STS),
        {"Action": "ListOpenIDConnectProviders", "Version": "2010-05-08"},
        SESSION,
        service="iam",
    )
    assert status == 403
    assert "<Code>AccessDenied</Code>" in text
    assert "is not authorized to perform: iam:ListOpenIDConnectProviders on resource: *" in text


def test_unknown_actions_and_missing_handlers_in_each_protocol() -> None:
    app = application(COGNITO, STS)
    status, text = query_call(app, {"Action": "Nope", "Version": "2011-06-15"}, ROOT)
    assert status == 400
    assert "<Code>InvalidAction</Code>" in text
    assert "Could not find operation Nope for version 2011-06-15" in text
    # Operations of a model without a handler: a clean 400 in the service's own protocol.
    status, text = query_call(
        app,
        {
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": "arn:aws:iam::123456789012:role/R",
            "RoleSessionName": "s1",
            "WebIdentityToken": "token",
        },
        None,
    )
    assert status == 400
    assert "<Code>UnsupportedOperation</Code>" in text
    status, body = json_call(app, "GetId", GOOD_POOL, None)
    assert (status, body["__type"]) == (400, "UnsupportedOperationException")
    # Nothing any protocol takes: Cognito Identity's (JSON) error.
    answer = run(app, "GET", b"", {})
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"


def test_every_exception_becomes_an_answer_in_the_callers_protocol() -> None:
    app = application(COGNITO, {"GetCallerIdentity": _fails})
    status, body = json_call(app, "ListIdentityPools", {"MaxResults": 10}, ROOT)
    assert (status, body) == (
        500,
        {"__type": "InternalErrorException", "message": "An internal error occurred."},
    )
    status, text = query_call(app, {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, ROOT)
    assert status == 500
    assert "<Code>InternalFailure</Code>" in text and "a bug" not in text
    status, body = json_call(app, "DeleteIdentityPool", GOOD_POOL, ROOT)
    assert (status, body["__type"]) == (400, "TooManyRequestsException")
    busy = application(COGNITO, {"GetCallerIdentity": _busy})
    status, text = query_call(busy, {"Action": "GetCallerIdentity", "Version": "2011-06-15"}, ROOT)
    assert status == 400
    assert "<Code>Throttling</Code>" in text
