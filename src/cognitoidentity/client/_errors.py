"""The client's error: one root class for every error the service answers with, and the front-end
errors every AWS JSON service may send that no service model lists. The classes of the errors the
model lists are generated into ``_model.py``.

An error reads as the seed's R client prints it: ``"<Code> (HTTP <status>). <message>"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CognitoIdentityError(Exception):
    """The service answered with an error.

    Attributes:
        code: the AWS error code (``"ResourceNotFoundException"``); ``"UnknownError"`` when the
            answer carried none.
        message: the service's message.
        status_code: the HTTP status of the answer (400 for client errors, 500 for faults).
        error_response: the error body as the service sent it, parsed from JSON
            (``{"__type": ..., "message": ...}``); empty when the body was not a JSON object.
        operation: the operation that failed (``"GetId"``), when known.
        request_id: the ``x-amzn-RequestId`` of the answer, when known.

    Every error code of the service model, and the usual front-end codes, has a subclass of this
    name, so ``except ResourceNotFoundException`` catches exactly that code; an unexpected code
    raises this class itself with ``code`` set.
    """

    code: str = "UnknownError"
    #: The HTTP status an error of this class has when none is given (500 only for faults).
    default_status_code: int = 400

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status_code: int | None = None,
        error_response: Mapping[str, Any] | None = None,
        operation: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status_code = self.default_status_code if status_code is None else status_code
        self.error_response: dict[str, Any] = dict(error_response or {})
        self.operation = operation
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.code} (HTTP {self.status_code}). {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status_code={self.status_code!r}, "
            f"message={self.message!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {
            "code": self.code,
            "status_code": self.status_code,
            "error_response": self.error_response,
            "operation": self.operation,
            "request_id": self.request_id,
        }
        return (_rebuild, (type(self), self.message, fields))


def _rebuild(
    cls: type[CognitoIdentityError], message: str, fields: dict[str, Any]
) -> CognitoIdentityError:
    return cls(message, **fields)


# -- front-end errors: answered before the operation runs (protocol, validation, authentication) ---


class ValidationException(CognitoIdentityError):
    """A parameter violates a constraint of the service model ("1 validation error detected")."""

    code = "ValidationException"


class SerializationException(CognitoIdentityError):
    """The request body is not JSON, or a member has the wrong JSON type."""

    code = "SerializationException"


class UnknownOperationException(CognitoIdentityError):
    """The ``X-Amz-Target`` names no operation of the service."""

    code = "UnknownOperationException"


class MissingAuthenticationTokenException(CognitoIdentityError):
    """An operation that needs a SigV4 signature was called without one (anonymously)."""

    code = "MissingAuthenticationTokenException"


class IncompleteSignatureException(CognitoIdentityError):
    """The ``Authorization`` header or the presigned query lacks a part of the signature."""

    code = "IncompleteSignatureException"


class InvalidSignatureException(CognitoIdentityError):
    """The signature does not match: a wrong secret key, or the request changed on the way."""

    code = "InvalidSignatureException"


class UnrecognizedClientException(CognitoIdentityError):
    """The access key id or the session token is not known to the service."""

    code = "UnrecognizedClientException"


class ExpiredTokenException(CognitoIdentityError):
    """The session token of temporary credentials has expired."""

    code = "ExpiredTokenException"


class AccessDeniedException(CognitoIdentityError):
    """The caller is authenticated but may not call this operation."""

    code = "AccessDeniedException"


class ThrottlingException(CognitoIdentityError):
    """Too many requests; botocore has already retried before this is raised."""

    code = "ThrottlingException"


class InternalFailure(CognitoIdentityError):
    """The service failed unexpectedly (HTTP 500)."""

    code = "InternalFailure"
    default_status_code = 500
