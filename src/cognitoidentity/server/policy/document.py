"""Parsing and validating policy documents, with IAM's ``MalformedPolicyDocument`` wording.

The checks run in the order IAM's validator runs them (as moto reproduces it against AWS, see
reference section 4), so a document with several defects gets the message AWS would give:

1. not JSON: "This policy contains invalid Json" (AWS's answer to an unparseable CreateRole or
   PutRolePolicy document);
2. grammar (unknown element, wrong type, Effect not Allow/Deny in any case, both Action and
   NotAction, unknown operator with a non-empty body, ...): "Syntax errors in policy.";
3. per kind: a Principal in an identity or session policy, a trust policy without Principal,
   with Resource, with a bare ``"*"`` principal or with non-STS actions;
4. ``Version`` (managed policies only): "Policy document must be version 2012-10-17 or
   greater.";
5. legacy parsing (Effect's case, Date values, resource shapes): "The policy failed legacy
   parsing";
6. Sid shape and uniqueness, actions present, resources present, resource format, action
   vendor prefixes.

Positions: IAM's ``StartPosition``/``EndPosition`` of a statement are 1-based (line, column) "one
character past the statement's ``{`` (start) and past its ``}`` (end)" (reference section 10,
derived from the CLI's ``simulate-custom-policy`` example: column 38 for a ``{`` at column 37).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Final

from cognitoidentity.server.policy.conditions import (
    OPERATORS,
    compile_condition,
    split_operator,
)
from cognitoidentity.server.policy.matching import (
    compile_actions,
    compile_principals,
    compile_resources,
)
from cognitoidentity.server.policy.model import Policy, PolicyError, PolicyKind, Statement

__all__ = [
    "CURRENT_VERSION",
    "TRUST_ACTIONS",
    "VERSIONS",
    "context_keys",
    "parse_policy",
    "policy_size",
]

CURRENT_VERSION: Final = "2012-10-17"
LEGACY_VERSION: Final = "2008-10-17"
VERSIONS: Final = (LEGACY_VERSION, CURRENT_VERSION)
TOP_ELEMENTS: Final = frozenset(("Version", "Id", "Statement"))
STATEMENT_ELEMENTS: Final = frozenset(
    (
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    )
)
PRINCIPAL_KINDS: Final = frozenset(("AWS", "Federated", "Service", "CanonicalUser"))
TRUST_ACTIONS: Final = (
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
)
"""Actions a trust policy may name (moto's list, built against AWS), lower-cased."""

SYNTAX: Final = "Syntax errors in policy."
INVALID_JSON: Final = "This policy contains invalid Json"
LEGACY: Final = "The policy failed legacy parsing"
VERSION_REQUIRED: Final = "Policy document must be version 2012-10-17 or greater."
NO_PRINCIPAL_ALLOWED: Final = "Policy document should not specify a principal."
PRINCIPAL_REQUIRED: Final = "Missing required field Principal"
TRUST_STAR: Final = 'AssumeRolepolicy contained an invalid principal: "STAR":"*".'
TRUST_ACTION: Final = (
    "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  "
    "and sts:AssumeRoleWithWebIdentity"
)
SID_SHAPE: Final = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
    "expression [0-9A-Za-z]*"
)
SID_UNIQUE: Final = "Statement IDs (SID) in a single policy must be unique."
NO_ACTIONS: Final = "Policy statement must contain actions."
NO_RESOURCES: Final = "Policy statement must contain resources."

_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")
_PARTITION = re.compile(r"aws(?:-[a-z]+)*")
_ACCOUNT = re.compile(r"\d{12}")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_IAM_PATHS: Final = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
_REGION_MESSAGES: Final = {
    "iam": "IAM resource {resource} cannot contain region information.",
    "s3": "Resource {resource} can not contain region information.",
}


def parse_policy(
    text: str,
    *,
    kind: PolicyKind,
    source_id: str = "",
    source_type: str = "none",
    managed: bool = False,
) -> Policy:
    """Parse and validate (grammar, Version, element rules per kind); raise PolicyError.

    ``managed``: a customer-managed policy (CreatePolicy, CreatePolicyVersion), which "must be
    version 2012-10-17 or greater". **Choice**: inline, trust and session documents without
    ``Version`` are accepted with 2008-10-17 semantics, as the User Guide says ("If you do not
    include a Version element, the value defaults to 2008-10-17"); moto refuses them.
    """
    document = _load(text)
    statements = _check_grammar(document)
    _check_kind(statements, kind)
    version = document.get("Version", LEGACY_VERSION)
    if managed and version != CURRENT_VERSION:
        raise PolicyError(VERSION_REQUIRED)
    resource_error = _check_legacy(statements)
    _check_sids(statements, kind)
    for statement in statements:
        if not _listed(statement, "Action", "NotAction"):
            raise PolicyError(NO_ACTIONS)
    if kind != "trust":
        for statement in statements:
            if not _listed(statement, "Resource", "NotResource"):
                raise PolicyError(NO_RESOURCES)
    if resource_error:
        raise PolicyError(resource_error)
    for statement in statements:
        for action in _strings(statement.get("Action", statement.get("NotAction", ()))):
            _check_action(action)
    if kind == "trust":
        _check_trust_actions(statements)
    spans = _statement_spans(text)
    lines = [0, *(m.end() for m in re.finditer("\n", text))]
    compiled = tuple(
        _compile_statement(index, statement, spans[index], lines, version == CURRENT_VERSION)
        for index, statement in enumerate(statements)
    )
    return Policy(
        source_id=source_id,
        source_type=source_type,
        text=text,
        statements=compiled,
        version=version,
        policy_id=document.get("Id"),
        keys=tuple(_dedupe(_keys_of(statements, compiled))),
    )


def policy_size(text: str) -> int:
    """Characters IAM counts against its size quotas: "IAM doesn't count white space when
    calculating the size of a policy against these limits." **Choice**: whitespace inside JSON
    strings counts (it is part of a value)."""
    count = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            count += 1
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char not in " \t\n\r":
            count += 1
            in_string = char == '"'
    return count


def context_keys(policies: Sequence[Policy]) -> list[str]:
    """The context keys the policies' conditions and variables use (GetContextKeysFor*Policy):
    "in order of first appearance, deduplicated, spelled as in the policy"."""
    return _dedupe(key for policy in policies for key in policy.keys)


# --- 1, 2: JSON and grammar ---------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # **Choice**: "each element appears at most once"; a repeated member is refused rather
        # than letting the last one silently win.
        raise PolicyError(SYNTAX)
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _load(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise PolicyError(INVALID_JSON) from None
    if not isinstance(document, dict):
        raise PolicyError(SYNTAX)
    return document


def _is_strings(value: object) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(item, str) for item in value)
    )


def _strings(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]


def _listed(statement: dict[str, Any], *names: str) -> bool:
    return any(name in statement and statement[name] != [] for name in names)


def _check_grammar(document: dict[str, Any]) -> list[dict[str, Any]]:
    if not TOP_ELEMENTS.issuperset(document):
        raise PolicyError(SYNTAX)
    if "Version" in document and document["Version"] not in VERSIONS:
        raise PolicyError(SYNTAX)
    if "Id" in document and not isinstance(document["Id"], str):
        raise PolicyError(SYNTAX)
    body = document.get("Statement")
    statements = [body] if isinstance(body, dict) else body
    if not isinstance(statements, list) or not statements:
        raise PolicyError(SYNTAX)
    for statement in statements:
        _check_statement_grammar(statement)
    return statements


def _check_statement_grammar(statement: object) -> None:
    if not isinstance(statement, dict) or not STATEMENT_ELEMENTS.issuperset(statement):
        raise PolicyError(SYNTAX)
    for first, second in (
        ("Action", "NotAction"),
        ("Resource", "NotResource"),
        ("Principal", "NotPrincipal"),
    ):
        if first in statement and second in statement:
            raise PolicyError(SYNTAX)
    effect = statement.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise PolicyError(SYNTAX)
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        if name in statement and not _is_strings(statement[name]):
            raise PolicyError(SYNTAX)
    for name in ("Principal", "NotPrincipal"):
        if name in statement:
            _principal_entries(statement[name])
    if "Condition" in statement:
        _condition_entries(statement["Condition"])
    if "Sid" in statement and not isinstance(statement["Sid"], str):
        raise PolicyError(SYNTAX)


def _principal_entries(value: object) -> list[tuple[str, str]]:
    """``"*"`` or ``{"AWS"|"Federated"|"Service"|"CanonicalUser": string or list}``."""
    if value == "*":
        return [("*", "*")]
    if not isinstance(value, dict) or not value:
        raise PolicyError(SYNTAX)
    entries: list[tuple[str, str]] = []
    for kind, names in value.items():
        if kind not in PRINCIPAL_KINDS or not _is_strings(names) or names == []:
            raise PolicyError(SYNTAX)
        entries.extend((kind, name) for name in _strings(names))
    return entries


def _condition_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise PolicyError(SYNTAX)


def _condition_entries(block: object) -> list[tuple[str, str, list[str]]]:
    """``(operator, key, values)`` of a Condition block, in document order. **Choice**: values
    may be JSON booleans and numbers as well as strings (AWS's own examples write
    ``"aws:MultiFactorAuthPresent": false``)."""
    if not isinstance(block, dict):
        raise PolicyError(SYNTAX)
    entries: list[tuple[str, str, list[str]]] = []
    for operator, body in block.items():
        if not isinstance(body, dict):
            raise PolicyError(SYNTAX)
        _, base, _ = split_operator(operator)
        if base not in OPERATORS:
            if body:
                raise PolicyError(SYNTAX)
            continue  # an unknown operator with an empty body is accepted and means nothing
        for key, values in body.items():
            listed = values if isinstance(values, list) else [values]
            entries.append((operator, key, [_condition_value(item) for item in listed]))
    return entries


# --- 3: element rules per kind ------------------------------------------------------------------


def _check_kind(statements: list[dict[str, Any]], kind: PolicyKind) -> None:
    for statement in statements:
        has_principal = "Principal" in statement or "NotPrincipal" in statement
        if kind in ("identity", "session"):
            if has_principal:
                raise PolicyError(NO_PRINCIPAL_ALLOWED)
            continue
        if not has_principal:
            raise PolicyError(PRINCIPAL_REQUIRED)
        if kind == "trust":
            for name in ("NotPrincipal", "Resource", "NotResource"):
                if name in statement:
                    # **Choice** for NotPrincipal/NotResource: the Resource wording.
                    raise PolicyError(f"Has prohibited field {name}")
            if statement["Principal"] == "*":
                raise PolicyError(TRUST_STAR)
        for kind_name, name in _principal_entries(
            statement.get("Principal", statement.get("NotPrincipal"))
        ):
            _check_principal(kind_name, name)


def _check_principal(kind: str, name: str) -> None:
    """ "You cannot use a wildcard to match part of a principal name or ARN." An AWS principal is
    ``*``, an account id or an ARN."""
    if kind == "*" or name == "*":
        return
    valid = bool(name) and "*" not in name and "?" not in name
    if valid and kind == "AWS" and not _ACCOUNT.fullmatch(name):
        parts = name.split(":", 5)
        valid = len(parts) == 6 and parts[0] == "arn" and parts[2] in ("iam", "sts")
    if not valid:
        raise PolicyError(f'Invalid principal in policy: "{kind}":"{name}"')


def _check_trust_actions(statements: list[dict[str, Any]]) -> None:
    for statement in statements:
        for action in _strings(statement.get("Action", statement.get("NotAction", ()))):
            matcher = compile_actions([action], negated=False)
            if not action.lower().startswith("sts:") or not any(
                matcher.lists(name) for name in TRUST_ACTIONS
            ):
                raise PolicyError(TRUST_ACTION)


# --- 5: legacy parsing --------------------------------------------------------------------------


def _check_legacy(statements: list[dict[str, Any]]) -> str:
    """Raise "The policy failed legacy parsing" where IAM's legacy parser does; return the first
    resource-format message, which IAM reports only after the Sid, action and resource checks."""
    for statement in statements:
        if statement["Effect"] not in ("Allow", "Deny"):  # "Effect ... is case-sensitive"
            raise PolicyError(LEGACY)
        for operator, key, values in _condition_entries(statement.get("Condition", {})):
            if split_operator(operator)[1].startswith("Date"):
                compile_condition(operator, key, values, variables=False)
    resource_error = ""
    for statement in statements:
        for name in ("Resource", "NotResource"):
            if name not in statement:
                continue
            resources = _strings(statement[name])
            for resource in sorted(resources, reverse=True):
                resource_error = resource_error or _resource_format(resource)
            if not resource_error:
                for resource in resources:
                    if resource != "*" and not _legacy_resource(resource):
                        raise PolicyError(LEGACY)
    return resource_error


def _legacy_resource(resource: str) -> bool:
    parts = resource.split(":")
    return (resource.count(":") >= 5 or "::" not in resource) and len(parts) > 2 and parts[2] != ""


def _resource_format(resource: str) -> str:
    """IAM's message for a resource that is not ``*`` or an ARN of a known partition."""
    if resource == "*":
        return ""
    head, sep, rest = resource.partition(":")
    if not sep or head != "arn":
        return f'Resource {resource} must be in ARN format or "*".'
    partition, sep, rest = rest.partition(":")
    if not _PARTITION.fullmatch(partition) and not re.search(r"[*?]|\$\{", partition):
        segments = rest.split(":")
        filled = [
            segments[0] if segments[0] or len(segments) > 1 else "*",
            segments[1] if len(segments) > 1 else "*",
            segments[2] if len(segments) > 2 else "*",
            ":".join(segments[3:]) if len(segments) > 3 else "*",
        ]
        return (
            f'Partition "{partition}" is not valid for resource '
            f'"arn:{partition}:{":".join(filled)}".'
        )
    service, sep_service, rest = rest.partition(":")
    if not sep or not sep_service or "*" in service or "?" in service:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    if service in _REGION_MESSAGES and not rest.startswith(":"):
        return _REGION_MESSAGES[service].format(resource=resource)
    path = rest.partition(":")[2].partition(":")[2]
    if service == "iam" and path != "*" and not path.startswith(_IAM_PATHS):
        return f'IAM resource path must either be "*" or start with {", ".join(_IAM_PATHS)}.'
    return ""


# --- 6: Sids and actions -------------------------------------------------------------------------


def _check_sids(statements: list[dict[str, Any]], kind: PolicyKind) -> None:
    seen: set[str] = set()
    for statement in statements:
        sid = statement.get("Sid")
        if not sid:
            continue
        if kind != "resource" and not _SID.fullmatch(sid):
            # "The Sid element supports ASCII uppercase letters (A-Z), lowercase letters (a-z),
            # and numbers (0-9)" for IAM policies; other services' resource policies are laxer.
            raise PolicyError(SID_SHAPE)
        if sid in seen:
            raise PolicyError(SID_UNIQUE)
        seen.add(sid)


def _check_action(action: str) -> None:
    parts = action.split(":")
    if len(parts) == 1 and parts[0] != "*":
        raise PolicyError(
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
        )
    if len(parts) > 2:
        raise PolicyError("Actions/Condition can contain only one colon.")
    if parts[0] != "*" and not _VENDOR.fullmatch(parts[0]):
        raise PolicyError(f"Vendor {parts[0]} is not valid")


# --- compiling ---------------------------------------------------------------------------------


def _compile_statement(
    index: int,
    statement: dict[str, Any],
    span: tuple[int, int],
    lines: list[int],
    variables: bool,
) -> Statement:
    actions = None
    for name in ("Action", "NotAction"):
        if name in statement:
            actions = compile_actions(_strings(statement[name]), negated=name == "NotAction")
    resources = None
    for name in ("Resource", "NotResource"):
        if name in statement:
            resources = compile_resources(
                _strings(statement[name]), negated=name == "NotResource", variables=variables
            )
    principals = None
    for name in ("Principal", "NotPrincipal"):
        if name in statement:
            principals = compile_principals(
                _principal_entries(statement[name]), negated=name == "NotPrincipal"
            )
    conditions = tuple(
        compile_condition(operator, key, values, variables=variables)
        for operator, key, values in _condition_entries(statement.get("Condition", {}))
    )
    return Statement(
        index=index,
        sid=statement.get("Sid") or None,
        effect=statement["Effect"],
        start=_position(span[0], lines),
        end=_position(span[1], lines),
        actions=actions,
        resources=resources,
        principals=principals,
        conditions=conditions,
    )


def _position(offset: int, lines: list[int]) -> tuple[int, int]:
    """1-based (line, column) one character past the brace at ``offset``."""
    line = bisect.bisect_right(lines, offset)
    return line, offset - lines[line - 1] + 2


def _statement_spans(text: str) -> list[tuple[int, int]]:
    """Offsets of each statement's ``{`` and ``}`` in a document already known to be valid."""
    decoder = json.JSONDecoder()

    def skip(at: int) -> int:
        return _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]

    spans: list[tuple[int, int]] = []
    at = skip(0) + 1  # past the document's "{"
    while True:
        at = skip(at)
        if text[at] == "}":
            return spans
        if text[at] == ",":
            at = skip(at + 1)
        key, at = scanstring(text, at + 1)
        at = skip(skip(at) + 1)  # past ":"
        if key != "Statement":
            at = decoder.raw_decode(text, at)[1]
            continue
        if text[at] == "{":
            end = decoder.raw_decode(text, at)[1]
            spans = [(at, end - 1)]
            at = end
            continue
        spans = []
        at = skip(at + 1)
        while text[at] != "]":
            if text[at] == ",":
                at = skip(at + 1)
            end = decoder.raw_decode(text, at)[1]
            spans.append((at, end - 1))
            at = skip(end)
        at += 1


def _keys_of(statements: list[dict[str, Any]], compiled: tuple[Statement, ...]) -> Iterable[str]:
    """Context keys in document order: variables of Resource/NotResource, then of each
    condition its key and the variables of its values."""
    for statement, parsed in zip(statements, compiled, strict=True):
        for name in statement:
            if name in ("Resource", "NotResource") and parsed.resources is not None:
                yield from (variable.key for variable in parsed.resources.variables)
            elif name == "Condition":
                for condition in parsed.conditions:
                    yield condition.key
                    yield from (variable.key for variable in condition.variables)


def _dedupe(keys: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for key in keys:
        if key and key.lower() not in seen:
            seen.add(key.lower())
            result.append(key)
    return result
