"""The console's HTTP: the request as pages read it, the answer they give, and the headers every
answer carries.

Every answer carries :data:`SECURITY_HEADERS`: a Content-Security-Policy that allows scripts,
styles and images from the console's own origin only and no inline script or style at all (the
console has no script), that forbids framing and sends forms only to itself;
``X-Content-Type-Options: nosniff``; a referrer for the console's own pages only (URLs hold pool
and identity ids; ``no-referrer`` would make browsers send ``Origin: null`` with the console's own
forms, which :func:`same_origin` refuses); and no caching of pages (they show an account's
data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, quote, urlsplit

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
NO_STORE: Final = (b"cache-control", b"no-store")
HTML: Final = "text/html; charset=utf-8"
MAX_FORM_FIELDS: Final = 2_000
"""Fields a form may send; the largest console form (role mappings) has a few hundred."""


class BadRequest(Exception):
    """A request the console cannot read (a body too large, a form that is not one)."""


@dataclass(slots=True)
class Form:
    """A form's fields: each name with its values in order."""

    fields: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        return list(self.fields.get(name, ()))

    def checked(self, name: str) -> bool:
        """A checkbox: sent (with any value) when checked, absent when not."""
        return name in self.fields


def parse_form(body: bytes) -> Form:
    """An ``application/x-www-form-urlencoded`` body."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("The form could not be read.") from exc
    form = Form()
    for name, value in pairs:
        form.fields.setdefault(name, []).append(value)
    return form


@dataclass(slots=True)
class Request:
    """What a page gets: the method, the path under the console, the query, the form (POST),
    the cookies, and the parts of the path its route captured."""

    method: str
    path: str
    query: Form
    form: Form
    cookies: Mapping[str, str]
    headers: Mapping[str, str]
    secure: bool
    """Whether the browser reached the server over HTTPS (then cookies are ``Secure``)."""
    source_ip: str | None
    request_id: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = HTML
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


def redirect(location: str, status: int = 303) -> Response:
    """See Other: after a form is handled (so reloading does not send it again), or to sign-in."""
    return Response(status, b"", None, [(b"location", location.encode("latin-1"))])


def url_path(*parts: str) -> str:
    """A console URL from path segments, each percent-encoded (``:`` of pool ids kept)."""
    return "/console/" + "/".join(quote(part, safe=":") for part in parts)


def same_origin(headers: Mapping[str, str]) -> bool:
    """Whether a POST's ``Origin`` (or, without one, its ``Referer``) is the host it was sent
    to. Neither header: allowed (the CSRF token still decides); browsers send ``Origin`` with
    every form POST."""
    origin = headers.get("origin") or headers.get("referer")
    if not origin:
        return True
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


def parse_cookies(header: str) -> dict[str, str]:
    """The ``Cookie`` header's pairs (the first of a name wins, as the more specific path's)."""
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in out:
            out[name] = value.strip().strip('"')
    return out


def headers_of(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in out:  # a repeated header: joined, cookies as one Cookie header would be
            value = f"{out[name]}{'; ' if name == 'cookie' else ','}{value}"
        out[name] = value
    return out


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BadRequest(f"The request is larger than {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def send_response(send: Send, response: Response, request_id: str) -> int:
    headers = [(b"x-amzn-requestid", request_id.encode()), *SECURITY_HEADERS, *response.headers]
    if response.content_type is not None:
        headers.append((b"content-type", response.content_type.encode()))
    if not any(name == b"cache-control" for name, _ in response.headers):
        headers.append(NO_STORE)
    headers.append((b"content-length", b"%d" % len(response.body)))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
    return response.status
