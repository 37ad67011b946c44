"""Policy variables: ``${key}`` placeholders in Resource and condition values.

IAM User Guide, "IAM policy elements: Variables and tags": "Instead of creating individual
policies for each user, you can use policy variables and create a single policy that applies to
multiple users." Variables are recognised only in ``Version: 2012-10-17`` documents ("Policy
variables are not supported in the 2008-10-17 version ... they are treated as literal strings").

A string is compiled once into a :class:`Template`: a tuple of pieces, each either text in which
``*`` and ``?`` keep their wildcard meaning, literal text (the escapes ``${*}``, ``${?}``,
``${$}``, and resolved variable values), or a variable reference. Rendering a template against a
request context returns the pieces with every variable resolved, or ``None`` when a variable's key
is absent and no default is given: "If the request doesn't contain a value for the key ... the
element doesn't match" (the Resource then matches nothing; a positive operator does not match, a
negated one does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias

__all__ = [
    "ESCAPES",
    "Context",
    "Piece",
    "Template",
    "Variable",
    "compile_template",
    "render",
    "render_text",
    "resolve",
]

ESCAPES: Final = {"*": "*", "?": "?", "$": "$"}
"""``${*}``, ``${?}`` and ``${$}``: "special characters ... that you use as part of a string that
is not a variable" (the User Guide's "Special characters" table)."""

Context: TypeAlias = Mapping[str, "str | tuple[str, ...]"]
"""A request context after the engine folded its keys to lower case and its values to a string or
a tuple of strings."""

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
# "${aws:PrincipalTag/team, 'company-wide'}": the key, a comma, (one) space, a quoted literal.
_WITH_DEFAULT = re.compile(r"\s*([^,]*?)\s*,\s*'([^']*)'\s*", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Variable:
    """A ``${key}`` or ``${key, 'default'}`` reference."""

    key: str
    """The key as spelled in the policy."""
    key_lower: str
    default: str | None


Piece: TypeAlias = "tuple[bool, str] | Variable"
"""``(True, text)``: text whose ``*``/``?`` are wildcards where the operator has them;
``(False, text)``: literal text; or a :class:`Variable`."""


@dataclass(frozen=True, slots=True)
class Template:
    """A string compiled for substitution."""

    text: str
    """As written in the policy."""
    pieces: tuple[Piece, ...]
    variables: tuple[Variable, ...]
    """The references it holds, in order (empty: a plain string)."""
    static: str
    """With no variables, the string it stands for (escapes resolved); else ``text``."""


def compile_template(text: str, *, variables: bool) -> Template:
    """Split ``text`` into pieces; with ``variables`` False (2008-10-17, or an element where
    variables are not recognised) the whole string is wildcard-capable text."""
    if not variables or "${" not in text:
        return Template(text, ((True, text),) if text else (), (), text)
    pieces: list[Piece] = []
    refs: list[Variable] = []
    position = 0
    for found in _REFERENCE.finditer(text):
        if found.start() > position:
            pieces.append((True, text[position : found.start()]))
        inner = found.group(1)
        if inner in ESCAPES:
            pieces.append((False, ESCAPES[inner]))
        else:
            defaulted = _WITH_DEFAULT.fullmatch(inner)
            if defaulted is not None:
                key, default = defaulted.group(1), defaulted.group(2)
            else:
                key, default = inner.strip(), None
            variable = Variable(key, key.lower(), default)
            pieces.append(variable)
            refs.append(variable)
        position = found.end()
    if position < len(text):
        pieces.append((True, text[position:]))
    static = text if refs else "".join(piece[1] for piece in pieces)  # type: ignore[index]
    return Template(text, tuple(pieces), tuple(refs), static)


def resolve(variable: Variable, context: Context) -> str | None:
    """The value a variable takes in ``context``, or ``None`` when it has none.

    "You can use only single-valued context keys as policy variables": **Choice**: a multivalued
    value with exactly one element stands for that element; with none or several the key counts as
    absent (so the default, if any, applies).
    """
    value = context.get(variable.key_lower)
    if value is not None and not isinstance(value, str):
        value = value[0] if len(value) == 1 else None
    return variable.default if value is None else value


def render(template: Template, context: Context) -> tuple[tuple[bool, str], ...] | None:
    """The template's pieces with variables resolved (as literal text), or ``None`` when one
    cannot be resolved."""
    if not template.variables:
        return template.pieces  # type: ignore[return-value]  # no Variable pieces
    out: list[tuple[bool, str]] = []
    for piece in template.pieces:
        if isinstance(piece, Variable):
            value = resolve(piece, context)
            if value is None:
                return None
            out.append((False, value))
        else:
            out.append(piece)
    return tuple(out)


def render_text(template: Template, context: Context) -> str | None:
    """The template as a plain string (wildcards not interpreted), or ``None``."""
    if not template.variables:
        return template.static
    pieces = render(template, context)
    return None if pieces is None else "".join(text for _, text in pieces)
