"""Checking a declared value against the botocore model, as a request's would be checked: the
API's types, lengths, patterns and enums, in its words (``protocol/shapes.py``), with the problem
pinned to the deepest key of the file it can be; and unknown keys, which the API ignores but a file
must not hold (a misspelt key would silently declare nothing)."""

from __future__ import annotations

import difflib
import functools
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from cognitoidentity.server.config.locate import Path
from cognitoidentity.server.config.source import Problem
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.protocol.json_rpc import load_service_model
from cognitoidentity.server.protocol.query import QUERY_ERROR_CODES
from cognitoidentity.server.protocol.shapes import parse_member


@functools.cache
def input_shape(service: str, operation: str) -> StructureShape:
    shape = load_service_model(service).operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def error_code(exc: ServiceError, *, query: bool) -> str:
    """The code the API answers ``exc`` with: under a Query service's name with ``query`` (IAM's
    ``ValidationError`` for the model's ``ValidationException``), else its own."""
    if query:
        return QUERY_ERROR_CODES.get(type(exc), (exc.code, 0))[0]
    return exc.code


def model_problem(
    shape: Shape, value: Any, path: Path, wire_path: str, *, query: bool = False
) -> Problem | None:
    """The first problem the model finds in ``value``, at the deepest key it can be pinned to, in
    the API's words (a Query service's with ``query``: IAM's); or an unknown key (which the API
    would ignore, and a file must not hold)."""
    try:
        parse_member(shape, value, wire_path)
    except ServiceError as exc:
        whole = Problem(path, f"{error_code(exc, query=query)}: {exc}")
    else:
        return _unknown_member(shape, value, path)
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, item in value.items():
            if name not in shape.members:
                return Problem((*path, name), unknown_key(name, list(shape.members)))
            found = model_problem(
                shape.members[name], item, (*path, name), f"{wire_path}.{camel(name)}", query=query
            )
            if found is not None:
                return found
    elif isinstance(shape, MapShape) and isinstance(value, dict) and _nested(shape.value):
        for key, item in value.items():
            found = model_problem(
                shape.value, item, (*path, key), f"{wire_path}.{key}.member", query=query
            )
            if found is not None:
                return found
    elif isinstance(shape, ListShape) and isinstance(value, list) and _nested(shape.member):
        for index, item in enumerate(value):
            found = model_problem(
                shape.member, item, (*path, index), f"{wire_path}.{index + 1}.member", query=query
            )
            if found is not None:
                return found
    return whole


def _nested(shape: Shape) -> bool:
    """Whether the model words problems of ``shape``'s values at their own path (structures and
    collections); those of scalars in a collection are worded at the collection's."""
    return shape.type_name in ("structure", "list", "map")


def _unknown_member(shape: Shape, value: Any, path: Path) -> Problem | None:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for name, item in value.items():
            if name not in shape.members:
                return Problem((*path, name), unknown_key(name, list(shape.members)))
            found = _unknown_member(shape.members[name], item, (*path, name))
            if found is not None:
                return found
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            found = _unknown_member(shape.value, item, (*path, key))
            if found is not None:
                return found
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for index, item in enumerate(value):
            found = _unknown_member(shape.member, item, (*path, index))
            if found is not None:
                return found
    return None


def unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (expected one of: {', '.join(known)})"
    return f"unknown key {key!r}{hint}"


def kind_of(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"
