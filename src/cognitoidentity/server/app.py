"""The ASGI application: the one request pipeline, the same for every service and protocol.

1. request id (``x-amzn-RequestId`` on every answer);
2. CORS: preflight answered here, allow/expose headers on every answer;
3. ``GET`` pages (``/health``, ``/ready``, ``/metrics``, discovery, JWKS);
4. route: the first service (:mod:`.services`) whose wire protocol takes the request (JSON 1.1:
   ``POST`` with ``X-Amz-Target``; Query: an ``Action`` in the form or the query string) names the
   operation;
5. authenticate: SigV4 for signed operations, optional for the public ones;
6. parse and validate the input against the service's model;
7. authorize (:mod:`.authorization`, the one point for every protocol);
8. the operation (a typed coroutine that never sees HTTP);
9. encode the output, or the error, in the service's protocol: every exception becomes an answer
   here, an unexpected one a 500 with no detail (a traceback never reaches the wire);
10. the request counted in the metrics (operation, status, duration), and one access-log line
    (request id, operation, status, duration).

Authentication comes before parsing, as at AWS: an unauthenticated caller learns nothing about the
parameters it sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from cognitoidentity.server.authorization import authorize, client_origin
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
from cognitoidentity.server.logs import access_log, log_request
from cognitoidentity.server.protocol.base import Call, Operation
from cognitoidentity.server.protocol.forms import is_form
from cognitoidentity.server.protocol.json_rpc import CONTENT_TYPE, JsonProtocol
from cognitoidentity.server.protocol.query import QueryProtocol
from cognitoidentity.server.services import Service
from cognitoidentity.server.sigv4 import HttpRequest, SigV4Verifier
from cognitoidentity.server.store import StoreBusy

if TYPE_CHECKING:
    from cognitoidentity.server.metrics import Metrics

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

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
    """A GET page (discovery document, JWKS, readiness): returns the status, the body and its
    content type."""

    async def __call__(self) -> tuple[int, bytes, str]: ...


CONSOLE_PREFIX = "/console"


class ConsoleHandler(Protocol):
    """The web console (:mod:`.console`): answers one request under :data:`CONSOLE_PREFIX`,
    ``x-amzn-RequestId`` included, and returns the status it sent; never raises."""

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, request_id: str
    ) -> int: ...


@dataclass(frozen=True, slots=True)
class Mounted:
    """Everything a started server answers with; built on the server's event loop."""

    runtime: Runtime
    services: Sequence[Service]
    """The AWS services, in the order they are tried (see :mod:`.services`); the first one's
    protocol words the errors of requests that reach no service."""
    pages: Mapping[str, PageHandler] = field(default_factory=dict)
    metrics: Metrics | None = None
    """Where every request is counted; None counts nothing."""
    console: ConsoleHandler | None = None
    """What answers every path under ``/console`` (:mod:`.console`: the web console, or 404 when
    the ``console`` setting is off); None: those paths go through the pipeline like any other."""


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
        self._request_ids = RandomUuids()
        self._targets: dict[str, tuple[Service, JsonProtocol, Operation]] = {}
        self._paths: dict[str, tuple[Service, Operation]] = {}
        self._targets_of: Sequence[Service] | None = None

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
        mounted = self.mounted
        if method == "OPTIONS":
            status = await _respond(send, 200, request_id, PREFLIGHT_HEADERS, b"", None)
            _done(mounted, request_id, "preflight", status, started)
            return
        if mounted is None:
            status, headers, body = JsonProtocol.encode_error(NOT_STARTED)
            await _respond(send, status, request_id, [*CORS_HEADERS, *headers], body, CONTENT_TYPE)
            _done(mounted, request_id, "-", status, started)
            return
        console = mounted.console
        if console is not None and scope["path"].startswith(CONSOLE_PREFIX):
            # The web console is HTML, not an AWS protocol: it answers by itself (its own errors,
            # sign-in and authorization through the same operations), counted as one operation.
            status = await console(scope, receive, send, request_id)
            _done(mounted, request_id, "console", status, started)
            return
        operation = "-"
        # Until a service is chosen, errors are worded by the first one (JSON 1.1).
        protocol = mounted.services[0].protocol
        try:
            limit = mounted.runtime.settings.max_body_bytes
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                # The whole body in one message (every request from our HTTP layer): _read_body's
                # first turn, without its coroutine.
                body = message.get("body", b"")
                if len(body) > limit:
                    raise SerializationException(f"Request body is larger than {limit} bytes.")
            else:
                body = await _read_body(receive, limit, message)
            path: str = scope["path"]
            page = (
                (_PAGES_BUILTIN.get(path) or mounted.pages.get(path)) if method == "GET" else None
            )
            if page is not None:
                operation = path
                status, payload, content_type = await page()
                await _respond(send, status, request_id, CORS_HEADERS, payload, content_type)
                _done(mounted, request_id, operation, status, started)
                return
            fields = _headers(scope)
            services = mounted.services
            if services is not self._targets_of:
                self._targets, self._targets_of = json_targets(services), services
                self._paths = path_routes(services)
            # Most calls are JSON 1.1: their X-Amz-Target names the service and the operation,
            # and most of those are unsigned, so no HttpRequest is built for them.
            request: HttpRequest | None = None
            target = self._targets.get(fields.get("x-amz-target") or "")
            if target is not None and method == "POST":
                service, json_protocol, op = target
                protocol = json_protocol
                operation = op.name
                call: Call | None = None
            else:
                request = _request(scope, fields, body)
                # A POST that no JSON 1.1 or Query service would take (no X-Amz-Target, query
                # string or form body) to a path an operation has: routed by its path alone.
                by_path = (
                    self._paths.get(request.path)
                    if method == "POST"
                    and "x-amz-target" not in fields
                    and not scope.get("query_string")
                    and not is_form(fields)
                    else None
                )
                if by_path is not None:
                    service, op = by_path
                    call = Call(op, body)
                else:
                    routed = _route(services, request)
                    if routed is None:
                        raise UnknownOperationException(
                            f"No operation at {quote(method)} {quote(path)}"
                            + ("" if method != "POST" else " without an X-Amz-Target header")
                        )
                    service, call = routed
                    op = call.operation
                protocol = service.protocol
                operation = op.name
            # Authenticate, parse, authorize and run, in that order for every protocol: a caller
            # that is not authenticated learns nothing about the parameters it sent, and a denial
            # names the resource the parameters name.
            caller = None
            query: bytes = scope.get("query_string", b"")
            # Most public calls carry no signature at all: a look at two places rules it out
            # cheaply, before any HttpRequest is built. (A query that may spell X-Amz-Algorithm
            # percent-encoded goes to is_signed too.)
            if (
                op.signed
                or "authorization" in fields
                or b"X-Amz-Algorithm" in query
                or b"%" in query
            ):
                if request is None:
                    request = _request(scope, fields, body)
                if op.signed or SigV4Verifier.is_signed(request):
                    caller = await service.verifier.verify(request)
            params = json_protocol.parse(op, body) if call is None else protocol.parse_call(call)
            # The connection's origin is a condition key of a caller's session only: without a
            # caller, authorize decides without it.
            source_ip, secure = client_origin(scope) if caller is not None else _NO_ORIGIN
            await authorize(
                caller,
                op.service,
                operation,
                not op.signed,
                params,
                runtime=mounted.runtime,
                source_ip=source_ip,
                secure=secure,
            )
            handler = service.handlers.get(operation)
            if handler is None:
                raise UnsupportedOperationException(
                    f"{operation} is not implemented by this server yet."
                )
            ctx = RequestContext(mounted.runtime, request_id, operation, caller)
            answer = protocol.answer(op, await handler(ctx, params), request_id)
        except Misrouted as misrouted:
            answer = misrouted.service.protocol.answer_error(misrouted.error, request_id)
        except ServiceError as error:
            answer = protocol.answer_error(error, request_id)
        except StoreBusy as busy:
            answer = protocol.answer_error(busy_error(request_id, operation, busy), request_id)
        except Exception:
            # The one place an unexpected exception becomes an answer: a 500 with no detail.
            error_log.exception("request %s (%s) failed", request_id, operation)
            answer = protocol.answer_error(INTERNAL_ERROR, request_id)
        # What _respond sends, inline: every call's answer comes here, and a coroutine less per
        # request counts under load.
        status = answer.status
        body = answer.body
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"x-amzn-requestid", request_id.encode()),
                    *CORS_HEADERS,
                    *answer.headers,
                    (b"content-type", answer.content_type),
                    (b"content-length", b"%d" % len(body)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        _done(mounted, request_id, operation, status, started)


INTERNAL_ERROR = InternalFailure("An internal error occurred.")


class Misrouted(Exception):
    """A request in some service's protocol that names none of its operations: that service's
    error, to be worded in its protocol."""

    def __init__(self, service: Service, error: ServiceError) -> None:
        super().__init__(error.message)
        self.service = service
        self.error = error


NOT_STARTED = InternalFailure("The server is not started.")


def _route(services: Sequence[Service], request: HttpRequest) -> tuple[Service, Call] | None:
    """The service whose protocol routes ``request``, and the call; None when no protocol takes
    it. A request in a protocol that names no operation of any service raises the first such
    service's error (as :class:`Misrouted`, to be worded in its protocol)."""
    unknown: Misrouted | None = None
    for service in services:
        try:
            call = service.protocol.route_request(request)
        except UnknownOperationException as error:
            unknown = unknown or Misrouted(service, error)
            continue
        if call is not None:
            return service, call
    if unknown is not None:
        raise unknown
    return None


def json_targets(
    services: Sequence[Service],
) -> dict[str, tuple[Service, JsonProtocol, Operation]]:
    """``X-Amz-Target`` → the service (and its protocol) and operation :func:`_route` finds for a
    ``POST`` with it: those of the JSON 1.1 services tried before any other protocol (which might
    take the request first)."""
    targets: dict[str, tuple[Service, JsonProtocol, Operation]] = {}
    for service in services:
        protocol = service.protocol
        if not isinstance(protocol, JsonProtocol):
            break
        for name, op in protocol.operations.items():
            targets.setdefault(f"{protocol.target_prefix}.{name}", (service, protocol, op))
    return targets


def path_routes(services: Sequence[Service]) -> dict[str, tuple[Service, Operation]]:
    """A ``POST`` path → the service and operation :func:`_route` finds for a ``POST`` there
    without an X-Amz-Target header, a query string or a form body: the operation paths of the
    services after the JSON 1.1 and Query ones (which take no such request), up to the first
    service of a protocol without operation paths (which might take it first)."""
    routes: dict[str, tuple[Service, Operation]] = {}
    for service in services:
        protocol = service.protocol
        if isinstance(protocol, JsonProtocol | QueryProtocol):
            continue
        paths: Mapping[str, Operation] | None = getattr(protocol, "operation_paths", None)
        if paths is None:
            break
        for path, op in paths.items():
            routes.setdefault(path, (service, op))
    return routes


_NO_ORIGIN: tuple[str | None, bool] = (None, False)


def busy_error(request_id: str, operation: str, busy: StoreBusy) -> TooManyRequestsError:
    """The answer to a call the store had no time for, logged as one warning line: the cause is
    known (no traceback), and a burst of them must not bury the log."""
    error_log.warning("request %s (%s) refused, the store is busy: %s", request_id, operation, busy)
    return TooManyRequestsError("Too many requests: the store is busy, retry later.")


async def _health() -> tuple[int, bytes, str]:
    # Alive: the process answers. Whether it can serve is /ready's question.
    return 200, b'{"status":"ok"}', "application/json"


_PAGES_BUILTIN: dict[str, PageHandler] = {"/health": _health}


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


async def _read_body(receive: Receive, limit: int, first: Message | None = None) -> bytes:
    """The request's body, at most ``limit`` bytes; ``first``: its first message, received."""
    chunks: list[bytes] = []
    size = 0
    message = first
    while True:
        if message is None:
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
        message = None
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


def _done(
    mounted: Mounted | None, request_id: str, operation: str, status: int, started: float
) -> None:
    """Count and log an answered request."""
    elapsed = time.perf_counter() - started
    metrics = mounted.metrics if mounted is not None else None
    if metrics is not None:
        metrics.request(operation, status, elapsed)
    if access_log.isEnabledFor(logging.INFO):  # log_request's test, without its call
        log_request(request_id, operation, status, elapsed)
