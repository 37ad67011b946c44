"""The AWS JSON 1.1 protocol, driven by a botocore service model: routing on ``X-Amz-Target``,
request parsing, response and error encoding. It knows no particular service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel
from botocore.session import get_session

from cognitoidentity.server.errors import (
    SerializationException,
    ServiceError,
    UnknownOperationException,
    quote,
)
from cognitoidentity.server.protocol import shapes

CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_HEADER_MESSAGE = 1024
"""The longest ``x-amzn-ErrorMessage`` header value; the body carries the whole message."""


def load_service_model(name: str) -> ServiceModel:
    """The botocore model of ``name`` (e.g. ``"cognito-identity"``)."""
    return get_session().get_service_model(name)


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    model: OperationModel
    signed: bool
    """False for operations the model marks ``authtype: none`` (they accept signed calls too)."""
    service: str = ""
    """The service's signing name, the prefix of its IAM actions (``cognito-identity``, ``sts``)."""


class JsonProtocol:
    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.target_prefix: str = model.metadata["targetPrefix"]
        self.operations: dict[str, Operation] = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            unsigned = op.auth_type == "none" or "smithy.api#noAuth" in (op.auth or [])
            self.operations[name] = Operation(
                name, op, signed=not unsigned, service=model.signing_name
            )

    def route(self, target: str | None) -> Operation:
        """The operation named by ``X-Amz-Target: <prefix>.<Operation>``."""
        prefix, _, name = (target or "").partition(".")
        op = self.operations.get(name) if prefix == self.target_prefix else None
        if op is None:
            raise UnknownOperationException(f"Unknown operation {quote(target or '')}".rstrip())
        return op

    def parse(self, op: Operation, body: bytes) -> dict[str, Any]:
        """Decode and validate the body; an empty body counts as ``{}`` (what SDKs send)."""
        if body.strip():
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise SerializationException("Request body is not valid JSON") from exc
        else:
            document = {}
        return shapes.parse(op.model.input_shape, document)

    def encode(self, op: Operation, result: Any) -> bytes:
        return orjson.dumps(shapes.serialize(op.model.output_shape, result))

    @staticmethod
    def encode_error(error: ServiceError) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Status, extra headers and body of an error, in the form every SDK parses: a bare
        ``__type`` (paws takes the part before ``#``, botocore the part after), ``message``, and
        ``x-amzn-ErrorType: <Code>:`` with its trailing colon as the real service sends it."""
        body = orjson.dumps({"__type": error.code, error.message_key: error.message})
        headers = [(b"x-amzn-errortype", f"{error.code}:".encode())]
        # Only a message a header can carry: one that quotes the request (a path with an encoded
        # CR or LF, say) stays in the body alone rather than split the answer's headers. The
        # header copy is cut shorter than the body's, so that every answer's head stays small.
        message = error.message
        if message and message.isascii() and message.isprintable():
            headers.append((b"x-amzn-errormessage", quote(message, MAX_HEADER_MESSAGE).encode()))
        return error.status_code, headers, body
