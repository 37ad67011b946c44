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

from cognitoidentity.client._client import CognitoIdentity, cognitoidentity
from cognitoidentity.client._config import ClientConfig, CredentialsConfig, CredsConfig
from cognitoidentity.client._credentials import (
    FileIdentityIdCache,
    IdentityIdCache,
    IdentityPoolCredentials,
    MemoryIdentityIdCache,
    TemporaryCredentials,
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
]

# Everything public reads as if defined here (httpx's habit): reprs and tracebacks name the facade.
for _name in __all__:
    globals()[_name].__module__ = "cognitoidentity"
del _name
