"""The decision endpoint's reading of a forwarded request (``decisions.forwarded_request``): what
the SigV4 verifier is handed."""

from __future__ import annotations

import hashlib

import pytest

from cognitoidentity.server.decisions import forwarded_request
from cognitoidentity.server.errors import ValidationException


def test_header_names_are_folded_and_a_name_given_in_two_cases_is_joined() -> None:
    request = forwarded_request(
        {"Method": "get", "Path": "/a", "Headers": {"Host": "h", "X-Tag": "1", "x-tag": "2"}}
    )
    assert request.method == "GET"
    assert request.headers == {"host": "h", "x-tag": "1,2"}
    single = forwarded_request({"Method": "GET", "Path": "/a", "Headers": {"X-Amz-Date": "d"}})
    assert single.headers == {"x-amz-date": "d"}


def test_the_body_comes_from_one_member_and_two_are_refused() -> None:
    base = {"Method": "POST", "Path": "/", "Headers": {"Host": "h"}}
    assert forwarded_request({**base, "Body": "hé"}).body == "hé".encode()
    assert forwarded_request({**base, "BodyBase64": "aGk="}).body == b"hi"
    digest = hashlib.sha256(b"x").hexdigest().upper()
    hashed = forwarded_request({**base, "Query": "a=1", "BodySha256": digest})
    assert (hashed.body, hashed.body_sha256, hashed.query_string) == (b"", digest.lower(), "a=1")
    assert forwarded_request(base).body == b""
    with pytest.raises(ValidationException, match="not Body and BodyBase64"):
        forwarded_request({**base, "Body": "a", "BodyBase64": "YQ=="})
    with pytest.raises(ValidationException, match="not BodyBase64 and BodySha256"):
        forwarded_request({**base, "Query": "q", "BodyBase64": "YQ==", "BodySha256": digest})
