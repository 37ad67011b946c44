"""IAM identity providers (OpenID Connect and SAML) in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from cognitoidentity.server.store import IamOidcProvider, IamSamlProvider, Store

from .conftest import StoreTarget
from .test_store_contract import account, assert_utc, at

MAIN = "111122223333"
OTHER = "444455556666"
THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


class Refused(Exception):
    pass


def oidc(host: str = "login.example.com", account_id: str = MAIN, **kw: object) -> IamOidcProvider:
    fields: dict[str, object] = {"url": f"https://{host}", "created_at": at(5), **kw}
    return IamOidcProvider(
        arn=f"arn:aws:iam::{account_id}:oidc-provider/{host}",
        account_id=account_id,
        **fields,  # type: ignore[arg-type]
    )


def saml(name: str = "Corp", account_id: str = MAIN, **kw: object) -> IamSamlProvider:
    return IamSamlProvider(
        arn=f"arn:aws:iam::{account_id}:saml-provider/{name}",
        account_id=account_id,
        name=name,
        metadata_document=f"<EntityDescriptor entityID='{name}'/>",
        created_at=at(6),
        **kw,  # type: ignore[arg-type]
    )


async def two_accounts(store: Store) -> None:
    assert await store.create_account(account(MAIN))
    assert await store.create_account(account(OTHER, "other"))


# -- OpenID Connect ----------------------------------------------------------------------------


def test_oidc_create_get_list_delete(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        first = oidc(
            "login.example.com",
            client_ids=("app-1", "app-2"),
            thumbprints=(THUMB,),
            tags={"team": "b", "env": "a"},
        )
        second = oidc("127.0.0.1:8080/realms/x", url="http://127.0.0.1:8080/realms/x")
        elsewhere = oidc("login.example.com", account_id=OTHER)
        assert await store.create_oidc_provider(first)
        assert await store.create_oidc_provider(second)
        assert await store.create_oidc_provider(elsewhere)  # another account, another ARN
        assert not await store.create_oidc_provider(dataclasses.replace(first, client_ids=()))

        got = await store.get_oidc_provider(MAIN, first.arn)
        assert got == first
        assert got is not None
        assert list(got.tags) == ["team", "env"]  # order kept
        assert_utc(got.created_at)
        assert await store.get_oidc_provider(MAIN, second.arn) == second
        # Account-scoped: the ARN of another account's provider is not found from this one.
        assert await store.get_oidc_provider(OTHER, first.arn) is None
        assert await store.get_oidc_provider(MAIN, elsewhere.arn) is None

        assert [p.arn for p in await store.list_oidc_providers(MAIN)] == sorted(
            [first.arn, second.arn]
        )
        assert await store.list_oidc_providers(OTHER) == [elsewhere]
        assert await store.list_oidc_providers("999999999999") == []

        assert not await store.delete_oidc_provider(OTHER, first.arn)
        assert await store.get_oidc_provider(MAIN, first.arn) == first
        assert await store.delete_oidc_provider(MAIN, first.arn)
        assert not await store.delete_oidc_provider(MAIN, first.arn)
        assert await store.get_oidc_provider(MAIN, first.arn) is None
        assert await store.list_oidc_providers(MAIN) == [second]
        assert await store.create_oidc_provider(first)  # the ARN is free again

    target.run(body)


def test_oidc_update(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        provider = oidc(client_ids=("a",), tags={"k": "v"})
        assert await store.create_oidc_provider(provider)

        def change(current: IamOidcProvider) -> IamOidcProvider:
            assert current == provider
            return dataclasses.replace(
                current,
                client_ids=("a", "b"),
                thumbprints=(THUMB, THUMB.upper()),
                tags={"z": "1", "k": "v2"},
            )

        new = await store.update_oidc_provider(MAIN, provider.arn, change)
        assert new is not None
        assert await store.get_oidc_provider(MAIN, provider.arn) == new
        assert new.client_ids == ("a", "b")
        assert new.thumbprints == (THUMB, THUMB.upper())
        assert list(new.tags.items()) == [("z", "1"), ("k", "v2")]

        # Another account's provider, or none at all: None, and the mutation is never called.
        def never(current: IamOidcProvider) -> IamOidcProvider:
            raise AssertionError("called")

        assert await store.update_oidc_provider(OTHER, provider.arn, never) is None
        assert await store.update_oidc_provider(MAIN, oidc("nope.example").arn, never) is None

        def refuse(current: IamOidcProvider) -> IamOidcProvider:
            raise Refused

        with pytest.raises(Refused):
            await store.update_oidc_provider(MAIN, provider.arn, refuse)
        assert await store.get_oidc_provider(MAIN, provider.arn) == new

    target.run(body)


def test_oidc_updates_are_atomic(target: StoreTarget) -> None:
    """Concurrent read-modify-writes (from two stores, as two server processes) lose nothing."""

    async def body(store: Store) -> None:
        await two_accounts(store)
        provider = oidc()
        assert await store.create_oidc_provider(provider)
        other = await target.open()
        try:

            async def add(on: Store, client_id: str) -> None:
                def mutate(current: IamOidcProvider) -> IamOidcProvider:
                    return dataclasses.replace(current, client_ids=(*current.client_ids, client_id))

                assert await on.update_oidc_provider(MAIN, provider.arn, mutate) is not None

            await asyncio.gather(
                *(add(store if n % 2 else other, f"client-{n}") for n in range(20))
            )
        finally:
            await other.close()
        got = await store.get_oidc_provider(MAIN, provider.arn)
        assert got is not None
        assert sorted(got.client_ids) == sorted(f"client-{n}" for n in range(20))

    target.run(body)


# -- SAML --------------------------------------------------------------------------------------


def test_saml_create_get_list_delete(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        corp = saml("Corp", tags={"b": "2", "a": "1"}, valid_until=at(3600))
        okta = saml("okta-prod")
        assert await store.create_saml_provider(corp)
        assert await store.create_saml_provider(okta)
        assert await store.create_saml_provider(saml("Corp", account_id=OTHER))
        assert not await store.create_saml_provider(corp)
        # Names are unique in an account whatever their case (the ARNs differ).
        assert not await store.create_saml_provider(saml("CORP"))
        assert not await store.create_saml_provider(saml("corp"))

        got = await store.get_saml_provider(MAIN, corp.arn)
        assert got == corp
        assert got is not None
        assert got.valid_until is not None
        assert_utc(got.valid_until)
        assert_utc(got.created_at)
        assert list(got.tags) == ["b", "a"]
        assert await store.get_saml_provider(MAIN, okta.arn) == okta
        assert okta.valid_until is None
        assert await store.get_saml_provider(OTHER, okta.arn) is None
        assert await store.get_saml_provider(MAIN, saml("CORP").arn) is None

        assert await store.list_saml_providers(MAIN) == [corp, okta]  # ARN order, bytewise
        assert [p.account_id for p in await store.list_saml_providers(OTHER)] == [OTHER]

        assert not await store.delete_saml_provider(OTHER, corp.arn)
        assert await store.delete_saml_provider(MAIN, corp.arn)
        assert not await store.delete_saml_provider(MAIN, corp.arn)
        assert await store.list_saml_providers(MAIN) == [okta]
        assert await store.create_saml_provider(saml("CORP"))  # the name is free again

    target.run(body)


def test_saml_update(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        provider = saml(valid_until=at(100))
        assert await store.create_saml_provider(provider)

        def change(current: IamSamlProvider) -> IamSamlProvider:
            return dataclasses.replace(
                current, metadata_document="<new/>", valid_until=None, tags={"x": "y"}
            )

        new = await store.update_saml_provider(MAIN, provider.arn, change)
        assert new == dataclasses.replace(
            provider, metadata_document="<new/>", valid_until=None, tags={"x": "y"}
        )
        assert await store.get_saml_provider(MAIN, provider.arn) == new

        def refuse(current: IamSamlProvider) -> IamSamlProvider:
            raise Refused

        with pytest.raises(Refused):
            await store.update_saml_provider(MAIN, provider.arn, refuse)
        assert await store.get_saml_provider(MAIN, provider.arn) == new
        assert await store.update_saml_provider(OTHER, provider.arn, refuse) is None

        def later(current: IamSamlProvider) -> IamSamlProvider:
            return dataclasses.replace(current, valid_until=at(7200))

        again = await store.update_saml_provider(MAIN, provider.arn, later)
        assert again is not None
        assert again.valid_until == at(7200)
        assert await store.get_saml_provider(MAIN, provider.arn) == again

    target.run(body)


def test_providers_go_with_their_account(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        assert await store.create_oidc_provider(oidc())
        assert await store.create_saml_provider(saml())
        assert await store.create_oidc_provider(oidc(account_id=OTHER))
        assert await store.delete_account(MAIN)
        assert await store.list_oidc_providers(MAIN) == []
        assert await store.list_saml_providers(MAIN) == []
        assert len(await store.list_oidc_providers(OTHER)) == 1

    target.run(body)


def test_providers_survive_reopening(target: StoreTarget) -> None:
    async def write(store: Store) -> None:
        await two_accounts(store)
        assert await store.create_oidc_provider(oidc(client_ids=("a",), thumbprints=(THUMB,)))
        assert await store.create_saml_provider(saml(valid_until=at(9)))

    async def read(store: Store) -> None:
        assert await store.list_oidc_providers(MAIN) == [
            oidc(client_ids=("a",), thumbprints=(THUMB,))
        ]
        assert await store.list_saml_providers(MAIN) == [saml(valid_until=at(9))]

    target.run(write)
    target.run(read)
