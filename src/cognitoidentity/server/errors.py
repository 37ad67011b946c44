"""Errors that reach the wire.

Every error a client can see is a :class:`ServiceError`: its class carries the wire code, the HTTP
status and whether the caller is at fault; the instance carries the message. One place (the protocol
layer) turns them into the JSON 1.1 or Query/XML error form. Errors modelled by the Cognito Identity
service model are generated in :mod:`cognitoidentity.server.api.cognito_identity`; the ones below are
the front-end errors every AWS JSON service answers with, which no service model lists.

    ServiceError
    ├── generated, modelled errors (ResourceNotFoundException, NotAuthorizedException, ...)
    ├── ValidationException, SerializationException, UnknownOperationException
    ├── MissingAuthenticationTokenException, IncompleteSignatureException,
    │   InvalidSignatureException, UnrecognizedClientException, ExpiredTokenException,
    │   AccessDeniedException
    └── InternalFailure (an unexpected exception, answered as 500 with no detail)
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """An error with a wire code; ``str(error)`` is the message sent to the client.

    The real service answers every client error with HTTP 400 (the Smithy model's 403/404/409 are
    not what the wire shows), and only ``InternalErrorException`` with 500.
    """

    code: ClassVar[str] = "ServiceError"
    status_code: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class ValidationException(ServiceError):
    """A constraint of the service model is violated (Coral's "N validation errors detected")."""

    code = "ValidationException"


class SerializationException(ServiceError):
    """The body is not JSON, not an object, or a member has the wrong JSON type."""

    code = "SerializationException"


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(ServiceError):
    code = "IncompleteSignatureException"


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"


class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"


class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"


class ExpiredTokenException(ServiceError):
    """Temporary credentials whose session token has expired: "The security token included in the
    request is expired" (the Query protocol spells the code ``ExpiredToken``)."""

    code = "ExpiredTokenException"


class InternalFailure(ServiceError):
    """Used when an unexpected exception escapes an operation; the wire never sees its detail."""

    code = "InternalErrorException"
    status_code = 500
    sender_fault = False


class UnsupportedOperationException(ServiceError):
    """An operation, or a form of one, this server does not implement yet: a clean 400, never HTML."""

    code = "UnsupportedOperationException"
