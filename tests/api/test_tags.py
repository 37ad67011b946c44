"""TagResource, UntagResource, ListTagsForResource and IdentityPoolTags, through boto3 against the
server's application run in the test process (``in_process``)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.support.inprocess import InProcessServer
from tests.support.server import Credentials, ServerProcess


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    """The tests here need no server process (``account`` makes its accounts here too)."""
    return in_process


def arn_of(account: Credentials, pool_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:cognito-identity:{region}:{account.account_id}:identitypool/{pool_id}"


def test_tag_untag_list(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="tagged", AllowUnauthenticatedIdentities=True, IdentityPoolTags={"a": "1"}
    )["IdentityPoolId"]
    arn = arn_of(account, pool_id)
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "1"}
    client.tag_resource(ResourceArn=arn, Tags={"b": "2", "a": "overwritten", "empty": ""})
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {
        "a": "overwritten",
        "b": "2",
        "empty": "",
    }
    client.untag_resource(ResourceArn=arn, TagKeys=["a", "not-there"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2", "empty": ""}
    described = client.describe_identity_pool(IdentityPoolId=pool_id)
    assert described["IdentityPoolTags"] == {"b": "2", "empty": ""}


def test_fifty_tags_at_most(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    tags = {f"k{i}": "v" for i in range(50)}
    pool_id = client.create_identity_pool(
        IdentityPoolName="full", AllowUnauthenticatedIdentities=True, IdentityPoolTags=tags
    )["IdentityPoolId"]
    arn = arn_of(account, pool_id)
    with pytest.raises(ClientError) as exc:
        client.tag_resource(ResourceArn=arn, Tags={"one-more": "v"})
    assert error_of(exc) == (
        "InvalidParameterException",
        "The number of tags exceeds the maximum of 50 tags per identity pool.",
        400,
    )
    assert len(client.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50
    with pytest.raises(ClientError) as exc:
        client.create_identity_pool(
            IdentityPoolName="over",
            AllowUnauthenticatedIdentities=True,
            IdentityPoolTags={**tags, "x": "y"},
        )
    assert error_of(exc)[0] == "InvalidParameterException"


@pytest.mark.parametrize(
    ("key", "value"),
    [("aws:reserved", "v"), ("bad*key", "v"), ("key", "bad#value")],
    ids=["aws-prefix", "bad-key-char", "bad-value-char"],
)
def test_tag_rules(server: ServerProcess, account: Credentials, key: str, value: str) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="rules", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    with pytest.raises(ClientError) as exc:
        client.tag_resource(ResourceArn=arn_of(account, pool_id), Tags={key: value})
    assert error_of(exc)[0] == "InvalidParameterException"
    assert key in error_of(exc)[1]
    assert client.list_tags_for_resource(ResourceArn=arn_of(account, pool_id))["Tags"] == {}


def test_unicode_letters_spaces_and_symbols_are_allowed(
    server: ServerProcess, account: Credentials
) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="unicode", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    tags = {"Équipe données": "café + thé = @home:/x_y-z.1"}
    client.tag_resource(ResourceArn=arn_of(account, pool_id), Tags=tags)
    assert client.list_tags_for_resource(ResourceArn=arn_of(account, pool_id))["Tags"] == tags


def test_bad_and_foreign_arns(server: ServerProcess, account: Credentials) -> None:
    client = server.client(account)
    pool_id = client.create_identity_pool(
        IdentityPoolName="arn", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    with pytest.raises(ClientError) as exc:
        client.list_tags_for_resource(ResourceArn="arn:aws:s3:::bucket-name-here")
    assert error_of(exc) == (
        "InvalidParameterException",
        "Invalid ARN: arn:aws:s3:::bucket-name-here",
        400,
    )
    other = server.new_account()
    for arn in (arn_of(other, pool_id), arn_of(account, pool_id, "eu-west-1")):
        with pytest.raises(ClientError) as exc:
            client.tag_resource(ResourceArn=arn, Tags={"a": "b"})
        assert error_of(exc) == (
            "ResourceNotFoundException",
            f"IdentityPool '{pool_id}' not found.",
            400,
        )
    with pytest.raises(ClientError) as exc:
        server.client(other).list_tags_for_resource(ResourceArn=arn_of(account, pool_id))
    assert error_of(exc)[0] == "ResourceNotFoundException"
