"""The conformance scenario with the AWS SDK for JavaScript v3 under Node.js: the ``conformance``
scenario of ``tests/e2e/js/scenario.mjs``, with ``@aws-sdk/client-cognito-identity`` and
``@aws-sdk/client-sts`` (both pinned in ``tests/e2e/js/package.json``, installed by the ``node``
fixture of ``tests/e2e/test_js_sdk.py``).

The SDK resolves region, keys and both endpoints itself from the standard environment variables
(``AWS_ENDPOINT_URL_COGNITO_IDENTITY``, ``AWS_ENDPOINT_URL_STS``); the scenario's inputs (the same
pool settings, tags, roles and Google ID token the other SDKs send) come as one JSON document in
``CONFORMANCE_INPUT``. The script reports each step's output (``Date`` objects as ``{"$date": ISO}``)
or the service error as the SDK raised it, and every HTTP request it sent, recorded by a middleware
after signing: that is what the coverage test counts.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conformance import scenario as sc
from tests.conformance.conftest import World
from tests.conformance.operations import (
    COGNITO,
    STS,
    missing_operations,
    unexpected_operations,
)
from tests.e2e.test_js_sdk import JS_DIR, node
from tests.support.server import REGION

__all__ = ["node"]  # the session fixture, imported so pytest finds it here

pytestmark = pytest.mark.slow

SCENARIO = "conformance"
# The clients of the scenario: who signs, and which service each one calls.
CLIENTS = {
    "cognito-backend": (COGNITO, True),
    "anonymous": (COGNITO, False),
    "sts-anonymous": (STS, False),
    "sts-temporary": (STS, True),
}
# The errors of the scenario, and whether the SDK raises them as their modelled class (the
# script checks `instanceof` for these two only).
EXPECTED_ERRORS = {
    "credentialsWithoutLogins": ("GetCredentialsForIdentityCommand", True),
    "bobRegisteredElsewhere": ("GetOpenIdTokenForDeveloperIdentityCommand", None),
    "describeDeletedPool": ("DescribeIdentityPoolCommand", True),
}


def timestamp(value: Any) -> datetime:
    """The SDK hands out timestamps as ``Date`` objects (``{"$date": ...}`` in the report)."""
    assert isinstance(value, dict) and set(value) == {"$date"}, value
    moment = datetime.fromisoformat(value["$date"])
    assert moment.tzinfo is not None, value
    return moment


def scenario_input(inputs: sc.Inputs) -> dict[str, Any]:
    return {
        "poolName": sc.POOL_NAME,
        "renamed": sc.RENAMED,
        "poolSettings": sc.pool_settings(),
        "poolTags": sc.POOL_TAGS,
        "tagsToAdd": sc.tags_to_add(inputs),
        "tagKeysToRemove": ["suite"],
        "roles": sc.roles(inputs),
        "roleMappings": sc.ROLE_MAPPINGS,
        "principalTags": sc.PRINCIPAL_TAGS,
        "google": sc.GOOGLE,
        "googleToken": inputs.google_token,
        "developer": sc.DEVELOPER,
        "enhanced": sc.ENHANCED,
        "authRole": inputs.auth_role,
        "sessionName": inputs.session_name,
        "basicFlowSeconds": sc.BASIC_FLOW_SECONDS,
    }


def outcome(step: dict[str, Any]) -> sc.Outcome:
    if step["ok"]:
        assert isinstance(step["requestId"], str) and step["requestId"], step
        return sc.Outcome(
            output=sc.normalize(step["output"], timestamp), status=step["httpStatusCode"]
        )
    error = step["error"]
    assert error["fault"] == "client", error
    assert error["className"] == error["name"], error
    assert error["requestId"], error
    return sc.Outcome(code=error["name"], message=error["message"], status=error["httpStatusCode"])


@dataclass(frozen=True)
class Finished:
    inputs: sc.Inputs
    document: dict[str, Any]
    window: sc.Window

    @property
    def steps(self) -> dict[str, sc.Outcome]:
        return {name: outcome(step) for name, step in self.document["results"].items()}

    @property
    def calls(self) -> list[tuple[str, str]]:
        return [
            (CLIENTS[r["client"]][0], r["operation"].removesuffix("Command"))
            for r in self.document["requests"]
        ]


@pytest.fixture(scope="module")
def js_run(node: str, world: World, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """``node scenario.mjs conformance``, once per store in an account of its own."""
    account = world.server.new_account()
    inputs = sc.inputs_for(account, world.google, "js")
    tmp_path = tmp_path_factory.mktemp(f"js-{world.store}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID=account.access_key_id,
        AWS_SECRET_ACCESS_KEY=account.secret_access_key,
        AWS_ENDPOINT_URL_COGNITO_IDENTITY=world.server.url,
        AWS_ENDPOINT_URL_STS=world.server.url,
        AWS_CONFIG_FILE=str(tmp_path / "missing-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "missing-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        COGNITO_E2E_ACCOUNT_ID=account.account_id,
        CONFORMANCE_INPUT=json.dumps(scenario_input(inputs)),
    )
    started = datetime.now(UTC)
    result = subprocess.run(
        [node, "scenario.mjs", SCENARIO],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    finished = datetime.now(UTC)
    assert result.returncode == 0, (
        f"scenario.mjs {SCENARIO} exited {result.returncode}:\n{result.stderr}"
    )
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["scenario"] == SCENARIO
    return Finished(inputs, document, sc.Window(started, finished))


def test_scenario(js_run: Finished, world: World) -> None:
    sc.verify(js_run.steps, js_run.inputs, world.server.url, js_run.window)
    results = js_run.document["results"]
    failed = {name for name, step in results.items() if not step["ok"]}
    assert failed == set(EXPECTED_ERRORS)
    for name, (_, modeled) in EXPECTED_ERRORS.items():
        assert results[name]["error"]["instanceOfModeledClass"] is modeled, results[name]


def test_requests_on_the_wire(js_run: Finished, world: World) -> None:
    """One request per step, each to the server's endpoint (Cognito as JSON with its target, STS
    as a Query POST), signed exactly when the operation's model asks for it."""
    requests = js_run.document["requests"]
    assert len(requests) == len(sc.STEPS)
    for request in requests:
        service, signed = CLIENTS[request["client"]]
        assert request["url"] == world.server.url + "/", request
        assert request["signed"] is signed, request
        operation = request["operation"].removesuffix("Command")
        if service == COGNITO:
            assert request["target"] == f"AWSCognitoIdentityService.{operation}", request
        else:
            assert request["target"] is None, request
    statuses = [(r["operation"], r["status"]) for r in requests if r["status"] != 200]
    assert statuses == [(operation, 400) for operation, _ in EXPECTED_ERRORS.values()]


def test_every_operation_is_exercised(js_run: Finished) -> None:
    calls = js_run.calls
    assert missing_operations(calls) == {COGNITO: [], STS: []}
    assert unexpected_operations(calls) == []
