"""The Query protocol through botocore, both ways, for every STS operation: botocore serializes a
request and we parse it; we serialize a response (or an error) and botocore parses it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    ServiceModel,
    Shape,
    StructureShape,
)
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cognitoidentity.server.api import sts as api
from cognitoidentity.server.errors import (
    AccessDeniedException,
    ExpiredTokenException,
    InternalFailure,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    ServiceError,
    UnknownOperationException,
    UnrecognizedClientException,
    ValidationException,
)
from cognitoidentity.server.protocol.json_rpc import load_service_model
from cognitoidentity.server.protocol.query import (
    FORM_CONTENT_TYPE,
    QueryProtocol,
    _Reader,
    _tree,
    form_fields,
)
from cognitoidentity.server.sigv4 import HttpRequest

MODEL = load_service_model("sts")
PROTOCOL = QueryProtocol(MODEL)
WHEN = datetime(2026, 11, 26, 12, 30, 15, 250000, tzinfo=UTC)
NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"

# Values that satisfy the model's patterns and lengths, by shape name.
SAMPLES: dict[str, Any] = {
    "arnType": "arn:aws:iam::123456789012:role/Cognito_Auth",
    "roleSessionNameType": "session-1",
    "unrestrictedSessionPolicyDocumentType": '{"Version":"2012-10-17","Statement":[]}',
    "sessionPolicyDocumentType": '{"Version":"2012-10-17","Statement":[]}',
    "roleDurationSecondsType": 3600,
    "durationSecondsType": 3600,
    "tagKeyType": "team",
    "tagValueType": "blue green",
    "externalIdType": "external-1",
    "serialNumberType": "arn:aws:iam::123456789012:mfa/user",
    "tokenCodeType": "123456",
    "sourceIdentityType": "alice",
    "contextAssertionType": "assertion",
    "accessKeyIdType": "ASIAABCDEFGHIJKLMNOP",
    "assumedRoleIdType": "AROAEXAMPLE:session-1",
    "SAMLAssertionType": "PHNhbWw+",
    "clientTokenType": "eyJhbGciOi.eyJzdWIiOi.c2ln",
    "urlType": "www.amazon.com",
    "webIdentitySubjectType": "us-east-1:0f6a9a9e-3b9c-4d8e-b1f2-7c1e5b0e2d44",
    "TargetPrincipalType": "123456789012",
    "RootDurationSecondsType": 900,
    "userNameType": "bob",
    "federatedIdType": "123456789012:bob",
    "scopedSessionDescriptionType": "a scoped session",
    "scopedSessionIdType": "scoped-1",
    "webIdentityTokenAudienceStringType": "https://example.com",
    "webIdentityTokenDurationSecondsType": 300,
    "jwtAlgorithmType": "RS256",
    "webIdentityTokenScopeType": "read write",
    "minimumSessionTokenSizeType": 100,
    "scopedCredentialDurationSecondsType": 3600,
    "encodedMessageType": "encoded",
}


def sample(shape: Shape, depth: int = 0) -> Any:
    if shape.name in SAMPLES:
        return SAMPLES[shape.name]
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return {name: sample(member, depth + 1) for name, member in shape.members.items()}
    if kind == "list":
        assert isinstance(shape, ListShape)
        return [sample(shape.member, depth + 1), sample(shape.member, depth + 1)][
            : max(shape.metadata.get("min", 2), 1)
        ]
    if kind == "map":
        assert isinstance(shape, MapShape)
        return {"key1": sample(shape.value, depth + 1), "key 2": sample(shape.value, depth + 1)}
    if kind == "string":
        enum = shape.metadata.get("enum")
        return enum[0] if enum else "value <&> 'quoted' \"double\""
    if kind == "boolean":
        return True
    if kind in ("integer", "long"):
        return max(1, min(30, shape.metadata.get("max", 30)))
    if kind == "timestamp":
        return WHEN
    raise AssertionError(kind)


def operations() -> list[OperationModel]:
    return [MODEL.operation_model(name) for name in MODEL.operation_names]


def form_request(body: dict[str, Any], query: str = "") -> HttpRequest:
    """The HTTP request botocore's AWSRequest makes of a Query serializer's body dict."""
    return HttpRequest(
        "POST",
        "/",
        query,
        {"content-type": f"{FORM_CONTENT_TYPE}; charset=utf-8"},
        urlencode(body).encode(),
    )


def parse_error(status: int, body: bytes) -> Any:
    parser: Any = create_parser("query")  # an error response is parsed without an output shape
    return parser.parse({"status_code": status, "headers": {}, "body": body}, None)


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.name)
def test_botocore_request_parses_to_the_same_parameters(op: OperationModel) -> None:
    params = sample(op.input_shape) if op.input_shape is not None else {}
    request = create_serializer("query").serialize_to_request(params, op)
    fields = form_fields(form_request(request["body"]))
    assert fields["Action"] == op.name
    routed = PROTOCOL.route(fields)
    assert routed.name == op.name
    assert PROTOCOL.parse(routed, fields) == params


@pytest.mark.parametrize(
    "op", [o for o in operations() if o.output_shape is not None], ids=lambda op: op.name
)
def test_our_response_parses_in_botocore_to_the_same_output(op: OperationModel) -> None:
    shape = op.output_shape
    assert shape is not None
    output = sample(shape)
    body = PROTOCOL.encode(PROTOCOL.operations[op.name], output, "req-1")
    text = body.decode()
    assert text.startswith(f'<{op.name}Response xmlns="{NAMESPACE}"><{op.name}Result>')
    assert text.endswith(
        f"</{op.name}Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
        f"</{op.name}Response>"
    )
    parsed = create_parser("query").parse({"status_code": 200, "headers": {}, "body": body}, shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == output


def test_members_in_shape_order_and_timestamps_in_iso8601_utc() -> None:
    op = PROTOCOL.operations["AssumeRoleWithWebIdentity"]
    body = PROTOCOL.encode(
        op,
        {
            "Audience": "us-east-1:pool",
            "Credentials": {
                "Expiration": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                "SessionToken": "t",
                "SecretAccessKey": "s",
                "AccessKeyId": "ASIA",
            },
            "PackedPolicySize": 6,
        },
        "id",
    ).decode()
    assert (
        "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIA</AccessKeyId>"
        "<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
        "<Expiration>2026-01-02T03:04:05Z</Expiration></Credentials>"
        "<PackedPolicySize>6</PackedPolicySize><Audience>us-east-1:pool</Audience>"
        "</AssumeRoleWithWebIdentityResult>"
    ) in body


@pytest.mark.parametrize(
    ("error", "code", "status", "kind"),
    [
        (api.InvalidIdentityTokenException("bad token"), "InvalidIdentityToken", 400, "Sender"),
        (api.ExpiredTokenException("Token expired"), "ExpiredTokenException", 400, "Sender"),
        (api.IDPRejectedClaimException("rejected"), "IDPRejectedClaim", 403, "Sender"),
        (api.RegionDisabledException("off"), "RegionDisabledException", 403, "Sender"),
        (api.MalformedPolicyDocumentException("bad"), "MalformedPolicyDocument", 400, "Sender"),
        (api.PackedPolicyTooLargeException("big"), "PackedPolicyTooLarge", 400, "Sender"),
        (ValidationException("1 validation error"), "ValidationError", 400, "Sender"),
        (UnknownOperationException("Could not find"), "InvalidAction", 400, "Sender"),
        (MissingAuthenticationTokenException("m"), "MissingAuthenticationToken", 403, "Sender"),
        (InvalidSignatureException("sig"), "SignatureDoesNotMatch", 403, "Sender"),
        (UnrecognizedClientException("invalid"), "InvalidClientTokenId", 403, "Sender"),
        (ExpiredTokenException("expired"), "ExpiredToken", 403, "Sender"),
        (AccessDeniedException("Not authorized"), "AccessDenied", 403, "Sender"),
        (InternalFailure("An internal error occurred."), "InternalFailure", 500, "Receiver"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_our_errors_parse_in_botocore(
    error: ServiceError, code: str, status: int, kind: str
) -> None:
    got_status, body = PROTOCOL.encode_error(error, "req-9")
    assert got_status == status
    parsed = parse_error(got_status, body)
    assert parsed["Error"] == {"Type": kind, "Code": code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
    assert body.decode().startswith(f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>')


def test_error_messages_are_escaped() -> None:
    error = AccessDeniedException("a <b> & 'c'")
    status, body = PROTOCOL.encode_error(error, "r")
    assert b"a &lt;b&gt; &amp; 'c'" in body
    assert parse_error(status, body)["Error"]["Message"] == "a <b> & 'c'"
    # Echoed input may hold characters XML cannot carry; the document must still parse.
    status, body = PROTOCOL.encode_error(ValidationException("Value 'a\x01b\x00' at 'x'"), "r")
    assert parse_error(status, body)["Error"]["Message"] == "Value 'a\ufffdb\ufffd' at 'x'"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"Action": "Nope", "Version": "2011-06-15"}, "Could not find operation Nope for version 2011-06-15"),
        ({"Action": "GetCallerIdentity"}, "Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED"),
        ({"Action": "GetCallerIdentity", "Version": "2010-05-08"}, "Could not find operation GetCallerIdentity for version 2010-05-08"),
    ],
)  # fmt: skip
def test_unknown_action_or_version_is_invalid_action(fields: dict[str, str], message: str) -> None:
    with pytest.raises(UnknownOperationException) as exc:
        PROTOCOL.route(fields)
    assert exc.value.message == message


def parse_fields(action: str, **params: str) -> dict[str, Any]:
    fields = {"Action": action, "Version": "2011-06-15", **params}
    return PROTOCOL.parse(PROTOCOL.route(fields), fields)


def test_validation_uses_coral_messages_with_camel_case_paths() -> None:
    with pytest.raises(ValidationException) as exc:
        parse_fields(
            "AssumeRoleWithWebIdentity",
            RoleArn="arn:aws:iam::123456789012:role/R",
            RoleSessionName="bad name!",
            WebIdentityToken="abc",
            DurationSeconds="100",
        )
    assert exc.value.message == (
        "3 validation errors detected: "
        "Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy"
        " regular expression pattern: [\\w+=,.@-]*; "
        "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length"
        " greater than or equal to 4; "
        "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value"
        " greater than or equal to 900"
    )


def test_missing_required_members() -> None:
    with pytest.raises(ValidationException) as exc:
        parse_fields("AssumeRoleWithWebIdentity", RoleArn="arn:aws:iam::123456789012:role/R")
    assert exc.value.message == (
        "2 validation errors detected: "
        "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null"
    )


def test_type_errors_are_validation_errors() -> None:
    with pytest.raises(ValidationException) as exc:
        parse_fields(
            "GetSessionToken",
            DurationSeconds="soon",
        )
    assert exc.value.message == (
        "1 validation error detected: Value 'soon' at 'durationSeconds' failed to satisfy"
        " constraint: Member must be a valid Integer"
    )


def test_lists_of_structures_and_empty_lists() -> None:
    base = {
        "RoleArn": "arn:aws:iam::123456789012:role/R",
        "RoleSessionName": "s1",
    }
    params = parse_fields(
        "AssumeRole",
        **base,
        **{
            "Tags.member.2.Key": "b",
            "Tags.member.2.Value": "2",
            "Tags.member.1.Key": "a",
            "Tags.member.1.Value": "1",
            "TransitiveTagKeys": "",
        },
    )
    assert params["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert params["TransitiveTagKeys"] == []
    with pytest.raises(ValidationException) as exc:
        parse_fields("AssumeRole", **base, **{"Tags.member.1.Value": "1"})
    assert "Value null at 'tags.1.member.key' failed to satisfy constraint" in exc.value.message


def test_unknown_parameters_are_ignored() -> None:
    assert parse_fields("GetCallerIdentity", Foo="bar", **{"X.member.1": "y"}) == {}


def test_parameters_from_the_query_string() -> None:
    request = HttpRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", {}, b"")
    fields = form_fields(request)
    assert PROTOCOL.route(fields).name == "GetCallerIdentity"


# A small Query model with the rarer forms: flattened lists, maps, renamed members, booleans,
# timestamps and blobs (IAM and others use them).
TOY = ServiceModel(
    {
        "metadata": {
            "apiVersion": "2020-01-01",
            "protocol": "query",
            "xmlNamespace": "https://toy.example/doc/2020-01-01/",
            "endpointPrefix": "toy",
            "signatureVersion": "v4",
            "serviceId": "Toy",
        },
        "operations": {
            "Put": {
                "name": "Put",
                "http": {"method": "POST", "requestUri": "/"},
                "input": {"shape": "PutInput"},
                "output": {"shape": "PutOutput", "resultWrapper": "PutResult"},
            }
        },
        "shapes": {
            "PutInput": {
                "type": "structure",
                "members": {
                    "Flat": {"shape": "FlatList", "locationName": "Item"},
                    "Attributes": {"shape": "AttrMap"},
                    "Named": {"shape": "NamedMap"},
                    "Enabled": {"shape": "Bool"},
                    "When": {"shape": "Stamp"},
                    "Data": {"shape": "Blob"},
                    "Renamed": {"shape": "Str", "locationName": "Other"},
                },
            },
            "PutOutput": {
                "type": "structure",
                "members": {
                    "Flat": {"shape": "FlatList", "locationName": "Item"},
                    "Attributes": {"shape": "AttrMap"},
                    "Named": {"shape": "NamedMap"},
                    "Enabled": {"shape": "Bool"},
                    "When": {"shape": "Stamp"},
                    "Data": {"shape": "Blob"},
                    "Items": {"shape": "NamedList"},
                },
            },
            "FlatList": {"type": "list", "member": {"shape": "Str"}, "flattened": True},
            "NamedList": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
            "AttrMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
            "NamedMap": {
                "type": "map",
                "key": {"shape": "Str", "locationName": "Name"},
                "value": {"shape": "Str", "locationName": "Value"},
                "flattened": True,
            },
            "Bool": {"type": "boolean"},
            "Stamp": {"type": "timestamp"},
            "Blob": {"type": "blob"},
            "Str": {"type": "string"},
        },
    },
    service_name="toy",
)
TOY_PROTOCOL = QueryProtocol(TOY)


def test_rarer_forms_round_trip_through_botocore() -> None:
    op = TOY.operation_model("Put")
    params = {
        "Flat": ["a", "b"],
        "Attributes": {"k1": "v1", "k2": "v2"},
        "Named": {"n": "v"},
        "Enabled": False,
        "When": WHEN,
        "Data": b"\x00\x01binary",
        "Renamed": "r",
    }
    request = create_serializer("query").serialize_to_request(params, op)
    assert "Item.1" in request["body"] and "Other" in request["body"]
    fields = form_fields(form_request(request["body"]))
    assert TOY_PROTOCOL.parse(TOY_PROTOCOL.route(fields), fields) == params

    output = {k: v for k, v in params.items() if k != "Renamed"} | {"Items": ["x", "y"]}
    body = TOY_PROTOCOL.encode(TOY_PROTOCOL.operations["Put"], output, "r")
    assert b"<Items><item>x</item><item>y</item></Items>" in body
    assert b"<Item>a</Item><Item>b</Item>" in body
    assert op.output_shape is not None
    parsed = create_parser("query").parse(
        {"status_code": 200, "headers": {}, "body": body}, op.output_shape
    )
    parsed.pop("ResponseMetadata")
    assert parsed == output


def test_reader_reads_booleans_case_insensitively_and_refuses_others() -> None:
    shape = TOY.operation_model("Put").input_shape
    assert shape is not None
    reader = _Reader()
    assert reader.read_structure(shape, _tree({"Enabled": "TRUE"}), "") == {"Enabled": True}
    reader.read_structure(shape, _tree({"Enabled": "yes", "When": "never"}), "")
    assert reader.problems == [
        "Value 'yes' at 'enabled' failed to satisfy constraint: Member must be a valid Boolean",
        "Value 'never' at 'when' failed to satisfy constraint: Member must be a valid Date",
    ]
