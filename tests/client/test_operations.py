"""Every one of the 23 operations through the client against the live server, on both stores.

Logins of public identity providers are covered by the boto3 tests (tests/api/test_logins.py); here
identities come from the unauthenticated flow and from developer authentication."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cognitoidentity import (
    CognitoIdentity,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from cognitoidentity.client._model import OPERATION_NAMES
from tests.support.server import REGION, Credentials, ServerProcess

DEV = "login.example"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"


def roles(account: Credentials) -> dict[str, str]:
    return {
        "authenticated": f"arn:aws:iam::{account.account_id}:role/Cognito_demoAuth_Role",
        "unauthenticated": f"arn:aws:iam::{account.account_id}:role/Cognito_demoUnauth_Role",
    }


def sts_for(server: ServerProcess, creds: dict[str, Any]) -> Any:
    make: Any = boto3.client
    return make(
        "sts",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretKey"],
        aws_session_token=creds["SessionToken"],
        config=Config(retries={"max_attempts": 1}),
    )


def assert_utc(value: object) -> None:
    assert isinstance(value, datetime)
    assert value.tzinfo is UTC


def test_identity_pool_lifecycle(svc: CognitoIdentity, account: Credentials) -> None:
    created = svc.create_identity_pool(
        IdentityPoolName="client pool",
        AllowUnauthenticatedIdentities=True,
        SupportedLoginProviders={"graph.facebook.com": "1234567890"},
        DeveloperProviderName=DEV,
        CognitoIdentityProviders=[
            {"ProviderName": USER_POOL, "ClientId": "client1", "ServerSideTokenCheck": False}
        ],
        IdentityPoolTags={"team": "identity"},
    )
    assert type(created) is dict
    assert "ResponseMetadata" not in created
    pool_id = created["IdentityPoolId"]
    assert re.fullmatch(r"us-east-1:[0-9a-f-]{36}", pool_id)
    assert created["IdentityPoolName"] == "client pool"
    assert created["DeveloperProviderName"] == DEV
    assert created["IdentityPoolTags"] == {"team": "identity"}

    described = svc.describe_identity_pool(IdentityPoolId=pool_id)
    assert described == created

    updated = svc.update_identity_pool(
        IdentityPoolId=pool_id,
        IdentityPoolName="renamed",
        AllowUnauthenticatedIdentities=False,
        AllowClassicFlow=True,
    )
    assert updated["IdentityPoolName"] == "renamed"
    assert updated["AllowUnauthenticatedIdentities"] is False
    assert updated["AllowClassicFlow"] is True

    listed = svc.list_identity_pools(MaxResults=60)
    assert listed["IdentityPools"] == [{"IdentityPoolId": pool_id, "IdentityPoolName": "renamed"}]
    assert "NextToken" not in listed

    arn = f"arn:aws:cognito-identity:{REGION}:{account.account_id}:identitypool/{pool_id}"
    assert svc.tag_resource(ResourceArn=arn, Tags={"env": "dev", "team": "platform"}) == {}
    assert svc.list_tags_for_resource(ResourceArn=arn) == {
        "Tags": {"env": "dev", "team": "platform"}
    }
    assert svc.untag_resource(ResourceArn=arn, TagKeys=("team",)) == {}
    assert svc.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "dev"}

    assert svc.delete_identity_pool(IdentityPoolId=pool_id) == {}
    with pytest.raises(ResourceNotFoundException) as exc:
        svc.describe_identity_pool(IdentityPoolId=pool_id)
    assert exc.value.message == f"IdentityPool '{pool_id}' not found."
    assert svc.list_identity_pools(MaxResults=10) == {"IdentityPools": []}


def test_roles_and_principal_tag_maps(svc: CognitoIdentity, account: Credentials) -> None:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="roles", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    assert svc.get_identity_pool_roles(IdentityPoolId=pool_id) == {
        "IdentityPoolId": pool_id,
        "Roles": {},
    }
    mappings: dict[str, Any] = {
        f"{USER_POOL}:client1": {
            "Type": "Rules",
            "AmbiguousRoleResolution": "AuthenticatedRole",
            "RulesConfiguration": {
                "Rules": [
                    {
                        "Claim": "custom:dept",
                        "MatchType": "Equals",
                        "Value": "it",
                        "RoleARN": roles(account)["authenticated"],
                    }
                ]
            },
        }
    }
    assert (
        svc.set_identity_pool_roles(
            IdentityPoolId=pool_id, Roles=roles(account), RoleMappings=mappings
        )
        == {}
    )
    got = svc.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert got == {"IdentityPoolId": pool_id, "Roles": roles(account), "RoleMappings": mappings}

    never = svc.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=USER_POOL
    )
    assert never["UseDefaults"] is False
    custom = svc.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id,
        IdentityProviderName=USER_POOL,
        UseDefaults=False,
        PrincipalTags={"department": "custom:dept"},
    )
    assert custom == {
        "IdentityPoolId": pool_id,
        "IdentityProviderName": USER_POOL,
        "UseDefaults": False,
        "PrincipalTags": {"department": "custom:dept"},
    }
    assert (
        svc.get_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName=USER_POOL)
        == custom
    )


def test_unauthenticated_identities(
    server: ServerProcess, svc: CognitoIdentity, public: CognitoIdentity, account: Credentials
) -> None:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="guests", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    svc.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles(account))

    identity_id = public.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert identity_id.startswith("us-east-1:")

    token = public.get_open_id_token(IdentityId=identity_id)
    assert token["IdentityId"] == identity_id
    assert token["Token"].count(".") == 2

    issued = public.get_credentials_for_identity(IdentityId=identity_id)
    assert issued["IdentityId"] == identity_id
    creds = issued["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert_utc(creds["Expiration"])
    assert (
        timedelta(minutes=55)
        < creds["Expiration"] - datetime.now(UTC)
        <= timedelta(hours=1, seconds=5)
    )
    caller = sts_for(server, dict(creds)).get_caller_identity()
    assert caller["Arn"].endswith(
        ":assumed-role/Cognito_demoUnauth_Role/CognitoIdentityCredentials"
    )

    described = svc.describe_identity(IdentityId=identity_id)
    assert described["IdentityId"] == identity_id
    assert_utc(described["CreationDate"])
    assert_utc(described["LastModifiedDate"])
    assert abs(described["CreationDate"] - datetime.now(UTC)) < timedelta(minutes=5)

    listed = svc.list_identities(IdentityPoolId=pool_id, MaxResults=10, HideDisabled=True)
    assert listed["IdentityPoolId"] == pool_id
    assert [i["IdentityId"] for i in listed["Identities"]] == [identity_id]
    assert_utc(listed["Identities"][0]["CreationDate"])

    assert svc.delete_identities(IdentityIdsToDelete=[identity_id]) == {
        "UnprocessedIdentityIds": []
    }
    with pytest.raises(ResourceNotFoundException):
        svc.describe_identity(IdentityId=identity_id)


def test_developer_identities(
    svc: CognitoIdentity, public: CognitoIdentity, account: Credentials
) -> None:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="dev", AllowUnauthenticatedIdentities=True, DeveloperProviderName=DEV
    )["IdentityPoolId"]
    svc.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=roles(account))

    first = svc.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id,
        Logins={DEV: "alice"},
        PrincipalTags={"team": "blue"},
        TokenDuration=900,
    )
    alice = first["IdentityId"]
    assert first["Token"].count(".") == 2
    bob = svc.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={DEV: "bob"})[
        "IdentityId"
    ]
    assert svc.describe_identity(IdentityId=alice)["Logins"] == [DEV]

    by_user = svc.lookup_developer_identity(IdentityPoolId=pool_id, DeveloperUserIdentifier="alice")
    assert by_user == {"IdentityId": alice, "DeveloperUserIdentifierList": ["alice"]}
    by_id = svc.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=bob, MaxResults=10)
    assert by_id["DeveloperUserIdentifierList"] == ["bob"]

    # The enhanced flow with the developer-issued token.
    creds = public.get_credentials_for_identity(
        IdentityId=alice, Logins={"cognito-identity.amazonaws.com": first["Token"]}
    )["Credentials"]
    assert creds["SessionToken"]

    # UnlinkIdentity is for public providers: the developer provider is refused, by the server.
    with pytest.raises(InvalidParameterException) as invalid:
        public.unlink_identity(
            IdentityId=alice,
            Logins={"cognito-identity.amazonaws.com": first["Token"]},
            LoginsToRemove=[DEV],
        )
    assert (
        invalid.value.message
        == "Developer user identifiers are unlinked with UnlinkDeveloperIdentity."
    )

    merged = svc.merge_developer_identities(
        SourceUserIdentifier="bob",
        DestinationUserIdentifier="alice",
        DeveloperProviderName=DEV,
        IdentityPoolId=pool_id,
    )
    assert merged == {"IdentityId": alice}
    assert sorted(
        svc.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=alice)[
            "DeveloperUserIdentifierList"
        ]
    ) == ["alice", "bob"]

    assert (
        svc.unlink_developer_identity(
            IdentityId=alice,
            IdentityPoolId=pool_id,
            DeveloperProviderName=DEV,
            DeveloperUserIdentifier="bob",
        )
        == {}
    )
    assert svc.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=alice)[
        "DeveloperUserIdentifierList"
    ] == ["alice"]
    with pytest.raises(NotAuthorizedException):
        svc.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=alice, Logins={DEV: "bob-was-here"}
        )


def test_this_module_calls_every_operation() -> None:
    """A guard on this file: each of the 23 operations is called above through the client."""
    source = Path(__file__).read_text()
    called = set(re.findall(r"\b(?:svc|public)\.([a-z_]+)\(", source))
    from botocore import xform_name

    assert {xform_name(name) for name in OPERATION_NAMES} <= called
    assert len(OPERATION_NAMES) == 23
