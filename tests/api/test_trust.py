"""Trust and permissions for roles of our IAM, through boto3 on a real server (both stores): the
basic flow (GetId, GetOpenIdToken, STS AssumeRoleWithWebIdentity) and the enhanced flow
(GetCredentialsForIdentity) check the role's trust policy as AWS's STS does, MaxSessionDuration
caps DurationSeconds, ``COGNITOIDENTITY_IAM_ROLES`` decides for role ARNs our IAM does not hold,
and the authorization point evaluates the role's policies narrowed by the session policy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cognitoidentity import IdentityPoolCredentials
from tests.api.test_pools import error_of
from tests.conftest import STORES, _database
from tests.support.server import REGION, Credentials, ServerProcess

DEV = "login.example"
STS_DENIED = ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)
COGNITO_REFUSED = (
    "InvalidIdentityPoolConfigurationException",
    "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
    400,
)
TOO_LONG = (
    "ValidationError",
    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    400,
)
COGNITO = "cognito-identity.amazonaws.com"


# -- helpers -----------------------------------------------------------------------------------


def trust_policy(
    pool_id: str,
    amr: str = "authenticated",
    actions: tuple[str, ...] = ("sts:AssumeRoleWithWebIdentity",),
    *,
    amr_key: str = f"{COGNITO}:amr",
) -> str:
    """The standard Cognito trust policy (Developer Guide, role trust and permissions)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": COGNITO},
                    "Action": list(actions),
                    "Condition": {
                        "StringEquals": {f"{COGNITO}:aud": pool_id},
                        "ForAnyValue:StringLike": {amr_key: amr},
                    },
                }
            ],
        }
    )


def allow(action: str, resource: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def deny(action: str, resource: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": action, "Resource": resource}],
        }
    )


def iam(server: ServerProcess, account: Credentials) -> Any:
    return server.client(account, service="iam")


def create_role(
    server: ServerProcess, account: Credentials, name: str, trust: str, **kw: Any
) -> Any:
    role = iam(server, account).create_role(RoleName=name, AssumeRolePolicyDocument=trust, **kw)
    return role["Role"]


def dev_pool(server: ServerProcess, account: Credentials, **roles: str) -> str:
    """A pool with guests and a developer provider; the pool names ``roles`` (maybe none)."""
    cognito = server.client(account)
    pool_id: str = cognito.create_identity_pool(
        IdentityPoolName="trust", AllowUnauthenticatedIdentities=True, DeveloperProviderName=DEV
    )["IdentityPoolId"]
    if roles:
        cognito.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles)
    return pool_id


def login_token(
    server: ServerProcess, account: Credentials, pool_id: str, user: str = "alice", **tags: str
) -> tuple[str, str]:
    """(identity id, authenticated OpenID token) of a developer-authenticated user, with
    principal tags ``tags``."""
    extra: dict[str, Any] = {"PrincipalTags": tags} if tags else {}
    issued = server.client(account).get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: user}, **extra
    )
    return issued["IdentityId"], issued["Token"]


def guest_token(server: ServerProcess, pool_id: str) -> tuple[str, str]:
    """GetId then GetOpenIdToken, unsigned: (identity id, unauthenticated token)."""
    public = server.client(unsigned=True)
    identity_id: str = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    return identity_id, public.get_open_id_token(IdentityId=identity_id)["Token"]


def assume(server: ServerProcess, role_arn: str, token: str, **kw: Any) -> Any:
    client = server.client(unsigned=True, service="sts")
    return client.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token, **kw
    )


def refused(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        call()
    return error_of(exc)


def signed_with(server: ServerProcess, credentials: dict[str, Any], service: str) -> Any:
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials.get("SecretAccessKey") or credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    make: Any = session.client
    return make(service, endpoint_url=server.url, config=Config(retries={"total_max_attempts": 1}))


def enhanced(server: ServerProcess, identity_id: str, token: str | None = None) -> Any:
    public = server.client(unsigned=True)
    logins = {"Logins": {COGNITO: token}} if token else {}
    return public.get_credentials_for_identity(IdentityId=identity_id, **logins)["Credentials"]


def pool_arn(account: Credentials, pool_id: str) -> str:
    return f"arn:aws:cognito-identity:{REGION}:{account.account_id}:identitypool/{pool_id}"


# -- the basic flow --------------------------------------------------------------------------


def test_basic_flow_with_a_role_the_pool_does_not_name(
    server: ServerProcess, account: Credentials
) -> None:
    pool_id = dev_pool(server, account)  # names no role at all
    role = create_role(server, account, "WebUsers", trust_policy(pool_id), Path="/app/")
    assert role["Arn"] == f"arn:aws:iam::{account.account_id}:role/app/WebUsers"
    identity_id, token = login_token(server, account, pool_id)

    answer = assume(server, role["Arn"], token)
    assert answer["AssumedRoleUser"] == {
        "Arn": f"arn:aws:sts::{account.account_id}:assumed-role/WebUsers/web",  # no path
        "AssumedRoleId": f"{role['RoleId']}:web",  # the role's own id, not a derived one
    }
    assert answer["SubjectFromWebIdentityToken"] == identity_id
    assert answer["Audience"] == pool_id
    caller = signed_with(server, answer["Credentials"], "sts").get_caller_identity()
    assert caller["UserId"] == f"{role['RoleId']}:web"
    assert caller["Arn"] == answer["AssumedRoleUser"]["Arn"]

    # The same role for a guest of the same pool: its amr is "unauthenticated".
    _, guest = guest_token(server, pool_id)
    assert refused(lambda: assume(server, role["Arn"], guest)) == STS_DENIED
    # A path left out names another role, which does not exist and the pool does not name.
    bare = f"arn:aws:iam::{account.account_id}:role/WebUsers"
    assert refused(lambda: assume(server, bare, token)) == STS_DENIED


def test_trust_policies_refuse_as_aws_does(server: ServerProcess, account: Credentials) -> None:
    pool_id = dev_pool(server, account)
    other_pool = dev_pool(server, account)
    _, token = login_token(server, account, pool_id)
    _, guest = guest_token(server, pool_id)
    cases = {
        "OtherPool": (trust_policy(other_pool), token),
        "AuthOnly": (trust_policy(pool_id), guest),
        "WrongAction": (trust_policy(pool_id, actions=("sts:AssumeRole",)), token),
        # A misspelt key is an absent key: the condition fails, nothing raises.
        "Misspelt": (trust_policy(pool_id, amr_key="cognito-identity.amazon.com:amr"), token),
    }
    for name, (document, web_token) in cases.items():
        arn = create_role(server, account, name, document)["Arn"]
        assert refused(lambda arn=arn, t=web_token: assume(server, arn, t)) == STS_DENIED, name
    # The same roles, fixed, let the same tokens in.
    guests = create_role(server, account, "Guests", trust_policy(pool_id, "unauthenticated"))
    assert assume(server, guests["Arn"], guest)["AssumedRoleUser"]["AssumedRoleId"].startswith(
        guests["RoleId"]
    )


def test_principal_tags_need_tag_session(server: ServerProcess, account: Credentials) -> None:
    pool_id = dev_pool(server, account)
    role = create_role(server, account, "Tagged", trust_policy(pool_id))
    _, tagged = login_token(server, account, pool_id, team="blue")
    _, untagged = login_token(server, account, pool_id, user="bob")
    assert refused(lambda: assume(server, role["Arn"], tagged)) == STS_DENIED
    assert assume(server, role["Arn"], untagged)["AssumedRoleUser"]["Arn"].endswith("/web")

    iam(server, account).update_assume_role_policy(
        RoleName="Tagged",
        PolicyDocument=trust_policy(
            pool_id, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession")
        ),
    )
    answer = assume(server, role["Arn"], tagged)
    assert 1 <= answer["PackedPolicySize"] <= 100


def test_max_session_duration(server: ServerProcess, account: Credentials) -> None:
    pool_id = dev_pool(server, account)
    role = create_role(server, account, "Short", trust_policy(pool_id))  # 3600 by default
    _, token = login_token(server, account, pool_id)
    assert refused(lambda: assume(server, role["Arn"], token, DurationSeconds=3601)) == TOO_LONG
    answer = assume(server, role["Arn"], token, DurationSeconds=3600)
    expires_in = answer["Credentials"]["Expiration"] - datetime.now(UTC)
    assert timedelta(seconds=3500) < expires_in <= timedelta(seconds=3600)

    iam(server, account).update_role(RoleName="Short", MaxSessionDuration=7200)
    answer = assume(server, role["Arn"], token, DurationSeconds=7200)
    assert answer["Credentials"]["Expiration"] - datetime.now(UTC) > timedelta(seconds=7000)
    # An untrusted caller learns nothing about the role's maximum.
    _, guest = guest_token(server, pool_id)
    assert refused(lambda: assume(server, role["Arn"], guest, DurationSeconds=43200)) == STS_DENIED


# -- the enhanced flow -----------------------------------------------------------------------


def test_enhanced_flow_checks_the_trust_policy(server: ServerProcess, account: Credentials) -> None:
    iam_client = iam(server, account)
    guest_arn = f"arn:aws:iam::{account.account_id}:role/PoolGuests"
    auth_arn = f"arn:aws:iam::{account.account_id}:role/PoolUsers"
    pool_id = dev_pool(server, account, unauthenticated=guest_arn, authenticated=auth_arn)
    # The guest role trusts authenticated identities only: a mistake AWS answers this way.
    guests = create_role(server, account, "PoolGuests", trust_policy(pool_id))
    users = create_role(server, account, "PoolUsers", trust_policy(pool_id))

    guest_id = server.client(unsigned=True).get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert refused(lambda: enhanced(server, guest_id)) == COGNITO_REFUSED
    iam_client.update_assume_role_policy(
        RoleName="PoolGuests", PolicyDocument=trust_policy(pool_id, "unauthenticated")
    )
    caller = signed_with(server, enhanced(server, guest_id), "sts").get_caller_identity()
    assert caller["UserId"] == f"{guests['RoleId']}:CognitoIdentityCredentials"
    assert caller["Arn"].endswith(":assumed-role/PoolGuests/CognitoIdentityCredentials")

    identity_id, token = login_token(server, account, pool_id, team="blue")
    # Principal tags, and no sts:TagSession in the trust policy.
    assert refused(lambda: enhanced(server, identity_id, token)) == COGNITO_REFUSED
    iam_client.update_assume_role_policy(
        RoleName="PoolUsers",
        PolicyDocument=trust_policy(
            pool_id, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession")
        ),
    )
    caller = signed_with(server, enhanced(server, identity_id, token), "sts").get_caller_identity()
    assert caller["UserId"] == f"{users['RoleId']}:CognitoIdentityCredentials"

    # A trust policy for another pool refuses this pool's identities.
    other = dev_pool(server, account)
    iam_client.update_assume_role_policy(RoleName="PoolGuests", PolicyDocument=trust_policy(other))
    assert refused(lambda: enhanced(server, guest_id)) == COGNITO_REFUSED


def test_lenient_mode_trusts_the_roles_a_pool_names(
    server: ServerProcess, account: Credentials
) -> None:
    """The default: a role ARN our IAM does not hold is trusted when the pool names it."""
    named = f"arn:aws:iam::{account.account_id}:role/NotInIam"
    pool_id = dev_pool(server, account, unauthenticated=named)
    identity_id, guest = guest_token(server, pool_id)
    answer = assume(server, named, guest)
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:web", answer["AssumedRoleUser"]["AssumedRoleId"])
    assert enhanced(server, identity_id)["AccessKeyId"].startswith("ASIA")
    unnamed = f"arn:aws:iam::{account.account_id}:role/AlsoNotInIam"
    assert refused(lambda: assume(server, unnamed, guest)) == STS_DENIED
    # Once the role exists in IAM, its trust policy decides, even for a role the pool names.
    create_role(server, account, "NotInIam", trust_policy(pool_id))  # authenticated only
    assert refused(lambda: assume(server, named, guest)) == STS_DENIED
    assert refused(lambda: enhanced(server, identity_id)) == COGNITO_REFUSED


@pytest.fixture(scope="module", params=STORES)
def strict_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp(f"strict-{request.param}")
    with _database(request.param, data_dir) as url:
        proc = ServerProcess(data_dir, url, extra_env={"COGNITOIDENTITY_IAM_ROLES": "strict"})
        proc.start()
        try:
            yield proc
        finally:
            proc.stop()


def test_strict_mode_trusts_only_roles_of_iam(strict_server: ServerProcess) -> None:
    server = strict_server
    account = server.new_account()
    named = f"arn:aws:iam::{account.account_id}:role/Guests"
    pool_id = dev_pool(server, account, unauthenticated=named)
    identity_id, guest = guest_token(server, pool_id)
    assert refused(lambda: assume(server, named, guest)) == STS_DENIED
    assert refused(lambda: enhanced(server, identity_id)) == COGNITO_REFUSED
    role = create_role(server, account, "Guests", trust_policy(pool_id, "unauthenticated"))
    assert assume(server, named, guest)["AssumedRoleUser"]["AssumedRoleId"] == (
        f"{role['RoleId']}:web"
    )
    caller = signed_with(server, enhanced(server, identity_id), "sts").get_caller_identity()
    assert caller["UserId"] == f"{role['RoleId']}:CognitoIdentityCredentials"


# -- the authorization point -----------------------------------------------------------------


def test_session_policies_narrow_the_role(server: ServerProcess, account: Credentials) -> None:
    pool_id = dev_pool(server, account)
    role = create_role(server, account, "Reader", trust_policy(pool_id))
    iam_client = iam(server, account)
    iam_client.put_role_policy(
        RoleName="Reader",
        PolicyName="describe",
        PolicyDocument=allow("cognito-identity:DescribeIdentityPool", pool_arn(account, pool_id)),
    )
    _, token = login_token(server, account, pool_id)
    assumed = f"arn:aws:sts::{account.account_id}:assumed-role/Reader/web"

    def describe(credentials: dict[str, Any]) -> Any:
        cognito = signed_with(server, credentials, "cognito-identity")
        return cognito.describe_identity_pool(IdentityPoolId=pool_id)

    def denied(action: str, resource: str, suffix: str = "") -> tuple[str, str, int]:
        message = f"User: {assumed} is not authorized to perform: {action} on resource: {resource}"
        return ("AccessDeniedException", message + suffix, 400)

    describe_denied = denied("cognito-identity:DescribeIdentityPool", pool_arn(account, pool_id))
    # The role's policy allows DescribeIdentityPool on its pool, and nothing else.
    plain = assume(server, role["Arn"], token)["Credentials"]
    assert describe(plain)["IdentityPoolId"] == pool_id
    cognito = signed_with(server, plain, "cognito-identity")
    assert refused(lambda: cognito.list_identity_pools(MaxResults=5)) == denied(
        "cognito-identity:ListIdentityPools", "*"
    )

    # A session policy that does not allow it takes it away.
    narrowed = assume(
        server,
        role["Arn"],
        token,
        Policy=allow("cognito-identity:ListIdentityPools", "*"),
    )["Credentials"]
    assert refused(lambda: describe(narrowed)) == describe_denied
    narrowed_client = signed_with(server, narrowed, "cognito-identity")
    # ...and cannot add what the role does not allow.
    assert refused(lambda: narrowed_client.list_identity_pools(MaxResults=5)) == denied(
        "cognito-identity:ListIdentityPools", "*"
    )
    # GetCallerIdentity needs no permission.
    assert signed_with(server, narrowed, "sts").get_caller_identity()["Arn"] == assumed

    # An explicit deny in the session policy says so.
    denying = assume(server, role["Arn"], token, Policy=deny("cognito-identity:Describe*", "*"))[
        "Credentials"
    ]
    assert refused(lambda: describe(denying)) == denied(
        "cognito-identity:DescribeIdentityPool",
        pool_arn(account, pool_id),
        " with an explicit deny in a session policy",
    )

    # Managed session policies, by ARN: the default version decides, read when used.
    managed = iam_client.create_policy(
        PolicyName="describe-only",
        PolicyDocument=allow("cognito-identity:DescribeIdentityPool", "*"),
    )["Policy"]["Arn"]
    by_arn = assume(server, role["Arn"], token, PolicyArns=[{"arn": managed}])["Credentials"]
    assert describe(by_arn)["IdentityPoolId"] == pool_id
    missing = f"arn:aws:iam::{account.account_id}:policy/nowhere"
    by_missing = assume(server, role["Arn"], token, PolicyArns=[{"arn": missing}])["Credentials"]
    assert refused(lambda: describe(by_missing)) == describe_denied

    # The role's own policies are read when the session is used: removing one takes effect.
    iam_client.delete_role_policy(RoleName="Reader", PolicyName="describe")
    assert refused(lambda: describe(plain)) == describe_denied

    # A session policy must be a valid policy.
    bad = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
    )  # no Resource
    assert refused(lambda: assume(server, role["Arn"], token, Policy=bad)) == (
        "MalformedPolicyDocument",
        "The policy is not in the valid JSON format.",
        400,
    )
    assert refused(lambda: assume(server, role["Arn"], token, Policy="{not json")) == (
        "MalformedPolicyDocument",
        "Syntax errors in policy.",
        400,
    )


def test_policies_see_the_session_context(server: ServerProcess, account: Credentials) -> None:
    """Principal tags (the role's and the session's, the session's winning) and the Cognito keys
    reach the conditions of the role's policies."""
    pool_id = dev_pool(server, account)
    trust = trust_policy(pool_id, actions=("sts:AssumeRoleWithWebIdentity", "sts:TagSession"))
    role = create_role(server, account, "Abac", trust, Tags=[{"Key": "team", "Value": "blue"}])
    iam(server, account).put_role_policy(
        RoleName="Abac",
        PolicyName="abac",
        PolicyDocument=allow(
            "cognito-identity:DescribeIdentityPool",
            "arn:aws:cognito-identity:*:*:identitypool/${cognito-identity.amazonaws.com:aud}",
            {
                "StringEquals": {"aws:PrincipalTag/Team": "blue"},
                "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"},
                "Bool": {"aws:SecureTransport": "false"},
            },
        ),
    )

    def describe(token: str) -> Any:
        credentials = assume(server, role["Arn"], token)["Credentials"]
        cognito = signed_with(server, credentials, "cognito-identity")
        return cognito.describe_identity_pool(IdentityPoolId=pool_id)

    _, untagged = login_token(server, account, pool_id)  # the role's tag: team=blue
    assert describe(untagged)["IdentityPoolId"] == pool_id
    _, blue = login_token(server, account, pool_id, user="bob", TEAM="blue")
    assert describe(blue)["IdentityPoolId"] == pool_id
    _, red = login_token(server, account, pool_id, user="carol", team="red")  # overrides the role's
    assert refused(lambda: describe(red))[0] == "AccessDeniedException"


def test_identity_pool_credentials_with_roles_of_iam(
    server: ServerProcess, account: Credentials
) -> None:
    """This package's credential provider, guest and login, on a pool whose roles live in IAM."""
    guest_arn = f"arn:aws:iam::{account.account_id}:role/HelperGuests"
    auth_arn = f"arn:aws:iam::{account.account_id}:role/HelperUsers"
    pool_id = dev_pool(server, account, unauthenticated=guest_arn, authenticated=auth_arn)
    guests = create_role(server, account, "HelperGuests", trust_policy(pool_id, "unauthenticated"))
    users = create_role(server, account, "HelperUsers", trust_policy(pool_id))

    helper = IdentityPoolCredentials(pool_id, endpoint=server.url)
    sts: Any = helper.boto3_session().client("sts", endpoint_url=server.url)
    assert sts.get_caller_identity()["UserId"] == f"{guests['RoleId']}:CognitoIdentityCredentials"

    identity_id, token = login_token(server, account, pool_id)
    helper = IdentityPoolCredentials(
        pool_id, identity_id=identity_id, logins={COGNITO: token}, endpoint=server.url
    )
    sts = helper.boto3_session().client("sts", endpoint_url=server.url)
    assert sts.get_caller_identity()["UserId"] == f"{users['RoleId']}:CognitoIdentityCredentials"
