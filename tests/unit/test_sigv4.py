"""SigV4 verification, with botocore's signer as the oracle for what clients send."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cognitoidentity.server import sigv4
from cognitoidentity.server.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    ServiceError,
    UnrecognizedClientException,
)
from cognitoidentity.server.sigv4 import (
    Caller,
    HttpRequest,
    ResolvedCredential,
    SigV4Verifier,
)

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
AMZ_DATE = "20261126T120000Z"
SERVICE = "cognito-identity"
REGION = "us-east-1"
URL = "https://cognito-identity.us-east-1.amazonaws.com/"
ACCOUNT_ID = "123456789012"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"
AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_AKID = "ASIAIOSFODNN7EXAMPLE"
SESSION_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLETOKEN+/=="
ROLE_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/Admin/session"
TARGET = "AWSCognitoIdentityService.ListIdentityPools"
BODY = b'{"MaxResults": 10}'
CONTENT_TYPE = "application/x-amz-json-1.1"

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your"
    " AWS Secret Access Key and signing method. Consult the service documentation for details."
)
UNRECOGNIZED = "The security token included in the request is invalid."


class FakeResolver:
    """Two keys: a long-term one, and a temporary one that needs its session token."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    async def __call__(
        self, access_key_id: str, session_token: str | None
    ) -> ResolvedCredential | None:
        self.calls.append((access_key_id, session_token))
        if access_key_id == AKID and session_token is None:
            return ResolvedCredential(SECRET, ACCOUNT_ID, ROOT_ARN)
        if access_key_id == SESSION_AKID and session_token == SESSION_TOKEN:
            return ResolvedCredential(
                SESSION_SECRET, ACCOUNT_ID, ROLE_ARN, session={"role": "Admin"}
            )
        return None


def make_verifier(
    resolver: FakeResolver | None = None, now: datetime = NOW
) -> tuple[SigV4Verifier, FakeResolver]:
    resolver = resolver or FakeResolver()
    return SigV4Verifier(resolver, service=SERVICE, clock=lambda: now), resolver


def to_http(request: AWSRequest) -> HttpRequest:
    """What the server sees once the HTTP client has sent ``request``."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers: dict[str, str] = {}
    for name, value in prepared.headers.items():
        text = value.decode() if isinstance(value, bytes) else str(value)
        lower = name.lower()
        headers[lower] = f"{headers[lower]},{text}" if lower in headers else text
    # The HTTP client adds Host; botocore signs the value it will carry.
    headers.setdefault("host", parts.netloc)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    assert isinstance(body, bytes)
    return HttpRequest(prepared.method, parts.path or "/", parts.query, headers, body)


def aws_request(
    *,
    url: str = URL,
    body: bytes = BODY,
    method: str = "POST",
    target: str = TARGET,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> AWSRequest:
    all_headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": target, **(headers or {})}
    return AWSRequest(method=method, url=url, data=body, headers=all_headers, params=params or {})


def sign(
    request: AWSRequest | None = None,
    *,
    credentials: Credentials | None = None,
    service: str = SERVICE,
    region: str = REGION,
    at: datetime = NOW,
) -> HttpRequest:
    request = request or aws_request()
    signer = SigV4Auth(credentials or Credentials(AKID, SECRET), service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer.add_auth(request)
    return to_http(request)


def presign(
    request: AWSRequest | None = None,
    *,
    credentials: Credentials | None = None,
    expires: int = 300,
    at: datetime = NOW,
) -> HttpRequest:
    request = request or AWSRequest(method="GET", url=URL, params={"Action": "ListIdentityPools"})
    signer = SigV4QueryAuth(credentials or Credentials(AKID, SECRET), SERVICE, REGION, expires)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer.add_auth(request)
    return to_http(request)


def verify(request: HttpRequest, verifier: SigV4Verifier | None = None) -> Caller:
    verifier = verifier or make_verifier()[0]
    return asyncio.run(verifier.verify(request))


def rejection(request: HttpRequest, verifier: SigV4Verifier | None = None) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        verify(request, verifier)
    return caught.value


def with_headers(request: HttpRequest, **changes: str | None) -> HttpRequest:
    """``request`` with headers set (``x_amz_date="..."``) or removed (``=None``)."""
    headers = dict(request.headers)
    for name, value in changes.items():
        key = name.replace("_", "-")
        if value is None:
            headers.pop(key, None)
        else:
            headers[key] = value
    return dataclasses.replace(request, headers=headers)


def with_authorization(request: HttpRequest, old: str, new: str) -> HttpRequest:
    authorization = request.headers["authorization"]
    assert old in authorization
    return with_headers(request, authorization=authorization.replace(old, new))


def assert_rejected(
    request: HttpRequest,
    error: type[ServiceError],
    message: str,
    verifier: SigV4Verifier | None = None,
) -> None:
    caught = rejection(request, verifier)
    assert type(caught) is error, f"{type(caught).__name__}: {caught}"
    assert caught.message == message


# --- what botocore signs is accepted --------------------------------------------------------------


def test_accepts_botocore_signed_request() -> None:
    request = sign()
    verifier, resolver = make_verifier()

    caller = verify(request, verifier)

    assert caller == Caller(AKID, ACCOUNT_ID, ROOT_ARN, REGION, SERVICE, None)
    assert resolver.calls == [(AKID, None)]
    assert "x-amz-target" in request.headers["authorization"]


def test_accepts_session_credentials_and_hands_back_the_session() -> None:
    request = sign(credentials=Credentials(SESSION_AKID, SESSION_SECRET, SESSION_TOKEN))
    verifier, resolver = make_verifier()

    caller = verify(request, verifier)

    assert caller == Caller(SESSION_AKID, ACCOUNT_ID, ROLE_ARN, REGION, SERVICE, {"role": "Admin"})
    assert resolver.calls == [(SESSION_AKID, SESSION_TOKEN)]


def test_accepts_non_ascii_json_body() -> None:
    body = json.dumps({"IdentityPoolName": "pööl 日本 🚀", "Allow": True}, ensure_ascii=False)
    request = sign(aws_request(body=body.encode()))

    assert verify(request).access_key_id == AKID


def test_accepts_empty_body() -> None:
    assert verify(sign(aws_request(body=b""))).access_key_id == AKID


@pytest.mark.parametrize(
    "url",
    [
        URL + "?b=2&a=1&a=0&flag&tilde=~x&sp=a%20b&slash=a%2Fb",
        URL + "?X-Amz-Whatever=1&%C3%A9t%C3%A9=%E2%82%AC",
    ],
)
def test_accepts_query_string_in_url(url: str) -> None:
    assert verify(sign(aws_request(url=url))).access_key_id == AKID


def test_accepts_query_params_sent_form_encoded() -> None:
    # AWSRequest sends params with urlencode (space as '+') but signs them with '%20'.
    request = sign(aws_request(params={"name": "a b+c", "é": "ü/~", "empty": ""}))
    assert "+" in request.query_string

    assert verify(request).access_key_id == AKID


@pytest.mark.parametrize(
    "path",
    ["/some/path", "/with%20space/and%2Fslash/", "/a/./b/../c//d", "/~user/%E2%82%AC", "/.."],
)
def test_accepts_paths_other_than_root(path: str) -> None:
    request = sign(aws_request(url=URL.rstrip("/") + path))
    assert request.path == path

    assert verify(request).access_key_id == AKID


def test_accepts_date_header_instead_of_x_amz_date() -> None:
    # Given a Date header, botocore sends it in RFC 1123 form and drops X-Amz-Date.
    request = sign(aws_request(headers={"Date": "whatever"}))
    assert "x-amz-date" not in request.headers
    assert request.headers["date"] == "Thu, 26 Nov 2026 12:00:00 -0000"

    assert verify(request).access_key_id == AKID


def test_accepts_other_region_and_returns_it() -> None:
    caller = verify(sign(region="eu-central-1"))

    assert caller.region == "eu-central-1"
    assert caller.service == SERVICE


@pytest.mark.parametrize("minutes", [-15, -14, 14, 15])
def test_accepts_clock_skew_within_limit(minutes: int) -> None:
    verifier, _ = make_verifier(now=NOW + timedelta(minutes=minutes))
    assert verify(sign(), verifier).access_key_id == AKID


def test_accepts_correct_content_sha256_header() -> None:
    request = sign(aws_request(headers={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()}))

    assert verify(request).access_key_id == AKID


def test_known_answer_from_aws_test_suite() -> None:
    # "get-vanilla" from the AWS Signature Version 4 test suite, independent of botocore.
    request = HttpRequest(
        method="GET",
        path="/",
        query_string="",
        headers={
            "host": "example.amazonaws.com",
            "x-amz-date": "20150830T123600Z",
            "authorization": (
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
                " SignedHeaders=host;x-amz-date,"
                " Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            ),
        },
        body=b"",
    )

    async def resolver(access_key_id: str, session_token: str | None) -> ResolvedCredential:
        assert (access_key_id, session_token) == ("AKIDEXAMPLE", None)
        return ResolvedCredential(SECRET, ACCOUNT_ID, ROOT_ARN)

    verifier = SigV4Verifier(
        resolver, service="service", clock=lambda: datetime(2015, 8, 30, 12, 40, tzinfo=UTC)
    )

    caller = asyncio.run(verifier.verify(request))

    assert (caller.access_key_id, caller.region, caller.service) == (
        "AKIDEXAMPLE",
        "us-east-1",
        "service",
    )


def test_naive_clock_is_taken_as_utc() -> None:
    verifier = SigV4Verifier(
        FakeResolver(), service=SERVICE, clock=lambda: NOW.replace(tzinfo=None)
    )

    assert verify(sign(), verifier).access_key_id == AKID


# --- tampering ------------------------------------------------------------------------------------


def test_rejects_changed_body() -> None:
    request = dataclasses.replace(sign(), body=b'{"MaxResults": 60}')
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_changed_target() -> None:
    request = with_headers(sign(), x_amz_target="AWSCognitoIdentityService.DeleteIdentityPool")
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_changed_signed_header() -> None:
    request = with_headers(sign(), content_type="application/json")
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_changed_host() -> None:
    request = with_headers(sign(), host="evil.example.com")
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_changed_date() -> None:
    request = with_headers(sign(), x_amz_date="20261126T120001Z")
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_changed_path_and_query() -> None:
    request = sign(aws_request(url=URL + "a?x=1"))
    assert_rejected(dataclasses.replace(request, path="/b"), InvalidSignatureException, MISMATCH)
    assert_rejected(
        dataclasses.replace(request, query_string="x=2"), InvalidSignatureException, MISMATCH
    )


def test_rejects_changed_method() -> None:
    request = dataclasses.replace(sign(), method="PUT")
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_signed_header_that_is_missing() -> None:
    request = with_headers(sign(), content_type=None)
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_wrong_secret() -> None:
    request = sign(credentials=Credentials(AKID, SECRET[:-1] + "X"))
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_truncated_and_non_ascii_signature() -> None:
    request = sign()
    signature = request.headers["authorization"].rsplit("=", 1)[1]
    assert_rejected(
        with_authorization(request, signature, signature[:-1]), InvalidSignatureException, MISMATCH
    )
    assert_rejected(
        with_authorization(request, signature, signature[:-1] + "é"),
        InvalidSignatureException,
        MISMATCH,
    )


def test_rejects_wrong_session_token() -> None:
    request = sign(credentials=Credentials(SESSION_AKID, SESSION_SECRET, SESSION_TOKEN))
    request = with_headers(request, x_amz_security_token="other-token")
    assert_rejected(request, UnrecognizedClientException, UNRECOGNIZED)


def test_rejects_content_sha256_header_not_matching_body() -> None:
    request = sign(aws_request(headers={"X-Amz-Content-SHA256": "0" * 64}))
    assert_rejected(
        request,
        InvalidSignatureException,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )


def test_rejects_unsigned_payload_with_header_auth() -> None:
    request = sign(aws_request(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}))
    assert_rejected(
        request,
        InvalidSignatureException,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )


# --- keys -----------------------------------------------------------------------------------------


def test_rejects_unknown_access_key() -> None:
    verifier, resolver = make_verifier()
    request = sign(credentials=Credentials("AKIAUNKNOWNKEY000000", SECRET))

    assert_rejected(request, UnrecognizedClientException, UNRECOGNIZED, verifier)
    assert resolver.calls == [("AKIAUNKNOWNKEY000000", None)]


def test_rejects_empty_access_key_without_asking_the_resolver() -> None:
    verifier, resolver = make_verifier()
    request = with_authorization(sign(), f"Credential={AKID}/", "Credential=/")

    assert_rejected(request, UnrecognizedClientException, UNRECOGNIZED, verifier)
    assert resolver.calls == []


def test_resolver_errors_propagate() -> None:
    class Expired(ServiceError):
        code = "ExpiredTokenException"

    async def resolver(access_key_id: str, session_token: str | None) -> ResolvedCredential:
        raise Expired("The security token included in the request is expired")

    verifier = SigV4Verifier(resolver, service=SERVICE, clock=lambda: NOW)
    assert_rejected(
        sign(), Expired, "The security token included in the request is expired", verifier
    )


# --- time -----------------------------------------------------------------------------------------


def test_rejects_stale_request() -> None:
    verifier, resolver = make_verifier(now=NOW + timedelta(minutes=16))
    assert_rejected(
        sign(),
        InvalidSignatureException,
        "Signature expired: 20261126T120000Z is now earlier than 20261126T120100Z"
        " (20261126T121600Z - 15 min.)",
        verifier,
    )
    assert resolver.calls == []


def test_rejects_request_from_the_future() -> None:
    verifier, _ = make_verifier(now=NOW - timedelta(minutes=16))
    assert_rejected(
        sign(),
        InvalidSignatureException,
        "Signature not yet current: 20261126T120000Z is still later than 20261126T115900Z"
        " (20261126T114400Z + 15 min.)",
        verifier,
    )


def test_messages_follow_configured_skew() -> None:
    verifier = SigV4Verifier(
        FakeResolver(),
        service=SERVICE,
        clock=lambda: NOW + timedelta(minutes=6),
        max_skew=timedelta(minutes=5),
    )
    assert_rejected(
        sign(),
        InvalidSignatureException,
        "Signature expired: 20261126T120000Z is now earlier than 20261126T120100Z"
        " (20261126T120600Z - 5 min.)",
        verifier,
    )


@pytest.mark.parametrize("date", ["2026-11-26T12:00:00Z", "20261126T120000", "20261326T120000Z"])
def test_rejects_malformed_date(date: str) -> None:
    request = with_headers(sign(), x_amz_date=date)
    assert_rejected(
        request,
        IncompleteSignatureException,
        f"Date must be in ISO-8601 'basic format'. Got '{date}'."
        " See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_rejects_scope_date_not_matching_request_date() -> None:
    request = with_authorization(sign(), "/20261126/", "/20261125/")
    assert_rejected(
        request,
        InvalidSignatureException,
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from"
        " HTTP: '20261125' != '20261126', from '20261126T120000Z'.",
    )


# --- malformed or missing signature ---------------------------------------------------------------


def test_is_signed() -> None:
    unsigned = to_http(aws_request())
    assert not SigV4Verifier.is_signed(unsigned)
    assert SigV4Verifier.is_signed(with_headers(unsigned, authorization="anything"))
    assert SigV4Verifier.is_signed(dataclasses.replace(unsigned, query_string="X-Amz-Algorithm=x"))
    assert not SigV4Verifier.is_signed(
        dataclasses.replace(unsigned, query_string="X-Amz-Algorithmic=x&a=X-Amz-Algorithm")
    )
    assert SigV4Verifier.is_signed(sign())
    assert SigV4Verifier.is_signed(presign())


def test_rejects_missing_authentication() -> None:
    verifier, resolver = make_verifier()
    assert_rejected(
        to_http(aws_request()),
        MissingAuthenticationTokenException,
        "Request is missing Authentication Token",
        verifier,
    )
    assert resolver.calls == []


def test_rejects_header_and_query_signature_together() -> None:
    request = dataclasses.replace(sign(), query_string="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert_rejected(
        request,
        InvalidSignatureException,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    )


AUTH_PREFIX = "AWS4-HMAC-SHA256 "


@pytest.mark.parametrize(
    ("authorization", "error", "message"),
    [
        (
            "AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=0",
            IncompleteSignatureException,
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.",
        ),
        ("Bearer abc.def", IncompleteSignatureException, "Unsupported AWS 'algorithm': 'Bearer'."),
        ("", IncompleteSignatureException, "Unsupported AWS 'algorithm': ''."),
        (
            "AWS4-HMAC-SHA256 FooBar, BazBurp",
            IncompleteSignatureException,
            "'FooBar' not a valid key=value pair (missing equal-sign) in Authorization header:"
            " 'AWS4-HMAC-SHA256 FooBar, BazBurp'",
        ),
        (
            "AWS4-HMAC-SHA256 Foo=Bar, Baz=Burp",
            IncompleteSignatureException,
            "Authorization header requires 'Credential' parameter. Authorization header requires"
            " 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."
            " Authorization=AWS4-HMAC-SHA256 Foo=Bar, Baz=Burp",
        ),
        (
            "AWS4-HMAC-SHA256",
            IncompleteSignatureException,
            "Authorization header requires 'Credential' parameter. Authorization header requires"
            " 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."
            " Authorization=AWS4-HMAC-SHA256",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-identity/aws4_request,"
            " Signature=",
            IncompleteSignatureException,
            "Authorization header requires 'Signature' parameter. Authorization header requires"
            " 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
            " Credential=AKID/20261126/us-east-1/cognito-identity/aws4_request, Signature=",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-identity,"
            " SignedHeaders=host;x-amz-date;x-amz-target, Signature=00",
            IncompleteSignatureException,
            "Credential must have exactly 5 slash-delimited elements, e.g."
            " keyid/date/region/service/term, got 'AKID/20261126/us-east-1/cognito-identity'",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-identity/aws4_request,"
            " SignedHeaders=content-type;x-amz-date;x-amz-target, Signature=00",
            InvalidSignatureException,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-identity/aws4_request,"
            " SignedHeaders=host;x-amz-date, Signature=00",
            InvalidSignatureException,
            "'x-amz-target' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-identity/aws4_request,"
            " SignedHeaders=host;x-amz-target, Signature=00",
            InvalidSignatureException,
            "'x-amz-date' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126//cognito-identity/aws4_request,"
            " SignedHeaders=host;x-amz-date;x-amz-target, Signature=00",
            InvalidSignatureException,
            "Credential should be scoped to a valid region. ",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/cognito-identity/aws5_request,"
            " SignedHeaders=host;x-amz-date;x-amz-target, Signature=00",
            InvalidSignatureException,
            "Credential should be scoped with a valid terminator: 'aws4_request', not"
            " 'aws5_request'. ",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20261125//sts/aws5_request,"
            " SignedHeaders=host;x-amz-date;x-amz-target, Signature=00",
            InvalidSignatureException,
            "Credential should be scoped to a valid region. Credential should be scoped to correct"
            " service: 'cognito-identity'. Credential should be scoped with a valid terminator:"
            " 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD"
            " from ISO-8601 version of date from HTTP: '20261125' != '20261126', from"
            " '20261126T120000Z'.",
        ),
    ],
)
def test_rejects_malformed_authorization(
    authorization: str, error: type[ServiceError], message: str
) -> None:
    verifier, resolver = make_verifier()
    request = with_headers(sign(), authorization=authorization)

    assert_rejected(request, error, message, verifier)
    assert resolver.calls == []


def test_rejects_missing_date_header() -> None:
    request = with_headers(sign(), x_amz_date=None)
    authorization = request.headers["authorization"]
    assert_rejected(
        request,
        IncompleteSignatureException,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        f" Authorization={authorization}",
    )


def test_rejects_wrong_service_scope() -> None:
    assert_rejected(
        sign(service="sts"),
        InvalidSignatureException,
        "Credential should be scoped to correct service: 'cognito-identity'. ",
    )


def test_rejects_session_token_that_is_not_signed() -> None:
    verifier, resolver = make_verifier()
    request = with_headers(sign(), x_amz_security_token=SESSION_TOKEN)

    assert_rejected(
        request,
        InvalidSignatureException,
        "'x-amz-security-token' must be a 'SignedHeader' in the AWS Authorization.",
        verifier,
    )
    assert resolver.calls == []


def test_rejects_any_unsigned_x_amz_header_but_cloudfronts() -> None:
    request = sign()
    assert_rejected(
        with_headers(request, x_amz_user_agent="x"),
        InvalidSignatureException,
        "'x-amz-user-agent' must be a 'SignedHeader' in the AWS Authorization.",
    )
    assert verify(with_headers(request, x_amz_cf_id="abc==")).access_key_id == AKID
    # Other unsigned headers are fine: proxies add them, and botocore leaves some out.
    assert verify(with_headers(request, user_agent="x", x_forwarded_for="1.2.3.4")).region == REGION


def test_of_several_unsigned_headers_the_first_sent_is_named() -> None:
    request = sign()
    for first, second in (
        ("x-amz-user-agent", "x-amz-meta-a"),
        ("x-amz-meta-a", "x-amz-user-agent"),
    ):
        unsigned = {first.replace("-", "_"): "1", "user_agent": "u", second.replace("-", "_"): "2"}
        assert_rejected(
            with_headers(request, **unsigned),
            InvalidSignatureException,
            f"'{first}' must be a 'SignedHeader' in the AWS Authorization.",
        )


def test_a_signed_header_that_never_came_matches_no_signature() -> None:
    signed = sign(aws_request(headers={"X-Custom": "v"}))
    assert "x-custom" in signed.headers["authorization"]
    assert verify(signed).access_key_id == AKID
    assert_rejected(
        with_headers(signed, x_custom=None),
        InvalidSignatureException,
        sigv4.SIGNATURE_MISMATCH_MESSAGE,
    )


# --- presigned requests ---------------------------------------------------------------------------


def test_accepts_presigned_request() -> None:
    request = presign()
    assert "X-Amz-Signature=" in request.query_string
    assert "authorization" not in request.headers
    verifier, resolver = make_verifier()

    caller = verify(request, verifier)

    assert caller == Caller(AKID, ACCOUNT_ID, ROOT_ARN, REGION, SERVICE, None)
    assert resolver.calls == [(AKID, None)]


def test_accepts_presigned_request_with_session_token() -> None:
    request = presign(credentials=Credentials(SESSION_AKID, SESSION_SECRET, SESSION_TOKEN))
    assert "X-Amz-Security-Token=" in request.query_string
    verifier, resolver = make_verifier()

    assert verify(request, verifier).principal_arn == ROLE_ARN
    assert resolver.calls == [(SESSION_AKID, SESSION_TOKEN)]


def test_accepts_presigned_request_until_it_expires() -> None:
    request = presign(expires=3600)
    verifier, _ = make_verifier(now=NOW + timedelta(minutes=59))
    assert verify(request, verifier).access_key_id == AKID

    verifier, _ = make_verifier(now=NOW + timedelta(minutes=60, seconds=1))
    assert_rejected(
        request,
        InvalidSignatureException,
        "Signature expired: 20261126T120000Z is now earlier than 20261126T120001Z"
        " (20261126T130001Z - 3600 sec.)",
        verifier,
    )


def test_rejects_presigned_request_from_the_future() -> None:
    verifier, _ = make_verifier(now=NOW - timedelta(minutes=16))
    assert_rejected(
        presign(),
        InvalidSignatureException,
        "Signature not yet current: 20261126T120000Z is still later than 20261126T115900Z"
        " (20261126T114400Z + 15 min.)",
        verifier,
    )


def test_accepts_presigned_unsigned_payload_when_declared() -> None:
    request = presign(
        AWSRequest(method="POST", url=URL, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    )
    request = dataclasses.replace(request, body=b'{"any": "body"}')

    assert verify(request).access_key_id == AKID


def test_presigned_body_is_signed_unless_declared_unsigned() -> None:
    request = dataclasses.replace(presign(), body=b"{}")
    assert_rejected(request, InvalidSignatureException, MISMATCH)


def test_rejects_tampered_presigned_request() -> None:
    request = presign()
    tampered = request.query_string.replace("Action=ListIdentityPools", "Action=DeleteIdentityPool")
    assert_rejected(
        dataclasses.replace(request, query_string=tampered), InvalidSignatureException, MISMATCH
    )
    longer = request.query_string.replace("X-Amz-Expires=300", "X-Amz-Expires=600")
    assert_rejected(
        dataclasses.replace(request, query_string=longer), InvalidSignatureException, MISMATCH
    )


def test_rejects_presigned_request_missing_parameters() -> None:
    request = presign()
    kept = [
        part
        for part in request.query_string.split("&")
        if not part.startswith(("X-Amz-Signature=", "X-Amz-Date="))
    ]
    assert_rejected(
        dataclasses.replace(request, query_string="&".join(kept)),
        IncompleteSignatureException,
        "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters"
        " must include 'X-Amz-Date'. Re-examine the query-string parameters.",
    )


@pytest.mark.parametrize(
    ("old", "new", "error", "message"),
    [
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
            IncompleteSignatureException,
            "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'.",
        ),
        (
            "X-Amz-Expires=300",
            "X-Amz-Expires=604801",
            IncompleteSignatureException,
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        (
            "X-Amz-Expires=300",
            "X-Amz-Expires=-1",
            IncompleteSignatureException,
            "X-Amz-Expires should be a number",
        ),
        (
            "X-Amz-SignedHeaders=host",
            "X-Amz-SignedHeaders=x-amz-date",
            InvalidSignatureException,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            "%2Fcognito-identity%2F",
            "%2Fsts%2F",
            InvalidSignatureException,
            "Credential should be scoped to correct service: 'cognito-identity'. ",
        ),
    ],
)
def test_rejects_malformed_presigned_request(
    old: str, new: str, error: type[ServiceError], message: str
) -> None:
    request = presign()
    assert old in request.query_string
    request = dataclasses.replace(request, query_string=request.query_string.replace(old, new))

    assert_rejected(request, error, message)


# --- signing-key cache ----------------------------------------------------------------------------


def test_signing_key_cache_does_not_change_results() -> None:
    verifier, _ = make_verifier()
    good = sign()
    assert verify(good, verifier).access_key_id == AKID
    assert verify(good, verifier).access_key_id == AKID  # from the cache
    # Same key id, day, region and service, another secret: the cache must not vouch for it.
    assert_rejected(
        sign(credentials=Credentials(AKID, "not-" + SECRET)),
        InvalidSignatureException,
        MISMATCH,
        verifier,
    )
    assert verify(sign(region="eu-west-1"), verifier).region == "eu-west-1"


def test_signing_key_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sigv4, "SIGNING_KEY_CACHE_SIZE", 2)
    verifier, _ = make_verifier()
    regions = ["us-east-1", "us-west-2", "eu-west-1", "us-east-1"]

    for region in regions:
        assert verify(sign(region=region), verifier).region == region
        assert len(verifier._signing_keys) <= 2


def test_signing_keys_kept_nothing_with_caches_off() -> None:
    verifier = SigV4Verifier(FakeResolver(), service=SERVICE, clock=lambda: NOW, caches=False)
    good = sign()
    assert verify(good, verifier).access_key_id == AKID
    assert verify(good, verifier).access_key_id == AKID
    assert len(verifier._signing_keys) == 0
    assert_rejected(
        sign(credentials=Credentials(AKID, "not-" + SECRET)),
        InvalidSignatureException,
        MISMATCH,
        verifier,
    )


@pytest.mark.parametrize("size", [0, 1, 31, 32, 63, 64, 65, 200])
def test_hmac_key_is_hmac_sha256(size: int) -> None:
    key = bytes(range(size % 256)) * (size // 256 + 1)
    key = key[:size]
    message = b"AWS4-HMAC-SHA256\n20261205T000000Z\n" * 5
    assert sigv4._HmacKey(key).hexdigest(message) == hmac.digest(key, message, "sha256").hex()
    # The same key signs again from the same pads.
    hmac_key = sigv4._HmacKey(key)
    assert (
        hmac_key.hexdigest(b"a")
        == hmac_key.hexdigest(b"a")
        == hmac.new(key, b"a", "sha256").hexdigest()
    )
