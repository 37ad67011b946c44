"""``cognitoidentity serve --config FILE`` (or ``COGNITOIDENTITY_CONFIG``): the declared pool, with
its fixed id, answers GetId as soon as the server is up, on every start; a declared role's trust
policy decides STS AssumeRoleWithWebIdentity in the basic flow; a bad file stops the server before
it listens, naming the file, the line and the key."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.api.test_flows import sts_client
from tests.config.conftest import ACCOUNT, POOL_ID
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import Credentials, ServerProcess

KEY_ID = "AKIAEXAMPLECI0000001"
SECRET = "ci-secret-access-key-0123456789"
CONFIG = f"""
[[accounts]]
id = "{ACCOUNT}"
name = "ci"

[[accounts.access_keys]]
id = "{KEY_ID}"
secret_env = "CI_SECRET_ACCESS_KEY"

[[accounts.pools]]
IdentityPoolId = "{POOL_ID}"
IdentityPoolName = "ci"
AllowUnauthenticatedIdentities = true
"""


ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/ci-guest"
OTHER_POOL = "us-east-1:00000000-0000-4000-8000-000000000002"
# Appended to CONFIG: the pool's roles, a second pool, and the role (its trust policy names the
# first pool only, its inline policy is JSON text).
ROLES = f"""
Roles = {{ unauthenticated = "{ROLE_ARN}" }}

[[accounts.pools]]
IdentityPoolId = "{OTHER_POOL}"
IdentityPoolName = "other"
AllowUnauthenticatedIdentities = true

[[accounts.roles]]
RoleName = "ci-guest"
InlinePolicies.ping = '{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}}]}}'

[accounts.roles.AssumeRolePolicyDocument]
Version = "2012-10-17"

[[accounts.roles.AssumeRolePolicyDocument.Statement]]
Effect = "Allow"
Principal = {{ Federated = "cognito-identity.amazonaws.com" }}
Action = "sts:AssumeRoleWithWebIdentity"

[accounts.roles.AssumeRolePolicyDocument.Statement.Condition]
StringEquals = {{ "cognito-identity.amazonaws.com:aud" = "{POOL_ID}" }}
"ForAnyValue:StringLike" = {{ "cognito-identity.amazonaws.com:amr" = "unauthenticated" }}
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        require_postgres()
        with temporary_schema() as url:
            yield url
    else:
        yield str(tmp_path / "store.db")


def test_the_declared_pool_and_role_serve_right_after_start(tmp_path: Path, database: str) -> None:
    config = tmp_path / "cognitoidentity.toml"
    config.write_text(CONFIG + ROLES)
    server = ServerProcess(
        tmp_path,
        database,
        extra_env={"COGNITOIDENTITY_CONFIG": str(config), "CI_SECRET_ACCESS_KEY": SECRET},
    ).start()
    try:
        guest = server.client(unsigned=True).get_id(IdentityPoolId=POOL_ID)
        assert guest["IdentityId"].startswith("us-east-1:")
        declared = Credentials(ACCOUNT, KEY_ID, SECRET)
        described = server.client(declared).describe_identity_pool(IdentityPoolId=POOL_ID)
        assert described["IdentityPoolName"] == "ci"
        assert f"create pool {POOL_ID} (ci)" in server.log_text()
        assert f"create role {ROLE_ARN}" in server.log_text()

        server.restart()
        assert server.log_text().count(f"{config}: up to date") == 1
        again = server.client(unsigned=True).get_id(IdentityPoolId=POOL_ID)
        assert again["IdentityId"] != guest["IdentityId"]
        listed = server.client(declared).list_identities(IdentityPoolId=POOL_ID, MaxResults=10)
        assert len(listed["Identities"]) == 2
        basic_flow_through_the_declared_role(server)
    finally:
        server.stop()


def test_a_bad_file_stops_the_server_before_it_listens(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.replace('IdentityPoolName = "ci"', 'IdentityPoolName = ""'))
    server = ServerProcess(tmp_path, str(tmp_path / "store.db"))
    result = subprocess.run(
        [sys.executable, "-m", "cognitoidentity.server.cli", "serve", "--config", str(config)],
        env={**server.env, "CI_SECRET_ACCESS_KEY": SECRET},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = CONFIG.splitlines().index('IdentityPoolName = "ci"') + 1
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"cognitoidentity: {config}:{line}: accounts[0].pools[0].IdentityPoolName:"
        " ValidationException: 2 validation errors detected: Value '' at 'identityPoolName'"
        " failed to satisfy constraint: Member must have length greater than or equal to 1"
    )
    assert "listening" not in result.stdout


def basic_flow_through_the_declared_role(server: ServerProcess) -> None:
    """GetId, GetOpenIdToken, then STS AssumeRoleWithWebIdentity of the declared role: allowed
    for the pool its trust policy names, refused for the other."""
    public = server.client(unsigned=True)
    sts = sts_client(server)

    def token(pool_id: str) -> str:
        identity_id = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
        issued: str = public.get_open_id_token(IdentityId=identity_id)["Token"]
        return issued

    assumed = sts.assume_role_with_web_identity(
        RoleArn=ROLE_ARN, RoleSessionName="ci", WebIdentityToken=token(POOL_ID)
    )
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-guest/ci"
    caller = sts_client(server, assumed["Credentials"]).get_caller_identity()
    assert caller["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    with pytest.raises(ClientError) as refused:
        sts.assume_role_with_web_identity(
            RoleArn=ROLE_ARN, RoleSessionName="ci", WebIdentityToken=token(OTHER_POOL)
        )
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    declared = Credentials(ACCOUNT, KEY_ID, SECRET)
    role = server.client(declared, service="iam").get_role(RoleName="ci-guest")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["StringEquals"] == {
        "cognito-identity.amazonaws.com:aud": POOL_ID
    }
