"""Logins linked to identities (create, link, merge, remove, list) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import pytest

from cognitoidentity.server.api.cognito_identity import (
    DeveloperUserAlreadyRegisteredException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from cognitoidentity.server.linking import LOGINS_DONT_MATCH, LinkRequest, LoginKey
from cognitoidentity.server.store import Identity, IdentityPool, LinkResult, Login, Store

from .conftest import StoreTarget
from .test_store_contract import account, at, identity, pool

FB = "graph.facebook.com"
GOOGLE = "accounts.google.com"
AMAZON = "www.amazon.com"
DEV = "login.example.dev"


def fb(user: str) -> LoginKey:
    return LoginKey(FB, user)


def google(user: str) -> LoginKey:
    return LoginKey(GOOGLE, user)


def dev(user: str) -> LoginKey:
    return LoginKey(DEV, user)


def new_id() -> str:
    return f"us-east-1:{uuid.uuid4()}"


def request(*logins: LoginKey, identity_id: str | None = None, **kw: object) -> LinkRequest:
    return LinkRequest(
        logins=logins,
        new_identity_id=new_id(),
        identity_id=identity_id,
        **kw,  # type: ignore[arg-type]
    )


def developer(*logins: LoginKey, identity_id: str | None = None, **kw: object) -> LinkRequest:
    """As GetOpenIdTokenForDeveloperIdentity asks: several developer ids may share an identity."""
    return request(
        *logins,
        identity_id=identity_id,
        developer_provider=DEV,
        require_own_login=False,
        **kw,
    )


async def setup(store: Store) -> IdentityPool:
    await store.create_account(account())
    p = pool(developer_provider_name=DEV)
    await store.create_pool(p, max_pools=10)
    return p


async def get(store: Store, identity_id: str) -> Identity:
    got = await store.get_identity(identity_id)
    assert got is not None
    return got


def keys(logins: list[Login]) -> list[LoginKey]:
    return [LoginKey(x.provider, x.user_id) for x in logins]


async def identity_count(store: Store, pool_id: str, *, hide_disabled: bool = False) -> int:
    page = await store.list_identities(pool_id, hide_disabled=hide_disabled, after=None, limit=60)
    return len(page.items)


# -- create and find ---------------------------------------------------------------------------


def test_new_login_makes_an_identity_and_finds_it_again(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        first = request(fb("alice"))
        made = await store.link_logins(p.pool_id, first, at(100))
        assert made == LinkResult(first.new_identity_id, True, (), (fb("alice"),))
        got = await get(store, made.identity_id)
        assert got == Identity(made.identity_id, p.pool_id, at(100), at(100), False, (FB,))

        again = await store.link_logins(p.pool_id, request(fb("alice")), at(200))
        assert again == LinkResult(made.identity_id, False, (), (fb("alice"),))
        assert (await get(store, made.identity_id)).last_modified_at == at(100)  # no change
        assert await store.find_login(p.pool_id, fb("alice")) == made.identity_id
        assert await store.find_login(p.pool_id, fb("bob")) is None
        assert await store.list_logins(made.identity_id) == [
            Login(FB, "alice", made.identity_id, at(100))
        ]
        assert await identity_count(store, p.pool_id) == 1

        # The same login in another pool is another identity.
        other = pool()
        await store.create_pool(other, max_pools=10)
        elsewhere = await store.link_logins(other.pool_id, request(fb("alice")), at(300))
        assert elsewhere.created
        assert elsewhere.identity_id != made.identity_id
        assert await store.find_login(other.pool_id, fb("alice")) == elsewhere.identity_id
        assert await store.find_login(p.pool_id, fb("alice")) == made.identity_id

    target.run(body)


def test_several_logins_in_one_call_make_one_identity(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        made = await store.link_logins(p.pool_id, request(fb("alice"), google("alice")), at(100))
        assert made.created
        assert made.logins == (google("alice"), fb("alice"))
        got = await get(store, made.identity_id)
        assert got.logins == (GOOGLE, FB)  # provider names, sorted

        # Either login finds it; a new one presented with a known one joins the identity.
        assert (await store.link_logins(p.pool_id, request(google("alice")), at(150))) == (
            LinkResult(made.identity_id, False, (), (google("alice"), fb("alice")))
        )
        joined = await store.link_logins(
            p.pool_id, request(fb("alice"), LoginKey(AMAZON, "a1")), at(200)
        )
        assert joined.identity_id == made.identity_id
        assert not joined.created
        assert joined.logins == (google("alice"), fb("alice"), LoginKey(AMAZON, "a1"))
        got = await get(store, made.identity_id)
        assert got.logins == (GOOGLE, FB, AMAZON)
        assert got.last_modified_at == at(200)
        assert got.created_at == at(100)
        assert [
            (x.provider, x.user_id, x.created_at) for x in await store.list_logins(got.identity_id)
        ] == [
            (GOOGLE, "alice", at(100)),
            (FB, "alice", at(100)),
            (AMAZON, "a1", at(200)),
        ]
        listed = await store.list_identities(p.pool_id, hide_disabled=False, after=None, limit=10)
        assert listed.items == [got]

    target.run(body)


def test_link_to_unauthenticated_named_identity(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        guest = identity(p.pool_id)  # created at(10), no logins
        await store.create_identity(guest)
        linked = await store.link_logins(
            p.pool_id, request(fb("alice"), identity_id=guest.identity_id), at(100)
        )
        assert linked == LinkResult(guest.identity_id, False, (), (fb("alice"),))
        got = await get(store, guest.identity_id)
        assert got.logins == (FB,)
        assert got.last_modified_at == at(100)
        assert got.created_at == guest.created_at
        assert await store.find_login(p.pool_id, fb("alice")) == guest.identity_id

    target.run(body)


def test_named_identity_must_exist_in_the_pool(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        other = pool()
        await store.create_pool(other, max_pools=10)
        foreign = identity(other.pool_id)
        await store.create_identity(foreign)
        for missing in (foreign.identity_id, new_id()):
            with pytest.raises(ResourceNotFoundException):
                await store.link_logins(p.pool_id, request(fb("a"), identity_id=missing), at(50))
        assert await store.find_login(p.pool_id, fb("a")) is None
        assert await store.find_login(other.pool_id, fb("a")) is None
        assert await identity_count(store, p.pool_id) == 0
        assert await get(store, foreign.identity_id) == foreign

    target.run(body)


def test_authenticated_named_identity_needs_one_of_its_logins(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        made = await store.link_logins(p.pool_id, request(fb("alice")), at(100))
        with pytest.raises(NotAuthorizedException) as caught:
            await store.link_logins(
                p.pool_id, request(google("alice"), identity_id=made.identity_id), at(200)
            )
        assert str(caught.value) == LOGINS_DONT_MATCH
        assert await store.find_login(p.pool_id, google("alice")) is None
        assert await get(store, made.identity_id) == Identity(
            made.identity_id, p.pool_id, at(100), at(100), False, (FB,)
        )
        # With one of its own logins, the new one is added.
        both = await store.link_logins(
            p.pool_id,
            request(fb("alice"), google("alice"), identity_id=made.identity_id),
            at(300),
        )
        assert both == LinkResult(made.identity_id, False, (), (google("alice"), fb("alice")))

    target.run(body)


# -- merges ------------------------------------------------------------------------------------


def test_merge_keeps_the_oldest_authenticated_identity(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        older = await store.link_logins(p.pool_id, request(fb("alice")), at(100))
        newer = await store.link_logins(
            p.pool_id, request(google("alice"), LoginKey(AMAZON, "a")), at(200)
        )
        # An unauthenticated identity, older than both, never survives an authenticated one.
        guest = identity(p.pool_id)
        await store.create_identity(guest)

        merged = await store.link_logins(
            p.pool_id,
            request(google("alice"), fb("alice"), identity_id=guest.identity_id),
            at(300),
        )
        assert merged.identity_id == older.identity_id
        assert not merged.created
        assert merged.merged == tuple(sorted([newer.identity_id, guest.identity_id]))
        assert merged.logins == (google("alice"), fb("alice"), LoginKey(AMAZON, "a"))

        survivor = await get(store, older.identity_id)
        assert survivor == Identity(
            older.identity_id, p.pool_id, at(100), at(300), False, (GOOGLE, FB, AMAZON)
        )
        for gone in (newer.identity_id, guest.identity_id):
            got = await get(store, gone)
            assert got.disabled
            assert got.last_modified_at == at(300)
            assert got.logins == ()
            assert await store.list_logins(gone) == []
        # The moved logins keep their age.
        assert [(x.provider, x.created_at) for x in await store.list_logins(older.identity_id)] == [
            (FB, at(100)),
            (GOOGLE, at(200)),
            (AMAZON, at(200)),
        ]
        for key in (fb("alice"), google("alice"), LoginKey(AMAZON, "a")):
            assert await store.find_login(p.pool_id, key) == older.identity_id

        shown = await store.list_identities(p.pool_id, hide_disabled=True, after=None, limit=10)
        assert shown.items == [survivor]
        assert await identity_count(store, p.pool_id) == 3

        # A disabled identity cannot be named any more.
        with pytest.raises(NotAuthorizedException):
            await store.link_logins(
                p.pool_id, request(fb("alice"), identity_id=newer.identity_id), at(400)
            )

    target.run(body)


def test_one_login_per_public_provider(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        alice = await store.link_logins(p.pool_id, request(fb("alice")), at(100))
        with pytest.raises(ResourceConflictException):
            await store.link_logins(p.pool_id, request(fb("alice"), fb("carol")), at(200))
        with pytest.raises(ResourceConflictException):
            await store.link_logins(p.pool_id, request(fb("dave"), fb("erin")), at(200))
        # A merge that would put two Facebook users on one identity is refused as a whole.
        bob = await store.link_logins(p.pool_id, request(fb("bob"), google("bob")), at(150))
        with pytest.raises(ResourceConflictException):
            await store.link_logins(p.pool_id, request(fb("alice"), google("bob")), at(200))

        for key in (fb("carol"), fb("dave"), fb("erin")):
            assert await store.find_login(p.pool_id, key) is None
        assert await identity_count(store, p.pool_id) == 2
        assert await get(store, alice.identity_id) == Identity(
            alice.identity_id, p.pool_id, at(100), at(100), False, (FB,)
        )
        assert await get(store, bob.identity_id) == Identity(
            bob.identity_id, p.pool_id, at(150), at(150), False, (GOOGLE, FB)
        )
        assert [x.user_id for x in await store.list_logins(bob.identity_id)] == ["bob", "bob"]

    target.run(body)


def test_at_most_twenty_logins(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        twenty = [dev(f"user{n:02}") for n in range(20)]
        made = await store.link_logins(p.pool_id, developer(*twenty), at(100))
        assert made.created
        assert made.logins == tuple(twenty)
        with pytest.raises(ResourceConflictException):
            await store.link_logins(
                p.pool_id, developer(dev("user20"), identity_id=made.identity_id), at(200)
            )
        with pytest.raises(ResourceConflictException):
            await store.link_logins(p.pool_id, developer(*twenty[:3], fb("x")), at(200))
        assert await store.find_login(p.pool_id, dev("user20")) is None
        assert await store.find_login(p.pool_id, fb("x")) is None
        assert len(await store.list_logins(made.identity_id)) == 20
        assert (await get(store, made.identity_id)).last_modified_at == at(100)

    target.run(body)


# -- developer identities ----------------------------------------------------------------------


def test_developer_identities(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        first = await store.link_logins(p.pool_id, developer(dev("u1")), at(100))
        assert first.created
        # Several developer user identifiers on one identity.
        more = await store.link_logins(
            p.pool_id, developer(dev("u2"), identity_id=first.identity_id), at(110)
        )
        assert more == LinkResult(first.identity_id, False, (), (dev("u1"), dev("u2")))
        assert (await get(store, first.identity_id)).logins == (DEV,)

        second = await store.link_logins(p.pool_id, developer(dev("u3")), at(200))
        assert second.identity_id != first.identity_id
        # A developer user already on another identity than the one named.
        with pytest.raises(DeveloperUserAlreadyRegisteredException):
            await store.link_logins(
                p.pool_id,
                developer(dev("u1"), dev("u4"), identity_id=second.identity_id),
                at(300),
            )
        assert await store.find_login(p.pool_id, dev("u4")) is None
        assert not (await get(store, first.identity_id)).disabled

        # MergeDeveloperIdentities: the named (destination) identity survives, though newer.
        merged = await store.link_logins(
            p.pool_id,
            developer(
                dev("u1"),
                identity_id=second.identity_id,
                survivor="named",
                developer_already_registered=False,
            ),
            at(400),
        )
        assert merged == LinkResult(
            second.identity_id, False, (first.identity_id,), (dev("u1"), dev("u2"), dev("u3"))
        )
        assert (await get(store, first.identity_id)).disabled
        assert await get(store, second.identity_id) == Identity(
            second.identity_id, p.pool_id, at(200), at(400), False, (DEV,)
        )
        assert [x.user_id for x in await store.list_logins(second.identity_id)] == [
            "u1",
            "u2",
            "u3",
        ]

    target.run(body)


# -- remove, list, delete ----------------------------------------------------------------------


def test_remove_logins(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        made = await store.link_logins(
            p.pool_id, developer(fb("alice"), google("alice"), dev("u1"), dev("u2")), at(100)
        )
        other = await store.link_logins(p.pool_id, developer(dev("u3")), at(110))
        i = made.identity_id

        assert await store.remove_logins(i, now=at(150)) == 0
        assert await store.remove_logins(i, providers=[AMAZON], now=at(150)) == 0
        assert await store.remove_logins(i, logins=[fb("bob"), dev("u3")], now=at(150)) == 0
        assert (await get(store, i)).last_modified_at == at(100)

        assert await store.remove_logins(i, providers=[DEV], now=at(200)) == 2
        got = await get(store, i)
        assert got.logins == (GOOGLE, FB)
        assert got.last_modified_at == at(200)
        assert await store.find_login(p.pool_id, dev("u3")) == other.identity_id  # not theirs

        assert await store.remove_logins(i, logins=[google("alice")], now=at(300)) == 1
        assert await store.remove_logins(i, logins=[google("alice")], now=at(400)) == 0
        got = await get(store, i)
        assert got.logins == (FB,)
        assert got.last_modified_at == at(300)
        assert [x.user_id for x in await store.list_logins(i)] == ["alice"]

        # Both selectors at once, overlapping: each login counts once.
        assert await store.remove_logins(i, providers=[FB], logins=[fb("alice")], now=at(500)) == 1
        assert await store.list_logins(i) == []

        # Removed logins are free again: presenting one makes a new identity.
        again = await store.link_logins(p.pool_id, developer(dev("u1")), at(600))
        assert again.created
        assert again.identity_id != i
        assert await store.remove_logins(new_id(), providers=[DEV], now=at(700)) == 0

    target.run(body)


def test_list_provider_logins_pagination(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        other = pool(developer_provider_name=DEV)
        await store.create_pool(other, max_pools=10)
        owners: list[str] = []
        expected: list[Login] = []
        for n in range(70):
            named = owners[n % 7] if n >= 7 else None
            result = await store.link_logins(
                p.pool_id, developer(dev(f"u{n}"), identity_id=named), at(n)
            )
            if named is None:
                owners.append(result.identity_id)
            expected.append(Login(DEV, f"u{n}", owners[n % 7], at(n)))
            if n % 10 == 0:  # other providers and other pools stay out of the listing
                await store.link_logins(p.pool_id, request(fb(f"f{n}")), at(n))
                await store.link_logins(other.pool_id, developer(dev(f"u{n}")), at(n))

        async def walk(identity_id: str | None, limit: int) -> list[list[Login]]:
            pages: list[list[Login]] = []
            after: int | None = None
            while True:
                page = await store.list_provider_logins(
                    p.pool_id, DEV, identity_id=identity_id, after=after, limit=limit
                )
                pages.append(page.items)
                if page.after is None:
                    return pages
                after = page.after

        pages = await walk(None, 25)
        assert [len(x) for x in pages] == [25, 25, 20]
        assert [x for page in pages for x in page] == expected
        pages = await walk(None, 70)
        assert pages == [expected]
        pages = await walk(owners[3], 4)
        assert [len(x) for x in pages] == [4, 4, 2]
        assert [x for page in pages for x in page] == [
            x for x in expected if x.identity_id == owners[3]
        ]
        pages = await walk(owners[3], 10)
        assert len(pages) == 1
        assert len(pages[0]) == 10
        assert await walk(new_id(), 10) == [[]]
        facebook = await store.list_provider_logins(
            p.pool_id, FB, identity_id=None, after=None, limit=60
        )
        assert [x.user_id for x in facebook.items] == [f"f{n}" for n in range(0, 70, 10)]
        assert facebook.after is None

    target.run(body)


def test_deleting_identities_and_pools_frees_logins(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        made = await store.link_logins(p.pool_id, request(fb("alice"), google("alice")), at(100))
        kept = await store.link_logins(p.pool_id, request(fb("bob")), at(100))
        assert await store.delete_identities(account().account_id, [made.identity_id]) == []
        assert await store.find_login(p.pool_id, fb("alice")) is None
        assert await store.list_logins(made.identity_id) == []
        assert await store.find_login(p.pool_id, fb("bob")) == kept.identity_id

        again = await store.link_logins(p.pool_id, request(fb("alice")), at(200))
        assert again.created
        assert again.identity_id != made.identity_id
        assert again.logins == (fb("alice"),)

        doomed = pool()
        await store.create_pool(doomed, max_pools=10)
        await store.link_logins(doomed.pool_id, request(fb("carol")), at(300))
        assert await store.delete_pool(doomed.pool_id)
        assert await store.find_login(doomed.pool_id, fb("carol")) is None

    target.run(body)
    assert target.query("SELECT count(*) FROM logins") == [(2,)]


# -- races -------------------------------------------------------------------------------------


async def _open_two(target: StoreTarget) -> tuple[Store, Store]:
    return await target.open(), await target.open()


def test_concurrent_first_logins_end_on_one_identity(target: StoreTarget) -> None:
    """20 calls at once with the same new login, from one store and then from two (as two server
    processes would): one identity, and every call gets it."""

    async def main() -> None:
        a, b = await _open_two(target)
        try:
            p = await setup(a)
            results = await asyncio.gather(
                *(a.link_logins(p.pool_id, request(fb("alice")), at(n)) for n in range(20))
            )
            assert len({r.identity_id for r in results}) == 1
            assert [r.created for r in results].count(True) == 1

            results = await asyncio.gather(
                *(
                    (a if n % 2 else b).link_logins(
                        p.pool_id, request(google("bob"), LoginKey(AMAZON, "bob")), at(n)
                    )
                    for n in range(20)
                )
            )
            assert len({r.identity_id for r in results}) == 1
            assert [r.created for r in results].count(True) == 1
            assert all(r.logins == (google("bob"), LoginKey(AMAZON, "bob")) for r in results)
            assert await identity_count(b, p.pool_id) == 2
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_concurrent_links_and_merges_stay_consistent(target: StoreTarget) -> None:
    """Calls from two stores at once, each joining its own login to a shared one: new logins join
    the shared identity, identities made earlier merge into it, and every call agrees."""

    async def main() -> None:
        a, b = await _open_two(target)
        try:
            p = await setup(a)
            anchor = await a.link_logins(p.pool_id, request(fb("anchor")), at(0))
            # Half the callers bring a login whose identity exists (to be merged), half a new one.
            providers = [f"p{n}.example.com" for n in range(16)]
            existing: list[str] = []
            for n, provider in enumerate(providers[:8]):
                made = await b.link_logins(p.pool_id, request(LoginKey(provider, "x")), at(n + 1))
                existing.append(made.identity_id)

            results = await asyncio.gather(
                *(
                    (a if n % 2 else b).link_logins(
                        p.pool_id, request(fb("anchor"), LoginKey(provider, "x")), at(100 + n)
                    )
                    for n, provider in enumerate(providers)
                )
            )
            assert {r.identity_id for r in results} == {anchor.identity_id}
            assert sorted(i for r in results for i in r.merged) == sorted(existing)
            assert not any(r.created for r in results)
            final = sorted([fb("anchor"), *(LoginKey(x, "x") for x in providers)])
            assert sorted(keys(await a.list_logins(anchor.identity_id))) == final
            for identity_id in existing:
                got = await get(b, identity_id)
                assert got.disabled
                assert got.logins == ()
            assert await identity_count(a, p.pool_id, hide_disabled=True) == 1
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_last_modified_is_the_given_time(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        p = await setup(store)
        when = datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=at(0).tzinfo)
        made = await store.link_logins(p.pool_id, request(fb("t")), when)
        got = await get(store, made.identity_id)
        assert got.created_at == when
        assert got.last_modified_at == when
        assert (await store.list_logins(made.identity_id))[0].created_at == when

    target.run(body)
