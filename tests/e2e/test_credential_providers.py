"""Identity-pool credential providers pointed at our server, as apps use them: the AWS SDK for
JavaScript v3's ``fromCognitoIdentityPool`` (``@aws-sdk/credential-providers``, pinned in
``js/package.json``) and this package's ``IdentityPoolCredentials``, each handing its credentials to
an STS client that calls our ``GetCallerIdentity``.

A server per store (module scope) verifies Google logins for real against a local OpenID provider
whose issuer is ``https://accounts.google.com`` (``COGNITOIDENTITY_PROVIDER_ENDPOINTS``). Each test
works in an account of its own, with a pool whose guest and signed-in roles are roles of our IAM
trusted by the standard Cognito trust policies: so the caller identity a user sees is exact, the
assumed-role ARN (the role's name, without its path), the ``AROA…`` role id and the session name
``CognitoIdentityCredentials``.

``js/credential_provider.mjs`` runs every case of a test in one Node.js process (a start costs
about a second); the ``node`` fixture installs the npm packages when missing or out of date.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.config import Config

from cognitoidentity import IdentityPoolCredentials
from tests.api.test_trust import trust_policy
from tests.e2e.test_js_sdk import ID_SHAPE, JS_DIR, node
from tests.support.idp import OidcProvider
from tests.support.postgres import require_postgres, temporary_schema
from tests.support.server import REGION, Credentials, ServerProcess

__all__ = ["node"]  # the session fixture, imported so pytest finds it here

pytestmark = pytest.mark.slow

GOOGLE = "accounts.google.com"
GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_CLIENT = "provider-app.apps.googleusercontent.com"
SESSION = "CognitoIdentityCredentials"
SCRIPT = "credential_provider.mjs"


@dataclass(frozen=True)
class World:
    server: ServerProcess
    google: OidcProvider
    store: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A server per store kind for this module, Google's endpoints mapped to a local provider."""
    store: str = request.param
    if store == "postgresql":
        require_postgres()
    google = OidcProvider(GOOGLE_ISSUER).start()
    assert isinstance(google, OidcProvider)
    data_dir = tmp_path_factory.mktemp(f"providers-{store}")
    env = {"COGNITOIDENTITY_PROVIDER_ENDPOINTS": orjson.dumps({GOOGLE: google.url}).decode()}
    try:
        if store == "postgresql":
            with temporary_schema() as url:
                server = ServerProcess(data_dir, url, extra_env=env).start()
                try:
                    yield World(server, google, store)
                finally:
                    server.stop()
        else:
            server = ServerProcess(data_dir, str(data_dir / "store.db"), extra_env=env).start()
            try:
                yield World(server, google, store)
            finally:
                server.stop()
    finally:
        google.stop()


@dataclass(frozen=True)
class Pool:
    """A pool with guests and Google sign-in, its roles in our IAM, in an account of its own."""

    account: Credentials
    pool_id: str
    guest_role: dict[str, Any]
    user_role: dict[str, Any]

    def assumed(self, role: dict[str, Any]) -> dict[str, str]:
        """GetCallerIdentity's answer for credentials of ``role``, as AWS words it."""
        return {
            "UserId": f"{role['RoleId']}:{SESSION}",
            "Account": self.account.account_id,
            "Arn": f"arn:aws:sts::{self.account.account_id}:assumed-role/{role['RoleName']}/{SESSION}",
        }


def make_pool(server: ServerProcess, *, guests: bool = True) -> Pool:
    account = server.new_account()
    cognito = server.client(account)
    iam = server.client(account, service="iam")
    pool_id: str = cognito.create_identity_pool(
        IdentityPoolName="providers",
        AllowUnauthenticatedIdentities=guests,
        SupportedLoginProviders={GOOGLE: GOOGLE_CLIENT},
    )["IdentityPoolId"]
    guest_role = iam.create_role(
        RoleName="Cognito_ProvidersUnauth_Role",
        AssumeRolePolicyDocument=trust_policy(pool_id, "unauthenticated"),
    )["Role"]
    user_role = iam.create_role(
        RoleName="Cognito_ProvidersAuth_Role",
        Path="/app/",  # in the role's ARN, not in the assumed role's
        AssumeRolePolicyDocument=trust_policy(pool_id, "authenticated"),
    )["Role"]
    cognito.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"unauthenticated": guest_role["Arn"], "authenticated": user_role["Arn"]},
    )
    return Pool(account, pool_id, guest_role, user_role)


def google_token(world: World, sub: str) -> str:
    return world.google.mint(sub=sub, aud=GOOGLE_CLIENT, email=f"{sub}@example.com")


def run_provider(
    node: str, world: World, tmp_path: Path, cases: list[dict[str, Any]]
) -> dict[str, Any]:
    """``node credential_provider.mjs`` with ``cases``; the results by case name. No AWS keys in
    the environment: only the provider's credentials can sign."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "missing-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "missing-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        COGNITO_E2E_ENDPOINT=world.server.url,
        COGNITO_E2E_CASES=json.dumps(cases),
    )
    result = subprocess.run(
        [node, SCRIPT],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{SCRIPT} exited {result.returncode}:\n{result.stderr}"
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["endpoint"] == world.server.url
    results: dict[str, Any] = document["results"]
    assert set(results) == {case["name"] for case in cases}
    return results


def assert_signed_with_its_credentials(world: World, result: dict[str, Any]) -> str:
    """Both GetCallerIdentity calls went to our server, signed with the temporary credentials the
    provider resolved once (its session token sent along); the provider's identity id."""
    assert result["ok"] is True, result
    creds = result["credentials"]
    assert creds["accessKeyId"].startswith("ASIA"), creds
    assert creds["hasSecret"] is True
    assert creds["sessionToken"], creds
    expiration = datetime.fromisoformat(creds["expiration"])
    assert timedelta(minutes=55) < expiration - datetime.now(UTC) <= timedelta(hours=1), creds
    requests = result["requests"]
    assert [(r["operation"], r["url"], r["status"]) for r in requests] == [
        ("GetCallerIdentityCommand", world.server.url + "/", 200)
    ] * 2
    for request in requests:
        assert request["signed"] is True
        assert request["accessKeyId"] == creds["accessKeyId"]
        assert request["sessionToken"] == creds["sessionToken"]
    identity_id: str = creds["identityId"]
    assert ID_SHAPE.fullmatch(identity_id), identity_id
    return identity_id


def callers(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert [c["httpStatusCode"] for c in result["callers"]] == [200, 200], result
    return [c["output"] for c in result["callers"]]


# -- the JavaScript SDK's fromCognitoIdentityPool -------------------------------------------------


def test_js_from_cognito_identity_pool(node: str, world: World, tmp_path: Path) -> None:
    """A guest, then Alice signed in with Google (her token as a string, then as the async
    function an app passes to refresh it): each STS client's GetCallerIdentity names the role the
    pool gives, and the identities are the pool's own."""
    pool = make_pool(world.server)
    closed = make_pool(world.server, guests=False)
    alice = google_token(world, "alice")
    results = run_provider(
        node,
        world,
        tmp_path,
        [
            {"name": "guest", "identityPoolId": pool.pool_id},
            {"name": "google", "identityPoolId": pool.pool_id, "logins": {GOOGLE: alice}},
            {
                "name": "googleFunction",
                "identityPoolId": pool.pool_id,
                "logins": {GOOGLE: alice},
                "loginsAsFunctions": True,
            },
            {"name": "guestRefused", "identityPoolId": closed.pool_id},
        ],
    )

    guest = assert_signed_with_its_credentials(world, results["guest"])
    assert callers(results["guest"]) == [pool.assumed(pool.guest_role)] * 2
    google = assert_signed_with_its_credentials(world, results["google"])
    assert callers(results["google"]) == [pool.assumed(pool.user_role)] * 2
    again = assert_signed_with_its_credentials(world, results["googleFunction"])
    assert callers(results["googleFunction"]) == [pool.assumed(pool.user_role)] * 2
    assert again == google, "the same Google user is the same identity"
    assert guest != google
    assert (
        results["googleFunction"]["credentials"]["accessKeyId"]
        != results["google"]["credentials"]["accessKeyId"]
    )

    # The provider's GetId and GetCredentialsForIdentity reached this server: it holds both
    # identities, Alice's with her Google login.
    cognito = world.server.client(pool.account)
    listed = cognito.list_identities(IdentityPoolId=pool.pool_id, MaxResults=60)["Identities"]
    assert sorted(i["IdentityId"] for i in listed) == sorted([guest, google])
    assert cognito.describe_identity(IdentityId=google)["Logins"] == [GOOGLE]
    assert "Logins" not in cognito.describe_identity(IdentityId=guest)

    # A pool without guests: the provider's GetId error is what the STS call rejects with.
    refused = results["guestRefused"]
    assert refused["ok"] is False
    assert refused["error"] == {
        "name": "NotAuthorizedException",
        "message": "Unauthenticated access is not supported for this identity pool.",
        "fault": "client",
        "httpStatusCode": 400,
    }
    assert refused["requests"] == [], "nothing was sent to STS without credentials"


# -- this package's IdentityPoolCredentials -------------------------------------------------------


def test_identity_pool_credentials_with_google(world: World) -> None:
    """``IdentityPoolCredentials`` with a Google login (guests and developer logins are covered
    in ``tests/api/test_trust.py`` and ``tests/client/``): boto3's STS client signs with what it
    resolved and sees the signed-in role."""
    pool = make_pool(world.server)
    helper = IdentityPoolCredentials(
        pool.pool_id,
        logins={GOOGLE: google_token(world, "bob")},
        endpoint=world.server.url,
    )
    session = helper.boto3_session()
    sts: Any = session.client(
        "sts", endpoint_url=world.server.url, config=Config(retries={"max_attempts": 1})
    )
    caller = sts.get_caller_identity()
    assert {k: v for k, v in caller.items() if k != "ResponseMetadata"} == pool.assumed(
        pool.user_role
    )
    resolved = session.get_credentials()
    assert resolved is not None
    frozen = resolved.get_frozen_credentials()
    issued = helper.get_credentials()
    assert frozen.access_key == issued.access_key_id and frozen.token == issued.session_token
    described = world.server.client(pool.account).describe_identity(IdentityId=issued.identity_id)
    assert described["Logins"] == [GOOGLE]
