"""IAM customer managed policies, their versions and tags, the simulator and the context keys,
through boto3's ``iam`` client against a real server (both stores)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognitoidentity.server.operations.iam_common import account_of_unique_id
from tests.api.test_iam_providers import recent
from tests.api.test_iam_roles import S3_READ, TRUST, create, iam
from tests.api.test_pools import error_of
from tests.support.server import Credentials, ServerProcess


def document(action: str = "s3:GetObject", resource: str = "*", **extra: Any) -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_policy_round_trip(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    created = client.create_policy(
        PolicyName="ReadBucket",
        Path="/team/",
        PolicyDocument=json.dumps(S3_READ),
        Description="reads",
        Tags=[{"Key": "Env", "Value": "dev"}],
    )["Policy"]
    arn = f"arn:aws:iam::{account.account_id}:policy/team/ReadBucket"
    assert created["Arn"] == arn
    assert created["DefaultVersionId"] == "v1"
    assert created["AttachmentCount"] == 0 and created["IsAttachable"]
    assert created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert account_of_unique_id(created["PolicyId"]) == account.account_id
    assert recent(created["CreateDate"]) and created["UpdateDate"] == created["CreateDate"]

    got = client.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads" and got["Tags"] == [{"Key": "Env", "Value": "dev"}]
    version = client.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == S3_READ  # decoded by botocore from IAM's encoding
    assert version["IsDefaultVersion"]

    listed = client.list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in listed] == ["ReadBucket"]
    assert "Description" not in listed[0] and "Tags" not in listed[0]
    assert client.list_policies(Scope="AWS")["Policies"] == []
    assert client.list_policies(PathPrefix="/other/")["Policies"] == []

    with pytest.raises(ClientError) as exc:
        client.create_policy(PolicyName="readbucket", PolicyDocument=json.dumps(S3_READ))
    assert error_of(exc) == (
        "EntityAlreadyExists",
        "A policy called readbucket already exists. Duplicate names are not allowed.",
        409,
    )
    client.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        client.get_policy(PolicyArn=arn)
    assert error_of(exc) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    with pytest.raises(ClientError) as exc:
        client.delete_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_policy_documents_are_checked(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)

    def refused(text: str) -> tuple[str, str, int]:
        with pytest.raises(ClientError) as exc:
            client.create_policy(PolicyName="Bad", PolicyDocument=text)
        return error_of(exc)

    old = json.dumps({"Version": "2008-10-17", "Statement": json.loads(document())["Statement"]})
    assert refused(old) == (
        "MalformedPolicyDocument",
        "Policy document must be version 2012-10-17 or greater.",
        400,
    )
    assert refused(json.dumps(TRUST)) == (
        "MalformedPolicyDocument",
        "Policy document should not specify a principal.",
        400,
    )
    resources = [f"arn:aws:s3:::bucket-{n:04d}/" + "k" * 40 for n in range(110)]
    assert refused(document(resource=resources)) == (  # type: ignore[arg-type]
        "LimitExceeded",
        "Cannot exceed quota for PolicySize: 6144",
        409,
    )
    assert client.list_policies()["Policies"] == []


def test_versions(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    arn = client.create_policy(PolicyName="Versioned", PolicyDocument=document())["Policy"]["Arn"]
    v2 = client.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:PutObject"))
    assert v2["PolicyVersion"]["VersionId"] == "v2"
    assert not v2["PolicyVersion"]["IsDefaultVersion"]
    v3 = client.create_policy_version(
        PolicyArn=arn, PolicyDocument=document("s3:ListBucket"), SetAsDefault=True
    )["PolicyVersion"]
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"]
    assert client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = client.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v3", "v2", "v1"]
    assert versions[0]["Document"]["Statement"][0]["Action"] == "s3:ListBucket"

    client.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:A"))
    client.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:B"))
    with pytest.raises(ClientError) as exc:
        client.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:C"))
    assert error_of(exc) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must"
        " delete an existing version.",
        409,
    )
    with pytest.raises(ClientError) as exc:
        client.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(exc) == (
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
        409,
    )
    client.delete_policy_version(PolicyArn=arn, VersionId="v5")
    # Numbers are never reused.
    v6 = client.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:C"))
    assert v6["PolicyVersion"]["VersionId"] == "v6"
    with pytest.raises(ClientError) as exc:
        client.get_policy_version(PolicyArn=arn, VersionId="v5")
    assert error_of(exc) == (
        "NoSuchEntity",
        f"Policy {arn} version v5 does not exist or is not attachable.",
        404,
    )
    with pytest.raises(ClientError) as exc:
        client.set_default_policy_version(PolicyArn=arn, VersionId="v9")
    assert error_of(exc)[0] == "NoSuchEntity"
    client.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    page = client.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert page["IsTruncated"]

    with pytest.raises(ClientError) as exc:
        client.delete_policy(PolicyArn=arn)
    assert error_of(exc) == (
        "DeleteConflict",
        "This policy has more than one version. Before you delete a policy, you must delete the"
        " policy's versions. The default version is deleted with the policy.",
        409,
    )
    for version in ("v2", "v3", "v4", "v6"):
        client.delete_policy_version(PolicyArn=arn, VersionId=version)
    client.delete_policy(PolicyArn=arn)


def test_list_policies_filters_and_pages(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    arns = [
        client.create_policy(PolicyName=f"p{n}", PolicyDocument=document())["Policy"]["Arn"]
        for n in range(5)
    ]
    create(client, "App", PermissionsBoundary=arns[4])
    client.attach_role_policy(RoleName="App", PolicyArn=arns[1])
    paginator = client.get_paginator("list_policies")
    names = [
        p["PolicyName"]
        for page in paginator.paginate(Scope="Local", PaginationConfig={"PageSize": 2})
        for p in page["Policies"]
    ]
    assert names == ["p0", "p1", "p2", "p3", "p4"]

    def only(**kw: Any) -> list[str]:
        return [p["PolicyName"] for p in client.list_policies(OnlyAttached=True, **kw)["Policies"]]

    assert only() == ["p1", "p4"]
    assert only(PolicyUsageFilter="PermissionsPolicy") == ["p1"]
    assert only(PolicyUsageFilter="PermissionsBoundary") == ["p4"]
    counts = {p["PolicyName"]: p["AttachmentCount"] for p in client.list_policies()["Policies"]}
    assert counts == {"p0": 0, "p1": 1, "p2": 0, "p3": 0, "p4": 0}


def test_policy_tags_are_case_sensitive(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    arn = client.create_policy(PolicyName="T", PolicyDocument=document())["Policy"]["Arn"]
    client.tag_policy(PolicyArn=arn, Tags=[{"Key": "Env", "Value": "a"}])
    client.tag_policy(PolicyArn=arn, Tags=[{"Key": "env", "Value": "b"}])
    assert client.list_policy_tags(PolicyArn=arn)["Tags"] == [
        {"Key": "Env", "Value": "a"},
        {"Key": "env", "Value": "b"},
    ]
    client.untag_policy(PolicyArn=arn, TagKeys=["Env"])
    assert client.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "env", "Value": "b"}]
    with pytest.raises(ClientError) as exc:
        client.tag_policy(PolicyArn=arn, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error_of(exc)[0] == "InvalidInput"


def test_policies_of_another_account_are_not_found(
    server: ServerProcess, account: Credentials
) -> None:
    arn = iam(server, account).create_policy(PolicyName="Mine", PolicyDocument=document())[
        "Policy"
    ]["Arn"]
    other = iam(server, server.new_account())
    create(other, "Theirs")
    with pytest.raises(ClientError) as exc:
        other.get_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        other.attach_role_policy(RoleName="Theirs", PolicyArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        other.delete_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_policy_exists_waiter(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    arn = client.create_policy(PolicyName="Waited", PolicyDocument=document())["Policy"]["Arn"]
    client.get_waiter("policy_exists").wait(PolicyArn=arn, WaiterConfig={"Delay": 1})
    with pytest.raises(Exception, match="Max attempts exceeded"):
        client.get_waiter("policy_exists").wait(
            PolicyArn=arn + "-never", WaiterConfig={"Delay": 1, "MaxAttempts": 2}
        )


# -- simulation and context keys --------------------------------------------------------------------


def test_simulate_principal_policy_abac(server: ServerProcess, account: Credentials) -> None:
    """The issue's ABAC case: a role policy allowing ``s3:GetObject`` under the caller's
    ``department`` tag; the simulator allows ``eng/...`` for department=eng and denies ``ops/...``."""
    client = iam(server, account)
    role = create(client, "Abac")
    client.put_role_policy(RoleName="Abac", PolicyName="s3", PolicyDocument=json.dumps(S3_READ))
    context = [
        {
            "ContextKeyName": "aws:PrincipalTag/department",
            "ContextKeyValues": ["eng"],
            "ContextKeyType": "string",
        }
    ]
    out = client.simulate_principal_policy(
        PolicySourceArn=role["Arn"],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::bucket/eng/report.csv", "arn:aws:s3:::bucket/ops/x"],
        ContextEntries=context,
    )
    allowed, denied = out["EvaluationResults"]
    assert allowed["EvalResourceName"] == "arn:aws:s3:::bucket/eng/report.csv"
    assert allowed["EvalDecision"] == "allowed"
    (statement,) = allowed["MatchedStatements"]
    assert statement["SourcePolicyId"] == "s3" and statement["SourcePolicyType"] == "role"
    assert statement["StartPosition"]["Line"] == 1
    assert allowed["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed"
    assert denied["EvalDecision"] == "implicitDeny" and denied["MatchedStatements"] == []

    # Without the tag the key is missing, and reported with the resource it was needed for.
    bare = client.simulate_principal_policy(
        PolicySourceArn=role["Arn"],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::bucket/eng/report.csv"],
    )["EvaluationResults"][0]
    assert bare["EvalDecision"] == "implicitDeny"
    assert bare["MissingContextValues"] == []
    specific = bare["ResourceSpecificResults"][0]
    assert specific["MissingContextValues"] == ["aws:PrincipalTag/department"]


def test_simulate_principal_policy_managed_deny_and_pages(
    server: ServerProcess, account: Credentials
) -> None:
    client = iam(server, account)
    role = create(client, "Mixed")
    client.put_role_policy(RoleName="Mixed", PolicyName="all", PolicyDocument=document("s3:*", "*"))
    deny = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}],
        }
    )
    arn = client.create_policy(PolicyName="NoDelete", PolicyDocument=deny)["Policy"]["Arn"]
    client.attach_role_policy(RoleName="Mixed", PolicyArn=arn)
    results = client.simulate_principal_policy(
        PolicySourceArn=role["Arn"],
        ActionNames=["s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"],
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in results}
    assert decisions == {
        "s3:GetObject": "allowed",
        "s3:DeleteObject": "explicitDeny",
        "ec2:RunInstances": "implicitDeny",
    }
    denied = results[1]["MatchedStatements"][0]
    assert (denied["SourcePolicyId"], denied["SourcePolicyType"]) == ("NoDelete", "user-managed")
    # Excluding the managed policy lets the inline one allow the delete.
    excluded = client.simulate_principal_policy(
        PolicySourceArn=role["Arn"],
        ActionNames=["s3:DeleteObject"],
        PolicyExclusionList=[{"PolicyArn": arn}],
    )["EvaluationResults"]
    assert excluded[0]["EvalDecision"] == "allowed"

    pages = client.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=role["Arn"],
        ActionNames=["s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"],
        PaginationConfig={"PageSize": 2},
    )
    assert len([r for page in pages for r in page["EvaluationResults"]]) == 3

    missing = f"arn:aws:iam::{account.account_id}:role/Nobody"
    with pytest.raises(ClientError) as exc:
        client.simulate_principal_policy(PolicySourceArn=missing, ActionNames=["s3:GetObject"])
    assert error_of(exc) == ("NoSuchEntity", "The role with name Nobody cannot be found.", 404)


def test_simulate_custom_policy(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::teambucket"}}'
    out = client.simulate_custom_policy(
        PolicyInputList=[text],
        ActionNames=["s3:ListBucket"],
        ResourceArns=["arn:aws:s3:::teambucket"],
    )
    (result,) = out["EvaluationResults"]
    assert result["EvalDecision"] == "allowed"
    (statement,) = result["MatchedStatements"]
    assert statement["SourcePolicyId"] == "PolicyInputList.1"
    assert statement["StartPosition"] == {"Line": 1, "Column": 38}
    boundary = document("s3:GetObject")
    bounded = client.simulate_custom_policy(
        PolicyInputList=[text],
        PermissionsBoundaryPolicyInputList=[boundary],
        ActionNames=["s3:ListBucket"],
    )["EvaluationResults"][0]
    assert bounded["EvalDecision"] == "implicitDeny"
    assert bounded["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    with pytest.raises(ClientError) as exc:
        client.simulate_custom_policy(PolicyInputList=["{nope"], ActionNames=["s3:ListBucket"])
    assert error_of(exc)[0] == "InvalidInput"


def test_context_keys(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": "dynamodb:*",
                "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
                "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}},
            },
        }
    )
    custom = client.get_context_keys_for_custom_policy(PolicyInputList=[text])
    assert custom["ContextKeyNames"] == ["aws:username", "aws:CurrentTime"]
    role = create(client, "Keys")
    client.put_role_policy(RoleName="Keys", PolicyName="s3", PolicyDocument=json.dumps(S3_READ))
    principal = client.get_context_keys_for_principal_policy(
        PolicySourceArn=role["Arn"], PolicyInputList=[text]
    )
    assert principal["ContextKeyNames"] == [
        "aws:PrincipalTag/department",
        "aws:username",
        "aws:CurrentTime",
    ]
