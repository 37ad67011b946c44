"""The core identity-pool scenario through the AWS SDK for JavaScript v3.

``js/scenario.mjs`` runs under Node.js against the ``server`` fixture with its configuration taken
by the SDK itself from the standard environment variables (``AWS_REGION``, the account's keys,
``AWS_ENDPOINT_URL_COGNITO_IDENTITY``), and prints one JSON document: each step's output (dates as
``{"$date": ISO}`` since the SDK hands out ``Date`` objects) or the service error as the SDK raised
it (name, message, ``$fault``, ``$metadata.httpStatusCode``, class), plus every HTTP request it sent.

The npm dependencies are installed once per session (``npm install`` in ``js/``) when missing or
older than ``package.json``. Without ``node``/``npm`` the tests skip, except under ``CI=true``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.idp import MotoServer, moto
from tests.support.server import REGION, Credentials, ServerProcess

__all__ = ["moto"]  # the session fixture, imported so pytest finds it here

pytestmark = pytest.mark.slow

JS_DIR = Path(__file__).parent / "js"
SDK_PACKAGE = "@aws-sdk/client-cognito-identity"
MIN_NODE_MAJOR = 20
REGISTRY = "https://registry.npmjs.org/"
ID_SHAPE = re.compile(
    rf"{REGION}:[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
)
UNAUTHENTICATED_DISABLED = "Unauthenticated access is not supported for this identity pool."


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _unavailable(f"`{name}` is not on PATH: the JavaScript SDK end-to-end tests need Node.js")
        raise AssertionError("unreachable")
    return path


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` executable, with ``js/node_modules`` installed and up to date."""
    node = _tool("node")
    npm = _tool("npm")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    if major < MIN_NODE_MAJOR:
        _unavailable(f"Node.js {version} is too old: {SDK_PACKAGE} needs >= {MIN_NODE_MAJOR}")
    # npm rewrites node_modules/.package-lock.json on install; it is touched below as well, so an
    # install that changed nothing still counts as done.
    stamp = JS_DIR / "node_modules" / ".package-lock.json"
    manifest = JS_DIR / "package.json"
    # One install at a time (pytest-xdist workers each ask for this fixture): the others wait for
    # it on a lock (outside the working tree), then find the stamp up to date.
    digest = hashlib.sha256(str(JS_DIR.resolve()).encode()).hexdigest()[:16]
    with (Path(tempfile.gettempdir()) / f"cognitoidentity-npm-{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.stat().st_mtime < manifest.stat().st_mtime:
            result = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund"],
                cwd=JS_DIR,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"npm install failed in {JS_DIR}:\n{result.stdout}\n{result.stderr}")
            stamp.touch()
    return node


def run_scenario(
    node: str,
    server: ServerProcess,
    account: Credentials,
    tmp_path: Path,
    name: str,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``scenario.mjs <name>``; its parsed JSON document, checked for the common invariants."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID=account.access_key_id,
        AWS_SECRET_ACCESS_KEY=account.secret_access_key,
        AWS_ENDPOINT_URL_COGNITO_IDENTITY=server.url,
        AWS_CONFIG_FILE=str(tmp_path / "missing-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "missing-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        COGNITO_E2E_ACCOUNT_ID=account.account_id,
    )
    env.update(extra_env or {})
    result = subprocess.run(
        [node, "scenario.mjs", name],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"scenario.mjs {name} exited {result.returncode}:\n{result.stderr}"
    )
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["scenario"] == name
    assert document["endpoint"] == server.url
    # The SDK resolved the endpoint from AWS_ENDPOINT_URL_COGNITO_IDENTITY: nothing went elsewhere.
    assert document["requests"], "the SDK sent no request"
    for request in document["requests"]:
        assert request["url"] == server.url + "/", request
        assert request["target"] == "AWSCognitoIdentityService." + request[
            "operation"
        ].removesuffix("Command"), request
    return document


def ok(step: dict[str, Any]) -> dict[str, Any]:
    """The output of a step that must have succeeded with HTTP 200."""
    assert step["ok"] is True, step
    assert step["httpStatusCode"] == 200, step
    assert isinstance(step["requestId"], str) and step["requestId"], step
    output: dict[str, Any] = step["output"]
    return output


def error(step: dict[str, Any]) -> dict[str, Any]:
    """The error the SDK raised for a step that must have failed."""
    assert step["ok"] is False, step
    err: dict[str, Any] = step["error"]
    assert isinstance(err["requestId"], str) and err["requestId"], err
    return err


def assert_recent_date(value: object, since: float) -> None:
    """The SDK parsed the timestamp into a ``Date`` (serialized as ``{"$date": ISO}``)."""
    assert isinstance(value, dict) and set(value) == {"$date"}, value
    moment = datetime.fromisoformat(value["$date"]).timestamp()
    assert since - 5 <= moment <= time.time() + 5, (value, since)


def signatures(document: dict[str, Any]) -> dict[str, set[bool]]:
    """Per operation, whether its requests carried an ``Authorization`` header."""
    seen: dict[str, set[bool]] = {}
    for request in document["requests"]:
        seen.setdefault(request["operation"], set()).add(request["signed"])
    return seen


def test_core_scenario(
    node: str, server: ServerProcess, account: Credentials, tmp_path: Path
) -> None:
    started = time.time()
    document = run_scenario(node, server, account, tmp_path, "core")
    steps = document["results"]

    created = ok(steps["createIdentityPool"])
    pool_id = created["IdentityPoolId"]
    assert ID_SHAPE.fullmatch(pool_id), pool_id
    assert created["IdentityPoolName"] == "e2e js pool"
    assert created["AllowUnauthenticatedIdentities"] is True
    assert created["IdentityPoolTags"] == {"team": "blue", "env": "test"}
    assert created.get("SupportedLoginProviders", {}) == {}

    identity_ids = [ok(steps["getId1"])["IdentityId"], ok(steps["getId2"])["IdentityId"]]
    for identity_id in identity_ids:
        assert ID_SHAPE.fullmatch(identity_id), identity_id
    assert identity_ids[0] != identity_ids[1]

    listed = ok(steps["listIdentities"])
    assert listed["IdentityPoolId"] == pool_id
    assert "NextToken" not in listed
    assert sorted(i["IdentityId"] for i in listed["Identities"]) == sorted(identity_ids)
    for item in listed["Identities"]:
        assert set(item) == {"IdentityId", "CreationDate", "LastModifiedDate"}, item
        assert_recent_date(item["CreationDate"], started)
        assert_recent_date(item["LastModifiedDate"], started)

    described = ok(steps["describeIdentity"])
    assert described["IdentityId"] == identity_ids[0]
    assert "Logins" not in described
    assert_recent_date(described["CreationDate"], started)
    assert_recent_date(described["LastModifiedDate"], started)

    assert ok(steps["describeIdentityPool"]) == created
    assert ok(steps["listIdentityPools"]) == {
        "IdentityPools": [{"IdentityPoolId": pool_id, "IdentityPoolName": "e2e js pool"}]
    }

    updated = ok(steps["updateIdentityPool"])
    assert updated["IdentityPoolId"] == pool_id
    assert updated["IdentityPoolName"] == "e2e js pool renamed"
    assert updated["AllowUnauthenticatedIdentities"] is False
    assert updated["IdentityPoolTags"] == {"team": "blue", "env": "test"}
    assert ok(steps["describeAfterUpdate"]) == updated
    assert ok(steps["listPoolsAfterUpdate"])["IdentityPools"] == [
        {"IdentityPoolId": pool_id, "IdentityPoolName": "e2e js pool renamed"}
    ]

    assert ok(steps["tagResource"]) == {}
    assert ok(steps["tagsAfterTag"]) == {"Tags": {"team": "red", "env": "test", "owner": "js"}}
    assert ok(steps["untagResource"]) == {}
    assert ok(steps["tagsAfterUntag"]) == {"Tags": {"team": "red", "owner": "js"}}

    assert ok(steps["deleteIdentities"]) == {"UnprocessedIdentityIds": []}
    remaining = ok(steps["listAfterDeleteIdentities"])["Identities"]
    assert [i["IdentityId"] for i in remaining] == [identity_ids[1]]

    assert ok(steps["deleteIdentityPool"]) == {}
    assert ok(steps["listPoolsAfterDelete"]) == {"IdentityPools": []}
    gone = error(steps["describeDeletedPool"])
    assert gone["name"] == "ResourceNotFoundException"
    assert gone["message"] == f"IdentityPool '{pool_id}' not found."
    assert gone["httpStatusCode"] == 400
    assert gone["fault"] == "client"
    assert gone["instanceOfModeledClass"] is True

    # GetId is modelled without auth: the SDK sends it unsigned even from a signed client.
    seen = signatures(document)
    assert seen.pop("GetIdCommand") == {False}
    assert all(signed == {True} for signed in seen.values()), seen


def test_errors(node: str, server: ServerProcess, account: Credentials, tmp_path: Path) -> None:
    steps = run_scenario(node, server, account, tmp_path, "errors")["results"]

    missing = error(steps["describeMissingPool"])
    assert missing == {
        "name": "ResourceNotFoundException",
        "message": f"IdentityPool '{steps['missingPoolId']}' not found.",
        "fault": "client",
        "httpStatusCode": 400,
        "requestId": missing["requestId"],
        "className": "ResourceNotFoundException",
        "instanceOfModeledClass": True,
    }

    assert ok(steps["createClosedPool"])["AllowUnauthenticatedIdentities"] is False
    refused = error(steps["getIdOnClosedPool"])
    assert refused == {
        "name": "NotAuthorizedException",
        "message": UNAUTHENTICATED_DISABLED,
        "fault": "client",
        "httpStatusCode": 400,
        "requestId": refused["requestId"],
        "className": "NotAuthorizedException",
        "instanceOfModeledClass": True,
    }
    assert ok(steps["listIdentitiesOnClosedPool"])["Identities"] == []

    bad_signature = error(steps["wrongSecret"])
    assert bad_signature["name"] == "InvalidSignatureException"
    assert bad_signature["httpStatusCode"] == 400
    assert bad_signature["fault"] == "client"
    assert bad_signature["message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_get_id_without_signature(
    node: str, server: ServerProcess, account: Credentials, tmp_path: Path
) -> None:
    """A client with no credentials at all gets an IdentityId, and so does a plain ``fetch``
    POST with no ``Authorization`` header; a signed operation sent that way is refused."""
    document = run_scenario(node, server, account, tmp_path, "unsigned")
    steps = document["results"]
    pool_id = ok(steps["createIdentityPool"])["IdentityPoolId"]

    from_sdk = ok(steps["anonymousGetId"])["IdentityId"]
    assert ID_SHAPE.fullmatch(from_sdk), from_sdk
    assert error(steps["anonymousGetIdMissingPool"])["name"] == "ResourceNotFoundException"
    anonymous = [r for r in document["requests"] if r["client"] == "anonymous"]
    assert [(r["operation"], r["signed"]) for r in anonymous] == [
        ("GetIdCommand", False),
        ("GetIdCommand", False),
    ]

    fetched = steps["fetchGetId"]
    assert fetched["status"] == 200, fetched
    assert fetched["contentType"] == "application/x-amz-json-1.1"
    assert fetched["requestId"]
    assert set(fetched["json"]) == {"IdentityId"}
    from_fetch = fetched["json"]["IdentityId"]
    assert ID_SHAPE.fullmatch(from_fetch), from_fetch

    refused = steps["fetchListIdentityPools"]
    assert refused["status"] == 400, refused
    assert refused["json"]["__type"] == "MissingAuthenticationTokenException", refused
    assert refused["errorType"] == "MissingAuthenticationTokenException:", refused

    listed = ok(steps["listIdentities"])
    assert listed["IdentityPoolId"] == pool_id
    assert sorted(i["IdentityId"] for i in listed["Identities"]) == sorted([from_sdk, from_fetch])


def test_pagination(node: str, server: ServerProcess, account: Credentials, tmp_path: Path) -> None:
    """``paginateListIdentityPools`` and a hand-written ``NextToken`` loop over ListIdentities
    see every item once, oldest first, two per page."""
    steps = run_scenario(node, server, account, tmp_path, "pagination")["results"]
    assert "createFailed" not in steps, steps
    pool_ids: list[str] = steps["createdPoolIds"]
    identity_ids: list[str] = steps["identityIds"]

    pages = steps["poolPages"]
    assert [page["hasNextToken"] for page in pages] == [True, False], pages
    assert [p["IdentityPoolId"] for page in pages for p in page["IdentityPools"]] == pool_ids
    assert [p["IdentityPoolName"] for page in pages for p in page["IdentityPools"]] == [
        "page 0",
        "page 1",
        "page 2",
    ]

    identity_pages = [ok(page) for page in steps["identityPages"]]
    assert ["NextToken" in page for page in identity_pages] == [True, False], identity_pages
    assert all(page["IdentityPoolId"] == pool_ids[0] for page in identity_pages)
    listed = [i["IdentityId"] for page in identity_pages for i in page["Identities"]]
    assert listed == identity_ids


def test_lockfile_pins_registry_packages() -> None:
    """``package-lock.json`` matches ``package.json``'s exact pin and names no URL but the
    public registry's (``.npmrc`` omits registry URLs altogether)."""
    manifest = json.loads((JS_DIR / "package.json").read_text())
    lock = json.loads((JS_DIR / "package-lock.json").read_text())
    pinned = manifest["dependencies"][SDK_PACKAGE]
    assert re.fullmatch(r"3\.\d+\.\d+", pinned), f"{SDK_PACKAGE} must be pinned exactly: {pinned}"
    assert manifest["private"] is True
    assert lock["lockfileVersion"] >= 2
    assert lock["packages"][""]["dependencies"] == manifest["dependencies"]
    assert lock["packages"][f"node_modules/{SDK_PACKAGE}"]["version"] == pinned
    for path, package in lock["packages"].items():
        if not path:
            continue
        assert not package.get("link"), path
        assert package.get("integrity", "").startswith("sha512-"), path
        resolved = package.get("resolved")
        assert resolved is None or resolved.startswith(REGISTRY), (path, resolved)
    urls = re.findall(r"[a-z+]+://[^\"\s]+", (JS_DIR / "package-lock.json").read_text())
    assert all(url.startswith(REGISTRY) for url in urls), urls


def test_user_pool_login_flow(node: str, moto: MotoServer, tmp_path: Path) -> None:
    """A browser-style client: signed in to a user pool, no AWS keys, gets an identity and
    credentials with its ID token, as Amplify does."""
    env = {"COGNITOIDENTITY_PROVIDER_ENDPOINTS": json.dumps(moto.provider_endpoints())}
    server = ServerProcess(tmp_path, str(tmp_path / "store.db"), extra_env=env).start()
    try:
        account = server.new_account()
        login = moto.user_pool_login()
        admin = server.client(account)
        pool_id = admin.create_identity_pool(
            IdentityPoolName="browser",
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[
                {"ProviderName": login.provider_name, "ClientId": login.client_id}
            ],
        )["IdentityPoolId"]
        role = f"arn:aws:iam::{account.account_id}:role/BrowserUsers"
        admin.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role})
        document = run_scenario(
            node,
            server,
            account,
            tmp_path,
            "userpool",
            {
                "COGNITO_E2E_POOL_ID": pool_id,
                "COGNITO_E2E_PROVIDER": login.provider_name,
                "COGNITO_E2E_ID_TOKEN": login.id_token,
            },
        )
        steps = document["results"]
        identity_id = ok(steps["getId"])["IdentityId"]
        assert ID_SHAPE.fullmatch(identity_id)
        creds = ok(steps["credentials"])
        assert creds["IdentityId"] == identity_id
        assert creds["Credentials"]["AccessKeyId"].startswith("ASIA")
        assert set(creds["Credentials"]["Expiration"]) == {"$date"}
        assert ok(steps["token"])["IdentityId"] == identity_id
        refused = error(steps["withoutLogins"])
        assert refused["name"] == "NotAuthorizedException"
        assert refused["httpStatusCode"] == 400
        # No request carried AWS credentials: the ID token was the only proof.
        assert all(not r["signed"] for r in document["requests"])
        described = admin.describe_identity(IdentityId=identity_id)
        assert described["Logins"] == [login.provider_name]
    finally:
        server.stop()
