"""Opaque NextTokens for keyset pagination.

A token carries the listing's scope and the last row's sequence number, base64url-encoded; it is
never the empty string (paws loops forever on ``""``). A token from another listing is refused."""

from __future__ import annotations

import base64
import binascii

import orjson

from cognitoidentity.server.api.cognito_identity import InvalidParameterException

TOKEN_VERSION = 1


def encode_token(scope: str, after: int | None) -> str | None:
    if after is None:
        return None
    raw = orjson.dumps([TOKEN_VERSION, scope, after])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(scope: str, token: str | None) -> int | None:
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        version, token_scope, after = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidParameterException("Invalid pagination token.") from exc
    if version != TOKEN_VERSION or token_scope != scope or not isinstance(after, int):
        raise InvalidParameterException("Invalid pagination token.")
    return after
