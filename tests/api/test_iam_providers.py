"""IAM OpenID Connect and SAML providers through boto3's ``iam`` client (and once the AWS CLI), and
identity pools naming them by ARN."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.api.test_pools import error_of
from tests.e2e.test_aws_cli import cli_env
from tests.support.http import sign
from tests.support.idp import OidcProvider, SamlIdp
from tests.support.server import REGION, Credentials, ServerProcess

NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
THUMB_A = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
THUMB_B = "A" * 40


def iam(server: ServerProcess, credentials: Credentials, **kw: Any) -> Any:
    return server.client(credentials, service="iam", **kw)


@pytest.fixture(scope="module")
def idp() -> SamlIdp:
    return SamlIdp()


def oidc_arn(account: Credentials, rest: str) -> str:
    return f"arn:aws:iam::{account.account_id}:oidc-provider/{rest}"


def saml_arn(account: Credentials, name: str) -> str:
    return f"arn:aws:iam::{account.account_id}:saml-provider/{name}"


def post_iam(server: ServerProcess, account: Credentials, fields: dict[str, str]) -> httpx.Response:
    """A signed IAM Query call over raw HTTP (for what boto3 refuses to send)."""
    body = urlencode({**fields, "Version": "2010-05-08"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    signed = sign(server.url + "/", body, headers, account, service="iam", region=REGION)
    return httpx.post(server.url + "/", content=body, headers=signed, timeout=10)


def recent(moment: datetime) -> bool:
    now = datetime.now(UTC)
    return now - timedelta(minutes=5) <= moment <= now + timedelta(minutes=1)


# -- OpenID Connect providers ---------------------------------------------------------------------


def test_oidc_provider_lifecycle(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    assert client.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []

    created = client.create_open_id_connect_provider(
        Url="https://login.example.com/tenant-1",
        ClientIDList=["app-1", "app-2", "app-1"],
        ThumbprintList=[THUMB_A],
        Tags=[{"Key": "team", "Value": "blue"}],
    )
    arn = oidc_arn(account, "login.example.com/tenant-1")
    assert created["OpenIDConnectProviderArn"] == arn
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]

    got = client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "login.example.com/tenant-1"  # without the scheme, as IAM answers
    assert got["ClientIDList"] == ["app-1", "app-2"]
    assert got["ThumbprintList"] == [THUMB_A]
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert recent(got["CreateDate"])

    # ThumbprintList may be omitted, and so may ClientIDList.
    bare = client.create_open_id_connect_provider(Url="https://other.example.org")
    bare_arn = bare["OpenIDConnectProviderArn"]
    assert bare_arn == oidc_arn(account, "other.example.org")
    assert "Tags" not in bare
    got_bare = client.get_open_id_connect_provider(OpenIDConnectProviderArn=bare_arn)
    assert got_bare["ClientIDList"] == []
    assert got_bare["ThumbprintList"] == []
    assert "Tags" not in got_bare

    listed = client.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in listed] == sorted([arn, bare_arn])

    client.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_B, THUMB_A]
    )
    client.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-3")
    client.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-3")
    client.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="app-1"
    )
    client.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="never-added"
    )
    got = client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["app-2", "app-3"]
    assert got["ThumbprintList"] == [THUMB_B, THUMB_A]

    client.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    listed = client.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert listed == [{"Arn": bare_arn}]
    with pytest.raises(ClientError) as exc:
        client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_of(exc) == (
        "NoSuchEntity",
        f"OpenIDConnect Provider not found for arn {arn}",
        404,
    )


def test_oidc_provider_errors(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    url = "https://dup.example.com"
    client.create_open_id_connect_provider(Url=url, ClientIDList=["a"])
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(Url=url, ClientIDList=["b"])
    assert error_of(exc) == ("EntityAlreadyExists", f"Provider with url {url} already exists.", 409)
    assert isinstance(exc.value, client.exceptions.EntityAlreadyExistsException)

    missing = oidc_arn(account, "missing.example.com")
    calls: list[Callable[[], object]] = [
        lambda: client.get_open_id_connect_provider(OpenIDConnectProviderArn=missing),
        lambda: client.delete_open_id_connect_provider(OpenIDConnectProviderArn=missing),
        lambda: client.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=missing, ThumbprintList=[THUMB_A]
        ),
        lambda: client.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=missing, ClientID="x"
        ),
        lambda: client.remove_client_id_from_open_id_connect_provider(
            OpenIDConnectProviderArn=missing, ClientID="x"
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "NoSuchEntity",
            f"OpenIDConnect Provider not found for arn {missing}",
            404,
        )
        assert isinstance(exc.value, client.exceptions.NoSuchEntityException)

    for bad_url in (
        "http://login.example.com",  # plain HTTP to a host that is not this machine
        "http://10.0.0.1:8080",
        "ftp://login.example.com",
        "login.example.com",
        "https://login.example.com/?tenant=1",
        "https://login.example.com/#x",
        "https://user@login.example.com",
        "https:///path-only",
    ):
        with pytest.raises(ClientError) as exc:
            client.create_open_id_connect_provider(Url=bad_url)
        code, message, status = error_of(exc)
        assert (code, status) == ("InvalidInput", 400), bad_url
        assert bad_url in message
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(Url="http://login.example.com")
    assert "https://" in error_of(exc)[1]

    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(
            Url="https://t.example.com", ThumbprintList=["z" * 40]
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidInput", 400)
    assert "z" * 40 in message
    reply = post_iam(  # the model's length (boto3 checks it too): a validation error
        server,
        account,
        {
            "Action": "CreateOpenIDConnectProvider",
            "Url": "https://t.example.com",
            "ThumbprintList.member.1": "ab",
        },
    )
    assert reply.status_code == 400
    assert "<Code>ValidationError</Code>" in reply.text
    assert "Member must have length greater than or equal to 40" in reply.text
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(
            Url="https://t.example.com", ThumbprintList=[f"{n:040x}" for n in range(6)]
        )
    assert error_of(exc) == (
        "InvalidInput",
        "Thumbprint list must contain fewer than 6 entries",
        400,
    )
    with pytest.raises(ClientError) as exc:
        client.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=oidc_arn(account, "dup.example.com"), ThumbprintList=["g" * 40]
        )
    assert error_of(exc)[0] == "InvalidInput"

    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(
            Url="https://t.example.com", ClientIDList=[f"c{n}" for n in range(101)]
        )
    assert error_of(exc) == (
        "LimitExceeded",
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
        409,
    )
    full = client.create_open_id_connect_provider(
        Url="https://full.example.com", ClientIDList=[f"c{n}" for n in range(100)]
    )["OpenIDConnectProviderArn"]
    client.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=full, ClientID="c5")
    with pytest.raises(ClientError) as exc:
        client.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=full, ClientID="one-more"
        )
    assert error_of(exc)[0] == "LimitExceeded"
    # Nothing of the refused calls was kept.
    arns = [p["Arn"] for p in client.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arns == [oidc_arn(account, "dup.example.com"), full]


def test_loopback_providers_may_use_plain_http(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    for url, rest in (
        ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://127.1.2.3/realms/dev", "127.1.2.3/realms/dev"),
        ("http://localhost:9000/issuer", "localhost:9000/issuer"),
        ("http://[::1]:7000", "[::1]:7000"),
    ):
        arn = client.create_open_id_connect_provider(Url=url, ClientIDList=["local"])[
            "OpenIDConnectProviderArn"
        ]
        assert arn == oidc_arn(account, rest)
        assert client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"] == rest
    # The same provider over https is the same ARN: a duplicate.
    with pytest.raises(ClientError) as exc:
        client.create_open_id_connect_provider(Url="https://127.0.0.1:8080")
    assert error_of(exc)[0] == "EntityAlreadyExists"


def test_oidc_provider_tags(server: ServerProcess, account: Credentials) -> None:
    client = iam(server, account)
    arn = client.create_open_id_connect_provider(
        Url="https://tags.example.com", Tags=[{"Key": "Env", "Value": "dev"}]
    )["OpenIDConnectProviderArn"]
    client.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn,
        Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "prod"}],
    )
    # A key given again in another case replaces the tag in its place (as for roles' tags).
    tags = client.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert tags["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "blue"}]
    assert tags["IsTruncated"] is False
    page = client.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=1)
    assert page["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert page["IsTruncated"] is True
    rest = client.list_open_id_connect_provider_tags(
        OpenIDConnectProviderArn=arn, Marker=page["Marker"]
    )
    assert rest["Tags"] == [{"Key": "team", "Value": "blue"}]
    client.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["TEAM", "none"])
    assert client.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}
    ]
    with pytest.raises(ClientError) as exc:
        client.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=arn,
            Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}],
        )
    assert error_of(exc) == (
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        client.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=arn,
            Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)],
        )
    assert error_of(exc)[0] == "LimitExceeded"
    with pytest.raises(ClientError) as exc:
        client.list_open_id_connect_provider_tags(
            OpenIDConnectProviderArn=oidc_arn(account, "missing.example.com")
        )
    assert error_of(exc)[0] == "NoSuchEntity"


# -- SAML providers -------------------------------------------------------------------------------


def test_saml_provider_lifecycle(server: ServerProcess, account: Credentials, idp: SamlIdp) -> None:
    client = iam(server, account)
    assert client.list_saml_providers()["SAMLProviderList"] == []
    metadata = idp.metadata()
    created = client.create_saml_provider(
        Name="Corp-IdP", SAMLMetadataDocument=metadata, Tags=[{"Key": "k", "Value": "v"}]
    )
    arn = saml_arn(account, "Corp-IdP")
    assert created == {
        "SAMLProviderArn": arn,
        "Tags": [{"Key": "k", "Value": "v"}],
        "ResponseMetadata": created["ResponseMetadata"],
    }

    got = client.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == metadata
    assert recent(got["CreateDate"])
    # No validUntil in the metadata: 100 years after creation, as IAM answers.
    assert got["ValidUntil"].year == got["CreateDate"].year + 100
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]

    listed = client.list_saml_providers()["SAMLProviderList"]
    assert [(p["Arn"], p["CreateDate"], p["ValidUntil"]) for p in listed] == [
        (arn, got["CreateDate"], got["ValidUntil"])
    ]

    # validUntil in the metadata is what ValidUntil says.
    until = "2031-05-06T07:08:09Z"
    dated = metadata.replace(
        f'entityID="{idp.entity_id}"', f'entityID="{idp.entity_id}" validUntil="{until}"'
    )
    updated = client.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=dated)
    assert updated["SAMLProviderArn"] == arn
    got = client.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == dated
    assert got["ValidUntil"] == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)

    client.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "x", "Value": "y"}])
    assert client.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "k", "Value": "v"},
        {"Key": "x", "Value": "y"},
    ]
    client.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["k"])
    assert client.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [
        {"Key": "x", "Value": "y"}
    ]

    client.delete_saml_provider(SAMLProviderArn=arn)
    assert client.list_saml_providers()["SAMLProviderList"] == []
    for call in (client.get_saml_provider, client.delete_saml_provider):
        with pytest.raises(ClientError) as exc:
            call(SAMLProviderArn=arn)
        assert error_of(exc) == ("NoSuchEntity", f"Manifest not found for arn {arn}", 404)
    with pytest.raises(ClientError) as exc:
        client.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_saml_provider_errors(server: ServerProcess, account: Credentials, idp: SamlIdp) -> None:
    client = iam(server, account)
    metadata = idp.metadata()
    client.create_saml_provider(Name="Okta", SAMLMetadataDocument=metadata)
    for name in ("Okta", "OKTA"):  # names are unique whatever their case
        with pytest.raises(ClientError) as exc:
            client.create_saml_provider(Name=name, SAMLMetadataDocument=metadata)
        assert error_of(exc) == (
            "EntityAlreadyExists",
            f"Provider with name {name} already exists.",
            409,
        )

    padding = "<!--" + "x" * 1000 + "-->"
    bad_documents = [
        "not xml at all " * 100,  # not XML
        f"<md:EntitiesDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'>{padding}"
        "</md:EntitiesDescriptor>",  # no EntityDescriptor
        metadata.replace(idp.cert_base64, "")  # no signing certificate
        + padding,
        '<!DOCTYPE x [<!ENTITY big "boom">]>' + metadata.removeprefix('<?xml version="1.0"?>'),
    ]
    for document in bad_documents:
        with pytest.raises(ClientError) as exc:
            client.create_saml_provider(Name="Bad", SAMLMetadataDocument=document)
        assert error_of(exc) == ("InvalidInput", "Could not parse metadata", 400)
        arn = saml_arn(account, "Okta")
        with pytest.raises(ClientError) as exc:
            client.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=document)
        assert error_of(exc) == ("InvalidInput", "Could not parse metadata", 400)
    assert (
        client.get_saml_provider(SAMLProviderArn=saml_arn(account, "Okta"))["SAMLMetadataDocument"]
        == metadata
    )

    reply = post_iam(  # the model's minimum of 1000 characters (boto3 checks it too)
        server,
        account,
        {"Action": "CreateSAMLProvider", "Name": "Short", "SAMLMetadataDocument": "<x/>"},
    )
    assert reply.status_code == 400
    assert "<Code>ValidationError</Code>" in reply.text
    with pytest.raises(ClientError) as exc:
        client.create_saml_provider(
            Name="Encrypted", SAMLMetadataDocument=metadata, AssertionEncryptionMode="Required"
        )
    assert error_of(exc)[0] == "InvalidInput"
    assert [p["Arn"] for p in client.list_saml_providers()["SAMLProviderList"]] == [
        saml_arn(account, "Okta")
    ]


# -- accounts, the wire ---------------------------------------------------------------------------


def test_providers_are_invisible_to_other_accounts(
    server: ServerProcess, account: Credentials, idp: SamlIdp
) -> None:
    mine = iam(server, account)
    theirs = iam(server, server.new_account())
    oidc = mine.create_open_id_connect_provider(Url="https://mine.example.com")[
        "OpenIDConnectProviderArn"
    ]
    saml = mine.create_saml_provider(Name="Mine", SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"
    ]
    assert theirs.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    assert theirs.list_saml_providers()["SAMLProviderList"] == []
    intrusions: list[Callable[[], object]] = [
        lambda: theirs.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc),
        lambda: theirs.delete_open_id_connect_provider(OpenIDConnectProviderArn=oidc),
        lambda: theirs.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=oidc, ClientID="intruder"
        ),
        lambda: theirs.get_saml_provider(SAMLProviderArn=saml),
        lambda: theirs.delete_saml_provider(SAMLProviderArn=saml),
        lambda: theirs.tag_saml_provider(SAMLProviderArn=saml, Tags=[{"Key": "a", "Value": "b"}]),
    ]
    for call in intrusions:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "NoSuchEntity"
    # The other account may use the same URL and name: its own ARNs.
    other_oidc = theirs.create_open_id_connect_provider(Url="https://mine.example.com")[
        "OpenIDConnectProviderArn"
    ]
    assert other_oidc != oidc
    assert mine.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc)["ClientIDList"] == []
    assert mine.get_saml_provider(SAMLProviderArn=saml)["SAMLMetadataDocument"] == idp.metadata()


def test_iam_is_global(server: ServerProcess, account: Credentials) -> None:
    """A provider made through one region is seen through every other: it is the account's."""
    arn = iam(server, account, region="eu-west-1").create_open_id_connect_provider(
        Url="https://global.example.com"
    )["OpenIDConnectProviderArn"]
    listed = iam(server, account, region="ap-southeast-2").list_open_id_connect_providers()
    assert listed["OpenIDConnectProviderList"] == [{"Arn": arn}]


def test_iam_xml_on_the_wire(server: ServerProcess, account: Credentials) -> None:
    body = b"Action=ListOpenIDConnectProviders&Version=2010-05-08"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    signed = sign(server.url + "/", body, headers, account, service="iam", region=REGION)
    reply = httpx.post(server.url + "/", content=body, headers=signed, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/xml"
    assert reply.text.startswith(f'<ListOpenIDConnectProvidersResponse xmlns="{NAMESPACE}">')
    assert "<ListOpenIDConnectProvidersResult>" in reply.text

    # A key signed for another service is refused; the IAM operations all need a signature.
    wrong = sign(server.url + "/", body, headers, account, service="sts", region=REGION)
    reply = httpx.post(server.url + "/", content=body, headers=wrong, timeout=10)
    assert reply.status_code in (400, 403)
    assert "Credential should be scoped to correct service: 'iam'" in reply.text
    reply = httpx.post(server.url + "/", content=body, headers=headers, timeout=10)
    assert reply.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in reply.text

    # IAM operations this server does not keep answer UnsupportedOperation, in IAM's namespace.
    body = b"Action=ListUsers&Version=2010-05-08"
    signed = sign(server.url + "/", body, headers, account, service="iam", region=REGION)
    reply = httpx.post(server.url + "/", content=body, headers=signed, timeout=10)
    assert reply.status_code == 400
    assert reply.text.startswith(f'<ErrorResponse xmlns="{NAMESPACE}">')
    assert "<Code>UnsupportedOperation</Code>" in reply.text


# -- identity pools naming providers --------------------------------------------------------------


def test_pools_need_existing_providers(
    server: ServerProcess, account: Credentials, idp: SamlIdp
) -> None:
    client = server.client(account)
    admin = iam(server, account)
    oidc = admin.create_open_id_connect_provider(Url="https://pool.example.com")[
        "OpenIDConnectProviderArn"
    ]
    saml = admin.create_saml_provider(Name="PoolIdP", SAMLMetadataDocument=idp.metadata())[
        "SAMLProviderArn"
    ]
    missing_oidc = oidc_arn(account, "missing.example.com")
    missing_saml = saml_arn(account, "Missing")
    foreign = iam(server, server.new_account()).create_open_id_connect_provider(
        Url="https://foreign.example.com"
    )["OpenIDConnectProviderArn"]

    base: dict[str, Any] = {"IdentityPoolName": "iam", "AllowUnauthenticatedIdentities": False}
    for extra, message in (
        (
            {"OpenIdConnectProviderARNs": [oidc, missing_oidc]},
            f"Invalid OpenIdConnectProviderARN: {missing_oidc} is not an OpenID Connect provider"
            " of this account.",
        ),
        (
            {"OpenIdConnectProviderARNs": [foreign]},
            f"Invalid OpenIdConnectProviderARN: {foreign} is not an OpenID Connect provider of"
            " this account.",
        ),
        (
            {"SamlProviderARNs": [missing_saml]},
            f"Invalid SamlProviderARN: {missing_saml} is not a SAML provider of this account.",
        ),
    ):
        with pytest.raises(ClientError) as exc:
            client.create_identity_pool(**base, **extra)
        assert error_of(exc) == ("InvalidParameterException", message, 400)
    assert client.list_identity_pools(MaxResults=10)["IdentityPools"] == []

    pool = client.create_identity_pool(
        **base, OpenIdConnectProviderARNs=[oidc], SamlProviderARNs=[saml]
    )
    assert pool["OpenIdConnectProviderARNs"] == [oidc]
    assert pool["SamlProviderARNs"] == [saml]

    update = {**base, "IdentityPoolId": pool["IdentityPoolId"]}
    with pytest.raises(ClientError) as exc:
        client.update_identity_pool(**update, SamlProviderARNs=[saml, missing_saml])
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        client.update_identity_pool(**update, OpenIdConnectProviderARNs=[missing_oidc])
    assert error_of(exc)[0] == "InvalidParameterException"
    described = client.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])
    assert described["OpenIdConnectProviderARNs"] == [oidc]

    updated = client.update_identity_pool(**update, SamlProviderARNs=[saml])
    assert updated["SamlProviderARNs"] == [saml]
    assert "OpenIdConnectProviderARNs" not in updated


def test_logins_through_providers_made_with_iam(
    server: ServerProcess, account: Credentials, idp: SamlIdp
) -> None:
    """The provider directory is the store: a pool's OIDC and SAML logins verify against the
    providers IAM keeps, and stop once the provider is deleted."""
    provider = OidcProvider()
    provider.start()
    try:
        admin = iam(server, account)
        oidc = admin.create_open_id_connect_provider(Url=provider.url, ClientIDList=["client-1"])[
            "OpenIDConnectProviderArn"
        ]
        saml = admin.create_saml_provider(Name="LoginIdP", SAMLMetadataDocument=idp.metadata())[
            "SAMLProviderArn"
        ]
        client = server.client(account)
        pool_id = client.create_identity_pool(
            IdentityPoolName="logins",
            AllowUnauthenticatedIdentities=False,
            OpenIdConnectProviderARNs=[oidc],
            SamlProviderARNs=[saml],
        )["IdentityPoolId"]
        key = provider.url.removeprefix("http://")
        token = provider.mint(sub="user-1")
        first = client.get_id(IdentityPoolId=pool_id, Logins={key: token})["IdentityId"]
        again = client.get_id(IdentityPoolId=pool_id, Logins={key: provider.mint(sub="user-1")})
        assert again["IdentityId"] == first
        by_saml = client.get_id(IdentityPoolId=pool_id, Logins={saml: idp.response()})
        assert by_saml["IdentityId"] != first

        assert client.get_id(IdentityPoolId=pool_id, Logins={key: token})["IdentityId"] == first
        admin.remove_client_id_from_open_id_connect_provider(
            OpenIDConnectProviderArn=oidc, ClientID="client-1"
        )
        # Neither a new token nor one the server verified (and chose a verifier for) before.
        for login in (provider.mint(sub="user-1"), token):
            with pytest.raises(ClientError) as exc:
                client.get_id(IdentityPoolId=pool_id, Logins={key: login})
            assert error_of(exc)[0] == "NotAuthorizedException"
        admin.delete_saml_provider(SAMLProviderArn=saml)
        with pytest.raises(ClientError) as exc:
            client.get_id(IdentityPoolId=pool_id, Logins={saml: idp.response()})
        assert error_of(exc)[0] == "NotAuthorizedException"
    finally:
        provider.stop()


# -- the AWS CLI ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_aws_cli_creates_an_oidc_provider(
    server: ServerProcess, account: Credentials, tmp_path: Path
) -> None:
    env = cli_env(tmp_path, account, AWS_ENDPOINT_URL_IAM=server.url)

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "awscli", "iam", *args, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    created = aws(
        "create-open-id-connect-provider",
        "--url", "https://cli.example.com",
        "--client-id-list", "sts.amazonaws.com",
        "--thumbprint-list", THUMB_A,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    arn = json.loads(created.stdout)["OpenIDConnectProviderArn"]
    assert arn == oidc_arn(account, "cli.example.com")

    got = aws("get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
    assert got.returncode == 0, got.stderr
    data = json.loads(got.stdout)
    assert data["Url"] == "cli.example.com"
    assert data["ClientIDList"] == ["sts.amazonaws.com"]
    assert data["ThumbprintList"] == [THUMB_A]

    again = aws("create-open-id-connect-provider", "--url", "https://cli.example.com")
    assert again.returncode == 255
    assert "EntityAlreadyExists" in again.stderr
    assert "Provider with url https://cli.example.com already exists." in again.stderr
