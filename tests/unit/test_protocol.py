"""Protocol round trips through botocore, both ways, for every operation of the model:
botocore serializes a request and we parse it; we serialize a response and botocore parses it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from cognitoidentity.server.errors import (
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from cognitoidentity.server.protocol.json_rpc import JsonProtocol, load_service_model

MODEL = load_service_model("cognito-identity")
PROTOCOL = JsonProtocol(MODEL)
WHEN = datetime(2026, 11, 26, 12, 30, 15, 250000, tzinfo=UTC)

# Values that satisfy the model's patterns, by shape name.
SAMPLES: dict[str, Any] = {
    "IdentityPoolId": "us-east-1:4c5b2f0e-8f4e-4c0a-9d53-2a1d0e5a7f11",
    "IdentityId": "us-east-1:0f6a9a9e-3b9c-4d8e-b1f2-7c1e5b0e2d44",
    "AccountId": "123456789012",
    "IdentityPoolName": "My pool",
    "DeveloperProviderName": "login.example",
    "CognitoIdentityProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc",
    "CognitoIdentityProviderClientId": "client_1",
    "IdentityProviderId": "app;secret",
    "RoleType": "authenticated",
    "ClaimName": "custom:dept",
    "PaginationKey": "opaque-token",
    "ARNString": "arn:aws:iam::123456789012:role/Cognito_Auth",
    "OIDCProviderList": ["arn:aws:iam::123456789012:oidc-provider/login.example.com"],
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
        return [sample(shape.member, depth + 1)]
    if kind == "map":
        assert isinstance(shape, MapShape)
        key = sample(shape.key, depth + 1) if shape.key.name in SAMPLES else "key1"
        return {key: sample(shape.value, depth + 1)}
    if kind == "string":
        enum = shape.metadata.get("enum")
        return enum[0] if enum else "value"
    if kind == "boolean":
        return True
    if kind in ("integer", "long"):
        return max(1, min(30, shape.metadata.get("max", 30)))
    if kind == "timestamp":
        return WHEN
    raise AssertionError(kind)


def operations() -> list[OperationModel]:
    return [MODEL.operation_model(name) for name in MODEL.operation_names]


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.name)
def test_botocore_request_parses_to_the_same_parameters(op: OperationModel) -> None:
    params = sample(op.input_shape) if op.input_shape is not None else {}
    request = create_serializer("json").serialize_to_request(params, op)
    assert request["headers"]["X-Amz-Target"] == f"AWSCognitoIdentityService.{op.name}"
    routed = PROTOCOL.route(request["headers"]["X-Amz-Target"])
    assert routed.name == op.name
    assert PROTOCOL.parse(routed, request["body"]) == params


@pytest.mark.parametrize(
    "op", [o for o in operations() if o.output_shape is not None], ids=lambda op: op.name
)
def test_our_response_parses_in_botocore_to_the_same_output(op: OperationModel) -> None:
    shape = op.output_shape
    assert shape is not None
    output = sample(shape)
    body = PROTOCOL.encode(PROTOCOL.route(f"AWSCognitoIdentityService.{op.name}"), output)
    document = orjson.loads(body)
    parsed = create_parser("json").parse({"status_code": 200, "headers": {}, "body": body}, shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == output
    for stamp in _timestamps(document, shape):
        assert isinstance(stamp, float | int)  # epoch seconds, as paws requires


def _timestamps(value: Any, shape: Shape) -> list[Any]:
    if shape.type_name == "timestamp":
        return [value]
    if isinstance(shape, StructureShape):
        return [t for k, v in value.items() for t in _timestamps(v, shape.members[k])]
    if isinstance(shape, ListShape):
        return [t for v in value for t in _timestamps(v, shape.member)]
    if isinstance(shape, MapShape):
        return [t for v in value.values() for t in _timestamps(v, shape.value)]
    return []


def test_an_error_message_a_header_cannot_carry_stays_in_the_body() -> None:
    message = "No operation at POST /\r\nx-forged: 1"
    status, headers, body = PROTOCOL.encode_error(UnknownOperationException(message))
    assert status == 400
    assert dict(headers) == {b"x-amzn-errortype": b"UnknownOperationException:"}
    assert orjson.loads(body)["message"] == message


def test_our_errors_parse_in_botocore() -> None:
    from cognitoidentity.server.api.cognito_identity import ResourceNotFoundException

    status, headers, body = PROTOCOL.encode_error(
        ResourceNotFoundException("IdentityPool 'x' not found.")
    )
    parser: Any = create_parser("json")  # an error response is parsed without an output shape
    parsed = parser.parse(
        {
            "status_code": status,
            "headers": {k.decode(): v.decode() for k, v in headers},
            "body": body,
        },
        None,
    )
    assert parsed["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "IdentityPool 'x' not found.",
    }
    assert status == 400


def test_validation_collects_every_problem() -> None:
    op = PROTOCOL.route("AWSCognitoIdentityService.CreateIdentityPool")
    body = orjson.dumps(
        {
            "IdentityPoolName": "",
            "SupportedLoginProviders": {"graph.facebook.com": "bad value!"},
            "CognitoIdentityProviders": [{"ProviderName": "x", "ClientId": "bad-id!"}],
        }
    )
    with pytest.raises(ValidationException) as exc:
        PROTOCOL.parse(op, body)
    message = str(exc.value)
    assert message.startswith("5 validation errors detected: ")
    assert (
        "Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null"
        in message
    )
    assert (
        "Value '' at 'identityPoolName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        in message
    )
    assert (
        "at 'supportedLoginProviders' failed to satisfy constraint: Map value must satisfy constraint: [Member must satisfy regular expression pattern: [\\w.;_/-]+]"
        in message
    )
    assert (
        "at 'cognitoIdentityProviders.1.member.clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w_]+"
        in message
    )


def test_java_patterns_are_ascii_and_whole_string() -> None:
    op = PROTOCOL.route("AWSCognitoIdentityService.DescribeIdentityPool")
    for bad in ("us-east-1:ABCDEF", "us-east-1:abc\n", "é:abc"):
        with pytest.raises(ValidationException):
            PROTOCOL.parse(op, orjson.dumps({"IdentityPoolId": bad}))


def test_integers_refuse_booleans_and_fractions() -> None:
    op = PROTOCOL.route("AWSCognitoIdentityService.ListIdentityPools")
    for bad in (b'{"MaxResults": true}', b'{"MaxResults": 1.5}', b'{"MaxResults": "5"}'):
        with pytest.raises(SerializationException):
            PROTOCOL.parse(op, bad)
    assert PROTOCOL.parse(op, b'{"MaxResults": 5.0}') == {"MaxResults": 5}


def test_nulls_count_as_absent() -> None:
    op = PROTOCOL.route("AWSCognitoIdentityService.ListIdentityPools")
    assert PROTOCOL.parse(op, b'{"MaxResults": 5, "NextToken": null}') == {"MaxResults": 5}


def test_every_operation_of_the_model_is_served() -> None:
    from cognitoidentity.server.operations import COGNITO_IDENTITY

    assert sorted(COGNITO_IDENTITY) == sorted(MODEL.operation_names)
    assert len(COGNITO_IDENTITY) == 23


def test_validation_messages_stay_short_whatever_the_input() -> None:
    """A message quotes at most 256 characters of a value, and words the first 10 problems of
    however many it counts: a request of thousands of bad items gets a short answer."""
    op = PROTOCOL.route("AWSCognitoIdentityService.CreateIdentityPool")
    body = orjson.dumps(
        {
            "IdentityPoolName": "p" * 5000,
            "AllowUnauthenticatedIdentities": True,
            "CognitoIdentityProviders": [{"ClientId": f"bad id {i}!"} for i in range(30)],
        }
    )
    with pytest.raises(ValidationException) as exc:
        PROTOCOL.parse(op, body)
    message = str(exc.value)
    assert message.startswith(
        f"31 validation errors detected: Value '{'p' * 253}...' at 'identityPoolName'"
    )
    assert message.endswith("; and 21 more")
    assert message.count("failed to satisfy constraint") == 10
    assert len(message) < 2048


def test_error_header_is_a_bounded_copy_of_the_message() -> None:
    error = ValidationException("m" * 1500)
    status, headers, body = JsonProtocol.encode_error(error)
    assert status == 400
    assert dict(headers)[b"x-amzn-errormessage"] == b"m" * 1021 + b"..."
    assert orjson.loads(body) == {"__type": "ValidationException", "message": "m" * 1500}
    assert len(ValidationException("n" * 100_000).message) == 2048
