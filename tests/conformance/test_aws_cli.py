"""The conformance scenario with the AWS CLI v1 (``python -m awscli``), one subprocess per call as
a user would type it, ``--output json``; assertions are on the parsed JSON and, for the expected
failures, on exit status 255 and the ``An error occurred (<Code>) when calling the <Operation>
operation: <message>`` line on standard error.

The environment is hermetic (see ``tests/e2e/test_aws_cli.py``): no inherited ``AWS_*`` variable,
no credentials file, and a config file of the test's own whose only content is a ``[plugins]``
section loading :mod:`tests.conformance.cli_recorder`, which appends each request the CLI sends
(operation, HTTP status) to a file: that is what the coverage test counts. Endpoints come from the
documented service-specific variables ``AWS_ENDPOINT_URL_COGNITO_IDENTITY`` and
``AWS_ENDPOINT_URL_STS``. The backend's commands run with the account's keys; the app's public
commands (``get-id``, ``get-open-id-token``, ``get-credentials-for-identity``, ``unlink-identity``,
``sts assume-role-with-web-identity``) with no credentials at all; ``sts get-caller-identity``
with each set of temporary credentials the flows hand out (``AWS_SESSION_TOKEN``).

**SQLite only**, unlike the boto3 and JavaScript scenarios, which run on both stores: each CLI call
is a Python start-up plus the CLI's command table, 0.5 s on an idle machine and 1 to 2 s on a busy
one, so the scenario's 43 calls take 20 to 75 s, and a second pass would double that for nothing the
CLI proves: what the CLI sends and parses does not depend on the store, and the same requests and
expectations run on PostgreSQL through boto3 and the JavaScript SDK.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import scenario as sc
from tests.conformance.cli_recorder import RECORD_VARIABLE
from tests.conformance.conftest import World
from tests.conformance.operations import (
    COGNITO,
    STS,
    missing_operations,
    unexpected_operations,
)
from tests.e2e.test_aws_cli import CLI_SERVICE_ERROR, cli_env
from tests.support.server import Credentials

pytestmark = [
    pytest.mark.slow,
    # SQLite only: see the module's docstring.
    pytest.mark.parametrize("world", ["sqlite"], indirect=True),
]

ROOT = Path(__file__).resolve().parents[2]
ERROR_LINE = re.compile(
    r"An error occurred \((?P<code>\w+)\) when calling the (?P<operation>\w+) operation: "
    r"(?P<message>.*)"
)


def cognito_timestamp(value: Any) -> datetime:
    """The CLI prints a JSON-protocol timestamp as the epoch seconds the service sent."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return datetime.fromtimestamp(value, UTC)


def sts_timestamp(value: Any) -> datetime:
    """... and a Query-protocol (XML) timestamp as the ISO 8601 text the service sent."""
    assert isinstance(value, str), value
    moment = datetime.fromisoformat(value)
    assert moment.tzinfo is not None, value
    return moment


class CliRun:
    """The scenario as ``aws`` commands; :attr:`steps` and :attr:`calls` are what it saw."""

    def __init__(
        self, world: World, inputs: sc.Inputs, account: Credentials, tmp_path: Path
    ) -> None:
        self.inputs = inputs
        self.record = tmp_path / "requests.jsonl"
        config = tmp_path / "aws-config"
        config.write_text("[plugins]\nrecorder = tests.conformance.cli_recorder\n")
        common = {
            "AWS_CONFIG_FILE": str(config),
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY": world.server.url,
            "AWS_ENDPOINT_URL_STS": world.server.url,
            "PYTHONPATH": str(ROOT),
            RECORD_VARIABLE: str(self.record),
        }
        self.backend = cli_env(tmp_path, account, **common)
        self.public = cli_env(tmp_path, None, **common)
        self.steps: dict[str, sc.Outcome] = {}

    @property
    def calls(self) -> list[dict[str, Any]]:
        lines = self.record.read_text().splitlines() if self.record.exists() else []
        return [json.loads(line) for line in lines]

    def step(
        self, name: str, service: str, *args: str, env: dict[str, str] | None = None
    ) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-m", "awscli", service, *args, "--output", "json"],
            env=env or self.backend,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
        if result.returncode == 0:
            output = json.loads(result.stdout) if result.stdout.strip() else {}
            assert isinstance(output, dict), (name, result.stdout)
            convert = cognito_timestamp if service == COGNITO else sts_timestamp
            outcome = sc.Outcome(output=sc.normalize(output, convert))
            self.steps[name] = outcome
            return outcome.ok
        assert result.returncode == CLI_SERVICE_ERROR, (
            f"{name}: aws {service} {args[0]} exited {result.returncode}: {result.stderr}"
        )
        assert result.stdout == "", (name, result.stdout)
        error = ERROR_LINE.fullmatch(result.stderr.strip())
        assert error, (name, result.stderr)
        self.steps[name] = sc.Outcome(code=error["code"], message=error["message"])
        return {}

    def caller(self, name: str, creds: dict[str, Any]) -> None:
        """``aws sts get-caller-identity`` signed with temporary credentials."""
        if not creds:
            return
        env = {
            **self.public,
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds.get("SecretKey") or creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
        }
        self.step(name, STS, "get-caller-identity", env=env)

    def run(self) -> None:
        i = self.inputs
        ci, public = COGNITO, self.public
        settings = sc.pool_settings()
        pool_flags = (
            "--allow-unauthenticated-identities",
            "--allow-classic-flow",
            "--supported-login-providers", json.dumps(settings["SupportedLoginProviders"]),
            "--developer-provider-name", settings["DeveloperProviderName"],
        )  # fmt: skip
        assert settings["AllowUnauthenticatedIdentities"] and settings["AllowClassicFlow"]

        created = self.step(
            "createIdentityPool", ci, "create-identity-pool",
            "--identity-pool-name", sc.POOL_NAME,
            "--identity-pool-tags", json.dumps(sc.POOL_TAGS),
            *pool_flags,
        )  # fmt: skip
        pool_id = created["IdentityPoolId"]
        pool = ("--identity-pool-id", pool_id)
        arn = ("--resource-arn", i.pool_arn(pool_id))
        self.step("describeIdentityPool", ci, "describe-identity-pool", *pool)
        self.step(
            "updateIdentityPool", ci, "update-identity-pool",
            *pool, "--identity-pool-name", sc.RENAMED, *pool_flags,
        )  # fmt: skip
        self.step("listIdentityPools", ci, "list-identity-pools", "--max-results", "60")
        self.step("tagResource", ci, "tag-resource", *arn, "--tags", json.dumps(sc.tags_to_add(i)))
        self.step("tagsAfterTag", ci, "list-tags-for-resource", *arn)
        self.step("untagResource", ci, "untag-resource", *arn, "--tag-keys", "suite")
        self.step("tagsAfterUntag", ci, "list-tags-for-resource", *arn)
        self.step(
            "setIdentityPoolRoles", ci, "set-identity-pool-roles",
            *pool,
            "--roles", json.dumps(sc.roles(i)),
            "--role-mappings", json.dumps(sc.ROLE_MAPPINGS),
        )  # fmt: skip
        self.step("getIdentityPoolRoles", ci, "get-identity-pool-roles", *pool)
        self.step(
            "setPrincipalTagAttributeMap", ci, "set-principal-tag-attribute-map",
            *pool,
            "--identity-provider-name", sc.GOOGLE,
            "--no-use-defaults",
            "--principal-tags", json.dumps(sc.PRINCIPAL_TAGS),
        )  # fmt: skip
        self.step(
            "getPrincipalTagAttributeMap", ci, "get-principal-tag-attribute-map",
            *pool, "--identity-provider-name", sc.GOOGLE,
        )  # fmt: skip

        # The app, with no credentials at all: a guest, then Alice signed in with Google.
        guest = self.step(
            "getIdGuest", ci, "get-id", *pool, "--account-id", i.account_id, env=public
        ).get("IdentityId", "")
        self.step("openIdTokenGuest", ci, "get-open-id-token", "--identity-id", guest, env=public)
        creds = self.step(
            "credentialsGuest", ci, "get-credentials-for-identity",
            "--identity-id", guest, env=public,
        )  # fmt: skip
        self.caller("callerGuest", creds.get("Credentials", {}))
        google = ("--logins", json.dumps({sc.GOOGLE: i.google_token}))
        alice = self.step("getIdGoogle", ci, "get-id", *pool, *google, env=public).get(
            "IdentityId", ""
        )
        token = self.step(
            "openIdTokenGoogle", ci, "get-open-id-token", "--identity-id", alice, *google,
            env=public,
        ).get("Token", "")  # fmt: skip
        assumed = self.step(
            "assumeRoleWithWebIdentity", STS, "assume-role-with-web-identity",
            "--role-arn", i.auth_role,
            "--role-session-name", i.session_name,
            "--web-identity-token", token,
            "--duration-seconds", str(sc.BASIC_FLOW_SECONDS),
            env=public,
        )  # fmt: skip
        self.caller("callerBasicFlow", assumed.get("Credentials", {}))
        creds = self.step(
            "credentialsGoogle", ci, "get-credentials-for-identity",
            "--identity-id", alice, *google, env=public,
        )  # fmt: skip
        self.caller("callerGoogle", creds.get("Credentials", {}))
        self.step(
            "credentialsWithoutLogins", ci, "get-credentials-for-identity",
            "--identity-id", alice, env=public,
        )  # fmt: skip

        # The backend: developer logins, linked to Alice's Google login and on their own.
        self.step(
            "developerTokenAlice", ci, "get-open-id-token-for-developer-identity",
            *pool,
            "--identity-id", alice,
            "--logins", json.dumps({sc.DEVELOPER: "alice", sc.GOOGLE: i.google_token}),
        )  # fmt: skip
        self.step("describeAlice", ci, "describe-identity", "--identity-id", alice)
        bob = self.step(
            "developerTokenBob", ci, "get-open-id-token-for-developer-identity",
            *pool, "--logins", json.dumps({sc.DEVELOPER: "bob"}),
        )  # fmt: skip
        self.step(
            "bobRegisteredElsewhere", ci, "get-open-id-token-for-developer-identity",
            *pool, "--identity-id", guest, "--logins", json.dumps({sc.DEVELOPER: "bob"}),
        )  # fmt: skip
        creds = self.step(
            "credentialsDeveloper", ci, "get-credentials-for-identity",
            "--identity-id", bob.get("IdentityId", ""),
            "--logins", json.dumps({sc.ENHANCED: bob.get("Token", "")}),
            env=public,
        )  # fmt: skip
        self.caller("callerDeveloper", creds.get("Credentials", {}))
        lookup = (*pool, "--max-results", "10")
        self.step(
            "lookupByIdentity", ci, "lookup-developer-identity", *lookup, "--identity-id", alice
        )
        self.step(
            "mergeDeveloperIdentities", ci, "merge-developer-identities",
            "--source-user-identifier", "bob",
            "--destination-user-identifier", "alice",
            "--developer-provider-name", sc.DEVELOPER,
            *pool,
        )  # fmt: skip
        self.step(
            "lookupByUser", ci, "lookup-developer-identity",
            *lookup, "--developer-user-identifier", "bob",
        )  # fmt: skip
        self.step(
            "unlinkDeveloperIdentity", ci, "unlink-developer-identity",
            "--identity-id", alice,
            *pool,
            "--developer-provider-name", sc.DEVELOPER,
            "--developer-user-identifier", "bob",
        )  # fmt: skip
        self.step(
            "lookupAfterUnlink", ci, "lookup-developer-identity", *lookup, "--identity-id", alice
        )
        self.step(
            "unlinkIdentity", ci, "unlink-identity",
            "--identity-id", alice, *google, "--logins-to-remove", sc.GOOGLE,
            env=public,
        )  # fmt: skip
        self.step("describeAfterUnlink", ci, "describe-identity", "--identity-id", alice)
        self.step("getIdGoogleAfterUnlink", ci, "get-id", *pool, *google, env=public)

        # Clean-up, and the pool is gone.
        self.step("listIdentities", ci, "list-identities", *pool, "--max-results", "60")
        self.step("deleteIdentities", ci, "delete-identities", "--identity-ids-to-delete", guest)
        self.step("listAfterDelete", ci, "list-identities", *pool, "--max-results", "60")
        self.step("deleteIdentityPool", ci, "delete-identity-pool", *pool)
        self.step("describeDeletedPool", ci, "describe-identity-pool", *pool)
        self.step("listPoolsAfterDelete", ci, "list-identity-pools", "--max-results", "60")


@dataclass(frozen=True)
class Finished:
    run: CliRun
    window: sc.Window


@pytest.fixture(scope="module")
def cli_run(world: World, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """The scenario, run once per store in an account of its own."""
    account = world.server.new_account()
    inputs = sc.inputs_for(account, world.google, "cli")
    run = CliRun(world, inputs, account, tmp_path_factory.mktemp(f"cli-{world.store}"))
    started = datetime.now(UTC)
    run.run()
    return Finished(run, sc.Window(started, datetime.now(UTC)))


def test_scenario(cli_run: Finished, world: World) -> None:
    run = cli_run.run
    sc.verify(run.steps, run.inputs, world.server.url, cli_run.window)
    # The CLI names the operation that failed, as the recorder saw it.
    failed = [(c["operation"], c["status"]) for c in run.calls if c["status"] != 200]
    assert failed == [
        ("GetCredentialsForIdentity", 400),
        ("GetOpenIdTokenForDeveloperIdentity", 400),
        ("DescribeIdentityPool", 400),
    ]
    assert len(run.calls) == len(sc.STEPS), "one request per command, no retry"


def test_every_operation_is_exercised(cli_run: Finished) -> None:
    calls = [(c["service"], c["operation"]) for c in cli_run.run.calls]
    assert missing_operations(calls) == {COGNITO: [], STS: []}
    assert unexpected_operations(calls) == []
