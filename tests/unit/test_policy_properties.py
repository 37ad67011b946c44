"""Property tests: random policy documents (valid and invalid) and random requests never make
the engine raise anything but PolicyError, and decisions keep their invariants."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognitoidentity.server.policy import (
    Policy,
    PolicyError,
    PolicyKind,
    Principal,
    Request,
    evaluate,
    parse_policy,
)
from cognitoidentity.server.policy.conditions import OPERATORS
from cognitoidentity.server.policy.globs import compile_glob
from cognitoidentity.server.policy.matching import glob_regex

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = [
    "aws:PrincipalTag/team",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:userid",
    "cognito-identity.amazonaws.com:amr",
    "cognito-identity.amazonaws.com:aud",
    "s3:prefix",
    "k",
]
# Text that exercises wildcards, variables, escapes, defaults, ARNs, dates, numbers and IPs.
atoms = st.sampled_from(
    [
        "*",
        "?",
        ":",
        "/",
        "${",
        "}",
        "${*}",
        "${?}",
        "${$}",
        "${aws:userid}",
        "${aws:PrincipalTag/team, 'x'}",
        "${k",
        "arn",
        "aws",
        "s3",
        "iam",
        "role/",
        "eng",
        "10.0.0.0/8",
        "::1",
        "2026-12-04T19:00:00Z",
        "12",
        "-",
        ".",
        "true",
        "QQ==",
        "\\",
        "us-east-1",
        "123456789012",
        "",
    ]
)
text = st.lists(atoms, max_size=6).map("".join) | st.text(max_size=12)
strings = st.one_of(text, st.lists(text, max_size=3))
operators = st.builds(
    lambda prefix, base, suffix: prefix + base + suffix,
    st.sampled_from(["", "", "ForAnyValue:", "ForAllValues:", "forallvalues:"]),
    st.sampled_from(sorted(OPERATORS)) | text,
    st.sampled_from(["", "", "IfExists"]),
)
condition_values = st.one_of(
    strings,
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.booleans() | st.integers(), max_size=2),
)
conditions = st.dictionaries(
    operators,
    st.dictionaries(st.sampled_from(KEYS) | text, condition_values, max_size=2)
    | st.just({})
    | text,
    max_size=3,
)
actions = st.one_of(
    st.sampled_from(
        [
            "s3:GetObject",
            "s3:*",
            "*",
            "sts:AssumeRoleWithWebIdentity",
            "iam:*Key*",
            "s3:Get?bject",
            "sts:TagSession",
        ]
    ),
    text,
)
resources = st.one_of(
    st.sampled_from(
        [
            "*",
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*",
            "arn:aws:iam::123456789012:role/*",
            "arn:aws:dynamodb:*:*:table/t",
        ]
    ),
    text,
)
principals = st.one_of(
    st.just("*"),
    st.dictionaries(
        st.sampled_from(["AWS", "Federated", "Service", "CanonicalUser"]) | text,
        st.sampled_from(
            [
                "*",
                "123456789012",
                "arn:aws:iam::123456789012:root",
                "cognito-identity.amazonaws.com",
                "arn:aws:iam::1:role/*",
            ]
        )
        | st.lists(text, max_size=2),
        max_size=2,
    ),
    text,
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny", "allow", "Permit", 1])),
    }
    optional = {
        "Sid": st.sampled_from(["A", "B", "a-b", ""]) | text,
        "Action": actions | st.lists(actions, max_size=3),
        "NotAction": actions | st.lists(actions, max_size=2),
        "Resource": resources | st.lists(resources, max_size=3),
        "NotResource": resources,
        "Principal": principals,
        "NotPrincipal": principals,
        "Condition": conditions,
        "Unknown": text,
    }
    for name, strategy in optional.items():
        if draw(st.integers(0, 3)) == 0 or (name == "Action" and draw(st.booleans())):
            statement[name] = draw(strategy)
    return statement


valid_actions = st.sampled_from(
    ["s3:GetObject", "s3:*", "*", "iam:*Key*", "s3:Get?bject", "sts:AssumeRoleWithWebIdentity"]
)
valid_resources = st.sampled_from(
    [
        "*",
        "arn:aws:s3:::bucket/*",
        "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*",
        "arn:aws:s3:::bucket/${aws:userid, 'x'}${*}",
        "arn:aws:iam::123456789012:role/*",
        "arn:aws:dynamodb:*:*:table/t",
    ]
)
valid_values = st.sampled_from(
    [
        "eng",
        "e*",
        "${aws:userid}",
        "10.0.0.0/8",
        "2026-12-04T19:00:00Z",
        "12",
        "true",
        "QQ==",
        "arn:aws:s3:::*",
        "${aws:PrincipalTag/team, 'x'}",
        "${?}",
    ]
)


def _valid_condition(prefix: str, base: str, suffix: str) -> str:
    return prefix + base + suffix


@st.composite
def valid_statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.lists(valid_actions, min_size=1, max_size=3)
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(valid_resources),
    }
    if draw(st.booleans()):
        statement["Condition"] = draw(
            st.dictionaries(
                st.builds(
                    _valid_condition,
                    st.sampled_from(["", "ForAnyValue:", "ForAllValues:"]),
                    st.sampled_from(
                        sorted(
                            OPERATORS
                            - {
                                "DateEquals",
                                "DateNotEquals",
                                "DateLessThan",
                                "DateLessThanEquals",
                                "DateGreaterThan",
                                "DateGreaterThanEquals",
                            }
                        )
                    ),
                    st.sampled_from(["", "IfExists"]),
                ),
                st.dictionaries(
                    st.sampled_from(KEYS),
                    st.lists(valid_values, max_size=2) | valid_values,
                    min_size=1,
                    max_size=2,
                ),
                max_size=3,
            )
        )
    return statement


@st.composite
def documents(draw: st.DrawFn) -> str:
    body: dict[str, Any] = {}
    if draw(st.booleans()):
        body["Version"] = draw(st.sampled_from(["2012-10-17", "2008-10-17", "2012-10-18"]))
    shape = draw(st.integers(0, 9))
    if shape == 0:
        body["Statement"] = draw(statements())
    elif shape < 4:
        body["Statement"] = draw(st.lists(statements(), max_size=4))
    elif shape < 9:
        body["Statement"] = draw(st.lists(valid_statements(), min_size=1, max_size=4))
    if draw(st.integers(0, 9)) == 0:
        body["Id"] = draw(text | st.integers())
    rendered = json.dumps(body, indent=draw(st.sampled_from([None, 2])))
    mutation = draw(st.integers(0, 14))
    if mutation == 0:  # cut it short: not JSON any more
        return rendered[: draw(st.integers(0, len(rendered)))]
    if mutation == 1:  # any JSON value at all
        return json.dumps(
            draw(
                st.recursive(
                    st.none() | st.booleans() | text,
                    lambda inner: (
                        st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3)
                    ),
                    max_leaves=8,
                )
            )
        )
    return rendered


context_values = st.one_of(text, st.lists(text, max_size=3))
requests = st.builds(
    Request,
    action=actions,
    resource=resources | st.sampled_from(["arn:aws:s3:::bucket/eng/x", "*"]),
    context=st.dictionaries(st.sampled_from(KEYS) | text, context_values, max_size=5),
    principal=st.none()
    | st.builds(Principal, st.sampled_from(["AWS", "Federated", "Service"]), text),
)
kinds = st.sampled_from(["identity", "trust", "session", "resource"])


def parse_or_none(document: str, kind: PolicyKind) -> Policy | None:
    try:
        return parse_policy(document, kind=kind, source_id="P")
    except PolicyError as error:
        assert error.message
        return None


@BOUNDED
@given(st.lists(st.tuples(documents(), kinds), min_size=1, max_size=3), requests)
def test_random_documents_and_requests_raise_only_policy_errors(
    drawn: list[tuple[str, PolicyKind]], request: Request
) -> None:
    parsed = [p for p in (parse_or_none(doc, kind) for doc, kind in drawn) if p is not None]
    decision = evaluate(request, parsed)
    assert decision.explanation
    assert decision.outcome in ("allowed", "explicitDeny", "implicitDeny")
    effects = {match.statement.effect for match in decision.matched}
    if decision.outcome == "explicitDeny":
        assert effects == {"Deny"}
    elif decision.outcome == "allowed":
        assert effects == {"Allow"}
    else:
        assert not decision.matched
    # Every parsed statement is accounted for when nothing applies.
    if decision.outcome == "implicitDeny":
        assert len(decision.explanation) == 1 + sum(len(p.statements) for p in parsed)


@BOUNDED
@given(st.lists(documents(), min_size=1, max_size=3), requests)
def test_a_deny_everything_statement_always_wins(documents_: list[str], request: Request) -> None:
    parsed = [p for p in (parse_or_none(doc, "identity") for doc in documents_) if p is not None]
    deny_all = parse_policy(
        '{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}',
        kind="identity",
    )
    assert evaluate(request, [*parsed, deny_all]).outcome == "explicitDeny"
    # And session policies or a boundary only ever narrow what the identity policies allow.
    alone = evaluate(request, parsed)
    narrowed = evaluate(request, parsed, session_policies=parsed[:1], boundary=parsed[1:])
    if narrowed.allowed:
        assert alone.allowed


glob_chars = st.sampled_from(["a", "b", ":", "/", "*", "?", "."])
pieces = st.lists(
    st.tuples(st.booleans(), st.lists(glob_chars, max_size=5).map("".join)), max_size=4
)
values = st.lists(st.sampled_from(["a", "b", ":", "/", ".", "*", "?"]), max_size=12).map("".join)


@BOUNDED
@given(pieces, values, st.sampled_from([None, 0, 1, 2, 5]))
def test_glob_matcher_agrees_with_the_regex_translation(
    drawn: list[tuple[bool, str]], value: str, rest_after: int | None
) -> None:
    # The backtracking-free matcher used for many-star patterns decides as the regex does.
    if rest_after is not None:  # as compile_arn sets it: at most the pattern's colons
        rest_after = min(rest_after, sum(text.count(":") for _, text in drawn))
    regex = re.compile(glob_regex(drawn, rest_after=rest_after), re.DOTALL)
    glob = compile_glob(drawn, rest_after=rest_after)
    assert glob.matches(value) is (regex.fullmatch(value) is not None)


def test_many_wildcards_against_a_long_value_stay_fast() -> None:
    # As a regex, three "a*" against 1,000 characters take tens of seconds.
    p = parse_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": "s3:*a*a*a*a*b",
                    "Resource": [
                        "arn:aws:s3:::*a*a*a*a*a*b",
                        "arn:aws:s3:::${aws:username}*a*a*a*b",
                    ],
                    "Condition": {"StringLike": {"k": ["*a*a*a*a*b", "${aws:username}*a*a*a*b"]}},
                },
            }
        ),
        kind="identity",
    )
    long = "a" * 20_000
    started = time.perf_counter()
    for action, resource, context in [
        ("s3:" + long, "*", {}),  # the action fails
        ("s3:aaaab", "arn:aws:s3:::" + long, {"aws:username": "a"}),  # the resource fails
        ("s3:aaaab", "arn:aws:s3:::aaaaab", {"k": long, "aws:username": "a"}),  # the condition
    ]:
        decision = evaluate(Request(action, resource, context), [p])
        assert decision.outcome == "implicitDeny"
        assert ("Action" in decision.explanation[1]) is (resource == "*")
    assert time.perf_counter() - started < 1.0
    assert evaluate(
        Request("s3:xaaaab", "arn:aws:s3:::" + long + "b", {"k": long + "b", "aws:username": "q"}),
        [p],
    ).allowed
