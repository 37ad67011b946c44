"""IAM roles and managed policies in a configuration file: what is wrong is named by file, line
and key, in IAM's words (``MalformedPolicyDocument`` from the policy engine, ``ValidationError``
from the model, the quotas), every problem at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.config.conftest import ACCOUNT, load_text

BASE = f"""
[[accounts]]
id = "{ACCOUNT}"

[[accounts.policies]]
PolicyName = "Read-Photos"
Path = "/app/"

[accounts.policies.PolicyDocument]
Version = "2012-10-17"

[[accounts.policies.PolicyDocument.Statement]]
Effect = "Allow"
Action = "s3:GetObject"
Resource = "arn:aws:s3:::photos/*"

[[accounts.roles]]
RoleName = "guest"
AttachedPolicies = ["read-photos", "arn:aws:iam::{ACCOUNT}:policy/made-elsewhere"]
InlinePolicies.logs = '{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}}}}'

[accounts.roles.AssumeRolePolicyDocument]
Version = "2012-10-17"

[[accounts.roles.AssumeRolePolicyDocument.Statement]]
Effect = "Allow"
Principal = {{ Federated = "cognito-identity.amazonaws.com" }}
Action = "sts:AssumeRoleWithWebIdentity"
"""


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}
        ],
    }
)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ValueError) as caught:
        load_text(tmp_path, text)
    return str(caught.value).splitlines()


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_valid_file_declares_roles_and_policies(tmp_path: Path) -> None:
    (account,) = load_text(tmp_path, BASE).accounts
    (declared_policy,) = account.policies
    policy = declared_policy.policy
    assert (policy.arn, policy.default_version_id) == (
        f"arn:aws:iam::{ACCOUNT}:policy/app/Read-Photos",
        "v1",
    )
    assert json.loads(policy.default_version.document)["Statement"] == [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photos/*"}
    ]
    (declared_role,) = account.roles
    role = declared_role.role
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/guest"
    assert role.attached_policies == (  # a name in any case, or an ARN
        f"arn:aws:iam::{ACCOUNT}:policy/app/Read-Photos",
        f"arn:aws:iam::{ACCOUNT}:policy/made-elsewhere",
    )
    assert json.loads(role.trust_policy)["Statement"][0]["Principal"] == {
        "Federated": "cognito-identity.amazonaws.com"
    }
    assert list(role.inline_policies) == ["logs"]


@pytest.mark.parametrize(
    ("old", "new", "at", "key", "message"),
    [
        (
            'Action = "sts:AssumeRoleWithWebIdentity"',
            'Action = "sts:AssumeRoleWithWebIdentity"\nResource = "*"',
            "[accounts.roles.AssumeRolePolicyDocument]",
            "roles[0].AssumeRolePolicyDocument",
            "MalformedPolicyDocument: Has prohibited field Resource",
        ),
        (
            'Resource = "arn:aws:s3:::photos/*"',
            'Resource = "arn:aws:s3:::photos/*"\nPrincipal = "*"',
            "[accounts.policies.PolicyDocument]",
            "policies[0].PolicyDocument",
            "MalformedPolicyDocument: Policy document should not specify a principal.",
        ),
        (
            '[accounts.policies.PolicyDocument]\nVersion = "2012-10-17"',
            '[accounts.policies.PolicyDocument]\nVersion = "2008-10-17"',
            "[accounts.policies.PolicyDocument]",
            "policies[0].PolicyDocument",
            "MalformedPolicyDocument: Policy document must be version 2012-10-17 or greater.",
        ),
        (
            '"Resource": "*"}}',
            '"Resource": "*"}',
            "InlinePolicies.logs",
            "roles[0].InlinePolicies.logs",
            "MalformedPolicyDocument: This policy contains invalid Json",
        ),
        (
            '[accounts.roles.AssumeRolePolicyDocument]\nVersion = "2012-10-17"',
            "[accounts.roles.AssumeRolePolicyDocument]\nVersion = 2012-10-17",
            "Version = 2012-10-17",
            "roles[0].AssumeRolePolicyDocument.Version",
            'a TOML date is no JSON value: quote it ("2012-10-17")',
        ),
        (
            'RoleName = "guest"',
            'RoleName = "guest/user"',
            "RoleName",
            "roles[0].RoleName",
            "ValidationError: 1 validation error detected: Value 'guest/user' at 'roleName' failed"
            r" to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+",
        ),
        (
            'RoleName = "guest"',
            'RoleName = "guest"\nMaxSessionDurations = 7200',
            "MaxSessionDurations",
            "roles[0].MaxSessionDurations",
            "unknown key 'MaxSessionDurations' (did you mean 'MaxSessionDuration'?)",
        ),
        (
            '["read-photos", ',
            '["read-photo", ',
            "AttachedPolicies",
            "roles[0].AttachedPolicies[0]",
            "no policy named 'read-photo' is declared in this account's policies (did you mean"
            " 'read-photos'?): name one of them, or give the ARN of a policy of the account",
        ),
        (
            '["read-photos", ',
            "[" + "".join(f'"arn:aws:iam::{ACCOUNT}:policy/p{n}", ' for n in range(10)),
            "AttachedPolicies",
            "roles[0].AttachedPolicies",
            "LimitExceeded: Cannot exceed quota for PoliciesPerRole: 10",
        ),
        (
            'RoleName = "guest"',
            'RoleName = "guest"\nTags = [{ Key = "Team", Value = "a" }, { Key = "team", Value = "b" }]',
            "Tags",
            "roles[0].Tags",
            "InvalidInput: Duplicate tag keys found. Please note that Tag keys are case"
            " insensitive.",
        ),
    ],
)
def test_a_bad_role_or_policy_is_named_by_line_and_key_in_iams_words(
    tmp_path: Path, old: str, new: str, at: str, key: str, message: str
) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    (found,) = problems(tmp_path, text)
    assert found == f"{tmp_path / 'c.toml'}:{line_of(text, at)}: accounts[0].{key}: {message}"


def test_every_problem_of_a_role_is_told_at_once(tmp_path: Path) -> None:
    text = (
        BASE.replace('RoleName = "guest"', 'RoleName = "guest"\nMaxSessionDuration = 60')
        .replace('Action = "sts:AssumeRoleWithWebIdentity"', 'Action = "sts:AssumeRole"\nSid = 1')
        .replace("[[accounts.policies]]", '[[accounts.policies]]\nTags = [{ Key = "aws:x" }]')
        + f"""
[[accounts.roles]]
RoleName = "GUEST"
AssumeRolePolicyDocument = '{TRUST}'
"""
    )
    found = problems(tmp_path, text)
    assert [message.split(": ", 2)[1] for message in found] == [
        "accounts[0].policies[0].Tags[0]",
        "accounts[0].roles[0].MaxSessionDuration",
        "accounts[0].roles[0].AssumeRolePolicyDocument",
        "accounts[0].roles[1].RoleName",
    ]
    assert "Value null at 'tags.1.member.value' failed to satisfy constraint" in found[0]
    assert "Member must have value greater than or equal to 3600" in found[1]
    assert found[2].endswith("MalformedPolicyDocument: Syntax errors in policy.")
    assert found[3].endswith("role GUEST is declared twice (names are unique whatever their case)")
