"""Facebook: a Graph API user access token, checked against the pool's Facebook app id.

Cognito knows only the app id (``SupportedLoginProviders["graph.facebook.com"]``), not the app
secret, so Graph's ``/debug_token`` (which needs an app token) is out of reach. Two calls made with
the user's token instead, concurrently:

- ``GET {graph}/me?fields=id,name,email`` → the user's ``id`` (the stable user identifier);
- ``GET {graph}/app`` → the ``id`` of the app the token was issued to, which must be the pool's
  app id, else "Token is not from a supported provider of this identity pool." (**Choice**: the
  message AWS gives for a wrong Login with Amazon app and a wrong Google client).

Graph's refusals are ``{"error": {"message", "type", "code", "error_subcode"}}``: code 190 with
subcode 463 (expired) gives "Invalid login token. Token is expired." (AWS's message for an expired
Facebook token); any other gives **Choice** "Invalid login token. graph.facebook.com rejected the
token: <Graph's message>". The calls are unversioned, so Graph uses the app's default version.
"""

from __future__ import annotations

import asyncio
from typing import Final

from cognitoidentity.server.api.cognito_identity import (
    ExternalServiceException,
    NotAuthorizedException,
)
from cognitoidentity.server.logins.base import (
    TOKEN_IS_EXPIRED,
    UNSUPPORTED_PROVIDER,
    LoginIdentity,
)
from cognitoidentity.server.logins.http import ProviderHttp, ProviderResponse

__all__ = ["FACEBOOK_KEY", "GRAPH_URL", "FacebookVerifier", "rejected"]

FACEBOOK_KEY: Final = "graph.facebook.com"
GRAPH_URL: Final = "https://graph.facebook.com"
_EXPIRED_SUBCODE: Final = 463
_PROFILE_FIELDS: Final = "id,name,email"


def rejected(provider: str, detail: object) -> NotAuthorizedException:
    """**Choice**: "Invalid login token. <provider> rejected the token: <detail>"."""
    text = detail if isinstance(detail, str) and detail else "invalid token"
    return NotAuthorizedException(f"Invalid login token. {provider} rejected the token: {text}")


def _graph_error(provider: str, response: ProviderResponse) -> NotAuthorizedException:
    body = response.body
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        if error.get("code") == 190 and error.get("error_subcode") == _EXPIRED_SUBCODE:
            return NotAuthorizedException(TOKEN_IS_EXPIRED)
        return rejected(provider, error.get("message"))
    return rejected(provider, f"HTTP {response.status}")


def _object_id(provider: str, response: ProviderResponse, what: str) -> str:
    """The ``id`` of a Graph object; Graph sends ids as strings, numbers are accepted too."""
    if response.status != 200:
        raise _graph_error(provider, response)
    body = response.body
    value = body.get("id") if isinstance(body, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ExternalServiceException(f"Error calling {provider}: no id in its {what} answer")
    return value


class FacebookVerifier:
    def __init__(self, http: ProviderHttp, app_id: str, *, provider: str = FACEBOOK_KEY) -> None:
        self.http = http
        self.app_id = app_id
        self.provider = provider

    async def verify(self, token: str) -> LoginIdentity:
        if not token or any(c.isspace() for c in token):
            raise rejected(self.provider, "not an access token")
        me, app = await asyncio.gather(
            self.http.get_json(
                GRAPH_URL + "/me",
                provider=self.provider,
                params={"fields": _PROFILE_FIELDS, "access_token": token},
            ),
            self.http.get_json(
                GRAPH_URL + "/app", provider=self.provider, params={"access_token": token}
            ),
        )
        app_id = _object_id(self.provider, app, "/app")
        user_id = _object_id(self.provider, me, "/me")
        if app_id != self.app_id:
            raise NotAuthorizedException(UNSUPPORTED_PROVIDER)
        claims: dict[str, object] = {}
        if isinstance(me.body, dict):
            claims.update((key, value) for key, value in me.body.items() if isinstance(value, str))
        claims.update(sub=user_id, aud=app_id, id=user_id, app_id=app_id)
        return LoginIdentity(
            provider=self.provider,
            user_id=user_id,
            claims=claims,
            amr=f"{self.provider}:{user_id}",
            mapping_keys=(self.provider,),
        )
