"""The parameters of an AWS Query request: form-encoded, in the body or the query string."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl

from cognitoidentity.server.sigv4 import HttpRequest

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"


def form_fields(request: HttpRequest) -> dict[str, str]:
    """The request's parameters: the query string's, then the form body's (which win). Blank
    values are kept: ``Name=`` is how an empty list is sent."""
    fields: dict[str, str] = {}
    if request.query_string:
        fields.update(_pairs(request.query_string))
    if _form_body(request):
        fields.update(_pairs(request.body.decode("utf-8", "replace")))
    return fields


def may_have_fields(request: HttpRequest) -> bool:
    """Whether :func:`form_fields` can find any parameter: a query string, or a form body (a
    protocol that routes on a parameter rules out every other request without parsing)."""
    return bool(request.query_string) or _form_body(request)


def _form_body(request: HttpRequest) -> bool:
    return bool(request.body) and is_form(request.headers)


def is_form(headers: Mapping[str, str]) -> bool:
    """Whether the headers (lower-cased names) declare a form body."""
    return headers.get("content-type", "").lower().startswith(FORM_CONTENT_TYPE)


def _pairs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        out.setdefault(name, value)  # a repeated parameter: the first one counts
    return out
