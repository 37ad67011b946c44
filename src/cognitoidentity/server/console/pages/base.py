"""What every page gets (:class:`Page`), and how operation errors become statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from cognitoidentity.server.console.api import ApiSession
from cognitoidentity.server.console.csrf import CSRF_FIELD
from cognitoidentity.server.console.http import Request, Response
from cognitoidentity.server.console.render import Templates
from cognitoidentity.server.console.sessions import Session
from cognitoidentity.server.errors import ServiceError

NOT_FOUND_CODES: Final = frozenset({"ResourceNotFoundException", "NoSuchEntity"})
DENIED_CODES: Final = frozenset({"AccessDeniedException", "AccessDenied", "NotAuthorizedException"})
PAGE_SIZE: Final = 20


def error_status(error: ServiceError) -> int:
    """The page's status for an operation's error: 404 for a resource that is not found (or is
    another account's: the API does not tell them apart either), 403 for a denial, else 400."""
    if error.code in NOT_FOUND_CODES:
        return 404
    if error.code in DENIED_CODES:
        return 403
    return 500 if error.status_code >= 500 else 400


def is_root(api: ApiSession) -> bool:
    """Whether the signed-in account is the server's root account
    (``COGNITOIDENTITY_ROOT_ACCOUNT_ID``), the operator's: the only one that sees what belongs to
    the whole server rather than to an account (the process's metrics, the signing keys)."""
    return api.account_id == api.api.runtime.settings.root_account_id


def worded(error: ServiceError) -> str:
    """An operation's error as pages show it: ``Code: message``, as the API answers it."""
    return f"{error.code}: {error.message}"


@dataclass(slots=True)
class Page:
    request: Request
    session: Session
    api: ApiSession
    templates: Templates

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        return self.templates.render(
            template,
            status,
            signed_in=True,
            account_id=self.session.account_id,
            access_key_id=self.session.access_key_id,
            region=self.api.region,
            csrf_field=CSRF_FIELD,
            csrf_token=self.session.csrf_token,
            is_root=is_root(self.api),
            **context,
        )

    def param(self, name: str) -> str:
        return self.request.params[name]
