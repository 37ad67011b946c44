"""This server's own endpoints, beside the AWS services: JSON over ``POST /_cognitoidentity/v1/...``,
signed with SigV4 for the service name ``cognito-identity`` like any Cognito Identity call.

    POST /_cognitoidentity/v1/decisions   Decide: may the caller of a forwarded request do this?
                                          (:mod:`.decisions`)
    POST /_cognitoidentity/v1/explain     ExplainRoleChoice: how GetCredentialsForIdentity would
                                          choose a role for these logins (:mod:`.explain`)

They are a service like the AWS ones (:class:`~.services.Service`) and go through the one request
pipeline (``app.py``): authentication, the model's input validation (a botocore-style model,
:data:`MODEL`, which borrows Cognito Identity's shapes for pool ids, identity ids and ``Logins``),
the one authorization point, where their actions are ``cognitoidentity:Decide`` and
``cognitoidentity:ExplainRoleChoice`` (**Choice**: a prefix of this server's own, so that no AWS
policy written for ``cognito-identity:*`` grants them by accident), and the one place that turns
exceptions into errors. Errors have the JSON 1.1 services' body, ``{"__type", "message"}``;
answers are plain JSON (``application/json``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import orjson
from botocore.model import ServiceModel

from cognitoidentity import _models
from cognitoidentity.server.decisions import DecisionDesk
from cognitoidentity.server.errors import (
    SerializationException,
    ServiceError,
    UnknownOperationException,
    quote,
)
from cognitoidentity.server.explain import explain_role_choice_call
from cognitoidentity.server.operations import Handler
from cognitoidentity.server.protocol import shapes
from cognitoidentity.server.protocol.base import Answer, Call, Operation, operations_of
from cognitoidentity.server.protocol.json_rpc import JsonProtocol
from cognitoidentity.server.services import Service
from cognitoidentity.server.sigv4 import CredentialResolver, HttpRequest, SigV4Verifier

__all__ = [
    "ACTION_PREFIX",
    "DECISIONS_PATH",
    "EXPLAIN_PATH",
    "MODEL",
    "PATH_PREFIX",
    "NativeProtocol",
    "native_model",
    "native_service",
]

PATH_PREFIX: Final = "/_cognitoidentity/v1/"
DECISIONS_PATH: Final = PATH_PREFIX + "decisions"
EXPLAIN_PATH: Final = PATH_PREFIX + "explain"
ACTION_PREFIX: Final = "cognitoidentity"
"""The IAM action prefix of these endpoints at the authorization point."""
SIGNING_NAME: Final = "cognito-identity"
JSON_CONTENT_TYPE: Final = b"application/json"

_BORROWED: Final = (
    "IdentityPoolId",
    "IdentityId",
    "LoginsMap",
    "IdentityProviderName",
    "IdentityProviderToken",
    "ARNString",
)
"""Cognito Identity's shapes these endpoints take as they are."""

MODEL: Final[dict[str, Any]] = {
    "version": "2.0",
    "metadata": {
        "apiVersion": "2026-01-01",
        "endpointPrefix": "cognito-identity",
        "protocol": "rest-json",
        "serviceId": "cognitoidentity",
        "signatureVersion": "v4",
        # The prefix of the endpoints' actions at the authorization point (operations_of takes
        # it from here); their callers sign for cognito-identity (see native_service).
        "signingName": ACTION_PREFIX,
        "uid": "cognitoidentity-2026-01-01",
    },
    "operations": {
        "Decide": {
            "name": "Decide",
            "http": {"method": "POST", "requestUri": DECISIONS_PATH},
            "input": {"shape": "DecideInput"},
        },
        "ExplainRoleChoice": {
            "name": "ExplainRoleChoice",
            "http": {"method": "POST", "requestUri": EXPLAIN_PATH},
            "input": {"shape": "ExplainRoleChoiceInput"},
        },
    },
    "shapes": {
        "DecideInput": {
            "type": "structure",
            "required": ["Request"],
            "members": {
                "Request": {"shape": "ForwardedRequest"},
                "Action": {"shape": "Action"},
                "Resource": {"shape": "Resource"},
                "SigningName": {"shape": "SigningName"},
                "ApiId": {"shape": "ApiPart"},
                "Stage": {"shape": "ApiPart"},
                "SourceIp": {"shape": "SourceIp"},
                "SecureTransport": {"shape": "Boolean"},
            },
        },
        "ForwardedRequest": {
            "type": "structure",
            "required": ["Method", "Path", "Headers"],
            "members": {
                "Method": {"shape": "Method"},
                "Path": {"shape": "Path"},
                "Query": {"shape": "Query"},
                "Headers": {"shape": "Headers"},
                "Body": {"shape": "Body"},
                "BodyBase64": {"shape": "Body"},
                "BodySha256": {"shape": "Sha256"},
            },
        },
        "Method": {"type": "string", "min": 1, "max": 16, "pattern": "^[A-Za-z]+$"},
        "Path": {"type": "string", "min": 1, "max": 8192, "pattern": "^/.*$"},
        "Query": {"type": "string", "max": 16384},
        "Headers": {
            "type": "map",
            "key": {"shape": "HeaderName"},
            "value": {"shape": "HeaderValue"},
            "min": 1,
            "max": 200,
        },
        "HeaderName": {"type": "string", "min": 1, "max": 256},
        "HeaderValue": {"type": "string", "max": 16384},
        "Body": {"type": "string", "max": 8_388_608},
        "Sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
        "Action": {
            "type": "string",
            "min": 3,
            "max": 256,
            "pattern": "^[A-Za-z0-9-]+:[A-Za-z0-9_.*?-]+$",
        },
        "Resource": {"type": "string", "min": 1, "max": 2048},
        "SigningName": {"type": "string", "min": 1, "max": 64, "pattern": "^[a-z0-9-]+$"},
        "ApiPart": {"type": "string", "min": 1, "max": 128, "pattern": "^[^/*?:]+$"},
        "SourceIp": {"type": "string", "min": 2, "max": 64, "pattern": "^[0-9A-Fa-f.:]+$"},
        "Boolean": {"type": "boolean"},
        "ExplainRoleChoiceInput": {
            "type": "structure",
            "required": ["IdentityPoolId"],
            "members": {
                "IdentityPoolId": {"shape": "IdentityPoolId"},
                "IdentityId": {"shape": "IdentityId"},
                "Logins": {"shape": "LoginsMap"},
                "CustomRoleArn": {"shape": "ARNString"},
            },
        },
    },
}
"""The endpoints' input shapes, in botocore's model form (which :mod:`.protocol.shapes` validates
with). Their answers are documented in the README ("Decisions for your own services", "Why this
role?")."""


def native_model() -> ServiceModel:
    """:data:`MODEL` with the shapes it borrows from Cognito Identity's model."""
    cognito = _models.load("cognito-identity")["shapes"]
    document = {**MODEL, "shapes": {**MODEL["shapes"], **{n: cognito[n] for n in _BORROWED}}}
    return ServiceModel(document, service_name=ACTION_PREFIX)


class NativeProtocol:
    """The wire protocol (:class:`~.protocol.base.WireProtocol`) of these endpoints: a ``POST`` to
    an operation's path with a JSON object as the body."""

    def __init__(self, model: ServiceModel) -> None:
        self.operations = operations_of(model)
        self.operation_paths: dict[str, Operation] = {
            op.model.http["requestUri"]: op for op in self.operations.values()
        }
        """Each operation's path (a ``POST`` there calls it): the pipeline's routing table."""
        # Each operation's compiled input checker, looked up once.
        self._parsers: dict[str, Callable[[Any], dict[str, Any]]] = {
            name: shapes.parser(op.model.input_shape) for name, op in self.operations.items()
        }

    def route_request(self, request: HttpRequest) -> Call | None:
        if not request.path.startswith(PATH_PREFIX):
            return None
        op = self.operation_paths.get(request.path)
        if op is None or request.method != "POST":
            raise UnknownOperationException(
                f"No operation at {quote(request.method)} {quote(request.path)}"
            )
        return Call(op, request.body)

    def parse_call(self, call: Call) -> dict[str, Any]:
        body: bytes = call.raw
        try:
            # body.strip(), without the copy
            document = orjson.loads(body) if body and not body.isspace() else {}
        except orjson.JSONDecodeError as exc:
            raise SerializationException("Request body is not valid JSON") from exc
        return self._parsers[call.operation.name](document)

    def answer(self, op: Operation, result: Any, request_id: str) -> Answer:
        return Answer(200, [], orjson.dumps(result), JSON_CONTENT_TYPE)

    def answer_error(self, error: ServiceError, request_id: str) -> Answer:
        status, headers, body = JsonProtocol.encode_error(error)
        return Answer(status, headers, body, JSON_CONTENT_TYPE)


def native_service(
    verifier: SigV4Verifier,
    resolver: CredentialResolver,
    clock: Callable[[], datetime],
    *,
    caches: bool = True,
) -> Service:
    """The endpoints as a service of the pipeline. ``verifier`` checks the endpoints' callers
    (signed as for Cognito Identity); ``resolver`` finds the credentials of the requests forwarded
    to the decision endpoint; ``clock`` is the runtime's; ``caches`` the setting (the decision
    endpoint's verifiers keep signing keys)."""
    desk = DecisionDesk(resolver, clock, caches=caches)
    handlers: dict[str, Handler] = {
        "Decide": desk.decide,
        "ExplainRoleChoice": explain_role_choice_call,
    }
    return Service(
        name=ACTION_PREFIX,
        protocol=NativeProtocol(native_model()),
        verifier=verifier,
        handlers=handlers,
    )
