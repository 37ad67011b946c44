"""What the store holds that a configuration file can declare, read at once from one snapshot."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    IamManagedPolicy,
    IamOidcProvider,
    IamRole,
    IamSamlProvider,
    IdentityPool,
    Store,
)


@dataclass(slots=True)
class Stored:
    """Accounts, access keys, IAM providers, managed policies, roles and pools by id (ARN for IAM
    resources), each in the store's export order (ids bytewise, pools oldest first)."""

    accounts: dict[str, Account] = field(default_factory=dict)
    access_keys: dict[str, AccessKey] = field(default_factory=dict)
    oidc_providers: dict[str, IamOidcProvider] = field(default_factory=dict)
    saml_providers: dict[str, IamSamlProvider] = field(default_factory=dict)
    policies: dict[str, IamManagedPolicy] = field(default_factory=dict)
    roles: dict[str, IamRole] = field(default_factory=dict)
    pools: dict[str, IdentityPool] = field(default_factory=dict)


async def read_stored(store: Store) -> Stored:
    stored = Stored()
    async with contextlib.aclosing(store.export_records(identities=False)) as records:
        async for record in records:
            match record:
                case Account():
                    stored.accounts[record.account_id] = record
                case AccessKey():
                    stored.access_keys[record.access_key_id] = record
                case IamOidcProvider():
                    stored.oidc_providers[record.arn] = record
                case IamSamlProvider():
                    stored.saml_providers[record.arn] = record
                case IamManagedPolicy():
                    stored.policies[record.arn] = record
                case IamRole():
                    stored.roles[record.arn] = record
                case IdentityPool():
                    stored.pools[record.pool_id] = record
    return stored
