"""Policy documents: IAM's MalformedPolicyDocument messages, statement positions, sizes and
context keys (reference sections 4, 7 and 10)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cognitoidentity.server.policy as policy_package
from cognitoidentity.server.policy import (
    PolicyError,
    PolicyKind,
    context_keys,
    parse_policy,
    policy_size,
)

ALLOW_ALL = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
TRUST = {
    "Effect": "Allow",
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
}


def document(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body = {"Version": version, **body}
    return json.dumps(body)


def error_of(text: str, kind: PolicyKind = "identity", *, managed: bool = False) -> str:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, kind=kind, managed=managed)
    return caught.value.message


def test_public_api_is_pinned() -> None:
    assert sorted(policy_package.__all__) == [
        "ContextValue",
        "Decision",
        "Match",
        "Outcome",
        "Policy",
        "PolicyError",
        "PolicyKind",
        "Principal",
        "Request",
        "Statement",
        "context_keys",
        "evaluate",
        "parse_policy",
        "policy_size",
    ]


SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"

MALFORMED: list[tuple[str, str, PolicyKind, str]] = [
    # (case, document, kind, IAM's message)
    (
        "not JSON (trailing comma)",
        '{"Version": "2012-10-17", "Statement": [],}',
        "identity",
        "This policy contains invalid Json",
    ),
    (
        "a file name instead of a document",
        "assume-role-policy.json",
        "trust",
        "This policy contains invalid Json",
    ),
    (
        "JSON string, not an object (double-encoded)",
        json.dumps(document(ALLOW_ALL)),
        "identity",
        SYNTAX,
    ),
    (
        "unknown top-level element",
        json.dumps({"Version": "2012-10-17", "Statment": [ALLOW_ALL]}),
        "identity",
        SYNTAX,
    ),
    ("missing Statement", json.dumps({"Version": "2012-10-17"}), "identity", SYNTAX),
    ("empty Statement list", document(), "identity", SYNTAX),
    ("unknown Version", document(ALLOW_ALL, version="2012-10-18"), "identity", SYNTAX),
    ("unknown statement element", document({**ALLOW_ALL, "Actions": "s3:*"}), "identity", SYNTAX),
    ("missing Effect", document({"Action": "s3:*", "Resource": "*"}), "identity", SYNTAX),
    (
        "Effect neither Allow nor Deny",
        document({**ALLOW_ALL, "Effect": "Permit"}),
        "identity",
        SYNTAX,
    ),
    (
        "Action and NotAction",
        document({**ALLOW_ALL, "NotAction": "s3:PutObject"}),
        "identity",
        SYNTAX,
    ),
    ("Resource and NotResource", document({**ALLOW_ALL, "NotResource": "*"}), "identity", SYNTAX),
    ("Action of the wrong type", document({**ALLOW_ALL, "Action": 3}), "identity", SYNTAX),
    (
        "Resource list holding a number",
        document({**ALLOW_ALL, "Resource": ["*", 1]}),
        "identity",
        SYNTAX,
    ),
    (
        "unknown operator with a body",
        document({**ALLOW_ALL, "Condition": {"StringEqualz": {"aws:username": "x"}}}),
        "identity",
        SYNTAX,
    ),
    (
        "condition value an object",
        document({**ALLOW_ALL, "Condition": {"StringEquals": {"aws:username": {"a": 1}}}}),
        "identity",
        SYNTAX,
    ),
    (
        "duplicate member",
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}',
        "identity",
        SYNTAX,
    ),
    ("Effect in the wrong case", document({**ALLOW_ALL, "Effect": "allow"}), "identity", LEGACY),
    (
        "malformed Date value",
        document({**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-13-01"}}}),
        "identity",
        LEGACY,
    ),
    (
        "resource ARN with an empty service after ::",
        document({**ALLOW_ALL, "Resource": "arn:aws::"}),
        "identity",
        LEGACY,
    ),
    (
        "duplicate Sid",
        document({**ALLOW_ALL, "Sid": "A"}, {**ALLOW_ALL, "Sid": "A"}),
        "identity",
        "Statement IDs (SID) in a single policy must be unique.",
    ),
    (
        "Sid not alphanumeric",
        document({**ALLOW_ALL, "Sid": "read-only"}),
        "identity",
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
        "expression [0-9A-Za-z]*",
    ),
    (
        "no Action",
        document({"Effect": "Allow", "Resource": "*"}),
        "identity",
        "Policy statement must contain actions.",
    ),
    (
        "empty Action list",
        document({**ALLOW_ALL, "Action": []}),
        "identity",
        "Policy statement must contain actions.",
    ),
    (
        "no Resource",
        document({"Effect": "Allow", "Action": "s3:*"}),
        "identity",
        "Policy statement must contain resources.",
    ),
    (
        "action without a vendor",
        document({**ALLOW_ALL, "Action": "GetObject"}),
        "identity",
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ),
    (
        "action with two colons",
        document({**ALLOW_ALL, "Action": "s3:Get:Object"}),
        "identity",
        "Actions/Condition can contain only one colon.",
    ),
    (
        "vendor with a bad character",
        document({**ALLOW_ALL, "Action": "s_3:GetObject"}),
        "identity",
        "Vendor s_3 is not valid",
    ),
    (
        "resource not an ARN",
        document({**ALLOW_ALL, "Resource": "my-bucket"}),
        "identity",
        'Resource my-bucket must be in ARN format or "*".',
    ),
    (
        "IAM resource with a region",
        document({**ALLOW_ALL, "Resource": "arn:aws:iam:us-east-1:123456789012:role/x"}),
        "identity",
        "IAM resource arn:aws:iam:us-east-1:123456789012:role/x cannot contain region information.",
    ),
    (
        "IAM resource with an unknown path",
        document({**ALLOW_ALL, "Resource": "arn:aws:iam::123456789012:robot/x"}),
        "identity",
        'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
        "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
        "oidc-provider/, report/, access-report/.",
    ),
    (
        "wildcard service",
        document({**ALLOW_ALL, "Resource": "arn:aws:*:::x"}),
        "identity",
        "Resource vendor must be fully qualified and cannot contain regexes.",
    ),
    (
        "unknown partition",
        document({**ALLOW_ALL, "Resource": "arn:foo:s3:::b"}),
        "identity",
        'Partition "foo" is not valid for resource "arn:foo:s3:::b".',
    ),
    (
        "Principal in an identity policy",
        document({**ALLOW_ALL, "Principal": "*"}),
        "identity",
        "Policy document should not specify a principal.",
    ),
    (
        "Principal in a session policy",
        document({**ALLOW_ALL, "Principal": {"AWS": "*"}}),
        "session",
        "Policy document should not specify a principal.",
    ),
    (
        "trust policy without Principal",
        document({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        "trust",
        "Missing required field Principal",
    ),
    (
        "trust policy with Resource",
        document({**TRUST, "Resource": "*"}),
        "trust",
        "Has prohibited field Resource",
    ),
    (
        "trust policy with bare * principal",
        document({**TRUST, "Principal": "*"}),
        "trust",
        'AssumeRolepolicy contained an invalid principal: "STAR":"*".',
    ),
    (
        "trust policy with a non-STS action",
        document({**TRUST, "Action": "s3:GetObject"}),
        "trust",
        "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and "
        "sts:AssumeRoleWithWebIdentity",
    ),
    (
        "partial wildcard in a principal",
        document({**TRUST, "Principal": {"AWS": "arn:aws:iam::123456789012:role/*"}}),
        "trust",
        'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"',
    ),
    ("unknown principal type", document({**TRUST, "Principal": {"Human": "me"}}), "trust", SYNTAX),
    (
        "resource policy without Principal",
        document(ALLOW_ALL),
        "resource",
        "Missing required field Principal",
    ),
]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_documents_get_iams_message(text: str, kind: PolicyKind, message: str) -> None:
    assert error_of(text, kind) == message


def test_managed_policies_must_be_version_2012() -> None:
    message = "Policy document must be version 2012-10-17 or greater."
    assert error_of(document(ALLOW_ALL, version=None), managed=True) == message
    assert error_of(document(ALLOW_ALL, version="2008-10-17"), managed=True) == message
    # An inline policy without Version is accepted with 2008-10-17 semantics.
    assert parse_policy(document(ALLOW_ALL, version=None), kind="identity").version == "2008-10-17"


def test_checks_run_in_iams_order() -> None:
    # A duplicate Sid is reported before a missing Action, which comes before a bad resource.
    text = document(
        {"Sid": "A", "Effect": "Allow", "Resource": "bucket"},
        {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    )
    assert error_of(text) == "Statement IDs (SID) in a single policy must be unique."
    text = document({"Effect": "Allow", "Resource": "bucket"})
    assert error_of(text) == "Policy statement must contain actions."
    # Syntax errors come first of all.
    assert error_of(document({"Effect": "allow", "Action": 1, "Resource": "*"})) == SYNTAX


VALID: list[tuple[str, dict[str, Any], PolicyKind]] = [
    (
        "standard Cognito trust policy",
        {
            **TRUST,
            "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:abc"},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
            },
        },
        "trust",
    ),
    (
        "trust policy trusting an account",
        {**TRUST, "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"},
        "trust",
    ),
    (
        'trust policy with {"AWS": "*"}',
        {**TRUST, "Principal": {"AWS": "*"}, "Action": "sts:*"},
        "trust",
    ),
    ("statement as a single object", ALLOW_ALL, "identity"),
    (
        "booleans and numbers as condition values",
        {
            **ALLOW_ALL,
            "Condition": {
                "Bool": {"aws:SecureTransport": False},
                "NumericLessThan": {"s3:max-keys": 10},
            },
        },
        "identity",
    ),
    (
        "unknown operator with an empty body",
        {**ALLOW_ALL, "Condition": {"Whatever": {}}},
        "identity",
    ),
    (
        "epoch date",
        {**ALLOW_ALL, "Condition": {"DateLessThan": {"aws:EpochTime": "1700000000"}}},
        "identity",
    ),
    (
        "ForAllValues with IfExists",
        {
            **ALLOW_ALL,
            "Condition": {"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": ["a"]}},
        },
        "identity",
    ),
    (
        "resource policy with NotPrincipal",
        {**ALLOW_ALL, "Effect": "Deny", "NotPrincipal": {"AWS": "123456789012"}},
        "resource",
    ),
    (
        "resource policy Sid with dashes",
        {**ALLOW_ALL, "Sid": "allow-read", "Principal": "*"},
        "resource",
    ),
]


@pytest.mark.parametrize(
    ("statement", "kind"), [case[1:] for case in VALID], ids=[case[0] for case in VALID]
)
def test_valid_documents_parse(statement: dict[str, Any], kind: PolicyKind) -> None:
    parsed = parse_policy(document(statement), kind=kind, source_id="P")
    assert parsed.source_id == "P"
    assert len(parsed.statements) == 1


def test_statement_as_object_is_parsed_once() -> None:
    parsed = parse_policy(
        json.dumps({"Version": "2012-10-17", "Statement": ALLOW_ALL}), kind="identity"
    )
    assert [statement.index for statement in parsed.statements] == [0]


def test_positions_match_the_cli_example() -> None:
    # aws iam simulate-custom-policy example: StartPosition 1:38, EndPosition 1:167.
    text = (
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
        '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
    )
    (statement,) = parse_policy(text, kind="identity").statements
    assert statement.start == (1, 38)
    assert statement.end == (1, 167)


def test_positions_on_several_lines() -> None:
    text = (
        '{\n  "Version": "2012-10-17",\n  "Statement": [\n'
        '    {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},\n'
        "    {\n"
        '      "Sid": "B", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"\n'
        "    }\n  ]\n}"
    )
    first, second = parse_policy(text, kind="identity").statements
    assert (first.sid, first.start, first.end) == ("A", (4, 6), (4, 71))
    assert (second.sid, second.start, second.end) == ("B", (5, 6), (7, 6))
    assert (first.effect, second.effect) == ("Allow", "Deny")


def test_size_does_not_count_whitespace_outside_strings() -> None:
    compact = '{"Version":"2012-10-17","Statement":[{"Sid":"A b","Effect":"Allow"}]}'
    spaced = (
        '{\n  "Version" : "2012-10-17",\n\t"Statement": [ {"Sid": "A b", "Effect": "Allow"} ]\n}'
    )
    assert policy_size(compact) == len(compact)
    assert policy_size(spaced) == len(compact)
    assert policy_size('{"a":"x\\" y"}') == len('{"a":"x\\" y"}')


def test_context_keys_in_order_of_first_appearance() -> None:
    # The CLI's get-context-keys-for-custom-policy example.
    text = document(
        {
            "Effect": "Allow",
            "Action": "dynamodb:*",
            "Resource": "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}},
        }
    )
    assert context_keys([parse_policy(text, kind="identity")]) == [
        "aws:username",
        "aws:CurrentTime",
    ]


def test_context_keys_deduplicated_across_policies_and_spellings() -> None:
    first = parse_policy(
        document(
            {
                **ALLOW_ALL,
                "Condition": {
                    "StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/Dept}"},
                    "Null": {"AWS:PrincipalTag/Team": "false"},
                },
            }
        ),
        kind="identity",
    )
    second = parse_policy(
        document(
            {
                **ALLOW_ALL,
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ),
        kind="identity",
    )
    assert context_keys([first, second]) == [
        "aws:PrincipalTag/team",
        "aws:PrincipalTag/Dept",
        "aws:SourceIp",
    ]


def test_variables_are_plain_text_in_version_2008() -> None:
    text = document({**ALLOW_ALL, "Resource": "arn:aws:s3:::b/${aws:username}"}, version=None)
    assert context_keys([parse_policy(text, kind="identity")]) == []
