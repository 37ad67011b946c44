"""Form fields to operation parameters, and operation results back to form fields.

Forms only reshape: lists are one item a line, maps ``key = value`` a line. Whether the values are
valid is the operation's to say (the model's validation, then the operation's checks), with the
API's messages; a line the console cannot even split is reported here, by its field and line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cognitoidentity.server.console.http import Form

MATCH_TYPES: Final = ("Equals", "Contains", "StartsWith", "NotEqual")
MAPPING_TYPES: Final = ("Token", "Rules")
AMBIGUOUS: Final = ("AuthenticatedRole", "Deny")
MAX_MAPPINGS: Final = 50
MAX_RULES: Final = 50
"""Rows the console reads from a role-mapping form; past them the API's own limits (10 mappings,
25 rules) answer anyway."""
BLANK_RULE_ROWS: Final = 2


class FormProblems(Exception):
    """Lines of a form the console cannot read; each problem names its field."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def key_values(text: str, label: str, problems: list[str]) -> dict[str, str]:
    """``key = value`` lines (the first ``=`` splits)."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            problems.append(f"{label}, line {number}: expected key = value")
            continue
        out[key.strip()] = value.strip()
    return out


def key_value_text(values: Mapping[str, str] | None) -> str:
    return "\n".join(f"{k} = {v}" for k, v in (values or {}).items())


@dataclass(slots=True)
class PoolFields:
    """The pool form's fields, as text."""

    name: str = ""
    allow_unauthenticated: bool = False
    allow_classic_flow: bool = False
    developer_provider_name: str = ""
    supported_login_providers: str = ""
    openid_connect_provider_arns: str = ""
    saml_provider_arns: str = ""
    cognito_identity_providers: str = ""
    tags: str = ""
    developer_provider_fixed: bool = False
    """Set once, the developer provider cannot change (the form shows it read-only)."""

    @staticmethod
    def from_form(form: Form) -> PoolFields:
        return PoolFields(
            name=form.get("name"),
            allow_unauthenticated=form.checked("allow_unauthenticated"),
            allow_classic_flow=form.checked("allow_classic_flow"),
            developer_provider_name=form.get("developer_provider_name").strip(),
            supported_login_providers=form.get("supported_login_providers"),
            openid_connect_provider_arns=form.get("openid_connect_provider_arns"),
            saml_provider_arns=form.get("saml_provider_arns"),
            cognito_identity_providers=form.get("cognito_identity_providers"),
            tags=form.get("tags"),
        )

    @staticmethod
    def from_pool(pool: Mapping[str, Any]) -> PoolFields:
        """From DescribeIdentityPool's answer."""
        cognito = [
            ",".join(
                [
                    p.get("ProviderName", ""),
                    p.get("ClientId", ""),
                    "true" if p.get("ServerSideTokenCheck") else "false",
                ]
            )
            for p in pool.get("CognitoIdentityProviders") or ()
        ]
        return PoolFields(
            name=pool.get("IdentityPoolName", ""),
            allow_unauthenticated=bool(pool.get("AllowUnauthenticatedIdentities")),
            allow_classic_flow=bool(pool.get("AllowClassicFlow")),
            developer_provider_name=pool.get("DeveloperProviderName", ""),
            supported_login_providers=key_value_text(pool.get("SupportedLoginProviders")),
            openid_connect_provider_arns="\n".join(pool.get("OpenIdConnectProviderARNs") or ()),
            saml_provider_arns="\n".join(pool.get("SamlProviderARNs") or ()),
            cognito_identity_providers="\n".join(cognito),
            tags=key_value_text(pool.get("IdentityPoolTags")),
            developer_provider_fixed=bool(pool.get("DeveloperProviderName")),
        )

    def params(self, *, update: bool) -> dict[str, Any]:
        """CreateIdentityPool's (``update``: UpdateIdentityPool's, without the id) parameters.
        An empty list or map is sent on update (the form shows them all, so empty means none),
        left out on create. Raises :class:`FormProblems`."""
        problems: list[str] = []
        out: dict[str, Any] = {
            "IdentityPoolName": self.name,
            "AllowUnauthenticatedIdentities": self.allow_unauthenticated,
            "AllowClassicFlow": self.allow_classic_flow,
        }
        if self.developer_provider_name:
            out["DeveloperProviderName"] = self.developer_provider_name
        logins = key_values(self.supported_login_providers, "Supported login providers", problems)
        oidc = lines(self.openid_connect_provider_arns)
        saml = lines(self.saml_provider_arns)
        cognito = self._cognito_providers(problems)
        tags = key_values(self.tags, "Tags", problems)
        if problems:
            raise FormProblems(problems)
        for name, value in (
            ("SupportedLoginProviders", logins),
            ("OpenIdConnectProviderARNs", oidc),
            ("SamlProviderARNs", saml),
            ("CognitoIdentityProviders", cognito),
            ("IdentityPoolTags", tags),
        ):
            if value or update:
                out[name] = value
        return out

    def _cognito_providers(self, problems: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for number, line in enumerate(self.cognito_identity_providers.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(",")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("true", "false")):
                problems.append(
                    f"Cognito user pools, line {number}: expected provider name, client id"
                    "[, true|false]"
                )
                continue
            provider: dict[str, Any] = {"ProviderName": parts[0], "ClientId": parts[1]}
            if len(parts) == 3:
                provider["ServerSideTokenCheck"] = parts[2] == "true"
            out.append(provider)
        return out


@dataclass(slots=True)
class RuleRow:
    claim: str = ""
    match_type: str = "Equals"
    value: str = ""
    role_arn: str = ""


@dataclass(slots=True)
class MappingFields:
    provider: str = ""
    type: str = "Token"
    ambiguous: str = "AuthenticatedRole"
    rules: list[RuleRow] = field(default_factory=list)
    remove: bool = False


@dataclass(slots=True)
class RolesFields:
    """The roles form: the pool's roles and one section per role mapping (and one new)."""

    authenticated: str = ""
    unauthenticated: str = ""
    mappings: list[MappingFields] = field(default_factory=list)

    @staticmethod
    def from_roles(answer: Mapping[str, Any]) -> RolesFields:
        """From GetIdentityPoolRoles' answer, with blank rule rows to fill and a blank mapping."""
        roles = answer.get("Roles") or {}
        mappings = []
        for provider, mapping in (answer.get("RoleMappings") or {}).items():
            rules = [
                RuleRow(r["Claim"], r["MatchType"], r["Value"], r["RoleARN"])
                for r in (mapping.get("RulesConfiguration") or {}).get("Rules", ())
            ]
            mappings.append(
                MappingFields(
                    provider,
                    mapping.get("Type", "Token"),
                    mapping.get("AmbiguousRoleResolution") or "AuthenticatedRole",
                    rules,
                )
            )
        fields = RolesFields(
            roles.get("authenticated", ""), roles.get("unauthenticated", ""), mappings
        )
        return fields.with_blanks()

    def with_blanks(self) -> RolesFields:
        """The same, with blank rule rows in each mapping and a blank mapping to add."""
        mappings = [m for m in self.mappings if m.provider or any(r.claim for r in m.rules)]
        mappings.append(MappingFields())
        for mapping in mappings:
            mapping.rules = [r for r in mapping.rules if r.claim or r.value or r.role_arn]
            mapping.rules += [RuleRow() for _ in range(BLANK_RULE_ROWS)]
        return RolesFields(self.authenticated, self.unauthenticated, mappings)

    @staticmethod
    def from_form(form: Form) -> RolesFields:
        mappings = []
        for m in range(min(_count(form, "mappings"), MAX_MAPPINGS)):
            prefix = f"m{m}_"
            rules = [
                RuleRow(
                    form.get(f"{prefix}r{r}_claim").strip(),
                    form.get(f"{prefix}r{r}_match", "Equals"),
                    form.get(f"{prefix}r{r}_value"),
                    form.get(f"{prefix}r{r}_role").strip(),
                )
                for r in range(min(_count(form, f"{prefix}rules"), MAX_RULES))
            ]
            mappings.append(
                MappingFields(
                    form.get(f"{prefix}provider").strip(),
                    form.get(f"{prefix}type", "Token"),
                    form.get(f"{prefix}ambiguous", "AuthenticatedRole"),
                    rules,
                    form.checked(f"{prefix}remove"),
                )
            )
        return RolesFields(
            form.get("authenticated").strip(), form.get("unauthenticated").strip(), mappings
        )

    def params(self) -> dict[str, Any]:
        """SetIdentityPoolRoles' ``Roles`` and ``RoleMappings``; a mapping marked to remove, or
        with no provider and no rule, is left out. Raises :class:`FormProblems`."""
        roles = {
            name: arn
            for name, arn in (
                ("authenticated", self.authenticated),
                ("unauthenticated", self.unauthenticated),
            )
            if arn
        }
        problems: list[str] = []
        mappings: dict[str, Any] = {}
        for mapping in self.mappings:
            rules = [r for r in mapping.rules if r.claim or r.value or r.role_arn]
            if mapping.remove or (not mapping.provider and not rules):
                continue
            if not mapping.provider:
                problems.append("A role mapping needs its identity provider.")
                continue
            entry: dict[str, Any] = {
                "Type": mapping.type,
                "AmbiguousRoleResolution": mapping.ambiguous,
            }
            if mapping.type == "Rules":
                entry["RulesConfiguration"] = {
                    "Rules": [
                        {
                            "Claim": r.claim,
                            "MatchType": r.match_type,
                            "Value": r.value,
                            "RoleARN": r.role_arn,
                        }
                        for r in rules
                    ]
                }
            mappings[mapping.provider] = entry
        if problems:
            raise FormProblems(problems)
        return {"Roles": roles, "RoleMappings": mappings}


def _count(form: Form, name: str) -> int:
    try:
        return max(int(form.get(name, "0")), 0)
    except ValueError:
        return 0


def parse_logins(text: str) -> dict[str, str]:
    """A ``Logins`` map: a JSON object (as the API takes it), or ``provider = token`` lines.
    Raises :class:`FormProblems`."""
    stripped = text.strip()
    if not stripped:
        return {}
    if stripped.startswith("{"):
        try:
            value = json.loads(stripped)
        except ValueError as exc:
            raise FormProblems([f"Logins: not a JSON object ({exc.args[0]})"]) from exc
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise FormProblems(["Logins: a JSON object of provider names to tokens (strings)"])
        return value
    problems: list[str] = []
    logins = key_values(stripped, "Logins", problems)
    if problems:
        raise FormProblems(problems)
    return logins
