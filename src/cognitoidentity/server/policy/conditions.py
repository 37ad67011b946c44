"""Condition operators: compiling a ``Condition`` block and testing it against a request context.

IAM User Guide, "IAM JSON policy elements: Condition operators" and "Multivalued context keys"
(reference section 6). Each (operator, key) pair of a block compiles to one :class:`Condition`;
"if you specify multiple condition operators, or multiple keys attached to a single condition
operator, the conditions are evaluated using a logical AND"; "if a single condition operator
includes multiple values for one context key, those values are evaluated using a logical OR" —
for negated operators a request value must differ from every listed value.

Absent keys: a positive operator does not match, a negated one does ("...Not..." and
``NotIpAddress``, ``ArnNotLike``); ``...IfExists`` holds when the key is absent. Set operators:
``ForAnyValue:`` is false for an absent key or an empty set, ``ForAllValues:`` is **true** (the
vacuous truth of pitfall 1, reproduced as AWS does it and flagged by :meth:`Condition.vacuous`).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from cognitoidentity.server.policy.dates import parse_date
from cognitoidentity.server.policy.matching import combine, compile_arn, compile_wild
from cognitoidentity.server.policy.model import PolicyError
from cognitoidentity.server.policy.variables import (
    Context,
    Template,
    Variable,
    compile_template,
    render_text,
)

__all__ = [
    "OPERATORS",
    "Condition",
    "compile_condition",
    "split_operator",
]

STRING: Final = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)
NUMERIC: Final = (
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
)
DATE: Final = (
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
)
ARN: Final = ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike")
OPERATORS: Final = frozenset(
    (*STRING, *NUMERIC, *DATE, "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", *ARN, "Null")
)
"""The base operators of the User Guide's "Condition operators" page."""

NEGATED: Final = frozenset(
    (
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "NotIpAddress",
        "ArnNotEquals",
        "ArnNotLike",
    )
)
_POSITIVE_OF: Final = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
VARIABLE_OPERATORS: Final = frozenset((*STRING, *ARN, "Bool"))
"""Operators whose values may hold policy variables: String* and Arn* ("you can use policy
variables ... with the string and ARN operators"); Bool too, as the operators page says (the
variables page forbids it; **Choice**: the more permissive page)."""

SET_QUALIFIERS: Final = ("ForAnyValue:", "ForAllValues:")
IF_EXISTS: Final = "IfExists"

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHOWN_CHARS: Final = 64

Qualifier = Literal["ForAnyValue", "ForAllValues"] | None
Test = Callable[[str, Context], "bool | None"]
"""One request value against the policy values (any of them): True/False, or None when the
request value cannot be read as the operator's type."""


def split_operator(name: str) -> tuple[Qualifier, str, bool]:
    """``"ForAnyValue:StringLikeIfExists"`` → ``("ForAnyValue", "StringLike", True)``.
    **Choice**: operator names are case-sensitive, as spelled in the User Guide."""
    qualifier: Qualifier = None
    if name.startswith("ForAnyValue:"):
        qualifier, name = "ForAnyValue", name[len("ForAnyValue:") :]
    elif name.startswith("ForAllValues:"):
        qualifier, name = "ForAllValues", name[len("ForAllValues:") :]
    if_exists = name.endswith(IF_EXISTS) and name != IF_EXISTS
    if if_exists:
        name = name[: -len(IF_EXISTS)]
    return qualifier, name, if_exists


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a statement's Condition block."""

    operator: str
    """As written, e.g. "ForAnyValue:StringLike"."""
    key: str
    """As written, e.g. "cognito-identity.amazonaws.com:amr"."""
    key_lower: str
    values: tuple[str, ...]
    """The policy values as strings (JSON booleans as "true"/"false")."""
    base: str
    qualifier: Qualifier
    if_exists: bool
    negated: bool
    variables: tuple[Variable, ...]
    test: Test = field(repr=False, compare=False)

    def _request_values(self, context: Context) -> tuple[str, ...] | None:
        value = context.get(self.key_lower)
        if value is None:
            return None
        if isinstance(value, str):
            return (value,)
        return value or None

    def _satisfies(self, value: str, context: Context) -> bool:
        matched = self.test(value, context)
        return matched is not None and matched is not self.negated

    def holds(self, context: Context) -> bool:
        """Whether the condition holds for ``context`` (keys lower-cased, values str or tuple)."""
        values = self._request_values(context)
        if self.base == "Null":
            absent = values is None
            return any((value.lower() == "true") is absent for value in self.values)
        if values is None:
            if self.qualifier == "ForAllValues":
                return True  # vacuous truth: "also true when the key is absent or empty"
            return self.if_exists or (self.negated and self.qualifier is None)
        if self.qualifier == "ForAnyValue":
            return any(self._satisfies(value, context) for value in values)
        if self.qualifier == "ForAllValues":
            return all(self._satisfies(value, context) for value in values)
        if len(values) != 1:
            # **Choice** (reference section 13, unverified on AWS): a single-valued operator
            # does not match a key holding several values (as iam-simulate does).
            return False
        return self._satisfies(values[0], context)

    def vacuous(self, context: Context) -> bool:
        """A ``ForAllValues:`` condition that holds only because the key is absent or empty."""
        return self.qualifier == "ForAllValues" and self._request_values(context) is None

    def missing(self, context: Context) -> bool:
        """The condition's key is absent from the context (MissingContextValues)."""
        return self.key_lower not in context

    def describe(self, context: Context) -> str:
        """Why the condition holds or not, for an explanation line."""
        head = f"condition {self.operator} {self.key}"
        values = self._request_values(context)
        wanted = _show(self.values)
        if self.vacuous(context):
            return (
                f"{head}: holds only because the key is absent or empty (ForAllValues is "
                f'vacuously true; add "Null": {{"{self.key}": "false"}} to require it)'
            )
        if values is None:
            state = "holds" if self.holds(context) else "does not hold"
            return f"{head}: the context has no {self.key} ({state}), policy wants {wanted}"
        if self.base != "Null" and self.qualifier is None and len(values) > 1:
            return (
                f"{head}: context has several values {_show(values)}; a single-valued "
                "operator does not match them (use ForAnyValue: or ForAllValues:)"
            )
        return f"{head}: context has {_show(values)}, policy wants {wanted}"


def _show(values: Sequence[str]) -> str:
    shown = [
        repr(value if len(value) <= _SHOWN_CHARS else value[: _SHOWN_CHARS - 1] + "…")
        for value in values
    ]
    return shown[0] if len(shown) == 1 else "[" + ", ".join(shown) + "]"


def compile_condition(
    operator: str, key: str, values: Sequence[str], *, variables: bool
) -> Condition:
    """Compile one (operator, key, values) entry; ``operator``'s base must be in OPERATORS.

    Raises :class:`PolicyError` "The policy failed legacy parsing" for a Date value that is not
    a date, as IAM does.
    """
    qualifier, base, if_exists = split_operator(operator)
    use_variables = variables and base in VARIABLE_OPERATORS
    templates = tuple(compile_template(value, variables=use_variables) for value in values)
    test = _compile_test(base, values, templates, variables=use_variables)
    return Condition(
        operator=operator,
        key=key,
        key_lower=key.lower(),
        values=tuple(values),
        base=base,
        qualifier=qualifier,
        if_exists=if_exists and base != "Null",
        negated=base in NEGATED,
        variables=tuple(variable for template in templates for variable in template.variables),
        test=test,
    )


def _compile_test(
    base: str, values: Sequence[str], templates: tuple[Template, ...], *, variables: bool
) -> Test:
    positive = _POSITIVE_OF.get(base, base)
    if positive in ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "Bool"):
        return _string_test(positive, templates)
    if positive in ("ArnEquals", "ArnLike"):
        patterns = tuple(compile_arn(value, variables=variables) for value in values)
        return lambda value, context: any(pattern.matches(value, context) for pattern in patterns)
    if positive in NUMERIC:
        numbers = tuple(n for n in (_number(value) for value in values) if n is not None)
        return _ordered_test(positive.removeprefix("Numeric"), numbers, _number)
    if positive in DATE:
        dates: list[float] = []
        for value in values:
            parsed = parse_date(value)
            if parsed is None:
                raise PolicyError("The policy failed legacy parsing")
            dates.append(parsed)
        return _ordered_test(positive.removeprefix("Date"), tuple(dates), parse_date)
    if positive == "BinaryEquals":
        wanted = frozenset(_binary(value) for value in values)
        return lambda value, context: _binary(value) in wanted
    if positive == "IpAddress":
        networks = tuple(n for n in (_network(value) for value in values) if n is not None)
        return lambda value, context: _in_networks(value, networks)
    return lambda value, context: False  # Null is evaluated by Condition.holds itself


def _string_test(base: str, templates: tuple[Template, ...]) -> Test:
    fold = base in ("StringEqualsIgnoreCase", "Bool")
    static = tuple(template for template in templates if not template.variables)
    dynamic = tuple(template for template in templates if template.variables)
    if base == "StringLike":
        regex, others = combine(compile_wild(template) for template in templates)

        def like(value: str, context: Context) -> bool:
            if regex is not None and regex.fullmatch(value) is not None:
                return True
            return any(pattern.matches(value, context) for pattern in others)

        return like
    wanted = frozenset(t.static.lower() if fold else t.static for t in static)
    if not dynamic:
        if fold:
            return lambda value, context: value.lower() in wanted
        return lambda value, context: value in wanted

    def equals(value: str, context: Context) -> bool:
        probe = value.lower() if fold else value
        if probe in wanted:
            return True
        for template in dynamic:
            text = render_text(template, context)
            if text is not None and (text.lower() if fold else text) == probe:
                return True
        return False

    return equals


_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _ordered_test(
    comparison: str, wanted: tuple[float, ...], read: Callable[[str], float | None]
) -> Test:
    """Numeric and Date comparisons: the request value on the left ("the request value is less
    than the policy value")."""
    compare = _COMPARE[comparison]

    def test(value: str, context: Context) -> bool | None:
        number = read(value)
        if number is None:
            return None  # **Choice**: an unreadable request value satisfies no operator
        return any(compare(number, limit) for limit in wanted)

    return test


def _number(text: str) -> float | None:
    """ "Numeric condition operators let you construct Condition elements that restrict access
    based on comparing a key to an integer or decimal value." **Choice**: a policy value that is
    not a number never matches (IAM accepts such documents)."""
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


def _binary(text: str) -> bytes:
    """ "The BinaryEquals condition operator ... compares the value of the specified key
    byte for byte against a base-64 encoded representation of the binary value in the policy."
    **Choice**: a value that is not base 64 compares as its UTF-8 bytes."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text.encode("utf-8", "surrogatepass")


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(text: str) -> _Network | None:
    """ "IP address condition operators ... based on comparing a key to an IPv4 or IPv6 address
    or range of IP addresses" in CIDR form; a bare address is a /32 (/128). **Choice**: a policy
    value that is not an address or range never matches."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _in_networks(text: str, networks: tuple[_Network, ...]) -> bool | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return any(address.version == net.version and address in net for net in networks)
