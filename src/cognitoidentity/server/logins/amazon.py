"""Login with Amazon: an access token, checked with the token-info and profile endpoints.

1. ``GET {api}/auth/o2/tokeninfo?access_token=<token>`` → ``{"aud", "app_id", "user_id", "exp",
   "iat", ...}``. The pool's value for ``www.amazon.com`` must be the token's ``app_id`` (the
   Developer Guide asks for the application id) or its ``aud`` (the client id; **Choice**: both are
   accepted, since both identify the application), else "Token is not from a supported provider
   of this identity pool." (AWS's answer for a wrong Amazon id, per public reports).
2. ``GET {api}/user/profile`` with ``Authorization: bearer <token>`` → ``{"user_id", "name",
   "email", ...}``; ``user_id`` is the stable user identifier, and must be the token-info's.

Amazon's refusals are ``{"error", "error_description"}``: an ``error_description`` that mentions
expiry gives "Invalid login token. Token is expired."; any other **Choice** "Invalid login token.
www.amazon.com rejected the token: <description>".
"""

from __future__ import annotations

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
from cognitoidentity.server.logins.facebook import rejected
from cognitoidentity.server.logins.http import ProviderHttp, ProviderResponse

__all__ = ["AMAZON_API_URL", "AMAZON_KEY", "AmazonVerifier"]

AMAZON_KEY: Final = "www.amazon.com"
AMAZON_API_URL: Final = "https://api.amazon.com"


def _amazon_error(provider: str, response: ProviderResponse) -> NotAuthorizedException:
    body = response.body
    if isinstance(body, dict):
        description = body.get("error_description") or body.get("error")
        if isinstance(description, str) and "expired" in description.lower():
            return NotAuthorizedException(TOKEN_IS_EXPIRED)
        return rejected(provider, description)
    return rejected(provider, f"HTTP {response.status}")


class AmazonVerifier:
    def __init__(self, http: ProviderHttp, app_id: str, *, provider: str = AMAZON_KEY) -> None:
        self.http = http
        self.app_id = app_id
        self.provider = provider

    async def verify(self, token: str) -> LoginIdentity:
        if not token or any(c.isspace() for c in token):
            raise rejected(self.provider, "not an access token")
        info = await self.http.get_json(
            AMAZON_API_URL + "/auth/o2/tokeninfo",
            provider=self.provider,
            params={"access_token": token},
        )
        if info.status != 200:
            raise _amazon_error(self.provider, info)
        details = info.body if isinstance(info.body, dict) else {}
        audience = details.get("aud")
        if self.app_id not in (details.get("app_id"), audience):
            raise NotAuthorizedException(UNSUPPORTED_PROVIDER)
        profile = await self.http.get_json(
            AMAZON_API_URL + "/user/profile",
            provider=self.provider,
            headers={"Authorization": f"bearer {token}"},
        )
        if profile.status != 200:
            raise _amazon_error(self.provider, profile)
        body = profile.body if isinstance(profile.body, dict) else {}
        user_id = body.get("user_id")
        if not isinstance(user_id, str) or not user_id:
            raise ExternalServiceException(f"Error calling {self.provider}: no user_id in profile")
        token_user = details.get("user_id")
        if token_user is not None and token_user != user_id:
            raise rejected(self.provider, "the profile is not the token's user")
        claims: dict[str, object] = {
            key: value for key, value in body.items() if isinstance(value, str)
        }
        claims.update(sub=user_id, aud=audience if isinstance(audience, str) else self.app_id)
        app_id = details.get("app_id")
        if isinstance(app_id, str):
            claims["app_id"] = app_id
        return LoginIdentity(
            provider=self.provider,
            user_id=user_id,
            claims=claims,
            amr=f"{self.provider}:{user_id}",
            mapping_keys=(self.provider,),
        )
