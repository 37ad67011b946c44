"""The IAM identity providers of the store, as the login verifiers look them up.

:class:`StoreProviderDirectory` implements
:class:`~cognitoidentity.server.logins.base.ProviderDirectory` over the providers the IAM
operations (:mod:`cognitoidentity.server.operations.iam`) keep: an ARN is looked up in the pool's
account only, so a pool can never use another account's provider, whatever ARN it names.
"""

from __future__ import annotations

from collections.abc import Hashable

from cognitoidentity.server.logins.base import OidcProviderConfig, SamlProviderConfig
from cognitoidentity.server.store.base import Store

__all__ = ["StoreProviderDirectory"]


class StoreProviderDirectory:
    """IAM OpenID Connect and SAML providers, read from the store at each lookup (a provider
    changed or deleted through IAM counts from the next login on, in every server process)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def version(self) -> Hashable | None:
        return self.store.version()

    async def oidc_provider(self, account_id: str, arn: str) -> OidcProviderConfig | None:
        provider = await self.store.get_oidc_provider(account_id, arn)
        if provider is None:
            return None
        return OidcProviderConfig(
            url=provider.url, client_ids=provider.client_ids, thumbprints=provider.thumbprints
        )

    async def saml_provider(self, account_id: str, arn: str) -> SamlProviderConfig | None:
        provider = await self.store.get_saml_provider(account_id, arn)
        if provider is None:
            return None
        return SamlProviderConfig(metadata_document=provider.metadata_document)
