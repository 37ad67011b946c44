"""What a wire protocol supplies to the one request pipeline (``app.py``): routing a request to an
operation, parsing its parameters, and encoding an answer or an error. Nothing else: the pipeline
authenticates, authorizes, dispatches and turns every exception into an error, the same way for
every protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel

from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.sigv4 import HttpRequest


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    model: OperationModel
    signed: bool
    """False for operations the model marks ``authtype: none`` (they accept signed calls too)."""
    service: str = ""
    """The service's signing name, the prefix of its IAM actions (``cognito-identity``, ``sts``)."""


def operations_of(model: ServiceModel) -> dict[str, Operation]:
    """Every operation of ``model`` by name, with whether it must be signed."""
    out: dict[str, Operation] = {}
    for name in model.operation_names:
        op = model.operation_model(name)
        unsigned = op.auth_type == "none" or "smithy.api#noAuth" in (op.auth or [])
        out[name] = Operation(name, op, signed=not unsigned, service=model.signing_name)
    return out


# Call and Answer are made for every request: not frozen, since a frozen dataclass's __init__
# sets each field through object.__setattr__ (about twice the cost). Nothing changes them.
@dataclass(slots=True)
class Call:
    """A request routed to one operation, with its input as the protocol read it (the JSON body,
    the form's fields), parsed only after the caller is authenticated."""

    operation: Operation
    raw: Any


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    content_type: bytes


class WireProtocol(Protocol):
    def route_request(self, request: HttpRequest) -> Call | None:
        """The call ``request`` makes, or None when it is not in this protocol at all. Raises
        ``UnknownOperationException`` when it is, but names no operation of this service."""
        ...

    def parse_call(self, call: Call) -> dict[str, Any]:
        """The call's parameters, typed and validated against the model."""
        ...

    def answer(self, op: Operation, result: Any, request_id: str) -> Answer: ...

    def answer_error(self, error: ServiceError, request_id: str) -> Answer: ...
