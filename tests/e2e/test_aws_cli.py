"""The core identity-pool scenario through the real AWS CLI (v1, ``python -m awscli``).

Each command runs as a subprocess, exactly as a user would type it, against the ``server``
fixture; assertions are on the CLI's parsed ``--output json`` and, for failures, on its exit status
and standard error. The endpoint comes from the documented service-specific environment variable
``AWS_ENDPOINT_URL_COGNITO_IDENTITY`` (AWS CLI v1 >= 1.29.0; the dev extra pins >= 1.32); one
test covers the ``--endpoint-url`` option instead. The machine's AWS configuration never leaks in:
``AWS_*`` variables are dropped and the config and credentials files point to missing paths.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import REGION, Credentials, ServerProcess

pytestmark = pytest.mark.slow

ID_SHAPE = re.compile(
    rf"{REGION}:[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
)
# Every member the service model gives IdentityPool; the CLI prints whatever the server sends.
POOL_MEMBERS = {
    "IdentityPoolId",
    "IdentityPoolName",
    "AllowUnauthenticatedIdentities",
    "AllowClassicFlow",
    "SupportedLoginProviders",
    "DeveloperProviderName",
    "OpenIdConnectProviderARNs",
    "CognitoIdentityProviders",
    "SamlProviderARNs",
    "IdentityPoolTags",
}
# awscli v1 exits with 255 when the service answers an error (v2 uses 254).
CLI_SERVICE_ERROR = 255
UNAUTHENTICATED_DISABLED = "Unauthenticated access is not supported for this identity pool."


@dataclass(frozen=True)
class AwsCli:
    """``aws <service> ...`` (``cognito-identity`` unless told) with a fixed environment."""

    env: dict[str, str]
    service: str = "cognito-identity"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "awscli", self.service, *args, "--output", "json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def ok(self, *args: str) -> str:
        """Run a command that must succeed; its standard output."""
        result = self.run(*args)
        assert result.returncode == 0, (
            f"aws {self.service} {' '.join(args)} exited {result.returncode}: {result.stderr}"
        )
        return result.stdout

    def json(self, *args: str) -> dict[str, Any]:
        """Run a command that must succeed and print one JSON object."""
        out = self.ok(*args)
        data: dict[str, Any] = json.loads(out)
        assert isinstance(data, dict), out
        return data

    def fails(self, *args: str) -> str:
        """Run a command the service must refuse; its standard error."""
        result = self.run(*args)
        assert result.returncode == CLI_SERVICE_ERROR, (
            f"expected exit {CLI_SERVICE_ERROR}, got {result.returncode}: "
            f"stdout={result.stdout!r} stderr={result.stderr!r}"
        )
        assert result.stdout == ""
        return result.stderr


def cli_env(tmp_path: Path, credentials: Credentials | None, **extra: str) -> dict[str, str]:
    """A clean environment: no inherited ``AWS_*`` and no readable config or credentials file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "missing-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "missing-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_MAX_ATTEMPTS="1",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    if credentials is not None:
        env.update(
            AWS_ACCESS_KEY_ID=credentials.access_key_id,
            AWS_SECRET_ACCESS_KEY=credentials.secret_access_key,
        )
    env.update(extra)
    return env


@pytest.fixture
def aws(server: ServerProcess, account: Credentials, tmp_path: Path) -> AwsCli:
    """The CLI signed with the test's own account, endpoint from the service-specific variable."""
    return AwsCli(cli_env(tmp_path, account, AWS_ENDPOINT_URL_COGNITO_IDENTITY=server.url))


@pytest.fixture
def anonymous_aws(server: ServerProcess, tmp_path: Path) -> AwsCli:
    """The CLI with no credentials anywhere in its environment."""
    return AwsCli(cli_env(tmp_path, None, AWS_ENDPOINT_URL_COGNITO_IDENTITY=server.url))


def pool_arn(account: Credentials, pool_id: str) -> str:
    return f"arn:aws:cognito-identity:{REGION}:{account.account_id}:identitypool/{pool_id}"


def missing_pool_id() -> str:
    return f"{REGION}:{uuid.uuid4()}"


def assert_recent(timestamp: object, since: float) -> None:
    """awscli v1 prints JSON-protocol timestamps as the epoch seconds the service sent."""
    assert isinstance(timestamp, int | float) and not isinstance(timestamp, bool), timestamp
    assert since - 5 <= timestamp <= time.time() + 5, (timestamp, since)


def test_core_scenario(aws: AwsCli, account: Credentials) -> None:
    started = time.time()

    created = aws.json(
        "create-identity-pool",
        "--identity-pool-name", "e2e cli pool",
        "--allow-unauthenticated-identities",
        "--identity-pool-tags", "team=blue,env=test",
    )  # fmt: skip
    pool_id = created["IdentityPoolId"]
    assert ID_SHAPE.fullmatch(pool_id), pool_id
    assert set(created) <= POOL_MEMBERS, created
    assert created["IdentityPoolName"] == "e2e cli pool"
    assert created["AllowUnauthenticatedIdentities"] is True
    assert created["IdentityPoolTags"] == {"team": "blue", "env": "test"}

    first = aws.json("get-id", "--identity-pool-id", pool_id)
    second = aws.json("get-id", "--identity-pool-id", pool_id, "--account-id", account.account_id)
    assert set(first) == {"IdentityId"} and set(second) == {"IdentityId"}
    identity_ids = [first["IdentityId"], second["IdentityId"]]
    for identity_id in identity_ids:
        assert ID_SHAPE.fullmatch(identity_id), identity_id
    assert identity_ids[0] != identity_ids[1], "without logins every GetId is a new identity"

    listed = aws.json("list-identities", "--identity-pool-id", pool_id, "--max-results", "60")
    assert listed["IdentityPoolId"] == pool_id
    assert "NextToken" not in listed
    assert sorted(i["IdentityId"] for i in listed["Identities"]) == sorted(identity_ids)
    for item in listed["Identities"]:
        assert "Logins" not in item, item
        assert_recent(item["CreationDate"], started)
        assert_recent(item["LastModifiedDate"], started)

    described = aws.json("describe-identity", "--identity-id", identity_ids[0])
    assert described["IdentityId"] == identity_ids[0]
    assert set(described) == {"IdentityId", "CreationDate", "LastModifiedDate"}, described
    assert_recent(described["CreationDate"], started)
    assert described["LastModifiedDate"] >= described["CreationDate"]

    pool = aws.json("describe-identity-pool", "--identity-pool-id", pool_id)
    assert pool == created

    pools = aws.json("list-identity-pools", "--max-results", "60")
    assert pools == {
        "IdentityPools": [{"IdentityPoolId": pool_id, "IdentityPoolName": "e2e cli pool"}]
    }

    updated = aws.json(
        "update-identity-pool",
        "--identity-pool-id", pool_id,
        "--identity-pool-name", "e2e cli pool renamed",
        "--no-allow-unauthenticated-identities",
    )  # fmt: skip
    assert updated["IdentityPoolId"] == pool_id
    assert updated["IdentityPoolName"] == "e2e cli pool renamed"
    assert updated["AllowUnauthenticatedIdentities"] is False
    assert updated["IdentityPoolTags"] == {"team": "blue", "env": "test"}, "tags kept when omitted"
    assert aws.json("describe-identity-pool", "--identity-pool-id", pool_id) == updated
    assert aws.json("list-identity-pools", "--max-results", "60")["IdentityPools"] == [
        {"IdentityPoolId": pool_id, "IdentityPoolName": "e2e cli pool renamed"}
    ]

    arn = pool_arn(account, pool_id)
    assert aws.ok("tag-resource", "--resource-arn", arn, "--tags", "owner=cli,team=red") == ""
    assert aws.json("list-tags-for-resource", "--resource-arn", arn) == {
        "Tags": {"team": "red", "env": "test", "owner": "cli"}
    }
    assert aws.ok("untag-resource", "--resource-arn", arn, "--tag-keys", "env", "absent") == ""
    assert aws.json("list-tags-for-resource", "--resource-arn", arn) == {
        "Tags": {"team": "red", "owner": "cli"}
    }
    assert aws.json("describe-identity-pool", "--identity-pool-id", pool_id)[
        "IdentityPoolTags"
    ] == {"team": "red", "owner": "cli"}

    deleted = aws.json("delete-identities", "--identity-ids-to-delete", identity_ids[0])
    assert deleted == {"UnprocessedIdentityIds": []}
    remaining = aws.json("list-identities", "--identity-pool-id", pool_id, "--max-results", "60")
    assert [i["IdentityId"] for i in remaining["Identities"]] == [identity_ids[1]]

    assert aws.ok("delete-identity-pool", "--identity-pool-id", pool_id) == ""
    assert aws.json("list-identity-pools", "--max-results", "60") == {"IdentityPools": []}
    stderr = aws.fails("describe-identity-pool", "--identity-pool-id", pool_id)
    assert "(ResourceNotFoundException)" in stderr, stderr
    assert f"IdentityPool '{pool_id}' not found." in stderr, stderr


def test_describe_missing_pool(aws: AwsCli) -> None:
    pool_id = missing_pool_id()
    stderr = aws.fails("describe-identity-pool", "--identity-pool-id", pool_id)
    assert stderr.strip() == (
        "An error occurred (ResourceNotFoundException) when calling the DescribeIdentityPool "
        f"operation: IdentityPool '{pool_id}' not found."
    )


def test_get_id_refused_when_unauthenticated_identities_disabled(aws: AwsCli) -> None:
    pool_id = aws.json(
        "create-identity-pool",
        "--identity-pool-name", "closed",
        "--no-allow-unauthenticated-identities",
    )["IdentityPoolId"]  # fmt: skip
    stderr = aws.fails("get-id", "--identity-pool-id", pool_id)
    assert stderr.strip() == (
        "An error occurred (NotAuthorizedException) when calling the GetId operation: "
        + UNAUTHENTICATED_DISABLED
    )
    listed = aws.json("list-identities", "--identity-pool-id", pool_id, "--max-results", "60")
    assert listed["Identities"] == [], "a refused GetId creates no identity"


def test_get_id_without_signature(aws: AwsCli, anonymous_aws: AwsCli) -> None:
    """GetId is a public operation (``smithy.api#noAuth`` in the model, so botocore never signs
    it): it works from a CLI with no credentials at all, with or without ``--no-sign-request``."""
    pool_id = aws.json(
        "create-identity-pool",
        "--identity-pool-name", "public",
        "--allow-unauthenticated-identities",
    )["IdentityPoolId"]  # fmt: skip

    got = [
        anonymous_aws.json("get-id", "--identity-pool-id", pool_id, "--no-sign-request"),
        anonymous_aws.json("get-id", "--identity-pool-id", pool_id),
    ]
    for result in got:
        assert set(result) == {"IdentityId"}
        assert ID_SHAPE.fullmatch(result["IdentityId"]), result
    identity_ids = [result["IdentityId"] for result in got]

    listed = aws.json("list-identities", "--identity-pool-id", pool_id, "--max-results", "60")
    assert [i["IdentityId"] for i in listed["Identities"]] == identity_ids
    described = aws.json("describe-identity", "--identity-id", identity_ids[0])
    assert described["IdentityId"] == identity_ids[0]

    stderr = anonymous_aws.fails(
        "get-id", "--identity-pool-id", missing_pool_id(), "--no-sign-request"
    )
    assert "(ResourceNotFoundException)" in stderr, stderr


def test_signed_operations_refuse_unsigned_and_badly_signed_requests(
    anonymous_aws: AwsCli, account: Credentials, server: ServerProcess, tmp_path: Path
) -> None:
    stderr = anonymous_aws.fails("list-identity-pools", "--max-results", "10", "--no-sign-request")
    assert "(MissingAuthenticationTokenException)" in stderr, stderr

    wrong_secret = AwsCli(
        cli_env(
            tmp_path,
            Credentials(account.account_id, account.access_key_id, "x" + account.secret_access_key),
            AWS_ENDPOINT_URL_COGNITO_IDENTITY=server.url,
        )
    )
    stderr = wrong_secret.fails("list-identity-pools", "--max-results", "10")
    assert "(InvalidSignatureException)" in stderr, stderr

    unknown_key = AwsCli(
        cli_env(
            tmp_path,
            Credentials(account.account_id, "AKIA" + "0" * 16, account.secret_access_key),
            AWS_ENDPOINT_URL_COGNITO_IDENTITY=server.url,
        )
    )
    stderr = unknown_key.fails("list-identity-pools", "--max-results", "10")
    assert "(UnrecognizedClientException)" in stderr, stderr


def test_pagination_with_next_token(aws: AwsCli) -> None:
    """``--max-results`` is required for both list commands, which turns the CLI's automatic
    pagination off: users follow ``NextToken`` with ``--next-token``."""
    pool_ids = []
    for i in range(3):
        created = aws.json(
            "create-identity-pool",
            "--identity-pool-name", f"page {i}",
            "--allow-unauthenticated-identities",
        )  # fmt: skip
        pool_ids.append(created["IdentityPoolId"])
    first = aws.json("list-identity-pools", "--max-results", "2")
    assert [p["IdentityPoolId"] for p in first["IdentityPools"]] == pool_ids[:2]
    assert isinstance(first["NextToken"], str) and first["NextToken"]
    second = aws.json(
        "list-identity-pools", "--max-results", "2", "--next-token", first["NextToken"]
    )
    assert second == {
        "IdentityPools": [{"IdentityPoolId": pool_ids[2], "IdentityPoolName": "page 2"}]
    }

    identity_ids = [
        aws.json("get-id", "--identity-pool-id", pool_ids[0])["IdentityId"] for _ in range(3)
    ]
    page = aws.json("list-identities", "--identity-pool-id", pool_ids[0], "--max-results", "2")
    assert [i["IdentityId"] for i in page["Identities"]] == identity_ids[:2]
    rest = aws.json(
        "list-identities",
        "--identity-pool-id", pool_ids[0],
        "--max-results", "2",
        "--next-token", page["NextToken"],
    )  # fmt: skip
    assert [i["IdentityId"] for i in rest["Identities"]] == identity_ids[2:]
    assert "NextToken" not in rest


def test_endpoint_url_option(server: ServerProcess, account: Credentials, tmp_path: Path) -> None:
    """``--endpoint-url`` works on its own, with no endpoint variable set."""
    aws = AwsCli(cli_env(tmp_path, account))
    assert "AWS_ENDPOINT_URL_COGNITO_IDENTITY" not in aws.env
    assert "AWS_ENDPOINT_URL" not in aws.env
    flag = ("--endpoint-url", server.url)
    created = aws.json(
        "create-identity-pool",
        "--identity-pool-name", "via flag",
        "--no-allow-unauthenticated-identities",
        "--identity-pool-tags", '{"cost-center": "42"}',
        *flag,
    )  # fmt: skip
    assert ID_SHAPE.fullmatch(created["IdentityPoolId"])
    assert created["IdentityPoolTags"] == {"cost-center": "42"}
    assert aws.json("list-identity-pools", "--max-results", "60", *flag) == {
        "IdentityPools": [
            {"IdentityPoolId": created["IdentityPoolId"], "IdentityPoolName": "via flag"}
        ]
    }


# -- IAM roles and policies -------------------------------------------------------------------------


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_iam_roles_policies_and_the_simulator(
    server: ServerProcess, account: Credentials, tmp_path: Path
) -> None:
    """What a user does with ``aws iam`` (endpoint from ``AWS_ENDPOINT_URL_IAM``): a role with the
    standard Cognito trust policy from a file, an inline ABAC policy and an attached managed one,
    read back as the CLI prints them (IAM sends documents URL-encoded; the CLI prints the JSON
    object), then ``simulate-principal-policy`` before and after a policy change."""
    aws = AwsCli(cli_env(tmp_path, account, AWS_ENDPOINT_URL_IAM=server.url), service="iam")
    pool_id = f"{REGION}:{uuid.uuid4()}"
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }
    )
    abac = policy(
        {
            "Sid": "OwnDepartment",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:DeleteObject"],
            "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*",
        }
    )
    no_delete = policy({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"})
    files = {"trust": trust, "abac": abac, "no-delete": no_delete}
    for name, document in files.items():
        # Indented, as people keep them: the spaces and newlines travel URL-encoded and back.
        (tmp_path / f"{name}.json").write_text(json.dumps(document, indent=2))

    def file(name: str) -> str:
        return f"file://{tmp_path / name}.json"

    created = aws.json(
        "create-role",
        "--role-name", "Cognito_FilesAuth_Role",
        "--path", "/app/",
        "--assume-role-policy-document", file("trust"),
        "--description", "signed-in users of files",
        "--tags", "Key=team,Value=blue",
    )["Role"]  # fmt: skip
    role_arn = f"arn:aws:iam::{account.account_id}:role/app/Cognito_FilesAuth_Role"
    assert created["Arn"] == role_arn
    assert created["RoleId"].startswith("AROA")
    assert created["AssumeRolePolicyDocument"] == trust
    got = aws.json("get-role", "--role-name", "Cognito_FilesAuth_Role")["Role"]
    assert got["AssumeRolePolicyDocument"] == trust
    assert (got["RoleId"], got["Arn"], got["Path"]) == (created["RoleId"], role_arn, "/app/")
    assert got["Description"] == "signed-in users of files"
    assert got["MaxSessionDuration"] == 3600
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]

    role = ("--role-name", "Cognito_FilesAuth_Role")
    assert (
        aws.ok("put-role-policy", *role, "--policy-name", "abac", "--policy-document", file("abac"))
        == ""
    )
    inline = aws.json("get-role-policy", *role, "--policy-name", "abac")
    assert inline == {
        "RoleName": "Cognito_FilesAuth_Role",
        "PolicyName": "abac",
        "PolicyDocument": abac,
    }
    managed = aws.json(
        "create-policy", "--policy-name", "NoDelete", "--policy-document", file("no-delete")
    )["Policy"]  # fmt: skip
    policy_arn = f"arn:aws:iam::{account.account_id}:policy/NoDelete"
    assert managed["Arn"] == policy_arn and managed["DefaultVersionId"] == "v1"
    version = aws.json("get-policy-version", "--policy-arn", policy_arn, "--version-id", "v1")
    assert version["PolicyVersion"]["Document"] == no_delete
    assert aws.ok("attach-role-policy", *role, "--policy-arn", policy_arn) == ""
    assert aws.json("list-attached-role-policies", *role)["AttachedPolicies"] == [
        {"PolicyName": "NoDelete", "PolicyArn": policy_arn}
    ]

    def simulate(*resources: str) -> list[tuple[str, str, str, list[str]]]:
        results = aws.json(
            "simulate-principal-policy",
            "--policy-source-arn", role_arn,
            "--action-names", "s3:GetObject", "s3:DeleteObject",
            "--resource-arns", *resources,
            "--context-entries",
            "ContextKeyName=aws:PrincipalTag/department,ContextKeyValues=eng,ContextKeyType=string",
        )["EvaluationResults"]  # fmt: skip
        return [
            (
                r["EvalActionName"],
                r["EvalResourceName"],
                r["EvalDecision"],
                [s["SourcePolicyId"] for s in r["MatchedStatements"]],
            )
            for r in results
        ]

    eng, ops = "arn:aws:s3:::bucket/eng/q1.csv", "arn:aws:s3:::bucket/ops/q1.csv"
    assert simulate(eng, ops) == [
        ("s3:GetObject", eng, "allowed", ["abac"]),
        ("s3:GetObject", ops, "implicitDeny", []),
        ("s3:DeleteObject", eng, "explicitDeny", ["NoDelete"]),
        ("s3:DeleteObject", ops, "explicitDeny", ["NoDelete"]),
    ]

    # A policy changed through the CLI changes the next decision.
    (tmp_path / "deny-eng.json").write_text(
        json.dumps(policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": eng}))
    )
    aws.ok(
        "put-role-policy", *role, "--policy-name", "abac", "--policy-document", file("deny-eng")
    )  # fmt: skip
    assert simulate(eng) == [
        ("s3:GetObject", eng, "explicitDeny", ["abac"]),
        ("s3:DeleteObject", eng, "explicitDeny", ["NoDelete"]),
    ]

    stderr = aws.fails("delete-role", *role)
    assert stderr.strip() == (
        "An error occurred (DeleteConflict) when calling the DeleteRole operation: "
        "Cannot delete entity, must detach all policies first."
    )
