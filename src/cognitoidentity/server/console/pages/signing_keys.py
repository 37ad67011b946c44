"""The keys that sign the server's OpenID tokens: the list (as ``cognitoidentity signing-keys
list`` shows it: key id, created, retired, published until) and a rotation (as ``signing-keys
rotate``: the current key is retired but stays published until every token it signed has
expired, and a new key signs from now on, in every server process within seconds).

**Choice**: the signing keys are the server's, not an account's (every pool's tokens are signed
with the same key, published at one JWKS URL), and no AWS operation manages them; so, like the
process's metrics on the dashboard, only the root account (``COGNITOIDENTITY_ROOT_ACCOUNT_ID``),
the operator's, sees and rotates them here, through what the command line uses (the store's
records, :meth:`...tokens.SigningKeys.rotate`). Any other account gets 403 ``AccessDenied`` and
no link to the page. The private keys are never shown, not even sealed: only the key ids, dates
and the public key's algorithm and size.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from cognitoidentity.server.console.http import Response, redirect
from cognitoidentity.server.console.pages.base import Page, is_root
from cognitoidentity.server.store.base import SigningKeyRecord
from cognitoidentity.server.tokens import jwks_uri

log = logging.getLogger("cognitoidentity.console")

PAGE = "/console/signing-keys"
ROOT_ONLY = (
    "The signing keys belong to the whole server: only the root account sees and rotates them."
)


def _refused(page: Page) -> Response:
    return page.render("error.html", 403, code="AccessDenied", message=ROOT_ONLY)


def key_bits(jwk: dict[str, Any]) -> int | None:
    """The size of an RSA public key, from its JWK's modulus."""
    modulus = jwk.get("n")
    if not isinstance(modulus, str):
        return None
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(raw, "big").bit_length()


def _shown(record: SigningKeyRecord) -> dict[str, Any]:
    """What the page shows of a key: nothing secret."""
    return {
        "kid": record.kid,
        "current": record.retired_at is None,
        "alg": record.public_jwk.get("alg", ""),
        "bits": key_bits(record.public_jwk),
        "created_at": record.created_at,
        "retired_at": record.retired_at,
        "delete_after": record.delete_after,
    }


async def list_keys(page: Page) -> Response:
    if not is_root(page.api):
        return _refused(page)
    runtime = page.api.api.runtime
    records = await runtime.store.list_signing_keys()
    return page.render(
        "signing_keys.html",
        keys=[_shown(record) for record in records],
        jwks=jwks_uri(runtime.settings.effective_issuer_url),
        rotated=page.request.query.get("rotated"),
        section="signing-keys",
    )


async def rotate(page: Page) -> Response:
    if not is_root(page.api):
        return _refused(page)
    kid = await page.api.api.runtime.tokens.keys.rotate()
    log.info(
        "signing key rotated from the console (access key %s): the new key is %s",
        page.api.principal.access_key_id,
        kid,
    )
    return redirect(f"{PAGE}?rotated={kid}")
