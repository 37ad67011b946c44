"""IAM roles and managed policies in the store, on SQLite and PostgreSQL: names unique whatever
their case, quotas and use checks inside the write's transaction, attachments that never dangle,
and everything scoped to its account."""

from __future__ import annotations

import asyncio
import dataclasses
from hashlib import sha256

import pytest

from cognitoidentity.server.role_directory import RoleDirectory
from cognitoidentity.server.store import (
    IamDeleteConflict,
    IamEntityMissing,
    IamManagedPolicy,
    IamRole,
    LimitReached,
    PolicyVersion,
    Store,
)

from .conftest import StoreTarget
from .test_store_contract import account, assert_utc, at

MAIN = "111122223333"
OTHER = "444455556666"
TRUST = '{"Version":"2012-10-17","Statement":[]}'
DOC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'


def role(name: str = "App", account_id: str = MAIN, path: str = "/", **kw: object) -> IamRole:
    return IamRole(
        arn=f"arn:aws:iam::{account_id}:role{path}{name}",
        account_id=account_id,
        name=name,
        path=path,
        role_id="AROA" + sha256(f"{account_id}{name}".encode()).hexdigest()[:17].upper(),
        trust_policy=TRUST,
        created_at=at(10),
        **kw,  # type: ignore[arg-type]
    )


def policy(
    name: str = "Read", account_id: str = MAIN, path: str = "/", **kw: object
) -> IamManagedPolicy:
    fields: dict[str, object] = {
        "versions": (PolicyVersion("v1", DOC, at(20)),),
        **kw,
    }
    return IamManagedPolicy(
        arn=f"arn:aws:iam::{account_id}:policy{path}{name}",
        account_id=account_id,
        name=name,
        path=path,
        policy_id="ANPA" + sha256(f"{account_id}{name}".encode()).hexdigest()[:17].upper(),
        created_at=at(20),
        updated_at=at(20),
        **fields,  # type: ignore[arg-type]
    )


async def two_accounts(store: Store) -> None:
    assert await store.create_account(account(MAIN))
    assert await store.create_account(account(OTHER, "other"))


# -- roles ----------------------------------------------------------------------------------------


def test_role_create_get_list_update_delete(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        first = role(
            "App",
            path="/svc/",
            description="d",
            tags={"Team": "b", "env": "a"},
            max_session_duration=7200,
        )
        assert await store.create_role(first, max_roles=10)
        assert await store.create_role(role("Other"), max_roles=10)
        assert await store.create_role(role("App", OTHER), max_roles=10)
        # Names are unique in an account whatever their case; other accounts are apart.
        assert not await store.create_role(role("APP"), max_roles=10)

        got = await store.get_role(MAIN, "app")
        assert got == first
        assert got is not None and list(got.tags) == ["Team", "env"]
        assert_utc(got.created_at)
        assert await store.get_role_by_arn(MAIN, first.arn) == first
        assert await store.get_role_by_arn(OTHER, first.arn) is None  # another account's
        assert await store.get_role_by_arn(MAIN, f"arn:aws:iam::{MAIN}:role/App") is None

        page = await store.list_roles(MAIN, path_prefix="/", after=None, limit=1)
        assert [r.name for r in page.items] == ["App"] and page.after is not None
        rest = await store.list_roles(MAIN, path_prefix="/", after=page.after, limit=5)
        assert [r.name for r in rest.items] == ["Other"] and rest.after is None
        svc = await store.list_roles(MAIN, path_prefix="/svc", after=None, limit=5)
        assert [r.name for r in svc.items] == ["App"]
        assert (await store.list_roles(MAIN, path_prefix="/SVC", after=None, limit=5)).items == []
        assert (await store.list_roles(MAIN, path_prefix="/sv_", after=None, limit=5)).items == []

        updated = await store.update_role(
            MAIN,
            "APP",
            lambda r: dataclasses.replace(
                r, description=None, inline_policies={"b": DOC, "a": DOC}, tags={}
            ),
        )
        assert updated is not None
        again = await store.get_role(MAIN, "App")
        assert again == updated and list(again.inline_policies) == ["b", "a"]
        assert again.description is None
        assert await store.update_role(MAIN, "nobody", lambda r: r) is None

        class Refused(Exception):
            pass

        def refuse(current: IamRole) -> IamRole:
            raise Refused

        with pytest.raises(Refused):
            await store.update_role(MAIN, "App", refuse)
        assert await store.get_role(MAIN, "App") == again

        with pytest.raises(IamDeleteConflict) as conflict:
            await store.delete_role(MAIN, "App")
        assert conflict.value.reason == "inline"
        await store.update_role(MAIN, "App", lambda r: dataclasses.replace(r, inline_policies={}))
        assert await store.delete_role(MAIN, "app")
        assert not await store.delete_role(MAIN, "App")
        assert await store.get_role(MAIN, "App") is None
        assert await store.get_role(OTHER, "App") is not None

    target.run(body)


def test_role_quota_holds_under_concurrent_creates(target: StoreTarget) -> None:
    """Ten creates racing for the last three places: exactly three win, from two stores at once
    (two server processes)."""

    async def main() -> None:
        one, two = await target.open(), await target.open()
        try:
            await two_accounts(one)
            for n in range(7):
                assert await one.create_role(role(f"r{n}"), max_roles=10)

            async def create(store: Store, n: int) -> bool:
                try:
                    return await store.create_role(role(f"new{n}"), max_roles=10)
                except LimitReached:
                    return False

            results = await asyncio.gather(*(create(one if n % 2 else two, n) for n in range(10)))
            assert sum(results) == 3
            page = await one.list_roles(MAIN, path_prefix="/", after=None, limit=100)
            assert len(page.items) == 10
            # Another account's quota is its own.
            assert await one.create_role(role("new0", OTHER), max_roles=1)
            with pytest.raises(LimitReached):
                await one.create_role(role("new1", OTHER), max_roles=1)
        finally:
            await one.close()
            await two.close()

    asyncio.run(main())


# -- managed policies and attachments --------------------------------------------------------------


def test_policy_create_get_list_update_delete(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        read = policy("Read", path="/team/", description="reads", tags={"K": "v"})
        assert await store.create_policy(read, max_policies=10)
        assert not await store.create_policy(policy("READ"), max_policies=10)
        assert await store.create_policy(policy("Write"), max_policies=10)
        with pytest.raises(LimitReached):
            await store.create_policy(policy("Third"), max_policies=2)
        assert await store.get_policy(MAIN, read.arn) == read
        assert await store.get_policy(OTHER, read.arn) is None

        page = await store.list_policies(
            MAIN, path_prefix="/", attached=False, usage=None, after=None, limit=1
        )
        assert [p.name for p in page.items] == ["Read"] and page.after is not None
        team = await store.list_policies(
            MAIN, path_prefix="/team/", attached=False, usage=None, after=None, limit=10
        )
        assert [p.name for p in team.items] == ["Read"]

        v2 = PolicyVersion("v2", DOC.replace("s3:*", "s3:Get*"), at(30))
        updated = await store.update_policy(
            MAIN,
            read.arn,
            lambda p: dataclasses.replace(
                p,
                versions=(*p.versions, v2),
                default_version_id="v2",
                next_version=3,
                updated_at=at(30),
            ),
        )
        assert updated is not None and updated.default_version == v2
        got = await store.get_policy(MAIN, read.arn)
        assert got == updated and got.updated_at == at(30)

        with pytest.raises(IamDeleteConflict) as conflict:
            await store.delete_policy(MAIN, read.arn)
        assert conflict.value.reason == "versions"
        assert await store.delete_policy(MAIN, policy("Write").arn)
        assert not await store.delete_policy(MAIN, policy("Write").arn)
        assert not await store.delete_policy(OTHER, read.arn)

    target.run(body)


def test_attach_detach_counts_and_conflicts(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        assert await store.create_role(role("App"), max_roles=10)
        read, write = policy("Read"), policy("Write")
        foreign = policy("Read", OTHER)
        for p in (read, write, foreign, policy("Third")):
            assert await store.create_policy(p, max_policies=10)

        await store.attach_role_policy(MAIN, "app", write.arn, max_attached=2)
        await store.attach_role_policy(MAIN, "App", read.arn, max_attached=2)
        await store.attach_role_policy(MAIN, "App", read.arn, max_attached=2)  # already: no-op
        got = await store.get_role(MAIN, "App")
        assert got is not None and got.attached_policies == (write.arn, read.arn)
        counted = await store.get_policy(MAIN, read.arn)
        assert counted is not None and counted.attachment_count == 1

        with pytest.raises(LimitReached):
            await store.attach_role_policy(MAIN, "App", policy("Third").arn, max_attached=2)
        with pytest.raises(IamEntityMissing) as missing:
            await store.attach_role_policy(MAIN, "Nobody", read.arn, max_attached=5)
        assert missing.value.entity == "role"
        with pytest.raises(IamEntityMissing) as missing:
            await store.attach_role_policy(MAIN, "App", foreign.arn, max_attached=5)
        assert missing.value.entity == "policy"  # another account's policy is not found

        attached = await store.list_policies(
            MAIN, path_prefix="/", attached=True, usage=None, after=None, limit=10
        )
        assert [p.name for p in attached.items] == ["Read", "Write"]

        with pytest.raises(IamDeleteConflict) as conflict:
            await store.delete_policy(MAIN, read.arn)
        assert conflict.value.reason == "attached"
        with pytest.raises(IamDeleteConflict) as conflict:
            await store.delete_role(MAIN, "App")
        assert conflict.value.reason == "managed"

        await store.detach_role_policy(MAIN, "App", read.arn)
        with pytest.raises(IamEntityMissing) as missing:
            await store.detach_role_policy(MAIN, "App", read.arn)
        assert missing.value.entity == "policy"
        assert await store.delete_policy(MAIN, read.arn)
        await store.detach_role_policy(MAIN, "App", write.arn)
        assert await store.delete_role(MAIN, "App")

    target.run(body)


def test_permissions_boundary_must_exist_and_counts_as_a_use(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        boundary = policy("Boundary")
        with pytest.raises(IamEntityMissing):
            await store.create_role(role("App", permissions_boundary=boundary.arn), max_roles=10)
        assert await store.create_policy(boundary, max_policies=10)
        assert await store.create_role(role("App", permissions_boundary=boundary.arn), max_roles=10)
        got = await store.get_policy(MAIN, boundary.arn)
        assert got is not None and (got.attachment_count, got.boundary_usage_count) == (0, 1)
        used = await store.list_policies(
            MAIN,
            path_prefix="/",
            attached=True,
            usage="PermissionsBoundary",
            after=None,
            limit=10,
        )
        assert [p.name for p in used.items] == ["Boundary"]
        as_permissions = await store.list_policies(
            MAIN, path_prefix="/", attached=True, usage="PermissionsPolicy", after=None, limit=10
        )
        assert as_permissions.items == []
        with pytest.raises(IamDeleteConflict):
            await store.delete_policy(MAIN, boundary.arn)
        with pytest.raises(IamEntityMissing):
            await store.update_role(
                MAIN, "App", lambda r: dataclasses.replace(r, permissions_boundary=policy("X").arn)
            )
        await store.update_role(
            MAIN, "App", lambda r: dataclasses.replace(r, permissions_boundary=None)
        )
        assert await store.delete_policy(MAIN, boundary.arn)

    target.run(body)


def test_attach_racing_delete_policy_never_dangles(target: StoreTarget) -> None:
    """Attaching a policy while another process deletes it: each round ends either with the
    policy deleted and nothing attached (the attach found no policy), or with the policy attached
    and the delete refused; never an attachment to a deleted policy."""

    async def main() -> None:
        one, two = await target.open(), await target.open()
        outcomes: set[tuple[str, str]] = set()
        try:
            await two_accounts(one)
            assert await one.create_role(role("App"), max_roles=10)
            for n in range(30):
                p = policy(f"P{n}")
                assert await one.create_policy(p, max_policies=100)

                async def attach(arn: str = p.arn) -> str:
                    try:
                        await one.attach_role_policy(MAIN, "App", arn, max_attached=100)
                    except IamEntityMissing:
                        return "missing"
                    return "attached"

                async def delete(arn: str = p.arn) -> str:
                    try:
                        return "deleted" if await two.delete_policy(MAIN, arn) else "absent"
                    except IamDeleteConflict:
                        return "conflict"

                attached, deleted = await asyncio.gather(attach(), delete())
                outcomes.add((attached, deleted))
                assert (attached, deleted) in {("attached", "conflict"), ("missing", "deleted")}
                stored = await two.get_policy(MAIN, p.arn)
                now = await two.get_role(MAIN, "App")
                assert now is not None
                assert (p.arn in now.attached_policies) == (stored is not None)
            dangling = target.query(
                "SELECT count(*) FROM iam_role_policies a"
                " WHERE NOT EXISTS (SELECT 1 FROM iam_policies p WHERE p.arn = a.policy_arn)"
            )
            assert dangling == [(0,)]
        finally:
            await one.close()
            await two.close()

    asyncio.run(main())


def test_deleting_an_account_deletes_its_roles_and_policies(target: StoreTarget) -> None:
    async def body(store: Store) -> None:
        await two_accounts(store)
        assert await store.create_policy(policy("Read"), max_policies=10)
        assert await store.create_role(
            role("App", permissions_boundary=policy("Read").arn), max_roles=10
        )
        await store.attach_role_policy(MAIN, "App", policy("Read").arn, max_attached=10)
        assert await store.create_role(role("App", OTHER), max_roles=10)
        assert await store.delete_account(MAIN)
        assert await store.get_role(MAIN, "App") is None
        assert await store.get_policy(MAIN, policy("Read").arn) is None
        assert await store.get_role(OTHER, "App") is not None

    target.run(body)
    assert target.query("SELECT count(*) FROM iam_role_policies") == [(0,)]
    assert target.query("SELECT count(*) FROM iam_policies") == [(0,)]


# -- the role directory (what trust checks and decisions read) -----------------------------------


def test_role_directory_reads_roles_with_their_parsed_policies(target: StoreTarget) -> None:
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
        '{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}'
    )

    async def body(store: Store) -> None:
        await two_accounts(store)
        boundary, managed = policy("Boundary"), policy("Managed")
        for p in (boundary, managed):
            assert await store.create_policy(p, max_policies=10)
        app = dataclasses.replace(
            role("App", path="/svc/", permissions_boundary=boundary.arn),
            trust_policy=trust,
            inline_policies={"inline": DOC, "broken": "{"},
        )
        assert await store.create_role(app, max_roles=10)
        await store.attach_role_policy(MAIN, "App", managed.arn, max_attached=10)
        directory = RoleDirectory(store)

        found = await directory.authority(MAIN, app.arn)
        assert found is not None and found.role.name == "App"
        assert (found.trust.source_id, found.trust.source_type) == ("App", "resource")
        assert len(found.trust.statements) == 1
        assert [(p.source_id, p.source_type) for p in found.permissions] == [
            ("inline", "role"),
            ("broken", "role"),
            ("Managed", "user-managed"),
        ]
        assert found.permissions[1].statements == ()  # unparsable: allows nothing
        assert found.boundary is not None and found.boundary[0].source_id == "Boundary"
        if store.version() is not None:  # nothing committed since: the parsed role is reused
            assert await directory.authority(MAIN, app.arn) is found
        assert await directory.authority(OTHER, app.arn) is None  # another account's
        assert await directory.authority(MAIN, f"arn:aws:iam::{MAIN}:role/App") is None

        # A change counts from the next read, cached or not.
        await store.update_role(MAIN, "App", lambda r: dataclasses.replace(r, inline_policies={}))
        again = await directory.authority(MAIN, app.arn)
        assert again is not None
        assert [p.source_id for p in again.permissions] == ["Managed"]
        await store.detach_role_policy(MAIN, "App", managed.arn)
        await store.update_role(MAIN, "App", lambda r: dataclasses.replace(r, inline_policies={}))
        assert await store.delete_role(MAIN, "App")
        assert await directory.authority(MAIN, app.arn) is None

    target.run(body)
