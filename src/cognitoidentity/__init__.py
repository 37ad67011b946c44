"""cognitoidentity: a Python client for Amazon Cognito Identity, and a server that speaks its wire.

This module is the client's public face (the server lives in :mod:`cognitoidentity.server` and is
never imported from here)::

    from cognitoidentity import cognitoidentity

    svc = cognitoidentity(endpoint="http://127.0.0.1:4566", region="us-east-1")
    svc.list_identity_pools(MaxResults=10)

Errors the service answers with, one class per AWS error code::

    CognitoIdentityError                   code, message, status_code, error_response
    ├── modelled: ConcurrentModificationException, DeveloperUserAlreadyRegisteredException,
    │   ExternalServiceException, InternalErrorException, InvalidIdentityPoolConfigurationException,
    │   InvalidParameterException, LimitExceededException, NotAuthorizedException,
    │   ResourceConflictException, ResourceNotFoundException, TooManyRequestsException
    └── front end: AccessDeniedException, ExpiredTokenException, IncompleteSignatureException,
        InternalFailure, InvalidSignatureException, MissingAuthenticationTokenException,
        SerializationException, ThrottlingException, UnknownOperationException,
        UnrecognizedClientException, ValidationException

Mistakes caught before any request are Python's own: ``TypeError`` for a missing, unknown or
mistyped parameter or configuration key, ``ValueError`` for a configuration value that cannot work
(no region, say). Transport failures (no connection, a timeout, no credentials found) are
botocore's exceptions (``botocore.exceptions.BotoCoreError``), raised as botocore raises them.
"""

# The names below are loaded on first use (PEP 562), so that importing the package, or the server
# under it, does not pay for botocore and the generated model until the client is used.

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cognitoidentity.client._client import CognitoIdentity, cognitoidentity
    from cognitoidentity.client._config import ClientConfig, CredentialsConfig, CredsConfig
    from cognitoidentity.client._credentials import (
        FileIdentityIdCache,
        IdentityIdCache,
        IdentityPoolCredentials,
        MemoryIdentityIdCache,
        TemporaryCredentials,
    )
    from cognitoidentity.client._decisions import (
        Decision,
        DecisionMiddleware,
        decide,
        decide_async,
    )
    from cognitoidentity.client._errors import (
        AccessDeniedException,
        CognitoIdentityError,
        ExpiredTokenException,
        IncompleteSignatureException,
        InternalFailure,
        InvalidSignatureException,
        MissingAuthenticationTokenException,
        SerializationException,
        ThrottlingException,
        UnknownOperationException,
        UnrecognizedClientException,
        ValidationException,
    )
    from cognitoidentity.client._model import (
        ConcurrentModificationException,
        DeveloperUserAlreadyRegisteredException,
        ExternalServiceException,
        InternalErrorException,
        InvalidIdentityPoolConfigurationException,
        InvalidParameterException,
        LimitExceededException,
        NotAuthorizedException,
        ResourceConflictException,
        ResourceNotFoundException,
        TooManyRequestsException,
    )
    from cognitoidentity.client._paginate import Pages

__all__ = [
    "AccessDeniedException",
    "ClientConfig",
    "CognitoIdentity",
    "CognitoIdentityError",
    "ConcurrentModificationException",
    "CredentialsConfig",
    "CredsConfig",
    "Decision",
    "DecisionMiddleware",
    "DeveloperUserAlreadyRegisteredException",
    "ExpiredTokenException",
    "ExternalServiceException",
    "FileIdentityIdCache",
    "IdentityIdCache",
    "IdentityPoolCredentials",
    "IncompleteSignatureException",
    "InternalErrorException",
    "InternalFailure",
    "InvalidIdentityPoolConfigurationException",
    "InvalidParameterException",
    "InvalidSignatureException",
    "LimitExceededException",
    "MemoryIdentityIdCache",
    "MissingAuthenticationTokenException",
    "NotAuthorizedException",
    "Pages",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "SerializationException",
    "TemporaryCredentials",
    "ThrottlingException",
    "TooManyRequestsException",
    "UnknownOperationException",
    "UnrecognizedClientException",
    "ValidationException",
    "cognitoidentity",
    "decide",
    "decide_async",
]

_MODULES: dict[str, str] = {
    "AccessDeniedException": "cognitoidentity.client._errors",
    "ClientConfig": "cognitoidentity.client._config",
    "CognitoIdentity": "cognitoidentity.client._client",
    "CognitoIdentityError": "cognitoidentity.client._errors",
    "ConcurrentModificationException": "cognitoidentity.client._model",
    "CredentialsConfig": "cognitoidentity.client._config",
    "CredsConfig": "cognitoidentity.client._config",
    "Decision": "cognitoidentity.client._decisions",
    "DecisionMiddleware": "cognitoidentity.client._decisions",
    "DeveloperUserAlreadyRegisteredException": "cognitoidentity.client._model",
    "ExpiredTokenException": "cognitoidentity.client._errors",
    "ExternalServiceException": "cognitoidentity.client._model",
    "FileIdentityIdCache": "cognitoidentity.client._credentials",
    "IdentityIdCache": "cognitoidentity.client._credentials",
    "IdentityPoolCredentials": "cognitoidentity.client._credentials",
    "IncompleteSignatureException": "cognitoidentity.client._errors",
    "InternalErrorException": "cognitoidentity.client._model",
    "InternalFailure": "cognitoidentity.client._errors",
    "InvalidIdentityPoolConfigurationException": "cognitoidentity.client._model",
    "InvalidParameterException": "cognitoidentity.client._model",
    "InvalidSignatureException": "cognitoidentity.client._errors",
    "LimitExceededException": "cognitoidentity.client._model",
    "MemoryIdentityIdCache": "cognitoidentity.client._credentials",
    "MissingAuthenticationTokenException": "cognitoidentity.client._errors",
    "NotAuthorizedException": "cognitoidentity.client._model",
    "Pages": "cognitoidentity.client._paginate",
    "ResourceConflictException": "cognitoidentity.client._model",
    "ResourceNotFoundException": "cognitoidentity.client._model",
    "SerializationException": "cognitoidentity.client._errors",
    "TemporaryCredentials": "cognitoidentity.client._credentials",
    "ThrottlingException": "cognitoidentity.client._errors",
    "TooManyRequestsException": "cognitoidentity.client._model",
    "UnknownOperationException": "cognitoidentity.client._errors",
    "UnrecognizedClientException": "cognitoidentity.client._errors",
    "ValidationException": "cognitoidentity.client._errors",
    "cognitoidentity": "cognitoidentity.client._client",
    "decide": "cognitoidentity.client._decisions",
    "decide_async": "cognitoidentity.client._decisions",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'cognitoidentity' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    # Everything public reads as if defined here (httpx's habit): reprs and tracebacks name the
    # facade.
    value.__module__ = "cognitoidentity"
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


del TYPE_CHECKING, Any  # keep the namespace to the public names
