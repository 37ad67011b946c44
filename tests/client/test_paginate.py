"""``paginate``: the three listings page by page against the live server, the stop rule, and the
guards against a server that repeats its token or sends an empty one."""

from __future__ import annotations

import json

import pytest

from cognitoidentity import CognitoIdentity, Pages, cognitoidentity
from tests.client.conftest import Recorder
from tests.support.server import REGION

DEV = "login.example"


def test_identity_pools_page_by_page(svc: CognitoIdentity) -> None:
    created = {
        svc.create_identity_pool(IdentityPoolName=f"p{i}", AllowUnauthenticatedIdentities=False)[
            "IdentityPoolId"
        ]
        for i in range(5)
    }
    pages = svc.paginate("list_identity_pools", MaxResults=2)
    assert isinstance(pages, Pages)
    sizes = []
    for page in pages:
        sizes.append(len(page["IdentityPools"]))
        assert "ResponseMetadata" not in page
    assert sizes == [2, 2, 1]
    listed = list(pages.items())  # a second walk lists afresh
    assert {p["IdentityPoolId"] for p in listed} == created
    assert len(listed) == 5


def test_starting_token(svc: CognitoIdentity) -> None:
    for i in range(3):
        svc.create_identity_pool(IdentityPoolName=f"s{i}", AllowUnauthenticatedIdentities=False)
    first = svc.list_identity_pools(MaxResults=1)
    rest = list(
        svc.paginate("list_identity_pools", MaxResults=1, NextToken=first["NextToken"]).items()
    )
    assert len(rest) == 2
    names = {p["IdentityPoolName"] for p in first["IdentityPools"] + rest}
    assert names == {"s0", "s1", "s2"}


def test_identities_and_developer_identifiers(svc: CognitoIdentity) -> None:
    pool_id = svc.create_identity_pool(
        IdentityPoolName="ids", AllowUnauthenticatedIdentities=True, DeveloperProviderName=DEV
    )["IdentityPoolId"]
    ids = {svc.get_id(IdentityPoolId=pool_id)["IdentityId"] for _ in range(4)}
    pages = list(svc.paginate("list_identities", IdentityPoolId=pool_id, MaxResults=3))
    assert [len(p["Identities"]) for p in pages] == [3, 1]
    assert {i["IdentityId"] for p in pages for i in p["Identities"]} == ids

    users = ["u1", "u2", "u3"]
    target = svc.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEV: "u1"}
    )["IdentityId"]
    for user in users[1:]:
        svc.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={DEV: user})
        svc.merge_developer_identities(
            SourceUserIdentifier=user,
            DestinationUserIdentifier="u1",
            DeveloperProviderName=DEV,
            IdentityPoolId=pool_id,
        )
    lookup = svc.paginate(
        "lookup_developer_identity", IdentityPoolId=pool_id, IdentityId=target, MaxResults=2
    )
    assert [len(p["DeveloperUserIdentifierList"]) for p in lookup] == [2, 1]
    assert sorted(lookup.items()) == users


def test_a_repeated_token_stops_the_walk(recorder: Recorder) -> None:
    page = {"IdentityPools": [{"IdentityPoolId": "us-east-1:a", "IdentityPoolName": "a"}]}
    recorder.answer(200, {**page, "NextToken": "t1"})
    recorder.answer(200, {**page, "NextToken": "t2"})
    recorder.answer(200, {**page, "NextToken": "t1"})  # served again and again
    svc = cognitoidentity(
        credentials={"creds": {"access_key_id": "AKIA1", "secret_access_key": "s"}},
        endpoint=recorder.url,
        region=REGION,
    )
    assert len(list(svc.paginate("list_identity_pools", MaxResults=1))) == 3
    sent = [json.loads(body).get("NextToken") for _, body in recorder.requests]
    assert sent == [None, "t1", "t2"]


def test_an_empty_token_ends_the_walk(recorder: Recorder) -> None:
    recorder.answer(200, {"IdentityPools": [], "NextToken": ""})
    svc = cognitoidentity(
        credentials={"creds": {"access_key_id": "AKIA1", "secret_access_key": "s"}},
        endpoint=recorder.url,
        region=REGION,
    )
    assert list(svc.paginate("list_identity_pools", MaxResults=1).items()) == []
    assert len(recorder.requests) == 1


def test_only_the_three_listings_paginate() -> None:
    svc = cognitoidentity(region=REGION)
    with pytest.raises(ValueError, match="'describe_identity' cannot be paginated"):
        svc.paginate("describe_identity", IdentityId="x")  # type: ignore[call-overload]
