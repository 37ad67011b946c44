"""Shape-driven input parsing and validation, output serialization. Knows shapes, no service.

Input goes through two passes, as in AWS's front end: first the JSON types are checked against the
shapes (a mismatch is a ``SerializationException``), then the model's constraints (required members,
lengths, patterns, ranges, enums) are collected into one ``ValidationException`` whose message follows
Coral's format::

    1 validation error detected: Value null at 'identityPoolName' failed to satisfy constraint:
    Member must not be null

Member paths use camelCase names, as the real service does (``'logins'``, ``'roles.authenticated'``).

Both passes are generic walks of the shapes, which cost more than the rest of a simple request. So
each input shape is also compiled, once, into a checker of nested closures (:func:`_checker`) that
coerces a valid body in one pass and gives up at the first thing it does not expect: a wrong type,
a broken constraint, a missing member. Only then do the generic passes run, to word the errors.
Outputs get the same treatment (:func:`_writer`): only members that can hold a timestamp are
walked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import regex
from botocore.model import ListShape, MapShape, Shape, StringShape, StructureShape

from cognitoidentity.server.errors import SerializationException, ValidationException, quote

_JSON_KIND = {
    str: "STRING_VALUE",
    bool: "BOOLEAN_VALUE",
    int: "NUMBER_VALUE",
    float: "NUMBER_VALUE",
    dict: "START_OBJECT",
    list: "START_ARRAY",
}

_TARGET = {
    "string": "String",
    "boolean": "Boolean",
    "integer": "Integer",
    "long": "Long",
    "timestamp": "Date",
    "structure": "Structure",
    "map": "Map",
    "list": "List",
    "double": "Double",
    "float": "Float",
    "blob": "Blob",
}


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


@lru_cache(maxsize=256)
def _pattern(source: str) -> re.Pattern[str] | regex.Pattern[str]:
    # The models' patterns are Java regexes used with matches(): whole-string, ASCII \w and \s.
    # The standard library takes most of them; only Unicode classes (\p{L}...) need ``regex``,
    # which releases the GIL while matching and so stalls behind the store's writer thread.
    try:
        return re.compile(source, re.ASCII)
    except re.error:
        return regex.compile(source, regex.ASCII | regex.V0)


def _kind(value: Any) -> str:
    return _JSON_KIND.get(type(value), "VALUE")


def _mismatch(value: Any, shape: Shape) -> SerializationException:
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected")
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    return SerializationException(
        f"{_kind(value)} can not be converted to {_TARGET.get(shape.type_name, shape.type_name)}"
    )


def parse(shape: StructureShape | None, body: Any) -> dict[str, Any]:
    """Type-check ``body`` against ``shape`` and validate constraints; return the parameters with
    nulls dropped. Raises SerializationException or ValidationException."""
    if not isinstance(body, dict):
        raise SerializationException(
            "Start of list found where not expected"
            if isinstance(body, list)
            else "Request body must be a JSON object"
        )
    if shape is None:
        return {}
    try:
        checked: dict[str, Any] = _checker(shape)(body)
        return checked
    except _Unexpected:
        pass  # the generic passes below word the error (or, at worst, accept what it refused)
    params = _coerce_structure(shape, body)
    problems = constraint_problems(shape, params)
    if problems:
        raise ValidationException(validation_message(problems))
    return params


def parser(shape: StructureShape | None) -> Callable[[Any], dict[str, Any]]:
    """:func:`parse` for one input shape, its compiled checker looked up once (a protocol keeps
    one per operation)."""
    if shape is None:
        return lambda body: parse(None, body)
    check = _checker(shape)

    def parse_input(body: Any) -> dict[str, Any]:
        if type(body) is dict:
            try:
                checked: dict[str, Any] = check(body)
                return checked
            except _Unexpected:
                pass
        return parse(shape, body)  # which words the error (or, at worst, accepts it)

    return parse_input


def serializer(shape: Shape | None) -> Callable[[Any], Any]:
    """:func:`serialize` for one output shape, its writer looked up once."""
    if shape is None:
        return lambda value: {}
    write = _writer(shape)
    return lambda value: {} if value is None else write(value)


def parse_member(shape: Shape, value: Any, path: str) -> Any:
    """:func:`parse` for one member's value at ``path`` (its camelCase wire path, which the
    messages name), of any shape: for callers that check input piece by piece, such as a file of
    declared resources (``server/config``), so that an error can be told apart by member."""
    coerced = _coerce(shape, value)
    problems: list[str] = []
    _validate(shape, coerced, path, problems, in_collection=False)
    if problems:
        raise ValidationException(validation_message(problems))
    return coerced


def constraint_problems(shape: StructureShape, params: Mapping[str, Any]) -> list[str]:
    """The model's constraints that typed ``params`` (nulls dropped) violate, each worded as Coral
    words it; shared by every protocol."""
    problems: list[str] = []
    _validate(shape, params, "", problems, in_collection=False)
    return problems


MAX_LISTED_PROBLEMS = 10
"""A validation message counts every problem but words only the first few: a list of thousands
of bad items would otherwise make a message as long as the request."""


def validation_message(problems: list[str]) -> str:
    """``N validation error(s) detected: ...``, the message of a validation error."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
    more = count - MAX_LISTED_PROBLEMS
    return f"{count} validation {noun} detected: {listed}" + (
        f"; and {more} more" if more > 0 else ""
    )


def quoted_value(shape: Shape, value: Any) -> str:
    """How a validation problem names the value it refuses: ``Value '<value>'``, at most
    :data:`~cognitoidentity.server.errors.MAX_QUOTED_CHARS` characters of it; and for a value
    the model marks sensitive (a login token, a secret), or a collection holding one, only
    ``Value``, as AWS words problems with passwords: a message never carries a credential."""
    if _has_sensitive(shape):
        return "Value"
    return f"Value '{quote(_render(value))}'"


@lru_cache(maxsize=1024)
def _has_sensitive(shape: Shape) -> bool:
    """Whether ``shape`` or anything it can hold is marked ``sensitive`` (cached per shape)."""
    return _reaches(shape, lambda s: bool(s.metadata.get("sensitive")), set())


def _reaches(shape: Shape, found: Callable[[Shape], bool], seen: set[str]) -> bool:
    """Whether ``found`` holds for ``shape`` or any shape it can hold (map keys included)."""
    if found(shape):
        return True
    if shape.name in seen:
        return False
    seen.add(shape.name)
    if isinstance(shape, StructureShape):
        return any(_reaches(m, found, seen) for m in shape.members.values())
    if isinstance(shape, ListShape):
        return _reaches(shape.member, found, seen)
    if isinstance(shape, MapShape):
        return _reaches(shape.key, found, seen) or _reaches(shape.value, found, seen)
    return False


def _coerce(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _mismatch(value, shape)
        assert isinstance(shape, StructureShape)
        return _coerce_structure(shape, value)
    if kind == "map":
        if not isinstance(value, dict):
            raise _mismatch(value, shape)
        assert isinstance(shape, MapShape)
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            out[key] = _coerce(shape.value, item)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise _mismatch(value, shape)
        assert isinstance(shape, ListShape)
        return [_coerce(shape.member, item) for item in value if item is not None]
    if kind == "string":
        if not isinstance(value, str):
            raise _mismatch(value, shape)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _mismatch(value, shape)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(value, shape)
        if isinstance(value, float) and not value.is_integer():
            raise _mismatch(value, shape)
        return int(value)
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(value, shape)
        return float(value)
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(value, shape)
        return datetime.fromtimestamp(value, UTC)
    raise _mismatch(value, shape)


def _coerce_structure(shape: StructureShape, body: Mapping[str, Any]) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, value in body.items():
        member = members.get(name)
        if member is None or value is None:
            continue  # unknown members are ignored, as by the real front end
        out[name] = _coerce(member, value)
    return out


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render_inner(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render_inner(v) for v in value) + "]"
    return str(value)


def _render_inner(value: Any) -> str:
    return _render(value)


def _scalar_problems(shape: Shape, value: Any) -> list[str]:
    """Constraint violations of one scalar/collection value, as Coral words them."""
    meta = shape.metadata
    found: list[str] = []
    kind = shape.type_name
    if kind in ("string", "list", "map"):
        size = len(value)
        if "max" in meta and size > meta["max"]:
            found.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and size < meta["min"]:
            found.append(f"Member must have length greater than or equal to {meta['min']}")
    if kind == "string":
        pattern = meta.get("pattern")
        if pattern and not _pattern(pattern).fullmatch(value):
            found.append(f"Member must satisfy regular expression pattern: {pattern}")
        enum = shape.enum if isinstance(shape, StringShape) else None
        if enum and value not in enum:
            found.append(f"Member must satisfy enum value set: [{', '.join(enum)}]")
    if kind in ("integer", "long"):
        if "max" in meta and value > meta["max"]:
            found.append(f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            found.append(f"Member must have value greater than or equal to {meta['min']}")
    return found


def _validate(
    shape: Shape, value: Any, path: str, problems: list[str], *, in_collection: bool
) -> None:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        for name in shape.required_members:
            if name not in value:
                where = f"{path}.{_camel(name)}" if path else _camel(name)
                problems.append(
                    f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
                )
        for name, member_value in value.items():
            where = f"{path}.{_camel(name)}" if path else _camel(name)
            _validate(shape.members[name], member_value, where, problems, in_collection=False)
        return
    own = _scalar_problems(shape, value)
    for problem in own:
        problems.append(
            f"{quoted_value(shape, value)} at '{path}' failed to satisfy constraint: {problem}"
        )
    if kind == "map":
        assert isinstance(shape, MapShape)
        key_problems: list[str] = []
        value_problems: list[str] = []
        for key, item in value.items():
            key_problems += [p for p in _scalar_problems(shape.key, key) if p not in key_problems]
            if shape.value.type_name in ("structure", "list", "map"):
                _validate(shape.value, item, f"{path}.{key}.member", problems, in_collection=True)
            else:
                value_problems += [
                    p for p in _scalar_problems(shape.value, item) if p not in value_problems
                ]
        if key_problems:
            problems.append(
                f"{quoted_value(shape, value)} at '{path}' failed to satisfy constraint: "
                f"Map keys must satisfy constraint: [{', '.join(key_problems)}]"
            )
        if value_problems:
            problems.append(
                f"{quoted_value(shape, value)} at '{path}' failed to satisfy constraint: "
                f"Map value must satisfy constraint: [{', '.join(value_problems)}]"
            )
    elif kind == "list":
        assert isinstance(shape, ListShape)
        member_problems: list[str] = []
        for index, item in enumerate(value, start=1):
            if shape.member.type_name in ("structure", "list", "map"):
                _validate(
                    shape.member, item, f"{path}.{index}.member", problems, in_collection=True
                )
            else:
                member_problems += [
                    p for p in _scalar_problems(shape.member, item) if p not in member_problems
                ]
        if member_problems:
            problems.append(
                f"{quoted_value(shape, value)} at '{path}' failed to satisfy constraint: "
                f"Member must satisfy constraint: [{', '.join(member_problems)}]"
            )


def serialize(shape: Shape | None, value: Any) -> Any:
    """Turn an operation's output into JSON-ready data: timestamps as epoch seconds (numbers, as
    every SDK including paws requires), absent members omitted."""
    if shape is None or value is None:
        return {}
    # Without timestamps, the writer is the identity: operations build outputs of plain JSON
    # values already.
    return _writer(shape)(value)


@lru_cache(maxsize=1024)
def _has_timestamps(shape: Shape) -> bool:
    """Whether a timestamp can occur anywhere in ``shape`` (cached per shape object)."""
    return _reaches(shape, lambda s: s.type_name == "timestamp", set())


def _out(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        members = shape.members
        return {k: _out(members[k], v) for k, v in value.items() if v is not None and k in members}
    if kind == "map":
        assert isinstance(shape, MapShape)
        return {k: _out(shape.value, v) for k, v in value.items()}
    if kind == "list":
        assert isinstance(shape, ListShape)
        return [_out(shape.member, v) for v in value]
    if kind == "timestamp":
        return _epoch(value)
    return value


# --- compiled shapes: the fast path -----------------------------------------------------------


class _Unexpected(Exception):
    """The compiled checker met something a valid body does not hold: the generic passes decide.

    Raised as a new instance each time: a shared instance keeps every traceback it was raised
    with (each raise links the new frames onto the old chain), and with them every frame's
    locals, the request bodies included, for the life of the process."""


Check = Callable[[Any], Any]


def _bounds(meta: Mapping[str, Any]) -> tuple[int, float]:
    """A size's bounds, ``min`` and ``max`` (none: 0 and infinity), compared inline by the
    checkers (``low <= size <= high``) rather than through a call."""
    return meta.get("min", 0), meta.get("max", float("inf"))


def _plain_string_bounds(shape: Shape) -> tuple[int, float] | None:
    """A string shape's bounds when they are all it checks (no pattern, no enum); else None."""
    if shape.type_name != "string":
        return None
    meta = shape.metadata
    if meta.get("pattern") or (isinstance(shape, StringShape) and shape.enum):
        return None
    return _bounds(meta)


@lru_cache(maxsize=2048)
def _checker(shape: Shape) -> Check:
    """Coerce and check ``value`` against ``shape`` as :func:`_coerce` and :func:`_validate` would,
    raising :class:`_Unexpected` wherever they would find a problem."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        member_shapes = shape.members
        # Each member's checker, compiled when first needed (models may be recursive): one
        # dict look per member, rather than a call through a lazy wrapper.
        members: dict[str, Check] = {}
        required = tuple(shape.required_members)

        def structure(value: Any) -> Any:
            if type(value) is not dict:
                raise _Unexpected
            out = {}
            for name, item in value.items():
                if item is None:
                    continue
                check = members.get(name)
                if check is None:
                    member = member_shapes.get(name)
                    if member is None:
                        continue  # unknown members are ignored
                    check = members[name] = _checker(member)
                out[name] = check(item)
            for name in required:
                if name not in out:
                    raise _Unexpected
            return out

        return structure
    if kind == "map":
        assert isinstance(shape, MapShape)
        low, high = _bounds(meta)
        key_bounds = _plain_string_bounds(shape.key)
        value_bounds = _plain_string_bounds(shape.value)
        if key_bounds is not None and value_bounds is not None:
            # Headers, tags, attribute maps: strings with bounds only on both sides, checked
            # inline (two calls fewer per entry).
            key_low, key_high = key_bounds
            value_low, value_high = value_bounds

            def plain_map(value: Any) -> Any:
                if type(value) is not dict:
                    raise _Unexpected
                out = {}
                for key, item in value.items():
                    if type(key) is not str or not key_low <= len(key) <= key_high:
                        raise _Unexpected
                    if item is not None:
                        if type(item) is not str or not value_low <= len(item) <= value_high:
                            raise _Unexpected
                        out[key] = item
                if not low <= len(out) <= high:
                    raise _Unexpected
                return out

            return plain_map
        key_check = _checker(shape.key)
        value_shape = shape.value
        # Compiled on first use (models may be recursive), then called without a wrapper.
        value_check: Check | None = None

        def map_(value: Any) -> Any:
            nonlocal value_check
            if type(value) is not dict:
                raise _Unexpected
            check = value_check
            if check is None:
                check = value_check = _checker(value_shape)
            out = {}
            for key, item in value.items():
                key_check(key)
                if item is not None:
                    out[key] = check(item)
            if not low <= len(out) <= high:  # counted without nulls, as the generic pass does
                raise _Unexpected
            return out

        return map_
    if kind == "list":
        assert isinstance(shape, ListShape)
        low, high = _bounds(meta)
        member_shape = shape.member
        member_check: Check | None = None  # compiled on first use, as a map's values

        def list_(value: Any) -> Any:
            nonlocal member_check
            if type(value) is not list:
                raise _Unexpected
            check = member_check
            if check is None:
                check = member_check = _checker(member_shape)
            out = [check(item) for item in value if item is not None]
            if not low <= len(out) <= high:
                raise _Unexpected
            return out

        return list_
    if kind == "string":
        low, high = _bounds(meta)
        pattern = _pattern(meta["pattern"]).fullmatch if meta.get("pattern") else None
        enum = frozenset(shape.enum) if isinstance(shape, StringShape) and shape.enum else None
        if pattern is None and enum is None:

            def plain_string(value: Any) -> Any:
                # Most strings have bounds only: their check, without the other two tests.
                if type(value) is not str or not low <= len(value) <= high:
                    raise _Unexpected
                return value

            return plain_string

        def string(value: Any) -> Any:
            if (
                type(value) is not str
                or not low <= len(value) <= high
                or (pattern is not None and pattern(value) is None)
                or (enum is not None and value not in enum)
            ):
                raise _Unexpected
            return value

        return string
    if kind == "boolean":

        def boolean(value: Any) -> Any:
            if type(value) is not bool:
                raise _Unexpected
            return value

        return boolean
    if kind in ("integer", "long"):
        least, most = meta.get("min"), meta.get("max")

        def integer(value: Any) -> Any:
            if type(value) is not int:
                raise _Unexpected  # floats too: the generic pass knows which are whole numbers
            if (least is not None and value < least) or (most is not None and value > most):
                raise _Unexpected
            return value

        return integer

    def other(value: Any) -> Any:
        raise _Unexpected  # doubles, timestamps, blobs: rare in requests, left to the generic pass

    return other


def _identity(value: Any) -> Any:
    return value


def _member_writer(shape: Shape) -> Check | None:
    """How a member of ``shape`` is written: None as it is (a scalar without a timestamp)."""
    if _has_timestamps(shape):
        return _writer(shape)
    if shape.type_name in ("structure", "list", "map"):
        return lambda value: _out(shape, value)  # drops nulls inside, as the generic walk does
    return None


@lru_cache(maxsize=2048)
def _writer(shape: Shape) -> Check:
    """:func:`_out` for ``shape``, walking only into members that may hold a timestamp."""
    if not _has_timestamps(shape):
        return _identity
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        member_shapes = shape.members
        # None: written as it is; else a writer, compiled when first needed (see _checker).
        members: dict[str, Check | None] = {}

        def structure(value: Any) -> Any:
            out = {}
            for name, item in value.items():
                if item is None:
                    continue
                if name in members:
                    write = members[name]
                else:
                    member = member_shapes.get(name)
                    if member is None:
                        continue  # not in the model: left out
                    write = members[name] = _member_writer(member)
                out[name] = item if write is None else write(item)
            return out

        return structure
    if kind == "timestamp":
        return _epoch
    # Lists and maps of timestamped values are rare in outputs: the generic walk does them.
    return lambda value: _out(shape, value)


def _epoch(value: Any) -> Any:
    # The datetime written last and its number: the same object comes again while answers
    # carry a time made once per second (credentials' Expiration, CredentialVault.times), and
    # timestamp() is the costly part. Kept by reference, so `is` never matches another
    # datetime (an immutable one; the memo is of a pure function).
    global _last_epoch
    last = _last_epoch
    if value is last[0]:
        return last[1]
    assert isinstance(value, datetime)
    seconds = value.timestamp()
    written = int(seconds) if seconds.is_integer() else round(seconds, 3)
    _last_epoch = (value, written)
    return written


_last_epoch: tuple[object, float] = (object(), 0)  # a first value nothing written can be
