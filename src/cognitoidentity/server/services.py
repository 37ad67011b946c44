"""The AWS services this endpoint answers, registered one way: a botocore model and a table of
operation handlers. The model says which wire protocol the service speaks (JSON 1.1 or Query) and
its signing name; the request pipeline (``app.py``) treats every service alike.

Services are tried in the order of :data:`REGISTERED`: a request goes to the first whose protocol
routes it; one that is in a protocol but names no operation of any service gets the error of the
first service of that protocol (Cognito Identity's ``UnknownOperationException``, STS's
``InvalidAction``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from botocore.model import ServiceModel

from cognitoidentity.server.operations import COGNITO_IDENTITY, Handler
from cognitoidentity.server.operations.iam import IAM
from cognitoidentity.server.operations.sts import STS
from cognitoidentity.server.protocol.base import WireProtocol
from cognitoidentity.server.protocol.json_rpc import JsonProtocol, load_service_model
from cognitoidentity.server.protocol.query import QueryProtocol
from cognitoidentity.server.sigv4 import SigV4Verifier

__all__ = ["REGISTERED", "Registration", "Service", "build_services", "protocol_for"]


@dataclass(frozen=True, slots=True)
class Registration:
    model: str
    """The botocore service name of its (vendored) model."""
    handlers: Mapping[str, Handler]
    """The operations served, by name; the model's others answer ``UnsupportedOperationException``."""


REGISTERED: tuple[Registration, ...] = (
    Registration("cognito-identity", COGNITO_IDENTITY),
    Registration("sts", STS),
    Registration("iam", IAM),
)


@dataclass(frozen=True, slots=True)
class Service:
    """One service on the endpoint: how its requests look on the wire, how their signatures are
    checked (its signing name), and its operations."""

    name: str
    protocol: WireProtocol
    verifier: SigV4Verifier
    handlers: Mapping[str, Handler]


def protocol_for(model: ServiceModel) -> WireProtocol:
    """The wire protocol a model declares (``metadata.protocol``)."""
    kind = model.metadata["protocol"]
    if kind == "json":
        return JsonProtocol(model)
    if kind == "query":
        return QueryProtocol(model)
    raise ValueError(f"{model.service_name}: no wire protocol for {kind!r}")


def build_services(
    verifier_for: Callable[[str], SigV4Verifier],
    registered: Sequence[Registration] = REGISTERED,
) -> tuple[Service, ...]:
    """Every registered service, each with a SigV4 verifier for its signing name."""
    out: list[Service] = []
    for registration in registered:
        model = load_service_model(registration.model)
        out.append(
            Service(
                name=registration.model,
                protocol=protocol_for(model),
                verifier=verifier_for(model.signing_name),
                handlers=registration.handlers,
            )
        )
    return tuple(out)
