"""Policy evaluation, table-driven from the examples of AWS's documentation as the reference
quotes them (sections 5 to 9 and 12): decisions, the statements that decided, missing context and
explanations."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from cognitoidentity.server.policy import (
    ContextValue,
    Outcome,
    Policy,
    PolicyKind,
    Principal,
    Request,
    evaluate,
    parse_policy,
)

POOL = "us-east-1:a0a0a0a0-1111-2222-3333-444444444444"
OTHER_POOL = "us-east-1:b0b0b0b0-1111-2222-3333-444444444444"
COGNITO = Principal("Federated", "cognito-identity.amazonaws.com")
AUD = "cognito-identity.amazonaws.com:aud"
AMR = "cognito-identity.amazonaws.com:amr"
SUB = "cognito-identity.amazonaws.com:sub"
AUTHENTICATED_AMR = [
    "authenticated",
    "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
    "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc:CognitoSignIn:1234",
]


def policy(
    *statements: dict[str, Any],
    kind: PolicyKind = "identity",
    name: str = "P",
    version: str | None = "2012-10-17",
) -> Policy:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        body = {"Version": version, **body}
    return parse_policy(json.dumps(body), kind=kind, source_id=name)


def allow(action: str = "s3:GetObject", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def when(condition: dict[str, Any], action: str = "s3:GetObject") -> Policy:
    return policy(allow(action, Condition=condition))


# --- trust policies (reference section 9) ------------------------------------------------------

COGNITO_TRUST = policy(
    {
        "Sid": "CognitoTrust",
        "Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        "Condition": {
            "StringEquals": {AUD: POOL},
            "ForAnyValue:StringLike": {AMR: "authenticated"},
        },
    },
    kind="trust",
    name="trust",
)


@dataclass
class TrustCase:
    name: str
    context: Mapping[str, ContextValue]
    action: str = "sts:AssumeRoleWithWebIdentity"
    principal: Principal | None = COGNITO
    outcome: Outcome = "allowed"


TRUST_CASES = [
    TrustCase("authenticated identity of the pool", {AUD: POOL, AMR: AUTHENTICATED_AMR}),
    TrustCase(
        "TagSession with the same context",
        {AUD: POOL, AMR: AUTHENTICATED_AMR},
        action="sts:TagSession",
    ),
    TrustCase("another pool", {AUD: OTHER_POOL, AMR: AUTHENTICATED_AMR}, outcome="implicitDeny"),
    TrustCase("guest identity", {AUD: POOL, AMR: ["unauthenticated"]}, outcome="implicitDeny"),
    TrustCase("no amr at all", {AUD: POOL}, outcome="implicitDeny"),
    TrustCase(
        "sts:AssumeRole instead (pitfall 2)",
        {AUD: POOL, AMR: AUTHENTICATED_AMR},
        action="sts:AssumeRole",
        outcome="implicitDeny",
    ),
    TrustCase(
        "a misspelled key is just absent (pitfall 2)",
        {"cognito-identity.amazon.com:aud": POOL, AMR: AUTHENTICATED_AMR},
        outcome="implicitDeny",
    ),
    TrustCase(
        "another identity provider",
        {AUD: POOL, AMR: AUTHENTICATED_AMR},
        principal=Principal("Federated", "accounts.google.com"),
        outcome="implicitDeny",
    ),
    TrustCase(
        "no principal", {AUD: POOL, AMR: AUTHENTICATED_AMR}, principal=None, outcome="implicitDeny"
    ),
]


@pytest.mark.parametrize("case", TRUST_CASES, ids=[case.name for case in TRUST_CASES])
def test_cognito_trust_policy(case: TrustCase) -> None:
    request = Request(case.action, "*", case.context, case.principal)
    decision = evaluate(request, [COGNITO_TRUST])
    assert decision.outcome == case.outcome
    assert decision.allowed is (case.outcome == "allowed")
    if decision.allowed:
        assert [m.statement.sid for m in decision.matched] == ["CognitoTrust"]
        assert decision.matched[0].policy is COGNITO_TRUST
    else:
        assert decision.matched == ()


def test_trust_refusal_explains_which_condition_failed() -> None:
    request = Request(
        "sts:AssumeRoleWithWebIdentity", "*", {AUD: OTHER_POOL, AMR: AUTHENTICATED_AMR}, COGNITO
    )
    decision = evaluate(request, [COGNITO_TRUST])
    assert decision.explanation == (
        "implicitDeny: no statement of the identity policies allows "
        "sts:AssumeRoleWithWebIdentity on *",
        f"Statement 1 (Sid CognitoTrust) of policy trust: condition StringEquals {AUD}: "
        f"context has '{OTHER_POOL}', policy wants '{POOL}'",
    )


def test_trust_refusal_explains_action_and_principal() -> None:
    request = Request("sts:AssumeRole", "*", {AUD: POOL}, COGNITO)
    assert evaluate(request, [COGNITO_TRUST]).explanation[1] == (
        "Statement 1 (Sid CognitoTrust) of policy trust: action sts:AssumeRole is not in Action"
    )
    request = Request("sts:AssumeRoleWithWebIdentity", "*", {}, Principal("Service", "x.com"))
    assert (
        evaluate(request, [COGNITO_TRUST])
        .explanation[1]
        .endswith("principal Service x.com is not in Principal")
    )


def test_principals_by_account_role_and_session() -> None:
    account = "123456789012"
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [account, "arn:aws:iam::210987654321:role/p/Ci"]},
            "Action": "sts:AssumeRole",
        },
        kind="trust",
    )

    def decide(arn: str) -> Outcome:
        return evaluate(Request("sts:AssumeRole", "*", {}, Principal("AWS", arn)), [trust]).outcome

    assert decide(f"arn:aws:iam::{account}:user/alice") == "allowed"
    assert decide(account) == "allowed"
    assert decide("arn:aws:iam::210987654321:role/p/Ci") == "allowed"
    assert decide("arn:aws:sts::210987654321:assumed-role/Ci/session") == "allowed"
    assert decide("arn:aws:sts::210987654321:assumed-role/Other/session") == "implicitDeny"
    assert decide("arn:aws:iam::999999999999:root") == "implicitDeny"


def test_not_principal_in_a_resource_policy() -> None:
    resource_policy = policy(
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:role/Admin"},
            "Action": "s3:*",
            "Resource": "*",
        },
        allow("s3:*", Principal="*"),
        kind="resource",
    )
    admin = Principal("AWS", "arn:aws:iam::123456789012:role/Admin")
    other = Principal("AWS", "arn:aws:iam::123456789012:role/Other")
    assert evaluate(Request("s3:GetObject", "*", {}, admin), [resource_policy]).allowed
    assert evaluate(Request("s3:GetObject", "*", {}, other), [resource_policy]).outcome == (
        "explicitDeny"
    )


# --- identity policies: elements, conditions, variables ------------------------------------------

ABAC = policy(
    allow("s3:GetObject", "arn:aws:s3:::bucket/${aws:PrincipalTag/department}/*", Sid="Abac"),
    name="abac",
)
PER_IDENTITY = policy(
    allow("s3:*", f"arn:aws:s3:::bucket/${{{SUB}}}/*"),
    name="per-identity",
)


@dataclass
class Case:
    name: str
    policies: list[Policy]
    action: str
    resource: str
    context: Mapping[str, ContextValue]
    outcome: Outcome
    missing: tuple[str, ...] = field(default=())


def case(
    name: str,
    policies: Policy | list[Policy],
    outcome: Outcome,
    context: Mapping[str, ContextValue] | None = None,
    *,
    action: str = "s3:GetObject",
    resource: str = "arn:aws:s3:::bucket/key",
    missing: tuple[str, ...] = (),
) -> Case:
    listed = policies if isinstance(policies, list) else [policies]
    return Case(name, listed, action, resource, context or {}, outcome, missing)


NOW = "2026-12-04T19:00:00Z"
EVAL_CASES = [
    # ABAC (Cognito developer guide, using attributes for access control)
    case(
        "ABAC: own department",
        ABAC,
        "allowed",
        {"aws:PrincipalTag/department": "eng"},
        resource="arn:aws:s3:::bucket/eng/report.csv",
    ),
    case(
        "ABAC: another department",
        ABAC,
        "implicitDeny",
        {"aws:PrincipalTag/department": "eng"},
        resource="arn:aws:s3:::bucket/ops/report.csv",
    ),
    case(
        "ABAC: tag key case-insensitive",
        ABAC,
        "allowed",
        {"AWS:principaltag/Department": "eng"},
        resource="arn:aws:s3:::bucket/eng/x",
    ),
    case(
        "ABAC: no tag matches nothing",
        ABAC,
        "implicitDeny",
        {},
        resource="arn:aws:s3:::bucket/eng/x",
        missing=("aws:PrincipalTag/department",),
    ),
    case(
        "ABAC: tag value is literal, not a wildcard",
        ABAC,
        "implicitDeny",
        {"aws:PrincipalTag/department": "*"},
        resource="arn:aws:s3:::bucket/eng/x",
    ),
    case(
        "per-identity prefix",
        PER_IDENTITY,
        "allowed",
        {SUB: "us-east-1:1234"},
        resource="arn:aws:s3:::bucket/us-east-1:1234/photo.jpg",
        action="s3:PutObject",
    ),
    case(
        "per-identity prefix of another identity",
        PER_IDENTITY,
        "implicitDeny",
        {SUB: "us-east-1:1234"},
        resource="arn:aws:s3:::bucket/us-east-1:9999/photo.jpg",
    ),
    # Pitfall 1: ForAllValues is vacuously true, ForAnyValue false, on an absent key.
    case(
        "ForAllValues on an absent sub holds (reproduced)",
        when({"ForAllValues:StringLike": {SUB: "repo:org/*"}}),
        "allowed",
        {},
        missing=(SUB,),
    ),
    case(
        "ForAllValues on an empty set holds (reproduced)",
        when({"ForAllValues:StringLike": {SUB: "repo:org/*"}}),
        "allowed",
        {SUB: []},
    ),
    case(
        "ForAllValues with every value listed",
        when({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}),
        "allowed",
        {"aws:TagKeys": ["b", "a"]},
    ),
    case(
        "ForAllValues with one value not listed",
        when({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}),
        "implicitDeny",
        {"aws:TagKeys": ["a", "c"]},
    ),
    case(
        "ForAnyValue on an absent key fails",
        when({"ForAnyValue:StringLike": {AMR: "authenticated"}}),
        "implicitDeny",
        {},
        missing=(AMR,),
    ),
    case(
        "Null guard closes the vacuous ForAllValues",
        when({"ForAllValues:StringLike": {SUB: "repo:org/*"}, "Null": {SUB: "false"}}),
        "implicitDeny",
        {},
        missing=(SUB,),
    ),
    case(
        "Null guard with the key present",
        when({"ForAllValues:StringLike": {SUB: "repo:org/*"}, "Null": {SUB: "false"}}),
        "allowed",
        {SUB: "repo:org/app"},
    ),
    case(
        "Null true: key absent",
        when({"Null": {"aws:TokenIssueTime": "true"}}),
        "allowed",
        {},
        missing=("aws:TokenIssueTime",),
    ),
    case(
        "Null true: key present",
        when({"Null": {"aws:TokenIssueTime": "true"}}),
        "implicitDeny",
        {"aws:TokenIssueTime": NOW},
    ),
    # IfExists, and a Deny with StringNotEqualsIfExists.
    case(
        "IfExists with the key absent",
        when({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}),
        "allowed",
        {},
        missing=("ec2:InstanceType",),
    ),
    case(
        "IfExists with another value",
        when({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}),
        "implicitDeny",
        {"ec2:InstanceType": "m5.large"},
    ),
    case(
        "Deny StringNotEqualsIfExists still denies a missing tag",
        [
            policy(
                allow(),
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "eng"}},
                },
            )
        ],
        "explicitDeny",
        {},
        missing=("aws:PrincipalTag/team",),
    ),
    case(
        "absent key: a positive operator fails",
        when({"StringEquals": {"aws:username": "bob"}}),
        "implicitDeny",
        {},
        missing=("aws:username",),
    ),
    case(
        "absent key: a negated operator holds",
        when({"StringNotEquals": {"aws:username": "bob"}}),
        "allowed",
        {},
        missing=("aws:username",),
    ),
    # NotAction with Deny: denies everything not listed (IAM user guide, NotAction).
    case(
        "NotAction Deny denies unlisted actions",
        [policy(allow("*"), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})],
        "explicitDeny",
    ),
    case(
        "NotAction Deny leaves listed actions",
        [policy(allow("*"), {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"})],
        "allowed",
        action="iam:ListRoles",
    ),
    case(
        "NotAction Allow",
        policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        "implicitDeny",
        action="IAM:CreateUser",
    ),
    case(
        "NotResource Allow excludes the listed resource",
        policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
        "implicitDeny",
        resource="arn:aws:s3:::secret/x",
    ),
    case(
        "NotResource Allow covers the rest",
        policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
        "allowed",
        resource="arn:aws:s3:::public/x",
    ),
    # Pitfall 4: case rules.
    case(
        "actions are case-insensitive",
        policy(allow("iam:ListAccessKeys")),
        "allowed",
        action="IAM:listaccesskeys",
    ),
    case(
        "action wildcards are case-insensitive",
        policy(allow("iam:*AccessKey*")),
        "allowed",
        action="iam:createaccesskey",
    ),
    case("? matches one character", policy(allow("s3:Get?bject")), "allowed"),
    case(
        "resources are case-sensitive",
        policy(allow("s3:*", "arn:aws:s3:::Bucket/*")),
        "implicitDeny",
        resource="arn:aws:s3:::bucket/key",
    ),
    case(
        "StringEquals is case-sensitive (configure-aws-credentials#318)",
        when({"StringEquals": {SUB: "repo:MyOrg/app:ref"}}),
        "implicitDeny",
        {SUB: "repo:myorg/app:ref"},
    ),
    case(
        "StringEqualsIgnoreCase folds case",
        when({"StringEqualsIgnoreCase": {SUB: "repo:MyOrg/app"}}),
        "allowed",
        {SUB: "REPO:myorg/APP"},
    ),
    case(
        "StringLike is case-sensitive",
        when({"StringLike": {SUB: "repo:MyOrg/*"}}),
        "implicitDeny",
        {SUB: "repo:myorg/app"},
    ),
    # Resource ARNs: * spans / within the resource segment, never :.
    case(
        "* spans / in the resource segment",
        policy(allow("s3:*", "arn:aws:s3:::bucket/*/test/*")),
        "allowed",
        resource="arn:aws:s3:::bucket/1/2/test/3/x",
    ),
    case(
        "* may match nothing",
        policy(allow("s3:*", "arn:aws:s3:::bucket/*/test/*")),
        "allowed",
        resource="arn:aws:s3:::bucket//test/x",
    ),
    case(
        "the slashes must be there",
        policy(allow("s3:*", "arn:aws:s3:::bucket/*/test/*")),
        "implicitDeny",
        resource="arn:aws:s3:::bucket/test/x",
    ),
    case(
        "* stays within a segment",
        policy(allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/t")),
        "implicitDeny",
        action="dynamodb:Query",
        resource="arn:aws:dynamodb:us-east-1:1:2:table/t",
    ),
    case(
        "wildcard region and account",
        policy(allow("dynamodb:*", "arn:aws:dynamodb:*:*:table/t")),
        "allowed",
        action="dynamodb:Query",
        resource="arn:aws:dynamodb:us-east-1:123456789012:table/t",
    ),
    case(
        "the resource segment keeps its colons",
        policy(allow("logs:*", "arn:aws:logs:*:*:log-group:g:*")),
        "allowed",
        action="logs:PutLogEvents",
        resource="arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s",
    ),
    case(
        "Simulate's * resource against a specific ARN",
        policy(allow("s3:*", "arn:aws:s3:::bucket/*")),
        "allowed",
        resource="*",
    ),
    # Operators.
    case(
        "IpAddress in the CIDR",
        when({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}),
        "allowed",
        {"aws:SourceIp": "203.0.113.7"},
    ),
    case(
        "IpAddress IPv6",
        when({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}),
        "allowed",
        {"aws:SourceIp": "2001:db8::1"},
    ),
    case(
        "IpAddress outside",
        when({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        "implicitDeny",
        {"aws:SourceIp": "198.51.100.1"},
    ),
    case(
        "IpAddress bare address is a /32",
        when({"IpAddress": {"aws:SourceIp": "203.0.113.7"}}),
        "allowed",
        {"aws:SourceIp": "203.0.113.7"},
    ),
    case(
        "NotIpAddress outside",
        when({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        "allowed",
        {"aws:SourceIp": "198.51.100.1"},
    ),
    case(
        "IpAddress not an address",
        when({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
        "implicitDeny",
        {"aws:SourceIp": "vpce-1a2b3c"},
    ),
    case(
        "DateLessThan before the end",
        when({"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}),
        "allowed",
        {"aws:CurrentTime": NOW},
    ),
    case(
        "DateLessThan after the end",
        when({"DateLessThan": {"aws:CurrentTime": "2026-12-04T18:59:59Z"}}),
        "implicitDeny",
        {"aws:CurrentTime": NOW},
    ),
    case(
        "DateGreaterThan with an offset",
        when({"DateGreaterThan": {"aws:CurrentTime": "2026-12-04T20:30:00+02:00"}}),
        "allowed",
        {"aws:CurrentTime": NOW},
    ),
    case(
        "Date with epoch seconds",
        when({"DateLessThanEquals": {"aws:EpochTime": "1796411000"}}),
        "allowed",
        {"aws:EpochTime": "1796410800"},
    ),
    case(
        "DateEquals date-only value",
        when({"DateEquals": {"aws:CurrentTime": "2026-12-04"}}),
        "allowed",
        {"aws:CurrentTime": "2026-12-04T00:00:00Z"},
    ),
    case(
        "Bool SecureTransport true",
        when({"Bool": {"aws:SecureTransport": "true"}}),
        "allowed",
        {"aws:SecureTransport": "true"},
    ),
    case(
        "Bool SecureTransport false",
        when({"Bool": {"aws:SecureTransport": True}}),
        "implicitDeny",
        {"aws:SecureTransport": "false"},
    ),
    case(
        "Deny when not SecureTransport",
        [
            policy(
                allow(),
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            )
        ],
        "explicitDeny",
        {"aws:SecureTransport": "false"},
    ),
    case(
        "NumericLessThanEquals",
        when({"NumericLessThanEquals": {"s3:max-keys": "10"}}),
        "allowed",
        {"s3:max-keys": "10"},
    ),
    case(
        "NumericGreaterThan decimals",
        when({"NumericGreaterThan": {"k": "1.5"}}),
        "implicitDeny",
        {"k": "1.25"},
    ),
    case("NumericNotEquals", when({"NumericNotEquals": {"k": ["1", "2"]}}), "allowed", {"k": "3"}),
    case(
        "Numeric with a non-number",
        when({"NumericEquals": {"k": "1"}}),
        "implicitDeny",
        {"k": "one"},
    ),
    case(
        "BinaryEquals",
        when({"BinaryEquals": {"k": "QmluYXJ5VmFsdWU="}}),
        "allowed",
        {"k": "QmluYXJ5VmFsdWU="},
    ),
    case(
        "ArnLike per segment",
        when({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:topic*"}}),
        "allowed",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"},
    ),
    case(
        "ArnLike * never crosses :",
        when({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:t"}}),
        "implicitDeny",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:x:123456789012:t"},
    ),
    case(
        "ArnNotEquals",
        when({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}}),
        "allowed",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:1:u"},
    ),
    case(
        "StringNotLike must differ from every value",
        when({"StringNotLike": {"k": ["a*", "b*"]}}),
        "implicitDeny",
        {"k": "bob"},
    ),
    case(
        "several values are ORed", when({"StringEquals": {"k": ["a", "b"]}}), "allowed", {"k": "b"}
    ),
    case(
        "several operators are ANDed",
        when({"StringEquals": {"k": "a"}, "StringLike": {"j": "x*"}}),
        "implicitDeny",
        {"k": "a", "j": "y"},
    ),
    case(
        "a bare operator on a multivalued key does not match (Choice)",
        when({"StringEquals": {AMR: "authenticated"}}),
        "implicitDeny",
        {AMR: AUTHENTICATED_AMR},
    ),
    case(
        "a one-element list is a single value",
        when({"StringEquals": {AMR: "unauthenticated"}}),
        "allowed",
        {AMR: ["unauthenticated"]},
    ),
    case(
        "ForAnyValue:StringNotEquals: some value differs",
        when({"ForAnyValue:StringNotEquals": {"aws:TagKeys": "a"}}),
        "allowed",
        {"aws:TagKeys": ["a", "b"]},
    ),
    case(
        "ForAllValues:StringNotEquals: no value listed",
        when({"ForAllValues:StringNotEquals": {"aws:TagKeys": "a"}}),
        "implicitDeny",
        {"aws:TagKeys": ["a", "b"]},
    ),
    # Variables in condition values, escapes and defaults.
    case(
        "variable in a condition value",
        when({"StringEquals": {"s3:prefix": "home/${aws:userid}"}}),
        "allowed",
        {
            "s3:prefix": "home/AROAEXAMPLE:CognitoIdentityCredentials",
            "aws:userid": "AROAEXAMPLE:CognitoIdentityCredentials",
        },
    ),
    case(
        "variable missing: positive operator fails",
        when({"StringEquals": {"s3:prefix": "home/${aws:userid}"}}),
        "implicitDeny",
        {"s3:prefix": "home/"},
        missing=("aws:userid",),
    ),
    case(
        "variable missing: negated operator holds",
        when({"StringNotEquals": {"s3:prefix": "home/${aws:userid}"}}),
        "allowed",
        {"s3:prefix": "home/"},
        missing=("aws:userid",),
    ),
    case(
        "variable default",
        when({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}}),
        "allowed",
        {"s3:prefix": "company-wide"},
    ),
    case(
        "variable default not used when present",
        when({"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}}),
        "implicitDeny",
        {"s3:prefix": "company-wide", "aws:PrincipalTag/team": "eng"},
    ),
    case(
        "escape ${*} is a literal *",
        when({"StringLike": {"k": "a${*}b"}}),
        "implicitDeny",
        {"k": "axxb"},
    ),
    case(
        "escape ${*} matches a star",
        when({"StringLike": {"k": "a${*}b*"}}),
        "allowed",
        {"k": "a*bc"},
    ),
    case(
        "escapes ${?} and ${$}", when({"StringEquals": {"k": "${?}${$}"}}), "allowed", {"k": "?$"}
    ),
    case(
        "variable in StringLike keeps wildcards around it",
        when({"StringLike": {"s3:prefix": "${aws:username}/*"}}),
        "allowed",
        {"s3:prefix": "bob/photos", "aws:username": "bob"},
    ),
    case(
        "variables are text in 2008-10-17",
        [policy(allow("s3:*", "arn:aws:s3:::bucket/${aws:username}/*"), version=None)],
        "allowed",
        {"aws:username": "bob"},
        resource="arn:aws:s3:::bucket/${aws:username}/x",
    ),
    case(
        "resource variable default",
        policy(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*")),
        "allowed",
        resource="arn:aws:s3:::bucket/shared/x",
    ),
    case(
        "resource variable resolving to a list of one",
        policy(allow("s3:*", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*")),
        "allowed",
        {"aws:PrincipalTag/team": ["eng"]},
        resource="arn:aws:s3:::bucket/eng/x",
    ),
    # Precedence.
    case(
        "explicit Deny wins over Allow",
        [
            policy(allow("s3:*")),
            policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}),
        ],
        "explicitDeny",
    ),
    case("no policy: implicit deny", [], "implicitDeny"),
]


@pytest.mark.parametrize("case", EVAL_CASES, ids=[c.name for c in EVAL_CASES])
def test_evaluation(case: Case) -> None:
    decision = evaluate(Request(case.action, case.resource, case.context), case.policies)
    assert decision.outcome == case.outcome, decision.explanation
    assert decision.missing_context == case.missing
    expected_effect = {"allowed": "Allow", "explicitDeny": "Deny"}.get(case.outcome)
    assert [m.statement.effect for m in decision.matched] == (
        [expected_effect] * len(decision.matched) if expected_effect else []
    )
    assert bool(decision.matched) is (case.outcome != "implicitDeny")


def test_vacuous_truth_is_flagged_in_the_explanation() -> None:
    decision = evaluate(
        Request("s3:GetObject", "*", {}), [when({"ForAllValues:StringLike": {SUB: "repo:org/*"}})]
    )
    assert decision.allowed
    assert "vacuously true" in decision.explanation[1]
    assert '"Null": {"cognito-identity.amazonaws.com:sub": "false"}' in decision.explanation[1]


def test_explicit_deny_lists_every_deny_and_only_denies() -> None:
    first = policy(
        {"Sid": "D1", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}, allow(), name="one"
    )
    second = policy(
        {"Sid": "D2", "Effect": "Deny", "Action": "s3:Get*", "Resource": "*"}, name="two"
    )
    decision = evaluate(Request("s3:GetObject", "*", {}), [first, second])
    assert [(m.policy.source_id, m.statement.sid) for m in decision.matched] == [
        ("one", "D1"),
        ("two", "D2"),
    ]
    assert decision.explanation[0] == (
        "explicitDeny: Statement 1 (Sid D1) of policy one denies s3:GetObject on *"
    )


def test_implicit_deny_explains_every_statement() -> None:
    p = policy(
        allow("s3:GetObject", "arn:aws:s3:::a/*", Sid="X"),
        allow("s3:PutObject"),
        allow("s3:*", "arn:aws:s3:::b/${aws:PrincipalTag/team}"),
        name="P",
    )
    decision = evaluate(Request("s3:PutObject", "arn:aws:s3:::b/k", {}), [p])
    assert decision.outcome == "allowed"
    decision = evaluate(Request("s3:DeleteObject", "arn:aws:s3:::b/k", {}), [p])
    assert decision.explanation == (
        "implicitDeny: no statement of the identity policies allows s3:DeleteObject on "
        "arn:aws:s3:::b/k",
        "Statement 1 (Sid X) of policy P: action s3:DeleteObject is not in Action",
        "Statement 2 of policy P: action s3:DeleteObject is not in Action",
        "Statement 3 of policy P: resource arn:aws:s3:::b/k is not in Resource "
        "(the context lacks ${aws:PrincipalTag/team})",
    )
    assert decision.missing_context == ("aws:PrincipalTag/team",)


def test_session_policies_and_boundary_intersect() -> None:
    identity = [policy(allow("s3:*"), name="role")]
    session_scope = [policy(allow("s3:GetObject"), name="PolicyInputList.1")]
    boundary = [policy(allow("s3:Get*"), allow("s3:List*"), name="boundary")]

    def decide(action: str, **kwargs: Any) -> tuple[Outcome, str]:
        decision = evaluate(Request(action, "*", {}), identity, **kwargs)
        return decision.outcome, decision.explanation[0]

    assert decide("s3:PutObject")[0] == "allowed"
    assert decide("s3:PutObject", session_policies=session_scope) == (
        "implicitDeny",
        "implicitDeny: no statement of the session policies allows s3:PutObject on *",
    )
    assert decide("s3:GetObject", session_policies=session_scope)[0] == "allowed"
    assert decide("s3:ListBucket", boundary=boundary)[0] == "allowed"
    assert decide("s3:ListBucket", boundary=boundary, session_policies=session_scope) == (
        "implicitDeny",
        "implicitDeny: no statement of the session policies allows s3:ListBucket on *",
    )
    assert decide("s3:DeleteObject", boundary=boundary)[1] == (
        "implicitDeny: no statement of the permissions boundary allows s3:DeleteObject on *"
    )
    # An empty session policy list allows nothing; a Deny in a boundary is final.
    assert decide("s3:GetObject", session_policies=[])[0] == "implicitDeny"
    deny_boundary = [
        policy({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}, allow("*"))
    ]
    assert decide("s3:GetObject", boundary=deny_boundary)[0] == "explicitDeny"
    allowed = evaluate(
        Request("s3:GetObject", "*", {}),
        identity,
        session_policies=session_scope,
        boundary=boundary,
    )
    assert [m.policy.source_id for m in allowed.matched] == [
        "role",
        "PolicyInputList.1",
        "boundary",
    ]


def test_matched_statements_carry_positions() -> None:
    text = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"},\n'
        '{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    )
    p = parse_policy(text, kind="identity", source_id="PolicyInputList.1")
    allowed = evaluate(Request("ec2:RunInstances", "*", {}), [p])
    (match,) = allowed.matched
    assert (match.policy.source_id, match.statement.start, match.statement.end) == (
        "PolicyInputList.1",
        (2, 2),
        (2, 47),
    )
    denied = evaluate(Request("s3:ListBucket", "*", {}), [p])
    assert [(m.statement.start, m.statement.end) for m in denied.matched] == [((1, 39), (1, 86))]


def test_context_values_of_other_types_are_read_as_strings() -> None:
    p = when({"NumericEquals": {"k": "3"}, "Bool": {"b": "true"}})
    # Bool compares case-insensitively, so str(True) == "True" reads as "true".
    request = Request("s3:GetObject", "*", {"k": 3, "b": True})  # type: ignore[dict-item]
    assert evaluate(request, [p]).allowed
    request = Request("s3:GetObject", "*", {"k": 4, "b": True})  # type: ignore[dict-item]
    assert evaluate(request, [p]).outcome == "implicitDeny"
