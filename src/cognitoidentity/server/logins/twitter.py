"""Twitter (X): an OAuth 1.0a user token, checked with ``account/verify_credentials``.

The ``Logins`` value is ``"<access token>;<access token secret>"`` and the pool's
``SupportedLoginProviders["api.twitter.com"]`` is ``"<consumer key>;<consumer secret>"``. The
verifier signs ``GET {api}/1.1/account/verify_credentials.json`` with HMAC-SHA1 as RFC 5849
section 3 prescribes (the signature covers the URL actually requested, so an endpoint override
works) and takes the answer's ``id_str`` as the user identifier.

A 401/403 answer (Twitter's ``{"errors": [{"code", "message"}]}``) gives **Choice** "Invalid login
token. api.twitter.com rejected the token: <message>". A value that is not two ``;``-separated
parts gives **Choice** "Invalid login token. api.twitter.com rejected the token: not
'<access token>;<access token secret>'".

**Choice**: the login's ``aud`` claim is the consumer key only. The reference says AWS uses the
whole "appId;appSecret" string there; that would put the consumer secret into session tags.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from cognitoidentity.server.api.cognito_identity import (
    ExternalServiceException,
    NotAuthorizedException,
)
from cognitoidentity.server.logins.base import LoginIdentity
from cognitoidentity.server.logins.facebook import rejected
from cognitoidentity.server.logins.http import ProviderHttp, ProviderResponse

__all__ = [
    "TWITTER_API_URL",
    "TWITTER_KEY",
    "VERIFY_CREDENTIALS_PATH",
    "TwitterVerifier",
    "authorization_header",
    "percent_encode",
    "signature",
    "signature_base_string",
]

TWITTER_KEY: Final = "api.twitter.com"
TWITTER_API_URL: Final = "https://api.twitter.com"
VERIFY_CREDENTIALS_PATH: Final = "/1.1/account/verify_credentials.json"


def percent_encode(value: str) -> str:
    """RFC 5849 section 3.6: UTF-8, then every byte but ``A-Z a-z 0-9 - . _ ~`` as ``%XX``."""
    return quote(value, safe="-._~")


def _base_uri(url: str) -> str:
    """RFC 5849 section 3.4.1.2: scheme and host lower-cased, default port dropped, no query."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", "", ""))


def signature_base_string(method: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1: ``params`` are the ``oauth_*`` protocol parameters and any body
    parameters; the URL's own query parameters are added here."""
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in [*query, *params])
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), percent_encode(_base_uri(url)), percent_encode(normalized)))


def signature(base_string: str, consumer_secret: str, token_secret: str) -> str:
    """HMAC-SHA1 (RFC 5849 section 3.4.2), base64."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), "sha1").digest()
    return base64.b64encode(digest).decode("ascii")


def authorization_header(
    method: str,
    url: str,
    *,
    consumer_key: str,
    consumer_secret: str,
    token: str,
    token_secret: str,
    nonce: str,
    timestamp: str,
) -> str:
    """The ``Authorization: OAuth ...`` header of a signed request (RFC 5849 section 3.5.1)."""
    oauth = {
        "oauth_consumer_key": consumer_key,
        "oauth_nonce": nonce,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": timestamp,
        "oauth_token": token,
        "oauth_version": "1.0",
    }
    base = signature_base_string(method, url, oauth.items())
    oauth["oauth_signature"] = signature(base, consumer_secret, token_secret)
    fields = ", ".join(f'{percent_encode(k)}="{percent_encode(v)}"' for k, v in oauth.items())
    return f"OAuth {fields}"


def _twitter_error(provider: str, response: ProviderResponse) -> NotAuthorizedException:
    body = response.body
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return rejected(provider, errors[0].get("message"))
    return rejected(provider, f"HTTP {response.status}")


def _pair(value: str) -> tuple[str, str] | None:
    first, sep, second = value.partition(";")
    if not sep or not first or not second or ";" in second:
        return None
    return first, second


class TwitterVerifier:
    def __init__(
        self,
        http: ProviderHttp,
        consumer: str,
        *,
        provider: str = TWITTER_KEY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.consumer = consumer
        self.provider = provider
        self.clock = clock

    async def verify(self, token: str) -> LoginIdentity:
        user = _pair(token)
        if user is None:
            raise rejected(self.provider, "not '<access token>;<access token secret>'")
        consumer = _pair(self.consumer)
        if consumer is None:
            raise NotAuthorizedException(
                "Invalid login token. The identity pool's api.twitter.com app is not"
                " '<consumer key>;<consumer secret>'."
            )
        url = self.http.resolve(TWITTER_API_URL + VERIFY_CREDENTIALS_PATH)
        header = authorization_header(
            "GET",
            url,
            consumer_key=consumer[0],
            consumer_secret=consumer[1],
            token=user[0],
            token_secret=user[1],
            nonce=secrets.token_hex(16),
            timestamp=str(int(self.clock())),
        )
        response = await self.http.get_json(
            url, provider=self.provider, headers={"Authorization": header}
        )
        if response.status != 200:
            raise _twitter_error(self.provider, response)
        body = response.body if isinstance(response.body, dict) else {}
        user_id = body.get("id_str")
        if not isinstance(user_id, str) or not user_id:
            raise ExternalServiceException(f"Error calling {self.provider}: no id_str in answer")
        claims: dict[str, object] = {
            key: body[key]
            for key in ("id_str", "screen_name", "name")
            if isinstance(body.get(key), str)
        }
        claims.update(sub=user_id, aud=consumer[0])
        return LoginIdentity(
            provider=self.provider,
            user_id=user_id,
            claims=claims,
            amr=f"{self.provider}:{user_id}",
            mapping_keys=(self.provider,),
        )
