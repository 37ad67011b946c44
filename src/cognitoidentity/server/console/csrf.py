"""Cross-site request forgery: every console form carries the session's token in the hidden
field :data:`CSRF_FIELD`, and every POST is refused (403) unless it carries the token of the
session its cookie seals (:mod:`.sessions`), compared in constant time, and comes from the
console's own origin when the browser says where it comes from (``Origin``, else ``Referer``).

The token is random per session (32 bytes) and lives only in the sealed cookie and the pages:
another site can neither read it (the same-origin policy) nor send the cookie
(``SameSite=Strict``), so each defence holds on its own."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Final

from cognitoidentity.server.console.http import Form, same_origin
from cognitoidentity.server.console.sessions import Session

CSRF_FIELD: Final = "csrf_token"
REFUSED: Final = (
    "This form did not come from this console, or its session has ended (the CSRF check"
    " failed). Reload the page and send it again."
)


def csrf_ok(session: Session | None, form: Form, headers: Mapping[str, str]) -> bool:
    """Whether a POST with ``form`` may act for ``session``."""
    if session is None or not same_origin(headers):
        return False
    sent = form.get(CSRF_FIELD)
    return bool(sent) and hmac.compare_digest(sent.encode(), session.csrf_token.encode())
