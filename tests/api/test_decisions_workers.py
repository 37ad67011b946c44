"""Two server processes on one database (both stores) agree on every decision, and each follows the
other's IAM writes at once: the decision endpoint, ``SimulatePrincipalPolicy``, the trust check of
GetCredentialsForIdentity and the authorization point of our own API, asked through either process
right after a write through the other was acknowledged.

The guarantee under test (``server/role_directory.py``, ``store/postgres/changes.py``): a process
keeps parsed roles only with the store's version as the current request saw it (SQLite: the file's
WAL index header, compared before each kept read, else ``data_version``; PostgreSQL: the change
count, checked by the request's first kept read, after the request arrived), and reuses one only
while that version is unchanged. Every IAM table bumps the version in the transaction of its write,
so no request sees a role older than a write acknowledged before it arrived, whichever process wrote.

That holds for an HTTP/1.1 request pipelined behind another on one connection too: it starts
from a context of its own, not with the change count the request before it checked (which could
miss a write acknowledged after that check and before it arrived).

The processes are two ``cognitoidentity serve`` on their own ports (the test picks which one
answers), sharing the master key (each opens the other's sessions), the root key and the issuer.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from cognitoidentity.server.native_api import DECISIONS_PATH
from tests.api.test_decisions import forwarded, sign
from tests.api.test_trust import allow, deny, signed_with, trust_policy
from tests.support.http import json_headers
from tests.support.idp import OidcProvider, Reply
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import Credentials, ServerProcess

CLIENT_ID = "files-app"
ROLE = "files-reader"
ENG = "arn:aws:s3:::bucket/eng/report.txt"
OPS = "arn:aws:s3:::bucket/ops/report.txt"
ABAC = allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*")
ENG_CONTEXT = [
    {
        "ContextKeyName": "aws:PrincipalTag/department",
        "ContextKeyValues": ["eng"],
        "ContextKeyType": "string",
    }
]
Decisions = list[tuple[str, str, str, list[str]]]
"""Per resource: (resource, the decision endpoint's Outcome, SimulatePrincipalPolicy's
EvalDecision, the policies whose statements decided, which both must name alike)."""


class SlowIdp(OidcProvider):
    """An OpenID provider whose key set answers after :attr:`delay` seconds."""

    delay = 0.0

    def handle(
        self, path: str, query: Mapping[str, str], headers: Mapping[str, str], raw_path: str
    ) -> Reply:
        if path == "/jwks":
            time.sleep(self.delay)
        return super().handle(path, query, headers, raw_path)


@dataclass(frozen=True)
class Pair:
    """Two server processes on one database."""

    a: ServerProcess
    b: ServerProcess
    idp: SlowIdp
    store: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    store: str = request.param
    root = tmp_path_factory.mktemp(f"two-processes-{store}")
    with ExitStack() as stack:
        if store == "postgresql":
            require_postgres()
            url = stack.enter_context(temporary_schema())
        else:
            url = str(root / "store.db")
        idp = SlowIdp().start()
        assert isinstance(idp, SlowIdp)
        stack.callback(idp.stop)
        (root / "a").mkdir()
        (root / "b").mkdir()
        a = ServerProcess(root / "a", url)
        shared = {"COGNITOIDENTITY_ISSUER_URL": a.url}
        a.extra_env.update(shared)
        a.start()
        stack.callback(a.stop)
        b = ServerProcess(root / "b", url, root=a.root, master_key=a.master_key, extra_env=shared)
        b.start()
        stack.callback(b.stop)
        yield Pair(a, b, idp, store)


@dataclass
class World:
    account: Credentials
    pool_id: str
    role_arn: str
    provider: str
    logins: dict[str, str]
    identity_id: str
    credentials: BotoCredentials


def make_world(pair: Pair) -> World:
    """Written through A: an OpenID provider, a pool whose ``dept`` claim maps to the principal
    tag ``department``, a role trusted by the pool with the ABAC policy. Credentials of an ``eng``
    user issued through B (which reads the role A wrote for its trust check)."""
    a, b, idp = pair.a, pair.b, pair.idp
    account = a.new_account()
    iam = a.client(account, service="iam")
    oidc_arn = iam.create_open_id_connect_provider(Url=idp.url, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    cognito = a.client(account)
    pool_id: str = cognito.create_identity_pool(
        IdentityPoolName="files",
        AllowUnauthenticatedIdentities=False,
        OpenIdConnectProviderARNs=[oidc_arn],
    )["IdentityPoolId"]
    provider = idp.url.removeprefix("http://")
    cognito.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider, PrincipalTags={"department": "dept"}
    )
    trust = trust_policy(pool_id, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"))
    role_arn: str = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=ROLE, PolicyName="abac", PolicyDocument=ABAC)
    pool_arn = f"arn:aws:cognito-identity:us-east-1:{account.account_id}:identitypool/{pool_id}"
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="read-pool",
        PolicyDocument=allow("cognito-identity:DescribeIdentityPool", pool_arn),
    )
    cognito.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role_arn})
    logins = {provider: idp.mint(sub="alice", aud=CLIENT_ID, dept="eng")}
    public = b.client(unsigned=True)
    identity_id: str = public.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    creds = public.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
        "Credentials"
    ]
    temporary = BotoCredentials(creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    return World(account, pool_id, role_arn, provider, logins, identity_id, temporary)


def decision_call(
    server: ServerProcess, world: World, resource: str
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a call to ``server``'s decision endpoint, signed with the account's key,
    about ``GET <resource's key>`` signed by the session."""
    path = "/" + resource.split(":::bucket/", 1)[1]
    payload = {
        "Request": forwarded(world.credentials, "GET", path),
        "Action": "s3:GetObject",
        "Resource": resource,
    }
    body = json.dumps(payload).encode()
    headers = sign(
        BotoCredentials(world.account.access_key_id, world.account.secret_access_key),
        "POST",
        server.url + DECISIONS_PATH,
        body,
        service="cognito-identity",
        headers={"Content-Type": "application/json"},
    )
    return headers, body


def decide(server: ServerProcess, world: World, resource: str) -> Any:
    headers, body = decision_call(server, world, resource)
    response = httpx.post(server.url + DECISIONS_PATH, content=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def decisions(server: ServerProcess, world: World) -> Decisions:
    """What ``server`` decides for the session on ENG and OPS, by both of its means."""
    simulated = server.client(world.account, service="iam").simulate_principal_policy(
        PolicySourceArn=world.role_arn,
        ActionNames=["s3:GetObject"],
        ResourceArns=[ENG, OPS],
        ContextEntries=ENG_CONTEXT,
    )["EvaluationResults"]
    out: Decisions = []
    for resource, simulation in zip([ENG, OPS], simulated, strict=True):
        answer = decide(server, world, resource)
        assert answer["Context"]["aws:PrincipalTag/department"] == "eng"
        matched = [m["SourcePolicyId"] for m in answer["MatchedStatements"]]
        simulated_matched = [m["SourcePolicyId"] for m in simulation["MatchedStatements"]]
        assert simulated_matched == matched, (answer, simulation)
        out.append((resource, answer["Outcome"], simulation["EvalDecision"], matched))
    return out


def agreed(first: ServerProcess, second: ServerProcess, world: World) -> Decisions:
    """``first``'s decisions, asked first, which ``second`` must give too."""
    seen = decisions(first, world)
    assert decisions(second, world) == seen
    return seen


def credentials_refusal(server: ServerProcess, world: World) -> str | None:
    """GetCredentialsForIdentity's error code through ``server`` (None: credentials issued)."""
    try:
        server.client(unsigned=True).get_credentials_for_identity(
            IdentityId=world.identity_id, Logins=world.logins
        )
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def pool_read_refusal(server: ServerProcess, world: World) -> str | None:
    """Our own API called with the session's credentials: DescribeIdentityPool's error code."""
    creds = world.credentials
    cognito = signed_with(
        server,
        {
            "AccessKeyId": creds.access_key,
            "SecretKey": creds.secret_key,
            "SessionToken": creds.token,
        },
        "cognito-identity",
    )
    try:
        cognito.describe_identity_pool(IdentityPoolId=world.pool_id)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def test_both_processes_decide_alike_and_follow_each_others_writes(pair: Pair) -> None:
    a, b = pair.a, pair.b
    world = make_world(pair)
    iam_a = a.client(world.account, service="iam")
    iam_b = b.client(world.account, service="iam")

    assert agreed(b, a, world) == [
        (ENG, "allowed", "allowed", ["abac"]),
        (OPS, "implicitDeny", "implicitDeny", []),
    ]
    assert pool_read_refusal(b, world) is None and pool_read_refusal(a, world) is None

    # A denies eng: B, asked first, decides with the deny.
    iam_a.put_role_policy(
        RoleName=ROLE, PolicyName="no-eng", PolicyDocument=deny("s3:GetObject", ENG)
    )
    assert agreed(b, a, world) == [
        (ENG, "explicitDeny", "explicitDeny", ["no-eng"]),
        (OPS, "implicitDeny", "implicitDeny", []),
    ]

    # B lifts the deny and attaches a managed policy for ops: A, asked first, follows.
    iam_b.delete_role_policy(RoleName=ROLE, PolicyName="no-eng")
    ops_arn = iam_b.create_policy(
        PolicyName="ops-read", PolicyDocument=allow("s3:GetObject", "arn:aws:s3:::bucket/ops/*")
    )["Policy"]["Arn"]
    iam_b.attach_role_policy(RoleName=ROLE, PolicyArn=ops_arn)
    assert agreed(a, b, world) == [
        (ENG, "allowed", "allowed", ["abac"]),
        (OPS, "allowed", "allowed", ["ops-read"]),
    ]

    # A makes a denying version the managed policy's default (the role's row is unchanged).
    iam_a.create_policy_version(
        PolicyArn=ops_arn, PolicyDocument=deny("s3:*", "*"), SetAsDefault=True
    )
    assert agreed(b, a, world) == [
        (ENG, "explicitDeny", "explicitDeny", ["ops-read"]),
        (OPS, "explicitDeny", "explicitDeny", ["ops-read"]),
    ]

    # B bounds the role to ops: A's decisions and our API's authorization point follow.
    iam_b.set_default_policy_version(PolicyArn=ops_arn, VersionId="v1")
    bound_arn = iam_b.create_policy(
        PolicyName="ops-only", PolicyDocument=allow("s3:*", "arn:aws:s3:::bucket/ops/*")
    )["Policy"]["Arn"]
    iam_b.put_role_permissions_boundary(RoleName=ROLE, PermissionsBoundary=bound_arn)
    assert agreed(a, b, world) == [
        (ENG, "implicitDeny", "implicitDeny", []),  # allowed by abac, not by the boundary
        (OPS, "allowed", "allowed", ["ops-read", "ops-only"]),
    ]
    assert pool_read_refusal(a, world) == "AccessDeniedException"
    assert pool_read_refusal(b, world) == "AccessDeniedException"
    iam_b.delete_role_permissions_boundary(RoleName=ROLE)
    assert pool_read_refusal(a, world) is None and pool_read_refusal(b, world) is None

    # Trust: both issue credentials; A trusts another pool instead, and B refuses at once.
    assert credentials_refusal(b, world) is None and credentials_refusal(a, world) is None
    iam_a.update_assume_role_policy(
        RoleName=ROLE,
        PolicyDocument=trust_policy(
            "us-east-1:00000000-0000-4000-8000-000000000000",
            actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"),
        ),
    )
    assert credentials_refusal(b, world) == "InvalidIdentityPoolConfigurationException"
    assert credentials_refusal(a, world) == "InvalidIdentityPoolConfigurationException"


# -- a request pipelined behind another --------------------------------------------------------


def raw_request(server: ServerProcess, path: str, headers: Mapping[str, str], body: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: {server.url.removeprefix('http://')}\r\n"
    for name, value in headers.items():
        if name.lower() not in ("host", "content-length"):
            head += f"{name}: {value}\r\n"
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def read_answer(reader: Any) -> tuple[int, Any]:
    status = int(reader.readline().split()[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, json.loads(reader.read(length))


def test_a_pipelined_decision_follows_a_write_acknowledged_before_it_arrived(
    pair: Pair,
) -> None:
    """HTTP/1.1 pipelining: a decision sent on a connection while the request before it is still
    running (a GetId waiting for a provider's keys) must see a deny that the other process
    acknowledged before the decision was sent."""
    world = make_world(pair)
    a, b = pair.a, pair.b

    # A second provider of the pool, slow to give its keys, for a login that then fails.
    slow = SlowIdp().start()
    assert isinstance(slow, SlowIdp)
    try:
        iam_a = a.client(world.account, service="iam")
        slow_arn = iam_a.create_open_id_connect_provider(Url=slow.url, ClientIDList=[CLIENT_ID])[
            "OpenIDConnectProviderArn"
        ]
        cognito = a.client(world.account)
        pool = cognito.describe_identity_pool(IdentityPoolId=world.pool_id)
        cognito.update_identity_pool(
            IdentityPoolId=world.pool_id,
            IdentityPoolName=pool["IdentityPoolName"],
            AllowUnauthenticatedIdentities=False,
            OpenIdConnectProviderARNs=[*pool["OpenIdConnectProviderARNs"], slow_arn],
        )
        assert decisions(b, world)[0][1] == "allowed"
        # B checks trust, reading pool and role, on a connection of its own.
        assert credentials_refusal(b, world) is None
        slow.delay = 1.0
        unknown_key = slow.add_key(publish=False)
        token = slow.mint(kid=unknown_key, aud=CLIENT_ID)
        get_id = json.dumps(
            {
                "IdentityPoolId": world.pool_id,
                "Logins": {slow.url.removeprefix("http://"): token},
            }
        ).encode()
        with (
            socket.create_connection(("127.0.0.1", b.port), timeout=10) as conn,
            conn.makefile("rb") as reader,
        ):
            conn.sendall(raw_request(b, "/", json_headers("GetId"), get_id))
            # Once B asks for the keys, it has read the pool: it waits for them, then refuses.
            deadline = time.monotonic() + 10
            while slow.hits["/jwks"] == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert slow.hits["/jwks"] > 0, "B never asked the slow provider for its keys"
            iam_a.put_role_policy(
                RoleName=ROLE, PolicyName="no-eng", PolicyDocument=deny("s3:GetObject", ENG)
            )
            headers, body = decision_call(b, world, ENG)
            conn.sendall(raw_request(b, DECISIONS_PATH, headers, body))
            refused = read_answer(reader)
            assert refused[0] == 400 and refused[1]["__type"] == "NotAuthorizedException"
            status, answer = read_answer(reader)
        assert status == 200, answer
        assert (answer["Outcome"], [m["SourcePolicyId"] for m in answer["MatchedStatements"]]) == (
            "explicitDeny",
            ["no-eng"],
        )
    finally:
        slow.stop()
