"""SetIdentityPoolRoles / GetIdentityPoolRoles and the principal-tag attribute maps, via boto3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.server import Credentials, ServerProcess

AUTH = "arn:aws:iam::123456789012:role/Cognito_demoAuth_Role"
UNAUTH = "arn:aws:iam::123456789012:role/service-role/Cognito_demoUnauth_Role"
ADMIN = "arn:aws:iam::123456789012:role/admins"
PROVIDER = "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc:client1"


def new_pool(client: Any) -> str:
    pool_id: str = client.create_identity_pool(
        IdentityPoolName="roles", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    return pool_id


def test_roles_round_trip_and_clear(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = new_pool(client)
    assert client.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {}
    mappings = {
        PROVIDER: {
            "Type": "Rules",
            "AmbiguousRoleResolution": "AuthenticatedRole",
            "RulesConfiguration": {
                "Rules": [
                    {"Claim": "custom:dept", "MatchType": "Equals", "Value": "it", "RoleARN": ADMIN}
                ]
            },
        },
        "accounts.google.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"},
    }
    client.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": AUTH, "unauthenticated": UNAUTH},
        RoleMappings=mappings,
    )
    got = client.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert got["IdentityPoolId"] == pool_id
    assert got["Roles"] == {"authenticated": AUTH, "unauthenticated": UNAUTH}
    assert got["RoleMappings"] == mappings
    client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={})  # what tools do on destroy
    cleared = client.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert cleared["Roles"] == {}
    assert "RoleMappings" not in cleared


@pytest.mark.parametrize(
    ("roles", "mappings", "fragment"),
    [
        ({"authenticated": "arn:aws:iam::123456789012:user/bob"}, {}, "Invalid RoleArn"),
        ({"authenticated": "not-an-arn-at-all-xx"}, {}, "Invalid RoleArn"),
        (
            {},
            {"p": {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}},
            "RulesConfiguration is required",
        ),
        ({}, {"p": {"Type": "Token"}}, "AmbiguousRoleResolution is required"),
        (
            {},
            {
                "p": {
                    "Type": "Rules",
                    "AmbiguousRoleResolution": "Deny",
                    "RulesConfiguration": {
                        "Rules": [
                            {"Claim": "c", "MatchType": "Equals", "Value": "v", "RoleARN": ADMIN}
                        ]
                        * 26
                    },
                }
            },
            "between 1 and 25",
        ),
    ],
    ids=[
        "user-arn",
        "garbage-arn",
        "rules-without-configuration",
        "no-ambiguous-resolution",
        "26-rules",
    ],
)
def test_invalid_role_configurations(
    server: ServerProcess,
    account: Credentials,
    roles: dict[str, str],
    mappings: dict[str, Any],
    fragment: str,
) -> None:
    client = server.client(account)
    pool_id = new_pool(client)
    with pytest.raises(ClientError) as exc:
        client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles, RoleMappings=mappings)
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidParameterException", 400)
    assert fragment in message
    assert client.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {}


def test_roles_of_missing_pool(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    calls: list[Callable[[], object]] = [
        lambda: client.get_identity_pool_roles(IdentityPoolId=missing),
        lambda: client.set_identity_pool_roles(
            IdentityPoolId=missing, Roles={"authenticated": AUTH}
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "ResourceNotFoundException",
            f"IdentityPool '{missing}' not found.",
            400,
        )


def test_principal_tag_maps(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = new_pool(client)
    provider = "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
    never = client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider
    )
    assert never["UseDefaults"] is False
    assert never.get("PrincipalTags", {}) == {}
    defaults = client.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider, UseDefaults=True
    )
    assert defaults["UseDefaults"] is True
    assert defaults["PrincipalTags"] == {"client": "aud", "username": "sub"}
    got = client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider
    )
    assert (got["UseDefaults"], got["PrincipalTags"]) == (
        True,
        {"client": "aud", "username": "sub"},
    )
    custom = client.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id,
        IdentityProviderName=provider,
        UseDefaults=False,
        PrincipalTags={"department": "custom:dept", "user": "sub"},
    )
    assert custom["PrincipalTags"] == {"department": "custom:dept", "user": "sub"}
    got = client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider
    )
    assert (got["UseDefaults"], got["PrincipalTags"]) == (
        False,
        {"department": "custom:dept", "user": "sub"},
    )
    # Another provider is independent.
    other = client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName="accounts.google.com"
    )
    assert other["UseDefaults"] is False


def test_principal_tags_aggregate_limit(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = new_pool(client)
    big = {f"tag{i:02d}": "x" * 42 for i in range(10)}  # 420 bytes of names + 50 of keys
    with pytest.raises(ClientError) as exc:
        client.set_principal_tag_attribute_map(
            IdentityPoolId=pool_id, IdentityProviderName="accounts.google.com", PrincipalTags=big
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    assert "460 bytes" in error_of(exc)[1]
