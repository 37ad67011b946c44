"""The ASGI application. The request path, in order:

1. request id (``x-amzn-RequestId`` on every answer);
2. CORS: preflight answered here, allow/expose headers on every answer;
3. route by method, path and ``X-Amz-Target``: the Cognito Identity JSON 1.1 API on ``POST /``;
   form posts with an ``Action`` go to a Query endpoint (STS), which answers in XML; ``GET`` pages
   (``/health``, discovery, JWKS); anything else is a JSON ``UnknownOperationException``;
4. parse and validate the input against the botocore model;
5. authenticate: SigV4 for signed operations, optional for the public ones;
6. authorize (:mod:`.authorization`, the one point for every protocol);
7. the operation (a typed coroutine that never sees HTTP);
8. serialize the output, or the error (one place; a traceback never reaches the wire);
9. one access-log line: request id, operation, status, duration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cognitoidentity.server.authorization import authorize
from cognitoidentity.server.context import RequestContext, Runtime
from cognitoidentity.server.errors import (
    InternalFailure,
    SerializationException,
    ServiceError,
    TooManyRequestsError,
    UnknownOperationException,
    UnsupportedOperationException,
    quote,
)
from cognitoidentity.server.ids import RandomUuids
from cognitoidentity.server.operations import COGNITO_IDENTITY, Handler
from cognitoidentity.server.protocol.forms import form_fields
from cognitoidentity.server.protocol.json_rpc import CONTENT_TYPE, JsonProtocol, load_service_model
from cognitoidentity.server.sigv4 import HttpRequest, SigV4Verifier
from cognitoidentity.server.store import StoreBusy

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

access_log = logging.getLogger("cognitoidentity.access")
error_log = logging.getLogger("cognitoidentity.errors")

CORS_ALLOW_HEADERS = (
    b"authorization,content-type,x-amz-target,x-amz-user-agent,x-amz-date,x-amz-security-token,"
    b"x-amz-content-sha256,amz-sdk-invocation-id,amz-sdk-request,x-amz-api-version"
)
CORS_EXPOSE_HEADERS = b"x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date"
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", CORS_EXPOSE_HEADERS),
]
PREFLIGHT_HEADERS = [
    *CORS_HEADERS,
    (b"access-control-allow-methods", b"GET,POST,OPTIONS"),
    (b"access-control-allow-headers", CORS_ALLOW_HEADERS),
    (b"access-control-max-age", b"86400"),
]


class PageHandler(Protocol):
    """A GET page (discovery document, JWKS): returns the body and its content type."""

    async def __call__(self) -> tuple[bytes, str]: ...


@dataclass(frozen=True, slots=True)
class QueryResult:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    operation: str


class QueryEndpoint(Protocol):
    """An AWS Query-protocol service (``Action=...`` form posts, XML answers) such as STS. It parses,
    authenticates and encodes its own errors, since those are XML."""

    def handles(self, action: str) -> bool: ...

    async def __call__(self, request: HttpRequest, request_id: str) -> QueryResult: ...


@dataclass(frozen=True, slots=True)
class Mounted:
    """Everything a started server answers with; built on the server's event loop."""

    runtime: Runtime
    verifier: SigV4Verifier
    pages: Mapping[str, PageHandler] = field(default_factory=dict)
    query: Sequence[QueryEndpoint] = ()


class Application:
    """``Application(mount, unmount)``: ``mount`` builds the runtime (store included) at ASGI
    lifespan start-up, so that it lives on the server's event loop."""

    def __init__(
        self,
        mount: Callable[[], Awaitable[Mounted]],
        unmount: Callable[[Mounted], Awaitable[None]] | None = None,
    ) -> None:
        self._mount = mount
        self._unmount = unmount
        self.mounted: Mounted | None = None
        self.cognito = JsonProtocol(load_service_model("cognito-identity"))
        self.handlers: dict[str, Handler] = dict(COGNITO_IDENTITY)
        self._request_ids = RandomUuids()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.mounted = await self._mount()
                except Exception as exc:
                    error_log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.mounted is not None and self._unmount is not None:
                    await self._unmount(self.mounted)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = self._request_ids()
        method: str = scope["method"]
        operation = "-"
        if method == "OPTIONS":
            status = await _respond(send, 200, request_id, PREFLIGHT_HEADERS, b"", None)
            _log(request_id, "preflight", status, started)
            return
        headers = _headers(scope)
        try:
            mounted = self._require_mounted()
            body = await _read_body(receive, mounted.runtime.settings.max_body_bytes)
            path: str = scope["path"]
            page = (
                (_PAGES_BUILTIN.get(path) or mounted.pages.get(path)) if method == "GET" else None
            )
            if page is not None:
                operation = path
                payload, content_type = await page()
                status = await _respond(send, 200, request_id, CORS_HEADERS, payload, content_type)
                _log(request_id, operation, status, started)
                return
            target = headers.get("x-amz-target")
            # Query services take form posts, and GETs with the parameters in the query string
            # (a presigned GetCallerIdentity, as Vault and the EKS authenticator send).
            if method in ("POST", "GET") and target is None:
                request = _request(scope, headers, body)
                endpoint = _query_endpoint(mounted.query, request)
                if endpoint is not None:
                    result = await endpoint(request, request_id)
                    operation = result.operation
                    status = await _respond(
                        send,
                        result.status,
                        request_id,
                        [*CORS_HEADERS, *result.headers],
                        result.body,
                        b"text/xml",
                    )
                    _log(request_id, operation, status, started)
                    return
            if method != "POST" or target is None:
                raise UnknownOperationException(
                    f"No operation at {quote(method)} {quote(path)}"
                    + ("" if method != "POST" else " without an X-Amz-Target header")
                )
            op = self.cognito.route(target)
            operation = op.name
            params = self.cognito.parse(op, body)
            caller = None
            query: bytes = scope.get("query_string", b"")
            # Most public calls carry no signature at all: no request for SigV4 to look at. (A
            # query that may spell X-Amz-Algorithm percent-encoded goes to is_signed too.)
            if (
                op.signed
                or "authorization" in headers
                or b"X-Amz-Algorithm" in query
                or b"%" in query
            ):
                request = _request(scope, headers, body)
                if op.signed or SigV4Verifier.is_signed(request):
                    caller = await mounted.verifier.verify(request)
            authorize(caller, op.service, op.name, not op.signed, params)
            handler = self.handlers.get(op.name)
            if handler is None:
                raise UnsupportedOperationException(
                    f"{op.name} is not implemented by this server yet."
                )
            ctx = RequestContext(mounted.runtime, request_id, op.name, caller)
            result_value = await handler(ctx, params)
            payload = self.cognito.encode(op, result_value)
            status = await _respond(send, 200, request_id, CORS_HEADERS, payload, CONTENT_TYPE)
        except ServiceError as error:
            status = await self._error(send, request_id, error)
        except StoreBusy as busy:
            status = await self._error(send, request_id, busy_error(request_id, operation, busy))
        except Exception:
            error_log.exception("request %s (%s) failed", request_id, operation)
            status = await self._error(
                send, request_id, InternalFailure("An internal error occurred.")
            )
        _log(request_id, operation, status, started)

    def _require_mounted(self) -> Mounted:
        if self.mounted is None:
            raise InternalFailure("The server is not started.")
        return self.mounted

    async def _error(self, send: Send, request_id: str, error: ServiceError) -> int:
        status, extra, body = self.cognito.encode_error(error)
        return await _respond(send, status, request_id, [*CORS_HEADERS, *extra], body, CONTENT_TYPE)


def busy_error(request_id: str, operation: str, busy: StoreBusy) -> TooManyRequestsError:
    """The answer to a call the store had no time for, logged as one warning line: the cause is
    known (no traceback), and a burst of them must not bury the log."""
    error_log.warning("request %s (%s) refused, the store is busy: %s", request_id, operation, busy)
    return TooManyRequestsError("Too many requests: the store is busy, retry later.")


async def _health() -> tuple[bytes, str]:
    return b'{"status":"ok"}', "application/json"


_PAGES_BUILTIN: dict[str, PageHandler] = {"/health": _health}


def _query_endpoint(
    endpoints: Sequence[QueryEndpoint], request: HttpRequest
) -> QueryEndpoint | None:
    """The Query service that takes this request's ``Action``, if any."""
    if not endpoints:
        return None
    action = form_fields(request).get("Action")
    if not action:
        return None
    # An Action no endpoint knows goes to the first one, which answers InvalidAction in XML.
    return next((e for e in endpoints if e.handles(action)), endpoints[0])


def _request(scope: Scope, headers: dict[str, str], body: bytes) -> HttpRequest:
    return HttpRequest(
        scope["method"],
        _raw_path(scope),
        scope.get("query_string", b"").decode("latin-1"),
        headers,
        body,
    )


def _headers(scope: Scope) -> dict[str, str]:
    raw = scope["headers"]
    if not isinstance(raw, list):  # ASGI allows any iterable
        raw = list(raw)
    out = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}
    if len(out) == len(raw):  # no header repeated: nothing to join
        return out
    out = {}
    for raw_name, raw_value in raw:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    if raw:
        return bytes(raw).split(b"?", 1)[0].decode("latin-1")
    return str(scope["path"])


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise SerializationException(f"Request body is larger than {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    request_id: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    content_type: str | bytes | None,
) -> int:
    out = [(b"x-amzn-requestid", request_id.encode()), *headers]
    if content_type is not None:
        ct = content_type.encode() if isinstance(content_type, str) else content_type
        out.append((b"content-type", ct))
    out.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})
    return status


def _log(request_id: str, operation: str, status: int, started: float) -> None:
    if access_log.isEnabledFor(logging.INFO):
        elapsed = (time.perf_counter() - started) * 1000
        access_log.info("%s %s %d %.1fms", request_id, operation, status, elapsed)
