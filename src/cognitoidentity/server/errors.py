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
    ├── TooManyRequestsError (the store had no time for the call; retried by the SDKs)
    └── InternalFailure (an unexpected exception, answered as 500 with no detail)
"""

from __future__ import annotations

from typing import ClassVar, Final

MAX_MESSAGE_CHARS: Final = 2048
"""The longest message an error carries; a longer one is cut (ending in "..."). Messages quote
the input they refuse, bounded where they quote it (:func:`quote`); this is the backstop that keeps
every error answer small whatever a message was built from."""

MAX_QUOTED_CHARS: Final = 256
"""How much of one input value a message quotes."""


def quote(value: object, limit: int = MAX_QUOTED_CHARS) -> str:
    """``value`` as a message quotes it: at most ``limit`` characters, then "..." when cut."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ServiceError(Exception):
    """An error with a wire code; ``str(error)`` is the message sent to the client.

    The real service answers every client error with HTTP 400 (the Smithy model's 403/404/409 are
    not what the wire shows), and only ``InternalErrorException`` with 500.
    """

    code: ClassVar[str] = "ServiceError"
    status_code: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True
    message_key: ClassVar[str] = "message"
    """The JSON member holding the message: IAM denials spell it ``Message``."""

    def __init__(self, message: str = "") -> None:
        message = quote(message, MAX_MESSAGE_CHARS)
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
    """An authenticated caller whose credentials do not allow the call: "User: <arn> is not
    authorized to perform: <action> on resource: <arn>", under a capital ``Message`` as AWS's
    IAM denials are (botocore reads either spelling; paws matches case-insensitively)."""

    code = "AccessDeniedException"
    message_key = "Message"


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


class TooManyRequestsError(ServiceError):
    """The store could not take the work in time (``store.StoreBusy``: a lock held elsewhere, no
    free database connection); nothing was done. The code is the one Cognito Identity throttles
    with (the same wire error as its modelled ``TooManyRequestsException``, raised here for every
    service: Query services spell it ``Throttling``), and AWS SDKs retry it with backoff."""

    code = "TooManyRequestsException"
