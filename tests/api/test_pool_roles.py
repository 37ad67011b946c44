"""SetIdentityPoolRoles / GetIdentityPoolRoles and the principal-tag attribute maps, via boto3,
against the server's application run in the test process (``in_process``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.inprocess import InProcessServer
from tests.support.server import Credentials, ServerProcess

AUTH = "Cognito_demoAuth_Role"
UNAUTH = "service-role/Cognito_demoUnauth_Role"
ADMIN = "admins"


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    """The tests here need no server process (``account`` makes its accounts here too)."""
    return in_process


def role(account: Credentials, name: str) -> str:
    """The ARN of role ``name`` (with its path) in ``account``: a pool names its own roles."""
    return f"arn:aws:iam::{account.account_id}:role/{name}"


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
    auth, unauth, admin = role(account, AUTH), role(account, UNAUTH), role(account, ADMIN)
    mappings = {
        PROVIDER: {
            "Type": "Rules",
            "AmbiguousRoleResolution": "AuthenticatedRole",
            "RulesConfiguration": {
                "Rules": [
                    {"Claim": "custom:dept", "MatchType": "Equals", "Value": "it", "RoleARN": admin}
                ]
            },
        },
        "accounts.google.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"},
    }
    client.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": auth, "unauthenticated": unauth},
        RoleMappings=mappings,
    )
    got = client.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert got["IdentityPoolId"] == pool_id
    assert got["Roles"] == {"authenticated": auth, "unauthenticated": unauth}
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
                            {
                                "Claim": "c",
                                "MatchType": "Equals",
                                "Value": "v",
                                "RoleARN": "arn:aws:iam::123456789012:role/admins",
                            }
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


def test_another_accounts_role_is_refused(server: ServerProcess, account: Credentials) -> None:
    """A pool of this account naming another account's role, directly or in a rule, is refused:
    its guests would otherwise get credentials that STS reports as the other account's role."""
    client = server.client(account)
    pool_id = new_pool(client)
    foreign = role(server.new_account(), AUTH)
    rules = {
        "accounts.google.com": {
            "Type": "Rules",
            "AmbiguousRoleResolution": "Deny",
            "RulesConfiguration": {
                "Rules": [{"Claim": "c", "MatchType": "Equals", "Value": "v", "RoleARN": foreign}]
            },
        }
    }
    for roles, mappings in (({"unauthenticated": foreign}, {}), ({}, rules)):
        with pytest.raises(ClientError) as exc:
            client.set_identity_pool_roles(
                IdentityPoolId=pool_id, Roles=roles, RoleMappings=mappings
            )
        assert error_of(exc) == (
            "InvalidParameterException",
            f"Invalid RoleArn: {foreign} is a role of another account. An identity pool may use"
            " only roles of its own account.",
            400,
        )
    assert client.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {}


def test_roles_of_missing_pool(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    missing = "us-east-1:00000000-0000-4000-8000-000000000000"
    calls: list[Callable[[], object]] = [
        lambda: client.get_identity_pool_roles(IdentityPoolId=missing),
        lambda: client.set_identity_pool_roles(
            IdentityPoolId=missing, Roles={"authenticated": role(account, AUTH)}
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
