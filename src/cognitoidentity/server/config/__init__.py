"""Declarative configuration: accounts, access keys, IAM OIDC and SAML providers, IAM roles and
customer managed policies, and identity pools with fixed ids, declared in a TOML file and applied
to the store (``cognitoidentity serve --config FILE`` at every start, ``cognitoidentity apply FILE
[--dry-run]``), and the store's contents written as such a file (``cognitoidentity dump``).

TOML, read by the standard library's ``tomllib``: no dependency, and no YAML surprises where ids
are concerned (an unquoted ``000000000000`` or ``0123`` is a number in YAML, ``no`` a boolean; TOML
has every string quoted). ``tomllib`` names the line of a syntax error only, so :mod:`.locate`
finds the line of every key, and a file that parses but declares something wrong is answered
``FILE:LINE: KEY: what is wrong``, every problem at once.

The file::

    version = 1

    [[accounts]]
    id = "111122223333"
    name = "ci"

    [[accounts.access_keys]]
    id = "AKIAEXAMPLECI0000001"
    secret_env = "CI_SECRET_ACCESS_KEY"   # the secret, from the environment, never in the file

    [[accounts.oidc_providers]]           # CreateOpenIDConnectProvider's members
    Url = "https://idp.example.com"
    ClientIDList = ["my-app"]

    [[accounts.policies]]                 # CreatePolicy's members
    PolicyName = "read-photos"

    [accounts.policies.PolicyDocument]    # a document is a table (or a string of JSON)
    Version = "2012-10-17"

    [[accounts.policies.PolicyDocument.Statement]]
    Effect = "Allow"
    Action = "s3:GetObject"
    Resource = "arn:aws:s3:::photos/*"

    [[accounts.roles]]                    # CreateRole's members, its inline and managed policies
    RoleName = "guest"
    AttachedPolicies = ["read-photos"]    # names of the account's policies, or ARNs
    AssumeRolePolicyDocument = '''{"Version": "2012-10-17", "Statement": [...]}'''

    [accounts.roles.InlinePolicies.write-own-folder]                # name to document
    Version = "2012-10-17"
    # [[accounts.roles.InlinePolicies.write-own-folder.Statement]] ...

    [[accounts.pools]]                    # the pool's id, then CreateIdentityPool's members
    IdentityPoolId = "us-east-1:7f6b1a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b"
    IdentityPoolName = "ci"
    AllowUnauthenticatedIdentities = true
    OpenIdConnectProviderARNs = ["arn:aws:iam::111122223333:oidc-provider/idp.example.com"]
    IdentityPoolTags = { env = "ci" }
    Roles = { unauthenticated = "arn:aws:iam::111122223333:role/guest" }  # SetIdentityPoolRoles

    [accounts.pools.PrincipalTagAttributeMaps."idp.example.com"]  # SetPrincipalTagAttributeMap
    UseDefaults = true

Modules: :mod:`.source` (reading, errors), :mod:`.locate` (key lines), :mod:`.declared` and
:mod:`.declared_iam` (the schema and its checks, the API's own), :mod:`.documents` (policy
documents as tables or JSON), :mod:`.stored` (the store's side), :mod:`.plan` and :mod:`.plan_iam`
(plan and apply), :mod:`.dump` and :mod:`.toml_text` (writing the file).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from cognitoidentity.server.accounts import AccountAdmin, utc_now
from cognitoidentity.server.config.declared import Checks, Declared, declared
from cognitoidentity.server.config.dump import dump_text
from cognitoidentity.server.config.plan import Plan, apply_config, make_plan
from cognitoidentity.server.config.source import ConfigError, read_config
from cognitoidentity.server.config.stored import read_stored
from cognitoidentity.server.operations.tags import partition_of
from cognitoidentity.server.outbound import OutboundPolicy
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.store.base import Store

__all__ = ["ConfigError", "Plan", "apply_file", "dump_store", "load_file"]


def load_file(
    path: Path, settings: Settings, environ: Mapping[str, str], now: datetime
) -> Declared:
    """The file at ``path``, checked (raises ``ValueError``/``ConfigError`` naming file, line and
    key); secrets are read from ``environ``, OIDC URLs checked against ``settings``' outbound
    policy, IAM ARNs made in the partition of ``settings.region``."""
    checks = Checks(
        partition=partition_of(settings.region),
        policy=OutboundPolicy.from_settings(settings),
        now=now,
        environ=environ,
    )
    return declared(read_config(path), checks)


async def apply_file(
    config: Declared, store: Store, admin: AccountAdmin, settings: Settings, *, dry_run: bool
) -> Plan:
    """Apply ``config`` to ``store`` (with ``dry_run``, only plan); the plan made."""
    if dry_run:
        return await make_plan(
            config, store, admin, max_pools=settings.max_pools_per_account, now=utc_now()
        )
    return await apply_config(
        config, store, admin, max_pools=settings.max_pools_per_account, clock=utc_now
    )


async def dump_store(store: Store) -> str:
    """The store's accounts, keys, providers, roles, policies and pools as a configuration
    file."""
    return dump_text(await read_stored(store))
