"""Wire types and operations of Amazon Cognito Identity (2014-06-30), generated from
botocore's model by ``python -m cognitoidentity.client._codegen``; never edit by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Required, TypedDict, cast, overload

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
from cognitoidentity.client._paginate import Pages

OPERATION_NAMES = (
    "CreateIdentityPool",
    "DeleteIdentities",
    "DeleteIdentityPool",
    "DescribeIdentity",
    "DescribeIdentityPool",
    "GetCredentialsForIdentity",
    "GetId",
    "GetIdentityPoolRoles",
    "GetOpenIdToken",
    "GetOpenIdTokenForDeveloperIdentity",
    "GetPrincipalTagAttributeMap",
    "ListIdentities",
    "ListIdentityPools",
    "ListTagsForResource",
    "LookupDeveloperIdentity",
    "MergeDeveloperIdentities",
    "SetIdentityPoolRoles",
    "SetPrincipalTagAttributeMap",
    "TagResource",
    "UnlinkDeveloperIdentity",
    "UnlinkIdentity",
    "UntagResource",
    "UpdateIdentityPool",
)

#: The list each page of a paginated operation carries.
PAGINATED = {
    "ListIdentityPools": "IdentityPools",
    "ListIdentities": "Identities",
    "LookupDeveloperIdentity": "DeveloperUserIdentifierList",
}

AmbiguousRoleResolutionType = Literal["AuthenticatedRole", "Deny"]
ErrorCode = Literal["AccessDenied", "InternalServerError"]
MappingRuleMatchType = Literal["Equals", "Contains", "StartsWith", "NotEqual"]
RoleMappingType = Literal["Token", "Rules"]


class CognitoIdentityProvider(TypedDict, total=False):
    """A provider representing an Amazon Cognito user pool and its client ID.

    Keys:

    - ``ProviderName``: The provider name for an Amazon Cognito user pool. For example,
      ``cognito-idp.us-east-1.amazonaws.com/us-east-1_123456789``.
    - ``ClientId``: The client ID for the Amazon Cognito user pool.
    - ``ServerSideTokenCheck``: TRUE if server-side token validation is enabled for the identity
      provider's token. Once you set ``ServerSideTokenCheck`` to TRUE for an identity pool, that
      identity pool will check with the integrated user pools to make sure that the user has not
      been globally signed out or deleted before the identity pool provides an OIDC token or Amazon
      Web Services credentials for the user. If the user is signed out or deleted, the identity pool
      will return a 400 Not Authorized error.
    """

    ProviderName: str
    ClientId: str
    ServerSideTokenCheck: bool


class Credentials(TypedDict, total=False):
    """Credentials for the provided identity ID.

    Keys:

    - ``AccessKeyId``: The Access Key portion of the credentials.
    - ``SecretKey``: The Secret Access Key portion of the credentials
    - ``SessionToken``: The Session Token portion of the credentials
    - ``Expiration``: The date at which these credentials will expire.
    """

    AccessKeyId: str
    SecretKey: str
    SessionToken: str
    Expiration: datetime


class DeleteIdentitiesResponse(TypedDict, total=False):
    """Returned in response to a successful ``DeleteIdentities`` operation.

    Keys:

    - ``UnprocessedIdentityIds``: An array of UnprocessedIdentityId objects, each of which contains
      an ErrorCode and IdentityId.
    """

    UnprocessedIdentityIds: list[UnprocessedIdentityId]


class GetCredentialsForIdentityResponse(TypedDict, total=False):
    """Returned in response to a successful ``GetCredentialsForIdentity`` operation.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    - ``Credentials``: Credentials for the provided identity ID.
    """

    IdentityId: str
    Credentials: Credentials


class GetIdResponse(TypedDict, total=False):
    """Returned in response to a GetId request.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    """

    IdentityId: str


class GetIdentityPoolRolesResponse(TypedDict, total=False):
    """Returned in response to a successful ``GetIdentityPoolRoles`` operation.

    Keys:

    - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
    - ``Roles``: The map of roles associated with this pool. Currently only authenticated and
      unauthenticated roles are supported.
    - ``RoleMappings``: How users for a specific identity provider are to mapped to roles. This is a
      String-to-RoleMapping object map. The string identifies the identity provider, for example,
      ``graph.facebook.com`` or
      ``cognito-idp.us-east-1.amazonaws.com/us-east-1_abcdefghi:app_client_id``.
    """

    IdentityPoolId: str
    Roles: dict[str, str]
    RoleMappings: dict[str, RoleMapping]


class GetOpenIdTokenForDeveloperIdentityResponse(TypedDict, total=False):
    """Returned in response to a successful ``GetOpenIdTokenForDeveloperIdentity`` request.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    - ``Token``: An OpenID token.
    """

    IdentityId: str
    Token: str


class GetOpenIdTokenResponse(TypedDict, total=False):
    """Returned in response to a successful GetOpenIdToken request.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID. Note that the IdentityId
      returned may not match the one passed on input.
    - ``Token``: An OpenID token, valid for 10 minutes.
    """

    IdentityId: str
    Token: str


class GetPrincipalTagAttributeMapResponse(TypedDict, total=False):
    """The ``GetPrincipalTagAttributeMapResponse`` structure.

    Keys:

    - ``IdentityPoolId``: You can use this operation to get the ID of the Identity Pool you setup
      attribute mappings for.
    - ``IdentityProviderName``: You can use this operation to get the provider name.
    - ``UseDefaults``: You can use this operation to list
    - ``PrincipalTags``: You can use this operation to add principal tags. The ``PrincipalTags``
      operation enables you to reference user attributes in your IAM permissions policy.
    """

    IdentityPoolId: str
    IdentityProviderName: str
    UseDefaults: bool
    PrincipalTags: dict[str, str]


class IdentityDescription(TypedDict, total=False):
    """A description of the identity.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    - ``Logins``: The provider names.
    - ``CreationDate``: Date on which the identity was created.
    - ``LastModifiedDate``: Date on which the identity was last modified.
    """

    IdentityId: str
    Logins: list[str]
    CreationDate: datetime
    LastModifiedDate: datetime


class IdentityPool(TypedDict, total=False):
    """An object representing an Amazon Cognito identity pool.

    Keys:

    - ``IdentityPoolId`` (required): An identity pool ID in the format REGION:GUID.
    - ``IdentityPoolName`` (required): A string that you provide.
    - ``AllowUnauthenticatedIdentities`` (required): TRUE if the identity pool supports
      unauthenticated logins.
    - ``AllowClassicFlow``: Enables or disables the Basic (Classic) authentication flow. For more
      information, see Identity Pools (Federated Identities) Authentication Flow
      (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html) in the
      Amazon Cognito Developer Guide.
    - ``SupportedLoginProviders``: Optional key:value pairs mapping provider names to provider app
      IDs.
    - ``DeveloperProviderName``: The "domain" by which Cognito will refer to your users.
    - ``OpenIdConnectProviderARNs``: The ARNs of the OpenID Connect providers.
    - ``CognitoIdentityProviders``: A list representing an Amazon Cognito user pool and its client
      ID.
    - ``SamlProviderARNs``: An array of Amazon Resource Names (ARNs) of the SAML provider for your
      identity pool.
    - ``IdentityPoolTags``: The tags that are assigned to the identity pool. A tag is a label that
      you can apply to identity pools to categorize and manage them in different ways, such as by
      purpose, owner, environment, or other criteria.
    """

    IdentityPoolId: Required[str]
    IdentityPoolName: Required[str]
    AllowUnauthenticatedIdentities: Required[bool]
    AllowClassicFlow: bool
    SupportedLoginProviders: dict[str, str]
    DeveloperProviderName: str
    OpenIdConnectProviderARNs: list[str]
    CognitoIdentityProviders: list[CognitoIdentityProvider]
    SamlProviderARNs: list[str]
    IdentityPoolTags: dict[str, str]


class IdentityPoolShortDescription(TypedDict, total=False):
    """A description of the identity pool.

    Keys:

    - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
    - ``IdentityPoolName``: A string that you provide.
    """

    IdentityPoolId: str
    IdentityPoolName: str


class ListIdentitiesResponse(TypedDict, total=False):
    """The response to a ListIdentities request.

    Keys:

    - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
    - ``Identities``: An object containing a set of identities and associated mappings.
    - ``NextToken``: A pagination token.
    """

    IdentityPoolId: str
    Identities: list[IdentityDescription]
    NextToken: str


class ListIdentityPoolsResponse(TypedDict, total=False):
    """The result of a successful ListIdentityPools action.

    Keys:

    - ``IdentityPools``: The identity pools returned by the ListIdentityPools action.
    - ``NextToken``: A pagination token.
    """

    IdentityPools: list[IdentityPoolShortDescription]
    NextToken: str


class ListTagsForResourceResponse(TypedDict, total=False):
    """The ``ListTagsForResourceResponse`` structure.

    Keys:

    - ``Tags``: The tags that are assigned to the identity pool.
    """

    Tags: dict[str, str]


class LookupDeveloperIdentityResponse(TypedDict, total=False):
    """Returned in response to a successful ``LookupDeveloperIdentity`` action.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    - ``DeveloperUserIdentifierList``: This is the list of developer user identifiers associated
      with an identity ID. Cognito supports the association of multiple developer user identifiers
      with an identity ID.
    - ``NextToken``: A pagination token. The first call you make will have ``NextToken`` set to
      null. After that the service will return ``NextToken`` values as needed. For example, let's
      say you make a request with ``MaxResults`` set to 10, and there are 20 matches in the
      database. The service will return a pagination token as a part of the response. This token can
      be used to call the API again and get results starting from the 11th match.
    """

    IdentityId: str
    DeveloperUserIdentifierList: list[str]
    NextToken: str


class MappingRule(TypedDict, total=False):
    """A rule that maps a claim name, a claim value, and a match type to a role ARN.

    Keys:

    - ``Claim`` (required): The claim name that must be present in the token, for example, "isAdmin"
      or "paid".
    - ``MatchType`` (required): The match condition that specifies how closely the claim value in
      the IdP token must match ``Value``.
    - ``Value`` (required): A brief string that the claim must match, for example, "paid" or "yes".
    - ``RoleARN`` (required): The role ARN.
    """

    Claim: Required[str]
    MatchType: Required[MappingRuleMatchType]
    Value: Required[str]
    RoleARN: Required[str]


class MergeDeveloperIdentitiesResponse(TypedDict, total=False):
    """Returned in response to a successful ``MergeDeveloperIdentities`` action.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    """

    IdentityId: str


class RoleMapping(TypedDict, total=False):
    """A role mapping.

    Keys:

    - ``Type`` (required): The role mapping type. Token will use ``cognito:roles`` and
      ``cognito:preferred_role`` claims from the Cognito identity provider token to map groups to
      roles. Rules will attempt to match claims from the token to map to a role.
    - ``AmbiguousRoleResolution``: If you specify Token or Rules as the ``Type``,
      ``AmbiguousRoleResolution`` is required. Specifies the action to be taken if either no rules
      match the claim value for the ``Rules`` type, or there is no ``cognito:preferred_role`` claim
      and there are multiple ``cognito:roles`` matches for the ``Token`` type.
    - ``RulesConfiguration``: The rules to be used for mapping users to roles. If you specify Rules
      as the role mapping type, ``RulesConfiguration`` is required.
    """

    Type: Required[RoleMappingType]
    AmbiguousRoleResolution: AmbiguousRoleResolutionType
    RulesConfiguration: RulesConfigurationType


class RulesConfigurationType(TypedDict, total=False):
    """A container for rules.

    Keys:

    - ``Rules`` (required): An array of rules. You can specify up to 25 rules per identity provider.
      Rules are evaluated in order. The first one to match specifies the role.
    """

    Rules: Required[list[MappingRule]]


class SetPrincipalTagAttributeMapResponse(TypedDict, total=False):
    """The ``SetPrincipalTagAttributeMapResponse`` structure.

    Keys:

    - ``IdentityPoolId``: The ID of the Identity Pool you want to set attribute mappings for.
    - ``IdentityProviderName``: The provider name you want to use for attribute mappings.
    - ``UseDefaults``: You can use this operation to select default (username and clientID)
      attribute mappings.
    - ``PrincipalTags``: You can use this operation to add principal tags. The ``PrincipalTags``
      operation enables you to reference user attributes in your IAM permissions policy.
    """

    IdentityPoolId: str
    IdentityProviderName: str
    UseDefaults: bool
    PrincipalTags: dict[str, str]


class UnprocessedIdentityId(TypedDict, total=False):
    """An array of UnprocessedIdentityId objects, each of which contains an ErrorCode and
    IdentityId.

    Keys:

    - ``IdentityId``: A unique identifier in the format REGION:GUID.
    - ``ErrorCode``: The error code indicating the type of error that occurred.
    """

    IdentityId: str
    ErrorCode: ErrorCode


class EmptyResponse(TypedDict):
    """What an operation without output returns: an empty dict."""


class ConcurrentModificationException(CognitoIdentityError):
    """Thrown if there are parallel requests to modify a resource."""

    code = "ConcurrentModificationException"


class DeveloperUserAlreadyRegisteredException(CognitoIdentityError):
    """The provided developer user identifier is already registered with Cognito under a different
    identity ID.
    """

    code = "DeveloperUserAlreadyRegisteredException"


class ExternalServiceException(CognitoIdentityError):
    """An exception thrown when a dependent service such as Facebook or Twitter is not responding"""

    code = "ExternalServiceException"


class InternalErrorException(CognitoIdentityError):
    """Thrown when the service encounters an error during processing the request."""

    code = "InternalErrorException"
    default_status_code = 500


class InvalidIdentityPoolConfigurationException(CognitoIdentityError):
    """If you provided authentication information in the request, the identity pool has no
    authenticated role configured, or STS returned an error response to the request to assume the
    authenticated role from the identity pool. If you provided no authentication information in the
    request, the identity pool has no unauthenticated role configured, or STS returned an error
    response to the request to assume the unauthenticated role from the identity pool.

    Your role trust policy must grant ``AssumeRoleWithWebIdentity`` permissions to
    ``cognito-identity.amazonaws.com``.
    """

    code = "InvalidIdentityPoolConfigurationException"


class InvalidParameterException(CognitoIdentityError):
    """Thrown for missing or bad input parameter(s)."""

    code = "InvalidParameterException"


class LimitExceededException(CognitoIdentityError):
    """Thrown when the total number of user pools has exceeded a preset limit."""

    code = "LimitExceededException"


class NotAuthorizedException(CognitoIdentityError):
    """Thrown when a user is not authorized to access the requested resource."""

    code = "NotAuthorizedException"


class ResourceConflictException(CognitoIdentityError):
    """Thrown when a user tries to use a login which is already linked to another account."""

    code = "ResourceConflictException"


class ResourceNotFoundException(CognitoIdentityError):
    """Thrown when the requested resource (for example, a dataset or record) does not exist."""

    code = "ResourceNotFoundException"


class TooManyRequestsException(CognitoIdentityError):
    """Thrown when a request is throttled."""

    code = "TooManyRequestsException"


class Exceptions:
    """Every error class by its AWS code, as ``svc.exceptions.<Code>``."""

    CognitoIdentityError = CognitoIdentityError
    AccessDeniedException = AccessDeniedException
    ConcurrentModificationException = ConcurrentModificationException
    DeveloperUserAlreadyRegisteredException = DeveloperUserAlreadyRegisteredException
    ExpiredTokenException = ExpiredTokenException
    ExternalServiceException = ExternalServiceException
    IncompleteSignatureException = IncompleteSignatureException
    InternalErrorException = InternalErrorException
    InternalFailure = InternalFailure
    InvalidIdentityPoolConfigurationException = InvalidIdentityPoolConfigurationException
    InvalidParameterException = InvalidParameterException
    InvalidSignatureException = InvalidSignatureException
    LimitExceededException = LimitExceededException
    MissingAuthenticationTokenException = MissingAuthenticationTokenException
    NotAuthorizedException = NotAuthorizedException
    ResourceConflictException = ResourceConflictException
    ResourceNotFoundException = ResourceNotFoundException
    SerializationException = SerializationException
    ThrottlingException = ThrottlingException
    TooManyRequestsException = TooManyRequestsException
    UnknownOperationException = UnknownOperationException
    UnrecognizedClientException = UnrecognizedClientException
    ValidationException = ValidationException


MODELLED_ERRORS: tuple[type[CognitoIdentityError], ...] = (
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


class Operations:
    """The operations of Amazon Cognito Identity as methods, one per operation."""

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _paginate(self, operation: str, params: dict[str, Any]) -> Pages[Any, Any]:
        raise NotImplementedError

    def create_identity_pool(
        self,
        *,
        IdentityPoolName: str,
        AllowUnauthenticatedIdentities: bool,
        AllowClassicFlow: bool | None = None,
        SupportedLoginProviders: Mapping[str, str] | None = None,
        DeveloperProviderName: str | None = None,
        OpenIdConnectProviderARNs: Sequence[str] | None = None,
        CognitoIdentityProviders: Sequence[CognitoIdentityProvider] | None = None,
        SamlProviderARNs: Sequence[str] | None = None,
        IdentityPoolTags: Mapping[str, str] | None = None,
    ) -> IdentityPool:
        """Creates a new identity pool. The identity pool is a store of user identity information
        that is specific to your Amazon Web Services account. The keys for
        ``SupportedLoginProviders`` are as follows:

        - Facebook: ``graph.facebook.com``
        - Google: ``accounts.google.com``
        - Sign in With Apple: ``appleid.apple.com``
        - Amazon: ``www.amazon.com``
        - Twitter: ``api.twitter.com``
        - Digits: ``www.digits.com``

        Important: If you don't provide a value for a parameter, Amazon Cognito sets it to its
        default value.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``CreateIdentityPool`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_CreateIdentityPool.html).

        Args:
            IdentityPoolName: Required. A string that you provide.
            AllowUnauthenticatedIdentities: Required. TRUE if the identity pool supports
                unauthenticated logins.
            AllowClassicFlow: Enables or disables the Basic (Classic) authentication flow. For more
                information, see Identity Pools (Federated Identities) Authentication Flow
                (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html)
                in the Amazon Cognito Developer Guide.
            SupportedLoginProviders: Optional key:value pairs mapping provider names to provider app
                IDs.
            DeveloperProviderName: The "domain" by which Cognito will refer to your users. This name
                acts as a placeholder that allows your backend and the Cognito service to
                communicate about the developer provider. For the ``DeveloperProviderName``, you can
                use letters as well as period (``.``), underscore (``_``), and dash (``-``).

                Once you have set a developer provider name, you cannot change it. Please take care
                in setting this parameter.
            OpenIdConnectProviderARNs: The Amazon Resource Names (ARN) of the OpenID Connect
                providers.
            CognitoIdentityProviders: An array of Amazon Cognito user pools and their client IDs.
            SamlProviderARNs: An array of Amazon Resource Names (ARNs) of the SAML provider for your
                identity pool.
            IdentityPoolTags: Tags to assign to the identity pool. A tag is a label that you can
                apply to identity pools to categorize and manage them in different ways, such as by
                purpose, owner, environment, or other criteria.

        Returns:
            A dict (``IdentityPool``):
            - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
            - ``IdentityPoolName``: A string that you provide.
            - ``AllowUnauthenticatedIdentities``: TRUE if the identity pool supports unauthenticated
                logins.
            - ``AllowClassicFlow``: Enables or disables the Basic (Classic) authentication flow. For
                more information, see Identity Pools (Federated Identities) Authentication Flow
                (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html)
                in the Amazon Cognito Developer Guide.
            - ``SupportedLoginProviders``: Optional key:value pairs mapping provider names to
                provider app IDs.
            - ``DeveloperProviderName``: The "domain" by which Cognito will refer to your users.
            - ``OpenIdConnectProviderARNs``: The ARNs of the OpenID Connect providers.
            - ``CognitoIdentityProviders``: A list representing an Amazon Cognito user pool and its
                client ID.
            - ``SamlProviderARNs``: An array of Amazon Resource Names (ARNs) of the SAML provider
                for your identity pool.
            - ``IdentityPoolTags``: The tags that are assigned to the identity pool. A tag is a
                label that you can apply to identity pools to categorize and manage them in
                different ways, such as by purpose, owner, environment, or other criteria.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            LimitExceededException: Thrown when the total number of user pools has exceeded a preset
                limit.
        """
        return cast(
            IdentityPool,
            self._call(
                "CreateIdentityPool",
                {
                    "IdentityPoolName": IdentityPoolName,
                    "AllowUnauthenticatedIdentities": AllowUnauthenticatedIdentities,
                    "AllowClassicFlow": AllowClassicFlow,
                    "SupportedLoginProviders": SupportedLoginProviders,
                    "DeveloperProviderName": DeveloperProviderName,
                    "OpenIdConnectProviderARNs": OpenIdConnectProviderARNs,
                    "CognitoIdentityProviders": CognitoIdentityProviders,
                    "SamlProviderARNs": SamlProviderARNs,
                    "IdentityPoolTags": IdentityPoolTags,
                },
            ),
        )

    def delete_identities(
        self,
        *,
        IdentityIdsToDelete: Sequence[str],
    ) -> DeleteIdentitiesResponse:
        """Deletes identities from an identity pool. You can specify a list of 1-60 identities that
        you want to delete.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``DeleteIdentities`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_DeleteIdentities.html).

        Args:
            IdentityIdsToDelete: Required. A list of 1-60 identities that you want to delete.

        Returns:
            A dict (``DeleteIdentitiesResponse``):
            - ``UnprocessedIdentityIds``: An array of UnprocessedIdentityId objects, each of which
                contains an ErrorCode and IdentityId.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            DeleteIdentitiesResponse,
            self._call("DeleteIdentities", {"IdentityIdsToDelete": IdentityIdsToDelete}),
        )

    def delete_identity_pool(
        self,
        *,
        IdentityPoolId: str,
    ) -> EmptyResponse:
        """Deletes an identity pool. Once a pool is deleted, users will not be able to authenticate
        with the pool.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``DeleteIdentityPool`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_DeleteIdentityPool.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.

        Returns:
            An empty dict.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            EmptyResponse, self._call("DeleteIdentityPool", {"IdentityPoolId": IdentityPoolId})
        )

    def describe_identity(
        self,
        *,
        IdentityId: str,
    ) -> IdentityDescription:
        """Returns metadata related to the given identity, including when the identity was created
        and any associated linked logins.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``DescribeIdentity`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_DescribeIdentity.html).

        Args:
            IdentityId: Required. A unique identifier in the format REGION:GUID.

        Returns:
            A dict (``IdentityDescription``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID.
            - ``Logins``: The provider names.
            - ``CreationDate``: Date on which the identity was created.
            - ``LastModifiedDate``: Date on which the identity was last modified.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(IdentityDescription, self._call("DescribeIdentity", {"IdentityId": IdentityId}))

    def describe_identity_pool(
        self,
        *,
        IdentityPoolId: str,
    ) -> IdentityPool:
        """Gets details about a particular identity pool, including the pool name, ID description,
        creation date, and current number of users.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``DescribeIdentityPool`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_DescribeIdentityPool.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.

        Returns:
            A dict (``IdentityPool``):
            - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
            - ``IdentityPoolName``: A string that you provide.
            - ``AllowUnauthenticatedIdentities``: TRUE if the identity pool supports unauthenticated
                logins.
            - ``AllowClassicFlow``: Enables or disables the Basic (Classic) authentication flow. For
                more information, see Identity Pools (Federated Identities) Authentication Flow
                (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html)
                in the Amazon Cognito Developer Guide.
            - ``SupportedLoginProviders``: Optional key:value pairs mapping provider names to
                provider app IDs.
            - ``DeveloperProviderName``: The "domain" by which Cognito will refer to your users.
            - ``OpenIdConnectProviderARNs``: The ARNs of the OpenID Connect providers.
            - ``CognitoIdentityProviders``: A list representing an Amazon Cognito user pool and its
                client ID.
            - ``SamlProviderARNs``: An array of Amazon Resource Names (ARNs) of the SAML provider
                for your identity pool.
            - ``IdentityPoolTags``: The tags that are assigned to the identity pool. A tag is a
                label that you can apply to identity pools to categorize and manage them in
                different ways, such as by purpose, owner, environment, or other criteria.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            IdentityPool, self._call("DescribeIdentityPool", {"IdentityPoolId": IdentityPoolId})
        )

    def get_credentials_for_identity(
        self,
        *,
        IdentityId: str,
        Logins: Mapping[str, str] | None = None,
        CustomRoleArn: str | None = None,
    ) -> GetCredentialsForIdentityResponse:
        """Returns credentials for the provided identity ID. Any provided logins will be validated
        against supported login providers. If the token is for ``cognito-identity.amazonaws.com``,
        it will be passed through to Security Token Service with the appropriate role for the token.

        This is a public API. You do not need any credentials to call this API.

        AWS API: ``GetCredentialsForIdentity`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetCredentialsForIdentity.html).

        Args:
            IdentityId: Required. A unique identifier in the format REGION:GUID.
            Logins: A set of optional name-value pairs that map provider names to provider tokens.
                The name-value pair will follow the syntax "provider_name":
                "provider_user_identifier".

                Logins should not be specified when trying to get credentials for an unauthenticated
                identity.

                The Logins parameter is required when using identities associated with external
                identity providers such as Facebook. For examples of ``Logins`` maps, see the code
                examples in the External Identity Providers
                (https://docs.aws.amazon.com/cognito/latest/developerguide/external-identity-providers.html)
                section of the Amazon Cognito Developer Guide.
            CustomRoleArn: The Amazon Resource Name (ARN) of the role to be assumed when multiple
                roles were received in the token from the identity provider. For example, a
                SAML-based identity provider. This parameter is optional for identity providers that
                do not support role customization.

        Returns:
            A dict (``GetCredentialsForIdentityResponse``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID.
            - ``Credentials``: Credentials for the provided identity ID.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InvalidIdentityPoolConfigurationException: If you provided authentication information in
                the request, the identity pool has no authenticated role configured, or STS returned
                an error response to the request to assume the authenticated role from the identity
                pool. If you provided no authentication information in the request, the identity
                pool has no unauthenticated role configured, or STS returned an error response to
                the request to assume the unauthenticated role from the identity pool.

                Your role trust policy must grant ``AssumeRoleWithWebIdentity`` permissions to
                ``cognito-identity.amazonaws.com``.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            ExternalServiceException: An exception thrown when a dependent service such as Facebook
                or Twitter is not responding
        """
        return cast(
            GetCredentialsForIdentityResponse,
            self._call(
                "GetCredentialsForIdentity",
                {"IdentityId": IdentityId, "Logins": Logins, "CustomRoleArn": CustomRoleArn},
            ),
        )

    def get_id(
        self,
        *,
        IdentityPoolId: str,
        AccountId: str | None = None,
        Logins: Mapping[str, str] | None = None,
    ) -> GetIdResponse:
        """Generates (or retrieves) IdentityID. Supplying multiple logins will create an implicit
        linked account.

        This is a public API. You do not need any credentials to call this API.

        AWS API: ``GetId`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetId.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            AccountId: A standard Amazon Web Services account ID (9+ digits).
            Logins: A set of optional name-value pairs that map provider names to provider tokens.
                The available provider names for ``Logins`` are as follows:

                - Facebook: ``graph.facebook.com``
                - Amazon Cognito user pool:
                  ``cognito-idp.<region>.amazonaws.com/<YOUR_USER_POOL_ID>``, for example,
                  ``cognito-idp.us-east-1.amazonaws.com/us-east-1_123456789``.
                - Google: ``accounts.google.com``
                - Amazon: ``www.amazon.com``
                - Twitter: ``api.twitter.com``
                - Digits: ``www.digits.com``

        Returns:
            A dict (``GetIdResponse``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            LimitExceededException: Thrown when the total number of user pools has exceeded a preset
                limit.
            ExternalServiceException: An exception thrown when a dependent service such as Facebook
                or Twitter is not responding
        """
        return cast(
            GetIdResponse,
            self._call(
                "GetId",
                {"IdentityPoolId": IdentityPoolId, "AccountId": AccountId, "Logins": Logins},
            ),
        )

    def get_identity_pool_roles(
        self,
        *,
        IdentityPoolId: str,
    ) -> GetIdentityPoolRolesResponse:
        """Gets the roles for an identity pool.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``GetIdentityPoolRoles`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetIdentityPoolRoles.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.

        Returns:
            A dict (``GetIdentityPoolRolesResponse``):
            - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
            - ``Roles``: The map of roles associated with this pool. Currently only authenticated
                and unauthenticated roles are supported.
            - ``RoleMappings``: How users for a specific identity provider are to mapped to roles.
                This is a String-to-RoleMapping object map. The string identifies the identity
                provider, for example, ``graph.facebook.com`` or
                ``cognito-idp.us-east-1.amazonaws.com/us-east-1_abcdefghi:app_client_id``.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            GetIdentityPoolRolesResponse,
            self._call("GetIdentityPoolRoles", {"IdentityPoolId": IdentityPoolId}),
        )

    def get_open_id_token(
        self,
        *,
        IdentityId: str,
        Logins: Mapping[str, str] | None = None,
    ) -> GetOpenIdTokenResponse:
        """Gets an OpenID token, using a known Cognito ID. This known Cognito ID is returned by
        GetId. You can optionally add additional logins for the identity. Supplying multiple logins
        creates an implicit link.

        The OpenID token is valid for 10 minutes.

        This is a public API. You do not need any credentials to call this API.

        AWS API: ``GetOpenIdToken`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetOpenIdToken.html).

        Args:
            IdentityId: Required. A unique identifier in the format REGION:GUID.
            Logins: A set of optional name-value pairs that map provider names to provider tokens.
                When using graph.facebook.com and www.amazon.com, supply the access_token returned
                from the provider's authflow. For accounts.google.com, an Amazon Cognito user pool
                provider, or any other OpenID Connect provider, always include the ``id_token``.

        Returns:
            A dict (``GetOpenIdTokenResponse``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID. Note that the
                IdentityId returned may not match the one passed on input.
            - ``Token``: An OpenID token, valid for 10 minutes.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            ExternalServiceException: An exception thrown when a dependent service such as Facebook
                or Twitter is not responding
        """
        return cast(
            GetOpenIdTokenResponse,
            self._call("GetOpenIdToken", {"IdentityId": IdentityId, "Logins": Logins}),
        )

    def get_open_id_token_for_developer_identity(
        self,
        *,
        IdentityPoolId: str,
        Logins: Mapping[str, str],
        IdentityId: str | None = None,
        PrincipalTags: Mapping[str, str] | None = None,
        TokenDuration: int | None = None,
    ) -> GetOpenIdTokenForDeveloperIdentityResponse:
        """Registers (or retrieves) a Cognito ``IdentityId`` and an OpenID Connect token for a user
        authenticated by your backend authentication process. Supplying multiple logins will create
        an implicit linked account. You can only specify one developer provider as part of the
        ``Logins`` map, which is linked to the identity pool. The developer provider is the "domain"
        by which Cognito will refer to your users.

        You can use ``GetOpenIdTokenForDeveloperIdentity`` to create a new identity and to link new
        logins (that is, user credentials issued by a public provider or developer provider) to an
        existing identity. When you want to create a new identity, the ``IdentityId`` should be
        null. When you want to associate a new login with an existing authenticated/unauthenticated
        identity, you can do so by providing the existing ``IdentityId``. This API will create the
        identity in the specified ``IdentityPoolId``.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``GetOpenIdTokenForDeveloperIdentity`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetOpenIdTokenForDeveloperIdentity.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            Logins: Required. A set of optional name-value pairs that map provider names to provider
                tokens. Each name-value pair represents a user from a public provider or developer
                provider. If the user is from a developer provider, the name-value pair will follow
                the syntax ``"developer_provider_name": "developer_user_identifier"``. The developer
                provider is the "domain" by which Cognito will refer to your users; you provided
                this domain while creating/updating the identity pool. The developer user identifier
                is an identifier from your backend that uniquely identifies a user. When you create
                an identity pool, you can specify the supported logins.
            IdentityId: A unique identifier in the format REGION:GUID.
            PrincipalTags: Use this operation to configure attribute mappings for custom providers.
            TokenDuration: The expiration time of the token, in seconds. You can specify a custom
                expiration time for the token so that you can cache it. If you don't provide an
                expiration time, the token is valid for 15 minutes. You can exchange the token with
                Amazon STS for temporary Amazon Web Services credentials, which are valid for a
                maximum of one hour. The maximum token duration you can set is 24 hours. You should
                take care in setting the expiration time for a token, as there are significant
                security implications: an attacker could use a leaked token to access your Amazon
                Web Services resources for the token's duration.

                Note: Please provide for a small grace period, usually no more than 5 minutes, to
                account for clock skew.

        Returns:
            A dict (``GetOpenIdTokenForDeveloperIdentityResponse``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID.
            - ``Token``: An OpenID token.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            DeveloperUserAlreadyRegisteredException: The provided developer user identifier is
                already registered with Cognito under a different identity ID.
        """
        return cast(
            GetOpenIdTokenForDeveloperIdentityResponse,
            self._call(
                "GetOpenIdTokenForDeveloperIdentity",
                {
                    "IdentityPoolId": IdentityPoolId,
                    "Logins": Logins,
                    "IdentityId": IdentityId,
                    "PrincipalTags": PrincipalTags,
                    "TokenDuration": TokenDuration,
                },
            ),
        )

    def get_principal_tag_attribute_map(
        self,
        *,
        IdentityPoolId: str,
        IdentityProviderName: str,
    ) -> GetPrincipalTagAttributeMapResponse:
        """Use ``GetPrincipalTagAttributeMap`` to list all mappings between ``PrincipalTags`` and
        user attributes.

        AWS API: ``GetPrincipalTagAttributeMap`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_GetPrincipalTagAttributeMap.html).

        Args:
            IdentityPoolId: Required. You can use this operation to get the ID of the Identity Pool
                you setup attribute mappings for.
            IdentityProviderName: Required. You can use this operation to get the provider name.

        Returns:
            A dict (``GetPrincipalTagAttributeMapResponse``):
            - ``IdentityPoolId``: You can use this operation to get the ID of the Identity Pool you
                setup attribute mappings for.
            - ``IdentityProviderName``: You can use this operation to get the provider name.
            - ``UseDefaults``: You can use this operation to list
            - ``PrincipalTags``: You can use this operation to add principal tags. The
                ``PrincipalTags`` operation enables you to reference user attributes in your IAM
                permissions policy.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            GetPrincipalTagAttributeMapResponse,
            self._call(
                "GetPrincipalTagAttributeMap",
                {"IdentityPoolId": IdentityPoolId, "IdentityProviderName": IdentityProviderName},
            ),
        )

    def list_identities(
        self,
        *,
        IdentityPoolId: str,
        MaxResults: int,
        NextToken: str | None = None,
        HideDisabled: bool | None = None,
    ) -> ListIdentitiesResponse:
        """Lists the identities in an identity pool.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``ListIdentities`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_ListIdentities.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            MaxResults: Required. The maximum number of identities to return.
            NextToken: A pagination token.
            HideDisabled: An optional boolean parameter that allows you to hide disabled identities.
                If omitted, the ListIdentities API will include disabled identities in the response.

        Returns:
            A dict (``ListIdentitiesResponse``):
            - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
            - ``Identities``: An object containing a set of identities and associated mappings.
            - ``NextToken``: A pagination token.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            ListIdentitiesResponse,
            self._call(
                "ListIdentities",
                {
                    "IdentityPoolId": IdentityPoolId,
                    "MaxResults": MaxResults,
                    "NextToken": NextToken,
                    "HideDisabled": HideDisabled,
                },
            ),
        )

    def list_identity_pools(
        self,
        *,
        MaxResults: int,
        NextToken: str | None = None,
    ) -> ListIdentityPoolsResponse:
        """Lists all of the Cognito identity pools registered for your account.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``ListIdentityPools`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_ListIdentityPools.html).

        Args:
            MaxResults: Required. The maximum number of identities to return.
            NextToken: A pagination token.

        Returns:
            A dict (``ListIdentityPoolsResponse``):
            - ``IdentityPools``: The identity pools returned by the ListIdentityPools action.
            - ``NextToken``: A pagination token.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            ListIdentityPoolsResponse,
            self._call("ListIdentityPools", {"MaxResults": MaxResults, "NextToken": NextToken}),
        )

    def list_tags_for_resource(
        self,
        *,
        ResourceArn: str,
    ) -> ListTagsForResourceResponse:
        """Lists the tags that are assigned to an Amazon Cognito identity pool.

        A tag is a label that you can apply to identity pools to categorize and manage them in
        different ways, such as by purpose, owner, environment, or other criteria.

        You can use this action up to 10 times per second, per account.

        AWS API: ``ListTagsForResource`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_ListTagsForResource.html).

        Args:
            ResourceArn: Required. The Amazon Resource Name (ARN) of the identity pool that the tags
                are assigned to.

        Returns:
            A dict (``ListTagsForResourceResponse``):
            - ``Tags``: The tags that are assigned to the identity pool.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            ListTagsForResourceResponse,
            self._call("ListTagsForResource", {"ResourceArn": ResourceArn}),
        )

    def lookup_developer_identity(
        self,
        *,
        IdentityPoolId: str,
        IdentityId: str | None = None,
        DeveloperUserIdentifier: str | None = None,
        MaxResults: int | None = None,
        NextToken: str | None = None,
    ) -> LookupDeveloperIdentityResponse:
        """Retrieves the ``IdentityID`` associated with a ``DeveloperUserIdentifier`` or the list of
        ``DeveloperUserIdentifier`` values associated with an ``IdentityId`` for an existing
        identity. Either ``IdentityID`` or ``DeveloperUserIdentifier`` must not be null. If you
        supply only one of these values, the other value will be searched in the database and
        returned as a part of the response. If you supply both, ``DeveloperUserIdentifier`` will be
        matched against ``IdentityID``. If the values are verified against the database, the
        response returns both values and is the same as the request. Otherwise, a
        ``ResourceConflictException`` is thrown.

        ``LookupDeveloperIdentity`` is intended for low-throughput control plane operations: for
        example, to enable customer service to locate an identity ID by username. If you are using
        it for higher-volume operations such as user authentication, your requests are likely to be
        throttled. GetOpenIdTokenForDeveloperIdentity is a better option for higher-volume
        operations for user authentication.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``LookupDeveloperIdentity`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_LookupDeveloperIdentity.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            IdentityId: A unique identifier in the format REGION:GUID.
            DeveloperUserIdentifier: A unique ID used by your backend authentication process to
                identify a user. Typically, a developer identity provider would issue many developer
                user identifiers, in keeping with the number of users.
            MaxResults: The maximum number of identities to return.
            NextToken: A pagination token. The first call you make will have ``NextToken`` set to
                null. After that the service will return ``NextToken`` values as needed. For
                example, let's say you make a request with ``MaxResults`` set to 10, and there are
                20 matches in the database. The service will return a pagination token as a part of
                the response. This token can be used to call the API again and get results starting
                from the 11th match.

        Returns:
            A dict (``LookupDeveloperIdentityResponse``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID.
            - ``DeveloperUserIdentifierList``: This is the list of developer user identifiers
                associated with an identity ID. Cognito supports the association of multiple
                developer user identifiers with an identity ID.
            - ``NextToken``: A pagination token. The first call you make will have ``NextToken`` set
                to null. After that the service will return ``NextToken`` values as needed. For
                example, let's say you make a request with ``MaxResults`` set to 10, and there are
                20 matches in the database. The service will return a pagination token as a part of
                the response. This token can be used to call the API again and get results starting
                from the 11th match.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            LookupDeveloperIdentityResponse,
            self._call(
                "LookupDeveloperIdentity",
                {
                    "IdentityPoolId": IdentityPoolId,
                    "IdentityId": IdentityId,
                    "DeveloperUserIdentifier": DeveloperUserIdentifier,
                    "MaxResults": MaxResults,
                    "NextToken": NextToken,
                },
            ),
        )

    def merge_developer_identities(
        self,
        *,
        SourceUserIdentifier: str,
        DestinationUserIdentifier: str,
        DeveloperProviderName: str,
        IdentityPoolId: str,
    ) -> MergeDeveloperIdentitiesResponse:
        """Merges two users having different ``IdentityId`` s, existing in the same identity pool,
        and identified by the same developer provider. You can use this action to request that
        discrete users be merged and identified as a single user in the Cognito environment. Cognito
        associates the given source user (``SourceUserIdentifier``) with the ``IdentityId`` of the
        ``DestinationUserIdentifier``. Only developer-authenticated users can be merged. If the
        users to be merged are associated with the same public provider, but as two different users,
        an exception will be thrown.

        The number of linked logins is limited to 20. So, the number of linked logins for the source
        user, ``SourceUserIdentifier``, and the destination user, ``DestinationUserIdentifier``,
        together should not be larger than 20. Otherwise, an exception will be thrown.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``MergeDeveloperIdentities`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_MergeDeveloperIdentities.html).

        Args:
            SourceUserIdentifier: Required. User identifier for the source user. The value should be
                a ``DeveloperUserIdentifier``.
            DestinationUserIdentifier: Required. User identifier for the destination user. The value
                should be a ``DeveloperUserIdentifier``.
            DeveloperProviderName: Required. The "domain" by which Cognito will refer to your users.
                This is a (pseudo) domain name that you provide while creating an identity pool.
                This name acts as a placeholder that allows your backend and the Cognito service to
                communicate about the developer provider. For the ``DeveloperProviderName``, you can
                use letters as well as period (.), underscore (_), and dash (-).
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.

        Returns:
            A dict (``MergeDeveloperIdentitiesResponse``):
            - ``IdentityId``: A unique identifier in the format REGION:GUID.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            MergeDeveloperIdentitiesResponse,
            self._call(
                "MergeDeveloperIdentities",
                {
                    "SourceUserIdentifier": SourceUserIdentifier,
                    "DestinationUserIdentifier": DestinationUserIdentifier,
                    "DeveloperProviderName": DeveloperProviderName,
                    "IdentityPoolId": IdentityPoolId,
                },
            ),
        )

    def set_identity_pool_roles(
        self,
        *,
        IdentityPoolId: str,
        Roles: Mapping[str, str],
        RoleMappings: Mapping[str, RoleMapping] | None = None,
    ) -> EmptyResponse:
        """Sets the roles for an identity pool. These roles are used when making calls to
        GetCredentialsForIdentity action.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``SetIdentityPoolRoles`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_SetIdentityPoolRoles.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            Roles: Required. The map of roles associated with this pool. For a given role, the key
                will be either "authenticated" or "unauthenticated" and the value will be the Role
                ARN.
            RoleMappings: How users for a specific identity provider are to mapped to roles. This is
                a string to RoleMapping object map. The string identifies the identity provider, for
                example, ``graph.facebook.com`` or
                ``cognito-idp.us-east-1.amazonaws.com/us-east-1_abcdefghi:app_client_id``.

                Up to 25 rules can be specified per identity provider.

        Returns:
            An empty dict.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            ConcurrentModificationException: Thrown if there are parallel requests to modify a
                resource.
        """
        return cast(
            EmptyResponse,
            self._call(
                "SetIdentityPoolRoles",
                {"IdentityPoolId": IdentityPoolId, "Roles": Roles, "RoleMappings": RoleMappings},
            ),
        )

    def set_principal_tag_attribute_map(
        self,
        *,
        IdentityPoolId: str,
        IdentityProviderName: str,
        UseDefaults: bool | None = None,
        PrincipalTags: Mapping[str, str] | None = None,
    ) -> SetPrincipalTagAttributeMapResponse:
        """You can use this operation to use default (username and clientID) attribute or custom
        attribute mappings.

        AWS API: ``SetPrincipalTagAttributeMap`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_SetPrincipalTagAttributeMap.html).

        Args:
            IdentityPoolId: Required. The ID of the Identity Pool you want to set attribute mappings
                for.
            IdentityProviderName: Required. The provider name you want to use for attribute
                mappings.
            UseDefaults: You can use this operation to use default (username and clientID) attribute
                mappings.
            PrincipalTags: You can use this operation to add principal tags.

        Returns:
            A dict (``SetPrincipalTagAttributeMapResponse``):
            - ``IdentityPoolId``: The ID of the Identity Pool you want to set attribute mappings
                for.
            - ``IdentityProviderName``: The provider name you want to use for attribute mappings.
            - ``UseDefaults``: You can use this operation to select default (username and clientID)
                attribute mappings.
            - ``PrincipalTags``: You can use this operation to add principal tags. The
                ``PrincipalTags`` operation enables you to reference user attributes in your IAM
                permissions policy.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            SetPrincipalTagAttributeMapResponse,
            self._call(
                "SetPrincipalTagAttributeMap",
                {
                    "IdentityPoolId": IdentityPoolId,
                    "IdentityProviderName": IdentityProviderName,
                    "UseDefaults": UseDefaults,
                    "PrincipalTags": PrincipalTags,
                },
            ),
        )

    def tag_resource(
        self,
        *,
        ResourceArn: str,
        Tags: Mapping[str, str],
    ) -> EmptyResponse:
        """Assigns a set of tags to the specified Amazon Cognito identity pool. A tag is a label
        that you can use to categorize and manage identity pools in different ways, such as by
        purpose, owner, environment, or other criteria.

        Each tag consists of a key and value, both of which you define. A key is a general category
        for more specific values. For example, if you have two versions of an identity pool, one for
        testing and another for production, you might assign an ``Environment`` tag key to both
        identity pools. The value of this key might be ``Test`` for one identity pool and
        ``Production`` for the other.

        Tags are useful for cost tracking and access control. You can activate your tags so that
        they appear on the Billing and Cost Management console, where you can track the costs
        associated with your identity pools. In an IAM policy, you can constrain permissions for
        identity pools based on specific tags or tag values.

        You can use this action up to 5 times per second, per account. An identity pool can have as
        many as 50 tags.

        AWS API: ``TagResource`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_TagResource.html).

        Args:
            ResourceArn: Required. The Amazon Resource Name (ARN) of the identity pool.
            Tags: Required. The tags to assign to the identity pool.

        Returns:
            An empty dict.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            EmptyResponse, self._call("TagResource", {"ResourceArn": ResourceArn, "Tags": Tags})
        )

    def unlink_developer_identity(
        self,
        *,
        IdentityId: str,
        IdentityPoolId: str,
        DeveloperProviderName: str,
        DeveloperUserIdentifier: str,
    ) -> EmptyResponse:
        """Unlinks a ``DeveloperUserIdentifier`` from an existing identity. Unlinked developer users
        will be considered new identities next time they are seen. If, for a given Cognito identity,
        you remove all federated identities as well as the developer user identifier, the Cognito
        identity becomes inaccessible.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``UnlinkDeveloperIdentity`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_UnlinkDeveloperIdentity.html).

        Args:
            IdentityId: Required. A unique identifier in the format REGION:GUID.
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            DeveloperProviderName: Required. The "domain" by which Cognito will refer to your users.
            DeveloperUserIdentifier: Required. A unique ID used by your backend authentication
                process to identify a user.

        Returns:
            An empty dict.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            EmptyResponse,
            self._call(
                "UnlinkDeveloperIdentity",
                {
                    "IdentityId": IdentityId,
                    "IdentityPoolId": IdentityPoolId,
                    "DeveloperProviderName": DeveloperProviderName,
                    "DeveloperUserIdentifier": DeveloperUserIdentifier,
                },
            ),
        )

    def unlink_identity(
        self,
        *,
        IdentityId: str,
        Logins: Mapping[str, str],
        LoginsToRemove: Sequence[str],
    ) -> EmptyResponse:
        """Unlinks a federated identity from an existing account. Unlinked logins will be considered
        new identities next time they are seen. Removing the last linked login will make this
        identity inaccessible.

        This is a public API. You do not need any credentials to call this API.

        AWS API: ``UnlinkIdentity`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_UnlinkIdentity.html).

        Args:
            IdentityId: Required. A unique identifier in the format REGION:GUID.
            Logins: Required. A set of optional name-value pairs that map provider names to provider
                tokens.
            LoginsToRemove: Required. Provider names to unlink from this identity.

        Returns:
            An empty dict.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            ExternalServiceException: An exception thrown when a dependent service such as Facebook
                or Twitter is not responding
        """
        return cast(
            EmptyResponse,
            self._call(
                "UnlinkIdentity",
                {"IdentityId": IdentityId, "Logins": Logins, "LoginsToRemove": LoginsToRemove},
            ),
        )

    def untag_resource(
        self,
        *,
        ResourceArn: str,
        TagKeys: Sequence[str],
    ) -> EmptyResponse:
        """Removes the specified tags from the specified Amazon Cognito identity pool. You can use
        this action up to 5 times per second, per account

        AWS API: ``UntagResource`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_UntagResource.html).

        Args:
            ResourceArn: Required. The Amazon Resource Name (ARN) of the identity pool.
            TagKeys: Required. The keys of the tags to remove from the user pool.

        Returns:
            An empty dict.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
        """
        return cast(
            EmptyResponse,
            self._call("UntagResource", {"ResourceArn": ResourceArn, "TagKeys": TagKeys}),
        )

    def update_identity_pool(
        self,
        *,
        IdentityPoolId: str,
        IdentityPoolName: str,
        AllowUnauthenticatedIdentities: bool,
        AllowClassicFlow: bool | None = None,
        SupportedLoginProviders: Mapping[str, str] | None = None,
        DeveloperProviderName: str | None = None,
        OpenIdConnectProviderARNs: Sequence[str] | None = None,
        CognitoIdentityProviders: Sequence[CognitoIdentityProvider] | None = None,
        SamlProviderARNs: Sequence[str] | None = None,
        IdentityPoolTags: Mapping[str, str] | None = None,
    ) -> IdentityPool:
        """Updates the configuration of an identity pool.

        Important: If you don't provide a value for a parameter, Amazon Cognito sets it to its
        default value.

        You must use Amazon Web Services developer credentials to call this operation.

        AWS API: ``UpdateIdentityPool`` (https://docs.aws.amazon.com/cognitoidentity/latest/APIReference/API_UpdateIdentityPool.html).

        Args:
            IdentityPoolId: Required. An identity pool ID in the format REGION:GUID.
            IdentityPoolName: Required. A string that you provide.
            AllowUnauthenticatedIdentities: Required. TRUE if the identity pool supports
                unauthenticated logins.
            AllowClassicFlow: Enables or disables the Basic (Classic) authentication flow. For more
                information, see Identity Pools (Federated Identities) Authentication Flow
                (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html)
                in the Amazon Cognito Developer Guide.
            SupportedLoginProviders: Optional key:value pairs mapping provider names to provider app
                IDs.
            DeveloperProviderName: The "domain" by which Cognito will refer to your users.
            OpenIdConnectProviderARNs: The ARNs of the OpenID Connect providers.
            CognitoIdentityProviders: A list representing an Amazon Cognito user pool and its client
                ID.
            SamlProviderARNs: An array of Amazon Resource Names (ARNs) of the SAML provider for your
                identity pool.
            IdentityPoolTags: The tags that are assigned to the identity pool. A tag is a label that
                you can apply to identity pools to categorize and manage them in different ways,
                such as by purpose, owner, environment, or other criteria.

        Returns:
            A dict (``IdentityPool``):
            - ``IdentityPoolId``: An identity pool ID in the format REGION:GUID.
            - ``IdentityPoolName``: A string that you provide.
            - ``AllowUnauthenticatedIdentities``: TRUE if the identity pool supports unauthenticated
                logins.
            - ``AllowClassicFlow``: Enables or disables the Basic (Classic) authentication flow. For
                more information, see Identity Pools (Federated Identities) Authentication Flow
                (https://docs.aws.amazon.com/cognito/latest/developerguide/authentication-flow.html)
                in the Amazon Cognito Developer Guide.
            - ``SupportedLoginProviders``: Optional key:value pairs mapping provider names to
                provider app IDs.
            - ``DeveloperProviderName``: The "domain" by which Cognito will refer to your users.
            - ``OpenIdConnectProviderARNs``: The ARNs of the OpenID Connect providers.
            - ``CognitoIdentityProviders``: A list representing an Amazon Cognito user pool and its
                client ID.
            - ``SamlProviderARNs``: An array of Amazon Resource Names (ARNs) of the SAML provider
                for your identity pool.
            - ``IdentityPoolTags``: The tags that are assigned to the identity pool. A tag is a
                label that you can apply to identity pools to categorize and manage them in
                different ways, such as by purpose, owner, environment, or other criteria.

        Raises:
            InvalidParameterException: Thrown for missing or bad input parameter(s).
            ResourceNotFoundException: Thrown when the requested resource (for example, a dataset or
                record) does not exist.
            NotAuthorizedException: Thrown when a user is not authorized to access the requested
                resource.
            ResourceConflictException: Thrown when a user tries to use a login which is already
                linked to another account.
            TooManyRequestsException: Thrown when a request is throttled.
            InternalErrorException: Thrown when the service encounters an error during processing
                the request.
            ConcurrentModificationException: Thrown if there are parallel requests to modify a
                resource.
            LimitExceededException: Thrown when the total number of user pools has exceeded a preset
                limit.
        """
        return cast(
            IdentityPool,
            self._call(
                "UpdateIdentityPool",
                {
                    "IdentityPoolId": IdentityPoolId,
                    "IdentityPoolName": IdentityPoolName,
                    "AllowUnauthenticatedIdentities": AllowUnauthenticatedIdentities,
                    "AllowClassicFlow": AllowClassicFlow,
                    "SupportedLoginProviders": SupportedLoginProviders,
                    "DeveloperProviderName": DeveloperProviderName,
                    "OpenIdConnectProviderARNs": OpenIdConnectProviderARNs,
                    "CognitoIdentityProviders": CognitoIdentityProviders,
                    "SamlProviderARNs": SamlProviderARNs,
                    "IdentityPoolTags": IdentityPoolTags,
                },
            ),
        )

    @overload
    def paginate(
        self,
        operation: Literal["list_identity_pools"],
        /,
        *,
        MaxResults: int,
        NextToken: str | None = None,
    ) -> Pages[ListIdentityPoolsResponse, IdentityPoolShortDescription]: ...

    @overload
    def paginate(
        self,
        operation: Literal["list_identities"],
        /,
        *,
        IdentityPoolId: str,
        MaxResults: int,
        NextToken: str | None = None,
        HideDisabled: bool | None = None,
    ) -> Pages[ListIdentitiesResponse, IdentityDescription]: ...

    @overload
    def paginate(
        self,
        operation: Literal["lookup_developer_identity"],
        /,
        *,
        IdentityPoolId: str,
        IdentityId: str | None = None,
        DeveloperUserIdentifier: str | None = None,
        MaxResults: int | None = None,
        NextToken: str | None = None,
    ) -> Pages[LookupDeveloperIdentityResponse, str]: ...

    def paginate(self, operation: str, /, **params: Any) -> Pages[Any, Any]:
        """Every page of a listing, fetched as you iterate: ``NextToken`` from each
        page feeds the next request, until a page comes without one.

        ``operation`` is the method's name (``list_identity_pools``, ``list_identities``
        or ``lookup_developer_identity``); ``params`` are its keyword arguments, checked
        now (a ``TypeError`` names a missing or unknown one) and sent with every page.
        ``NextToken`` given here is where the walk starts. ``.items()`` on the result
        yields the listed things themselves instead of pages.
        """
        return self._paginate(operation, params)
