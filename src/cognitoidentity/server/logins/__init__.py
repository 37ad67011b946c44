"""Verifying the tokens of a ``Logins`` map: one verifier per provider kind, chosen by the key.

The entry point is :class:`~.dispatch.LoginVerifier`; :mod:`.base` has the result type
(:class:`~.base.LoginIdentity`) and the :class:`~.base.ProviderDirectory` protocol through which
IAM OIDC and SAML providers are found.
"""

from cognitoidentity.server.logins.base import (
    LoginIdentity,
    OidcProviderConfig,
    ProviderDirectory,
    SamlProviderConfig,
    Verifier,
)
from cognitoidentity.server.logins.dispatch import LoginVerifier

__all__ = [
    "LoginIdentity",
    "LoginVerifier",
    "OidcProviderConfig",
    "ProviderDirectory",
    "SamlProviderConfig",
    "Verifier",
]
