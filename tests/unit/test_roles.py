"""Role checks for SetIdentityPoolRoles and role resolution for GetCredentialsForIdentity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest

from cognitoidentity.server.api.cognito_identity import (
    InvalidIdentityPoolConfigurationException,
    InvalidParameterException,
    MappingRule,
    NotAuthorizedException,
    RoleMapping,
)
from cognitoidentity.server.errors import ServiceError
from cognitoidentity.server.roles import VerifiedLogin, check_roles, is_role_arn, resolve_role

ACCOUNT = "123456789012"
AUTH = f"arn:aws:iam::{ACCOUNT}:role/Cognito_Auth_Role"
UNAUTH = f"arn:aws:iam::{ACCOUNT}:role/Cognito_Unauth_Role"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/Admin"
EDITOR = f"arn:aws:iam::{ACCOUNT}:role/Editor"
VIEWER = f"arn:aws:iam::{ACCOUNT}:role/Viewer"
OTHER = f"arn:aws:iam::{ACCOUNT}:role/Other"

GOOGLE = "accounts.google.com"
FACEBOOK = "graph.facebook.com"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
CLIENT_ID = "5ov3i0gfrej294f05tjmhff52n"
USER_POOL_CLIENT = f"{USER_POOL}:{CLIENT_ID}"

ROLES = {"authenticated": AUTH, "unauthenticated": UNAUTH}

BAD_CONFIG = InvalidIdentityPoolConfigurationException(
    "Invalid identity pool configuration. Check assigned IAM roles for this pool."
)


def denied(provider: str) -> NotAuthorizedException:
    return NotAuthorizedException(
        f"The ambiguous role mapping rules for: {provider} denied this request."
    )


def forbidden(arn: str) -> NotAuthorizedException:
    return NotAuthorizedException(f"Access to Role '{arn}' is forbidden.")


def invalid(message: str) -> InvalidParameterException:
    return InvalidParameterException(message)


def rule(claim: str, match_type: str, value: str, role: str) -> MappingRule:
    return cast(
        MappingRule, {"Claim": claim, "MatchType": match_type, "Value": value, "RoleARN": role}
    )


def rules_mapping(*rules: MappingRule, ambiguous: str = "AuthenticatedRole") -> RoleMapping:
    return cast(
        RoleMapping,
        {
            "Type": "Rules",
            "AmbiguousRoleResolution": ambiguous,
            "RulesConfiguration": {"Rules": list(rules)},
        },
    )


def token_mapping(ambiguous: str = "AuthenticatedRole") -> RoleMapping:
    return cast(RoleMapping, {"Type": "Token", "AmbiguousRoleResolution": ambiguous})


def raw_mapping(**fields: Any) -> RoleMapping:
    """A mapping as a client may send it, including shapes the TypedDict does not allow."""
    return cast(RoleMapping, fields)


def login(
    provider: str = GOOGLE,
    claims: Mapping[str, object] | None = None,
    mapping_keys: tuple[str, ...] | None = None,
) -> VerifiedLogin:
    return VerifiedLogin(
        provider=provider,
        mapping_keys=(provider,) if mapping_keys is None else mapping_keys,
        claims={} if claims is None else claims,
    )


def user_pool_login(claims: Mapping[str, object] | None = None) -> VerifiedLogin:
    return login(USER_POOL, claims, (USER_POOL_CLIENT, USER_POOL))


def assert_outcome(call: Any, expected: str | ServiceError) -> None:
    if isinstance(expected, ServiceError):
        with pytest.raises(type(expected)) as info:
            call()
        assert type(info.value) is type(expected)
        assert info.value.message == expected.message
    else:
        assert call() == expected


# --- is_role_arn / check_roles -------------------------------------------------------------------

GOOD_ARNS = {
    "plain": AUTH,
    "path": f"arn:aws:iam::{ACCOUNT}:role/service-role/team/App",
    "china": f"arn:aws-cn:iam::{ACCOUNT}:role/App",
    "govcloud": f"arn:aws-us-gov:iam::{ACCOUNT}:role/App",
    "iso-b": f"arn:aws-iso-b:iam::{ACCOUNT}:role/App",
    "name-chars": f"arn:aws:iam::{ACCOUNT}:role/a_Z9+=,.@-",
    "name-64": f"arn:aws:iam::{ACCOUNT}:role/{'n' * 64}",
}

BAD_ARNS = {
    "user": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "assumed-role": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/session",
    "other-service": f"arn:aws:s3::{ACCOUNT}:role/App",
    "region-set": f"arn:aws:iam:us-east-1:{ACCOUNT}:role/App",
    "short-account": "arn:aws:iam::12345678901:role/App",
    "long-account": "arn:aws:iam::1234567890123:role/App",
    "no-account": "arn:aws:iam:::role/App",
    "bad-partition": f"arn:azure:iam::{ACCOUNT}:role/App",
    "empty-name": f"arn:aws:iam::{ACCOUNT}:role/",
    "trailing-slash": f"arn:aws:iam::{ACCOUNT}:role/path/",
    "double-slash": f"arn:aws:iam::{ACCOUNT}:role/path//App",
    "name-65": f"arn:aws:iam::{ACCOUNT}:role/{'n' * 65}",
    "space": f"arn:aws:iam::{ACCOUNT}:role/My Role",
    "non-ascii": f"arn:aws:iam::{ACCOUNT}:role/Rôle",
    "path-513": f"arn:aws:iam::{ACCOUNT}:role/{'p' * 511}/App",
    "not-an-arn": "Cognito_Auth_Role_Name",
    "newline": f"{AUTH}\n",
}


@pytest.mark.parametrize("arn", GOOD_ARNS.values(), ids=GOOD_ARNS.keys())
def test_is_role_arn_accepts(arn: str) -> None:
    assert is_role_arn(arn)


@pytest.mark.parametrize("arn", BAD_ARNS.values(), ids=BAD_ARNS.keys())
def test_is_role_arn_rejects(arn: str) -> None:
    assert not is_role_arn(arn)


def test_is_role_arn_longest_path() -> None:
    assert is_role_arn(f"arn:aws:iam::{ACCOUNT}:role/{'p' * 510}/{'n' * 64}")
    assert not is_role_arn(None)


@pytest.mark.parametrize(
    ("roles", "role_mappings"),
    [
        pytest.param({}, {}, id="empty-roles"),
        pytest.param({"authenticated": AUTH}, {}, id="authenticated-only"),
        pytest.param({"unauthenticated": UNAUTH}, {}, id="unauthenticated-only"),
        pytest.param(ROLES, {}, id="both-roles"),
        pytest.param({"authenticated": GOOD_ARNS["path"]}, {}, id="role-with-path"),
        pytest.param({"authenticated": GOOD_ARNS["china"]}, {}, id="china-partition"),
        pytest.param({}, {USER_POOL_CLIENT: token_mapping()}, id="token-no-roles"),
        pytest.param(ROLES, {USER_POOL_CLIENT: token_mapping("Deny")}, id="token-deny"),
        pytest.param(
            ROLES,
            {GOOGLE: rules_mapping(*(rule("c", m, "v", ADMIN) for m in ("Equals", "Contains")))},
            id="rules-equals-contains",
        ),
        pytest.param(
            ROLES,
            {
                GOOGLE: rules_mapping(
                    rule("c", "StartsWith", "v", ADMIN),
                    rule("c", "NotEqual", "v", GOOD_ARNS["path"]),
                    ambiguous="Deny",
                )
            },
            id="rules-startswith-notequal",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: rules_mapping(*(rule("c", "Equals", str(i), ADMIN) for i in range(25)))},
            id="25-rules",
        ),
        pytest.param(
            ROLES,
            {f"provider{i}.example.com": token_mapping() for i in range(10)},
            id="10-providers",
        ),
    ],
)
def test_check_roles_accepts(
    roles: Mapping[str, str], role_mappings: Mapping[str, RoleMapping]
) -> None:
    check_roles(roles, role_mappings, ACCOUNT)


def test_check_roles_refuses_another_accounts_roles() -> None:
    """A pool names only its own account's roles: with no trust policy to check, another
    account's role would let this account have credentials issued in that account's name."""
    foreign = "arn:aws:iam::210987654321:role/Cognito_Auth_Role"
    message = (
        f"Invalid RoleArn: {foreign} is a role of another account. An identity pool may use only"
        " roles of its own account."
    )
    assert_outcome(
        lambda: check_roles({"authenticated": foreign}, {}, ACCOUNT),
        InvalidParameterException(message),
    )
    mapping = rules_mapping(rule("c", "Equals", "v", foreign))
    assert_outcome(
        lambda: check_roles(ROLES, {GOOGLE: mapping}, ACCOUNT), InvalidParameterException(message)
    )


_TWENTY_SIX = rules_mapping(*(rule("c", "Equals", str(i), ADMIN) for i in range(26)))


@pytest.mark.parametrize(
    ("roles", "role_mappings", "error"),
    [
        pytest.param(
            {"authenticated": BAD_ARNS["user"]},
            {},
            invalid(f"Invalid RoleArn: {BAD_ARNS['user']}"),
            id="authenticated-user-arn",
        ),
        pytest.param(
            {"authenticated": AUTH, "unauthenticated": "Cognito_Unauth_Role_Name"},
            {},
            invalid("Invalid RoleArn: Cognito_Unauth_Role_Name"),
            id="unauthenticated-role-name",
        ),
        pytest.param(
            {"authenticated": BAD_ARNS["assumed-role"]},
            {},
            invalid(f"Invalid RoleArn: {BAD_ARNS['assumed-role']}"),
            id="assumed-role-arn",
        ),
        pytest.param(
            {"admin": ADMIN},
            {},
            invalid("Invalid role type: admin. Role types are authenticated and unauthenticated."),
            id="unknown-role-type",
        ),
        pytest.param(
            ROLES,
            {f"provider{i}.example.com": token_mapping() for i in range(11)},
            invalid("RoleMappings has 11 providers; at most 10 providers can have role mappings."),
            id="11-providers",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: raw_mapping(Type="Groups", AmbiguousRoleResolution="Deny")},
            invalid(
                f"Invalid role mapping type for {GOOGLE}: Groups. Valid types are Token and Rules."
            ),
            id="unknown-type",
        ),
        pytest.param(
            ROLES,
            {USER_POOL_CLIENT: raw_mapping(Type="Token")},
            invalid(
                "AmbiguousRoleResolution is required for the Token role mapping of"
                f" {USER_POOL_CLIENT}."
            ),
            id="token-missing-ambiguous",
        ),
        pytest.param(
            ROLES,
            {
                GOOGLE: raw_mapping(
                    Type="Rules", RulesConfiguration={"Rules": [rule("c", "Equals", "v", ADMIN)]}
                )
            },
            invalid(f"AmbiguousRoleResolution is required for the Rules role mapping of {GOOGLE}."),
            id="rules-missing-ambiguous",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: token_mapping("Allow")},
            invalid(
                f"Invalid AmbiguousRoleResolution for {GOOGLE}: Allow. Valid values are"
                " AuthenticatedRole and Deny."
            ),
            id="unknown-ambiguous",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: raw_mapping(Type="Rules", AmbiguousRoleResolution="Deny")},
            invalid(f"RulesConfiguration is required for the Rules role mapping of {GOOGLE}."),
            id="rules-without-configuration",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: rules_mapping()},
            invalid(
                f"The Rules role mapping of {GOOGLE} has 0 rules; it must have between 1 and 25."
            ),
            id="0-rules",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: _TWENTY_SIX},
            invalid(
                f"The Rules role mapping of {GOOGLE} has 26 rules; it must have between 1 and 25."
            ),
            id="26-rules",
        ),
        pytest.param(
            ROLES,
            {
                USER_POOL_CLIENT: raw_mapping(
                    Type="Token",
                    AmbiguousRoleResolution="AuthenticatedRole",
                    RulesConfiguration={"Rules": [rule("c", "Equals", "v", ADMIN)]},
                )
            },
            invalid(
                f"RulesConfiguration is not allowed for the Token role mapping of {USER_POOL_CLIENT}."
            ),
            id="token-with-rules",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: rules_mapping(rule("c", "Matches", "v", ADMIN))},
            invalid(
                f"Invalid MatchType for {GOOGLE}: Matches. Valid match types are Equals, Contains,"
                " StartsWith and NotEqual."
            ),
            id="unknown-match-type",
        ),
        pytest.param(
            ROLES,
            {
                GOOGLE: rules_mapping(
                    rule("c", "Equals", "v", ADMIN), rule("c", "Equals", "w", BAD_ARNS["user"])
                )
            },
            invalid(f"Invalid RoleArn: {BAD_ARNS['user']}"),
            id="rule-user-arn",
        ),
        pytest.param(
            ROLES,
            {GOOGLE: rules_mapping(rule("c", "Equals", "v", "Admin"))},
            invalid("Invalid RoleArn: Admin"),
            id="rule-role-name",
        ),
    ],
)
def test_check_roles_rejects(
    roles: Mapping[str, str],
    role_mappings: Mapping[str, RoleMapping],
    error: InvalidParameterException,
) -> None:
    assert_outcome(lambda: check_roles(roles, role_mappings, ACCOUNT), error)


# --- resolve_role: unauthenticated and default roles ---------------------------------------------


@pytest.mark.parametrize(
    ("roles", "role_mappings", "authenticated", "logins", "custom", "expected"),
    [
        pytest.param(ROLES, {}, False, [], None, UNAUTH, id="unauth"),
        pytest.param(ROLES, {}, False, [], ADMIN, UNAUTH, id="unauth-ignores-custom-role"),
        pytest.param(
            ROLES,
            {GOOGLE: token_mapping("Deny")},
            False,
            [],
            None,
            UNAUTH,
            id="unauth-ignores-mappings",
        ),
        pytest.param({"authenticated": AUTH}, {}, False, [], None, BAD_CONFIG, id="unauth-no-role"),
        pytest.param({}, {}, False, [], None, BAD_CONFIG, id="unauth-empty-roles"),
        pytest.param(
            {"authenticated": AUTH, "unauthenticated": ""},
            {},
            False,
            [],
            None,
            BAD_CONFIG,
            id="unauth-blank-role",
        ),
        pytest.param(ROLES, {}, True, [login()], None, AUTH, id="auth-default"),
        pytest.param(ROLES, {}, True, [], None, AUTH, id="auth-no-logins"),
        pytest.param(ROLES, {}, True, [login()], AUTH, AUTH, id="auth-custom-is-default"),
        pytest.param(ROLES, {}, True, [login()], ADMIN, forbidden(ADMIN), id="auth-custom-other"),
        pytest.param(
            {"unauthenticated": UNAUTH}, {}, True, [login()], None, BAD_CONFIG, id="auth-no-role"
        ),
        pytest.param(
            {"unauthenticated": UNAUTH},
            {},
            True,
            [login()],
            ADMIN,
            BAD_CONFIG,
            id="auth-no-role-with-custom",
        ),
        pytest.param(
            ROLES,
            {FACEBOOK: token_mapping("Deny")},
            True,
            [login(GOOGLE)],
            None,
            AUTH,
            id="auth-mapping-of-other-provider",
        ),
        pytest.param(
            ROLES,
            {USER_POOL: token_mapping("Deny")},
            True,
            [login(USER_POOL, mapping_keys=(USER_POOL_CLIENT,))],
            None,
            AUTH,
            id="auth-mapping-key-not-listed",
        ),
    ],
)
def test_resolve_default_roles(
    roles: Mapping[str, str],
    role_mappings: Mapping[str, RoleMapping],
    authenticated: bool,
    logins: Sequence[VerifiedLogin],
    custom: str | None,
    expected: str | ServiceError,
) -> None:
    assert_outcome(
        lambda: resolve_role(
            roles=roles,
            role_mappings=role_mappings,
            authenticated=authenticated,
            logins=logins,
            custom_role_arn=custom,
        ),
        expected,
    )


# --- resolve_role: Type=Rules --------------------------------------------------------------------

CLAIMS: dict[str, object] = {
    "sub": "b3a5c0de-1111-2222-3333-444455556666",
    "custom:dept": "Sales",
    "email": "alice@example.com",
    "email_verified": True,
    "custom:level": 3,
    "custom:score": 1.5,
    "cognito:groups": ["admins", "sales-team"],
    "empty": [],
    "nothing": None,
    "address": {"country": "FR"},
}


@pytest.mark.parametrize(
    ("rules", "custom", "expected"),
    [
        # Equals
        pytest.param([rule("custom:dept", "Equals", "Sales", ADMIN)], None, ADMIN, id="equals"),
        pytest.param([rule("custom:dept", "Equals", "sales", ADMIN)], None, AUTH, id="equals-case"),
        pytest.param(
            [rule("custom:dept", "Equals", "Sale", ADMIN)], None, AUTH, id="equals-prefix"
        ),
        # NotEqual
        pytest.param([rule("custom:dept", "NotEqual", "HR", ADMIN)], None, ADMIN, id="notequal"),
        pytest.param(
            [rule("custom:dept", "NotEqual", "Sales", ADMIN)], None, AUTH, id="notequal-same"
        ),
        # StartsWith
        pytest.param([rule("email", "StartsWith", "alice@", ADMIN)], None, ADMIN, id="startswith"),
        pytest.param(
            [rule("email", "StartsWith", "example", ADMIN)], None, AUTH, id="startswith-no"
        ),
        # Contains
        pytest.param([rule("email", "Contains", "@example.", ADMIN)], None, ADMIN, id="contains"),
        pytest.param(
            [rule("email", "Contains", "@example.org", ADMIN)], None, AUTH, id="contains-no"
        ),
        # missing claims
        pytest.param(
            [rule("custom:missing", "Equals", "x", ADMIN)], None, AUTH, id="missing-equals"
        ),
        pytest.param(
            [rule("custom:missing", "Contains", "x", ADMIN)], None, AUTH, id="missing-contains"
        ),
        pytest.param(
            [rule("custom:missing", "StartsWith", "x", ADMIN)], None, AUTH, id="missing-startswith"
        ),
        pytest.param(
            [rule("custom:missing", "NotEqual", "x", ADMIN)], None, AUTH, id="missing-notequal"
        ),
        pytest.param([rule("nothing", "NotEqual", "x", ADMIN)], None, AUTH, id="null-notequal"),
        pytest.param([rule("empty", "NotEqual", "x", ADMIN)], None, AUTH, id="empty-list-notequal"),
        pytest.param([rule("address", "NotEqual", "x", ADMIN)], None, AUTH, id="object-notequal"),
        pytest.param([rule("address", "Contains", "FR", ADMIN)], None, AUTH, id="object-contains"),
        # NotEqual on a missing claim is skipped, and the next rule is evaluated
        pytest.param(
            [
                rule("custom:missing", "NotEqual", "x", ADMIN),
                rule("custom:dept", "Equals", "Sales", EDITOR),
            ],
            None,
            EDITOR,
            id="notequal-missing-skipped",
        ),
        # first match wins
        pytest.param(
            [
                rule("custom:dept", "Equals", "HR", ADMIN),
                rule("email", "Contains", "example", EDITOR),
                rule("custom:dept", "Equals", "Sales", VIEWER),
            ],
            None,
            EDITOR,
            id="first-match-wins",
        ),
        pytest.param(
            [
                rule("custom:dept", "NotEqual", "HR", ADMIN),
                rule("custom:dept", "Equals", "Sales", EDITOR),
            ],
            None,
            ADMIN,
            id="first-match-wins-notequal",
        ),
        # list claims: any element
        pytest.param(
            [rule("cognito:groups", "Equals", "admins", ADMIN)], None, ADMIN, id="list-equals"
        ),
        pytest.param(
            [rule("cognito:groups", "Equals", "admin", ADMIN)], None, AUTH, id="list-equals-no"
        ),
        pytest.param(
            [rule("cognito:groups", "Contains", "team", ADMIN)], None, ADMIN, id="list-contains"
        ),
        pytest.param(
            [rule("cognito:groups", "Contains", "admins", ADMIN)],
            None,
            ADMIN,
            id="list-contains-member",
        ),
        pytest.param(
            [rule("cognito:groups", "StartsWith", "sales", ADMIN)],
            None,
            ADMIN,
            id="list-startswith",
        ),
        pytest.param(
            [rule("cognito:groups", "NotEqual", "admins", ADMIN)],
            None,
            AUTH,
            id="list-notequal-member",
        ),
        pytest.param(
            [rule("cognito:groups", "NotEqual", "guests", ADMIN)], None, ADMIN, id="list-notequal"
        ),
        # non-string scalars
        pytest.param([rule("email_verified", "Equals", "true", ADMIN)], None, ADMIN, id="bool"),
        pytest.param([rule("email_verified", "Equals", "True", ADMIN)], None, AUTH, id="bool-case"),
        pytest.param([rule("custom:level", "Equals", "3", ADMIN)], None, ADMIN, id="int"),
        pytest.param([rule("custom:score", "StartsWith", "1.", ADMIN)], None, ADMIN, id="float"),
        # CustomRoleArn
        pytest.param(
            [
                rule("custom:dept", "Equals", "Sales", ADMIN),
                rule("email", "Contains", "example", EDITOR),
            ],
            EDITOR,
            EDITOR,
            id="custom-later-match",
        ),
        pytest.param(
            [
                rule("custom:dept", "Equals", "Sales", ADMIN),
                rule("email", "Contains", "example", EDITOR),
            ],
            ADMIN,
            ADMIN,
            id="custom-first-match",
        ),
        pytest.param(
            [
                rule("custom:dept", "Equals", "Sales", ADMIN),
                rule("custom:dept", "Equals", "HR", EDITOR),
            ],
            EDITOR,
            forbidden(EDITOR),
            id="custom-of-unmatched-rule",
        ),
        pytest.param(
            [rule("custom:dept", "Equals", "Sales", ADMIN)],
            OTHER,
            forbidden(OTHER),
            id="custom-unknown",
        ),
        pytest.param(
            [rule("custom:dept", "Equals", "Sales", ADMIN)],
            AUTH,
            forbidden(AUTH),
            id="custom-default-while-rule-matches",
        ),
        pytest.param(
            [rule("custom:dept", "Equals", "HR", ADMIN)],
            AUTH,
            AUTH,
            id="custom-default-no-match",
        ),
        pytest.param(
            [rule("custom:dept", "Equals", "HR", ADMIN)],
            ADMIN,
            forbidden(ADMIN),
            id="custom-no-match",
        ),
        pytest.param(
            [rule("custom:missing", "NotEqual", "x", ADMIN)],
            ADMIN,
            forbidden(ADMIN),
            id="custom-notequal-missing",
        ),
    ],
)
def test_resolve_rules(
    rules: list[MappingRule], custom: str | None, expected: str | ServiceError
) -> None:
    assert_outcome(
        lambda: resolve_role(
            roles=ROLES,
            role_mappings={GOOGLE: rules_mapping(*rules)},
            authenticated=True,
            logins=[login(GOOGLE, CLAIMS)],
            custom_role_arn=custom,
        ),
        expected,
    )


@pytest.mark.parametrize(
    ("roles", "mapping", "custom", "expected"),
    [
        pytest.param(
            ROLES,
            rules_mapping(rule("custom:dept", "Equals", "HR", ADMIN)),
            None,
            AUTH,
            id="authenticated-role",
        ),
        pytest.param(
            ROLES,
            rules_mapping(rule("custom:dept", "Equals", "HR", ADMIN), ambiguous="Deny"),
            None,
            denied(GOOGLE),
            id="deny",
        ),
        pytest.param(
            ROLES,
            rules_mapping(rule("custom:dept", "Equals", "HR", ADMIN), ambiguous="Deny"),
            AUTH,
            denied(GOOGLE),
            id="deny-with-custom",
        ),
        pytest.param(
            ROLES,
            rules_mapping(rule("custom:dept", "Equals", "Sales", ADMIN), ambiguous="Deny"),
            None,
            ADMIN,
            id="deny-but-match",
        ),
        pytest.param(
            {"unauthenticated": UNAUTH},
            rules_mapping(rule("custom:dept", "Equals", "HR", ADMIN)),
            None,
            BAD_CONFIG,
            id="authenticated-role-missing",
        ),
        pytest.param(
            {},
            rules_mapping(rule("custom:dept", "Equals", "Sales", ADMIN)),
            None,
            ADMIN,
            id="match-needs-no-pool-role",
        ),
        pytest.param(
            ROLES,
            raw_mapping(
                Type="Rules", RulesConfiguration={"Rules": [rule("x", "Equals", "y", ADMIN)]}
            ),
            None,
            denied(GOOGLE),
            id="stored-without-resolution-denies",
        ),
        pytest.param(
            ROLES,
            raw_mapping(Type="Rules", AmbiguousRoleResolution="AuthenticatedRole"),
            None,
            AUTH,
            id="stored-without-rules",
        ),
    ],
)
def test_resolve_rules_no_match(
    roles: Mapping[str, str], mapping: RoleMapping, custom: str | None, expected: str | ServiceError
) -> None:
    assert_outcome(
        lambda: resolve_role(
            roles=roles,
            role_mappings={GOOGLE: mapping},
            authenticated=True,
            logins=[login(GOOGLE, CLAIMS)],
            custom_role_arn=custom,
        ),
        expected,
    )


# --- resolve_role: Type=Token --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "ambiguous", "custom", "expected"),
    [
        pytest.param(
            {"cognito:roles": [ADMIN, EDITOR], "cognito:preferred_role": EDITOR},
            "Deny",
            None,
            EDITOR,
            id="preferred-role",
        ),
        pytest.param(
            {"cognito:roles": [ADMIN], "cognito:preferred_role": ADMIN},
            "Deny",
            None,
            ADMIN,
            id="preferred-single-role",
        ),
        pytest.param({"cognito:roles": [VIEWER]}, "Deny", None, VIEWER, id="single-role"),
        pytest.param(
            {"cognito:roles": [VIEWER, VIEWER]}, "Deny", None, VIEWER, id="single-role-duplicated"
        ),
        pytest.param(
            {"cognito:roles": f"{ADMIN},{EDITOR}", "cognito:preferred_role": ADMIN},
            "Deny",
            None,
            ADMIN,
            id="comma-separated-preferred",
        ),
        pytest.param(
            {"cognito:roles": f"{VIEWER}"}, "Deny", None, VIEWER, id="comma-separated-one"
        ),
        pytest.param(
            {"cognito:roles": [ADMIN, EDITOR]},
            "AuthenticatedRole",
            None,
            AUTH,
            id="ambiguous-authenticated-role",
        ),
        pytest.param(
            {"cognito:roles": [ADMIN, EDITOR]},
            "Deny",
            None,
            denied(USER_POOL),
            id="ambiguous-deny",
        ),
        pytest.param({}, "AuthenticatedRole", None, AUTH, id="no-roles-authenticated-role"),
        pytest.param({}, "Deny", None, denied(USER_POOL), id="no-roles-deny"),
        pytest.param({"cognito:roles": []}, "Deny", None, denied(USER_POOL), id="empty-roles-deny"),
        pytest.param(
            {"cognito:roles": [ADMIN, EDITOR], "cognito:preferred_role": ADMIN},
            "Deny",
            EDITOR,
            EDITOR,
            id="custom-in-roles",
        ),
        pytest.param(
            {"cognito:roles": [ADMIN, EDITOR]},
            "Deny",
            ADMIN,
            ADMIN,
            id="custom-resolves-ambiguity",
        ),
        pytest.param(
            {"cognito:roles": f"{ADMIN},{EDITOR}"},
            "Deny",
            EDITOR,
            EDITOR,
            id="custom-in-comma-separated",
        ),
        pytest.param(
            {"cognito:roles": [ADMIN, EDITOR], "cognito:preferred_role": ADMIN},
            "AuthenticatedRole",
            VIEWER,
            forbidden(VIEWER),
            id="custom-not-in-roles",
        ),
        pytest.param(
            {"cognito:roles": [ADMIN]},
            "AuthenticatedRole",
            AUTH,
            forbidden(AUTH),
            id="custom-default-not-in-roles",
        ),
        pytest.param({}, "AuthenticatedRole", ADMIN, forbidden(ADMIN), id="custom-without-roles"),
    ],
)
def test_resolve_token(
    claims: Mapping[str, object], ambiguous: str, custom: str | None, expected: str | ServiceError
) -> None:
    assert_outcome(
        lambda: resolve_role(
            roles=ROLES,
            role_mappings={USER_POOL_CLIENT: token_mapping(ambiguous)},
            authenticated=True,
            logins=[user_pool_login(claims)],
            custom_role_arn=custom,
        ),
        expected,
    )


def test_resolve_token_ambiguous_without_authenticated_role() -> None:
    assert_outcome(
        lambda: resolve_role(
            roles={"unauthenticated": UNAUTH},
            role_mappings={USER_POOL_CLIENT: token_mapping()},
            authenticated=True,
            logins=[user_pool_login({"cognito:roles": [ADMIN, EDITOR]})],
            custom_role_arn=None,
        ),
        BAD_CONFIG,
    )


# --- resolve_role: which mapping applies ---------------------------------------------------------

_DEPT_ADMIN = rules_mapping(rule("custom:dept", "Equals", "Sales", ADMIN), ambiguous="Deny")
_DEPT_EDITOR = rules_mapping(rule("custom:dept", "Equals", "Sales", EDITOR), ambiguous="Deny")
_SALES = {"custom:dept": "Sales"}


@pytest.mark.parametrize(
    ("role_mappings", "logins", "expected"),
    [
        pytest.param(
            {USER_POOL_CLIENT: _DEPT_ADMIN, USER_POOL: _DEPT_EDITOR},
            [user_pool_login(_SALES)],
            ADMIN,
            id="most-specific-key-first",
        ),
        pytest.param(
            {USER_POOL: _DEPT_EDITOR, USER_POOL_CLIENT: _DEPT_ADMIN},
            [user_pool_login(_SALES)],
            ADMIN,
            id="most-specific-key-first-any-map-order",
        ),
        pytest.param(
            {USER_POOL: _DEPT_EDITOR},
            [user_pool_login(_SALES)],
            EDITOR,
            id="less-specific-key",
        ),
        pytest.param(
            {f"{USER_POOL}:otherclient": _DEPT_EDITOR},
            [user_pool_login(_SALES)],
            AUTH,
            id="other-client-key",
        ),
        pytest.param(
            {GOOGLE: _DEPT_ADMIN, FACEBOOK: _DEPT_EDITOR},
            [login(FACEBOOK, _SALES), login(GOOGLE, _SALES)],
            EDITOR,
            id="first-login-with-mapping",
        ),
        pytest.param(
            {GOOGLE: _DEPT_ADMIN},
            [login(FACEBOOK, _SALES), login(GOOGLE, _SALES)],
            ADMIN,
            id="skips-login-without-mapping",
        ),
        pytest.param(
            {GOOGLE: _DEPT_ADMIN, FACEBOOK: _DEPT_EDITOR},
            [login(GOOGLE, {}), login(FACEBOOK, _SALES)],
            denied(GOOGLE),
            id="first-mapped-login-decides-even-if-denied",
        ),
        pytest.param(
            {GOOGLE: _DEPT_ADMIN},
            [login(GOOGLE, _SALES, mapping_keys=())],
            ADMIN,
            id="empty-mapping-keys-use-provider",
        ),
        pytest.param(
            {USER_POOL_CLIENT: _DEPT_ADMIN},
            [user_pool_login({})],
            denied(USER_POOL),
            id="deny-names-logins-key",
        ),
    ],
)
def test_resolve_mapping_selection(
    role_mappings: Mapping[str, RoleMapping],
    logins: Sequence[VerifiedLogin],
    expected: str | ServiceError,
) -> None:
    assert_outcome(
        lambda: resolve_role(
            roles=ROLES,
            role_mappings=role_mappings,
            authenticated=True,
            logins=logins,
            custom_role_arn=None,
        ),
        expected,
    )
