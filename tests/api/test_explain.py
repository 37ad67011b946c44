"""Why this role? ``POST /_cognitoidentity/v1/explain`` and ``cognitoidentity explain`` on the
in-process server (both stores): every login's outcome, the claims seen, each rule of the role
mapping, the role or the very error GetCredentialsForIdentity answers (the tests make that call
too and compare), and the trust policy's decision."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cognitoidentity.server import cli
from cognitoidentity.server.native_api import EXPLAIN_PATH
from tests.api.test_decisions import call
from tests.api.test_trust import COGNITO, create_role, dev_pool, iam, login_token, trust_policy
from tests.support.idp import OidcProvider
from tests.support.inprocess import InProcessServer
from tests.support.server import Credentials

CLIENT_ID = "explained-app"
TRUST_ACTIONS = ("sts:AssumeRoleWithWebIdentity", "sts:TagSession")


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    assert isinstance(provider, OidcProvider)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def server(in_process: InProcessServer) -> InProcessServer:
    return in_process


@dataclass
class Pool:
    account: Credentials
    pool_id: str
    provider: str
    eng_role: str
    ops_role: str


def rules_pool(
    server: InProcessServer,
    idp: OidcProvider,
    *,
    trusted_pool: str | None = None,
    tag_session: bool = True,
    tags: bool = False,
) -> Pool:
    """A pool trusting ``idp``, whose ``dept`` claim chooses the role by rules (``ops`` equals,
    ``en`` prefix), ambiguity denied; the roles trust the pool (or ``trusted_pool``)."""
    account = server.new_account()
    provider = idp.url.removeprefix("http://")
    oidc_arn = iam(server, account).create_open_id_connect_provider(
        Url=idp.url, ClientIDList=[CLIENT_ID]
    )["OpenIDConnectProviderArn"]
    cognito = server.client(account)
    pool_id: str = cognito.create_identity_pool(
        IdentityPoolName="explained",
        AllowUnauthenticatedIdentities=True,
        OpenIdConnectProviderARNs=[oidc_arn],
    )["IdentityPoolId"]
    if tags:
        cognito.set_principal_tag_attribute_map(
            IdentityPoolId=pool_id, IdentityProviderName=provider, PrincipalTags={"dept": "dept"}
        )
    actions = TRUST_ACTIONS if tag_session else TRUST_ACTIONS[:1]
    trust = trust_policy(trusted_pool or pool_id, actions=actions)
    eng = create_role(server, account, "eng", trust)["Arn"]
    ops = create_role(server, account, "ops", trust)["Arn"]
    cognito.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={},
        RoleMappings={
            provider: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {
                    "Rules": [
                        {"Claim": "dept", "MatchType": "Equals", "Value": "ops", "RoleARN": ops},
                        {"Claim": "dept", "MatchType": "StartsWith", "Value": "en", "RoleARN": eng},
                    ]
                },
            }
        },
    )
    return Pool(account, pool_id, provider, eng, ops)


def explain(server: InProcessServer, pool: Pool, **payload: Any) -> dict[str, Any]:
    status, answer = call(
        server, pool.account, EXPLAIN_PATH, {"IdentityPoolId": pool.pool_id, **payload}
    )
    assert status == 200, answer
    return answer


def credentials_error(
    server: InProcessServer, pool: Pool, logins: dict[str, str] | None
) -> tuple[str, str] | None:
    """GetCredentialsForIdentity's error for ``logins`` (None: a new guest), or None if it
    succeeds."""
    public = server.client(unsigned=True)
    try:
        if logins is None:
            identity_id = public.get_id(IdentityPoolId=pool.pool_id)["IdentityId"]
            public.get_credentials_for_identity(IdentityId=identity_id)
        else:
            identity_id = public.get_id(IdentityPoolId=pool.pool_id, Logins=logins)["IdentityId"]
            public.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    except ClientError as exc:
        error = exc.response["Error"]
        return error["Code"], error["Message"]
    return None


def steps(answer: dict[str, Any]) -> list[tuple[str, str]]:
    return [(step["Step"], step["Outcome"]) for step in answer["Steps"]]


def test_rules_mapping_explained_step_by_step(server: InProcessServer, idp: OidcProvider) -> None:
    pool = rules_pool(server, idp)
    logins = {pool.provider: idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering")}
    answer = explain(server, pool, Logins=logins)
    assert answer["Error"] is None
    assert answer["RoleArn"] == pool.eng_role
    [login] = answer["Logins"]
    assert login["Verified"] is True
    assert login["UserId"] == "erin"
    assert login["Claims"]["dept"] == "engineering"
    assert login["IdentityId"] is None  # never linked: explain writes nothing
    [mapping] = answer["RoleMapping"]
    assert mapping["MappingKey"] == pool.provider
    assert [(r["Value"], r["ClaimValues"], r["Matched"]) for r in mapping["Rules"]] == [
        ("ops", ["engineering"], False),
        ("en", ["engineering"], True),
    ]
    assert steps(answer) == [
        (f"login {pool.provider}", "verified"),
        ("principal tags", "none"),
        (f"role mapping {pool.provider}", "found"),
        ("rule 1", "no match"),
        ("rule 2", "matched"),
        ("role", "chosen"),
        ("trust", "trusted"),
        *[("trust policy", "allowed")] * (len(answer["Steps"]) - 8),
        ("credentials", "issued"),
    ]
    assert answer["Trust"]["Trusted"] is True
    assert [d["Outcome"] for d in answer["Trust"]["Decisions"]] == ["allowed"]
    assert credentials_error(server, pool, logins) is None
    # Still nothing linked by the explanation; GetId (above) linked the login.
    again = explain(server, pool, Logins=logins)
    assert again["Logins"][0]["IdentityId"] == again["IdentityId"] is not None


def test_no_rule_matches_gives_the_ambiguous_role_error(
    server: InProcessServer, idp: OidcProvider
) -> None:
    pool = rules_pool(server, idp)
    logins = {pool.provider: idp.mint(sub="sam", aud=CLIENT_ID, dept="sales")}
    answer = explain(server, pool, Logins=logins)
    expected = (
        "NotAuthorizedException",
        f"The ambiguous role mapping rules for: {pool.provider} denied this request.",
    )
    assert (answer["Error"]["Code"], answer["Error"]["Message"]) == expected
    assert credentials_error(server, pool, logins) == expected
    assert [r["Matched"] for r in answer["RoleMapping"][0]["Rules"]] == [False, False]
    assert ("rules", "none matched") in steps(answer)
    assert answer["RoleArn"] is None and answer["Trust"] is None


def test_every_login_is_reported_and_the_first_failure_is_the_error(
    server: InProcessServer, idp: OidcProvider
) -> None:
    pool = rules_pool(server, idp)
    logins = {
        "accounts.google.com": "not-a-token",
        pool.provider: idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering"),
    }
    answer = explain(server, pool, Logins=logins)
    unsupported = (
        "NotAuthorizedException",
        "Token is not from a supported provider of this identity pool.",
    )
    google, good = answer["Logins"]
    assert (google["Verified"], google["Error"]["Code"], google["Error"]["Message"]) == (
        False,
        *unsupported,
    )
    assert good["Verified"] is True and good["Claims"]["sub"] == "erin"
    assert (answer["Error"]["Code"], answer["Error"]["Message"]) == unsupported
    assert credentials_error(server, pool, logins) == unsupported

    wrong_audience = {pool.provider: idp.mint(sub="erin", aud="someone-else", dept="eng")}
    answer = explain(server, pool, Logins=wrong_audience)
    error = (answer["Error"]["Code"], answer["Error"]["Message"])
    assert error[0] == "NotAuthorizedException"
    assert credentials_error(server, pool, wrong_audience) == error


def test_trust_refusal_is_explained(server: InProcessServer, idp: OidcProvider) -> None:
    pool = rules_pool(server, idp, trusted_pool="us-east-1:00000000-0000-0000-0000-000000000000")
    logins = {pool.provider: idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering")}
    answer = explain(server, pool, Logins=logins)
    refused = (
        "InvalidIdentityPoolConfigurationException",
        "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
    )
    assert (answer["Error"]["Code"], answer["Error"]["Message"]) == refused
    assert credentials_error(server, pool, logins) == refused
    assert answer["RoleArn"] == pool.eng_role
    trust = answer["Trust"]
    assert (trust["Trusted"], trust["Reason"]) == (False, "not trusted")
    assert trust["Decisions"][0]["Outcome"] == "implicitDeny"
    assert trust["Decisions"][0]["Explanation"]  # why the statement did not match
    assert ("trust", "refused") in steps(answer)


def test_principal_tags_need_tag_session(server: InProcessServer, idp: OidcProvider) -> None:
    pool = rules_pool(server, idp, tags=True, tag_session=False)
    logins = {pool.provider: idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering")}
    answer = explain(server, pool, Logins=logins)
    assert answer["PrincipalTags"] == {"dept": "engineering"}
    assert [d["Outcome"] for d in answer["Trust"]["Decisions"]] == ["allowed", "implicitDeny"]
    assert answer["Error"]["Code"] == "InvalidIdentityPoolConfigurationException"
    assert credentials_error(server, pool, logins) == (
        answer["Error"]["Code"],
        answer["Error"]["Message"],
    )


def test_guest_without_a_role(server: InProcessServer, idp: OidcProvider) -> None:
    pool = rules_pool(server, idp)
    answer = explain(server, pool)
    assert answer["Error"]["Code"] == "InvalidIdentityPoolConfigurationException"
    assert credentials_error(server, pool, None) == (
        answer["Error"]["Code"],
        answer["Error"]["Message"],
    )
    guest = server.client(unsigned=True).get_id(IdentityPoolId=pool.pool_id)["IdentityId"]
    server.client(pool.account).set_identity_pool_roles(
        IdentityPoolId=pool.pool_id,
        Roles={"unauthenticated": pool.ops_role},
    )
    named = explain(server, pool, IdentityId=guest)
    assert named["RoleArn"] == pool.ops_role
    assert steps(named)[0] == ("identity", "found")
    # The role's trust policy is for authenticated identities only.
    assert named["Trust"]["Trusted"] is False


def test_pools_of_other_accounts_are_not_found(server: InProcessServer, idp: OidcProvider) -> None:
    pool = rules_pool(server, idp)
    other = server.new_account()
    status, answer = call(server, other, EXPLAIN_PATH, {"IdentityPoolId": pool.pool_id})
    assert (status, answer["__type"]) == (400, "ResourceNotFoundException")
    status, answer = call(
        server,
        pool.account,
        EXPLAIN_PATH,
        {
            "IdentityPoolId": pool.pool_id,
            "IdentityId": "us-east-1:00000000-0000-0000-0000-000000000000",
        },
    )
    assert status == 200
    assert answer["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "Identity 'us-east-1:00000000-0000-0000-0000-000000000000' not found.",
    }


def test_cli_explains_against_the_store(
    server: InProcessServer, idp: OidcProvider, tmp_path: Path
) -> None:
    pool = rules_pool(server, idp)
    token_file = tmp_path / "token"
    token_file.write_text(idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering"))
    out = server.admin(
        "explain", "--pool", pool.pool_id, "--login", f"{pool.provider}=@{token_file}"
    )
    assert "  rule 2: matched: dept StartsWith 'en'" in out
    assert out.rstrip().endswith(f"=> role {pool.eng_role}")
    with pytest.raises(RuntimeError, match="no identity pool us-east-1:"):
        server.admin("explain", "--pool", "us-east-1:00000000-0000-0000-0000-000000000000")


def test_cli_exit_status_and_json(
    server: InProcessServer,
    idp: OidcProvider,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in server.env.items():
        if name.startswith("COGNITOIDENTITY_"):
            monkeypatch.setenv(name, value)
    pool = rules_pool(server, idp)
    token_file = tmp_path / "token"
    token_file.write_text(idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering"))
    login = f"{pool.provider}=@{token_file}"
    assert cli.main(["explain", "--json", "--pool", pool.pool_id, "--login", login]) == 0
    assert json.loads(capsys.readouterr().out)["RoleArn"] == pool.eng_role

    sales = idp.mint(sub="sam", aud=CLIENT_ID, dept="sales")
    monkeypatch.setattr("sys.stdin", io.StringIO(sales + "\n"))
    assert cli.main(["explain", "--pool", pool.pool_id, "--login", f"{pool.provider}=@-"]) == 1
    out = capsys.readouterr().out
    assert "  rules: none matched: AmbiguousRoleResolution Deny applies." in out
    assert out.rstrip().endswith(
        f"=> NotAuthorizedException: The ambiguous role mapping rules for: {pool.provider}"
        " denied this request."
    )

    assert cli.main(["explain", "--pool", pool.pool_id, "--login", "no-equals-sign"]) == 2
    assert "--login must be PROVIDER=TOKEN or PROVIDER=@FILE" in capsys.readouterr().err


def test_token_mapping_uses_the_claims_roles(server: InProcessServer, idp: OidcProvider) -> None:
    pool = rules_pool(server, idp)
    server.client(pool.account).set_identity_pool_roles(
        IdentityPoolId=pool.pool_id,
        Roles={},
        RoleMappings={
            pool.provider: {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}
        },
    )
    both = [pool.eng_role, pool.ops_role]
    ambiguous = {
        pool.provider: idp.mint(idp.claims(sub="t", aud=CLIENT_ID, **{"cognito:roles": both}))
    }
    answer = explain(server, pool, Logins=ambiguous)
    assert answer["RoleMapping"][0]["TokenRoles"] == both
    assert answer["Error"]["Code"] == "InvalidIdentityPoolConfigurationException"
    assert credentials_error(server, pool, ambiguous) == (
        answer["Error"]["Code"],
        answer["Error"]["Message"],
    )
    preferred = {
        pool.provider: idp.mint(
            idp.claims(
                sub="t",
                aud=CLIENT_ID,
                **{"cognito:roles": both, "cognito:preferred_role": pool.ops_role},
            )
        )
    }
    assert explain(server, pool, Logins=preferred)["RoleArn"] == pool.ops_role
    custom = explain(server, pool, Logins=ambiguous, CustomRoleArn=pool.eng_role)
    assert (custom["RoleArn"], custom["Error"]) == (pool.eng_role, None)


def test_our_own_token_as_the_login(server: InProcessServer) -> None:
    account = server.new_account()
    pool_id = dev_pool(server, account)
    role = create_role(server, account, "dev", trust_policy(pool_id))["Arn"]
    server.client(account).set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": role}
    )
    identity_id, token = login_token(server, account, pool_id)
    pool = Pool(account, pool_id, COGNITO, role, role)
    answer = explain(server, pool, Logins={COGNITO: token})
    assert (answer["IdentityId"], answer["RoleArn"], answer["Error"]) == (identity_id, role, None)
    assert answer["Logins"][0]["Claims"]["sub"] == identity_id
    bad = explain(server, pool, Logins={COGNITO: token[:-2] + "xx"})
    assert bad["Error"]["Code"] == "NotAuthorizedException"
    assert credentials_error(server, pool, {COGNITO: token[:-2] + "xx"}) == (
        bad["Error"]["Code"],
        bad["Error"]["Message"],
    )
