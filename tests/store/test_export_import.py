"""``export`` / ``import``: everything a store holds, as JSON lines, from one kind of store into
the other and back, the same lines again; streamed in constant memory; refused when it could not
give a usable store. And a restored server answers as the original did: same access keys, same
signing keys (the master key is the same; it is never exported)."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cognitoidentity.server.accounts import ACCESS_KEY_PURPOSE, AccountAdmin
from cognitoidentity.server.backup import BackupError, Output, export_store, import_store
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.linking import LinkRequest, LoginKey
from cognitoidentity.server.store import Store
from cognitoidentity.server.store.base import (
    Account,
    IamManagedPolicy,
    IamOidcProvider,
    IamRole,
    IamSamlProvider,
    Identity,
    IdentityPool,
    Login,
    PolicyVersion,
    SigningKeyRecord,
)
from tests.store.conftest import StoreTarget
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import ServerProcess, cli

MASTER = MasterKey(b"k" * 32)
T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
ACCOUNT = "111122223333"
POOL = "us-east-1:00000000-0000-4000-8000-000000000001"
OTHER_POOL = "eu-west-1:00000000-0000-4000-8000-000000000002"


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, StoreTarget]]:
    """An empty store of each kind."""
    require_postgres()
    with temporary_schema() as url:
        yield {
            "sqlite": StoreTarget("sqlite", f"sqlite://{tmp_path / 'store.db'}"),
            "postgresql": StoreTarget("postgresql", url),
        }


def identity_id(n: int) -> str:
    return f"us-east-1:00000000-0000-4000-8000-{n:012d}"


async def fill(store: Store) -> None:
    """A bit of everything: accounts, keys, signing keys (one retired), IAM providers (tags in
    their order), pools with their configuration, identities (one disabled), logins."""
    admin = AccountAdmin(store, MASTER.box(ACCESS_KEY_PURPOSE), lambda: T0)
    await store.create_account(Account(ACCOUNT, "team-a", T0))
    await store.create_account(Account("000000000000", "root", T0))
    await admin.create_key(ACCOUNT, "AKIAEXAMPLE000000001", "secret-one")
    await admin.create_key("000000000000", "AKIAEXAMPLE000000002", "secret-two")
    await store.create_signing_key(
        SigningKeyRecord("kid-1", b"\x00sealed-1", {"kty": "RSA", "n": "x"}, T0)
    )
    await store.rotate_signing_key(
        SigningKeyRecord(
            "kid-2", b"\x01sealed-2", {"kty": "RSA", "kid": "kid-2"}, T0 + timedelta(hours=1)
        ),
        T0 + timedelta(hours=1),
        T0 + timedelta(days=1),
    )
    oidc = f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"
    await store.create_oidc_provider(
        IamOidcProvider(
            oidc,
            ACCOUNT,
            "https://idp.example.com",
            T0,
            ("app",),
            ("a" * 40,),
            {"z": "1", "a": "2"},
        )
    )
    await store.create_saml_provider(
        IamSamlProvider(
            f"arn:aws:iam::{ACCOUNT}:saml-provider/Corp",
            ACCOUNT,
            "Corp",
            "<md/>\n",
            T0,
            None,
            {"k": "v"},
        )
    )
    await store.create_pool(
        IdentityPool(
            POOL,
            ACCOUNT,
            "main",
            True,
            T0,
            allow_classic_flow=False,
            supported_login_providers={"graph.facebook.com": "123", "accounts.google.com": "g"},
            developer_provider_name="login.dev",
            openid_connect_provider_arns=(oidc,),
            tags={"z": "last", "a": "first"},
            roles={"authenticated": f"arn:aws:iam::{ACCOUNT}:role/auth"},
            role_mappings={
                "accounts.google.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}
            },
            principal_tag_maps={"accounts.google.com": {"UseDefaults": True, "PrincipalTags": {}}},
        ),
        max_pools=10,
    )
    await store.create_pool(IdentityPool(OTHER_POOL, ACCOUNT, "other", False, T0), max_pools=10)
    await fill_iam(store)
    for n in range(1, 6):
        at = T0 + timedelta(seconds=n)
        await store.create_identity(Identity(identity_id(n), POOL, at, at, disabled=n == 3))
    await store.link_logins(
        POOL,
        LinkRequest(
            (LoginKey("login.dev", "u1"), LoginKey("accounts.google.com", "g1")), identity_id(9)
        ),
        T0 + timedelta(minutes=1),
    )
    await store.link_logins(
        POOL,
        LinkRequest(
            (LoginKey("login.dev", "u2"),), identity_id(10), developer_provider="login.dev"
        ),
        T0 + timedelta(minutes=2),
    )


async def fill_iam(store: Store) -> None:
    """Managed policies (one with two versions, its default the second) and roles (one with
    inline policies, attached policies in their order and a permissions boundary)."""
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    policies = [
        IamManagedPolicy(
            f"arn:aws:iam::{ACCOUNT}:policy/team/{name}",
            ACCOUNT,
            name,
            "/team/",
            f"ANPA{name.upper():0<17}",
            T0,
            T0 + timedelta(hours=2),
            versions=(
                PolicyVersion("v1", doc, T0),
                PolicyVersion("v3", doc.replace("s3:*", "s3:Get*"), T0 + timedelta(hours=2)),
            ),
            default_version_id="v3",
            next_version=4,
            description="desc" if name == "Zed" else None,
            tags={"b": "1", "a": "2"},
        )
        for name in ("Zed", "Alpha")
    ]
    for policy in policies:
        assert await store.create_policy(policy, max_policies=10)
    role = IamRole(
        f"arn:aws:iam::{ACCOUNT}:role/app/Auth",
        ACCOUNT,
        "Auth",
        "/app/",
        "AROAEXAMPLE0000000001",
        '{"Version":"2012-10-17","Statement":[]}',
        T0,
        description="d",
        max_session_duration=7200,
        permissions_boundary=policies[1].arn,
        tags={"z": "1", "A": "2"},
        inline_policies={"second": doc, "first": doc},
        max_signin_session_duration=3600,
    )
    assert await store.create_role(role, max_roles=10)
    assert await store.create_role(
        IamRole(
            f"arn:aws:iam::{ACCOUNT}:role/Guest",
            ACCOUNT,
            "Guest",
            "/",
            "AROAEXAMPLE0000000002",
            "{}",
            T0,
        ),
        max_roles=10,
    )
    for policy in policies:
        await store.attach_role_policy(ACCOUNT, "Auth", policy.arn, max_attached=10)


def export_lines(target: StoreTarget, master: MasterKey = MASTER) -> list[bytes]:
    async def body(store: Store) -> bytes:
        out = io.BytesIO()
        await export_store(store, master, out, now=T0)
        return out.getvalue()

    return target.run(body).splitlines(keepends=True)


def import_lines(
    target: StoreTarget, lines: list[bytes], master: MasterKey = MASTER
) -> dict[str, int]:
    return target.run(lambda store: import_store(store, master, lines))


@pytest.mark.parametrize(
    "source, destination", [("sqlite", "postgresql"), ("postgresql", "sqlite")]
)
def test_export_import_export_gives_the_same_lines(
    stores: dict[str, StoreTarget], source: str, destination: str
) -> None:
    stores[source].run(fill)
    exported = export_lines(stores[source])
    counts = import_lines(stores[destination], exported)
    assert counts == {
        "account": 2,
        "access_key": 2,
        "signing_key": 2,
        "oidc_provider": 1,
        "saml_provider": 1,
        "managed_policy": 2,
        "role": 2,
        "pool": 2,
        "identity": 7,
        "login": 3,
    }
    again = export_lines(stores[destination])
    assert again == exported  # the header too: same time given, same master key
    assert exported[0].startswith(b'{"exported_at":"2024-05-06T07:08:09.123456Z","format":')
    assert exported[-1].startswith(b'{"counts":')

    async def restored(store: Store) -> Restored:
        key = await store.get_access_key("AKIAEXAMPLE000000001")
        assert key is not None
        oidc = f"arn:aws:iam::{ACCOUNT}:oidc-provider/idp.example.com"
        return Restored(
            AccountAdmin(store, MASTER.box(ACCESS_KEY_PURPOSE), lambda: T0).secret_of(key),
            await store.get_pool(POOL),
            await store.list_logins(identity_id(9)),
            await store.get_identity(identity_id(3)),
            [k.kid for k in await store.list_signing_keys()],
            await store.get_oidc_provider(ACCOUNT, oidc),
            await store.get_role(ACCOUNT, "Auth"),
            await store.get_policy(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:policy/team/Alpha"),
        )

    got = stores[destination].run(restored)
    assert got == stores[source].run(restored)
    assert got.secret == "secret-one"
    assert got.pool is not None and got.pool.name == "main"
    assert got.disabled is not None and got.disabled.disabled
    assert got.kids == ["kid-2", "kid-1"]
    assert got.oidc is not None and list(got.oidc.tags) == ["z", "a"]
    assert len(got.logins) == 2
    assert got.role is not None and got.policy is not None
    assert got.role.attached_policies == (
        f"arn:aws:iam::{ACCOUNT}:policy/team/Zed",
        f"arn:aws:iam::{ACCOUNT}:policy/team/Alpha",
    )
    assert list(got.role.inline_policies) == ["second", "first"]
    assert got.policy.default_version.version_id == "v3" and got.policy.next_version == 4
    assert (got.policy.attachment_count, got.policy.boundary_usage_count) == (1, 1)


@dataclass(frozen=True)
class Restored:
    secret: str
    pool: IdentityPool | None
    logins: list[Login]
    disabled: Identity | None
    kids: list[str]
    oidc: IamOidcProvider | None
    role: IamRole | None
    policy: IamManagedPolicy | None


def test_import_refuses_what_would_not_give_a_usable_store(stores: dict[str, StoreTarget]) -> None:
    source, destination = stores["sqlite"], stores["postgresql"]
    source.run(fill)
    exported = export_lines(source)
    with pytest.raises(BackupError, match="master key given is not the exporting store's"):
        import_lines(destination, exported, MasterKey(b"o" * 32))
    with pytest.raises(BackupError, match="cut short"):
        import_lines(destination, exported[:-1])
    with pytest.raises(BackupError, match="not empty"):
        import_lines(source, exported)
    with pytest.raises(BackupError, match="not a cognitoidentity export"):
        import_lines(stores["postgresql"], [b'{"hello": 1}\n'])
    with pytest.raises(BackupError, match="is not the one this store's secrets are sealed with"):
        export_lines(source, MasterKey(b"o" * 32))


def test_export_and_import_stream_in_constant_memory(
    stores: dict[str, StoreTarget], tmp_path: Path
) -> None:
    """The peak of memory allocated while exporting 20,000 identities from SQLite is that of 2,000:
    rows are read a page at a time and written line by line. Importing them into PostgreSQL holds
    a batch at a time, and exporting them from there a page of its server-side cursor."""
    source, destination = stores["sqlite"], stores["postgresql"]

    async def add(store: Store, start: int, count: int) -> None:
        if start == 0:
            await store.create_account(Account(ACCOUNT, "a", T0))
            await store.create_pool(IdentityPool(POOL, ACCOUNT, "p", True, T0), max_pools=10)
        for first in range(start, start + count, 1000):
            batch = [
                Identity(identity_id(n), POOL, T0, T0)
                for n in range(first, min(first + 1000, start + count))
            ]
            await store.import_records(batch)

    def peak(target: StoreTarget, work: Callable[[Store], Awaitable[object]]) -> int:
        async def body(store: Store) -> int:
            tracemalloc.start()
            try:
                await work(store)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        return target.run(body)

    def export(out: Output) -> Callable[[Store], Awaitable[object]]:
        return lambda store: export_store(store, MASTER, out, now=T0)

    source.run(lambda store: add(store, 0, 2_000))
    peak(source, export(_Discard()))  # warm: what the first export loads once
    small = peak(source, export(_Discard()))
    source.run(lambda store: add(store, 2_000, 18_000))
    backup = tmp_path / "backup.jsonl"
    with backup.open("wb") as written:
        large = peak(source, export(written))
    assert large < small * 1.5 + 256 * 1024, (small, large)  # measured: about 500 KB each
    with backup.open("rb") as file:
        assert sum(1 for _ in file) == 20_000 + 4  # and a header, an account, a pool, an end
        file.seek(0)
        imported = peak(destination, lambda store: import_store(store, MASTER, file))
    assert imported < 2 * 1024 * 1024, imported  # measured: about 600 KB
    assert destination.query("SELECT count(*) FROM identities") == [(20_000,)]
    exported = peak(destination, export(_Discard()))  # through a server-side cursor
    assert exported < 2 * 1024 * 1024, exported  # measured: about 800 KB


class _Discard:
    """A file that keeps nothing of what is written to it."""

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass


def test_a_restored_server_answers_for_restored_identities(tmp_path: Path) -> None:
    """Export a SQLite server's store, import it into PostgreSQL, and serve it with the same master
    key: the restored access key signs, the restored signing key verifies a token issued before."""
    require_postgres()
    (tmp_path / "sqlite").mkdir()
    # Both serve the same issuer URL, as processes sharing a store must (their own base URLs
    # differ: each has its port).
    issuer = {"COGNITOIDENTITY_ISSUER_URL": "https://cognito-identity.example.test"}
    original = ServerProcess(
        tmp_path / "sqlite", str(tmp_path / "sqlite" / "store.db"), extra_env=issuer
    ).start()
    try:
        account = original.new_account()  # a key the restored server can only have from the backup
        client = original.client(account)
        pool = client.create_identity_pool(
            IdentityPoolName="restored",
            AllowUnauthenticatedIdentities=True,
            DeveloperProviderName="login.dev",
        )["IdentityPoolId"]
        client.set_identity_pool_roles(
            IdentityPoolId=pool,
            Roles={
                "authenticated": f"arn:aws:iam::{account.account_id}:role/auth",
                "unauthenticated": f"arn:aws:iam::{account.account_id}:role/guest",
            },
        )
        token = client.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool, Logins={"login.dev": "user-1"}
        )
        guest = original.client(unsigned=True).get_id(IdentityPoolId=pool)["IdentityId"]
    finally:
        original.stop()
    backup = tmp_path / "backup.jsonl"
    cli(original.env, "export", "--output", str(backup))

    with temporary_schema() as url:
        (tmp_path / "postgresql").mkdir()
        restored = ServerProcess(
            tmp_path / "postgresql",
            url,
            root=original.root,
            master_key=original.master_key,
            extra_env=issuer,
        )
        cli(restored.env, "import", str(backup))
        restored.start()
        try:
            unsigned = restored.client(unsigned=True)
            answer = restored.client(account).get_credentials_for_identity(
                IdentityId=token["IdentityId"],
                Logins={"cognito-identity.amazonaws.com": token["Token"]},
            )
            assert answer["IdentityId"] == token["IdentityId"]
            assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
            assert unsigned.get_credentials_for_identity(IdentityId=guest)["IdentityId"] == guest
            described = restored.client(account).describe_identity_pool(IdentityPoolId=pool)
            assert described["DeveloperProviderName"] == "login.dev"
        finally:
            restored.stop()
