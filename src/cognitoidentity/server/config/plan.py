"""Applying a declared configuration to a store: the plan, then carrying it out.

The plan compares what the file declares with what the store holds (read from one snapshot):
what is missing is created, what differs is updated, and what the store holds beyond the file is
reported and kept: nothing is ever deleted (but what a declared resource holds: a role's inline
policies and attachments the file leaves out, :mod:`.plan_iam`). A resource the file declares is made to match it in
full (a pool's members the file leaves out take their defaults, as in ``UpdateIdentityPool``),
except what the API itself never changes once set (``DeveloperProviderName``). Records are built
by the operations' own functions, so a pool or a provider made from a file is the one the API
would have stored for the same input.

Applying is safe to run at every start, by several server processes at once: a write that loses
a race (another process created the same pool meanwhile) makes the whole plan be made again.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal, TypeVar, cast

from cognitoidentity.server.accounts import AccountAdmin
from cognitoidentity.server.config.declared import (
    Declared,
    DeclaredAccount,
    DeclaredPool,
)
from cognitoidentity.server.config.dump import oidc_members, pool_members, saml_members
from cognitoidentity.server.config.plan_iam import IamPlanner
from cognitoidentity.server.config.source import Problem
from cognitoidentity.server.config.stored import Stored, read_stored
from cognitoidentity.server.crypto import SealError
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.operations.pools import (
    MAX_POOLS_MESSAGE,
    check_provider_arns,
    configured_pool,
    developer_provider_after,
)
from cognitoidentity.server.operations.principal_tags import with_principal_tags
from cognitoidentity.server.store.base import (
    AccessKey,
    Account,
    IamOidcProvider,
    IamSamlProvider,
    IdentityPool,
    Store,
    StoreError,
)

DEFAULT_ACCOUNT_NAME = "account"
APPLY_ATTEMPTS = 3
"""Plans made and applied before giving up, when writes keep losing races with other processes."""

Action = Literal["create", "update", "keep"]
P = TypeVar("P", IamOidcProvider, IamSamlProvider)


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    subject: str
    detail: str = ""
    run: Callable[[], Awaitable[object]] | None = field(default=None, compare=False, repr=False)

    def render(self) -> str:
        return f"{self.action:<6} {self.subject}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class Plan:
    source: str
    changes: tuple[Change, ...]

    def count(self, action: Action) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def writes(self) -> bool:
        return any(change.run is not None for change in self.changes)

    def render(self) -> str:
        creates, updates, kept = self.count("create"), self.count("update"), self.count("keep")
        summary = f"{creates} to create, {updates} to update" if self.writes else "up to date"
        if kept:
            summary += f", {kept} only in the store (kept)"
        return "\n".join([f"{self.source}: {summary}"] + [f"  {c.render()}" for c in self.changes])


def desired_pool(base: IdentityPool, pool: DeclaredPool) -> IdentityPool:
    """``base`` (the stored pool, or a new one) configured as ``pool`` declares it, by the
    operations' own rules: ``CreateIdentityPool``/``UpdateIdentityPool``'s members,
    ``SetIdentityPoolRoles``, and one ``SetPrincipalTagAttributeMap`` per declared provider."""
    maps: dict[str, Any] = {}
    for provider, entry in pool.principal_tags.items():
        maps = with_principal_tags(maps, provider, entry["UseDefaults"], entry["PrincipalTags"])
    params = cast(Any, pool.params)
    return replace(
        configured_pool(base, params),
        developer_provider_name=developer_provider_after(
            base.developer_provider_name, pool.params.get("DeveloperProviderName")
        ),
        tags=dict(pool.params.get("IdentityPoolTags", {})),
        roles=dict(pool.roles),
        role_mappings={k: dict(v) for k, v in pool.role_mappings.items()},
        principal_tag_maps=maps,
    )


class _Planner:
    def __init__(
        self,
        declared: Declared,
        stored: Stored,
        store: Store,
        admin: AccountAdmin,
        *,
        max_pools: int,
        now: datetime,
    ) -> None:
        self.declared = declared
        self.stored = stored
        self.store = store
        self.admin = admin
        self.max_pools = max_pools
        self.now = now
        self.changes: list[Change] = []
        self.problems: list[Problem] = []

    def change(self, action: Action, subject: str, detail: str = "", run: Any = None) -> None:
        self.changes.append(Change(action, subject, detail, run))

    async def plan(self) -> Plan:
        for account in self.declared.accounts:
            await self.account(account)
        self.kept()
        if self.problems:
            raise self.declared.error(self.problems)
        return Plan(self.declared.source.name, tuple(self.changes))

    async def account(self, account: DeclaredAccount) -> None:
        account_id = account.account_id
        have = self.stored.accounts.get(account_id)
        if have is None:
            new = Account(account_id, account.name or DEFAULT_ACCOUNT_NAME, self.now)
            run = functools.partial(self.store.create_account, new)
            self.change("create", f"account {account_id} ({new.name})", run=run)
        elif account.name is not None and account.name != have.name:
            run = functools.partial(self.store.rename_account, account_id, account.name)
            self.change(
                "update", f"account {account_id}", f"name {have.name!r} -> {account.name!r}", run
            )
        self.access_keys(account)
        self.iam_providers(account)
        IamPlanner(self).account(account)
        await self.pools(account)

    def access_keys(self, account: DeclaredAccount) -> None:
        for key in account.access_keys:
            key_id = key.access_key_id
            have = self.stored.access_keys.get(key_id)
            subject = f"access key {key_id} (account {account.account_id})"
            if have is not None and have.account_id != account.account_id:
                self.problems.append(
                    Problem(
                        (*key.path, "id"),
                        f"access key {key_id} belongs to account {have.account_id} in the store",
                    )
                )
            elif have is None and key.secret is None:
                self.problems.append(
                    Problem(
                        key.path,
                        f"access key {key_id} is not in the store: name the environment variable"
                        " holding its secret with secret_env",
                    )
                )
            elif have is None and key.secret is not None:
                run = functools.partial(
                    self.admin.create_key, account.account_id, key_id, key.secret
                )
                self.change("create", subject, run=run)
            elif (
                have is not None
                and key.secret is not None
                and not self.same_secret(have, key.secret)
            ):
                renew = functools.partial(self.replace_key, account.account_id, key_id, key.secret)
                self.change("update", subject, f"secret (from {key.secret_env})", renew)

    def same_secret(self, key: AccessKey, secret: str) -> bool:
        try:
            return self.admin.secret_of(key) == secret
        except SealError:  # sealed under another master key: unusable, so replaced
            return False

    async def replace_key(self, account_id: str, key_id: str, secret: str) -> None:
        await self.store.delete_access_key(key_id)
        await self.admin.create_key(account_id, key_id, secret)

    def iam_providers(self, account: DeclaredAccount) -> None:
        for oidc in account.oidc_providers:
            have_oidc = self.stored.oidc_providers.get(oidc.provider.arn)
            self.iam_provider("OIDC", oidc.provider, have_oidc, oidc_members)
        for saml in account.saml_providers:
            want = saml.provider
            have_saml = self.stored.saml_providers.get(want.arn)
            clash = [
                p.name
                for p in self.stored.saml_providers.values()
                if p.account_id == want.account_id
                and p.name.lower() == want.name.lower()
                and p.arn != want.arn
            ]
            if clash:
                self.problems.append(
                    Problem(
                        (*saml.path, "Name"),
                        f"the store has a SAML provider named {clash[0]} (names are unique"
                        " whatever their case)",
                    )
                )
                continue
            self.iam_provider("SAML", want, have_saml, saml_members)

    def iam_provider(
        self, kind: str, want: P, have: P | None, members: Callable[[P], dict[str, Any]]
    ) -> None:
        """Create ``want``, or update what differs: the members IAM lets change (the URL or the
        name is the provider's ARN)."""
        subject = f"{kind} provider {want.arn}"
        if have is None:
            self.change("create", subject, run=functools.partial(self.create_provider, want))
            return
        differs = _differing(members(want), members(have))
        if differs:

            def update(current: P) -> P:
                return replace(want, created_at=current.created_at)

            run = functools.partial(self.update_provider, want, update)
            self.change("update", subject, ", ".join(differs), run)

    async def create_provider(self, provider: IamOidcProvider | IamSamlProvider) -> None:
        if isinstance(provider, IamOidcProvider):
            created = await self.store.create_oidc_provider(provider)
        else:
            created = await self.store.create_saml_provider(provider)
        if not created:
            raise StoreError(f"{provider.arn} was created meanwhile")

    async def update_provider(self, provider: P, update: Callable[[P], P]) -> None:
        if isinstance(provider, IamOidcProvider):
            await self.store.update_oidc_provider(provider.account_id, provider.arn, update)
        else:
            await self.store.update_saml_provider(provider.account_id, provider.arn, update)

    async def pools(self, account: DeclaredAccount) -> None:
        account_id = account.account_id
        count = sum(1 for p in self.stored.pools.values() if p.account_id == account_id)
        declared_arns = {
            "OpenIdConnectProviderARNs": {p.provider.arn for p in account.oidc_providers},
            "SamlProviderARNs": {p.provider.arn for p in account.saml_providers},
        }
        for pool in account.pools:
            have = self.stored.pools.get(pool.pool_id)
            if have is not None and have.account_id != account_id:
                self.problems.append(
                    Problem(
                        (*pool.path, "IdentityPoolId"),
                        f"pool {pool.pool_id} belongs to account {have.account_id} in the store",
                    )
                )
                continue
            if not await self.provider_arns(pool, account_id, declared_arns):
                continue
            base = have or IdentityPool(
                pool.pool_id,
                account_id,
                pool.params["IdentityPoolName"],
                pool.params["AllowUnauthenticatedIdentities"],
                self.now,
            )
            try:
                want = desired_pool(base, pool)
            except ServiceError as exc:  # the only check left: DeveloperProviderName once set
                self.problems.append(
                    Problem((*pool.path, "DeveloperProviderName"), f"{exc.code}: {exc}")
                )
                continue
            subject = f"pool {pool.pool_id} ({want.name})"
            if have is None:
                if count >= self.max_pools:
                    message = MAX_POOLS_MESSAGE.format(limit=self.max_pools)
                    self.problems.append(
                        Problem(
                            (*pool.path, "IdentityPoolId"), f"LimitExceededException: {message}"
                        )
                    )
                    continue
                count += 1
                insert = functools.partial(self.store.create_pool, want, max_pools=self.max_pools)
                self.change("create", subject, run=insert)
            elif want != have:
                mine, theirs = pool_members(want), pool_members(have)
                differs = [
                    k for k in dict.fromkeys([*mine, *theirs]) if mine.get(k) != theirs.get(k)
                ]

                def update(current: IdentityPool, pool: DeclaredPool = pool) -> IdentityPool:
                    return desired_pool(current, pool)

                run = functools.partial(self.store.update_pool, pool.pool_id, update)
                self.change("update", subject, ", ".join(differs), run)

    async def provider_arns(
        self, pool: DeclaredPool, account_id: str, declared: dict[str, set[str]]
    ) -> bool:
        """The IAM providers a pool names are the account's, declared in the file or stored
        (``check_provider_arns``, as Create/UpdateIdentityPool check them)."""
        ok = True
        for member, known in declared.items():
            others = [arn for arn in pool.params.get(member, ()) if arn not in known]
            try:
                await check_provider_arns(self.store, account_id, cast(Any, {member: others}))
            except ServiceError as exc:
                ok = False
                self.problems.append(Problem((*pool.path, member), f"{exc.code}: {exc}"))
        return ok

    def kept(self) -> None:
        """What the store holds beyond the file: reported, never deleted."""
        declared = {a.account_id: a for a in self.declared.accounts}
        for account_id, account in self.stored.accounts.items():
            if account_id not in declared:
                self.change("keep", f"account {account_id} ({account.name})", "only in the store")
        only = "only in the store"
        for account_id, decl in declared.items():
            keys = {k.access_key_id for k in decl.access_keys}
            for key in self.stored.access_keys.values():
                if key.account_id == account_id and key.access_key_id not in keys:
                    self.change(
                        "keep", f"access key {key.access_key_id} (account {account_id})", only
                    )
            oidc = {p.provider.arn for p in decl.oidc_providers}
            for arn, provider in self.stored.oidc_providers.items():
                if provider.account_id == account_id and arn not in oidc:
                    self.change("keep", f"OIDC provider {arn}", only)
            saml = {p.provider.arn for p in decl.saml_providers}
            for arn, saml_provider in self.stored.saml_providers.items():
                if saml_provider.account_id == account_id and arn not in saml:
                    self.change("keep", f"SAML provider {arn}", only)
            IamPlanner(self).kept(decl)
            pools = {p.pool_id for p in decl.pools}
            for pool_id, pool in self.stored.pools.items():
                if pool.account_id == account_id and pool_id not in pools:
                    self.change("keep", f"pool {pool_id} ({pool.name})", only)


def _differing(mine: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """The members (as a file names them) whose values differ, but for those that name the
    resource (a provider's URL or name: its ARN)."""
    keys = dict.fromkeys([*mine, *theirs])
    return [k for k in keys if k not in ("Url", "Name") and mine.get(k) != theirs.get(k)]


async def make_plan(
    declared: Declared, store: Store, admin: AccountAdmin, *, max_pools: int, now: datetime
) -> Plan:
    """What applying ``declared`` to ``store`` would do; raises ``ConfigError`` for what the
    store makes wrong (a pool naming an IAM provider that is neither declared nor stored, an id
    of another account, ...). Writes nothing."""
    stored = await read_stored(store)
    return await _Planner(declared, stored, store, admin, max_pools=max_pools, now=now).plan()


async def apply_config(
    declared: Declared,
    store: Store,
    admin: AccountAdmin,
    *,
    max_pools: int,
    clock: Callable[[], datetime],
) -> Plan:
    """Make ``store`` hold what ``declared`` declares; return the plan carried out."""
    for attempt in range(1, APPLY_ATTEMPTS + 1):
        plan = await make_plan(declared, store, admin, max_pools=max_pools, now=clock())
        try:
            for change in plan.changes:
                if change.run is not None:
                    await change.run()
        except Exception:
            # Most likely another process applying the same file at the same moment: what it
            # wrote is read again, and only what is still missing or different is written.
            if attempt == APPLY_ATTEMPTS:
                raise
            continue
        return plan
    raise AssertionError("unreachable")
