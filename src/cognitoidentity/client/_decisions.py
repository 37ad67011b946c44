"""Asking the server's decision endpoint (``POST /_cognitoidentity/v1/decisions``) whether a request
your service received, signed with identity-pool credentials, may do what it asks: the AWS_IAM
authorization of API Gateway, for a service of your own.

- :func:`decide` (blocking) and :func:`decide_async` send one question and return a
  :class:`Decision`;
- :class:`DecisionMiddleware` protects an ASGI application (Starlette, FastAPI, ...): every request
  is decided first; a denied one gets API Gateway's refusal (403 and its JSON body), an allowed one
  reaches the application with the caller's identity in ``scope["state"]["identity"]``
  (``request.state.identity`` in Starlette), in API Gateway's ``requestContext.identity`` form.

The call to the endpoint is signed with SigV4 by botocore (service ``cognito-identity``) with your
service's own long-term credentials (by default botocore's credential chain: environment, shared
files, ...). It is sent by botocore's HTTP session, or by an ``httpx.AsyncClient`` you pass
(``http=``), which :func:`decide_async` then uses instead of a worker thread; httpx is not a
dependency of this package.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session
from botocore.session import Session

from cognitoidentity.client._errors import CognitoIdentityError

__all__ = [
    "DECISIONS_PATH",
    "AsyncHttp",
    "Decision",
    "DecisionMiddleware",
    "decide",
    "decide_async",
]

DECISIONS_PATH: Final = "/_cognitoidentity/v1/decisions"
SIGNING_NAME: Final = "cognito-identity"
INTERNAL_ERROR_BODY: Final = b'{"message": "Internal server error"}'
"""What API Gateway answers when its authorizer fails (the middleware fails closed)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpResponse(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...


class AsyncHttp(Protocol):
    """What the endpoint is called with when not botocore: an ``httpx.AsyncClient`` fits."""

    async def post(
        self, url: str, *, content: bytes, headers: Mapping[str, str]
    ) -> HttpResponse: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """The endpoint's answer (its JSON in :attr:`raw`; the README documents every member)."""

    allowed: bool
    outcome: str
    """``allowed``, ``explicitDeny`` or ``implicitDeny``."""
    action: str
    resource: str
    explanation: tuple[str, ...]
    identity: dict[str, Any] | None
    """API Gateway's ``requestContext.identity``: ``cognitoIdentityId``, ``userArn``, ...; None
    when the request was refused before its signer was known."""
    refusal_status: int | None
    refusal_headers: dict[str, str]
    refusal_body: dict[str, Any] | None
    """What API Gateway would answer the client with, for a denial."""
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> Decision:
        refusal = answer.get("Refusal") or {}
        return cls(
            allowed=answer["Decision"] == "Allow",
            outcome=str(answer["Outcome"]),
            action=str(answer["Action"]),
            resource=str(answer["Resource"]),
            explanation=tuple(answer.get("Explanation") or ()),
            identity=answer.get("Identity"),
            refusal_status=refusal.get("Status"),
            refusal_headers=dict(refusal.get("Headers") or {}),
            refusal_body=refusal.get("Body"),
            raw=dict(answer),
        )


def _payload(
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    query: str,
    body: bytes | None,
    body_sha256: str | None,
    action: str | None,
    resource: str | None,
    source_ip: str | None,
    secure: bool | None,
    signing_name: str | None,
    api_id: str | None,
    stage: str | None,
) -> bytes:
    request: dict[str, Any] = {"Method": method, "Path": path, "Headers": dict(headers)}
    if query:
        request["Query"] = query
    if body_sha256 is not None:
        request["BodySha256"] = body_sha256
    elif body:
        request["BodySha256"] = hashlib.sha256(body).hexdigest()
    document: dict[str, Any] = {"Request": request}
    for name, value in (
        ("Action", action),
        ("Resource", resource),
        ("SourceIp", source_ip),
        ("SecureTransport", secure),
        ("SigningName", signing_name),
        ("ApiId", api_id),
        ("Stage", stage),
    ):
        if value is not None:
            document[name] = value
    return json.dumps(document).encode()


def _signed(
    endpoint: str, payload: bytes, region: str, credentials: Credentials | None
) -> AWSRequest:
    credentials = credentials or Session().get_credentials()
    if credentials is None:
        raise ValueError("no credentials to sign the call to the decision endpoint with")
    request = AWSRequest(
        method="POST",
        url=endpoint.rstrip("/") + DECISIONS_PATH,
        data=payload,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(credentials, SIGNING_NAME, region).add_auth(request)
    return request


def _decision(status: int, content: bytes) -> Decision:
    try:
        answer = json.loads(content)
    except ValueError:
        answer = None
    if status == 200 and isinstance(answer, dict):
        return Decision.from_answer(answer)
    body = answer if isinstance(answer, dict) else {}
    code = str(body.get("__type") or "UnknownError")
    message = str(body.get("message") or body.get("Message") or content[:200].decode("replace"))
    raise CognitoIdentityError(
        message, code=code, status_code=status, error_response=body, operation="Decide"
    )


def decide(
    endpoint: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    region: str,
    query: str = "",
    body: bytes | None = None,
    body_sha256: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    source_ip: str | None = None,
    secure: bool | None = None,
    signing_name: str | None = None,
    api_id: str | None = None,
    stage: str | None = None,
    credentials: Credentials | None = None,
) -> Decision:
    """Ask ``endpoint`` (the server's base URL) about a request your service received: its
    ``method``, raw ``path`` and ``query`` (still percent-encoded), ``headers`` (as received,
    ``Authorization`` and ``X-Amz-*`` included) and ``body`` (sent as its SHA-256 only; or give
    ``body_sha256``). ``action`` and ``resource`` default to API Gateway's (``execute-api:Invoke``
    on ``arn:aws:execute-api:<region>:<account>:<api_id>/<stage>/<METHOD>/<path>``);
    ``signing_name``, the service the client signed for, to
    ``execute-api``. Raises :class:`~cognitoidentity.CognitoIdentityError` when the endpoint
    refuses the call itself (bad input, your credentials)."""
    payload = _payload(
        method,
        path,
        headers,
        query=query,
        body=body,
        body_sha256=body_sha256,
        action=action,
        resource=resource,
        source_ip=source_ip,
        secure=secure,
        signing_name=signing_name,
        api_id=api_id,
        stage=stage,
    )
    request = _signed(endpoint, payload, region, credentials)
    response = URLLib3Session().send(request.prepare())
    return _decision(response.status_code, response.content)


async def decide_async(
    endpoint: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    region: str,
    http: AsyncHttp | None = None,
    query: str = "",
    body: bytes | None = None,
    body_sha256: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    source_ip: str | None = None,
    secure: bool | None = None,
    signing_name: str | None = None,
    api_id: str | None = None,
    stage: str | None = None,
    credentials: Credentials | None = None,
) -> Decision:
    """:func:`decide` for an event loop: through ``http`` when given, else in a worker thread."""
    if http is None:
        return await asyncio.to_thread(
            decide,
            endpoint,
            method,
            path,
            headers,
            region=region,
            query=query,
            body=body,
            body_sha256=body_sha256,
            action=action,
            resource=resource,
            source_ip=source_ip,
            secure=secure,
            signing_name=signing_name,
            api_id=api_id,
            stage=stage,
            credentials=credentials,
        )
    payload = _payload(
        method,
        path,
        headers,
        query=query,
        body=body,
        body_sha256=body_sha256,
        action=action,
        resource=resource,
        source_ip=source_ip,
        secure=secure,
        signing_name=signing_name,
        api_id=api_id,
        stage=stage,
    )
    request = _signed(endpoint, payload, region, credentials)
    url = endpoint.rstrip("/") + DECISIONS_PATH
    response = await http.post(url, content=payload, headers=dict(request.headers.items()))
    return _decision(response.status_code, response.content)


class DecisionMiddleware:
    """Pure ASGI middleware: every HTTP request is decided by the decision endpoint before the
    application sees it (see the module's docstring).

    ``action``: the IAM action every request stands for, or a function of the ASGI scope
    (default ``execute-api:Invoke``); ``resource`` likewise (default: API Gateway's ARN for the
    request, with ``api_id`` and ``stage`` in it, ``local`` and ``$default`` unless given). ``source_ip``
    comes from the connection (``scope["client"]``): behind a proxy, the proxy's address.
    ``http``: an ``httpx.AsyncClient`` to call the endpoint
    with. The body is read whole before the decision (its hash is signed), then replayed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        endpoint: str,
        region: str,
        action: str | Callable[[Scope], str] | None = None,
        resource: str | Callable[[Scope], str] | None = None,
        api_id: str | None = None,
        stage: str | None = None,
        signing_name: str | None = None,
        credentials: Credentials | None = None,
        http: AsyncHttp | None = None,
    ) -> None:
        self.app = app
        self._endpoint = endpoint
        self._region = region
        self._action = action
        self._resource = resource
        self._api = (api_id, stage)
        self._signing_name = signing_name
        self._credentials = credentials
        self._http = http

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        try:
            decision = await self._decide(scope, body)
        except Exception:
            # Fail closed: no answer from the endpoint is no permission.
            await _respond(
                send, 500, {"x-amzn-ErrorType": "InternalServerErrorException"}, INTERNAL_ERROR_BODY
            )
            return
        if not decision.allowed:
            status = decision.refusal_status or 403
            payload = json.dumps(decision.refusal_body or {"message": "Forbidden"}).encode()
            await _respond(send, status, decision.refusal_headers, payload)
            return
        scope.setdefault("state", {})["identity"] = decision.identity
        scope["state"]["decision"] = decision
        await self.app(scope, _replay(body, receive), send)

    async def _decide(self, scope: Scope, body: bytes) -> Decision:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        client = scope.get("client")
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1").split("?", 1)[0] if raw_path else scope["path"]
        api_id, stage = self._api
        return await decide_async(
            self._endpoint,
            scope["method"],
            path,
            headers,
            region=self._region,
            http=self._http,
            query=scope.get("query_string", b"").decode("latin-1"),
            body=body,
            action=self._action(scope) if callable(self._action) else self._action,
            resource=self._resource(scope) if callable(self._resource) else self._resource,
            source_ip=str(client[0]) if client else None,
            secure=scope.get("scheme") == "https",
            signing_name=self._signing_name,
            api_id=api_id,
            stage=stage,
            credentials=self._credentials,
        )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the application the body already read, then defers to the
    server's (for ``http.disconnect``)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _respond(send: Send, status: int, headers: Mapping[str, str], body: bytes) -> None:
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
