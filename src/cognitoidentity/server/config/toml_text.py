"""Writing TOML: the standard library reads it (``tomllib``) but has no writer, and what a dump
needs is small: tables, arrays of tables, strings, booleans, numbers, arrays and inline tables.
The text is read back with ``tomllib`` before it is handed out, so a dump is always a file that
loads as the data it was made from."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Collection, Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_INLINE_WIDTH = 80
"""The longest inline table (``{ a = "b" }``) written on its key's line; longer ones are tables."""


def toml_document(
    data: Mapping[str, Any], *, arrays_of_tables: Collection[str], header: str = ""
) -> str:
    """``data`` as TOML, with the lists of tables under the keys ``arrays_of_tables`` written as
    ``[[...]]`` sections, and ``header`` (comment lines) first."""
    lines: list[str] = [f"# {line}".rstrip() for line in header.splitlines()]
    _table(lines, (), data, arrays_of_tables, array_item=False)
    text = "\n".join(lines).strip("\n") + "\n"
    if tomllib.loads(text) != data:
        raise AssertionError("the TOML written does not read back as the data it was made from")
    return text


def _table(
    lines: list[str],
    path: tuple[str, ...],
    table: Mapping[str, Any],
    arrays_of_tables: Collection[str],
    *,
    array_item: bool,
) -> None:
    inline: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    arrays: list[tuple[str, list[Mapping[str, Any]]]] = []
    for key, value in table.items():
        if (
            key in arrays_of_tables
            and isinstance(value, list)
            and value
            and all(isinstance(item, dict) for item in value)
        ):
            arrays.append((key, value))
        elif isinstance(value, dict) and not _fits_inline(value):
            tables.append((key, value))
        else:
            inline.append(f"{_key(key)} = {_value(value)}")
    if array_item:
        lines += ["", f"[[{_dotted(path)}]]"]
    elif inline and path:
        lines += ["", f"[{_dotted(path)}]"]
    lines += inline
    for key, sub in tables:
        _table(lines, (*path, key), sub, arrays_of_tables, array_item=False)
    for key, items in arrays:
        for item in items:
            _table(lines, (*path, key), item, arrays_of_tables, array_item=True)


def _fits_inline(value: Mapping[str, Any]) -> bool:
    text = _value(value)
    return len(text) <= _INLINE_WIDTH and "\n" not in text


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _basic(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # Python's float syntax is TOML's, inf and nan included
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        items = [_value(item) for item in value]
        one_line = "[" + ", ".join(items) + "]"
        if not any(isinstance(item, dict) for item in value) and len(one_line) <= _INLINE_WIDTH:
            return one_line
        return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _string(text: str) -> str:
    """A multi-line literal string for text of several lines (SAML metadata) when it can be one,
    else a basic string."""
    literal = (
        "\n" in text
        and "'''" not in text
        and not text.endswith("'")
        and all(char in "\n\t" or (char >= " " and char != "\x7f") for char in text)
    )
    return f"'''\n{text}'''" if literal else _basic(text)


def _basic(text: str) -> str:
    # JSON's escapes are TOML's, except that TOML also refuses DEL unescaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
