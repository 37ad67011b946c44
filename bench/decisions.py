"""Issue 13's scenarios: trust policies checked by GetCredentialsForIdentity, and decisions for a
self-hosted service (``POST /_cognitoidentity/v1/decisions``), each set up through the API as a
user would (bench/README.md, "Decisions and trust (issue 13)").

- **Trust** (:func:`set_up_trust`): a pool allowing guests whose two roles exist in our IAM
  (CreateRole), each with the standard Cognito trust policy (:func:`trust_policy`: the pool as
  ``aud``, ``amr`` ``unauthenticated`` or ``authenticated``), and one unauthenticated identity in
  it: every GetCredentialsForIdentity call checks the unauthenticated role's trust policy.
- **Decisions** (:func:`set_up_decisions`, needs the bench's OpenID login): a role trusting a
  pool of the bench's OpenID provider (``sts:AssumeRoleWithWebIdentity`` and ``sts:TagSession``),
  with :data:`POLICIES`: one inline policy and two managed ones, 10 statements in all, their
  resources and conditions on ``aws:PrincipalTag/...``; the pool maps the login's claims to the
  principal tags :data:`TAGS` (SetPrincipalTagAttributeMap); GetId and GetCredentialsForIdentity
  with an ID token carrying those claims give the session's credentials. With them the bench
  signs, like a client of a self-hosted service would, ``GET`` :data:`DECISION_PATH` (SigV4,
  ``execute-api``), and asks the decision endpoint about it (:func:`decide_body`) with API
  Gateway's default action and resource: allowed by the first statement, after all 10 are read.

The forwarded request is signed when its scenario's request is built, right before its check and
its load: the endpoint accepts it for :data:`~cognitoidentity.server.decisions.MAX_SKEW` (5
minutes) from then, which ``bench/run`` checks the scenario's runs fit in
(:data:`DECISION_VALIDITY_S`), and every answer of the load must say ``Allow``
(:data:`ALLOWED`), so a refusal is counted as an error, not measured as a decision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from cognitoidentity import decide
from cognitoidentity.server.decisions import MAX_SKEW
from cognitoidentity.server.policy import Policy, parse_policy
from tests.support.server import REGION

if TYPE_CHECKING:
    from bench.fixture import Fixture
    from bench.login import BenchLogin
    from bench.servers import Server

COGNITO: Final = "cognito-identity.amazonaws.com"
SERVICE_HOST: Final = "reports.bench.example"
"""The self-hosted service the session's client calls (the forwarded request's ``Host``)."""
DECISION_METHOD: Final = "GET"
DECISION_PATH: Final = "/reports/eng/q1"
SOURCE_IP: Final = "203.0.113.7"
"""``aws:SourceIp``, as the service forwards its client's address."""
TAGS: Final = {"department": "eng", "team": "platform", "clearance": "internal"}
"""The session's principal tags, and the ID token claims they are mapped from (tag: claim)."""
TAG_CLAIMS: Final = {"department": "dept", "team": "team", "clearance": "clearance"}
DECISION_ROLE: Final = "BenchReports"
TRUST_ROLES: Final = {
    "authenticated": "BenchTrustAuthenticated",
    "unauthenticated": "BenchTrustUnauthenticated",
}
ALLOWED: Final = '"Decision":"Allow"'
"""What every answer of the decisions load must hold (the endpoint answers compact JSON)."""
DECISION_VALIDITY_S: Final = MAX_SKEW.total_seconds()
"""How long the endpoint accepts the replayed forwarded request after it was signed."""

_API: Final = "arn:aws:execute-api:*:*:*/*"
_DEPARTMENT: Final = "${aws:PrincipalTag/department}"


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


@dataclass(frozen=True, slots=True)
class BenchPolicy:
    """One of the decision role's permission policies: inline (PutRolePolicy) or managed
    (CreatePolicy, AttachRolePolicy)."""

    name: str
    kind: Literal["inline", "managed"]
    document: str

    @property
    def source_type(self) -> str:
        """The policy engine's source type, as the server's role directory parses it."""
        return "role" if self.kind == "inline" else "user-managed"


POLICIES: Final = (
    BenchPolicy(
        "reports-read",
        "inline",
        _document(
            {
                "Sid": "ReadOwnDepartment",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"{_API}/GET/reports/{_DEPARTMENT}/*",
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/clearance": ["internal", "confidential"]}
                },
            },
            {
                "Sid": "ReadOwnTeam",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"{_API}/GET/teams/${{aws:PrincipalTag/team}}/*",
            },
            {
                "Sid": "ObjectsOfDepartment",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::bench-reports/{_DEPARTMENT}/*",
            },
            {
                "Sid": "ListDepartment",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::bench-reports",
                "Condition": {"StringLike": {"s3:prefix": f"{_DEPARTMENT}/*"}},
            },
        ),
    ),
    BenchPolicy(
        "reports-write",
        "managed",
        _document(
            {
                "Sid": "WriteOwnDepartment",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"{_API}/POST/reports/{_DEPARTMENT}/*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/clearance": "confidential"}},
            },
            {
                "Sid": "EditTeamPages",
                "Effect": "Allow",
                "Action": "execute-api:Invoke",
                "Resource": f"{_API}/PUT/teams/*",
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/team": ["platform", "data"]},
                    "StringLike": {"aws:PrincipalTag/department": "*"},
                },
            },
            {
                "Sid": "UploadOwnObjects",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::bench-reports/{_DEPARTMENT}/${{aws:userid}}/*",
            },
        ),
    ),
    BenchPolicy(
        "guardrails",
        "managed",
        _document(
            {
                "Sid": "NoAdminPaths",
                "Effect": "Deny",
                "Action": "execute-api:Invoke",
                "Resource": f"{_API}/*/admin/*",
                "Condition": {"StringNotEquals": {"aws:PrincipalTag/clearance": "confidential"}},
            },
            {
                "Sid": "DepartmentRequired",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Null": {"aws:PrincipalTag/department": "true"}},
            },
            {
                "Sid": "DeletesByPlatformOnly",
                "Effect": "Deny",
                "Action": "execute-api:Invoke",
                "Resource": f"{_API}/DELETE/*",
                "Condition": {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "platform"}},
            },
        ),
    ),
)
"""The decision role's permission policies: 3 policies, 10 statements, in the order the server's
role directory reads them (inline, then attached in the order of attachment)."""


def trust_policy(
    pool_id: str, amr: str, actions: tuple[str, ...] = ("sts:AssumeRoleWithWebIdentity",)
) -> str:
    """The standard Cognito trust policy (Cognito Developer Guide, "Role trust and
    permissions"): the pool as ``aud``, ``amr`` ``authenticated`` or ``unauthenticated``."""
    return _document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": COGNITO},
            "Action": list(actions),
            "Condition": {
                "StringEquals": {f"{COGNITO}:aud": pool_id},
                "ForAnyValue:StringLike": {f"{COGNITO}:amr": amr},
            },
        }
    )


@dataclass(frozen=True, slots=True)
class DecisionCase:
    """What the decision scenarios need: the session's credentials, and what the endpoint
    answered at set-up (through the Python client's :func:`cognitoidentity.decide`): the action,
    resource and request context its policies saw, the decision and its matched Sids."""

    access_key_id: str
    secret_key: str
    session_token: str
    action: str
    resource: str
    context: dict[str, Any]
    outcome: str
    matched_sids: tuple[str | None, ...]

    @property
    def credentials(self) -> BotoCredentials:
        return BotoCredentials(self.access_key_id, self.secret_key, self.session_token)


def set_up_trust(server: Server, client: Any) -> dict[str, Any]:
    """A pool allowing guests whose roles exist in our IAM with the standard trust policy, and a
    guest identity in it (``trust_pool_id``, ``trust_identity_id``); on moto, or when a step
    fails, ``trust_problem`` says why."""
    if server.kind != "ours":
        return {"trust_problem": "a trust policy evaluated: cognitoidentity only"}
    try:
        pool_id: str = client.create_identity_pool(
            IdentityPoolName="bench_trust", AllowUnauthenticatedIdentities=True
        )["IdentityPoolId"]
        iam = server.client("iam")
        roles = {
            kind: iam.create_role(
                RoleName=name, AssumeRolePolicyDocument=trust_policy(pool_id, kind)
            )["Role"]["Arn"]
            for kind, name in TRUST_ROLES.items()
        }
        client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles)
        identity_id: str = client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    except Exception as exc:
        return {"trust_problem": f"needs IAM roles with trust policies ({exc})"}
    return {"trust_pool_id": pool_id, "trust_identity_id": identity_id, "trust_problem": None}


def tagged_token(login: BenchLogin) -> str:
    """An ID token of the bench's login whose claims the decisions pool maps to :data:`TAGS`."""
    return login.mint(**{TAG_CLAIMS[tag]: value for tag, value in TAGS.items()})


def set_up_decisions(
    server: Server, client: Any, login: BenchLogin, oidc_arn: str
) -> dict[str, Any]:
    """The decision role and its policies, a pool of the bench's OpenID provider (``oidc_arn``)
    mapping the login's claims to principal tags, the login's identity and session credentials,
    and one decision asked through the Python client (it must be allowed by the first
    statement). Fills ``decision``, ``decisions_pool_id``, ``decisions_identity_id``,
    ``tagged_id_token``; ``decisions_problem`` says why not."""
    iam = server.client("iam")
    try:
        pool_id: str = client.create_identity_pool(
            IdentityPoolName="bench_decisions",
            AllowUnauthenticatedIdentities=False,
            OpenIdConnectProviderARNs=[oidc_arn],
        )["IdentityPoolId"]
        client.set_principal_tag_attribute_map(
            IdentityPoolId=pool_id,
            IdentityProviderName=login.login_key,
            UseDefaults=False,
            PrincipalTags=TAG_CLAIMS,
        )
        trust = trust_policy(
            pool_id, "authenticated", ("sts:AssumeRoleWithWebIdentity", "sts:TagSession")
        )
        role_arn: str = iam.create_role(RoleName=DECISION_ROLE, AssumeRolePolicyDocument=trust)[
            "Role"
        ]["Arn"]
        for policy in POLICIES:
            if policy.kind == "inline":
                iam.put_role_policy(
                    RoleName=DECISION_ROLE, PolicyName=policy.name, PolicyDocument=policy.document
                )
            else:
                arn = iam.create_policy(PolicyName=policy.name, PolicyDocument=policy.document)[
                    "Policy"
                ]["Arn"]
                iam.attach_role_policy(RoleName=DECISION_ROLE, PolicyArn=arn)
        client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role_arn})
    except Exception as exc:
        return {"decisions_problem": f"needs IAM roles and policies ({exc})"}
    token = tagged_token(login)
    logins = {login.login_key: token}
    try:
        identity_id: str = client.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
        issued = client.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
            "Credentials"
        ]
    except Exception as exc:
        return {"decisions_problem": f"needs credentials with principal tags ({exc})"}
    keys = (issued["AccessKeyId"], issued["SecretKey"], issued["SessionToken"])
    headers = forwarded_headers(BotoCredentials(*keys))
    try:
        decision = decide(
            server.url,
            DECISION_METHOD,
            DECISION_PATH,
            headers,
            region=REGION,
            source_ip=SOURCE_IP,
            credentials=BotoCredentials(
                server.credentials.access_key_id, server.credentials.secret_access_key
            ),
        )
    except Exception as exc:
        return {"decisions_problem": f"needs the decision endpoint ({exc})"}
    sids = tuple(m["Sid"] for m in decision.raw["MatchedStatements"])
    if not decision.allowed or sids != ("ReadOwnDepartment",):
        return {
            "decisions_problem": "the decision endpoint should allow by ReadOwnDepartment: it"
            f" answered {decision.outcome} ({'; '.join(decision.explanation)})"
        }
    case = DecisionCase(
        *keys,
        action=decision.action,
        resource=decision.resource,
        context=dict(decision.raw["Context"]),
        outcome=decision.outcome,
        matched_sids=sids,
    )
    return {
        "decision": case,
        "decisions_pool_id": pool_id,
        "decisions_identity_id": identity_id,
        "tagged_id_token": token,
        "decisions_problem": None,
    }


def forwarded_headers(credentials: BotoCredentials) -> dict[str, str]:
    """The headers of ``GET http://SERVICE_HOST/DECISION_PATH`` as the session's client signs it
    for a self-hosted service (SigV4, ``execute-api``, now)."""
    request = AWSRequest(
        method=DECISION_METHOD,
        url=f"http://{SERVICE_HOST}{DECISION_PATH}",
        headers={"Host": SERVICE_HOST},
    )
    SigV4Auth(credentials, "execute-api", REGION).add_auth(request)
    return dict(request.headers.items())


def decide_body(f: Fixture) -> dict[str, Any]:
    """The decision request, as the service forwards its client's request (signed now: see the
    module's docstring), with the client's address and API Gateway's default action and
    resource; the call itself is signed by ``bench.calls`` with the account's key."""
    if f.decision is None:
        raise ValueError(f"no decision set up: {f.decisions_problem}")
    return {
        "Request": {
            "Method": DECISION_METHOD,
            "Path": DECISION_PATH,
            "Headers": forwarded_headers(f.decision.credentials),
        },
        "SourceIp": SOURCE_IP,
    }


def bare_policies() -> list[Policy]:
    """:data:`POLICIES` parsed as the server's role directory parses them (kind ``identity``,
    source id the policy's name), in its order."""
    return [
        parse_policy(p.document, kind="identity", source_id=p.name, source_type=p.source_type)
        for p in POLICIES
    ]
