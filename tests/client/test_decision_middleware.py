"""The decision endpoint's client: :func:`cognitoidentity.decide` and the ASGI middleware
protecting the README's example Starlette app, against a real server (both stores), with
credentials of a developer-authenticated identity whose principal tag ``team`` scopes what it may
read. The middleware calls the endpoint through httpx, or through botocore in a worker thread."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cognitoidentity import CognitoIdentityError, DecisionMiddleware, decide
from tests.api.test_trust import (
    COGNITO,
    create_role,
    dev_pool,
    iam,
    login_token,
    trust_policy,
)
from tests.support.server import REGION, Credentials, ServerProcess

APP_URL = "http://reports.test"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": [
                    "arn:aws:execute-api:*:*:*/*/GET/reports/${aws:PrincipalTag/team}/*",
                    "arn:aws:execute-api:*:*:*/*/POST/echo",
                ],
            }
        ],
    }
)


# The README's example app ("Decisions for your own services"), with the endpoint, the
# credentials and the HTTP client given by the test.
async def report(request: Request) -> JSONResponse:
    identity = request.state.identity
    return JSONResponse(
        {"team": request.path_params["team"], "caller": identity["cognitoIdentityId"]}
    )


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


def build_app(endpoint: str, **options: Any) -> DecisionMiddleware:
    routes = [Route("/reports/{team}/{name}", report), Route("/echo", echo, methods=["POST"])]
    return DecisionMiddleware(Starlette(routes=routes), endpoint=endpoint, region=REGION, **options)


# -- the world ---------------------------------------------------------------------------------


def team_credentials(server: ServerProcess, account: Credentials) -> tuple[str, BotoCredentials]:
    """(identity id, temporary credentials) of a user of team ``blue``."""
    pool_id = dev_pool(server, account)
    trust = trust_policy(pool_id, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"))
    role = create_role(server, account, "reports", trust)["Arn"]
    iam(server, account).put_role_policy(
        RoleName="reports", PolicyName="by-team", PolicyDocument=POLICY
    )
    server.client(account).set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": role}
    )
    identity_id, token = login_token(server, account, pool_id, team="blue")
    creds = server.client(unsigned=True).get_credentials_for_identity(
        IdentityId=identity_id, Logins={COGNITO: token}
    )["Credentials"]
    return identity_id, BotoCredentials(
        creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"]
    )


def signed(
    credentials: BotoCredentials, method: str, path: str, body: bytes = b""
) -> dict[str, str]:
    request = AWSRequest(method=method, url=APP_URL + path, data=body)
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def keys(account: Credentials) -> BotoCredentials:
    return BotoCredentials(account.access_key_id, account.secret_access_key)


async def through(
    app: DecisionMiddleware, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=APP_URL) as client:
        return await client.request(method, path, headers=headers, content=body)


# -- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["httpx", "botocore"])
def test_middleware_protects_the_example_app(
    server: ServerProcess, account: Credentials, via: str
) -> None:
    identity_id, temporary = team_credentials(server, account)

    async def main() -> None:
        async with httpx.AsyncClient() as http:
            app = build_app(
                server.url, credentials=keys(account), http=http if via == "httpx" else None
            )
            path = "/reports/blue/q1"
            mine = await through(app, "GET", path, signed(temporary, "GET", path))
            assert mine.status_code == 200
            assert mine.json() == {"team": "blue", "caller": identity_id}

            path = "/reports/red/q1"
            theirs = await through(app, "GET", path, signed(temporary, "GET", path))
            assert theirs.status_code == 403
            assert theirs.headers["x-amzn-errortype"] == "AccessDeniedException"
            assert theirs.json() == {
                "Message": f"User: arn:aws:sts::{account.account_id}:assumed-role/reports/"
                "CognitoIdentityCredentials is not authorized to perform: execute-api:Invoke on"
                f" resource: arn:aws:execute-api:{REGION}:{account.account_id}:local/$default/"
                "GET/reports/red/q1"
            }

            unsigned = await through(app, "GET", "/reports/blue/q1", {})
            assert (unsigned.status_code, unsigned.json()) == (
                403,
                {"message": "Missing Authentication Token"},
            )

            body = b"\x00binary body\xff" * 100
            echoed = await through(
                app, "POST", "/echo", signed(temporary, "POST", "/echo", body), body
            )
            assert (echoed.status_code, echoed.content) == (200, body)
            changed = await through(
                app, "POST", "/echo", signed(temporary, "POST", "/echo", body), body + b"!"
            )
            assert changed.status_code == 403
            assert changed.headers["x-amzn-errortype"] == "InvalidSignatureException"

    asyncio.run(main())


def test_middleware_fails_closed(server: ServerProcess, account: Credentials) -> None:
    _, temporary = team_credentials(server, account)

    async def main() -> None:
        # Nothing listens there: no decision, no access.
        app = build_app("http://127.0.0.1:9", credentials=keys(account))
        path = "/reports/blue/q1"
        response = await through(app, "GET", path, signed(temporary, "GET", path))
        assert (response.status_code, response.json()) == (
            500,
            {"message": "Internal server error"},
        )
        # The endpoint refuses the service's own (unknown) key: no access either.
        app = build_app(server.url, credentials=BotoCredentials("AKIAUNKNOWN000000000", "x" * 40))
        response = await through(app, "GET", path, signed(temporary, "GET", path))
        assert response.status_code == 500

    asyncio.run(main())


def test_decide_function(server: ServerProcess, account: Credentials) -> None:
    identity_id, temporary = team_credentials(server, account)
    path = "/reports/blue/q1"
    headers = signed(temporary, "GET", path)
    headers["Host"] = "reports.test"
    decision = decide(
        server.url, "GET", path, headers, region=REGION, credentials=keys(account), api_id="rpt"
    )
    assert decision.allowed
    assert decision.outcome == "allowed"
    assert decision.resource.endswith(":rpt/$default/GET/reports/blue/q1")
    assert decision.identity is not None
    assert decision.identity["cognitoIdentityId"] == identity_id
    assert decision.refusal_status is None

    denied = decide(
        server.url,
        "GET",
        path,
        headers,
        region=REGION,
        credentials=keys(account),
        action="s3:GetObject",
        resource="arn:aws:s3:::bucket/x",
    )
    assert (denied.allowed, denied.outcome, denied.refusal_status) == (False, "implicitDeny", 403)
    assert denied.explanation

    with pytest.raises(CognitoIdentityError) as exc:
        decide(server.url, "get", "no-slash", headers, region=REGION, credentials=keys(account))
    assert (exc.value.code, exc.value.status_code) == ("ValidationException", 400)
