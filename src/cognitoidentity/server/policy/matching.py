"""Matching a request's action, resource and principal against a statement's elements.

Compiled at parse time: exact names go to a set, wildcard patterns to one alternation regex per
element, so a check is a set lookup and at most one ``fullmatch``. Resource patterns holding
policy variables are the exception: their regex depends on the request and is built when
evaluated (``re``'s own compiled-pattern cache makes repeats cheap).

Case rules (IAM User Guide, pitfall 4 of the reference): "action names are case insensitive"
(``iam:ListAccessKeys`` = ``IAM:listaccesskeys``); resource ARNs are case-sensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cognitoidentity.server.policy.globs import (
    Glob,
    SegmentedGlob,
    compile_glob,
    is_safe_for_regex,
)
from cognitoidentity.server.policy.model import Principal
from cognitoidentity.server.policy.variables import (
    Context,
    Template,
    Variable,
    compile_template,
    render,
    resolve,
)

__all__ = [
    "ARN_SEGMENTS",
    "ActionSet",
    "PrincipalSet",
    "ResourceSet",
    "WildPattern",
    "combine",
    "compile_actions",
    "compile_arn",
    "compile_principals",
    "compile_resources",
    "compile_wild",
    "fill_fragments",
    "glob_regex",
    "regex_fragments",
]

ARN_SEGMENTS: Final = 6
"""``arn:partition:service:region:account:resource``: "the sixth keeps any further colons"."""

_SPECIALS = re.compile(r"([*?:])")
_ACCOUNT = re.compile(r"\d{12}")


def glob_regex(pieces: Iterable[tuple[bool, str]], *, rest_after: int | None = None) -> str:
    """A regex source for wildcard text: ``*`` any run, ``?`` one character.

    With ``rest_after`` (ARN matching), wildcards before that many colons stay inside their
    colon-separated segment ("each of the 6 colon segments matched separately"); after it, in the
    resource segment, they span anything ("within a segment ``*`` also spans ``/``").
    Literal pieces (``(False, text)``) are escaped whole.
    """
    return "".join(regex_fragments(pieces, rest_after=rest_after))  # type: ignore[arg-type]


def regex_fragments(
    pieces: Iterable[tuple[bool, str] | Variable], *, rest_after: int | None = None
) -> tuple[str | Variable, ...]:
    """:func:`glob_regex` for a template: static text translated once, variables left in place
    for :func:`fill_fragments`. Colons inside a variable's value do not start a new segment."""
    out: list[str | Variable] = []
    colons = 0
    for piece in pieces:
        if isinstance(piece, Variable):
            out.append(piece)
            continue
        wild, text = piece
        if not wild:
            out.append(re.escape(text))
            colons += text.count(":")
            continue
        for part in _SPECIALS.split(text):
            if not part:
                continue
            segmented = rest_after is not None and colons < rest_after
            if part == "*":
                out.append("[^:]*" if segmented else ".*")
            elif part == "?":
                out.append("[^:]" if segmented else ".")
            else:
                if part == ":":
                    colons += 1
                out.append(re.escape(part))
    merged: list[str | Variable] = []
    for fragment in out:
        if isinstance(fragment, str) and merged and isinstance(merged[-1], str):
            merged[-1] += fragment
        else:
            merged.append(fragment)
    return tuple(merged)


def fill_fragments(fragments: tuple[str | Variable, ...], context: Context) -> str | None:
    """The regex source with each variable's value escaped in, or ``None`` when one has none."""
    out: list[str] = []
    for fragment in fragments:
        if isinstance(fragment, str):
            out.append(fragment)
            continue
        value = resolve(fragment, context)
        if value is None:
            return None
        out.append(re.escape(value))
    return "".join(out)


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


# --- Action / NotAction ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WildPattern:
    """One wildcard pattern (``*``, ``?``), possibly holding policy variables; with
    ``rest_after``, an ARN pattern matched segment by segment.

    Exactly one of the matchers is set: ``regex`` (no variable, no segment with two ``*``),
    ``glob`` (no variable, a segment with several ``*``: see :mod:`.globs`), ``fragments`` (with
    variables, regex-safe) or neither (with variables, matched by a glob built per request).
    """

    template: Template
    rest_after: int | None
    """For ARNs, colons before the resource segment: 5, or fewer for a pattern of fewer segments
    (its last segment then takes the rest). **Choice**: IAM does not document short patterns."""
    regex: re.Pattern[str] | None
    glob: Glob | SegmentedGlob | None
    fragments: tuple[str | Variable, ...]
    prefix: str
    """With variables, the literal text the pattern starts with: a value without it cannot
    match whatever the variables hold, which spares building a matcher per request."""

    @property
    def variables(self) -> tuple[Variable, ...]:
        return self.template.variables

    def matches(self, value: str, context: Context) -> bool | None:
        """Whether ``value`` matches; ``None`` when a variable of the pattern has no value
        (the pattern then matches nothing)."""
        if self.regex is not None:
            return self.regex.fullmatch(value) is not None
        if self.glob is not None:
            return self.glob.matches(value)
        if not value.startswith(self.prefix):
            return False
        if self.fragments:
            source = fill_fragments(self.fragments, context)
            if source is None:
                return None
            return re.fullmatch(source, value, re.DOTALL) is not None
        pieces = render(self.template, context)
        if pieces is None:
            return None
        return compile_glob(pieces, rest_after=self.rest_after).matches(value)


def compile_wild(template: Template, *, rest_after: int | None = None) -> WildPattern:
    pieces = template.pieces
    if not template.variables:
        static: tuple[tuple[bool, str], ...] = pieces  # type: ignore[assignment]
        if is_safe_for_regex(static, rest_after=rest_after):
            regex = re.compile(glob_regex(static, rest_after=rest_after), re.DOTALL)
            return WildPattern(template, rest_after, regex, None, (), "")
        glob = compile_glob(static, rest_after=rest_after)
        return WildPattern(template, rest_after, None, glob, (), "")
    prefix = ""
    for piece in pieces:
        if isinstance(piece, Variable):
            break
        wild, text = piece
        if wild and ("*" in text or "?" in text):
            prefix += re.split(r"[*?]", text, maxsplit=1)[0]
            break
        prefix += text
    # Variable values are literal: whether a regex is safe depends on the static text only.
    literal = [(False, "") if isinstance(p, Variable) else p for p in pieces]
    fragments: tuple[str | Variable, ...] = ()
    if is_safe_for_regex(literal, rest_after=rest_after):
        fragments = regex_fragments(pieces, rest_after=rest_after)
    return WildPattern(template, rest_after, None, None, fragments, prefix)


def combine(
    patterns: Iterable[WildPattern],
) -> tuple[re.Pattern[str] | None, tuple[WildPattern, ...]]:
    """One alternation of the patterns that have a regex, and the others."""
    sources: list[str] = []
    others: list[WildPattern] = []
    for pattern in patterns:
        if pattern.regex is not None:
            sources.append(f"(?:{pattern.regex.pattern})")
        else:
            others.append(pattern)
    regex = re.compile("|".join(sources), re.DOTALL) if sources else None
    return regex, tuple(others)


@dataclass(frozen=True, slots=True)
class ActionSet:
    """A statement's ``Action`` (or ``NotAction`` when ``negated``)."""

    patterns: tuple[str, ...]
    negated: bool
    match_all: bool
    exact: frozenset[str]
    """Lower-cased names without wildcards."""
    regex: re.Pattern[str] | None
    """The regex-safe wildcard patterns, lower-cased, as one alternation."""
    others: tuple[WildPattern, ...]
    """Wildcard patterns matched by glob."""

    def lists(self, action_lower: str) -> bool:
        """Whether the element's list names the action (before NotAction's inversion)."""
        if self.match_all or action_lower in self.exact:
            return True
        if self.regex is not None and self.regex.fullmatch(action_lower) is not None:
            return True
        return any(pattern.matches(action_lower, {}) for pattern in self.others)

    def applies(self, action_lower: str) -> bool:
        """ "NotAction ... matches everything except the specified list of actions"."""
        return self.lists(action_lower) is not self.negated


def compile_actions(patterns: Iterable[str], *, negated: bool) -> ActionSet:
    listed = tuple(patterns)
    lowered = [pattern.lower() for pattern in listed]
    regex, others = combine(
        compile_wild(compile_template(pattern, variables=False))
        for pattern in lowered
        if _has_wildcard(pattern)
    )
    return ActionSet(
        patterns=listed,
        negated=negated,
        match_all="*" in lowered,
        exact=frozenset(pattern for pattern in lowered if not _has_wildcard(pattern)),
        regex=regex,
        others=others,
    )


# --- ARNs: Resource / NotResource and the Arn* condition operators -------------------------------


def compile_arn(text: str, *, variables: bool, resource: bool = False) -> WildPattern:
    """Compile one ARN pattern. In a Resource element variables are recognised only "in the
    resource part of the ARN (after the fifth colon)"; in Arn* condition values anywhere."""
    rest_after = min(ARN_SEGMENTS - 1, text.count(":"))
    if resource and variables and "${" in text:
        head, sep, tail = _split_resource(text)
        tail_template = compile_template(tail, variables=True)
        pieces = (
            ((True, head + sep), *tail_template.pieces) if head or sep else tail_template.pieces
        )
        template = Template(text, tuple(pieces), tail_template.variables, text)
    else:
        template = compile_template(text, variables=variables)
    return compile_wild(template, rest_after=rest_after)


def _split_resource(text: str) -> tuple[str, str, str]:
    """``(first five segments, ":", resource segment)``; ``("", "", text)`` for a short one."""
    parts = text.split(":", ARN_SEGMENTS - 1)
    if len(parts) < ARN_SEGMENTS:
        return "", "", text
    return ":".join(parts[:-1]), ":", parts[-1]


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """A statement's ``Resource`` (or ``NotResource`` when ``negated``)."""

    patterns: tuple[str, ...]
    negated: bool
    match_all: bool
    exact: frozenset[str]
    regex: re.Pattern[str] | None
    """The regex-safe static wildcard patterns as one alternation."""
    templated: tuple[WildPattern, ...]
    """Patterns holding variables, and static ones matched by glob."""
    variables: tuple[Variable, ...]
    """The variables of the templated patterns."""

    def lists(self, resource: str, context: Context) -> bool:
        """Whether the element's list covers the resource (before NotResource's inversion).

        **Choice**: a requested resource of ``*`` (Simulate*'s default ResourceArns) stands for
        "any resource": a Resource list covers it; a NotResource list covers it only if it holds
        ``*``, so NotResource statements apply to it.
        """
        if self.match_all or resource in self.exact:
            return True
        if resource == "*":
            return not self.negated
        if self.regex is not None and self.regex.fullmatch(resource) is not None:
            return True
        for pattern in self.templated:  # noqa: SIM110 (a loop: any() over a generator is slower here)
            if pattern.matches(resource, context):
                return True
        return False

    def applies(self, resource: str, context: Context) -> bool:
        return self.lists(resource, context) is not self.negated


def compile_resources(patterns: Iterable[str], *, negated: bool, variables: bool) -> ResourceSet:
    listed = tuple(patterns)
    exact = frozenset(text for text in listed if text != "*" and not _has_wildcard(text))
    exact = frozenset(text for text in exact if not (variables and "${" in text))
    regex, templated = combine(
        compile_arn(text, variables=variables, resource=True)
        for text in listed
        if text != "*" and text not in exact
    )
    return ResourceSet(
        patterns=listed,
        negated=negated,
        match_all="*" in listed,
        exact=exact,
        regex=regex,
        templated=templated,
        variables=tuple(variable for pattern in templated for variable in pattern.variables),
    )


# --- Principal / NotPrincipal ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A statement's ``Principal`` (or ``NotPrincipal`` when ``negated``).

    IAM User Guide, "Principal": ``"*"`` is everyone; ``{"AWS": "123456789012"}`` and
    ``{"AWS": "arn:aws:iam::123456789012:root"}`` stand for the account ("any principal in that
    account"); a role ARN names the role and, in a resource policy, its sessions
    (``arn:aws:sts::<acct>:assumed-role/<name>/<session>``); ``Federated`` names an identity
    provider, ``Service`` an AWS service. "You cannot use a wildcard to match part of a principal
    name or ARN."
    """

    entries: tuple[tuple[str, str], ...]
    """(kind, value) as written; kind "*" for the bare ``"*"``."""
    negated: bool
    everyone: bool
    any_of_kind: frozenset[str]
    """Kinds named with ``"*"`` (``{"AWS": "*"}``)."""
    accounts: frozenset[str]
    values: frozenset[tuple[str, str]]
    """(kind, value) for exact matches."""
    roles: frozenset[tuple[str, str]]
    """(account, role name) of role ARNs, to match their sessions."""

    def lists(self, principal: Principal | None) -> bool:
        if self.everyone:
            return True
        if principal is None:
            return False
        kind, value = principal.kind, principal.value
        if kind in self.any_of_kind or (kind, value) in self.values:
            return True
        if kind != "AWS":
            return False
        if _ACCOUNT.fullmatch(value):
            return value in self.accounts
        parts = value.split(":", 5)
        if len(parts) < ARN_SEGMENTS:
            return False
        if parts[4] in self.accounts:
            return True
        if parts[2] == "sts" and parts[5].startswith("assumed-role/"):
            role_name = parts[5].split("/")[1]
            return (parts[4], role_name) in self.roles
        return False

    def applies(self, principal: Principal | None) -> bool:
        return self.lists(principal) is not self.negated


def compile_principals(entries: Iterable[tuple[str, str]], *, negated: bool) -> PrincipalSet:
    listed = tuple(entries)
    accounts: set[str] = set()
    values: set[tuple[str, str]] = set()
    roles: set[tuple[str, str]] = set()
    any_of_kind: set[str] = set()
    for kind, value in listed:
        if kind == "*":
            continue
        if value == "*":
            any_of_kind.add(kind)
            continue
        values.add((kind, value))
        if kind != "AWS":
            continue
        if _ACCOUNT.fullmatch(value):
            accounts.add(value)
            continue
        parts = value.split(":", 5)
        if len(parts) == ARN_SEGMENTS and parts[2] == "iam":
            if parts[5] == "root":
                accounts.add(parts[4])
            elif parts[5].startswith("role/"):
                roles.add((parts[4], parts[5].rsplit("/", 1)[1]))
    return PrincipalSet(
        entries=listed,
        negated=negated,
        everyone=any(kind == "*" for kind, _ in listed),
        any_of_kind=frozenset(any_of_kind),
        accounts=frozenset(accounts),
        values=frozenset(values),
        roles=frozenset(roles),
    )
