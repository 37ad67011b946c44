"""The Store contract, run against SQLite and PostgreSQL alike (see the ``target`` fixture)."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from cognitoidentity.server.store import (
    AccessKey,
    Account,
    CognitoProvider,
    Identity,
    IdentityPool,
    LimitReached,
    SigningKeyRecord,
    Store,
    open_store,
)
from cognitoidentity.server.store.migrations import load_migrations
from cognitoidentity.server.store.postgres import PostgresStore
from cognitoidentity.server.store.sqlite import SqliteStore
from tests.support.postgres import BASE_URL, require_postgres, temporary_schema

from .conftest import StoreTarget

T0 = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def account(account_id: str = "111122223333", name: str = "main") -> Account:
    return Account(account_id, name, at(0))


def pool(
    account_id: str = "111122223333", region: str = "us-east-1", name: str = "pool", **kw: object
) -> IdentityPool:
    fields: dict[str, object] = {"allow_unauthenticated": False, **kw}
    return IdentityPool(
        pool_id=f"{region}:{uuid.uuid4()}",
        account_id=account_id,
        name=name,
        created_at=at(1),
        **fields,  # type: ignore[arg-type]
    )


def identity(pool_id: str, n: int = 0, *, disabled: bool = False) -> Identity:
    region = pool_id.split(":", 1)[0]
    return Identity(f"{region}:{uuid.uuid4()}", pool_id, at(10 + n), at(20 + n), disabled)


def assert_utc(value: datetime) -> None:
    assert value.utcoffset() == timedelta(0)


# -- accounts --------------------------------------------------------------------------------


def test_accounts_create_get_list(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        assert await store.list_accounts() == []
        assert await store.create_account(account("222233334444", "second"))
        assert await store.create_account(account("111122223333", "first"))
        assert not await store.create_account(account("111122223333", "duplicate"))

        got = await store.get_account("111122223333")
        assert got == account("111122223333", "first")
        assert got is not None
        assert_utc(got.created_at)
        assert await store.get_account("999999999999") is None
        assert [a.account_id for a in await store.list_accounts()] == [
            "111122223333",
            "222233334444",
        ]

    target.run(body)


def test_delete_account_cascades(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        for acct in ("111122223333", "222233334444"):
            await store.create_account(account(acct))
            await store.create_access_key(AccessKey(f"KEY{acct}", acct, b"secret", at(2)))
        doomed = pool("111122223333")
        kept = pool("222233334444")
        for p in (doomed, kept):
            await store.create_pool(p, max_pools=10)
        doomed_identity = identity(doomed.pool_id)
        kept_identity = identity(kept.pool_id)
        for i in (doomed_identity, kept_identity):
            await store.create_identity(i)

        assert await store.delete_account("111122223333")
        assert not await store.delete_account("111122223333")
        assert await store.get_account("111122223333") is None
        assert await store.get_access_key("KEY111122223333") is None
        assert await store.list_access_keys("111122223333") == []
        assert await store.get_pool(doomed.pool_id) is None
        assert await store.get_identity(doomed_identity.identity_id) is None
        page = await store.list_pools("111122223333", "us-east-1", after=None, limit=10)
        assert page.items == []

        # The other account is untouched.
        assert await store.get_account("222233334444") is not None
        assert await store.get_access_key("KEY222233334444") is not None
        assert await store.get_pool(kept.pool_id) == kept
        assert await store.get_identity(kept_identity.identity_id) == kept_identity

    target.run(body)
    assert target.query("SELECT count(*) FROM identities") == [(1,)]


# -- access keys -----------------------------------------------------------------------------


def test_access_keys_crud(target: StoreTarget) -> None:
    secret = bytes(range(256))  # every byte value, NULs included

    async def body(store: Store) -> None:
        await store.create_account(account("111122223333"))
        await store.create_account(account("222233334444"))
        k2 = AccessKey("AKIDB", "111122223333", b"two", at(5))
        k1 = AccessKey("AKIDA", "111122223333", secret, at(3))
        k3 = AccessKey("AKIDC", "222233334444", b"three", at(1))
        for key in (k2, k3, k1):
            await store.create_access_key(key)

        got = await store.get_access_key("AKIDA")
        assert got == k1
        assert got is not None
        assert isinstance(got.secret_ciphertext, bytes)
        assert_utc(got.created_at)
        assert await store.get_access_key("AKIDX") is None
        assert await store.list_access_keys() == [k1, k2, k3]  # by account, then age
        assert await store.list_access_keys("111122223333") == [k1, k2]
        assert await store.list_access_keys("222233334444") == [k3]
        assert await store.list_access_keys("999999999999") == []

        assert await store.delete_access_key("AKIDA")
        assert not await store.delete_access_key("AKIDA")
        assert await store.get_access_key("AKIDA") is None
        assert await store.list_access_keys() == [k2, k3]

    target.run(body)


# -- identity pools --------------------------------------------------------------------------


def full_pool() -> IdentityPool:
    return pool(
        name="everything",
        allow_classic_flow=True,
        supported_login_providers={"graph.facebook.com": "1234", "accounts.google.com": "abc"},
        developer_provider_name="login.example",
        openid_connect_provider_arns=("arn:aws:iam::111122223333:oidc-provider/example.com",),
        cognito_identity_providers=(
            CognitoProvider("cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "client1", True),
            CognitoProvider("cognito-idp.us-east-1.amazonaws.com/us-east-1_def", "client2"),
        ),
        saml_provider_arns=("arn:aws:iam::111122223333:saml-provider/corp",),
        tags={"team": "identity", "empty": ""},
        roles={"authenticated": "arn:aws:iam::111122223333:role/auth"},
        role_mappings={
            "graph.facebook.com": {
                "Type": "Rules",
                "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "sub",
                            "MatchType": "Equals",
                            "Value": "ünïcödé ✓",
                            "RoleARN": "arn:aws:iam::111122223333:role/x",
                        }
                    ]
                },
            }
        },
        principal_tag_maps={"accounts.google.com": {"UseDefaults": False, "Tags": {"a": "b"}}},
    )


def test_pool_roundtrip(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account())
        minimal = pool()
        everything = full_pool()
        await store.create_pool(minimal, max_pools=10)
        await store.create_pool(everything, max_pools=10)

        assert await store.get_pool(minimal.pool_id) == minimal
        got = await store.get_pool(everything.pool_id)
        assert got == everything
        assert got is not None
        assert got.allow_classic_flow is True
        assert minimal.allow_classic_flow is None
        assert_utc(got.created_at)
        assert await store.get_pool("us-east-1:00000000-0000-0000-0000-000000000000") is None

    target.run(body)


def test_update_pool(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account())
        original = pool()
        await store.create_pool(original, max_pools=10)
        seen: list[IdentityPool] = []

        def mutate(current: IdentityPool) -> IdentityPool:
            seen.append(current)
            return dataclasses.replace(
                current, name="renamed", allow_unauthenticated=True, tags={"k": "v"}
            )

        updated = await store.update_pool(original.pool_id, mutate)
        assert seen == [original]
        expected = dataclasses.replace(
            original, name="renamed", allow_unauthenticated=True, tags={"k": "v"}
        )
        assert updated == expected
        assert await store.get_pool(original.pool_id) == expected

        def never(current: IdentityPool) -> IdentityPool:
            raise AssertionError("called for an absent pool")

        assert (
            await store.update_pool("us-east-1:00000000-0000-0000-0000-000000000000", never) is None
        )

    target.run(body)


class Refused(Exception):
    pass


def test_update_pool_mutate_raises_writes_nothing(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account())
        original = pool()
        await store.create_pool(original, max_pools=10)

        def refuse(current: IdentityPool) -> IdentityPool:
            raise Refused(current.pool_id)

        # More failures than the PostgreSQL pool has connections: none may be leaked or broken.
        for _ in range(15):
            with pytest.raises(Refused):
                await store.update_pool(original.pool_id, refuse)
        assert await store.get_pool(original.pool_id) == original

        # A write whose mutation fails leaves no lock behind: the next update goes through.
        renamed = await store.update_pool(
            original.pool_id, lambda p: dataclasses.replace(p, name="after")
        )
        assert renamed is not None
        assert renamed.name == "after"

    target.run(body)


def test_concurrent_updates_are_serialised(target: StoreTarget) -> None:
    """Read-modify-write under the lock: no increment is lost."""

    async def body(store: Store) -> None:
        await store.create_account(account())
        p = pool(tags={"n": "0"})
        await store.create_pool(p, max_pools=10)

        def bump(current: IdentityPool) -> IdentityPool:
            return dataclasses.replace(current, tags={"n": str(int(current.tags["n"]) + 1)})

        await asyncio.gather(*(store.update_pool(p.pool_id, bump) for _ in range(25)))
        got = await store.get_pool(p.pool_id)
        assert got is not None
        assert got.tags == {"n": "25"}

    target.run(body)


def test_delete_pool_cascades_identities(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account())
        doomed, kept = pool(), pool()
        for p in (doomed, kept):
            await store.create_pool(p, max_pools=10)
        gone = [identity(doomed.pool_id, n) for n in range(3)]
        stays = identity(kept.pool_id)
        for i in [*gone, stays]:
            await store.create_identity(i)

        assert await store.delete_pool(doomed.pool_id)
        assert not await store.delete_pool(doomed.pool_id)
        assert await store.get_pool(doomed.pool_id) is None
        for i in gone:
            assert await store.get_identity(i.identity_id) is None
        page = await store.list_identities(
            doomed.pool_id, hide_disabled=False, after=None, limit=10
        )
        assert page.items == []
        assert await store.get_pool(kept.pool_id) == kept
        assert await store.get_identity(stays.identity_id) == stays

    target.run(body)


def test_list_pools_keyset_pagination(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account("111122223333"))
        await store.create_account(account("222233334444"))
        mine: list[IdentityPool] = []
        # Interleave other regions and another account's pools with the listed ones.
        for n in range(7):
            p = pool("111122223333", "us-east-1", f"mine{n}")
            await store.create_pool(p, max_pools=100)
            mine.append(p)
            await store.create_pool(pool("111122223333", "eu-west-1", f"eu{n}"), max_pools=100)
            await store.create_pool(pool("222233334444", "us-east-1", f"other{n}"), max_pools=100)

        pages: list[list[IdentityPool]] = []
        after: int | None = None
        while True:
            page = await store.list_pools("111122223333", "us-east-1", after=after, limit=3)
            pages.append(page.items)
            if page.after is None:
                break
            assert page.items  # a cursor is only handed out when more items follow
            after = page.after
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [p for items in pages for p in items] == mine

        # An exact fit: the last full page has no cursor.
        whole = await store.list_pools("111122223333", "us-east-1", after=None, limit=7)
        assert whole.items == mine
        assert whole.after is None
        first = await store.list_pools("111122223333", "us-east-1", after=None, limit=6)
        assert first.items == mine[:6]
        assert first.after is not None
        rest = await store.list_pools("111122223333", "us-east-1", after=first.after, limit=6)
        assert rest.items == mine[6:]
        assert rest.after is None

        eu = await store.list_pools("111122223333", "eu-west-1", after=None, limit=100)
        assert [p.name for p in eu.items] == [f"eu{n}" for n in range(7)]
        other = await store.list_pools("222233334444", "us-east-1", after=None, limit=100)
        assert [p.name for p in other.items] == [f"other{n}" for n in range(7)]
        assert (
            await store.list_pools("222233334444", "eu-west-1", after=None, limit=5)
        ).items == []
        assert (
            await store.list_pools("999999999999", "us-east-1", after=None, limit=5)
        ).items == []

    target.run(body)


def test_max_pools_limit(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account("111122223333"))
        await store.create_account(account("222233334444"))
        created = [
            pool("111122223333", region) for region in ("us-east-1", "eu-west-1", "us-east-1")
        ]
        for p in created:
            await store.create_pool(p, max_pools=3)
        refused = pool("111122223333")
        with pytest.raises(LimitReached):
            await store.create_pool(refused, max_pools=3)
        assert await store.get_pool(refused.pool_id) is None

        # The limit counts the account's pools in every region, and nobody else's.
        await store.create_pool(pool("222233334444"), max_pools=3)
        with pytest.raises(LimitReached):
            await store.create_pool(pool("111122223333", "ap-south-1"), max_pools=3)

        # Deleting one frees a place.
        assert await store.delete_pool(created[0].pool_id)
        await store.create_pool(refused, max_pools=3)
        assert await store.get_pool(refused.pool_id) == refused

    target.run(body)


def test_concurrent_create_pool_respects_limit(target: StoreTarget) -> None:
    """20 concurrent creations, split over two stores (as two server processes): exactly 10 win."""

    async def main() -> None:
        first, second = await target.open(), await target.open()
        try:
            await first.create_account(account())

            async def attempt(store: Store, n: int) -> bool:
                try:
                    await store.create_pool(pool(name=f"p{n}"), max_pools=10)
                except LimitReached:
                    return False
                return True

            results = await asyncio.gather(
                *(attempt(first if n % 2 else second, n) for n in range(20))
            )
            assert results.count(True) == 10
            page = await first.list_pools("111122223333", "us-east-1", after=None, limit=100)
            assert len(page.items) == 10
        finally:
            await first.close()
            await second.close()

    asyncio.run(main())
    assert target.query("SELECT count(*) FROM identity_pools") == [(10,)]


# -- identities ------------------------------------------------------------------------------


def test_identities_create_get_list(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account())
        p, elsewhere = pool(), pool()
        for x in (p, elsewhere):
            await store.create_pool(x, max_pools=10)
        made: list[Identity] = []
        for n in range(9):
            i = identity(p.pool_id, n, disabled=n % 3 == 1)  # n = 1, 4, 7 are disabled
            await store.create_identity(i)
            made.append(i)
            await store.create_identity(identity(elsewhere.pool_id, n))

        got = await store.get_identity(made[1].identity_id)
        assert got == made[1]
        assert got is not None
        assert got.disabled
        assert_utc(got.created_at)
        assert_utc(got.last_modified_at)
        assert await store.get_identity("us-east-1:00000000-0000-0000-0000-000000000000") is None
        assert await store.get_identity_and_pool(made[1].identity_id) == (made[1], p)
        assert (
            await store.get_identity_and_pool("us-east-1:00000000-0000-0000-0000-000000000000")
            is None
        )

        async def walk(hide_disabled: bool, limit: int) -> list[list[Identity]]:
            pages: list[list[Identity]] = []
            after: int | None = None
            while True:
                page = await store.list_identities(
                    p.pool_id, hide_disabled=hide_disabled, after=after, limit=limit
                )
                pages.append(page.items)
                if page.after is None:
                    return pages
                after = page.after

        pages = await walk(False, 4)
        assert [len(x) for x in pages] == [4, 4, 1]
        assert [i for x in pages for i in x] == made
        enabled = [i for i in made if not i.disabled]
        pages = await walk(True, 4)
        assert [len(x) for x in pages] == [4, 2]
        assert [i for x in pages for i in x] == enabled
        pages = await walk(True, 2)
        assert [len(x) for x in pages] == [2, 2, 2]
        assert [i for x in pages for i in x] == enabled
        whole = await store.list_identities(p.pool_id, hide_disabled=True, after=None, limit=6)
        assert whole.items == enabled
        assert whole.after is None

    target.run(body)


def test_delete_identities(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account("111122223333"))
        await store.create_account(account("222233334444"))
        mine, theirs = pool("111122223333"), pool("222233334444")
        for p in (mine, theirs):
            await store.create_pool(p, max_pools=10)
        own = [identity(mine.pool_id, n) for n in range(3)]
        foreign = [identity(theirs.pool_id, n) for n in range(2)]
        for i in [*own, *foreign]:
            await store.create_identity(i)
        unknown = "us-east-1:00000000-0000-0000-0000-000000000000"

        request = [own[0].identity_id, foreign[1].identity_id, unknown, own[1].identity_id]
        request += [own[0].identity_id, foreign[0].identity_id]  # repeats are harmless
        refused = await store.delete_identities("111122223333", request)
        assert sorted(refused) == sorted(i.identity_id for i in foreign)

        assert await store.get_identity(own[0].identity_id) is None
        assert await store.get_identity(own[1].identity_id) is None
        assert await store.get_identity(own[2].identity_id) == own[2]
        for i in foreign:
            assert await store.get_identity(i.identity_id) == i

        assert await store.delete_identities("111122223333", []) == []
        assert await store.delete_identities("111122223333", [unknown]) == []
        assert await store.delete_identities("222233334444", [foreign[0].identity_id]) == []
        assert await store.get_identity(foreign[0].identity_id) is None

    target.run(body)


# -- OpenID token signing keys -----------------------------------------------------------------


def signing_key(kid: str, created: float) -> SigningKeyRecord:
    jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS512", "n": "AQAB" * 8, "e": "AQAB"}
    return SigningKeyRecord(kid, b"\x00sealed " + kid.encode(), jwk, at(created))


def test_signing_keys_create_rotate_list_purge(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        assert await store.list_signing_keys() == []
        first, second, third = signing_key("k1", 0), signing_key("k2", 50), signing_key("k3", 250)
        assert await store.create_signing_key(first)
        assert not await store.create_signing_key(second)  # a current key exists
        listed = await store.list_signing_keys()
        assert listed == [first]
        assert_utc(listed[0].created_at)

        await store.rotate_signing_key(second, retired_at=at(100), delete_after=at(200))
        retired_first = dataclasses.replace(first, retired_at=at(100), delete_after=at(200))
        assert await store.list_signing_keys() == [second, retired_first]  # newest first
        got = (await store.list_signing_keys())[1]
        assert got.retired_at is not None
        assert got.delete_after is not None
        assert_utc(got.retired_at)
        assert_utc(got.delete_after)
        assert await store.list_signing_keys(now=at(199)) == [second, retired_first]
        assert await store.list_signing_keys(now=at(200)) == [second]
        assert not await store.create_signing_key(third)  # still one current key

        await store.rotate_signing_key(third, retired_at=at(300), delete_after=at(400))
        retired_second = dataclasses.replace(second, retired_at=at(300), delete_after=at(400))
        assert await store.list_signing_keys() == [third, retired_second, retired_first]

        assert await store.purge_signing_keys(at(199)) == 0
        assert await store.purge_signing_keys(at(200)) == 1
        assert await store.list_signing_keys() == [third, retired_second]
        assert await store.purge_signing_keys(at(10_000)) == 1
        assert await store.list_signing_keys() == [third]  # the current key is never purged

    target.run(body)


def test_first_signing_key_race_has_one_winner(target: StoreTarget) -> None:
    """Ten processes (two stores here) creating the first key at once: exactly one succeeds."""

    async def main() -> None:
        first, second = await target.open(), await target.open()
        try:
            results = await asyncio.gather(
                *(
                    (first if n % 2 else second).create_signing_key(signing_key(f"k{n}", n))
                    for n in range(10)
                )
            )
            assert results.count(True) == 1
            winner = f"k{results.index(True)}"
            for store in (first, second):
                assert [k.kid for k in await store.list_signing_keys()] == [winner]
        finally:
            await first.close()
            await second.close()

    asyncio.run(main())


def test_concurrent_rotations_leave_one_current_key(target: StoreTarget) -> None:
    async def main() -> None:
        first, second = await target.open(), await target.open()
        try:
            assert await first.create_signing_key(signing_key("k0", 0))
            await asyncio.gather(
                *(
                    (first if n % 2 else second).rotate_signing_key(
                        signing_key(f"k{n}", n), retired_at=at(n), delete_after=at(n + 100)
                    )
                    for n in range(1, 7)
                )
            )
            keys = await second.list_signing_keys()
            assert sorted(k.kid for k in keys) == [f"k{n}" for n in range(7)]
            assert len([k for k in keys if k.retired_at is None]) == 1
        finally:
            await first.close()
            await second.close()

    asyncio.run(main())


# -- durability, migrations, several stores --------------------------------------------------


def test_data_survives_reopening(target: StoreTarget) -> None:
    p = full_pool()
    i = identity(p.pool_id)
    key = AccessKey("AKID", "111122223333", b"\x00secret", at(4))

    async def write(store: Store) -> None:
        await store.create_account(account())
        await store.create_access_key(key)
        await store.create_pool(p, max_pools=10)
        await store.create_identity(i)

    async def read(store: Store) -> None:
        assert await store.get_account("111122223333") == account()
        assert await store.get_access_key("AKID") == key
        assert await store.get_pool(p.pool_id) == p
        assert await store.get_identity(i.identity_id) == i

    target.run(write)
    target.run(read)


def test_migrations_are_idempotent(target: StoreTarget) -> None:
    async def main() -> None:
        # Two stores opening a fresh database at once, then one more on the migrated database.
        stores = list(await asyncio.gather(target.open(), target.open()))
        stores.append(await target.open())
        try:
            await stores[0].create_account(account())
            for store in stores:
                assert await store.get_account("111122223333") == account()
        finally:
            for store in stores:
                await store.close()

    asyncio.run(main())
    migrations = load_migrations(target.kind)
    assert target.query("SELECT version, name FROM schema_migrations ORDER BY version") == [
        (m.version, m.name) for m in migrations
    ]


def test_two_stores_see_each_others_writes(target: StoreTarget) -> None:
    async def main() -> None:
        a, b = await target.open(), await target.open()
        try:
            await a.create_account(account())
            assert await b.get_account("111122223333") == account()
            p = pool()
            await b.create_pool(p, max_pools=10)
            assert await a.get_pool(p.pool_id) == p
            updated = await a.update_pool(p.pool_id, lambda x: dataclasses.replace(x, name="via a"))
            assert await b.get_pool(p.pool_id) == updated
            i = identity(p.pool_id)
            await b.create_identity(i)
            assert (
                await a.list_identities(p.pool_id, hide_disabled=False, after=None, limit=5)
            ).items == [i]
            assert await a.delete_identities("111122223333", [i.identity_id]) == []
            assert await b.get_identity(i.identity_id) is None
            assert await b.delete_account("111122223333")
            assert await a.list_accounts() == []
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


# -- opening by URL --------------------------------------------------------------------------


def test_open_store_sqlite_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    async def main() -> None:
        for url, expected in [
            (f"sqlite://{tmp_path / 'abs.db'}", tmp_path / "abs.db"),
            ("sqlite:relative.db", tmp_path / "relative.db"),
            ("sqlite:sub/dir.db", tmp_path / "sub" / "dir.db"),
            (str(tmp_path / "plain.db"), tmp_path / "plain.db"),
            ("plain-relative.db", tmp_path / "plain-relative.db"),
        ]:
            store = await open_store(url)
            try:
                assert isinstance(store, SqliteStore)
                assert await store.create_account(account())
            finally:
                await store.close()
            assert expected.is_file(), url

    asyncio.run(main())


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@localhost/db",
        "redis:store",
        "sqlite://host/store.db",
        "sqlite:",
        "sqlite:///",
        "sqlite::memory:",
        "",
    ],
)
def test_open_store_rejects(url: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        asyncio.run(open_store(url))


def test_open_store_unknown_scheme_message_hides_password() -> None:
    with pytest.raises(ValueError, match="unsupported store URL scheme 'mysql'") as caught:
        asyncio.run(open_store("mysql://user:hunter2@localhost/db"))
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_open_store_postgres_schemes(scheme: str) -> None:
    require_postgres()
    with temporary_schema() as url:
        assert url.startswith("postgresql://")
        schema_url = scheme + url.removeprefix("postgresql")

        async def main() -> None:
            store = await open_store(schema_url)
            try:
                assert isinstance(store, PostgresStore)
                assert await store.create_account(account())
            finally:
                await store.close()

        asyncio.run(main())


def test_postgres_tables_live_in_the_url_schema() -> None:
    require_postgres()
    with temporary_schema() as url:
        target = StoreTarget("postgresql", url)

        async def noop(store: Store) -> None:
            await store.create_account(account())

        target.run(noop)
        (schema,) = target.query("SELECT current_schema()")[0]
        assert isinstance(schema, str)
        assert schema.startswith("t_")
        tables = target.query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"
            " ORDER BY table_name"
        )
        assert [t[0] for t in tables] == [
            "access_keys",
            "accounts",
            "iam_oidc_providers",
            "iam_policies",
            "iam_role_policies",
            "iam_roles",
            "iam_saml_providers",
            "identities",
            "identity_pools",
            "logins",
            "schema_migrations",
            "signing_keys",
            "store_changes",
        ]
        with psycopg.connect(BASE_URL) as conn:  # seen from outside, schema-qualified
            rows = conn.execute(f'SELECT account_id FROM "{schema}".accounts'.encode()).fetchall()
        assert rows == [("111122223333",)]


def test_guest_identities_only_where_the_pool_allows_them(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await store.create_account(account())
        open_pool, closed_pool = pool(allow_unauthenticated=True), pool()
        for p in (open_pool, closed_pool):
            await store.create_pool(p, max_pools=10)
        guest = identity(open_pool.pool_id)
        assert await store.create_guest_identity(guest)
        assert await store.get_identity(guest.identity_id) == guest
        refused = identity(closed_pool.pool_id)
        assert not await store.create_guest_identity(refused)
        assert await store.get_identity(refused.identity_id) is None
        nowhere = identity("us-east-1:00000000-0000-4000-8000-000000000000")
        assert not await store.create_guest_identity(nowhere)
        assert await store.get_identity(nowhere.identity_id) is None

    target.run(body)


def test_concurrent_guest_identities_each_get_their_own_answer(target: StoreTarget) -> None:
    """Many GetId guests at once (on SQLite they share one commit and one statement), some for a
    pool refusing guests or for no pool: each call learns whether its own identity was made."""

    async def body(store: Store) -> None:
        await store.create_account(account())
        open_pool, closed_pool = pool(allow_unauthenticated=True), pool()
        for p in (open_pool, closed_pool):
            await store.create_pool(p, max_pools=10)
        nowhere = "us-east-1:00000000-0000-4000-8000-000000000000"
        targets = [open_pool.pool_id] * 150 + [closed_pool.pool_id] * 30 + [nowhere] * 30
        random.Random(7).shuffle(targets)
        guests = [identity(pool_id, n) for n, pool_id in enumerate(targets)]
        made = await asyncio.gather(*(store.create_guest_identity(g) for g in guests))
        assert made == [g.pool_id == open_pool.pool_id for g in guests]
        listed = await store.list_identities(
            open_pool.pool_id, hide_disabled=False, after=None, limit=500
        )
        assert {i.identity_id for i in listed.items} == {
            g.identity_id for g in guests if g.pool_id == open_pool.pool_id
        }
        assert (
            await store.list_identities(
                closed_pool.pool_id, hide_disabled=False, after=None, limit=500
            )
        ).items == []

    target.run(body)
