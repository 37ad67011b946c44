"""Raw HTTP to the server, signed by botocore's SigV4 (the oracle) or not signed at all."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from tests.support.server import Credentials

JSON_TYPE = "application/x-amz-json-1.1"


def json_headers(target: str) -> dict[str, str]:
    return {"Content-Type": JSON_TYPE, "X-Amz-Target": f"AWSCognitoIdentityService.{target}"}


def sign(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    creds: Credentials,
    *,
    region: str = "us-east-1",
    service: str = "cognito-identity",
    session_token: str | None = None,
) -> dict[str, str]:
    """The headers botocore would send for this request, Authorization included."""
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    boto_creds = BotoCredentials(creds.access_key_id, creds.secret_access_key, session_token)
    SigV4Auth(boto_creds, service, region).add_auth(request)
    return dict(request.headers.items())


def call(
    url: str,
    target: str,
    body: bytes,
    creds: Credentials | None = None,
    *,
    region: str = "us-east-1",
) -> httpx.Response:
    """POST a JSON 1.1 call; signed with ``creds`` when given."""
    headers = json_headers(target)
    if creds is not None:
        headers = sign(url + "/", body, headers, creds, region=region)
    return httpx.post(url + "/", content=body, headers=headers, timeout=10)
