"""What a configuration file declares, checked as the API checks the same input.

Each resource's members are the API's own (``CreateIdentityPool``, ``SetIdentityPoolRoles``,
``SetPrincipalTagAttributeMap``, ``CreateOpenIDConnectProvider``, ``CreateSAMLProvider``; IAM
roles and policies, ``CreateRole`` and ``CreatePolicy``, in :mod:`.declared_iam`): every value goes
through the model's shapes as a request would (types, lengths, patterns, enums, with the API's
messages), then through the checks the operations make (:mod:`..operations`): tags, Cognito
providers, roles of the pool's account and role mappings, principal-tag sizes, OIDC URLs against
the outbound policy, SAML metadata, policy documents. A problem names the deepest key it can; every
problem of the file is reported at once. What needs the store (the provider and policy ARNs a pool
or a role names, the pool's ``DeveloperProviderName`` once set) is checked by :mod:`.plan`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from botocore.model import StructureShape

from cognitoidentity.server.accounts import valid_account_id
from cognitoidentity.server.config import declared_iam
from cognitoidentity.server.config.declared_iam import DeclaredPolicy, DeclaredRole
from cognitoidentity.server.config.locate import Path
from cognitoidentity.server.config.model_check import (
    camel,
    input_shape,
    kind_of,
    model_problem,
    unknown_key,
)
from cognitoidentity.server.config.source import ConfigError, ConfigSource, Problem
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.operations.iam import new_oidc_provider
from cognitoidentity.server.operations.iam_saml import new_saml_provider
from cognitoidentity.server.operations.pools import configured_pool
from cognitoidentity.server.operations.principal_tags import with_principal_tags
from cognitoidentity.server.operations.tags import check_tags
from cognitoidentity.server.outbound import OutboundPolicy
from cognitoidentity.server.protocol.shapes import parse_member
from cognitoidentity.server.roles import check_roles
from cognitoidentity.server.store.base import IamOidcProvider, IamSamlProvider, IdentityPool

T = TypeVar("T")

FORMAT_VERSION = 1
_ACCESS_KEY_ID = re.compile(r"\w{16,128}", re.ASCII)  # IAM's accessKeyIdType
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

POOL_CREATE_MEMBERS = (
    "IdentityPoolName",
    "AllowUnauthenticatedIdentities",
    "AllowClassicFlow",
    "SupportedLoginProviders",
    "DeveloperProviderName",
    "OpenIdConnectProviderARNs",
    "CognitoIdentityProviders",
    "SamlProviderARNs",
    "IdentityPoolTags",
)
"""``CreateIdentityPool``'s members, as a pool declares them."""
POOL_ROLE_MEMBERS = ("Roles", "RoleMappings")
"""``SetIdentityPoolRoles``'s members."""
PRINCIPAL_TAG_MAPS = "PrincipalTagAttributeMaps"
"""A pool's ``SetPrincipalTagAttributeMap`` calls: provider name to ``UseDefaults`` and
``PrincipalTags``."""
PRINCIPAL_TAG_MEMBERS = ("UseDefaults", "PrincipalTags")
OIDC_MEMBERS = ("Url", "ClientIDList", "ThumbprintList", "Tags")
"""The members of ``CreateOpenIDConnectProvider`` this server supports."""
SAML_MEMBERS = ("Name", "SAMLMetadataDocument", "Tags")
"""The members of ``CreateSAMLProvider`` this server supports, and ``metadata_file``."""
SAML_METADATA_FILE = "metadata_file"

ACCOUNT_KEYS = (
    "id",
    "name",
    "access_keys",
    "oidc_providers",
    "saml_providers",
    "policies",
    "roles",
    "pools",
)


@dataclass(frozen=True, slots=True)
class Checks:
    """What checking a file needs besides the file: the partition of the IAM ARNs, the outbound
    policy OIDC provider URLs must pass, the time new records are made at, and the environment
    the access keys' secrets are read from."""

    partition: str
    policy: OutboundPolicy
    now: datetime
    environ: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class DeclaredKey:
    path: Path
    access_key_id: str
    secret_env: str | None
    secret: str | None
    """From ``secret_env``; without it the key must be in the store already (its secret kept)."""


@dataclass(frozen=True, slots=True)
class DeclaredOidcProvider:
    path: Path
    provider: IamOidcProvider


@dataclass(frozen=True, slots=True)
class DeclaredSamlProvider:
    path: Path
    provider: IamSamlProvider


@dataclass(frozen=True, slots=True)
class DeclaredPool:
    path: Path
    pool_id: str
    params: dict[str, Any]
    """``CreateIdentityPool``'s members (the API's ``IdentityPool`` shape with the id)."""
    roles: dict[str, str]
    role_mappings: dict[str, Any]
    principal_tags: dict[str, dict[str, Any]]
    """Provider name to ``{"UseDefaults": bool, "PrincipalTags": {tag: claim}}``."""


@dataclass(frozen=True, slots=True)
class DeclaredAccount:
    path: Path
    account_id: str
    name: str | None
    access_keys: tuple[DeclaredKey, ...] = ()
    oidc_providers: tuple[DeclaredOidcProvider, ...] = ()
    saml_providers: tuple[DeclaredSamlProvider, ...] = ()
    pools: tuple[DeclaredPool, ...] = ()
    policies: tuple[DeclaredPolicy, ...] = ()
    """Customer managed policies (:mod:`.declared_iam`)."""
    roles: tuple[DeclaredRole, ...] = ()


@dataclass(frozen=True, slots=True)
class Declared:
    source: ConfigSource
    accounts: tuple[DeclaredAccount, ...]

    def error(self, problems: Iterable[Problem]) -> ConfigError:
        return self.source.error(list(problems))


@dataclass
class _Reader:
    """Walks the file's data, collecting problems rather than stopping at the first."""

    source: ConfigSource
    checks: Checks
    problems: list[Problem] = field(default_factory=list)

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(path, message))

    def service_error(self, path: Path, exc: ServiceError) -> None:
        self.problem(path, f"{exc.code}: {exc}")

    # -- structure -----------------------------------------------------------------------------
    def table(self, value: object, path: Path, allowed: Iterable[str]) -> dict[str, Any] | None:
        """``value``'s ``allowed`` keys when it is a table (else a problem and None); any other
        key is a problem (and the rest is still checked, so that all problems are told)."""
        if not isinstance(value, dict):
            self.problem(path, f"must be a table, not {kind_of(value)}")
            return None
        known = list(allowed)
        for key in value:
            if key not in known:
                self.problem((*path, key), unknown_key(key, known))
        return {key: item for key, item in value.items() if key in known}

    def tables(self, value: object, path: Path) -> list[tuple[Path, object]]:
        """The items of an array of tables (``[[...]]``), each with its path."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"must be an array of tables ([[...]]), not {kind_of(value)}")
            return []
        return [((*path, index), item) for index, item in enumerate(value)]

    def string(
        self, table: Mapping[str, Any], key: str, path: Path, *, required: bool
    ) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.problem(path, f"missing key {key!r}")
            return None
        if not isinstance(value, str):
            self.problem((*path, key), f"must be a string, not {kind_of(value)}")
            return None
        return value

    def members(
        self,
        shape: StructureShape,
        table: Mapping[str, Any],
        names: Iterable[str],
        path: Path,
        *,
        query: bool = False,
    ) -> dict[str, Any] | None:
        """The members ``names`` of ``table`` parsed with ``shape`` as a request's would be (its
        problems under a Query service's codes with ``query``: IAM's); a required member of
        ``shape`` missing is a problem."""
        out: dict[str, Any] = {}
        ok = True
        for name in names:
            if name not in table:
                if name in shape.required_members:
                    ok = False
                    self.problem(path, f"missing key {name!r}")
                continue
            member = shape.members[name]
            found = model_problem(member, table[name], (*path, name), camel(name), query=query)
            if found is not None:
                ok = False
                self.problems.append(found)
                continue
            out[name] = parse_member(member, table[name], camel(name))
        return out if ok else None

    def operation_check(self, path: Path, check: Callable[..., T], *args: Any) -> T | None:
        """``check(*args)``, one of the operations' checks; its refusal is a problem at ``path``."""
        try:
            return check(*args)
        except ServiceError as exc:
            self.service_error(path, exc)
            return None

    def built_in_steps(
        self,
        build: Callable[[dict[str, Any]], T],
        params: Mapping[str, Any],
        steps: Iterable[tuple[Sequence[str], Path]],
    ) -> T | None:
        """``build`` (an operation's) of ``params``, given more members at each step, so that a
        refusal is told at the key of the member that caused it."""
        built = None
        for members, where in steps:
            built = self.operation_check(
                where, build, {k: params[k] for k in members if k in params}
            )
            if built is None:
                return None
        return built

    # -- the file ------------------------------------------------------------------------------
    def document(self) -> tuple[DeclaredAccount, ...]:
        top = self.table(self.source.data, (), ("version", "accounts"))
        if top is None:
            return ()
        version = top.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION or isinstance(version, bool):
            self.problem(("version",), f"must be {FORMAT_VERSION} (the version of this format)")
        accounts = []
        seen: dict[str, Path] = {}
        for path, item in self.tables(top.get("accounts"), ("accounts",)):
            account = self.account(item, path)
            if account is None:
                continue
            if account.account_id in seen:
                self.problem((*path, "id"), f"account {account.account_id} is declared twice")
                continue
            seen[account.account_id] = path
            accounts.append(account)
        self.unique_across(accounts)
        return tuple(accounts)

    def account(self, value: object, path: Path) -> DeclaredAccount | None:
        table = self.table(value, path, ACCOUNT_KEYS)
        if table is None:
            return None
        account_id = self.string(table, "id", path, required=True)
        name = self.string(table, "name", path, required=False)
        if account_id is None:
            return None
        if not valid_account_id(account_id):
            self.problem((*path, "id"), f"an account id has 12 digits: {account_id!r}")
            return None
        keys = [
            self.access_key(v, p)
            for p, v in self.tables(table.get("access_keys"), (*path, "access_keys"))
        ]
        oidc = [
            self.oidc_provider(v, p, account_id)
            for p, v in self.tables(table.get("oidc_providers"), (*path, "oidc_providers"))
        ]
        saml = [
            self.saml_provider(v, p, account_id)
            for p, v in self.tables(table.get("saml_providers"), (*path, "saml_providers"))
        ]
        pools = [
            self.pool(v, p, account_id)
            for p, v in self.tables(table.get("pools"), (*path, "pools"))
        ]
        policies = declared_iam.policies(
            self, table.get("policies"), (*path, "policies"), account_id
        )
        roles = declared_iam.roles(
            self, table.get("roles"), (*path, "roles"), account_id, policies, table.get("policies")
        )
        return DeclaredAccount(
            path,
            account_id,
            name,
            tuple(k for k in keys if k is not None),
            tuple(o for o in oidc if o is not None),
            tuple(s for s in saml if s is not None),
            tuple(p for p in pools if p is not None),
            policies,
            roles,
        )

    def access_key(self, value: object, path: Path) -> DeclaredKey | None:
        table = self.table(value, path, ("id", "secret_env"))
        if table is None:
            return None
        key_id = self.string(table, "id", path, required=True)
        secret_env = self.string(table, "secret_env", path, required=False)
        if key_id is not None and not _ACCESS_KEY_ID.fullmatch(key_id):
            self.problem((*path, "id"), "an access key id is 16 to 128 letters, digits or _")
            return None
        secret = None
        if secret_env is not None:
            if not _ENV_NAME.fullmatch(secret_env):
                self.problem(
                    (*path, "secret_env"), f"not an environment variable name: {secret_env!r}"
                )
                return None
            secret = self.checks.environ.get(secret_env) or None
            if secret is None:
                self.problem(
                    (*path, "secret_env"),
                    f"the environment variable {secret_env} (the key's secret) is not set",
                )
                return None
        return None if key_id is None else DeclaredKey(path, key_id, secret_env, secret)

    def oidc_provider(
        self, value: object, path: Path, account_id: str
    ) -> DeclaredOidcProvider | None:
        table = self.table(value, path, OIDC_MEMBERS)
        if table is None:
            return None
        params = self.members(
            input_shape("iam", "CreateOpenIDConnectProvider"), table, OIDC_MEMBERS, path, query=True
        )
        if params is None:
            return None
        build = functools.partial(
            new_oidc_provider,
            partition=self.checks.partition,
            account_id=account_id,
            policy=self.checks.policy,
            now=self.checks.now,
        )
        steps = [(OIDC_MEMBERS[: n + 1], (*path, member)) for n, member in enumerate(OIDC_MEMBERS)]
        provider = self.built_in_steps(build, params, steps)
        if provider is None:
            return None
        return DeclaredOidcProvider(path, provider)

    def saml_provider(
        self, value: object, path: Path, account_id: str
    ) -> DeclaredSamlProvider | None:
        table = self.table(value, path, (*SAML_MEMBERS, SAML_METADATA_FILE))
        if table is None:
            return None
        table = dict(table)
        file_name = table.pop(SAML_METADATA_FILE, None)
        if file_name is not None:
            if "SAMLMetadataDocument" in table:
                self.problem(
                    (*path, SAML_METADATA_FILE),
                    "give SAMLMetadataDocument or metadata_file, not both",
                )
                return None
            document = self.metadata(file_name, (*path, SAML_METADATA_FILE))
            if document is None:
                return None
            table["SAMLMetadataDocument"] = document
        params = self.members(
            input_shape("iam", "CreateSAMLProvider"), table, SAML_MEMBERS, path, query=True
        )
        if params is None:
            return None
        metadata_path = (
            *path,
            SAML_METADATA_FILE if file_name is not None else "SAMLMetadataDocument",
        )
        build = functools.partial(
            new_saml_provider,
            partition=self.checks.partition,
            account_id=account_id,
            now=self.checks.now,
        )
        steps = [(SAML_MEMBERS[:2], metadata_path), (SAML_MEMBERS, (*path, "Tags"))]
        provider = self.built_in_steps(build, params, steps)
        if provider is None:
            return None
        return DeclaredSamlProvider(path, provider)

    def metadata(self, file_name: object, path: Path) -> str | None:
        if not isinstance(file_name, str):
            self.problem(path, f"must be a string, not {kind_of(file_name)}")
            return None
        try:
            return (self.source.directory / file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problem(path, f"cannot read {file_name}: {exc}")
            return None

    def pool(self, value: object, path: Path, account_id: str) -> DeclaredPool | None:
        allowed = ("IdentityPoolId", *POOL_CREATE_MEMBERS, *POOL_ROLE_MEMBERS, PRINCIPAL_TAG_MAPS)
        table = self.table(value, path, allowed)
        if table is None:
            return None
        ident = self.members(
            input_shape("cognito-identity", "DescribeIdentityPool"),
            table,
            ("IdentityPoolId",),
            path,
        )
        params = self.members(
            input_shape("cognito-identity", "CreateIdentityPool"), table, POOL_CREATE_MEMBERS, path
        )
        roles = self.members(
            input_shape("cognito-identity", "SetIdentityPoolRoles"),
            {"Roles": {}, **table},
            POOL_ROLE_MEMBERS,
            path,
        )
        tag_maps = self.principal_tag_maps(
            table.get(PRINCIPAL_TAG_MAPS), (*path, PRINCIPAL_TAG_MAPS)
        )
        if ident is None or params is None or roles is None or tag_maps is None:
            return None
        pool = DeclaredPool(
            path,
            ident["IdentityPoolId"],
            params,
            dict(roles.get("Roles", {})),
            {k: dict(v) for k, v in roles.get("RoleMappings", {}).items()},
            tag_maps,
        )
        return pool if self.pool_checks(pool, account_id) else None

    def principal_tag_maps(self, value: object, path: Path) -> dict[str, dict[str, Any]] | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"must be a table of identity provider names, not {kind_of(value)}")
            return None
        shape = input_shape("cognito-identity", "SetPrincipalTagAttributeMap")
        out: dict[str, dict[str, Any]] = {}
        for provider, entry in value.items():
            where = (*path, provider)
            named = model_problem(
                shape.members["IdentityProviderName"], provider, where, "identityProviderName"
            )
            table = self.table(entry, where, PRINCIPAL_TAG_MEMBERS)
            if named is not None:
                self.problems.append(named)
                continue
            if table is None:
                continue
            members = self.members(shape, table, PRINCIPAL_TAG_MEMBERS, where)
            if members is not None:
                out[provider] = {
                    "UseDefaults": members.get("UseDefaults", False),
                    "PrincipalTags": dict(members.get("PrincipalTags", {})),
                }
        return out if len(out) == len(value) else None

    def pool_checks(self, pool: DeclaredPool, account_id: str) -> bool:
        """The operations' checks of a pool's members (those that need no store)."""
        before = len(self.problems)
        path = pool.path
        check = self.operation_check
        check((*path, "IdentityPoolTags"), check_tags, pool.params.get("IdentityPoolTags", {}))
        blank = IdentityPool(
            pool.pool_id, account_id, pool.params["IdentityPoolName"], False, self.checks.now
        )
        check((*path, "CognitoIdentityProviders"), configured_pool, blank, pool.params)
        check((*path, "Roles"), check_roles, pool.roles, {}, account_id)
        for provider, mapping in pool.role_mappings.items():
            check(
                (*path, "RoleMappings", provider), check_roles, {}, {provider: mapping}, account_id
            )
        if len(self.problems) == before:  # what only the whole map can break: its size
            check((*path, "RoleMappings"), check_roles, {}, pool.role_mappings, account_id)
        for provider, entry in pool.principal_tags.items():
            check(
                (*path, PRINCIPAL_TAG_MAPS, provider),
                with_principal_tags,
                {},
                provider,
                entry["UseDefaults"],
                entry["PrincipalTags"],
            )
        return len(self.problems) == before

    def unique_across(self, accounts: list[DeclaredAccount]) -> None:
        """Access keys and pools are unique in the whole file; IAM providers in their account."""
        keys: set[str] = set()
        pools: set[str] = set()
        for account in accounts:
            for key in account.access_keys:
                if key.access_key_id in keys:
                    self.problem(
                        (*key.path, "id"), f"access key {key.access_key_id} is declared twice"
                    )
                keys.add(key.access_key_id)
            for pool in account.pools:
                if pool.pool_id in pools:
                    self.problem(
                        (*pool.path, "IdentityPoolId"), f"pool {pool.pool_id} is declared twice"
                    )
                pools.add(pool.pool_id)
            arns: set[str] = set()
            names: set[str] = set()
            for oidc in account.oidc_providers:
                if oidc.provider.arn in arns:
                    self.problem(
                        (*oidc.path, "Url"), f"provider {oidc.provider.arn} is declared twice"
                    )
                arns.add(oidc.provider.arn)
            for saml in account.saml_providers:
                if saml.provider.name.lower() in names:
                    self.problem(
                        (*saml.path, "Name"),
                        f"SAML provider {saml.provider.name} is declared twice (names are unique"
                        " whatever their case)",
                    )
                names.add(saml.provider.name.lower())


def declared(source: ConfigSource, checks: Checks) -> Declared:
    """The resources ``source`` declares; raises :class:`ConfigError` with every problem found."""
    reader = _Reader(source, checks)
    accounts = reader.document()
    if reader.problems:
        raise source.error(reader.problems)
    return Declared(source, accounts)
