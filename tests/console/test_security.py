"""The console's security over HTTP, on the in-process server (one per module, SQLite; the
console calls the same operations whatever the store): sign-in with an access key, the session
cookie's attributes, its expiry and sign-out, CSRF refusals on every form, one account never
seeing nor changing another's pools, IAM roles or policies, escaping (names, policy documents),
the security headers, the root account's own pages (signing keys), and the setting that turns
the console off."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from cognitoidentity.server.console.http import CONTENT_SECURITY_POLICY
from cognitoidentity.server.console.sessions import SESSION_COOKIE, SESSION_LIFETIME
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.store.base import IdentityPool
from tests.console.support import create_pool, csrf_token, session, signed_in
from tests.support.inprocess import InProcessServer

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data_dir = tmp_path_factory.mktemp("console")
    running = InProcessServer(data_dir, str(data_dir / "store.db")).start()
    try:
        yield running
    finally:
        running.stop()


def test_signed_out_pages_send_to_sign_in(server: InProcessServer) -> None:
    browser = session(server)
    for path in ("/console/", "/console/pools", "/console/iam/roles"):
        answer = browser.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/signin"


def test_sign_in_sets_a_strict_http_only_cookie(server: InProcessServer) -> None:
    browser = session(server)
    form = browser.get("/console/signin")
    account = server.new_account()
    answer = browser.http.post(
        "/console/signin",
        data={
            "csrf_token": csrf_token(form.text),
            "access_key_id": account.access_key_id,
            "secret_access_key": account.secret_access_key,
        },
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().split("=")[0] for part in cookie.split(";")[1:]}
    assert {"Path", "Max-Age", "HttpOnly", "SameSite"} <= attributes
    assert "Path=/console;" in cookie
    assert "SameSite=Strict" in cookie
    assert f"Max-Age={int(SESSION_LIFETIME.total_seconds())}" in cookie
    assert "Secure" not in attributes  # plain HTTP: a Secure cookie would never come back
    assert account.secret_access_key not in cookie  # sealed, not readable
    dashboard = browser.get("/console/")
    assert dashboard.status_code == 200
    assert f"Account {account.account_id}" in dashboard.text


def test_cookie_is_secure_over_https(server: InProcessServer) -> None:
    browser = session(server)
    answer = browser.get("https://cognito-identity.test/console/signin")
    assert answer.status_code == 200
    assert "; Secure" in answer.headers["set-cookie"]


def test_wrong_secret_or_unknown_key_refused(server: InProcessServer) -> None:
    account = server.new_account()
    browser = session(server)
    wrong = browser.sign_in(account, secret=account.secret_access_key[:-1] + "x")
    assert wrong.status_code == 401
    assert "The access key ID or the secret access key is not valid." in wrong.text
    assert account.secret_access_key[:-1] not in wrong.text  # the secret is never shown back
    unknown = browser.sign_in(dataclasses.replace(account, access_key_id="AKIAUNKNOWN000000000"))
    assert unknown.status_code == 401
    assert browser.get("/console/").status_code == 303  # still signed out


def test_security_headers_on_every_page(server: InProcessServer) -> None:
    browser = signed_in(server)
    for answer in (
        browser.get("/console/signin"),
        browser.get("/console/"),
        browser.get("/console/no-such-page"),
    ):
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
        assert "x-amzn-requestid" in answer.headers
        assert "<script" not in answer.text  # the console has no script at all
    assert browser.get("/console/no-such-page").status_code == 404
    css = browser.get("/console/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_csrf_refused(server: InProcessServer) -> None:
    account = server.new_account()
    browser = signed_in(server, account)
    other = signed_in(server)
    form = {"name": "forged", "allow_unauthenticated": "on"}
    missing = browser.http.post("/console/pools/new", data=form)
    wrong = browser.post("/console/pools/new", form, token="x" * 43)
    stolen = browser.post("/console/pools/new", form, token=other.token)
    for answer in (missing, wrong, stolen):
        assert answer.status_code == 403
        assert "CSRF" in answer.text
    cross_site = browser.http.post(
        "/console/pools/new",
        data={"csrf_token": browser.token, **form},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert server.client(account).list_identity_pools(MaxResults=10)["IdentityPools"] == []
    # The same form with the session's own token goes through.
    assert browser.post("/console/pools/new", form).status_code == 303


def test_another_accounts_pool_is_invisible_and_unchangeable(server: InProcessServer) -> None:
    owner = server.new_account()
    pool_id = create_pool(signed_in(server, owner), "owned")
    intruder = signed_in(server)
    assert "owned" not in intruder.get("/console/pools").text
    searched = intruder.get(f"/console/pools?q={pool_id}").text
    assert f'href="/console/pools/{pool_id}"' not in searched
    assert "No identity pool matches." in searched
    for path in ("", "/edit", "/roles", "/identities", "/explain", "/delete", "/tags"):
        answer = intruder.get(f"/console/pools/{pool_id}{path}")
        assert answer.status_code == 404, path
        assert f"IdentityPool &#39;{pool_id}&#39; not found." in answer.text
    edited = intruder.post(f"/console/pools/{pool_id}/edit", {"name": "taken"})
    deleted = intruder.post(f"/console/pools/{pool_id}/delete", {"confirm_name": "owned"})
    roles = intruder.post(f"/console/pools/{pool_id}/roles", {"authenticated": ""})
    assert [edited.status_code, deleted.status_code, roles.status_code] == [404, 404, 404]
    tagged = intruder.post(f"/console/pools/{pool_id}/tags/add", {"key": "k", "value": "v"})
    mapped = intruder.post(
        f"/console/pools/{pool_id}/principal-tags",
        {"provider": "accounts.google.com", "use_defaults": "on"},
    )
    assert [tagged.status_code, mapped.status_code] == [404, 404]
    owner_client = server.client(owner)
    pool = owner_client.describe_identity_pool(IdentityPoolId=pool_id)
    assert pool["IdentityPoolName"] == "owned"
    assert "IdentityPoolTags" not in pool or pool["IdentityPoolTags"] == {}
    assert not owner_client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName="accounts.google.com"
    )["UseDefaults"]


def test_pool_delete_needs_its_name(server: InProcessServer) -> None:
    account = server.new_account()
    browser = signed_in(server, account)
    pool_id = create_pool(browser, "doomed")
    refused = browser.post(f"/console/pools/{pool_id}/delete", {"confirm_name": "doom"})
    assert refused.status_code == 400
    done = browser.post(f"/console/pools/{pool_id}/delete", {"confirm_name": "doomed"})
    assert done.status_code == 303
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        server.client(account).describe_identity_pool(IdentityPoolId=pool_id)


def test_markup_in_names_is_rendered_inert(server: InProcessServer) -> None:
    account = server.new_account()
    browser = signed_in(server, account)
    # The API refuses such a name (its pattern); the refusal quotes it, escaped.
    refused = browser.post("/console/pools/new", {"name": SCRIPT})
    assert refused.status_code == 400
    assert "ValidationException" in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
    assert SCRIPT not in refused.text
    # A store may hold one all the same (written before the pattern was checked, or by hand).
    pool_id = "us-east-1:0b9f6d2e-3c1a-4e5b-8f7a-1d2c3b4a5e6f"
    pool = IdentityPool(
        pool_id, account.account_id, SCRIPT, True, datetime.now(UTC), tags={"x": SCRIPT}
    )
    server.run(server.store.create_pool(pool, max_pools=1000))
    for path in ("/console/pools", f"/console/pools/{pool_id}", f"/console/pools/{pool_id}/edit"):
        page = browser.get(path)
        assert page.status_code == 200
        assert SCRIPT not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_session_expires(server: InProcessServer) -> None:
    browser = signed_in(server)
    pool_id = create_pool(browser)
    server.clock.advance(SESSION_LIFETIME + timedelta(seconds=1))
    try:
        page = browser.get(f"/console/pools/{pool_id}")
        assert page.status_code == 303
        assert page.headers["location"] == "/console/signin"
        assert "Max-Age=0" in page.headers["set-cookie"]
        assert browser.post("/console/pools/new", {"name": "late"}).status_code == 403
    finally:
        server.clock.reset()


def test_sign_out(server: InProcessServer) -> None:
    browser = signed_in(server)
    assert browser.http.post("/console/signout").status_code == 403  # a form like the others
    answer = browser.post("/console/signout", {})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/signin"
    assert re.search(rf"{SESSION_COOKIE}=;.*Max-Age=0", answer.headers["set-cookie"])
    assert browser.get("/console/").status_code == 303


def test_deleted_key_ends_its_sessions(server: InProcessServer) -> None:
    account = server.new_account()
    with server.moved_clock() as clock:
        browser = signed_in(server, account)
        assert browser.get("/console/").status_code == 200
        server.run(server.store.delete_access_key(account.access_key_id))
        clock.advance(timedelta(seconds=server.settings.key_cache_seconds + 1))
        assert browser.get("/console/").status_code == 303


class ConsoleOffServer(InProcessServer):
    @property
    def settings(self) -> Settings:
        return dataclasses.replace(super().settings, console=False)


def test_console_off_answers_404(tmp_path: Path) -> None:
    off = ConsoleOffServer(tmp_path, str(tmp_path / "store.db")).start()
    try:
        assert off.http is not None
        for path in ("/console/", "/console/signin", "/console/static/console.css"):
            assert off.http.get(path).status_code == 404
        assert off.http.post("/console/signin", data={"x": "y"}).status_code == 404
        assert off.http.get("/health").status_code == 200
    finally:
        off.stop()


# -- IAM roles and policies, pool tags, signing keys ------------------------------------------------
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


def identity_policy(resource: str = "*") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "cognito-identity:Describe*", "Resource": resource}
            ],
        }
    )


def test_another_accounts_roles_and_policies_are_invisible_and_unchangeable(
    server: InProcessServer,
) -> None:
    owner = server.new_account()
    iam = server.client(owner, service="iam")
    iam.create_role(RoleName="neighbour-role", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(
        RoleName="neighbour-role", PolicyName="inline", PolicyDocument=identity_policy()
    )
    policy_arn = iam.create_policy(PolicyName="neighbour-policy", PolicyDocument=identity_policy())[
        "Policy"
    ]["Arn"]
    iam.attach_role_policy(RoleName="neighbour-role", PolicyArn=policy_arn)
    intruder_key = server.new_account()
    intruder = signed_in(server, intruder_key)
    server.client(intruder_key, service="iam").create_role(
        RoleName="intruder-role", AssumeRolePolicyDocument=TRUST
    )

    assert "neighbour-role" not in intruder.get("/console/iam/roles").text
    assert "neighbour-policy" not in intruder.get("/console/iam/policies").text
    assert "neighbour-policy" not in intruder.get("/console/iam/roles/intruder-role").text
    role = "/console/iam/roles/neighbour-role"
    for path in (role, f"{role}/edit", f"{role}/policy?name=inline", f"{role}/delete"):
        answer = intruder.get(path)
        assert answer.status_code == 404, path
        assert "The role with name neighbour-role cannot be found." in answer.text
    viewed = intruder.get("/console/iam/policies/view", params={"arn": policy_arn})
    assert viewed.status_code == 404
    assert f"Policy {policy_arn} was not found." in viewed.text
    for path, form in (
        (f"{role}/trust", {"trust": TRUST}),
        (f"{role}/settings", {"description": "taken", "max_session": "3600"}),
        (f"{role}/policy", {"policy_name": "inline", "document": identity_policy("x")}),
        (f"{role}/policy/delete", {"policy_name": "inline"}),
        (f"{role}/detach", {"policy_arn": policy_arn}),
        (f"{role}/delete", {"confirm_name": "neighbour-role"}),
        ("/console/iam/policies/versions", {"policy_arn": policy_arn, "document": "{}"}),
        ("/console/iam/policies/default", {"policy_arn": policy_arn, "version_id": "v1"}),
        ("/console/iam/policies/delete-version", {"policy_arn": policy_arn, "version_id": "v1"}),
    ):
        assert intruder.post(path, form).status_code == 404, path
    # Its own role cannot take the neighbour's policy either.
    attached = intruder.post("/console/iam/roles/intruder-role/attach", {"policy_arn": policy_arn})
    assert attached.status_code == 404
    assert f"Policy {policy_arn} does not exist or is not attachable." in attached.text

    kept = iam.get_role(RoleName="neighbour-role")["Role"]
    assert kept["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert "Description" not in kept
    assert iam.list_role_policies(RoleName="neighbour-role")["PolicyNames"] == ["inline"]
    assert iam.get_role_policy(RoleName="neighbour-role", PolicyName="inline")[
        "PolicyDocument"
    ] == json.loads(identity_policy())
    assert [
        p["PolicyArn"]
        for p in iam.list_attached_role_policies(RoleName="neighbour-role")["AttachedPolicies"]
    ] == [policy_arn]
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"] == "v1"


def test_csrf_refused_on_every_new_form(server: InProcessServer) -> None:
    account = server.new_account()
    iam = server.client(account, service="iam")
    iam.create_role(RoleName="guarded", AssumeRolePolicyDocument=TRUST)
    arn = iam.create_policy(PolicyName="guarded-policy", PolicyDocument=identity_policy())[
        "Policy"
    ]["Arn"]
    browser = signed_in(server, account)
    pool_id = create_pool(browser, "guarded pool")
    root = signed_in(server, server.root)
    role = "/console/iam/roles/guarded"
    forms = [
        (browser, "/console/iam/create-role", {"name": "forged", "trust": TRUST}),
        (browser, f"{role}/trust", {"trust": TRUST}),
        (browser, f"{role}/settings", {"description": "forged", "max_session": "7200"}),
        (browser, f"{role}/policy", {"policy_name": "forged", "document": identity_policy()}),
        (browser, f"{role}/policy/delete", {"policy_name": "forged"}),
        (browser, f"{role}/attach", {"policy_arn": arn}),
        (browser, f"{role}/detach", {"policy_arn": arn}),
        (browser, f"{role}/delete", {"confirm_name": "guarded"}),
        (browser, "/console/iam/create-policy", {"name": "forged", "document": "{}"}),
        (browser, "/console/iam/policies/versions", {"policy_arn": arn, "document": "{}"}),
        (browser, "/console/iam/policies/default", {"policy_arn": arn, "version_id": "v1"}),
        (browser, "/console/iam/policies/delete-version", {"policy_arn": arn, "version_id": "v1"}),
        (browser, f"/console/pools/{pool_id}/tags/add", {"key": "forged", "value": "x"}),
        (browser, f"/console/pools/{pool_id}/tags/remove", {"key": "forged"}),
        (
            browser,
            f"/console/pools/{pool_id}/principal-tags",
            {"provider": "accounts.google.com", "use_defaults": "on"},
        ),
        (root, "/console/signing-keys/rotate", {}),
    ]
    kids = [k.kid for k in server.run(server.store.list_signing_keys())]
    for who, path, form in forms:
        missing = who.http.post(path, data=form)
        wrong = who.post(path, form, token="x" * 43)
        cross_site = who.http.post(
            path, data={"csrf_token": who.token, **form}, headers={"Origin": "https://evil.example"}
        )
        for answer in (missing, wrong, cross_site):
            assert answer.status_code == 403, path
            assert "CSRF" in answer.text
    # Nothing changed.
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["guarded"]
    role_now = iam.get_role(RoleName="guarded")["Role"]
    assert role_now["MaxSessionDuration"] == 3600
    assert "Description" not in role_now
    assert iam.list_role_policies(RoleName="guarded")["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName="guarded")["AttachedPolicies"] == []
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == [
        "guarded-policy"
    ]
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 1
    cognito = server.client(account)
    pool_arn = f"arn:aws:cognito-identity:us-east-1:{account.account_id}:identitypool/{pool_id}"
    assert cognito.list_tags_for_resource(ResourceArn=pool_arn)["Tags"] == {}
    assert not cognito.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName="accounts.google.com"
    )["UseDefaults"]
    assert [k.kid for k in server.run(server.store.list_signing_keys())] == kids


def test_policy_documents_are_rendered_inert(server: InProcessServer) -> None:
    account = server.new_account()
    iam = server.client(account, service="iam")
    iam.create_role(RoleName="escaped", AssumeRolePolicyDocument=TRUST)
    browser = signed_in(server, account)
    closing = f"</textarea>{SCRIPT}"
    escaped = "&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    # A valid document holding markup, put through the console and shown back.
    put = browser.post(
        "/console/iam/roles/escaped/policy",
        {"policy_name": "markup", "document": identity_policy(f"arn:aws:s3:::x{closing}")},
    )
    assert put.status_code == 303, put.text
    for path in ("/console/iam/roles/escaped", "/console/iam/roles/escaped/policy?name=markup"):
        page = browser.get(path)
        assert page.status_code == 200
        assert closing not in page.text
        assert SCRIPT not in page.text
        assert escaped in page.text
    # A refused one: IAM's words, and the document typed, escaped in its textarea.
    refused_document = '{"Version": "2012-10-17", "Statement": "' + closing + '"}'
    refused = browser.post(
        "/console/iam/roles/escaped/policy",
        {"policy_name": "refused", "document": refused_document},
    )
    assert refused.status_code == 400
    assert "MalformedPolicyDocument" in refused.text
    assert closing not in refused.text
    assert escaped in refused.text
    # The same in a managed policy's new version form.
    arn = iam.create_policy(
        PolicyName="escaped-policy", PolicyDocument=identity_policy(f"arn:aws:s3:::y{closing}")
    )["Policy"]["Arn"]
    viewed = browser.get("/console/iam/policies/view", params={"arn": arn})
    assert viewed.status_code == 200
    assert closing not in viewed.text
    assert escaped in viewed.text


def test_signing_keys_are_the_root_accounts_only(server: InProcessServer) -> None:
    anyone = signed_in(server)
    assert "/console/signing-keys" not in anyone.get("/console/").text
    refused = anyone.get("/console/signing-keys")
    assert refused.status_code == 403
    assert "AccessDenied" in refused.text
    assert anyone.post("/console/signing-keys/rotate", {}).status_code == 403

    root = signed_in(server, server.root)
    assert 'href="/console/signing-keys"' in root.get("/console/").text
    assert server.started is not None
    server.run(server.started.runtime.tokens.keys.current())  # the first key, made on first use
    before = server.run(server.store.list_signing_keys())
    listed = root.get("/console/signing-keys")
    assert listed.status_code == 200
    assert before[0].kid in listed.text
    assert "RS512, RSA 2048 bits" in listed.text
    assert "PRIVATE KEY" not in listed.text
    rotated = root.post("/console/signing-keys/rotate", {})
    assert rotated.status_code == 303
    after = server.run(server.store.list_signing_keys())
    assert after[0].retired_at is None
    assert after[0].kid != before[0].kid
    assert rotated.headers["location"] == f"/console/signing-keys?rotated={after[0].kid}"
    page = root.get(rotated.headers["location"]).text
    assert f"Rotated: the new key is <code>{after[0].kid}</code>" in page
    jwks = server.http.get("/.well-known/jwks_uri").json()  # type: ignore[union-attr]
    assert {k["kid"] for k in jwks["keys"]} >= {before[0].kid, after[0].kid}
    for record in after:
        sealed = record.private_key_ciphertext
        assert sealed.hex() not in page
        assert base64.b64encode(sealed).decode()[:40] not in page
