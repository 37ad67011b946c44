"""Authenticated identities through a real server: logins verified against local identity providers
(a moto user pool, a Google-like OpenID provider, Facebook's Graph API), linking, merging,
unlinking, role mapping with real claims, principal tags, and the race of concurrent first logins.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from tests.api.test_flows import sts_client
from tests.api.test_pools import error_of
from tests.support.idp import GraphApi, HangingServer, MotoServer, OidcProvider, moto
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import Credentials, ServerProcess, needs_caches

__all__ = ["moto"]  # the session fixture, imported so pytest finds it here

GOOGLE = "accounts.google.com"
FACEBOOK = "graph.facebook.com"
GOOGLE_CLIENT = "google-client.apps.googleusercontent.com"
FACEBOOK_APP = "1234567890"


@dataclass
class World:
    server: ServerProcess
    moto: MotoServer
    google: OidcProvider
    graph: GraphApi
    hanging: HangingServer


def endpoints(world_moto: MotoServer, google: OidcProvider, graph: GraphApi) -> str:
    return orjson.dumps(
        {
            **world_moto.provider_endpoints(),
            GOOGLE: google.url,
            FACEBOOK: graph.url,
        }
    ).decode()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, moto: MotoServer
) -> Iterator[World]:
    google = OidcProvider("https://accounts.google.com").start()
    graph = GraphApi().start()
    hanging = HangingServer().start()
    assert isinstance(google, OidcProvider) and isinstance(graph, GraphApi)
    data_dir = tmp_path_factory.mktemp(f"logins-{request.param}")
    env = {"COGNITOIDENTITY_PROVIDER_ENDPOINTS": endpoints(moto, google, graph)}
    try:
        if request.param == "postgresql":
            require_postgres()
            with temporary_schema() as url:
                server = ServerProcess(data_dir, url, extra_env=env).start()
                try:
                    yield World(server, moto, google, graph, hanging)
                finally:
                    server.stop()
        else:
            server = ServerProcess(data_dir, str(data_dir / "store.db"), extra_env=env).start()
            try:
                yield World(server, moto, google, graph, hanging)
            finally:
                server.stop()
    finally:
        google.stop()
        graph.stop()
        hanging.stop()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = orjson.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def roles(account: Credentials) -> dict[str, str]:
    return {
        "authenticated": f"arn:aws:iam::{account.account_id}:role/AuthRole",
        "unauthenticated": f"arn:aws:iam::{account.account_id}:role/GuestRole",
    }


def social_pool(world: World, account: Credentials, **extra: Any) -> str:
    client = world.server.client(account)
    pool_id: str = client.create_identity_pool(
        IdentityPoolName="social",
        AllowUnauthenticatedIdentities=True,
        SupportedLoginProviders={GOOGLE: GOOGLE_CLIENT, FACEBOOK: FACEBOOK_APP},
        **extra,
    )["IdentityPoolId"]
    client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles(account))
    return pool_id


def google_token(world: World, sub: str, **claims: Any) -> str:
    return world.google.mint(sub=sub, aud=GOOGLE_CLIENT, email=f"{sub}@gmail.com", **claims)


def test_user_pool_login_end_to_end(world: World) -> None:
    account = world.server.new_account()
    login = world.moto.user_pool_login()
    client = world.server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="userpool",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[
            {"ProviderName": login.provider_name, "ClientId": login.client_id}
        ],
    )["IdentityPoolId"]
    client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles(account))
    public = world.server.client(unsigned=True)
    logins = {login.provider_name: login.id_token}
    identity_id = public.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    assert public.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"] == identity_id
    assert client.describe_identity(IdentityId=identity_id)["Logins"] == [login.provider_name]
    token = public.get_open_id_token(IdentityId=identity_id, Logins=logins)["Token"]
    assert claims_of(token)["amr"] == [
        "authenticated",
        login.provider_name,
        f"{login.provider_name}:CognitoSignIn:{login.sub}",
    ]
    creds = public.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
        "Credentials"
    ]
    arn = sts_client(world.server, creds).get_caller_identity()["Arn"]
    assert arn == (
        f"arn:aws:sts::{account.account_id}:assumed-role/AuthRole/CognitoIdentityCredentials"
    )
    # An access token is not an ID token.
    with pytest.raises(ClientError) as exc:
        public.get_id(IdentityPoolId=pool_id, Logins={login.provider_name: login.access_token})
    assert error_of(exc) == (
        "NotAuthorizedException",
        "Invalid login token. Missing a required claim: aud",
        400,
    )
    # An authenticated identity gets nothing without one of its logins.
    with pytest.raises(ClientError) as exc:
        public.get_credentials_for_identity(IdentityId=identity_id)
    assert error_of(exc)[0] == "NotAuthorizedException"


def test_token_errors(world: World) -> None:
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    public = world.server.client(unsigned=True)
    cases: list[tuple[dict[str, str], str]] = [
        (
            {"login.unknown.example": "x"},
            "Token is not from a supported provider of this identity pool.",
        ),
        (
            {GOOGLE: google_token(world, "u1", iss="https://evil.example.com")},
            "Invalid login token. Issuer doesn't match providerName",
        ),
        (
            {GOOGLE: world.google.mint(sub="u1", aud="another-client")},
            "Token is not from a supported provider of this identity pool.",
        ),
        ({GOOGLE: "not-a-jwt"}, "Invalid login token. Not a valid OpenId Connect identity token."),
    ]
    for logins, message in cases:
        with pytest.raises(ClientError) as exc:
            public.get_id(IdentityPoolId=pool_id, Logins=logins)
        assert error_of(exc) == ("NotAuthorizedException", message, 400), logins
    expired = google_token(world, "u1", iat=1_700_000_000, exp=1_700_000_600)
    with pytest.raises(ClientError) as exc:
        public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: expired})
    code, message, _ = error_of(exc)
    assert code == "NotAuthorizedException"
    assert message.startswith("Invalid login token. Token expired: ")
    assert message.endswith(">= 1700000600")


def test_link_merge_and_unlink(world: World) -> None:
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    backend = world.server.client(account)
    public = world.server.client(unsigned=True)
    google_a = google_token(world, "alice")
    fb_a, fb_alice_id = world.graph.issue(FACEBOOK_APP, name="Alice")
    alice = public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: google_a})["IdentityId"]
    # A new login presented with one of the identity's own links to it.
    linked = public.get_open_id_token(IdentityId=alice, Logins={GOOGLE: google_a, FACEBOOK: fb_a})
    assert linked["IdentityId"] == alice
    assert sorted(backend.describe_identity(IdentityId=alice)["Logins"]) == [GOOGLE, FACEBOOK]
    assert public.get_id(IdentityPoolId=pool_id, Logins={FACEBOOK: fb_a})["IdentityId"] == alice
    # A guest identity that signs in with a login of Alice's merges into Alice.
    guest = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    merged = public.get_credentials_for_identity(IdentityId=guest, Logins={GOOGLE: google_a})
    assert merged["IdentityId"] == alice
    visible = backend.list_identities(IdentityPoolId=pool_id, MaxResults=60, HideDisabled=True)
    assert [i["IdentityId"] for i in visible["Identities"]] == [alice]
    # Two users of one public provider can never share an identity.
    fb_b, _ = world.graph.issue(FACEBOOK_APP, name="Bob")
    bob = public.get_id(IdentityPoolId=pool_id, Logins={FACEBOOK: fb_b})["IdentityId"]
    with pytest.raises(ClientError) as exc:
        public.get_open_id_token(IdentityId=alice, Logins={GOOGLE: google_a, FACEBOOK: fb_b})
    assert error_of(exc)[0] == "ResourceConflictException"
    assert bob != alice
    # Unlink Facebook: the Facebook user becomes a new identity next time.
    public.unlink_identity(IdentityId=alice, Logins={GOOGLE: google_a}, LoginsToRemove=[FACEBOOK])
    assert backend.describe_identity(IdentityId=alice)["Logins"] == [GOOGLE]
    again = public.get_id(IdentityPoolId=pool_id, Logins={FACEBOOK: fb_a})["IdentityId"]
    assert again not in (alice, bob)
    # Unlinking needs one of the identity's own logins.
    with pytest.raises(ClientError) as exc:
        public.unlink_identity(IdentityId=alice, Logins={FACEBOOK: fb_a}, LoginsToRemove=[GOOGLE])
    assert error_of(exc)[0] == "NotAuthorizedException"
    assert fb_alice_id


def test_rules_role_mapping_sees_real_claims(world: World) -> None:
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    backend = world.server.client(account)
    admin = f"arn:aws:iam::{account.account_id}:role/Admins"
    backend.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles=roles(account),
        RoleMappings={
            GOOGLE: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {
                    "Rules": [
                        {
                            "Claim": "hd",
                            "MatchType": "Equals",
                            "Value": "corp.example",
                            "RoleARN": admin,
                        }
                    ]
                },
            }
        },
    )
    public = world.server.client(unsigned=True)
    staff = google_token(world, "staff", hd="corp.example")
    identity = public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: staff})["IdentityId"]
    creds = public.get_credentials_for_identity(IdentityId=identity, Logins={GOOGLE: staff})
    arn = sts_client(world.server, creds["Credentials"]).get_caller_identity()["Arn"]
    assert arn.endswith(":assumed-role/Admins/CognitoIdentityCredentials")
    outsider = google_token(world, "outsider", hd="other.example")
    other = public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: outsider})["IdentityId"]
    with pytest.raises(ClientError) as exc:
        public.get_credentials_for_identity(IdentityId=other, Logins={GOOGLE: outsider})
    assert error_of(exc) == (
        "NotAuthorizedException",
        f"The ambiguous role mapping rules for: {GOOGLE} denied this request.",
        400,
    )


def test_token_mapping_never_issues_another_accounts_role(world: World) -> None:
    """A login token's ``cognito:preferred_role`` naming another account's role gets no
    credentials: without a trust policy, that account never agreed to trust this pool."""
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    world.server.client(account).set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles=roles(account),
        RoleMappings={GOOGLE: {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}},
    )
    public = world.server.client(unsigned=True)
    own = f"arn:aws:iam::{account.account_id}:role/Editors"
    foreign = f"arn:aws:iam::{world.server.new_account().account_id}:role/Editors"
    for preferred, expected in ((own, "Editors"), (foreign, None)):
        token = google_token(world, "ed", **{"cognito:preferred_role": preferred})
        identity = public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: token})["IdentityId"]
        if expected is not None:
            creds = public.get_credentials_for_identity(IdentityId=identity, Logins={GOOGLE: token})
            arn = sts_client(world.server, creds["Credentials"]).get_caller_identity()["Arn"]
            assert arn == (
                f"arn:aws:sts::{account.account_id}:assumed-role/{expected}/"
                "CognitoIdentityCredentials"
            )
            continue
        with pytest.raises(ClientError) as exc:
            public.get_credentials_for_identity(IdentityId=identity, Logins={GOOGLE: token})
        assert error_of(exc) == (
            "InvalidIdentityPoolConfigurationException",
            "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
            400,
        )


def test_principal_tags_from_claims(world: World) -> None:
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    world.server.client(account).set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=GOOGLE, UseDefaults=True
    )
    public = world.server.client(unsigned=True)
    token = google_token(world, "tagged")
    identity = public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: token})["IdentityId"]
    issued = public.get_open_id_token(IdentityId=identity, Logins={GOOGLE: token})["Token"]
    assert claims_of(issued)["https://aws.amazon.com/tags"] == {
        "principal_tags": {"client": [GOOGLE_CLIENT], "username": ["tagged"]}
    }


def test_first_logins_racing_make_one_identity(world: World) -> None:
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    token = google_token(world, "racer")

    def get_id(_: int) -> str:
        identity: str = world.server.client(unsigned=True).get_id(
            IdentityPoolId=pool_id, Logins={GOOGLE: token}
        )["IdentityId"]
        return identity

    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = set(pool.map(get_id, range(30)))
    assert len(ids) == 1
    listed = world.server.client(account).list_identities(IdentityPoolId=pool_id, MaxResults=60)
    assert [i["IdentityId"] for i in listed["Identities"]] == list(ids)


@needs_caches
def test_jwks_is_fetched_once_not_per_request(world: World) -> None:
    account = world.server.new_account()
    pool_id = social_pool(world, account)
    public = world.server.client(unsigned=True)
    public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: google_token(world, "warm")})
    before = sum(world.google.hits.values())
    for n in range(10):
        public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: google_token(world, f"u{n}")})
    assert sum(world.google.hits.values()) == before


def test_provider_that_hangs(tmp_path: Path, moto: MotoServer) -> None:
    hanging = HangingServer().start()
    google = OidcProvider("https://accounts.google.com").start()
    try:
        env = {"COGNITOIDENTITY_PROVIDER_ENDPOINTS": orjson.dumps({FACEBOOK: hanging.url}).decode()}
        server = ServerProcess(tmp_path, str(tmp_path / "store.db"), extra_env=env).start()
        try:
            account = server.new_account()
            pool_id = server.client(account).create_identity_pool(
                IdentityPoolName="hang",
                AllowUnauthenticatedIdentities=False,
                SupportedLoginProviders={FACEBOOK: FACEBOOK_APP},
            )["IdentityPoolId"]
            with pytest.raises(ClientError) as exc:
                server.client(unsigned=True).get_id(
                    IdentityPoolId=pool_id, Logins={FACEBOOK: "EAAtoken"}
                )
            assert error_of(exc)[0] == "ExternalServiceException"
        finally:
            server.stop()
    finally:
        hanging.stop()
        google.stop()


def test_two_processes_racing_on_postgresql(tmp_path: Path) -> None:
    require_postgres()
    google = OidcProvider("https://accounts.google.com")
    google.start()
    try:
        env = {"COGNITOIDENTITY_PROVIDER_ENDPOINTS": orjson.dumps({GOOGLE: google.url}).decode()}
        with temporary_schema() as url:
            first = ServerProcess(tmp_path, url, extra_env=env).start()
            second = ServerProcess(
                tmp_path, url, root=first.root, master_key=first.master_key, extra_env=env
            ).start()
            try:
                account = first.new_account()
                pool_id = first.client(account).create_identity_pool(
                    IdentityPoolName="race",
                    AllowUnauthenticatedIdentities=False,
                    SupportedLoginProviders={GOOGLE: GOOGLE_CLIENT},
                )["IdentityPoolId"]
                token = google.mint(sub="racer", aud=GOOGLE_CLIENT)

                def get_id(n: int) -> str:
                    server = first if n % 2 else second
                    identity: str = server.client(unsigned=True).get_id(
                        IdentityPoolId=pool_id, Logins={GOOGLE: token}
                    )["IdentityId"]
                    return identity

                with ThreadPoolExecutor(max_workers=10) as pool:
                    ids = set(pool.map(get_id, range(30)))
                assert len(ids) == 1
            finally:
                first.stop()
                second.stop()
    finally:
        google.stop()
