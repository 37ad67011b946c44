"""The AWS Query protocol, driven by a botocore service model (STS, IAM): form-encoded
``Action=...&Version=...`` requests in, XML out. It knows no particular service, and nothing of
the pipeline that calls it.

Requests are what botocore's ``QuerySerializer`` sends, ``application/x-www-form-urlencoded`` in
the body (or the query string): scalars as ``Name=value``; structures as ``Name.Member=...``; lists
as ``Name.member.N`` (flattened lists ``Name.N``), an empty list as ``Name=``; maps as
``Name.entry.N.key`` / ``Name.entry.N.value``; booleans ``true``/``false``; timestamps ISO 8601.
Parameters are validated with the same Coral-worded constraints as the JSON protocol
(:mod:`.shapes`), under the code the Query services use, ``ValidationError``.

Responses::

    <{Op}Response xmlns="{xmlNamespace}">
      <{Op}Result>...members in shape order...</{Op}Result>
      <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
    </{Op}Response>

Errors::

    <ErrorResponse xmlns="{xmlNamespace}">
      <Error><Type>Sender|Receiver</Type><Code>...</Code><Message>...</Message></Error>
      <RequestId>...</RequestId>
    </ErrorResponse>

Modelled errors keep their model code and ``httpStatusCode`` (``IDPRejectedClaim`` 403). The
front-end errors shared with the JSON side (:mod:`cognitoidentity.server.errors`) take the names
Query services give them, e.g. ``InvalidClientTokenId`` for an unknown access key, ``ExpiredToken``
for an expired session token, ``SignatureDoesNotMatch``, ``InvalidAction``.

Unknown ``Action`` and a missing or other ``Version`` are both ``InvalidAction`` "Could not find
operation <Action> for version <Version>" (``NO_VERSION_SPECIFIED`` when absent), as Coral's Query
front end words it: the operation is looked up by the pair.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from xml.sax.saxutils import escape

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from cognitoidentity.server.errors import (
    AccessDeniedException,
    ExpiredTokenException,
    IncompleteSignatureException,
    InternalFailure,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    SerializationException,
    ServiceError,
    TooManyRequestsError,
    UnknownOperationException,
    UnrecognizedClientException,
    UnsupportedOperationException,
    ValidationException,
    quote,
)
from cognitoidentity.server.protocol import shapes
from cognitoidentity.server.protocol.base import Answer, Call, Operation, operations_of
from cognitoidentity.server.protocol.forms import FORM_CONTENT_TYPE, form_fields, may_have_fields
from cognitoidentity.server.sigv4 import HttpRequest

__all__ = [
    "FORM_CONTENT_TYPE",
    "NO_VERSION",
    "QUERY_ERROR_CODES",
    "QueryProtocol",
    "form_fields",
]

XML_CONTENT_TYPE: Final = b"text/xml"
NO_VERSION: Final = "NO_VERSION_SPECIFIED"

QUERY_ERROR_CODES: Final[dict[type[ServiceError], tuple[str, int]]] = {
    UnknownOperationException: ("InvalidAction", 400),
    ValidationException: ("ValidationError", 400),
    SerializationException: ("MalformedInput", 400),
    MissingAuthenticationTokenException: ("MissingAuthenticationToken", 403),
    IncompleteSignatureException: ("IncompleteSignature", 400),
    InvalidSignatureException: ("SignatureDoesNotMatch", 403),
    UnrecognizedClientException: ("InvalidClientTokenId", 403),
    ExpiredTokenException: ("ExpiredToken", 403),
    AccessDeniedException: ("AccessDenied", 403),
    UnsupportedOperationException: ("UnsupportedOperation", 400),
    TooManyRequestsError: ("Throttling", 400),
    InternalFailure: ("InternalFailure", 500),
}
"""Front-end errors (raised alike for JSON and Query services) under their Query names and
statuses: STS answers e.g. "(InvalidClientTokenId) ... The security token included in the request
is invalid." and "403 ExpiredToken: The security token included in the request is expired"."""

_TYPE_NAMES: Final = {
    "boolean": "Boolean",
    "integer": "Integer",
    "long": "Long",
    "double": "Double",
    "float": "Float",
    "timestamp": "Date",
    "blob": "Blob",
}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_XML_ENTITIES: Final = {"\r": "&#xD;", '"': "&quot;"}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class _Node:
    """One level of the dotted parameter names: ``Tags.member.1.Key`` → Tags/member/1/Key."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _tree(fields: Mapping[str, str]) -> _Node:
    root = _Node()
    for name, value in fields.items():
        node = root
        for part in name.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        node.value = value
    return root


def _serialized_name(shape: Shape, default: str) -> str:
    name = shape.serialization.get("name")
    return name if isinstance(name, str) and name else default


def _flattened(shape: Shape) -> bool:
    return bool(shape.serialization.get("flattened"))


def _indexed(node: _Node) -> list[_Node]:
    """The children named 1, 2, 3... in numeric order (gaps allowed)."""
    items = [(int(k), child) for k, child in node.children.items() if k.isdigit() and k.isascii()]
    return [child for _, child in sorted(items, key=lambda item: item[0])]


class _Reader:
    """Walks an input shape over the parameter tree, turning strings into typed values; type
    problems are collected with Coral-style member paths."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def read_structure(self, shape: StructureShape, node: _Node, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = _serialized_name(member, name)
            if isinstance(member, ListShape) and _flattened(member):
                key = _serialized_name(member.member, key)
            child = node.children.get(key)
            if child is None:
                continue
            where = f"{path}.{_camel(name)}" if path else _camel(name)
            value = self.read_value(member, child, where)
            if value is not None:
                out[name] = value
        return out

    def read_value(self, shape: Shape, node: _Node, where: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            return self.read_structure(shape, node, where)
        if kind == "list":
            assert isinstance(shape, ListShape)
            return self.read_list(shape, node, where)
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self.read_map(shape, node, where)
        if node.value is None:
            return None  # only nested names under a scalar: nothing that fits, ignored
        return self.read_scalar(shape, node.value, where)

    def read_list(self, shape: ListShape, node: _Node, where: str) -> list[Any]:
        container: _Node | None = node
        if not _flattened(shape):
            container = node.children.get(_serialized_name(shape.member, "member"))
        if container is None:
            return []  # ``Name=`` (an empty list) or nothing usable
        out: list[Any] = []
        for index, item in enumerate(_indexed(container), start=1):
            value = self.read_value(shape.member, item, f"{where}.{index}.member")
            if value is not None:
                out.append(value)
        return out

    def read_map(self, shape: MapShape, node: _Node, where: str) -> dict[str, Any]:
        container = node if _flattened(shape) else node.children.get("entry")
        out: dict[str, Any] = {}
        if container is None:
            return out
        key_name = _serialized_name(shape.key, "key")
        value_name = _serialized_name(shape.value, "value")
        for entry in _indexed(container):
            key_node = entry.children.get(key_name)
            value_node = entry.children.get(value_name)
            if key_node is None or key_node.value is None or value_node is None:
                continue
            value = self.read_value(shape.value, value_node, f"{where}.{key_node.value}.member")
            if value is not None:
                out[key_node.value] = value
        return out

    def read_scalar(self, shape: Shape, raw: str, where: str) -> Any:
        kind = shape.type_name
        if kind == "string":
            return raw
        try:
            if kind == "boolean":
                lowered = raw.lower()
                if lowered in ("true", "false"):
                    return lowered == "true"
            elif kind in ("integer", "long"):
                if _INTEGER.fullmatch(raw):
                    return int(raw)
            elif kind in ("double", "float"):
                return float(raw)
            elif kind == "timestamp":
                return _parse_timestamp(raw)
            elif kind == "blob":
                return base64.b64decode(raw, validate=True)
        except (ValueError, binascii.Error, OverflowError):
            pass
        type_name = _TYPE_NAMES.get(kind, kind)
        self.problems.append(
            f"{shapes.quoted_value(shape, raw)} at '{where}' failed to satisfy constraint: "
            f"Member must be a valid {type_name}"
        )
        return None


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _parse_timestamp(raw: str) -> datetime:
    if _INTEGER.fullmatch(raw) or raw.replace(".", "", 1).isdigit():
        return datetime.fromtimestamp(float(raw), UTC)
    moment = datetime.fromisoformat(raw)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso8601(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: str) -> str:
    """XML character data: escaped, and characters XML 1.0 cannot carry (most control characters,
    lone surrogates) replaced with U+FFFD, so that an echoed input never breaks the document."""
    return escape(_NOT_XML.sub("\ufffd", value), _XML_ENTITIES)


class QueryProtocol:
    """Routing, parsing and XML encoding for one Query service model: the wire protocol
    (:class:`~.base.WireProtocol`) of a form post or GET whose parameters name an ``Action``."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.version: str = model.api_version
        self.namespace: str = model.metadata.get("xmlNamespace", "")
        self.operations = operations_of(model)

    def route_request(self, request: HttpRequest) -> Call | None:
        # GETs with the parameters in the query string are Query calls too: a presigned
        # GetCallerIdentity, as Vault and the EKS authenticator send it.
        if (
            request.method not in ("POST", "GET")
            or "x-amz-target" in request.headers
            or not may_have_fields(request)
        ):
            return None
        fields = form_fields(request)
        if not fields.get("Action"):
            return None
        return Call(self.route(fields), fields)

    def parse_call(self, call: Call) -> dict[str, Any]:
        fields: Mapping[str, str] = call.raw
        return self.parse(call.operation, fields)

    def answer(self, op: Operation, result: Any, request_id: str) -> Answer:
        return Answer(200, [], self.encode(op, result, request_id), XML_CONTENT_TYPE)

    def answer_error(self, error: ServiceError, request_id: str) -> Answer:
        status, body = self.encode_error(error, request_id)
        return Answer(status, [], body, XML_CONTENT_TYPE)

    def route(self, fields: Mapping[str, str]) -> Operation:
        """The operation named by ``Action`` for this model's ``Version``."""
        action = fields.get("Action", "")
        version = fields.get("Version") or NO_VERSION
        op = self.operations.get(action)
        if op is None or version != self.version:
            raise UnknownOperationException(
                f"Could not find operation {quote(action)} for version {quote(version)}"
            )
        return op

    def parse(self, op: Operation, fields: Mapping[str, str]) -> dict[str, Any]:
        """Typed, validated parameters; raises ``ValidationException`` (``ValidationError``)."""
        shape = op.model.input_shape
        if shape is None:
            return {}
        reader = _Reader()
        params = reader.read_structure(shape, _tree(fields), "")
        problems = reader.problems or shapes.constraint_problems(shape, params)
        if problems:
            raise ValidationException(shapes.validation_message(problems))
        return params

    def encode(self, op: Operation, result: Any, request_id: str) -> bytes:
        parts = [f'<{op.name}Response xmlns="{_text(self.namespace)}">']
        shape = op.model.output_shape
        if shape is not None:
            wrapper = _result_wrapper(op.model)
            parts.append(f"<{wrapper}>")
            if result:
                _write_members(parts, shape, result)
            parts.append(f"</{wrapper}>")
        parts.append(
            f"<ResponseMetadata><RequestId>{_text(request_id)}</RequestId></ResponseMetadata>"
            f"</{op.name}Response>"
        )
        return "".join(parts).encode()

    def encode_error(self, error: ServiceError, request_id: str) -> tuple[int, bytes]:
        code, status = query_code(error)
        kind = "Sender" if error.sender_fault else "Receiver"
        body = (
            f'<ErrorResponse xmlns="{_text(self.namespace)}"><Error><Type>{kind}</Type>'
            f"<Code>{_text(code)}</Code><Message>{_text(error.message)}</Message></Error>"
            f"<RequestId>{_text(request_id)}</RequestId></ErrorResponse>"
        )
        return status, body.encode()


def query_code(error: ServiceError) -> tuple[str, int]:
    """The Query code and HTTP status of ``error``: a front-end error's Query name, else the
    error's own code and status (modelled errors carry their model's)."""
    for cls in type(error).__mro__:
        mapped = QUERY_ERROR_CODES.get(cls)
        if mapped is not None:
            return mapped
    return error.code, error.status_code


def _result_wrapper(op: OperationModel) -> str:
    wrapper = op.output_shape.serialization.get("resultWrapper") if op.output_shape else None
    return wrapper if isinstance(wrapper, str) and wrapper else f"{op.name}Result"


def _write_members(parts: list[str], shape: StructureShape, value: Mapping[str, Any]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        _write(parts, member, _serialized_name(member, name), item)


def _write(parts: list[str], shape: Shape, tag: str, value: Any) -> None:
    kind = shape.type_name
    if kind == "list":
        assert isinstance(shape, ListShape)
        if _flattened(shape):
            item_tag = _serialized_name(shape.member, tag)
            for item in value:
                _write(parts, shape.member, item_tag, item)
            return
        item_tag = _serialized_name(shape.member, "member")
        parts.append(f"<{tag}>")
        for item in value:
            _write(parts, shape.member, item_tag, item)
        parts.append(f"</{tag}>")
        return
    if kind == "map":
        assert isinstance(shape, MapShape)
        key_tag = _serialized_name(shape.key, "key")
        value_tag = _serialized_name(shape.value, "value")
        flat = _flattened(shape)
        if not flat:
            parts.append(f"<{tag}>")
        for key, item in value.items():
            parts.append(f"<{tag}>" if flat else "<entry>")
            _write(parts, shape.key, key_tag, key)
            _write(parts, shape.value, value_tag, item)
            parts.append(f"</{tag}>" if flat else "</entry>")
        if not flat:
            parts.append(f"</{tag}>")
        return
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        parts.append(f"<{tag}>")
        _write_members(parts, shape, value)
        parts.append(f"</{tag}>")
        return
    parts.append(f"<{tag}>{_scalar_text(kind, value)}</{tag}>")


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        if isinstance(value, datetime):
            return _iso8601(value)
        return _iso8601(datetime.fromtimestamp(float(value), UTC))
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    return _text(str(value))
