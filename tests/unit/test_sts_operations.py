"""The STS operations in process, against a SQLite store and real OpenID tokens: which roles a
token may assume, what the answer carries, and the errors for expired, foreign and bad tokens."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cognitoidentity.server.api import sts as api
from cognitoidentity.server.bootstrap import provider_directory
from cognitoidentity.server.context import RequestContext, Runtime
from cognitoidentity.server.credentials import CredentialVault, Session
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.errors import AccessDeniedException
from cognitoidentity.server.logins.dispatch import LoginVerifier
from cognitoidentity.server.operations.sts import (
    assume_role_with_web_identity,
    get_caller_identity,
)
from cognitoidentity.server.role_directory import RoleDirectory
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.sigv4 import Caller
from cognitoidentity.server.store.base import Account, IdentityPool
from cognitoidentity.server.store.sqlite import SqliteStore
from cognitoidentity.server.tokens import SIGNING_KEY_PURPOSE, OpenIdTokenIssuer, SigningKeys

ISSUER = "https://identity.example.com"
ACCOUNT = "123456789012"
POOL = "us-east-1:5e6212d7-b907-4b6b-9b78-3cf761ff209f"
IDENTITY = "us-east-1:ee869f3c-2c41-4d24-8f07-2e0c3f9a1b6e"
UNAUTH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Cognito_PoolUnauth_Role"
AUTH_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Cognito_PoolAuth_Role"
RULE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/team/Admins"
FOREIGN_ROLE = "arn:aws:iam::210987654321:role/team/Admins"
"""Another account's role in a rule (stored as a pool could hold it before pools were checked)."""
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
AUTHENTICATED_AMR = ["authenticated", "login.example", f"login.example:{POOL}:alice"]


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    runtime: Runtime
    clock: Clock

    def ctx(self, caller: Caller | None = None) -> RequestContext:
        return RequestContext(self.runtime, "req-1", "AssumeRoleWithWebIdentity", caller)

    async def token(self, **kw: Any) -> str:
        args: dict[str, Any] = {
            "identity_id": IDENTITY,
            "pool_id": POOL,
            "amr": ["unauthenticated"],
            "lifetime": timedelta(seconds=600),
        }
        args.update(kw)
        return await self.runtime.tokens.issue(**args)

    async def assume(self, token: str, role_arn: str, **params: Any) -> Any:
        request: dict[str, Any] = {
            "RoleArn": role_arn,
            "RoleSessionName": "web-session",
            "WebIdentityToken": token,
            **params,
        }
        return await assume_role_with_web_identity(self.ctx(), request)  # type: ignore[arg-type]


def run(tmp_path: Path, body: Callable[[World], Awaitable[None]]) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "store.db")
        clock = Clock()
        master = MasterKey(secrets.token_bytes(32))
        keys = SigningKeys(store, master.box(SIGNING_KEY_PURPOSE), clock=clock)
        runtime = Runtime(
            settings=Settings(data_dir=tmp_path),
            store=store,
            master_key=master,
            credentials=CredentialVault(master, clock),
            tokens=OpenIdTokenIssuer(keys, ISSUER, clock),
            logins=LoginVerifier.from_settings(
                Settings(data_dir=tmp_path), provider_directory(store)
            ),
            roles=RoleDirectory(store),
            clock=clock,
        )
        await store.create_account(Account(ACCOUNT, "test", T0))
        await store.create_pool(
            IdentityPool(
                pool_id=POOL,
                account_id=ACCOUNT,
                name="pool",
                allow_unauthenticated=True,
                created_at=T0,
                roles={"unauthenticated": UNAUTH_ROLE, "authenticated": AUTH_ROLE},
                role_mappings={
                    "login.example": {
                        "Type": "Rules",
                        "AmbiguousRoleResolution": "AuthenticatedRole",
                        "RulesConfiguration": {
                            "Rules": [
                                {
                                    "Claim": "sub",
                                    "MatchType": "Equals",
                                    "Value": "alice",
                                    "RoleARN": RULE_ROLE,
                                },
                                {
                                    "Claim": "sub",
                                    "MatchType": "Equals",
                                    "Value": "mallory",
                                    "RoleARN": FOREIGN_ROLE,
                                },
                            ]
                        },
                    }
                },
            ),
            max_pools=10,
        )
        try:
            await body(World(runtime, clock))
        finally:
            await runtime.logins.aclose()
            await store.close()

    asyncio.run(main())


def test_an_unauthenticated_token_assumes_the_unauthenticated_role(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        out = await world.assume(await world.token(), UNAUTH_ROLE)
        credentials = out["Credentials"]
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
        assert credentials["Expiration"] == T0 + timedelta(seconds=3600)
        assert out["SubjectFromWebIdentityToken"] == IDENTITY
        assert out["Audience"] == POOL
        assert out["Provider"] == "identity.example.com"
        role_id = out["AssumedRoleUser"]["AssumedRoleId"]
        assert re.fullmatch(r"AROA[A-Z2-7]{17}:web-session", role_id)
        assert out["AssumedRoleUser"]["Arn"] == (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/Cognito_PoolUnauth_Role/web-session"
        )
        assert "PackedPolicySize" not in out
        secret, session = world.runtime.credentials.open(
            credentials["AccessKeyId"], credentials["SessionToken"]
        )
        assert secret == credentials["SecretAccessKey"]
        assert session == Session(
            account_id=ACCOUNT,
            role_arn=UNAUTH_ROLE,
            session_name="web-session",
            expires_at=T0 + timedelta(seconds=3600),
            source_identity_id=IDENTITY,
            pool_id=POOL,
            provider="identity.example.com",
            tags={},
            amr=("unauthenticated",),
            issued_at=T0,
        )

    run(tmp_path, body)


def test_roles_a_token_may_assume(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        unauth = await world.token()
        auth = await world.token(amr=AUTHENTICATED_AMR)
        for token, role in ((unauth, AUTH_ROLE), (unauth, RULE_ROLE), (auth, UNAUTH_ROLE)):
            with pytest.raises(AccessDeniedException) as exc:
                await world.assume(token, role)
            assert exc.value.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        with pytest.raises(AccessDeniedException):
            await world.assume(auth, f"arn:aws:iam::{ACCOUNT}:role/Other")
        assert (await world.assume(auth, AUTH_ROLE))["AssumedRoleUser"]["Arn"].startswith(
            f"arn:aws:sts::{ACCOUNT}:assumed-role/Cognito_PoolAuth_Role/"
        )
        ruled = await world.assume(auth, RULE_ROLE)
        assert ruled["AssumedRoleUser"]["Arn"] == (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/Admins/web-session"
        )
        # Another account's role, even one the pool's rules name: no trust policy here says
        # that account trusts the pool, so no session is made in its name.
        with pytest.raises(AccessDeniedException) as exc:
            await world.assume(auth, FOREIGN_ROLE)
        assert exc.value.message == "Not authorized to perform sts:AssumeRoleWithWebIdentity"

    run(tmp_path, body)


def test_without_roles_nothing_can_be_assumed(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        await world.runtime.store.update_pool(
            POOL, lambda pool: replace(pool, roles={}, role_mappings={})
        )
        for amr in (["unauthenticated"], AUTHENTICATED_AMR):
            with pytest.raises(AccessDeniedException):
                await world.assume(await world.token(amr=amr), AUTH_ROLE)

    run(tmp_path, body)


def test_duration_seconds(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        out = await world.assume(await world.token(), UNAUTH_ROLE, DurationSeconds=900)
        assert out["Credentials"]["Expiration"] == T0 + timedelta(seconds=900)
        out = await world.assume(await world.token(), UNAUTH_ROLE, DurationSeconds=43200)
        assert out["Credentials"]["Expiration"] == T0 + timedelta(hours=12)

    run(tmp_path, body)


def test_principal_tags_become_session_tags(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        token = await world.token(
            amr=AUTHENTICATED_AMR, principal_tags={"client": "app-1", "username": "alice"}
        )
        out = await world.assume(token, AUTH_ROLE)
        assert 1 <= out["PackedPolicySize"] <= 100
        _, session = world.runtime.credentials.open(
            out["Credentials"]["AccessKeyId"], out["Credentials"]["SessionToken"]
        )
        assert session.tags == {"client": "app-1", "username": "alice"}

        many = {f"k{i}": "v" for i in range(51)}
        with pytest.raises(api.InvalidIdentityTokenException):
            await world.assume(await world.token(principal_tags=many), UNAUTH_ROLE)
        long_value = {"k": "v" * 257}
        with pytest.raises(api.InvalidIdentityTokenException):
            await world.assume(await world.token(principal_tags=long_value), UNAUTH_ROLE)
        big = {f"key-{i:02d}-{'x' * 100}": "y" * 200 for i in range(20)}
        with pytest.raises(api.PackedPolicyTooLargeException) as exc:
            await world.assume(await world.token(principal_tags=big), UNAUTH_ROLE)
        assert re.fullmatch(
            r"Packed policy consumes \d+% of allotted space, please use smaller policy\.",
            exc.value.message,
        )

    run(tmp_path, body)


def test_session_policy_must_be_a_valid_policy(tmp_path: Path) -> None:
    """STS's two wordings: not JSON, and JSON that is no valid session policy."""

    async def body(world: World) -> None:
        token = await world.token()
        no_resource = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}'
        principal = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
            '"Action":"s3:*","Resource":"*"}]}'
        )
        for bad, message in (
            ("not json", "Syntax errors in policy."),
            ("[1, 2]", "Syntax errors in policy."),
            (no_resource, "The policy is not in the valid JSON format."),
            (principal, "The policy is not in the valid JSON format."),
        ):
            with pytest.raises(api.MalformedPolicyDocumentException) as exc:
                await world.assume(token, UNAUTH_ROLE, Policy=bad)
            assert exc.value.message == message, bad
        policy = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
            '"Resource":"*"}]}'
        )
        out = await world.assume(token, UNAUTH_ROLE, Policy=policy)
        assert 1 <= out["PackedPolicySize"] <= 100
        _, session = world.runtime.credentials.open(
            out["Credentials"]["AccessKeyId"], out["Credentials"]["SessionToken"]
        )
        assert session.policy == policy

    run(tmp_path, body)


def test_an_expired_token(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        token = await world.token()
        world.clock.now = T0 + timedelta(seconds=601)
        with pytest.raises(api.ExpiredTokenException) as exc:
            await world.assume(token, UNAUTH_ROLE)
        now, exp = int(world.clock.now.timestamp()), int(T0.timestamp()) + 600
        assert exc.value.message == (
            f"Token expired: current date/time {now} must be before the expiration date/time {exp}"
        )
        assert exc.value.code == "ExpiredTokenException"

    run(tmp_path, body)


def test_bad_and_foreign_tokens_are_invalid(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        token = await world.token()
        header, payload, signature = token.split(".")
        forged = f"{header}.{payload}.{signature[:-6]}AAAAAA"
        other_issuer = OpenIdTokenIssuer(
            world.runtime.tokens.keys, "https://evil.example", world.clock
        )
        foreign = await other_issuer.issue(
            identity_id=IDENTITY,
            pool_id=POOL,
            amr=["unauthenticated"],
            lifetime=timedelta(seconds=600),
        )
        for bad in ("garbage", forged, foreign):
            with pytest.raises(api.InvalidIdentityTokenException) as exc:
                await world.assume(bad, UNAUTH_ROLE)
            assert exc.value.code == "InvalidIdentityToken"
            assert exc.value.message

    run(tmp_path, body)


def test_a_token_of_a_deleted_pool(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        token = await world.token()
        await world.runtime.store.delete_pool(POOL)
        with pytest.raises(api.InvalidIdentityTokenException) as exc:
            await world.assume(token, UNAUTH_ROLE)
        assert exc.value.message == "Incorrect token audience"

    run(tmp_path, body)


def test_get_caller_identity(tmp_path: Path) -> None:
    async def body(world: World) -> None:
        root = Caller("AKIAROOT", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", "us-east-1", "sts", None)
        assert await get_caller_identity(world.ctx(root), {}) == {
            "UserId": ACCOUNT,
            "Account": ACCOUNT,
            "Arn": f"arn:aws:iam::{ACCOUNT}:root",
        }
        session = Session(ACCOUNT, AUTH_ROLE, "s1", T0 + timedelta(hours=1))
        temporary = Caller("ASIAX", ACCOUNT, session.assumed_role_arn, "us-east-1", "sts", session)
        assert await get_caller_identity(world.ctx(temporary), {}) == {
            "UserId": f"{session.role_id}:s1",
            "Account": ACCOUNT,
            "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Cognito_PoolAuth_Role/s1",
        }

    run(tmp_path, body)
