"""The console's ASGI handler: what the server's pipeline (``server/app.py``) hands every
``/console`` path to. For each request, in order:

1. static files (``/console/static/...``: the style sheet), the same for everyone;
2. the session from its sealed cookie (:mod:`.sessions`); sign-in and sign-out;
3. every other page needs a signed-in session whose access key still resolves as SigV4 resolves
   it (same account, same secret); without one, a GET is sent to sign-in and a POST refused 403;
4. a POST must pass the CSRF check (:mod:`.csrf`), else 403;
5. the route's page, which calls the API's operations as the account (:mod:`.api`);
6. errors as pages: an operation's error with its code and message (404 for a resource not
   found, 403 for a denial, else 400), a busy store 503, anything unexpected 500 with no detail
   (logged); every answer with the security headers (:mod:`.http`).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cognitoidentity.server.accounts import AccessKeyResolver
from cognitoidentity.server.authorization import client_origin
from cognitoidentity.server.console import csrf
from cognitoidentity.server.console.api import ConsoleApi, Principal
from cognitoidentity.server.console.http import (
    BadRequest,
    Form,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    headers_of,
    parse_cookies,
    parse_form,
    read_body,
    redirect,
    send_response,
)
from cognitoidentity.server.console.pages import (
    dashboard,
    explain,
    iam,
    iam_policies,
    iam_roles,
    identities,
    pool_tags,
    pools,
    roles,
    signing_keys,
)
from cognitoidentity.server.console.pages.base import Page, error_status
from cognitoidentity.server.console.render import Templates
from cognitoidentity.server.console.sessions import SESSION_COOKIE, Session, SessionSealer
from cognitoidentity.server.context import Runtime
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.services import Service
from cognitoidentity.server.store import StoreBusy

log = logging.getLogger("cognitoidentity.console")

STATIC: Final = Path(__file__).parent / "static"
STATIC_TYPES: Final = {".css": "text/css; charset=utf-8", ".png": "image/png"}
SIGN_IN: Final = "/console/signin"
SIGN_OUT: Final = "/console/signout"
HOME: Final = "/console/"
INVALID_KEY: Final = "The access key ID or the secret access key is not valid."
_NO_SECRET: Final = "x" * 40
"""Compared against when a key is unknown, so that an unknown key takes as long as a wrong
secret."""

PageFunction = Callable[[Page], Awaitable[Response]]
_POOL = r"/console/pools/(?P<pool_id>[^/]+)"
_IDENTITY = _POOL + r"/identities/(?P<identity_id>[^/]+)"
_ROLE = r"/console/iam/roles/(?P<role_name>[^/]+)"
_POLICIES = r"/console/iam/policies"


@dataclass(frozen=True, slots=True)
class Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    page: PageFunction


def _route(methods: str, pattern: str, page: PageFunction) -> Route:
    return Route(frozenset(methods.split(",")), re.compile(pattern), page)


ROUTES: Final = (
    _route("GET", r"/console/?", dashboard.dashboard),
    _route("GET", r"/console/pools", pools.list_pools),
    _route("GET,POST", r"/console/pools/new", pools.create_pool),
    _route("GET", _POOL, pools.show_pool),
    _route("GET,POST", _POOL + r"/edit", pools.edit_pool),
    _route("GET,POST", _POOL + r"/delete", pools.delete_pool),
    _route("GET,POST", _POOL + r"/roles", roles.edit_roles),
    _route("GET", _POOL + r"/identities", identities.list_identities),
    _route("GET", _IDENTITY, identities.show_identity),
    _route("POST", _IDENTITY + r"/delete", identities.delete_identity),
    _route("POST", _IDENTITY + r"/unlink", identities.unlink_developer),
    _route("GET,POST", _POOL + r"/explain", explain.explain),
    _route("GET", _POOL + r"/tags", pool_tags.show_tags),
    _route("POST", _POOL + r"/tags/add", pool_tags.add_tag),
    _route("POST", _POOL + r"/tags/remove", pool_tags.remove_tag),
    _route("POST", _POOL + r"/principal-tags", pool_tags.set_principal_tags),
    _route("GET", r"/console/iam/providers", iam.providers),
    _route("GET", r"/console/iam/roles", iam_roles.list_roles),
    _route("GET,POST", r"/console/iam/create-role", iam_roles.create_role),
    _route("GET", _ROLE, iam_roles.show_role),
    _route("GET", _ROLE + r"/edit", iam_roles.edit_role),
    _route("POST", _ROLE + r"/trust", iam_roles.update_trust),
    _route("POST", _ROLE + r"/settings", iam_roles.update_settings),
    _route("GET,POST", _ROLE + r"/policy", iam_roles.put_policy),
    _route("POST", _ROLE + r"/policy/delete", iam_roles.delete_policy),
    _route("POST", _ROLE + r"/attach", iam_roles.attach_policy),
    _route("POST", _ROLE + r"/detach", iam_roles.detach_policy),
    _route("GET,POST", _ROLE + r"/delete", iam_roles.delete_role),
    _route("GET", _POLICIES, iam_policies.list_policies),
    _route("GET,POST", r"/console/iam/create-policy", iam_policies.create_policy),
    _route("GET", _POLICIES + r"/view", iam_policies.show_policy),
    _route("POST", _POLICIES + r"/versions", iam_policies.create_version),
    _route("POST", _POLICIES + r"/default", iam_policies.set_default_version),
    _route("POST", _POLICIES + r"/delete-version", iam_policies.delete_version),
    _route("GET", r"/console/signing-keys", signing_keys.list_keys),
    _route("POST", r"/console/signing-keys/rotate", signing_keys.rotate),
)


def is_secure(scope: Scope, issuer_url: str) -> bool:
    """Whether the browser reached the server over HTTPS: the connection's scheme, or an
    ``https://`` issuer URL. **Choice**: the server trusts no ``X-Forwarded-*`` header (anyone can
    send one), and behind a TLS proxy the issuer URL must be the public ``https://`` URL anyway
    (README, "Deployment"), so that is what marks cookies ``Secure``."""
    return scope.get("scheme") == "https" or issuer_url.startswith("https://")


class Console:
    """The console over a started server's runtime, its services (the same operations the API
    serves) and its access-key resolver (the one SigV4 uses)."""

    def __init__(
        self, runtime: Runtime, services: Sequence[Service], resolver: AccessKeyResolver
    ) -> None:
        self._runtime = runtime
        self._api = ConsoleApi(runtime, services)
        self._sealer = SessionSealer(runtime.master_key, runtime.clock)
        self._resolver = resolver
        self._templates = Templates()
        self._static = {
            path.name: (path.read_bytes(), STATIC_TYPES.get(path.suffix, "text/plain"))
            for path in STATIC.iterdir()
            if path.is_file()
        }
        self._issuer_url = runtime.settings.effective_issuer_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> int:
        try:
            response = await self._answer(scope, receive, request_id)
        except StoreBusy as busy:
            log.warning("console request %s refused, the store is busy: %s", request_id, busy)
            response = self._error(503, "The store is busy; try again in a moment.")
        except BadRequest as bad:
            response = self._error(400, str(bad))
        except Exception:
            log.exception("console request %s failed", request_id)
            response = self._error(500, "An internal error occurred.")
        return await send_response(send, response, request_id)

    def _error(self, status: int, message: str, code: str = "") -> Response:
        return self._templates.render(
            "error.html", status, message=message, code=code, signed_in=False, csrf_token=""
        )

    async def _answer(self, scope: Scope, receive: Receive, request_id: str) -> Response:
        path: str = scope["path"]
        method: str = scope["method"]
        if path.startswith("/console/static/") and method in ("GET", "HEAD"):
            return self._static_file(path.removeprefix("/console/static/"))
        headers = headers_of(scope)
        body = b""
        if method == "POST":
            body = await read_body(receive, self._runtime.settings.max_body_bytes)
        source_ip, _ = client_origin(scope)
        request = Request(
            method=method,
            path=path,
            query=parse_form(scope.get("query_string", b"")),
            form=parse_form(body) if method == "POST" else Form(),
            cookies=parse_cookies(headers.get("cookie", "")),
            headers=headers,
            secure=is_secure(scope, self._issuer_url),
            source_ip=source_ip,
            request_id=request_id,
        )
        session = self._sealer.open(request.cookies.get(SESSION_COOKIE))
        if path == SIGN_IN:
            return await self._sign_in(request, session)
        if method == "POST" and not csrf.csrf_ok(session, request.form, headers):
            return self._error(403, csrf.REFUSED, "CSRF")
        if session is not None and session.signed_in and not await self._key_valid(session):
            session = None
        if session is None or not session.signed_in:
            if method == "POST":
                return self._error(403, csrf.REFUSED, "CSRF")
            response = redirect(SIGN_IN)
            if SESSION_COOKIE in request.cookies:
                response.headers.append(self._sealer.clear_cookie(secure=request.secure))
            return response
        if path == SIGN_OUT and method == "POST":
            response = redirect(SIGN_IN)
            response.headers.append(self._sealer.clear_cookie(secure=request.secure))
            return response
        return await self._page(request, session)

    async def _page(self, request: Request, session: Session) -> Response:
        for route in ROUTES:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method not in route.methods:
                return self._error(405, f"{request.method} is not allowed here.")
            request.params = match.groupdict()
            principal = Principal(session.account_id, session.access_key_id)
            api = self._api.session(
                principal, request.request_id, request.source_ip, request.secure
            )
            page = Page(request, session, api, self._templates)
            try:
                return await route.page(page)
            except ServiceError as error:
                return page.render(
                    "error.html",
                    error_status(error),
                    message=error.message,
                    code=error.code,
                )
        return self._error(404, "There is no console page here.")

    async def _key_valid(self, session: Session) -> bool:
        """Whether the session's access key still resolves, for its account, with its secret."""
        try:
            resolved = await self._resolver(session.access_key_id, None)
        except ServiceError:
            return False
        return (
            resolved is not None
            and resolved.session is None
            and resolved.account_id == session.account_id
            and hmac.compare_digest(
                self._sealer.fingerprint(resolved.secret_access_key), session.key_fingerprint
            )
        )

    async def _sign_in(self, request: Request, session: Session | None) -> Response:
        if request.method == "GET":
            if session is not None and session.signed_in and await self._key_valid(session):
                return redirect(HOME)
            return self._sign_in_form(request, session, 200, "")
        if request.method != "POST":
            return self._error(405, f"{request.method} is not allowed here.")
        if not csrf.csrf_ok(session, request.form, request.headers):
            return self._error(403, csrf.REFUSED, "CSRF")
        key_id = request.form.get("access_key_id").strip()
        secret = request.form.get("secret_access_key").strip()
        resolved = None
        if key_id and secret:
            try:
                resolved = await self._resolver(key_id, None)
            except ServiceError:
                resolved = None
        expected = resolved.secret_access_key if resolved is not None else _NO_SECRET
        matches = hmac.compare_digest(expected.encode(), secret.encode())
        if resolved is None or resolved.session is not None or not matches:
            log.warning("console sign-in refused for access key %r", key_id[:128])
            return self._sign_in_form(request, session, 401, INVALID_KEY, key_id)
        fresh = self._sealer.signed_in(resolved.account_id, key_id, resolved.secret_access_key)
        response = redirect(HOME)
        response.headers.append(self._sealer.set_cookie(fresh, secure=request.secure))
        return response

    def _sign_in_form(
        self,
        request: Request,
        session: Session | None,
        status: int,
        error: str,
        key_id: str = "",
    ) -> Response:
        anonymous = session if session is not None and not session.signed_in else None
        if anonymous is None:
            anonymous = self._sealer.anonymous()
        response = self._templates.render(
            "signin.html",
            status,
            error=error,
            access_key_id=key_id,
            csrf_token=anonymous.csrf_token,
            signed_in=False,
        )
        response.headers.append(self._sealer.set_cookie(anonymous, secure=request.secure))
        return response

    def _static_file(self, name: str) -> Response:
        found = self._static.get(name)
        if found is None:
            return self._error(404, "There is no such file.")
        body, content_type = found
        return Response(200, body, content_type, [(b"cache-control", b"public, max-age=300")])
