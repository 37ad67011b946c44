"""The console in headless Chromium (Debian's ``chromium`` package, driven by Playwright; no browser
download) against a real server on loopback, with a local OpenID provider for the logins: sign
in, create a pool, give it a Rules mapping, make an identity through the API (boto3), find it in
the console, explain a login that gets the authenticated role and, after the mapping is changed to
deny ambiguity, one that is refused, look at an IAM role and simulate; create a role for the pool
from its trust policy, put an inline policy (refused, then saved) and simulate; set the pool's
principal tags; delete the pool; then, as the root account, see the metrics and rotate the
signing key.

A screenshot of each page goes to ``tests/console/screenshots/`` (git-ignored). With
``COGNITOIDENTITY_UPDATE_SCREENSHOTS=1`` the pool page and the explanation are also written to
``docs/`` for the README.

Without ``/usr/bin/chromium`` the test skips with the reason, except under ``CI=true`` where it
fails (``scripts/test`` installs the package when it runs as root).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from tests.support.idp import OidcProvider
from tests.support.server import Credentials, ServerProcess

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
DOCS = ROOT / "docs"
UPDATE_DOCS = os.environ.get("COGNITOIDENTITY_UPDATE_SCREENSHOTS") == "1"
CLIENT_ID = "console-app"
VIEWPORT: ViewportSize = {"width": 960, "height": 720}
DOCS_VIEWPORT: ViewportSize = {"width": 880, "height": 560}


def require_chromium() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is missing (pip install -e '.[dev]')"
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run: {missing}")
    pytest.skip(f"browser tests cannot run: {missing}")


@pytest.fixture(scope="module")
def idp() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    assert isinstance(provider, OidcProvider)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("console-browser")
    running = ServerProcess(data_dir, str(data_dir / "store.db")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def page(server: ServerProcess) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
            yield context.new_page()
        finally:
            browser.close()


def shot(page: Any, name: str, *, docs: str | None = None, focus: str = "h1") -> None:
    """The whole page to the artefacts; with ``docs``, the viewport from ``focus`` (a selector)
    down to the README's picture (when asked for)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if docs is not None and UPDATE_DOCS:
        DOCS.mkdir(exist_ok=True)
        page.set_viewport_size(DOCS_VIEWPORT)  # a small PNG (under 100 KB) for the repository
        page.locator(focus).first.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=str(DOCS / docs))
        page.set_viewport_size(VIEWPORT)
        page.evaluate("window.scrollTo(0, 0)")


def test_console_in_chromium(server: ServerProcess, idp: OidcProvider, page: Any) -> None:
    from playwright.sync_api import expect

    account = server.new_account()
    provider = idp.url.removeprefix("http://")
    iam = server.client(account, service="iam")
    oidc_arn = iam.create_open_id_connect_provider(Url=idp.url, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    reader = iam.create_role(
        RoleName="console-reader",
        AssumeRolePolicyDocument=json.dumps(
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
        ),
    )["Role"]
    iam.put_role_policy(
        RoleName="console-reader",
        PolicyName="describe",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "cognito-identity:Describe*", "Resource": "*"}
                ],
            }
        ),
    )
    auth_role = f"arn:aws:iam::{account.account_id}:role/console-auth"
    ops_role = f"arn:aws:iam::{account.account_id}:role/console-ops"

    # Sign in: the console sends a stranger to the sign-in page.
    page.goto("/console/")
    expect(page).to_have_url(f"{server.url}/console/signin")
    sign_in(page, account)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shot(page, "01-dashboard")

    # Create a pool that trusts the local OpenID provider.
    page.get_by_role("link", name="Identity pools", exact=True).click()
    page.get_by_role("link", name="Create an identity pool").click()
    page.get_by_label("Name", exact=True).fill("console demo")
    page.get_by_label("Allow unauthenticated identities").check()
    page.get_by_label("OpenID Connect provider ARNs").fill(oidc_arn)
    page.get_by_label("Tags").fill("team = identity\nstage = test")
    shot(page, "02-create-pool")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="console demo")).to_be_visible()
    pool_id = page.url.rsplit("/", 1)[-1]
    assert pool_id.startswith("us-east-1:")

    # Roles and a Rules mapping: dept = ops gets the ops role; anything else is ambiguous,
    # which gets the authenticated role.
    page.get_by_role("link", name="Edit roles and mappings").click()
    page.get_by_label("Authenticated role ARN", exact=True).fill(auth_role)
    page.get_by_label("Identity provider").fill(provider)
    page.get_by_label("Type", exact=True).select_option("Rules")
    page.get_by_label("When no rule or token role decides").select_option("AuthenticatedRole")
    page.get_by_label("Rule 1 claim").fill("dept")
    page.get_by_label("Rule 1 match type").select_option("Equals")
    page.get_by_label("Rule 1 value").fill("ops")
    page.get_by_label("Rule 1 role ARN").fill(ops_role)
    shot(page, "03-roles")
    page.get_by_role("button", name="Save roles and mappings").click()
    expect(page.get_by_role("heading", name=f"{provider}: Rules")).to_be_visible()
    shot(page, "04-pool", docs="console-pool.png", focus="h2:text-is('Roles')")
    mapping = server.client(account).get_identity_pool_roles(IdentityPoolId=pool_id)
    assert mapping["RoleMappings"][provider]["RulesConfiguration"]["Rules"] == [
        {"Claim": "dept", "MatchType": "Equals", "Value": "ops", "RoleARN": ops_role}
    ]

    # An identity made through the API, found in the console by its login.
    token = idp.mint(sub="erin", aud=CLIENT_ID, dept="engineering")
    public = server.client(unsigned=True)
    identity_id = public.get_id(IdentityPoolId=pool_id, Logins={provider: token})["IdentityId"]
    page.get_by_role("link", name="Identities", exact=True).click()
    page.get_by_label("Login provider").fill(provider)
    page.get_by_label("User identifier at that provider").fill("erin")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=identity_id).click()
    expect(page.get_by_role("heading", name=f"Identity {identity_id}")).to_be_visible()
    shot(page, "05-identity")

    # Explain that login: no rule matches, so the authenticated role.
    page.get_by_role("link", name="Explain its role").click()
    page.get_by_label("Logins").fill(json.dumps({provider: token}))
    page.get_by_role("button", name="Explain").click()
    expect(page.get_by_role("heading", name=f"Role: {auth_role}")).to_be_visible()
    expect(page.locator("li.step", has_text="none matched")).to_be_visible()
    shot(page, "06-explain", docs="console-explain.png", focus="section.explanation")

    # Deny ambiguity: the same login is refused, with GetCredentialsForIdentity's error.
    page.goto(f"/console/pools/{pool_id}/roles")
    page.get_by_label("When no rule or token role decides").first.select_option("Deny")
    page.get_by_role("button", name="Save roles and mappings").click()
    page.goto(f"/console/pools/{pool_id}/explain")
    page.get_by_label("Logins").fill(f"{provider} = {token}")
    page.get_by_role("button", name="Explain").click()
    expect(page.get_by_role("heading", name="Refused: NotAuthorizedException")).to_be_visible()
    expect(page.locator("p.errors")).to_have_text(
        f"The ambiguous role mapping rules for: {provider} denied this request."
    )
    shot(page, "07-explain-denied")
    with pytest.raises(ClientError, match="ambiguous role mapping rules"):
        public.get_credentials_for_identity(IdentityId=identity_id, Logins={provider: token})

    # IAM: providers, a role's policies, a simulation.
    page.get_by_role("link", name="IAM providers", exact=True).click()
    expect(page.get_by_text(provider, exact=True)).to_be_visible()  # IAM drops the scheme
    page.get_by_role("link", name="IAM roles", exact=True).click()
    page.get_by_role("link", name="console-reader").click()
    page.get_by_label("Action", exact=True).fill("cognito-identity:DescribeIdentityPool")
    page.get_by_role("button", name="Simulate").click()
    expect(page.get_by_text("allowed", exact=True)).to_be_visible()
    assert reader["Arn"] in page.content()
    shot(page, "08-role")

    # A role for the pool, made in the console from its trust policy, and an inline policy:
    # IAM's words for a document that is none, then one that allows the pool's updates.
    page.goto(f"/console/pools/{pool_id}")
    page.get_by_role("link", name="Create a role for this pool").click()
    page.get_by_label("Role name").fill("console-writer")
    page.get_by_label("Description").fill("Made in the console")
    expect(page.get_by_label("Trust policy (JSON)")).to_have_value(re.compile(re.escape(pool_id)))
    shot(page, "09-create-role")
    page.get_by_role("button", name="Create the role").click()
    expect(page.get_by_role("heading", name="Role console-writer")).to_be_visible()
    page.get_by_role("link", name="Add an inline policy").click()
    page.get_by_label("Policy name").fill("writes")
    page.get_by_label("Policy document (JSON)").fill(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}'
    )
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_role("alert")).to_contain_text("MalformedPolicyDocument")
    shot(page, "10-inline-policy-refused")
    pool_arn = f"arn:aws:cognito-identity:us-east-1:{account.account_id}:identitypool/{pool_id}"
    page.get_by_label("Policy document (JSON)").fill(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "cognito-identity:UpdateIdentityPool",
                        "Resource": pool_arn,
                    }
                ],
            }
        )
    )
    page.get_by_role("button", name="Save the policy").click()
    expect(page.get_by_role("heading", name="writes")).to_be_visible()
    page.get_by_label("Action", exact=True).fill("cognito-identity:UpdateIdentityPool")
    page.get_by_label("Resource ARN").fill(pool_arn)
    page.get_by_role("button", name="Simulate").click()
    expect(page.get_by_text("allowed", exact=True)).to_be_visible()
    shot(page, "11-role-made")
    trust = iam.get_role(RoleName="console-writer")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {
        "cognito-identity.amazonaws.com:aud": pool_id
    }

    # The pool's principal tags: the defaults for the OpenID provider.
    page.goto(f"/console/pools/{pool_id}")
    page.get_by_role("link", name="Tags and principal tags").click()
    page.get_by_label(f"Use the default map for {provider}").check()
    page.get_by_role("button", name=f"Save the map of {provider}").click()
    expect(page.get_by_label(f"Use the default map for {provider}")).to_be_checked()
    expect(page.get_by_role("cell", name="identity", exact=True)).to_be_visible()  # a tag
    shot(page, "12-pool-tags")
    assert server.client(account).get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider
    )["UseDefaults"]

    # Delete the pool, confirming with its name.
    page.goto(f"/console/pools/{pool_id}")
    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_label("Type the pool's name").fill("console demo")
    page.get_by_role("button", name="Delete the pool").click()
    expect(page.get_by_role("heading", name="Identity pools")).to_be_visible()
    expect(page.get_by_text("No identity pool.")).to_be_visible()
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        server.client(account).describe_identity_pool(IdentityPoolId=pool_id)

    # Sign out: back to the sign-in page, and the console is closed.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/console/pools")
    expect(page).to_have_url(f"{server.url}/console/signin")

    # The root account: the process's metrics, and the signing keys, rotated.
    sign_in(page, server.root)
    expect(page.get_by_role("heading", name="This server process")).to_be_visible()
    shot(page, "13-dashboard-root")
    guests = server.client().create_identity_pool(
        IdentityPoolName="root guests", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    guest = public.get_id(IdentityPoolId=guests)["IdentityId"]
    before = public.get_open_id_token(IdentityId=guest)["Token"]
    page.get_by_role("link", name="Signing keys").click()
    page.get_by_role("button", name="Rotate the signing key").click()
    expect(page.get_by_role("status")).to_contain_text("Rotated: the new key is")
    expect(page.get_by_role("cell", name="retired", exact=True)).to_be_visible()
    shot(page, "14-signing-keys")
    assert "PRIVATE KEY" not in page.content()
    new_kid = page.get_by_role("status").locator("code").inner_text()
    after = public.get_open_id_token(IdentityId=guest)["Token"]
    assert header_kid(after) == new_kid != header_kid(before)


def header_kid(token: str) -> str:
    header = token.split(".", 1)[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


def sign_in(page: Any, account: Credentials) -> None:
    page.get_by_label("Access key ID").fill(account.access_key_id)
    page.get_by_label("Secret access key").fill(account.secret_access_key)
    shot(page, "00-sign-in")
    page.get_by_role("button", name="Sign in").click()
