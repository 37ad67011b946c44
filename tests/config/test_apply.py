"""Applying configuration files to a real store of each kind: created once, then nothing to do;
a changed field is updated; what only the store holds is reported and kept; a dump applies as a
plan with nothing to do."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cognitoidentity.server.accounts import ACCESS_KEY_PURPOSE, AccountAdmin, utc_now
from cognitoidentity.server.config import ConfigError, Plan, apply_file, dump_store, load_file
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.store import Store
from cognitoidentity.server.store.base import Account, Identity, IdentityPool
from tests.config.conftest import ACCOUNT, POOL_ID
from tests.store.conftest import StoreTarget
from tests.support.idp import SamlIdp

MASTER = MasterKey(b"m" * 32)
KEY_ID = "AKIAEXAMPLECI0000001"
OTHER_POOL = "us-east-1:00000000-0000-4000-8000-000000000001"
# Several lines, as metadata files are: written back as a multi-line string by dump.
METADATA = SamlIdp().metadata().replace("><", ">\n<")


def config(name: str = "ci", tags: str = '{ env = "ci" }', extra: str = "") -> str:
    return f"""
version = 1

[[accounts]]
id = "{ACCOUNT}"
name = "ci"

[[accounts.access_keys]]
id = "{KEY_ID}"
secret_env = "CI_SECRET"

[[accounts.oidc_providers]]
Url = "https://idp.example.com"
ClientIDList = ["my-app"]
Tags = [{{ Key = "team", Value = "ci" }}]

[[accounts.saml_providers]]
Name = "corp"
metadata_file = "corp.xml"

[[accounts.pools]]
IdentityPoolId = "{POOL_ID}"
IdentityPoolName = "{name}"
AllowUnauthenticatedIdentities = true
DeveloperProviderName = "login.ci"
OpenIdConnectProviderARNs = ["arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"]
SamlProviderARNs = ["arn:aws:iam::{ACCOUNT}:saml-provider/corp"]
IdentityPoolTags = {tags}
Roles = {{ unauthenticated = "arn:aws:iam::{ACCOUNT}:role/guest" }}
{extra}
[accounts.pools.RoleMappings."idp.example.com"]
Type = "Token"
AmbiguousRoleResolution = "AuthenticatedRole"

[accounts.pools.PrincipalTagAttributeMaps."idp.example.com"]
PrincipalTags = {{ team = "custom:team" }}
"""


def apply(
    target: StoreTarget,
    tmp_path: Path,
    text: str,
    *,
    secret: str = "s3cret",
    dry_run: bool = False,
) -> Plan:
    (tmp_path / "corp.xml").write_text(METADATA)
    path = tmp_path / "c.toml"
    path.write_text(text)
    settings = Settings(data_dir=tmp_path)
    declared = load_file(path, settings, {"CI_SECRET": secret}, utc_now())

    async def body(store: Store) -> Plan:
        return await apply_file(declared, store, _admin(store), settings, dry_run=dry_run)

    return target.run(body)


def _admin(store: Store) -> AccountAdmin:
    return AccountAdmin(store, MASTER.box(ACCESS_KEY_PURPOSE), utc_now)


def dump(target: StoreTarget) -> str:
    return target.run(dump_store)


def pool(target: StoreTarget, pool_id: str = POOL_ID) -> IdentityPool:
    async def body(store: Store) -> IdentityPool:
        found = await store.get_pool(pool_id)
        assert found is not None
        return found

    return target.run(body)


def test_apply_creates_what_is_declared_then_has_nothing_to_do(
    target: StoreTarget, tmp_path: Path
) -> None:
    plan = apply(target, tmp_path, config())
    assert [c.render() for c in plan.changes] == [
        f"create account {ACCOUNT} (ci)",
        f"create access key {KEY_ID} (account {ACCOUNT})",
        f"create OIDC provider arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com",
        f"create SAML provider arn:aws:iam::{ACCOUNT}:saml-provider/corp",
        f"create pool {POOL_ID} (ci)",
    ]
    created = pool(target)
    assert (created.account_id, created.name, created.allow_unauthenticated) == (
        ACCOUNT,
        "ci",
        True,
    )
    assert created.developer_provider_name == "login.ci"
    assert created.tags == {"env": "ci"}
    assert created.roles == {"unauthenticated": f"arn:aws:iam::{ACCOUNT}:role/guest"}
    assert created.role_mappings == {
        "idp.example.com": {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}
    }
    assert created.principal_tag_maps == {
        "idp.example.com": {"UseDefaults": False, "PrincipalTags": {"team": "custom:team"}}
    }

    async def secret(store: Store) -> str:
        key = await store.get_access_key(KEY_ID)
        assert key is not None and key.account_id == ACCOUNT
        return _admin(store).secret_of(key)

    assert target.run(secret) == "s3cret"
    again = apply(target, tmp_path, config())
    assert not again.writes
    assert again.render() == f"{tmp_path / 'c.toml'}: up to date"


def test_a_changed_field_is_updated_and_nothing_else(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    created = pool(target)
    now = datetime.now(UTC)
    identity = Identity("us-east-1:00000000-0000-4000-8000-00000000abcd", POOL_ID, now, now)
    target.run(lambda store: store.create_identity(identity))

    plan = apply(target, tmp_path, config(name="renamed", tags='{ env = "ci", team = "a" }'))
    assert [c.render() for c in plan.changes] == [
        f"update pool {POOL_ID} (renamed): IdentityPoolName, IdentityPoolTags"
    ]
    updated = pool(target)
    assert updated == replace(created, name="renamed", tags={"env": "ci", "team": "a"})
    assert target.run(lambda store: store.get_identity(identity.identity_id)) == identity
    assert not apply(
        target, tmp_path, config(name="renamed", tags='{ env = "ci", team = "a" }')
    ).writes


def test_a_keys_secret_follows_its_variable(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    plan = apply(target, tmp_path, config(), secret="rotated")
    assert [c.render() for c in plan.changes] == [
        f"update access key {KEY_ID} (account {ACCOUNT}): secret (from CI_SECRET)"
    ]

    async def secret(store: Store) -> str:
        key = await store.get_access_key(KEY_ID)
        assert key is not None
        return _admin(store).secret_of(key)

    assert target.run(secret) == "rotated"


def test_what_only_the_store_holds_is_reported_and_kept(
    target: StoreTarget, tmp_path: Path
) -> None:
    apply(target, tmp_path, config())
    extra = IdentityPool(OTHER_POOL, ACCOUNT, "made-by-the-api", False, datetime.now(UTC))

    async def add(store: Store) -> None:
        await store.create_account(Account("999988887777", "other", datetime.now(UTC)))
        await store.create_pool(extra, max_pools=10)

    target.run(add)
    plan = apply(target, tmp_path, config())
    assert plan.render().splitlines() == [
        f"{tmp_path / 'c.toml'}: up to date, 2 only in the store (kept)",
        "  keep   account 999988887777 (other): only in the store",
        f"  keep   pool {OTHER_POOL} (made-by-the-api): only in the store",
    ]
    assert pool(target, OTHER_POOL).name == "made-by-the-api"


def test_a_dry_run_writes_nothing(target: StoreTarget, tmp_path: Path) -> None:
    plan = apply(target, tmp_path, config(), dry_run=True)
    assert plan.count("create") == 5
    assert target.run(lambda store: store.list_accounts()) == []


def test_a_dump_applies_as_a_plan_with_nothing_to_do(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    extra = IdentityPool(
        OTHER_POOL, ACCOUNT, "api", False, datetime.now(UTC), allow_classic_flow=True
    )
    target.run(lambda store: store.create_pool(extra, max_pools=10))
    text = dump(target)
    assert f"'''\n{METADATA}'''" in text  # the metadata as it is, on its lines
    assert f'id = "{KEY_ID}"' in text and "s3cret" not in text
    plan = apply(target, tmp_path, text)
    assert plan.changes == ()
    assert dump(target) == text


def test_what_the_store_refuses_names_the_line(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    missing = f"arn:aws:iam::{ACCOUNT}:oidc-provider/elsewhere.example.com"
    text = (
        config()
        .replace(
            f'OpenIdConnectProviderARNs = ["arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"]',
            f'OpenIdConnectProviderARNs = ["{missing}"]',
        )
        .replace('DeveloperProviderName = "login.ci"', 'DeveloperProviderName = "login.other"')
    )
    with pytest.raises(ConfigError) as caught:
        apply(target, tmp_path, text)
    lines = text.splitlines()
    arns = next(n for n, line in enumerate(lines, 1) if line.startswith("OpenIdConnect"))
    assert str(caught.value).splitlines() == [
        f"{tmp_path / 'c.toml'}:{arns}: accounts[0].pools[0].OpenIdConnectProviderARNs:"
        f" InvalidParameterException: Invalid OpenIdConnectProviderARN: {missing} is not an"
        " OpenID Connect provider of this account."
    ]
    text = config().replace(
        'DeveloperProviderName = "login.ci"', 'DeveloperProviderName = "login.other"'
    )
    with pytest.raises(ConfigError) as caught:
        apply(target, tmp_path, text)
    assert str(caught.value).endswith(
        "accounts[0].pools[0].DeveloperProviderName: InvalidParameterException:"
        " DeveloperProviderName cannot be changed once it is set."
    )


def test_a_pool_id_of_another_account_is_refused(target: StoreTarget, tmp_path: Path) -> None:
    theirs = IdentityPool(POOL_ID, "999988887777", "theirs", False, datetime.now(UTC))

    async def add(store: Store) -> None:
        await store.create_account(Account("999988887777", "other", datetime.now(UTC)))
        await store.create_pool(theirs, max_pools=10)

    target.run(add)
    with pytest.raises(
        ConfigError, match=r"IdentityPoolId: pool .* belongs to account 999988887777"
    ):
        apply(target, tmp_path, config())
    assert target.run(lambda store: store.get_account(ACCOUNT)) is None  # nothing written


def test_a_providers_changed_members_are_updated(target: StoreTarget, tmp_path: Path) -> None:
    apply(target, tmp_path, config())
    text = config().replace('ClientIDList = ["my-app"]', 'ClientIDList = ["my-app", "other-app"]')
    text = text.replace(
        'metadata_file = "corp.xml"',
        'metadata_file = "corp.xml"\nTags = [{ Key = "k", Value = "v" }]',
    )
    plan = apply(target, tmp_path, text)
    assert [c.render() for c in plan.changes] == [
        f"update OIDC provider arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com: ClientIDList",
        f"update SAML provider arn:aws:iam::{ACCOUNT}:saml-provider/corp: Tags",
    ]
    oidc = target.run(
        lambda store: store.get_oidc_provider(
            ACCOUNT, f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"
        )
    )
    assert oidc is not None and oidc.client_ids == ("my-app", "other-app")
    assert not apply(target, tmp_path, text).writes
