"""Developer authenticated identities through boto3: the backend's flow, lookup, merge, unlink."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from tests.api.test_flows import auth_role, sts_client, unauth_role
from tests.api.test_pools import error_of
from tests.support.server import Credentials, ServerProcess

DEV = "login.example"


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = orjson.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def dev_pool(client: Any, account: Credentials) -> str:
    pool_id: str = client.create_identity_pool(
        IdentityPoolName="dev", AllowUnauthenticatedIdentities=True, DeveloperProviderName=DEV
    )["IdentityPoolId"]
    client.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": auth_role(account), "unauthenticated": unauth_role(account)},
    )
    return pool_id


def test_full_developer_flow(server: ServerProcess, account: Credentials) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    issued = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "user-1"}, PrincipalTags={"team": "blue"}
    )
    identity_id = issued["IdentityId"]
    claims = claims_of(issued["Token"])
    assert claims["sub"] == identity_id
    assert claims["aud"] == pool_id
    assert claims["amr"] == ["authenticated", DEV, f"{DEV}:{pool_id}:user-1"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["https://aws.amazon.com/tags"] == {"principal_tags": {"team": ["blue"]}}
    # The same user identifier maps to the same identity.
    again = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "user-1"}, TokenDuration=3600
    )
    assert again["IdentityId"] == identity_id
    assert claims_of(again["Token"])["exp"] - claims_of(again["Token"])["iat"] == 3600
    described = backend.describe_identity(IdentityId=identity_id)
    assert described["Logins"] == [DEV]  # provider names, never the user identifier
    # The client uses the token in the enhanced flow, as the SDKs send it...
    client = server.client(unsigned=True)
    creds = client.get_credentials_for_identity(
        IdentityId=identity_id, Logins={"cognito-identity.amazonaws.com": issued["Token"]}
    )["Credentials"]
    caller = sts_client(server, creds).get_caller_identity()
    assert caller["Arn"].endswith(":assumed-role/Cognito_demoAuth_Role/CognitoIdentityCredentials")
    # ...and in the basic flow through STS.
    assumed = sts_client(server).assume_role_with_web_identity(
        RoleArn=auth_role(account), RoleSessionName="dev-session", WebIdentityToken=issued["Token"]
    )
    assert assumed["SubjectFromWebIdentityToken"] == identity_id
    assert (
        sts_client(server, assumed["Credentials"])
        .get_caller_identity()["Arn"]
        .endswith("/dev-session")
    )


def test_unauthenticated_identity_becomes_authenticated(
    server: ServerProcess, account: Credentials
) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    guest = backend.get_id(IdentityPoolId=pool_id)["IdentityId"]
    linked = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, IdentityId=guest, Logins={DEV: "user-2"}
    )
    assert linked["IdentityId"] == guest
    assert backend.describe_identity(IdentityId=guest)["Logins"] == [DEV]
    # Now authenticated: linking another identifier needs one of its own logins.
    with pytest.raises(ClientError) as exc:
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=guest, Logins={DEV: "someone-else"}
        )
    assert error_of(exc) == (
        "NotAuthorizedException",
        "Logins don't match. Please include at least one valid login for this identity or "
        "identity pool.",
        400,
    )
    # A guest token is no longer issued for it.
    with pytest.raises(ClientError) as exc:
        server.client(unsigned=True).get_open_id_token(IdentityId=guest)
    assert error_of(exc)[0] == "NotAuthorizedException"


def test_developer_errors(server: ServerProcess, account: Credentials) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    first = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "owner"}
    )["IdentityId"]
    other = backend.get_id(IdentityPoolId=pool_id)["IdentityId"]
    with pytest.raises(ClientError) as exc:
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=other, Logins={DEV: "owner"}
        )
    assert error_of(exc)[0] == "DeveloperUserAlreadyRegisteredException"
    with pytest.raises(ClientError) as exc:
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={"not.our.provider": "x"}
        )
    assert error_of(exc) == (
        "NotAuthorizedException",
        "This identity pool does not support the specified developer provider",
        400,
    )
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as exc:
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=missing, Logins={DEV: "new"}
        )
    assert error_of(exc) == ("ResourceNotFoundException", f"Identity '{missing}' not found.", 400)
    with pytest.raises(ClientError) as exc:
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: "x"}, TokenDuration=86401
        )
    assert error_of(exc)[0] in ("ValidationException", "ParamValidationError")
    # The public operations refuse the developer provider name as a login.
    with pytest.raises(ClientError) as exc:
        server.client(unsigned=True).get_id(IdentityPoolId=pool_id, Logins={DEV: "owner"})
    assert error_of(exc)[0] == "NotAuthorizedException"
    assert first


def test_lookup_paginates_over_many_identifiers(
    server: ServerProcess, account: Credentials
) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    identity_id = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "u000"}
    )["IdentityId"]
    for n in range(1, 65):
        other = backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: f"u{n:03d}"}
        )["IdentityId"]
        backend.merge_developer_identities(
            SourceUserIdentifier=f"u{n:03d}",
            DestinationUserIdentifier="u000",
            DeveloperProviderName=DEV,
            IdentityPoolId=pool_id,
        )
        assert other != identity_id
        if n == 18:
            break  # 19 identifiers: the 20-login limit is tested below
    seen: list[str] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {
            "IdentityPoolId": pool_id,
            "IdentityId": identity_id,
            "MaxResults": 7,
        }
        if token:
            kwargs["NextToken"] = token
        page = backend.lookup_developer_identity(**kwargs)
        assert page["IdentityId"] == identity_id
        seen += page["DeveloperUserIdentifierList"]
        token = page.get("NextToken")
        if token is None:
            break
    assert sorted(seen) == [f"u{n:03d}" for n in range(19)]
    by_user = backend.lookup_developer_identity(
        IdentityPoolId=pool_id, DeveloperUserIdentifier="u005", MaxResults=60
    )
    assert by_user["IdentityId"] == identity_id
    with pytest.raises(ClientError) as exc:
        backend.lookup_developer_identity(
            IdentityPoolId=pool_id,
            IdentityId=backend.get_id(IdentityPoolId=pool_id)["IdentityId"],
            DeveloperUserIdentifier="u005",
        )
    assert error_of(exc)[0] == "ResourceConflictException"


def test_lookup_over_more_than_sixty_identities(
    server: ServerProcess, account: Credentials
) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    made = {
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: f"user-{n}"}
        )["IdentityId"]: f"user-{n}"
        for n in range(65)
    }
    for identity_id, user in list(made.items())[::16]:
        found = backend.lookup_developer_identity(
            IdentityPoolId=pool_id, DeveloperUserIdentifier=user, MaxResults=60
        )
        assert found["IdentityId"] == identity_id
        assert found["DeveloperUserIdentifierList"] == [user]
    listed = backend.list_identities(IdentityPoolId=pool_id, MaxResults=60)
    assert len(listed["Identities"]) == 60 and "NextToken" in listed


def test_merge_and_unlink(server: ServerProcess, account: Credentials) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    dest = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "dest"}
    )["IdentityId"]
    source = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "source"}
    )["IdentityId"]
    merged = backend.merge_developer_identities(
        SourceUserIdentifier="source",
        DestinationUserIdentifier="dest",
        DeveloperProviderName=DEV,
        IdentityPoolId=pool_id,
    )
    assert merged["IdentityId"] == dest
    assert (
        backend.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: "source"}
        )["IdentityId"]
        == dest
    )
    visible = backend.list_identities(IdentityPoolId=pool_id, MaxResults=60, HideDisabled=True)
    assert [i["IdentityId"] for i in visible["Identities"]] == [dest]
    everyone = backend.list_identities(IdentityPoolId=pool_id, MaxResults=60)
    assert {i["IdentityId"] for i in everyone["Identities"]} == {dest, source}
    with pytest.raises(ClientError) as exc:
        backend.merge_developer_identities(
            SourceUserIdentifier="source",
            DestinationUserIdentifier="nobody",
            DeveloperProviderName=DEV,
            IdentityPoolId=pool_id,
        )
    assert error_of(exc)[0] == "ResourceNotFoundException"
    # Unlink: the identifier becomes a new identity the next time it is seen.
    backend.unlink_developer_identity(
        IdentityId=dest,
        IdentityPoolId=pool_id,
        DeveloperProviderName=DEV,
        DeveloperUserIdentifier="source",
    )
    fresh = backend.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "source"}
    )["IdentityId"]
    assert fresh not in (dest, source)
    with pytest.raises(ClientError) as exc:
        backend.unlink_developer_identity(
            IdentityId=dest,
            IdentityPoolId=pool_id,
            DeveloperProviderName=DEV,
            DeveloperUserIdentifier="source",
        )
    assert error_of(exc)[0] == "ResourceConflictException"


def test_twenty_logins_at_most(server: ServerProcess, account: Credentials) -> None:
    backend = server.client(account)
    pool_id = dev_pool(backend, account)
    backend.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={DEV: "d0"})
    for n in range(1, 20):
        backend.merge_developer_identities(
            SourceUserIdentifier=f"d{n}",
            DestinationUserIdentifier="d0",
            DeveloperProviderName=DEV,
            IdentityPoolId=pool_id,
        )
    with pytest.raises(ClientError) as exc:
        backend.merge_developer_identities(
            SourceUserIdentifier="d20",
            DestinationUserIdentifier="d0",
            DeveloperProviderName=DEV,
            IdentityPoolId=pool_id,
        )
    assert error_of(exc) == (
        "ResourceConflictException",
        "The number of linked logins is limited to 20.",
        400,
    )


def test_concurrent_registration_makes_one_identity(
    server: ServerProcess, account: Credentials
) -> None:
    pool_id = dev_pool(server.client(account), account)

    def register(_: int) -> str:
        identity: str = server.client(account).get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={DEV: "racer"}
        )["IdentityId"]
        return identity

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(register, range(16)))
    assert len(ids) == 1
    listed = server.client(account).list_identities(IdentityPoolId=pool_id, MaxResults=60)
    assert [i["IdentityId"] for i in listed["Identities"]] == list(ids)
