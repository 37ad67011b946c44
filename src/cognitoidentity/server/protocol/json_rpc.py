"""The AWS JSON 1.1 protocol, driven by a botocore service model: routing on ``X-Amz-Target``,
request parsing, response and error encoding. It knows no particular service, and nothing of the
pipeline that calls it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from botocore.model import ServiceModel

from cognitoidentity import _models
from cognitoidentity.server.errors import (
    SerializationException,
    ServiceError,
    UnknownOperationException,
    quote,
)
from cognitoidentity.server.protocol import shapes
from cognitoidentity.server.protocol.base import Answer, Call, Operation, operations_of
from cognitoidentity.server.sigv4 import HttpRequest

__all__ = ["CONTENT_TYPE", "JsonProtocol", "Operation", "load_service_model"]

CONTENT_TYPE = "application/x-amz-json-1.1"
CONTENT_TYPE_BYTES = CONTENT_TYPE.encode()
MAX_HEADER_MESSAGE = 1024
"""The longest ``x-amzn-ErrorMessage`` header value; the body carries the whole message."""


def load_service_model(name: str) -> ServiceModel:
    """The vendored botocore model of ``name`` (e.g. ``"cognito-identity"``), never the installed
    botocore's: the generated types in ``server/api`` come from the same file."""
    return ServiceModel(_models.load(name), service_name=name)


class JsonProtocol:
    """The wire protocol (:class:`~.base.WireProtocol`) of one JSON 1.1 service: a ``POST`` whose
    ``X-Amz-Target`` is ``<targetPrefix>.<Operation>``."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.target_prefix: str = model.metadata["targetPrefix"]
        self.operations = operations_of(model)
        # Each operation's compiled input check and output writer, made at first use.
        self._parsers: dict[str, Callable[[Any], dict[str, Any]]] = {}
        self._serializers: dict[str, Callable[[Any], Any]] = {}

    def route_request(self, request: HttpRequest) -> Call | None:
        target = request.headers.get("x-amz-target")
        if target is None or request.method != "POST":
            return None
        return Call(self.route(target), request.body)

    def parse_call(self, call: Call) -> dict[str, Any]:
        body: bytes = call.raw
        return self.parse(call.operation, body)

    def answer(self, op: Operation, result: Any, request_id: str) -> Answer:
        return Answer(200, [], self.encode(op, result), CONTENT_TYPE_BYTES)

    def answer_error(self, error: ServiceError, request_id: str) -> Answer:
        status, headers, body = self.encode_error(error)
        return Answer(status, headers, body, CONTENT_TYPE_BYTES)

    def route(self, target: str | None) -> Operation:
        """The operation named by ``X-Amz-Target: <prefix>.<Operation>``."""
        prefix, _, name = (target or "").partition(".")
        op = self.operations.get(name) if prefix == self.target_prefix else None
        if op is None:
            raise UnknownOperationException(f"Unknown operation {quote(target or '')}".rstrip())
        return op

    def parse(self, op: Operation, body: bytes) -> dict[str, Any]:
        """Decode and validate the body; an empty body counts as ``{}`` (what SDKs send)."""
        if body and not body.isspace():  # body.strip(), without the copy
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise SerializationException("Request body is not valid JSON") from exc
        else:
            document = {}
        parse = self._parsers.get(op.name)
        if parse is None:
            parse = self._parsers[op.name] = shapes.parser(op.model.input_shape)
        return parse(document)

    def encode(self, op: Operation, result: Any) -> bytes:
        serialize = self._serializers.get(op.name)
        if serialize is None:
            serialize = self._serializers[op.name] = shapes.serializer(op.model.output_shape)
        return orjson.dumps(serialize(result))

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
