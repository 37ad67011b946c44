"""Identity pool roles: checking ``SetIdentityPoolRoles`` input, and choosing the role that
``GetCredentialsForIdentity`` assumes.

A pure module: no I/O and no store. The caller passes the pool's ``Roles`` and ``RoleMappings``
as stored, and for the credential call the logins it has already verified.

Sources are the API reference (botocore model documentation) and the Developer Guide page
"Role-based access control" (``role-based-access-control.md``); the sentences quoted in the
docstrings below are taken from them. Where AWS's behaviour or wording is not documented, the
choice made here is marked **Choice**.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from cognitoidentity.server.api.cognito_identity import (
    InvalidIdentityPoolConfigurationException,
    InvalidParameterException,
    MappingRule,
    NotAuthorizedException,
    RoleMapping,
)
from cognitoidentity.server.errors import quote

__all__ = [
    "AMBIGUOUS_ROLE_RESOLUTIONS",
    "AUTHENTICATED",
    "INVALID_POOL_CONFIGURATION",
    "MATCH_TYPES",
    "MAX_ROLE_MAPPINGS",
    "MAX_RULES",
    "PREFERRED_ROLE_CLAIM",
    "ROLES_CLAIM",
    "ROLE_MAPPING_TYPES",
    "ROLE_TYPES",
    "UNAUTHENTICATED",
    "VerifiedLogin",
    "check_roles",
    "claim_values",
    "forbidden_role",
    "foreign_role_message",
    "is_role_arn",
    "mapping_key_for",
    "resolve_role",
    "role_account",
    "rule_matches",
    "token_roles",
]

AUTHENTICATED: Final = "authenticated"
UNAUTHENTICATED: Final = "unauthenticated"
ROLE_TYPES: Final = (AUTHENTICATED, UNAUTHENTICATED)
ROLE_MAPPING_TYPES: Final = ("Token", "Rules")
AMBIGUOUS_ROLE_RESOLUTIONS: Final = ("AuthenticatedRole", "Deny")
MATCH_TYPES: Final = ("Equals", "Contains", "StartsWith", "NotEqual")

MAX_ROLE_MAPPINGS: Final = 10
"""Quota "providers with role mappings: 10" (the model's ``RoleMappingMap`` max is also 10)."""
MAX_RULES: Final = 25
"""Rules per provider. The Developer Guide: "For each user pool or other authentication provider
configured for an identity pool, you can create up to 25 rules." The botocore model allows 400;
the documented quota wins here."""

ROLES_CLAIM: Final = "cognito:roles"
PREFERRED_ROLE_CLAIM: Final = "cognito:preferred_role"

INVALID_POOL_CONFIGURATION: Final = (
    "Invalid identity pool configuration. Check assigned IAM roles for this pool."
)

_IAM_NAME = r"[\w+=,.@-]"
_ROLE_ARN = re.compile(
    rf"arn:aws(?:-[a-z]+)*:iam::\d{{12}}:role/((?:{_IAM_NAME}+/)*)({_IAM_NAME}{{1,64}})",
    re.ASCII,
)
_MAX_ROLE_PATH = 512  # IAM's limit on a path, counting its leading and trailing "/"


# --- SetIdentityPoolRoles input ----------------------------------------------------------------


def is_role_arn(value: object) -> bool:
    """Whether ``value`` is an IAM role ARN: ``arn:<partition>:iam::<12 digits>:role/<path/><name>``.

    The partition is ``aws`` or ``aws-<...>`` (``aws-cn``, ``aws-us-gov``, ``aws-iso-b``, ...). The
    name is 1-64 of ``[A-Za-z0-9_+=,.@-]``; the optional path is ``/``-separated segments of the
    same characters, at most 512 characters in all as IAM allows.
    """
    if not isinstance(value, str):
        return False
    match = _ROLE_ARN.fullmatch(value)
    return match is not None and len(match.group(1)) + 1 <= _MAX_ROLE_PATH


def role_account(role_arn: str) -> str:
    """The account of a role ARN (``arn:aws:iam::<account>:role/...``); "" when it names none."""
    parts = role_arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def foreign_role_message(arn: str) -> str:
    return (
        f"Invalid RoleArn: {quote(arn)} is a role of another account. An identity pool may use"
        " only roles of its own account."
    )


def _check_role_arn(arn: object, account_id: str) -> None:
    if not is_role_arn(arn):
        raise InvalidParameterException(f"Invalid RoleArn: {quote(arn)}")
    assert isinstance(arn, str)
    if role_account(arn) != account_id:
        raise InvalidParameterException(foreign_role_message(arn))


def check_roles(
    roles: Mapping[str, str], role_mappings: Mapping[str, RoleMapping], account_id: str
) -> None:
    """Check ``SetIdentityPoolRoles`` input beyond the model's lengths and patterns.

    Raises :class:`InvalidParameterException`. AWS's exact messages for these cases are not
    known (reference section 5, "Unverified or open points"); **Choice**: the messages below.

    - Each role ARN, in ``Roles`` and in every rule's ``RoleARN``, must be an IAM role ARN (see
      :func:`is_role_arn`): "Invalid RoleArn: <arn>".
    - Each role must be of the pool's account (``account_id``). On AWS another account's role
      serves when its trust policy trusts the pool; this server has no role trust policies yet,
      so it refuses what it cannot check: "Invalid RoleArn: <arn> is a role of another account.
      ...". (Otherwise any account could have credentials issued in another's name.)
    - ``Roles`` keys must be ``authenticated`` or ``unauthenticated``. The model's pattern already
      enforces it; this is a guard. An empty ``Roles`` map is valid: infrastructure tools clear
      the roles that way when they destroy a role attachment.
    - At most 10 providers in ``RoleMappings``.
    - ``Type`` is ``Token`` or ``Rules``.
    - ``AmbiguousRoleResolution``: "If you specify Token or Rules as the ``Type``,
      ``AmbiguousRoleResolution`` is required." It must be ``AuthenticatedRole`` or ``Deny``.
    - ``RulesConfiguration``: "If you specify Rules as the role mapping type,
      ``RulesConfiguration`` is required", with 1 to 25 rules ("You can specify up to 25 rules
      per identity provider"). **Choice**: a ``Token`` mapping that carries a
      ``RulesConfiguration`` is refused rather than silently keeping rules that never apply.
    - Each rule's ``MatchType`` is one of ``Equals``, ``Contains``, ``StartsWith``, ``NotEqual``.
    """
    for role_type, arn in roles.items():
        if role_type not in ROLE_TYPES:
            raise InvalidParameterException(
                f"Invalid role type: {role_type}. Role types are authenticated and unauthenticated."
            )
        _check_role_arn(arn, account_id)
    if len(role_mappings) > MAX_ROLE_MAPPINGS:
        raise InvalidParameterException(
            f"RoleMappings has {len(role_mappings)} providers; at most {MAX_ROLE_MAPPINGS}"
            " providers can have role mappings."
        )
    for provider, mapping in role_mappings.items():
        _check_role_mapping(provider, mapping, account_id)


def _check_role_mapping(provider: str, mapping: RoleMapping, account_id: str) -> None:
    mapping_type = mapping.get("Type")
    if mapping_type not in ROLE_MAPPING_TYPES:
        raise InvalidParameterException(
            f"Invalid role mapping type for {provider}: {mapping_type}. Valid types are Token"
            " and Rules."
        )
    resolution = mapping.get("AmbiguousRoleResolution")
    if resolution is None:
        raise InvalidParameterException(
            f"AmbiguousRoleResolution is required for the {mapping_type} role mapping of"
            f" {provider}."
        )
    if resolution not in AMBIGUOUS_ROLE_RESOLUTIONS:
        raise InvalidParameterException(
            f"Invalid AmbiguousRoleResolution for {provider}: {resolution}. Valid values are"
            " AuthenticatedRole and Deny."
        )
    configuration = mapping.get("RulesConfiguration")
    if mapping_type == "Token":
        if configuration is not None:
            raise InvalidParameterException(
                f"RulesConfiguration is not allowed for the Token role mapping of {provider}."
            )
        return
    if configuration is None:
        raise InvalidParameterException(
            f"RulesConfiguration is required for the Rules role mapping of {provider}."
        )
    rules = configuration.get("Rules") or []
    if not 1 <= len(rules) <= MAX_RULES:
        raise InvalidParameterException(
            f"The Rules role mapping of {provider} has {len(rules)} rules; it must have between"
            f" 1 and {MAX_RULES}."
        )
    for rule in rules:
        match_type = rule.get("MatchType")
        if match_type not in MATCH_TYPES:
            raise InvalidParameterException(
                f"Invalid MatchType for {provider}: {match_type}. Valid match types are Equals,"
                " Contains, StartsWith and NotEqual."
            )
        _check_role_arn(rule.get("RoleARN"), account_id)


# --- GetCredentialsForIdentity role resolution --------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedLogin:
    """One login of a ``GetCredentialsForIdentity`` call whose token the caller has verified."""

    provider: str
    """The ``Logins`` key, e.g. ``accounts.google.com`` or
    ``cognito-idp.us-east-1.amazonaws.com/us-east-1_abc``."""
    mapping_keys: tuple[str, ...]
    """The ``RoleMappings`` keys that address this login, most specific first, e.g.
    ``("cognito-idp.us-east-1.amazonaws.com/us-east-1_abc:<client id>",
    "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc")``. When empty, ``(provider,)`` is used."""
    claims: Mapping[str, object]
    """The verified token's claims. ``cognito:roles`` is a list of role ARNs (a comma-separated
    string is accepted too, as the Developer Guide describes it); ``cognito:preferred_role`` is a
    string."""


def resolve_role(
    *,
    roles: Mapping[str, str],
    role_mappings: Mapping[str, RoleMapping],
    authenticated: bool,
    logins: Sequence[VerifiedLogin],
    custom_role_arn: str | None,
) -> str:
    """The ARN of the role ``GetCredentialsForIdentity`` assumes for this identity.

    **Unauthenticated identity** ("GetCredentialsForIdentity without logins uses
    ``unauthenticated``"): the pool's ``unauthenticated`` role. Without one:
    :class:`InvalidIdentityPoolConfigurationException` "Invalid identity pool configuration. Check
    assigned IAM roles for this pool." **Choice**: ``CustomRoleArn`` is ignored for an
    unauthenticated identity, and so are role mappings.

    **Authenticated identity**: the first login, in the order given, that has a role mapping under
    one of its ``mapping_keys`` (most specific key first) decides; see :func:`_resolve_token` and
    :func:`_resolve_rules`. When no login has a mapping, the pool's ``authenticated`` role is used
    (none: the :class:`InvalidIdentityPoolConfigurationException` above). **Choice**: there, a
    ``CustomRoleArn`` that is not that role is refused with :class:`NotAuthorizedException`
    "Access to Role '<arn>' is forbidden." (the form AWS uses when refusing a role elsewhere).

    ``AmbiguousRoleResolution`` "Specifies the action to be taken if either no rules match the
    claim value for the ``Rules`` type, or there is no ``cognito:preferred_role`` claim and there
    are multiple ``cognito:roles`` matches for the ``Token`` type": ``AuthenticatedRole`` uses the
    pool's ``authenticated`` role (none: the configuration error above), ``Deny`` raises
    :class:`NotAuthorizedException` "The ambiguous role mapping rules for: <provider> denied this
    request.", with the login's ``Logins`` key as ``<provider>``. **Choice**: a stored mapping
    without ``AmbiguousRoleResolution`` (which :func:`check_roles` never lets in) denies.
    """
    if not authenticated:
        return _pool_role(roles, UNAUTHENTICATED)
    for login in logins:
        mapping = _mapping_for(login, role_mappings)
        if mapping is None:
            continue
        if mapping.get("Type") == "Token":
            return _resolve_token(login, mapping, roles, custom_role_arn)
        return _resolve_rules(login, mapping, roles, custom_role_arn)
    role = _pool_role(roles, AUTHENTICATED)
    _check_custom_role(custom_role_arn, role)
    return role


def _pool_role(roles: Mapping[str, str], role_type: str) -> str:
    role = roles.get(role_type)
    if not role:
        raise InvalidIdentityPoolConfigurationException(INVALID_POOL_CONFIGURATION)
    return role


def _mapping_for(
    login: VerifiedLogin, role_mappings: Mapping[str, RoleMapping]
) -> RoleMapping | None:
    key = mapping_key_for(login, role_mappings)
    return None if key is None else role_mappings[key]


def mapping_key_for(login: VerifiedLogin, role_mappings: Mapping[str, RoleMapping]) -> str | None:
    """The ``RoleMappings`` key whose mapping decides for ``login``: the first of its
    ``mapping_keys`` (most specific first) that has one; None when none has."""
    for key in login.mapping_keys or (login.provider,):
        if role_mappings.get(key) is not None:
            return key
    return None


def forbidden_role(custom_role_arn: str) -> NotAuthorizedException:
    return NotAuthorizedException(f"Access to Role '{custom_role_arn}' is forbidden.")


def _check_custom_role(custom_role_arn: str | None, role: str) -> None:
    if custom_role_arn is not None and custom_role_arn != role:
        raise forbidden_role(custom_role_arn)


def _ambiguous(login: VerifiedLogin, mapping: RoleMapping, roles: Mapping[str, str]) -> str:
    if mapping.get("AmbiguousRoleResolution") == "AuthenticatedRole":
        return _pool_role(roles, AUTHENTICATED)
    raise NotAuthorizedException(
        f"The ambiguous role mapping rules for: {login.provider} denied this request."
    )


def _token_roles(value: object) -> tuple[str, ...]:
    """The distinct role ARNs of a ``cognito:roles`` claim, in order."""
    items: list[str]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = [item for item in value if isinstance(item, str)]
    else:
        return ()
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


def _resolve_token(
    login: VerifiedLogin,
    mapping: RoleMapping,
    roles: Mapping[str, str],
    custom_role_arn: str | None,
) -> str:
    """``Type=Token``: the role comes from the ``cognito:roles`` and ``cognito:preferred_role``
    claims. The Developer Guide's order:

    1. "Use the GetCredentialsForIdentity ``CustomRoleArn`` parameter if it is set and it matches
       a role in the ``cognito:roles`` claim. If this parameter doesn't match a role in
       ``cognito:roles``, deny access." (:class:`NotAuthorizedException` "Access to Role '<arn>'
       is forbidden."; **Choice** of message.)
    2. "If the ``cognito:preferred_role`` claim is set, use it."
    3. "If there is only one allowed role, ``cognito:preferred_role`` is set to that role": a
       token with exactly one role in ``cognito:roles`` and no preferred role uses that role.
    4. Otherwise (no role, or several and no preferred role) ``AmbiguousRoleResolution`` applies.
    """
    token_roles = _token_roles(login.claims.get(ROLES_CLAIM))
    if custom_role_arn is not None:
        if custom_role_arn in token_roles:
            return custom_role_arn
        raise forbidden_role(custom_role_arn)
    preferred = login.claims.get(PREFERRED_ROLE_CLAIM)
    if isinstance(preferred, str) and preferred:
        return preferred
    if len(token_roles) == 1:
        return token_roles[0]
    return _ambiguous(login, mapping, roles)


def _claim_scalar(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _claim_values(value: object) -> tuple[str, ...]:
    """A claim as the strings a rule compares; empty when the claim counts as missing."""
    if isinstance(value, list | tuple):
        return tuple(s for s in map(_claim_scalar, value) if s is not None)
    scalar = _claim_scalar(value)
    return () if scalar is None else (scalar,)


def _rule_matches(rule: MappingRule, claims: Mapping[str, object]) -> bool:
    values = _claim_values(claims.get(rule["Claim"]))
    if not values:
        return False
    expected = rule["Value"]
    match rule["MatchType"]:
        case "Equals":
            return expected in values
        case "NotEqual":
            return expected not in values
        case "StartsWith":
            return any(value.startswith(expected) for value in values)
        case "Contains":
            return any(expected in value for value in values)
        case _:
            return False


def _resolve_rules(
    login: VerifiedLogin,
    mapping: RoleMapping,
    roles: Mapping[str, str],
    custom_role_arn: str | None,
) -> str:
    """``Type=Rules``: "Rules are evaluated in order, and the IAM role for the first matching rule
    is used, unless ``CustomRoleArn`` is specified to override the order."

    Matching compares the token claim with the rule's ``Value``, case-sensitively: ``Equals``,
    ``NotEqual``, ``StartsWith`` (prefix) and ``Contains`` (substring).

    - "If the match type is ``NotEqual`` and the claim doesn't exist, the rule is not evaluated";
      a missing claim never matches any rule.
    - **Choice**, claim values: strings as they are; booleans as ``true``/``false``; numbers with
      ``str()``. A list claim (``cognito:groups``) is its scalar elements: ``Equals``,
      ``StartsWith`` and ``Contains`` match when any element does (so ``Contains`` is a substring
      test on each element, which includes membership), ``NotEqual`` when no element equals the
      value. A null, an empty list, or an object claim counts as missing.
    - **Choice**, ``CustomRoleArn``: it wins when it is the ``RoleARN`` of *any* matching rule.
      Otherwise it must be the role the rules give anyway (the first match, or the
      ``AuthenticatedRole`` fallback), else :class:`NotAuthorizedException` "Access to Role
      '<arn>' is forbidden.". When no rule matches and the resolution is ``Deny``, the ambiguous
      role mapping error is raised whatever the ``CustomRoleArn``.
    - "If no rules match, the Role resolution setting is applied": ``AmbiguousRoleResolution``.
    """
    configuration = mapping.get("RulesConfiguration")
    rules: Sequence[MappingRule] = configuration.get("Rules", []) if configuration else ()
    matched = [rule["RoleARN"] for rule in rules if _rule_matches(rule, login.claims)]
    if custom_role_arn is not None and custom_role_arn in matched:
        return custom_role_arn
    role = matched[0] if matched else _ambiguous(login, mapping, roles)
    _check_custom_role(custom_role_arn, role)
    return role


# --- What :mod:`.explain` reports, with the very predicates resolve_role uses -----------------


def token_roles(value: object) -> tuple[str, ...]:
    """The distinct role ARNs of a ``cognito:roles`` claim, in order."""
    return _token_roles(value)


def claim_values(value: object) -> tuple[str, ...]:
    """A claim as the strings a ``Rules`` mapping's rules compare; empty when it counts as
    missing."""
    return _claim_values(value)


def rule_matches(rule: MappingRule, claims: Mapping[str, object]) -> bool:
    """Whether one rule of a ``Rules`` mapping matches ``claims``."""
    return _rule_matches(rule, claims)
