"""The console's editing pages over HTTP, on the in-process server: IAM roles (create, trust
policy, settings, inline and managed policies, delete), customer managed policies and their
versions, a pool's tags and principal-tag maps, and the dashboard's metrics. Each change is
checked through boto3, as a user of the API sees it, and each refusal carries the API's own
words (the same document sent through boto3 gets the same message)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import markupsafe
import pytest
from botocore.exceptions import ClientError

from tests.console.support import ConsoleSession, create_pool, signed_in
from tests.support.inprocess import InProcessServer
from tests.support.server import Credentials

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ],
    }
)
GOOGLE = "accounts.google.com"
USER_POOL = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Console1"


def identity_policy(action: str = "cognito-identity:Describe*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
        }
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data_dir = tmp_path_factory.mktemp("console-editing")
    running = InProcessServer(data_dir, str(data_dir / "store.db")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def account(server: InProcessServer) -> Credentials:
    return server.new_account()


@pytest.fixture
def browser(server: InProcessServer, account: Credentials) -> ConsoleSession:
    return signed_in(server, account)


@pytest.fixture
def iam(server: InProcessServer, account: Credentials) -> Any:
    return server.client(account, service="iam")


def api_message(call: Any, **params: Any) -> str:
    """The message the API answers ``call(**params)`` with, escaped as a page shows it."""
    with pytest.raises(ClientError) as refused:
        call(**params)
    error = refused.value.response["Error"]
    return str(markupsafe.escape(f"{error['Code']}: {error['Message']}"))


def test_create_a_role_and_edit_its_trust_policy_and_settings(
    browser: ConsoleSession, iam: Any
) -> None:
    form = browser.get(
        "/console/iam/create-role?pool_id=us-east-1:11111111-2222-3333-4444-555555555555"
    )
    assert form.status_code == 200
    assert "cognito-identity.amazonaws.com:aud&#34;: &#34;us-east-1:11111111-2222" in form.text

    fields = {
        "name": "app-users",
        "path": "/apps/",
        "description": "Signed-in users",
        "trust": TRUST,
    }
    not_trust = {**fields, "trust": identity_policy()}
    refused = browser.post("/console/iam/create-role", {**not_trust, "max_session": "3600"})
    assert refused.status_code == 400
    assert (
        api_message(
            iam.create_role, RoleName="app-users", AssumeRolePolicyDocument=identity_policy()
        )
        in refused.text
    )
    assert "MalformedPolicyDocument" in refused.text
    not_a_number = browser.post("/console/iam/create-role", {**fields, "max_session": "an hour"})
    assert not_a_number.status_code == 400
    assert "Maximum session duration: a whole number of seconds" in not_a_number.text
    too_short = browser.post("/console/iam/create-role", {**fields, "max_session": "60"})
    assert too_short.status_code == 400
    assert "ValidationException" in too_short.text
    assert "60" in too_short.text
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName="app-users")

    created = browser.post("/console/iam/create-role", {**fields, "max_session": "7200"})
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/console/iam/roles/app-users"
    role = iam.get_role(RoleName="app-users")["Role"]
    assert role["Path"] == "/apps/"
    assert role["Arn"].endswith(":role/apps/app-users")
    assert role["Description"] == "Signed-in users"
    assert role["MaxSessionDuration"] == 7200
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    page = browser.get("/console/iam/roles/app-users")
    assert page.status_code == 200
    assert "Signed-in users" in page.text
    assert "sts:AssumeRoleWithWebIdentity" in page.text
    again = browser.post("/console/iam/create-role", {**fields, "max_session": "7200"})
    assert again.status_code == 400
    assert "EntityAlreadyExists: Role with name app-users already exists." in again.text

    edit = browser.get("/console/iam/roles/app-users/edit")
    assert edit.status_code == 200
    assert "sts:AssumeRoleWithWebIdentity" in edit.text
    bad_trust = browser.post("/console/iam/roles/app-users/trust", {"trust": identity_policy()})
    assert bad_trust.status_code == 400
    assert (
        api_message(
            iam.update_assume_role_policy, RoleName="app-users", PolicyDocument=identity_policy()
        )
        in bad_trust.text
    )
    narrower = json.loads(TRUST)
    narrower["Statement"][0]["Condition"] = {
        "StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool"}
    }
    saved = browser.post("/console/iam/roles/app-users/trust", {"trust": json.dumps(narrower)})
    assert saved.status_code == 303
    assert iam.get_role(RoleName="app-users")["Role"]["AssumeRolePolicyDocument"] == narrower

    too_long = browser.post(
        "/console/iam/roles/app-users/settings", {"description": "x", "max_session": "90000"}
    )
    assert too_long.status_code == 400
    assert "ValidationException" in too_long.text
    settings = browser.post(
        "/console/iam/roles/app-users/settings",
        {"description": "Users of the app", "max_session": "3600"},
    )
    assert settings.status_code == 303
    role = iam.get_role(RoleName="app-users")["Role"]
    assert (role["Description"], role["MaxSessionDuration"]) == ("Users of the app", 3600)


def test_inline_and_managed_policies_and_deleting_the_role(
    browser: ConsoleSession, iam: Any
) -> None:
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)
    role = "/console/iam/roles/worker"

    # Inline policies: IAM's words for a document that is none, then put, change, delete.
    malformed = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}'
    refused = browser.post(f"{role}/policy", {"policy_name": "reads", "document": malformed})
    assert refused.status_code == 400
    assert (
        api_message(
            iam.put_role_policy, RoleName="worker", PolicyName="reads", PolicyDocument=malformed
        )
        in refused.text
    )
    assert markupsafe.escape(malformed) in refused.text  # the document typed, kept
    put = browser.post(f"{role}/policy", {"policy_name": "reads", "document": identity_policy()})
    assert put.status_code == 303
    assert iam.get_role_policy(RoleName="worker", PolicyName="reads")[
        "PolicyDocument"
    ] == json.loads(identity_policy())
    editing = browser.get(f"{role}/policy?name=reads")
    assert editing.status_code == 200
    assert "cognito-identity:Describe*" in editing.text
    changed = browser.post(
        f"{role}/policy",
        {
            "policy_name": "reads",
            "document": identity_policy("cognito-identity:List*"),
            "existing": "on",
        },
    )
    assert changed.status_code == 303
    assert (
        iam.get_role_policy(RoleName="worker", PolicyName="reads")["PolicyDocument"]["Statement"][
            0
        ]["Action"]
        == "cognito-identity:List*"
    )

    # A managed policy, made and versioned in the console.
    wrong_version = json.dumps(
        {"Version": "2008-10-17", "Statement": json.loads(identity_policy())["Statement"]}
    )
    old = browser.post("/console/iam/create-policy", {"name": "pools", "document": wrong_version})
    assert old.status_code == 400
    assert "Policy document must be version 2012-10-17 or greater." in old.text
    made = browser.post(
        "/console/iam/create-policy",
        {
            "name": "pools",
            "path": "/team/",
            "description": "Pool reads",
            "document": identity_policy(),
        },
    )
    assert made.status_code == 303, made.text
    arn = iam.list_policies(Scope="Local")["Policies"][0]["Arn"]
    assert arn.endswith(":policy/team/pools")
    assert (
        made.headers["location"]
        == f"/console/iam/policies/view?arn={arn.replace(':', '%3A').replace('/', '%2F')}"
    )
    listed = browser.get("/console/iam/policies")
    assert "pools" in listed.text and arn in listed.text
    viewed = browser.get(made.headers["location"])
    assert viewed.status_code == 200
    assert "Default version: v1" in viewed.text
    assert "Pool reads" in viewed.text
    v2 = browser.post(
        "/console/iam/policies/versions",
        {
            "policy_arn": arn,
            "document": identity_policy("cognito-identity:Get*"),
            "set_default": "on",
        },
    )
    assert v2.status_code == 303
    v3 = browser.post(
        "/console/iam/policies/versions",
        {"policy_arn": arn, "document": identity_policy("cognito-identity:List*")},
    )
    assert v3.status_code == 303
    versions = {
        v["VersionId"]: v["IsDefaultVersion"]
        for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]
    }
    assert versions == {"v1": False, "v2": True, "v3": False}
    assert "Default version: v2" in browser.get(made.headers["location"]).text
    assert (
        browser.post(
            "/console/iam/policies/default", {"policy_arn": arn, "version_id": "v3"}
        ).status_code
        == 303
    )
    default_gone = browser.post(
        "/console/iam/policies/delete-version", {"policy_arn": arn, "version_id": "v3"}
    )
    assert default_gone.status_code == 400
    assert "DeleteConflict: Cannot delete the default version of a policy." in default_gone.text
    assert (
        browser.post(
            "/console/iam/policies/delete-version", {"policy_arn": arn, "version_id": "v1"}
        ).status_code
        == 303
    )
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        "v3",
        "v2",
    ]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"

    # Attached from the role page's menu of the account's policies.
    page = browser.get(role).text
    assert f'<option value="{arn}">pools (/team/)</option>' in page
    assert browser.post(f"{role}/attach", {"policy_arn": arn}).status_code == 303
    assert [
        p["PolicyArn"]
        for p in iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"]
    ] == [arn]
    page = browser.get(role).text
    assert "cognito-identity:List*" in page  # the attached policy's default version
    assert f'<option value="{arn}"' not in page

    # Deleting: refused while policies remain, with IAM's words; then after confirmation.
    refused = browser.post(f"{role}/delete", {"confirm_name": "worker"})
    assert refused.status_code == 400
    assert "DeleteConflict: Cannot delete entity, must detach all policies first." in refused.text
    assert browser.post(f"{role}/detach", {"policy_arn": arn}).status_code == 303
    refused = browser.post(f"{role}/delete", {"confirm_name": "worker"})
    assert "DeleteConflict: Cannot delete entity, must delete policies first." in refused.text
    assert browser.post(f"{role}/policy/delete", {"policy_name": "reads"}).status_code == 303
    missing = browser.post(f"{role}/policy/delete", {"policy_name": "reads"})
    assert missing.status_code == 404
    assert "The role policy with name reads cannot be found." in missing.text
    unconfirmed = browser.post(f"{role}/delete", {"confirm_name": "work"})
    assert unconfirmed.status_code == 400
    assert "Type the role&#39;s name exactly to confirm." in unconfirmed.text
    deleted = browser.post(f"{role}/delete", {"confirm_name": "worker"})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/console/iam/roles"
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName="worker")


def test_pool_tags_and_principal_tag_maps(
    server: InProcessServer, account: Credentials, browser: ConsoleSession
) -> None:
    pool_id = create_pool(
        browser,
        "tagged",
        supported_login_providers=f"{GOOGLE} = app.apps.googleusercontent.com",
        cognito_identity_providers=f"{USER_POOL}, client1",
    )
    cognito = server.client(account)
    arn = f"arn:aws:cognito-identity:us-east-1:{account.account_id}:identitypool/{pool_id}"
    page = browser.get(f"/console/pools/{pool_id}/tags")
    assert page.status_code == 200
    assert "No tag." in page.text
    assert f"Use the default map for {GOOGLE}" in page.text
    assert f"Use the default map for {USER_POOL}" in page.text

    tags = f"/console/pools/{pool_id}/tags"
    assert browser.post(f"{tags}/add", {"key": "team", "value": "identity"}).status_code == 303
    assert browser.post(f"{tags}/add", {"key": "stage", "value": "test"}).status_code == 303
    reserved = browser.post(f"{tags}/add", {"key": "aws:owner", "value": "x"})
    assert reserved.status_code == 400
    assert (
        api_message(cognito.tag_resource, ResourceArn=arn, Tags={"aws:owner": "x"}) in reserved.text
    )
    assert 'value="aws:owner"' in reserved.text  # what was typed, kept
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {
        "team": "identity",
        "stage": "test",
    }
    assert browser.post(f"{tags}/remove", {"key": "stage"}).status_code == 303
    assert cognito.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "identity"}
    assert "identity" in browser.get(tags).text

    mapped = f"/console/pools/{pool_id}/principal-tags"
    assert (
        browser.post(
            mapped, {"provider": GOOGLE, "use_defaults": "on", "principal_tags": ""}
        ).status_code
        == 303
    )
    custom = browser.post(
        mapped, {"provider": USER_POOL, "principal_tags": "dept = custom:dept\nteam = custom:team"}
    )
    assert custom.status_code == 303
    assert (
        browser.post(
            mapped, {"provider": "login.example.org", "principal_tags": "user = sub"}
        ).status_code
        == 303
    )
    google = cognito.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=GOOGLE
    )
    assert (google["UseDefaults"], google["PrincipalTags"]) == (
        True,
        {"client": "aud", "username": "sub"},
    )
    user_pool = cognito.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=USER_POOL
    )
    assert (user_pool["UseDefaults"], user_pool["PrincipalTags"]) == (
        False,
        {"dept": "custom:dept", "team": "custom:team"},
    )
    other = cognito.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName="login.example.org"
    )
    assert other["PrincipalTags"] == {"user": "sub"}
    assert "dept = custom:dept" in browser.get(tags).text

    unreadable = browser.post(mapped, {"provider": USER_POOL, "principal_tags": "dept custom:dept"})
    assert unreadable.status_code == 400
    assert "Principal tags, line 1: expected key = value" in unreadable.text
    assert "dept custom:dept" in unreadable.text
    too_long = "\n".join(f"tag{i:03d} = {'c' * 20}" for i in range(20))
    refused = browser.post(mapped, {"provider": USER_POOL, "principal_tags": too_long})
    assert refused.status_code == 400
    assert "InvalidParameterException" in refused.text
    assert cognito.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=USER_POOL
    )["PrincipalTags"] == {"dept": "custom:dept", "team": "custom:team"}
    assert browser.post(mapped, {"provider": USER_POOL, "principal_tags": ""}).status_code == 303
    cleared = cognito.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=USER_POOL
    )
    assert (cleared["UseDefaults"], cleared["PrincipalTags"]) == (False, {})


def numbers(page: str) -> dict[str, int]:
    """The dashboard's process metrics: requests, errors, identities and logins by kind."""
    out = {name: int(value) for name, value in re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page)}
    for kind, count in re.findall(r"(unauthenticated|authenticated): (\d+)", page):
        out[f"identities {kind}"] = int(count)
    for kind, outcome, count in re.findall(
        r"<tr><td>([a-z_]+)</td><td>([a-z]+)</td><td>(\d+)</td></tr>", page
    ):
        out[f"logins {kind} {outcome}"] = int(count)
    return out


def test_dashboard_shows_the_process_metrics_to_the_root_account_only(
    server: InProcessServer, browser: ConsoleSession
) -> None:
    assert "This server process" not in browser.get("/console/").text
    root = signed_in(server, server.root)
    pool_id = create_pool(
        root, "metered", supported_login_providers=f"{GOOGLE} = app.apps.googleusercontent.com"
    )
    before = numbers(root.get("/console/").text)
    assert {"Requests", "Errors (4xx, 5xx)"} <= before.keys()

    public = server.client(unsigned=True)
    public.get_id(IdentityPoolId=pool_id)
    public.get_id(IdentityPoolId=pool_id)
    with pytest.raises(ClientError, match="NotAuthorizedException"):
        public.get_id(IdentityPoolId=pool_id, Logins={GOOGLE: "not-a-token"})
    after = numbers(root.get("/console/").text)

    # The first dashboard's own request, then three API calls, one refused.
    assert after["Requests"] - before["Requests"] == 4
    assert after["Errors (4xx, 5xx)"] - before["Errors (4xx, 5xx)"] == 1
    assert after["identities unauthenticated"] - before.get("identities unauthenticated", 0) == 2
    assert after["logins google rejected"] - before.get("logins google rejected", 0) == 1
