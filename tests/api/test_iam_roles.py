"""IAM roles through boto3's ``iam`` client against a real server (both stores), and once through
the AWS CLI: create and read back with the trust policy decoded, list with paths and pages, update,
tag, inline and attached policies, delete, and IAM's errors word for word."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

from cognitoidentity.server.operations.iam_common import account_of_unique_id
from tests.api.test_iam_providers import post_iam, recent
from tests.api.test_pools import error_of
from tests.e2e.test_aws_cli import cli_env
from tests.support.server import Credentials, ServerProcess

POOL = "us-east-1:11111111-2222-4333-8444-555555555555"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        }
    ],
}
S3_READ: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*",
        }
    ],
}


def iam(server: ServerProcess, credentials: Credentials) -> Any:
    return server.client(credentials, service="iam")


def create(client: Any, name: str, **kw: Any) -> dict[str, Any]:
    role: dict[str, Any] = client.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST), **kw
    )["Role"]
    return role


def test_role_round_trip(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    created = create(
        client,
        "Cognito_DemoAuth",
        Path="/app/",
        Description="signed-in users",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    arn = f"arn:aws:iam::{account.account_id}:role/app/Cognito_DemoAuth"
    assert created["Arn"] == arn
    assert created["Path"] == "/app/"
    assert created["AssumeRolePolicyDocument"] == TRUST  # decoded by botocore from IAM's encoding
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]
    role_id = created["RoleId"]
    assert role_id.startswith("AROA") and len(role_id) == 21
    assert account_of_unique_id(role_id) == account.account_id
    assert recent(created["CreateDate"])
    assert created["CreateDate"].microsecond == 0

    got = client.get_role(RoleName="cognito_demoauth")["Role"]  # any case
    assert got["RoleName"] == "Cognito_DemoAuth"
    assert got["RoleId"] == role_id and got["Arn"] == arn
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert got["Description"] == "signed-in users"
    assert got["MaxSessionDuration"] == 7200
    assert got["CreateDate"] == created["CreateDate"]
    assert got["RoleLastUsed"] == {}

    client.update_role(RoleName="Cognito_DemoAuth", Description="changed", MaxSessionDuration=3600)
    narrowed = {
        **TRUST,
        "Statement": [{**TRUST["Statement"][0], "Action": "sts:AssumeRoleWithWebIdentity"}],
    }
    client.update_assume_role_policy(
        RoleName="Cognito_DemoAuth", PolicyDocument=json.dumps(narrowed)
    )
    got = client.get_role(RoleName="Cognito_DemoAuth")["Role"]
    assert (got["Description"], got["MaxSessionDuration"]) == ("changed", 3600)
    assert got["AssumeRolePolicyDocument"] == narrowed
    described = client.update_role_description(RoleName="Cognito_DemoAuth", Description="d2")
    assert described["Role"]["Description"] == "d2"

    client.delete_role(RoleName="Cognito_DemoAuth")
    with pytest.raises(ClientError) as exc:
        client.get_role(RoleName="Cognito_DemoAuth")
    assert error_of(exc) == (
        "NoSuchEntity",
        "The role with name Cognito_DemoAuth cannot be found.",
        404,
    )


def test_names_are_unique_whatever_their_case(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    create(client, "Reader")
    with pytest.raises(ClientError) as exc:
        create(client, "READER", Path="/other/")
    assert error_of(exc) == ("EntityAlreadyExists", "Role with name READER already exists.", 409)


def test_roles_of_another_account_are_not_found(
    server: ServerProcess, account: Credentials
) -> None:
    create(iam(server, account), "Mine")
    other = iam(server, server.new_account())
    with pytest.raises(ClientError) as exc:
        other.get_role(RoleName="Mine")
    assert error_of(exc)[0] == "NoSuchEntity"
    assert other.list_roles()["Roles"] == []
    create(other, "Mine")  # the name is free in the other account


def test_list_roles_pages_and_path_prefix(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    for n in range(5):
        create(client, f"r{n}", Path="/team/" if n % 2 else "/", Tags=[{"Key": "k", "Value": "v"}])
    first = client.list_roles(MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == ["r0", "r1"]
    assert first["IsTruncated"] and first["Marker"]
    listed = first["Roles"][0]
    assert listed["AssumeRolePolicyDocument"] == TRUST
    assert "Tags" not in listed and "RoleLastUsed" not in listed  # as IAM's list shows them

    paginator = client.get_paginator("list_roles")
    names = [
        r["RoleName"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 2})
        for r in page["Roles"]
    ]
    assert names == ["r0", "r1", "r2", "r3", "r4"]
    team = client.list_roles(PathPrefix="/team/")["Roles"]
    assert [r["RoleName"] for r in team] == ["r1", "r3"]
    assert client.list_roles(PathPrefix="/TEAM/")["Roles"] == []
    assert not client.list_roles()["IsTruncated"]


def test_role_tags_are_case_insensitive(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    create(client, "Tagged", Tags=[{"Key": "Department", "Value": "finance"}])
    client.tag_role(
        RoleName="Tagged",
        Tags=[{"Key": "department", "Value": "hr"}, {"Key": "env", "Value": "prod"}],
    )
    assert client.list_role_tags(RoleName="Tagged")["Tags"] == [
        {"Key": "department", "Value": "hr"},
        {"Key": "env", "Value": "prod"},
    ]
    client.untag_role(RoleName="Tagged", TagKeys=["ENV", "absent"])
    assert client.list_role_tags(RoleName="Tagged")["Tags"] == [
        {"Key": "department", "Value": "hr"}
    ]
    with pytest.raises(ClientError) as exc:
        client.tag_role(
            RoleName="Tagged", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
        )
    assert error_of(exc) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        client.tag_role(RoleName="Tagged", Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)])
    assert error_of(exc)[0] == "LimitExceeded"
    client.tag_role(RoleName="Tagged", Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(49)])
    page = client.list_role_tags(RoleName="Tagged", MaxItems=30)
    rest = client.list_role_tags(RoleName="Tagged", Marker=page["Marker"])
    assert len(page["Tags"]) + len(rest["Tags"]) == 50 and not rest["IsTruncated"]
    with pytest.raises(ClientError) as exc:
        client.list_role_tags(RoleName="Nobody")
    assert error_of(exc)[1] == "The role with name Nobody cannot be found."


def test_inline_policies(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    create(client, "App")
    client.put_role_policy(RoleName="App", PolicyName="s3", PolicyDocument=json.dumps(S3_READ))
    client.put_role_policy(RoleName="app", PolicyName="a-first", PolicyDocument=json.dumps(S3_READ))
    got = client.get_role_policy(RoleName="App", PolicyName="s3")
    assert got["PolicyDocument"] == S3_READ and got["RoleName"] == "App"
    assert client.list_role_policies(RoleName="App")["PolicyNames"] == ["a-first", "s3"]
    pages = client.get_paginator("list_role_policies").paginate(
        RoleName="App", PaginationConfig={"PageSize": 1}
    )
    assert [n for page in pages for n in page["PolicyNames"]] == ["a-first", "s3"]

    with pytest.raises(ClientError) as exc:
        client.delete_role(RoleName="App")
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
        409,
    )
    client.delete_role_policy(RoleName="App", PolicyName="s3")
    with pytest.raises(ClientError) as exc:
        client.get_role_policy(RoleName="App", PolicyName="s3")
    assert error_of(exc) == (
        "NoSuchEntity",
        "The role policy with name s3 cannot be found.",
        404,
    )
    with pytest.raises(ClientError) as exc:
        client.delete_role_policy(RoleName="App", PolicyName="s3")
    assert error_of(exc)[0] == "NoSuchEntity"
    client.delete_role_policy(RoleName="App", PolicyName="a-first")
    client.delete_role(RoleName="App")


def test_inline_policies_are_checked(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    create(client, "App")

    def put(document: str, name: str = "p") -> tuple[str, str, int]:
        with pytest.raises(ClientError) as exc:
            client.put_role_policy(RoleName="App", PolicyName=name, PolicyDocument=document)
        return error_of(exc)

    assert put(json.dumps(TRUST)) == (
        "MalformedPolicyDocument",
        "Policy document should not specify a principal.",
        400,
    )
    assert put("{not json")[0] == "MalformedPolicyDocument"  # the engine's words for bad JSON
    # 10,240 characters for all of a role's inline policies together (whitespace not counted).
    big = {
        **S3_READ,
        "Statement": [
            {
                **S3_READ["Statement"][0],
                "Resource": ["arn:aws:s3:::b/" + "x" * 100 + str(n) for n in range(30)],
            }
        ],
    }
    text = json.dumps(big)
    client.put_role_policy(RoleName="App", PolicyName="one", PolicyDocument=text)
    client.put_role_policy(RoleName="App", PolicyName="one", PolicyDocument=text)  # replaces
    client.put_role_policy(RoleName="App", PolicyName="two", PolicyDocument=text)
    assert put(text, "three") == (
        "LimitExceeded",
        "Maximum policy size of 10240 bytes exceeded for role App",
        409,
    )
    assert client.list_role_policies(RoleName="App")["PolicyNames"] == ["one", "two"]


def test_trust_policies_are_checked(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)

    def refused(document: str) -> tuple[str, str, int]:
        with pytest.raises(ClientError) as exc:
            client.create_role(RoleName="Bad", AssumeRolePolicyDocument=document)
        return error_of(exc)

    assert refused(json.dumps(S3_READ))[0] == "MalformedPolicyDocument"
    assert refused("[]")[0] == "MalformedPolicyDocument"
    long_trust = {
        **TRUST,
        "Statement": [
            {
                **TRUST["Statement"][0],
                "Condition": {
                    "StringEquals": {
                        "cognito-identity.amazonaws.com:aud": [
                            f"us-east-1:{n:08d}-2222-4333-8444-555555555555" for n in range(60)
                        ]
                    }
                },
            }
        ],
    }
    assert refused(json.dumps(long_trust)) == (
        "LimitExceeded",
        "Cannot exceed quota for ACLSizePerRole: 2048",
        409,
    )
    assert client.list_roles()["Roles"] == []  # nothing was created
    create(client, "Good")
    with pytest.raises(ClientError) as exc:
        client.update_assume_role_policy(RoleName="Good", PolicyDocument=json.dumps(S3_READ))
    assert error_of(exc)[0] == "MalformedPolicyDocument"
    assert client.get_role(RoleName="Good")["Role"]["AssumeRolePolicyDocument"] == TRUST


def test_names_and_values_the_model_constrains(server: ServerProcess, account: Credentials) -> None:
    """What botocore does not check (``max``, ``pattern``) gets Coral's ValidationError."""
    response = post_iam(
        server,
        account,
        {
            "Action": "CreateRole",
            "RoleName": "x" * 65,
            "AssumeRolePolicyDocument": json.dumps(TRUST),
        },
    )
    assert response.status_code == 400
    assert "<Code>ValidationError</Code>" in response.text
    assert "1 validation error detected" in response.text
    assert "roleName" in response.text
    assert "Member must have length less than or equal to 64" in response.text
    response = post_iam(
        server,
        account,
        {
            "Action": "CreateRole",
            "RoleName": "bad name",
            "AssumeRolePolicyDocument": json.dumps(TRUST),
        },
    )
    assert "Member must satisfy regular expression pattern" in response.text
    with pytest.raises(ClientError) as exc:
        create(iam(server, account), "r", MaxSessionDuration=50000)
    assert error_of(exc)[0] == "ValidationError"


def test_attached_policies(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    create(client, "App")
    arns = [
        client.create_policy(
            PolicyName=f"p{n}", Path="/team/" if n == 0 else "/", PolicyDocument=json.dumps(S3_READ)
        )["Policy"]["Arn"]
        for n in range(11)
    ]
    for arn in arns[:10]:
        client.attach_role_policy(RoleName="App", PolicyArn=arn)
    client.attach_role_policy(RoleName="App", PolicyArn=arns[0])  # again: nothing changes
    with pytest.raises(ClientError) as exc:
        client.attach_role_policy(RoleName="App", PolicyArn=arns[10])
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409)

    attached = client.list_attached_role_policies(RoleName="App")
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == arns[:10]
    assert attached["AttachedPolicies"][0] == {"PolicyName": "p0", "PolicyArn": arns[0]}
    team = client.list_attached_role_policies(RoleName="App", PathPrefix="/team/")
    assert [p["PolicyName"] for p in team["AttachedPolicies"]] == ["p0"]
    pages = client.get_paginator("list_attached_role_policies").paginate(
        RoleName="App", PaginationConfig={"PageSize": 3}
    )
    assert len([p for page in pages for p in page["AttachedPolicies"]]) == 10
    assert client.get_policy(PolicyArn=arns[0])["Policy"]["AttachmentCount"] == 1

    missing = f"arn:aws:iam::{account.account_id}:policy/nope"
    with pytest.raises(ClientError) as exc:
        client.attach_role_policy(RoleName="App", PolicyArn=missing)
    assert error_of(exc) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
    with pytest.raises(ClientError) as exc:
        client.attach_role_policy(RoleName="Nobody", PolicyArn=arns[0])
    assert error_of(exc)[1] == "The role with name Nobody cannot be found."
    with pytest.raises(ClientError) as exc:
        client.detach_role_policy(RoleName="App", PolicyArn=arns[10])
    assert error_of(exc) == ("NoSuchEntity", f"Policy {arns[10]} was not found.", 404)
    with pytest.raises(ClientError) as exc:
        client.attach_role_policy(RoleName="App", PolicyArn="arn:aws:iam::123:role/x")
    assert error_of(exc) == ("InvalidInput", "ARN arn:aws:iam::123:role/x is not valid.", 400)

    with pytest.raises(ClientError) as exc:
        client.delete_role(RoleName="App")
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    with pytest.raises(ClientError) as exc:
        client.delete_policy(PolicyArn=arns[0])
    assert error_of(exc) == ("DeleteConflict", "Cannot delete a policy attached to entities.", 409)
    for arn in arns[:10]:
        client.detach_role_policy(RoleName="App", PolicyArn=arn)
    client.delete_role(RoleName="App")
    client.delete_policy(PolicyArn=arns[0])


def test_permissions_boundary(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    boundary = client.create_policy(PolicyName="Boundary", PolicyDocument=json.dumps(S3_READ))
    arn = boundary["Policy"]["Arn"]
    role = create(client, "Bounded", PermissionsBoundary=arn)
    assert role["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    assert client.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    with pytest.raises(ClientError) as exc:
        client.delete_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "DeleteConflict"
    missing = f"arn:aws:iam::{account.account_id}:policy/Missing"
    with pytest.raises(ClientError) as exc:
        create(client, "Other", PermissionsBoundary=missing)
    assert error_of(exc) == (
        "NoSuchEntity",
        f"Scope ARN: {missing} does not exist or is not attachable.",
        404,
    )
    with pytest.raises(ClientError) as exc:
        client.put_role_permissions_boundary(RoleName="Bounded", PermissionsBoundary=missing)
    assert error_of(exc)[0] == "NoSuchEntity"
    client.delete_role_permissions_boundary(RoleName="Bounded")
    assert "PermissionsBoundary" not in client.get_role(RoleName="Bounded")["Role"]
    client.put_role_permissions_boundary(RoleName="Bounded", PermissionsBoundary=arn)
    assert (
        client.get_role(RoleName="Bounded")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == arn
    )


def test_role_exists_waiter(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    create(client, "Waited")
    client.get_waiter("role_exists").wait(RoleName="Waited", WaiterConfig={"Delay": 1})
    with pytest.raises(Exception, match="Max attempts exceeded"):
        client.get_waiter("role_exists").wait(
            RoleName="Never", WaiterConfig={"Delay": 1, "MaxAttempts": 2}
        )


def test_aws_cli_creates_a_role_and_reads_it_back(
    server: ServerProcess, account: Credentials, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, account, AWS_ENDPOINT_URL_IAM=server.url)
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(TRUST, indent=2))

    def aws(*args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "awscli", "iam", *args, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    created = aws(
        "create-role",
        "--role-name", "CliRole",
        "--path", "/cli/",
        "--assume-role-policy-document", f"file://{trust_file}",
    )  # fmt: skip
    assert created["Role"]["Arn"] == f"arn:aws:iam::{account.account_id}:role/cli/CliRole"
    got = aws("get-role", "--role-name", "CliRole")["Role"]
    assert got["AssumeRolePolicyDocument"] == TRUST
    aws(
        "put-role-policy",
        "--role-name", "CliRole",
        "--policy-name", "read",
        "--policy-document", json.dumps(S3_READ),
    )  # fmt: skip
    assert (
        aws("get-role-policy", "--role-name", "CliRole", "--policy-name", "read")["PolicyDocument"]
        == S3_READ
    )
    assert [r["RoleName"] for r in aws("list-roles", "--path-prefix", "/cli/")["Roles"]] == [
        "CliRole"
    ]


def test_documents_and_dates_on_the_wire(server: ServerProcess, account: Credentials) -> None:
    """IAM's XML: the trust policy URL-encoded (spaces as ``%20``, which botocore's ``unquote``
    decodes, never ``+``), ``CreateDate`` in whole seconds."""
    spaced = json.dumps(TRUST, indent=2)
    iam(server, account).create_role(RoleName="Wire", AssumeRolePolicyDocument=spaced)
    reply = post_iam(server, account, {"Action": "GetRole", "RoleName": "Wire"})
    assert reply.status_code == 200
    encoded = reply.text.split("<AssumeRolePolicyDocument>")[1].split("<")[0]
    assert encoded == quote(spaced, safe="")
    assert "+" not in encoded and "%20" in encoded
    created = reply.text.split("<CreateDate>")[1].split("<")[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created), created
