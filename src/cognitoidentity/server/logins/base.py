"""What every login verifier shares: the verified login, the IAM provider directory, the messages.

A verifier checks one ``Logins`` token against the identity pool's configuration and answers a
:class:`LoginIdentity`, or raises :class:`NotAuthorizedException` (a bad token) or
:class:`ExternalServiceException` (the provider could not be asked). Linking and merging identities
are the caller's business.

Messages: the ones AWS is known to send are quoted from public reports (reference section 3.4);
the others are marked **Choice**.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol

from cognitoidentity.server.api.cognito_identity import NotAuthorizedException

__all__ = [
    "CLOCK_SKEW_SECONDS",
    "COULD_NOT_VERIFY",
    "INVALID_AUDIENCE",
    "ISSUER_MISMATCH",
    "MAX_TOKEN_CHARS",
    "NOT_AN_OIDC_TOKEN",
    "NOT_A_COGNITO_TOKEN",
    "TOKEN_IS_EXPIRED",
    "UNSUPPORTED_PROVIDER",
    "LoginIdentity",
    "OidcProviderConfig",
    "ProviderDirectory",
    "SamlProviderConfig",
    "Verifier",
    "expired",
    "missing_claim",
    "not_authorized",
]

CLOCK_SKEW_SECONDS: Final = 300
"""Grace for ``exp``, ``nbf``, ``iat`` and SAML ``NotBefore``/``NotOnOrAfter``: the Developer Guide's
"5-minute clock-skew grace" for OpenID Connect tokens, applied to every provider kind."""
MAX_TOKEN_CHARS: Final = 50_000
"""The service model's limit on a ``Logins`` value (``IdentityProviderToken``)."""

UNSUPPORTED_PROVIDER: Final = "Token is not from a supported provider of this identity pool."
"""Also what AWS answers for a known provider whose token names another client (user pool app
client, Google client id, Login with Amazon app id): public reports show this message for those."""
ISSUER_MISMATCH: Final = "Invalid login token. Issuer doesn't match providerName"
COULD_NOT_VERIFY: Final = "Invalid login token. Couldn't verify signed token."
NOT_A_COGNITO_TOKEN: Final = "Invalid login token. Not a Cognito token."  # noqa: S105
NOT_AN_OIDC_TOKEN: Final = "Invalid login token. Not a valid OpenId Connect identity token."  # noqa: S105
"""What AWS answers for a Google/OIDC login whose value is not a JWT (an access token, say)."""
TOKEN_IS_EXPIRED: Final = "Invalid login token. Token is expired."  # noqa: S105
"""What AWS answers for an expired Facebook access token (the provider does not tell when)."""
INVALID_AUDIENCE: Final = "Invalid login token. Incorrect token audience."
"""**Choice**: a SAML assertion whose ``Audience`` is not ``urn:amazon:webservices``."""


def not_authorized(message: str) -> NotAuthorizedException:
    return NotAuthorizedException(message)


def missing_claim(name: str) -> NotAuthorizedException:
    """ "Invalid login token. Missing a required claim: aud" (AWS's text for an access token sent
    for a user pool), used for every required claim."""
    return NotAuthorizedException(f"Invalid login token. Missing a required claim: {name}")


def expired(now: int, expires: int) -> NotAuthorizedException:
    """ "Invalid login token. Token expired: <now> >= <exp>", both as integers: epoch seconds for
    JWTs, epoch milliseconds for SAML (as AWS prints them)."""
    return NotAuthorizedException(f"Invalid login token. Token expired: {now} >= {expires}")


@dataclass(frozen=True, slots=True)
class LoginIdentity:
    """One verified ``Logins`` entry."""

    provider: str
    """The ``Logins`` key as sent."""
    user_id: str
    """The stable user identifier at that provider: ``sub`` (OIDC, Google, Apple, user pools), the
    Facebook id, the Amazon ``user_id``, the Twitter ``id_str``, the SAML ``NameID``."""
    claims: Mapping[str, object]
    """The verified claims or attributes, for role-mapping rules and principal tags. Facebook,
    Amazon and Twitter logins carry ``sub`` (the user id) and ``aud`` (the app id) too; SAML
    attributes are strings when single-valued, else lists of strings."""
    amr: str
    """The provider-specific ``amr`` entry of our OpenID token: ``<key>:CognitoSignIn:<sub>`` for a
    user pool (as AWS does), ``<key>:<user_id>`` for every other kind (**Choice**, by analogy with
    ``graph.facebook.com:<id>``)."""
    mapping_keys: tuple[str, ...]
    """The ``RoleMappings`` keys that address this login, most specific first: a user pool
    ``("<key>:<client id>", "<key>")``, an OIDC provider ``(<IAM OIDC provider ARN>, "<key>")``,
    every other kind ``("<key>",)``."""
    roles_from_assertion: tuple[tuple[str, str], ...] = ()
    """SAML only: the ``(role ARN, provider ARN)`` pairs of the assertion's
    ``https://aws.amazon.com/SAML/Attributes/Role`` attribute, in order."""


@dataclass(frozen=True, slots=True)
class OidcProviderConfig:
    """An IAM OpenID Connect provider."""

    url: str
    """The issuer URL with its scheme, e.g. ``https://login.example.com`` (or, for a provider on
    this machine, ``http://127.0.0.1:8080``). The ``Logins`` key is this without the scheme."""
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class SamlProviderConfig:
    """An IAM SAML provider."""

    metadata_document: str
    """The IdP's SAML metadata (an ``EntityDescriptor``), XML."""


class ProviderDirectory(Protocol):
    """Where the verifiers find IAM identity providers (implemented by the IAM part)."""

    async def oidc_provider(self, account_id: str, arn: str) -> OidcProviderConfig | None: ...

    async def saml_provider(self, account_id: str, arn: str) -> SamlProviderConfig | None: ...

    def version(self) -> Hashable | None:
        """Equal to an earlier answer only if no provider (nor any other stored setting) changed
        in between; None when the directory cannot tell (see ``Store.version``)."""
        ...


class Verifier(Protocol):
    """One provider configuration's verifier: checks a ``Logins`` value."""

    async def verify(self, token: str) -> LoginIdentity: ...
