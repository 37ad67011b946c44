"""The console in headless Chromium (Debian's ``chromium`` package, driven by Playwright; no browser
download) against a real server on loopback, with a local OpenID provider for the logins: sign
in, create a pool, give it a Rules mapping, make an identity through the API (boto3), find it in
the console, explain a login that gets the authenticated role and, after the mapping is changed to
deny ambiguity, one that is refused, look at an IAM role and simulate, delete the pool.

A screenshot of each page goes to ``tests/console/screenshots/`` (git-ignored). With
``COGNITOIDENTITY_UPDATE_SCREENSHOTS=1`` the pool page and the explanation are also written to
``docs/`` for the README.

Without ``/usr/bin/chromium`` the test skips with the reason, except under ``CI=true`` where it
fails (``scripts/test`` installs the package when it runs as root).
"""

from __future__ import annotations

import json
import os
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


def sign_in(page: Any, account: Credentials) -> None:
    page.get_by_label("Access key ID").fill(account.access_key_id)
    page.get_by_label("Secret access key").fill(account.secret_access_key)
    shot(page, "00-sign-in")
    page.get_by_role("button", name="Sign in").click()
