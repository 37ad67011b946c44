"""``cognitoidentity dump``: what the store holds, as a configuration file that applies as a plan
with nothing to do (access keys by id alone: their secrets are never written out), and applied to
an empty store, dumps as the same file. Policy documents are written as TOML tables
(:mod:`.documents`); a role names the managed policies it uses by their names, since the dump
declares every policy of the account."""

from __future__ import annotations

from typing import Any

from cognitoidentity.server.config.declared import (
    FORMAT_VERSION,
    POOL_CREATE_MEMBERS,
    PRINCIPAL_TAG_MAPS,
)
from cognitoidentity.server.config.declared_iam import ATTACHED_POLICIES, INLINE_POLICIES
from cognitoidentity.server.config.documents import document_value
from cognitoidentity.server.config.stored import Stored
from cognitoidentity.server.config.toml_text import toml_document
from cognitoidentity.server.operations.pools import pool_output
from cognitoidentity.server.store.base import (
    IamManagedPolicy,
    IamOidcProvider,
    IamRole,
    IamSamlProvider,
    IdentityPool,
)

POOL_MEMBER_ORDER = ("IdentityPoolId", *POOL_CREATE_MEMBERS)
ARRAYS_OF_TABLES = (
    "accounts",
    "access_keys",
    "oidc_providers",
    "saml_providers",
    "policies",
    "roles",
    "pools",
    "Statement",
)
"""Written as ``[[...]]`` sections: the file's resources, and a policy document's statements."""
HEADER = """\
cognitoidentity configuration, dumped from a store. Apply it with `cognitoidentity apply FILE`
or `cognitoidentity serve --config FILE`: what is missing is created, what differs is updated,
nothing is deleted.
Access keys are listed by id alone (secrets are never dumped) and must then exist in the store;
add secret_env = "VARIABLE" to one to create it, or set its secret, from that variable."""


def pool_members(pool: IdentityPool) -> dict[str, Any]:
    """A pool as a file declares it: ``DescribeIdentityPool``'s answer (empty maps left out),
    then its roles, role mappings and principal-tag maps."""
    described: dict[str, Any] = dict(pool_output(pool))
    out = {k: described[k] for k in POOL_MEMBER_ORDER if described.get(k, {}) != {}}
    if pool.roles:
        out["Roles"] = dict(pool.roles)
    if pool.role_mappings:
        out["RoleMappings"] = pool.role_mappings
    if pool.principal_tag_maps:
        out[PRINCIPAL_TAG_MAPS] = {
            provider: _principal_tag_entry(entry)
            for provider, entry in pool.principal_tag_maps.items()
        }
    return out


def _principal_tag_entry(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if entry.get("UseDefaults"):
        out["UseDefaults"] = True
    if entry.get("PrincipalTags"):
        out["PrincipalTags"] = dict(entry["PrincipalTags"])
    return out


def oidc_members(provider: IamOidcProvider) -> dict[str, Any]:
    out: dict[str, Any] = {"Url": provider.url}
    if provider.client_ids:
        out["ClientIDList"] = list(provider.client_ids)
    if provider.thumbprints:
        out["ThumbprintList"] = list(provider.thumbprints)
    if provider.tags:
        out["Tags"] = _tags(provider.tags)
    return out


def saml_members(provider: IamSamlProvider) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": provider.name,
        "SAMLMetadataDocument": provider.metadata_document,
    }
    if provider.tags:
        out["Tags"] = _tags(provider.tags)
    return out


def policy_members(policy: IamManagedPolicy) -> dict[str, Any]:
    """A managed policy as a file declares it: its default version's document (the others are
    the store's history, which a file does not declare)."""
    out: dict[str, Any] = {"PolicyName": policy.name}
    if policy.path != "/":
        out["Path"] = policy.path
    if policy.description is not None:
        out["Description"] = policy.description
    if policy.tags:
        out["Tags"] = _tags(policy.tags)
    out["PolicyDocument"] = document_value(policy.default_version.document)
    return out


def role_members(role: IamRole, policy_names: dict[str, str]) -> dict[str, Any]:
    """A role as a file declares it; the policies it uses by name (``policy_names``: ARN to
    name, the account's policies, which the dump declares too)."""
    out: dict[str, Any] = {"RoleName": role.name}
    if role.path != "/":
        out["Path"] = role.path
    if role.description is not None:
        out["Description"] = role.description
    if role.max_session_duration != 3600:
        out["MaxSessionDuration"] = role.max_session_duration
    if role.max_signin_session_duration is not None:
        out["MaxSigninSessionDuration"] = role.max_signin_session_duration
    if role.permissions_boundary is not None:
        boundary = role.permissions_boundary
        out["PermissionsBoundary"] = policy_names.get(boundary, boundary)
    if role.tags:
        out["Tags"] = _tags(role.tags)
    if role.attached_policies:
        out[ATTACHED_POLICIES] = [policy_names.get(a, a) for a in role.attached_policies]
    out["AssumeRolePolicyDocument"] = document_value(role.trust_policy)
    if role.inline_policies:
        out[INLINE_POLICIES] = {
            name: document_value(text) for name, text in role.inline_policies.items()
        }
    return out


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def dump_data(stored: Stored) -> dict[str, Any]:
    accounts = []
    for account in stored.accounts.values():
        entry: dict[str, Any] = {"id": account.account_id, "name": account.name}
        policies = [p for p in stored.policies.values() if p.account_id == account.account_id]
        names = {p.arn: p.name for p in policies}
        sections = {
            "access_keys": [
                {"id": key.access_key_id}
                for key in stored.access_keys.values()
                if key.account_id == account.account_id
            ],
            "oidc_providers": [
                oidc_members(p)
                for p in stored.oidc_providers.values()
                if p.account_id == account.account_id
            ],
            "saml_providers": [
                saml_members(p)
                for p in stored.saml_providers.values()
                if p.account_id == account.account_id
            ],
            "policies": [policy_members(p) for p in policies],
            "roles": [
                role_members(r, names)
                for r in stored.roles.values()
                if r.account_id == account.account_id
            ],
            "pools": [
                pool_members(p) for p in stored.pools.values() if p.account_id == account.account_id
            ],
        }
        entry.update({key: items for key, items in sections.items() if items})
        accounts.append(entry)
    data: dict[str, Any] = {"version": FORMAT_VERSION}
    if accounts:
        data["accounts"] = accounts
    return data


def dump_text(stored: Stored) -> str:
    return toml_document(dump_data(stored), arrays_of_tables=ARRAYS_OF_TABLES, header=HEADER)
