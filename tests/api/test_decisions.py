"""The decision endpoint (``POST /_cognitoidentity/v1/decisions``) on the in-process server (both
stores, a clock the tests move): attribute-based access control end to end (an OpenID login whose
claim maps to the principal tag ``department``, a role made with boto3 whose policy names
``${aws:PrincipalTag/department}``), and API Gateway's refusals: a bad signature, a changed body,
an expired or tampered session, a replayed request outside the window, another account's
credentials, no signature at all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from cognitoidentity.server.native_api import DECISIONS_PATH, EXPLAIN_PATH
from cognitoidentity.server.sigv4 import SIGNATURE_MISMATCH_MESSAGE
from tests.api.test_trust import allow, create_role, iam, trust_policy
from tests.support.idp import OidcProvider
from tests.support.inprocess import InProcessServer
from tests.support.server import REGION, Credentials

CLIENT_ID = "files-app"
FILES = "https://files.example.com"
ABAC_POLICY = allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*")


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    assert isinstance(provider, OidcProvider)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    return in_process


# -- helpers -----------------------------------------------------------------------------------


def sign(
    credentials: BotoCredentials,
    method: str,
    url: str,
    body: bytes = b"",
    *,
    service: str = "execute-api",
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """The headers of ``method url`` signed with SigV4 (Host included)."""
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={"Host": urlsplit(url).netloc, **(headers or {})},
    )
    SigV4Auth(credentials, service, REGION).add_auth(request)
    return dict(request.headers.items())


def forwarded(
    credentials: BotoCredentials, method: str, path: str, body: bytes = b""
) -> dict[str, Any]:
    """A request to the files service signed by its client, as the service forwards it."""
    headers = sign(credentials, method, FILES + path, body)
    request: dict[str, Any] = {"Method": method, "Path": path, "Headers": headers}
    if body:
        request["Body"] = body.decode()
    return request


def call(
    server: InProcessServer, account: Credentials, path: str, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """POST ``payload`` to one of the server's own endpoints, signed with ``account``'s key."""
    assert server.http is not None
    body = json.dumps(payload).encode()
    keys = BotoCredentials(account.access_key_id, account.secret_access_key)
    headers = sign(
        keys,
        "POST",
        server.url + path,
        body,
        service="cognito-identity",
        headers={"Content-Type": "application/json"},
    )
    response = server.http.post(path, content=body, headers=headers)
    answer: dict[str, Any] = response.json()
    return response.status_code, answer


def decide(server: InProcessServer, account: Credentials, **payload: Any) -> dict[str, Any]:
    status, answer = call(server, account, DECISIONS_PATH, payload)
    assert status == 200, answer
    return answer


@dataclass
class Abac:
    account: Credentials
    pool_id: str
    identity_id: str
    role_arn: str
    credentials: BotoCredentials
    provider: str


def abac_world(server: InProcessServer, idp: OidcProvider, department: str = "eng") -> Abac:
    """A pool trusting ``idp`` whose ``dept`` claim maps to the principal tag ``department``, a
    role allowing ``s3:GetObject`` on the caller's department's prefix, and the credentials of a
    user of ``department``."""
    account = server.new_account()
    provider = idp.url.removeprefix("http://")
    oidc_arn = iam(server, account).create_open_id_connect_provider(
        Url=idp.url, ClientIDList=[CLIENT_ID]
    )["OpenIDConnectProviderArn"]
    cognito = server.client(account)
    pool_id: str = cognito.create_identity_pool(
        IdentityPoolName="files",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[oidc_arn],
    )["IdentityPoolId"]
    cognito.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id,
        IdentityProviderName=provider,
        PrincipalTags={"department": "dept"},
    )
    trust = trust_policy(pool_id, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"))
    role_arn: str = create_role(server, account, "files-reader", trust)["Arn"]
    iam(server, account).put_role_policy(
        RoleName="files-reader", PolicyName="abac", PolicyDocument=ABAC_POLICY
    )
    cognito.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role_arn})
    logins = {provider: idp.mint(sub="alice", aud=CLIENT_ID, dept=department)}
    public = server.client(unsigned=True)
    identity_id: str = public.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    issued = public.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    creds = issued["Credentials"]
    temporary = BotoCredentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    return Abac(account, pool_id, identity_id, role_arn, temporary, provider)


def refusal(answer: dict[str, Any]) -> tuple[str, str]:
    """(x-amzn-ErrorType, message) of a denial, as API Gateway answers the client."""
    assert answer["Decision"] == "Deny"
    refused = answer["Refusal"]
    assert refused["Status"] == 403
    body = refused["Body"]
    return refused["Headers"]["x-amzn-ErrorType"], body.get("message") or body["Message"]


# -- ABAC --------------------------------------------------------------------------------------


def test_abac_allows_the_callers_department_and_denies_another(
    server: InProcessServer, idp: OidcProvider
) -> None:
    world = abac_world(server, idp)
    eng = decide(
        server,
        world.account,
        Request=forwarded(world.credentials, "GET", "/eng/report.txt"),
        Action="s3:GetObject",
        Resource="arn:aws:s3:::bucket/eng/report.txt",
        SourceIp="203.0.113.7",
    )
    assert eng["Decision"] == "Allow"
    assert eng["Outcome"] == "allowed"
    assert [m["SourcePolicyId"] for m in eng["MatchedStatements"]] == ["abac"]
    assert "Refusal" not in eng
    assert eng["Context"]["aws:PrincipalTag/department"] == "eng"
    assert eng["Context"]["aws:SourceIp"] == "203.0.113.7"
    identity = eng["Identity"]
    role_id = iam(server, world.account).get_role(RoleName="files-reader")["Role"]["RoleId"]
    session_arn = f"arn:aws:sts::{world.account.account_id}:assumed-role/files-reader/CognitoIdentityCredentials"
    assert identity == {
        "cognitoIdentityPoolId": world.pool_id,
        "cognitoIdentityId": world.identity_id,
        "cognitoAuthenticationType": "authenticated",
        "cognitoAuthenticationProvider": f"{world.provider},{world.provider}:alice",
        "accountId": world.account.account_id,
        "caller": f"{role_id}:CognitoIdentityCredentials",
        "user": f"{role_id}:CognitoIdentityCredentials",
        "userArn": session_arn,
        "accessKey": world.credentials.access_key,
        "sourceIp": "203.0.113.7",
        "userAgent": None,
        "principalOrgId": None,
    }
    assert eng["Iam"]["cognitoIdentity"] == {
        "amr": ["authenticated", world.provider, f"{world.provider}:alice"],
        "identityId": world.identity_id,
        "identityPoolId": world.pool_id,
    }

    ops = decide(
        server,
        world.account,
        Request=forwarded(world.credentials, "GET", "/ops/report.txt"),
        Action="s3:GetObject",
        Resource="arn:aws:s3:::bucket/ops/report.txt",
    )
    assert ops["Outcome"] == "implicitDeny"
    assert ops["MatchedStatements"] == []
    assert ops["Explanation"]  # the engine says why no statement matched
    assert refusal(ops) == (
        "AccessDeniedException",
        f"User: {session_arn} is not authorized to perform: s3:GetObject on resource:"
        " arn:aws:s3:::bucket/ops/report.txt",
    )
    # IAM's simulator, given the same principal tag, agrees with both decisions.
    simulated = iam(server, world.account).simulate_principal_policy(
        PolicySourceArn=world.role_arn,
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::bucket/eng/report.txt", "arn:aws:s3:::bucket/ops/report.txt"],
        ContextEntries=[
            {
                "ContextKeyName": "aws:PrincipalTag/department",
                "ContextKeyValues": ["eng"],
                "ContextKeyType": "string",
            }
        ],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in simulated] == ["allowed", "implicitDeny"]


def test_default_action_and_resource_are_api_gateways(
    server: InProcessServer, idp: OidcProvider
) -> None:
    world = abac_world(server, idp)
    iam(server, world.account).put_role_policy(
        RoleName="files-reader",
        PolicyName="invoke",
        PolicyDocument=allow(
            "execute-api:Invoke",
            "arn:aws:execute-api:*:*:*/*/GET/${aws:PrincipalTag/department}/*",
        ),
    )
    answer = decide(server, world.account, Request=forwarded(world.credentials, "GET", "/eng/x"))
    assert answer["Action"] == "execute-api:Invoke"
    assert answer["Resource"] == (
        f"arn:aws:execute-api:{REGION}:{world.account.account_id}:local/$default/GET/eng/x"
    )
    assert answer["Decision"] == "Allow"
    named = decide(
        server,
        world.account,
        Request=forwarded(world.credentials, "POST", "/eng/x", b'{"a":1}'),
        ApiId="a1b2c3",
        Stage="prod",
    )
    assert named["Resource"].endswith(":a1b2c3/prod/POST/eng/x")
    assert named["Decision"] == "Deny"  # the policy allows GET only


def test_body_hash_is_checked(server: InProcessServer, idp: OidcProvider) -> None:
    world = abac_world(server, idp)
    request = forwarded(world.credentials, "PUT", "/eng/x", b"signed body")
    as_hash = {k: v for k, v in request.items() if k != "Body"}
    as_hash["BodySha256"] = hashlib.sha256(b"signed body").hexdigest()
    same = decide(
        server,
        world.account,
        Request=as_hash,
        Action="s3:GetObject",
        Resource="arn:aws:s3:::bucket/eng/x",
    )
    assert same["Decision"] == "Allow"
    changed = decide(
        server,
        world.account,
        Request={**request, "Body": "another body"},
        Action="s3:GetObject",
        Resource="arn:aws:s3:::bucket/eng/x",
    )
    assert refusal(changed) == ("InvalidSignatureException", SIGNATURE_MISMATCH_MESSAGE)


# -- refusals ----------------------------------------------------------------------------------


def test_bad_signature_is_refused(server: InProcessServer, idp: OidcProvider) -> None:
    world = abac_world(server, idp)
    request = forwarded(world.credentials, "GET", "/eng/x")
    authorization = request["Headers"]["Authorization"]
    request["Headers"]["Authorization"] = authorization[:-4] + (
        "0000" if not authorization.endswith("0000") else "1111"
    )
    answer = decide(server, world.account, Request=request)
    assert refusal(answer) == ("InvalidSignatureException", SIGNATURE_MISMATCH_MESSAGE)
    assert "Identity" not in answer


def test_unsigned_request_is_refused(server: InProcessServer) -> None:
    account = server.new_account()
    answer = decide(
        server, account, Request={"Method": "GET", "Path": "/x", "Headers": {"host": "h"}}
    )
    assert refusal(answer) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_expired_session_is_refused(server: InProcessServer, idp: OidcProvider) -> None:
    world = abac_world(server, idp)
    server.clock.advance(timedelta(minutes=61))
    answer = decide(server, world.account, Request=forwarded(world.credentials, "GET", "/eng/x"))
    assert refusal(answer) == (
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )


def test_tampered_session_is_refused(server: InProcessServer, idp: OidcProvider) -> None:
    world = abac_world(server, idp)
    token = world.credentials.token
    assert token is not None
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    tampered = BotoCredentials(world.credentials.access_key, world.credentials.secret_key, flipped)
    answer = decide(server, world.account, Request=forwarded(tampered, "GET", "/eng/x"))
    assert refusal(answer) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_replay_outside_the_window_is_refused(server: InProcessServer, idp: OidcProvider) -> None:
    world = abac_world(server, idp)
    request = forwarded(world.credentials, "GET", "/eng/x")
    payload = {
        "Request": request,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::bucket/eng/x",
    }
    server.clock.advance(timedelta(minutes=4))
    assert decide(server, world.account, **payload)["Decision"] == "Allow"  # within ±5 min
    for minutes in (2, 10):  # 6, then 16 minutes after it was signed
        server.clock.advance(timedelta(minutes=minutes))
        code, message = refusal(decide(server, world.account, **payload))
        assert code == "InvalidSignatureException"
        assert message.startswith("Signature expired: ")
        assert message.endswith(" - 5 min.)")


def test_another_accounts_credentials_are_denied(
    server: InProcessServer, idp: OidcProvider
) -> None:
    world = abac_world(server, idp)
    other = server.new_account()
    answer = decide(
        server,
        other,
        Request=forwarded(world.credentials, "GET", "/eng/x"),
        Action="s3:GetObject",
        Resource="arn:aws:s3:::bucket/eng/x",
    )
    code, message = refusal(answer)
    assert code == "AccessDeniedException"
    assert message.startswith(f"User: arn:aws:sts::{world.account.account_id}:assumed-role/")
    assert world.account.account_id in answer["Explanation"][0]
    assert "Identity" not in answer


def test_long_term_key_of_the_account_is_its_root(server: InProcessServer) -> None:
    account = server.new_account()
    keys = BotoCredentials(account.access_key_id, account.secret_access_key)
    answer = decide(server, account, Request=forwarded(keys, "DELETE", "/anything"))
    assert answer["Decision"] == "Allow"
    assert answer["Identity"]["userArn"] == f"arn:aws:iam::{account.account_id}:root"
    assert answer["Identity"]["accessKey"] == account.access_key_id


# -- the endpoint itself ------------------------------------------------------------------------


def test_the_endpoint_needs_a_signed_caller_allowed_to_decide(
    server: InProcessServer, idp: OidcProvider
) -> None:
    assert server.http is not None
    unsigned = server.http.post(DECISIONS_PATH, json={"Request": {}})
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    world = abac_world(server, idp)
    # The temporary credentials themselves: their role is not allowed cognitoidentity:Decide.
    body = json.dumps({"Request": forwarded(world.credentials, "GET", "/eng/x")}).encode()
    headers = sign(
        world.credentials, "POST", server.url + DECISIONS_PATH, body, service="cognito-identity"
    )
    refused = server.http.post(DECISIONS_PATH, content=body, headers=headers)
    assert refused.json()["__type"] == "AccessDeniedException"
    assert "cognitoidentity:Decide" in refused.json()["Message"]


def test_bad_input_is_a_validation_error(server: InProcessServer) -> None:
    account = server.new_account()
    status, answer = call(server, account, DECISIONS_PATH, {})
    assert (status, answer["__type"]) == (400, "ValidationException")
    assert "'request'" in answer["message"]
    both = {"Method": "GET", "Path": "/", "Headers": {"h": "v"}, "Body": "", "BodySha256": "0" * 64}
    status, answer = call(server, account, DECISIONS_PATH, {"Request": both})
    assert (status, answer["__type"]) == (400, "ValidationException")
    assert answer["message"] == (
        "Only one of Body, BodyBase64 and BodySha256 may be given, not Body and BodySha256."
    )
    status, answer = call(
        server,
        account,
        DECISIONS_PATH,
        {"Request": {"Method": "GET", "Path": "/", "Headers": {"h": "v"}, "BodyBase64": "*"}},
    )
    assert (status, answer["message"]) == (400, "BodyBase64 is not valid base64.")
    assert server.http is not None
    unknown = server.http.post("/_cognitoidentity/v1/nothing", content=b"{}")
    assert unknown.json()["__type"] == "UnknownOperationException"
    assert EXPLAIN_PATH.startswith("/_cognitoidentity/v1/")


def test_a_query_call_posted_to_the_endpoints_path_stays_a_query_call(
    server: InProcessServer,
) -> None:
    """Routing by path takes only what no other protocol would: a form body naming an Action, or
    a query string, is still the Query services' (STS answers it, in XML), as when every protocol
    was asked in turn."""
    assert server.http is not None
    account = server.new_account()
    keys = BotoCredentials(account.access_key_id, account.secret_access_key)
    form = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = sign(
        keys,
        "POST",
        server.url + DECISIONS_PATH,
        form,
        service="sts",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = server.http.post(DECISIONS_PATH, content=form, headers=headers)
    assert answer.status_code == 200, answer.text
    assert "<GetCallerIdentityResponse" in answer.text
    assert f"<Account>{account.account_id}</Account>" in answer.text
    query = f"{DECISIONS_PATH}?Action=GetCallerIdentity&Version=2011-06-15"
    headers = sign(keys, "POST", server.url + query, b"", service="sts")
    answer = server.http.post(query, content=b"", headers=headers)
    assert "<GetCallerIdentityResponse" in answer.text, answer.text
