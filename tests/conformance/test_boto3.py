"""The conformance scenario with boto3: ``cognito-identity`` and ``sts`` clients with
``endpoint_url``, the backend's calls signed with the account's keys, the app's public calls
(GetId, GetOpenIdToken, GetCredentialsForIdentity, UnlinkIdentity, AssumeRoleWithWebIdentity) from
unsigned clients, and GetCallerIdentity with each set of temporary credentials the flows hand out.

Every request botocore sends is counted from its ``after-call`` event (operation and HTTP status),
which is what the coverage test checks against the table in ``operations.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conformance import scenario as sc
from tests.conformance.conftest import World
from tests.conformance.operations import (
    COGNITO,
    OPERATIONS,
    STS,
    STS_OPERATIONS,
    missing_operations,
    unexpected_operations,
)
from tests.support.server import REGION

pytestmark = pytest.mark.slow


def timestamp(value: Any) -> datetime:
    """boto3 parses every timestamp into an aware ``datetime``."""
    assert isinstance(value, datetime), value
    assert value.tzinfo is not None, value
    return value


class Boto3Run:
    """The scenario as boto3 calls; :attr:`steps` and :attr:`calls` are what it saw."""

    def __init__(self, world: World, inputs: sc.Inputs, keys: tuple[str, str]) -> None:
        self.world = world
        self.inputs = inputs
        self.keys = keys
        self.calls: list[tuple[str, str]] = []
        self.statuses: list[int] = []
        self.steps: dict[str, sc.Outcome] = {}

    def _client(
        self, service: str, *, unsigned: bool = False, creds: dict[str, Any] | None = None
    ) -> Any:
        config = Config(retries={"max_attempts": 1, "mode": "standard"})
        if unsigned:
            config = config.merge(Config(signature_version=UNSIGNED))
        keys: dict[str, Any] = {}
        if creds is not None:
            keys = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds.get("SecretKey") or creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        elif not unsigned:
            keys = {"aws_access_key_id": self.keys[0], "aws_secret_access_key": self.keys[1]}
        make: Any = boto3.client
        client = make(
            service, endpoint_url=self.world.server.url, region_name=REGION, config=config, **keys
        )
        client.meta.events.register("after-call", self._record)
        return client

    def _record(self, model: Any, http_response: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))
        self.statuses.append(http_response.status_code)

    def step(self, name: str, call: Callable[..., Any], **params: Any) -> dict[str, Any]:
        try:
            output = dict(call(**params))
        except ClientError as exc:
            self.steps[name] = sc.Outcome(
                code=exc.response["Error"]["Code"],
                message=exc.response["Error"]["Message"],
                status=exc.response["ResponseMetadata"]["HTTPStatusCode"],
            )
            return {}
        metadata = output.pop("ResponseMetadata")
        outcome = sc.Outcome(
            output=sc.normalize(output, timestamp), status=metadata["HTTPStatusCode"]
        )
        self.steps[name] = outcome
        return outcome.ok

    def run(self) -> None:
        i = self.inputs
        backend = self._client("cognito-identity")
        public = self._client("cognito-identity", unsigned=True)
        public_sts = self._client("sts", unsigned=True)

        def caller(name: str, creds: dict[str, Any]) -> None:
            if creds:
                self.step(name, self._client("sts", creds=creds).get_caller_identity)

        created = self.step(
            "createIdentityPool",
            backend.create_identity_pool,
            IdentityPoolName=sc.POOL_NAME,
            IdentityPoolTags=sc.POOL_TAGS,
            **sc.pool_settings(),
        )
        pool_id = created["IdentityPoolId"]
        arn = i.pool_arn(pool_id)
        self.step("describeIdentityPool", backend.describe_identity_pool, IdentityPoolId=pool_id)
        self.step(
            "updateIdentityPool",
            backend.update_identity_pool,
            IdentityPoolId=pool_id,
            IdentityPoolName=sc.RENAMED,
            **sc.pool_settings(),
        )
        self.step("listIdentityPools", backend.list_identity_pools, MaxResults=60)
        self.step("tagResource", backend.tag_resource, ResourceArn=arn, Tags=sc.tags_to_add(i))
        self.step("tagsAfterTag", backend.list_tags_for_resource, ResourceArn=arn)
        self.step("untagResource", backend.untag_resource, ResourceArn=arn, TagKeys=["suite"])
        self.step("tagsAfterUntag", backend.list_tags_for_resource, ResourceArn=arn)
        self.step(
            "setIdentityPoolRoles",
            backend.set_identity_pool_roles,
            IdentityPoolId=pool_id,
            Roles=sc.roles(i),
            RoleMappings=sc.ROLE_MAPPINGS,
        )
        self.step("getIdentityPoolRoles", backend.get_identity_pool_roles, IdentityPoolId=pool_id)
        self.step(
            "setPrincipalTagAttributeMap",
            backend.set_principal_tag_attribute_map,
            IdentityPoolId=pool_id,
            IdentityProviderName=sc.GOOGLE,
            UseDefaults=False,
            PrincipalTags=sc.PRINCIPAL_TAGS,
        )
        self.step(
            "getPrincipalTagAttributeMap",
            backend.get_principal_tag_attribute_map,
            IdentityPoolId=pool_id,
            IdentityProviderName=sc.GOOGLE,
        )

        # The app: a guest, then Alice signed in with Google.
        guest = self.step(
            "getIdGuest", public.get_id, IdentityPoolId=pool_id, AccountId=i.account_id
        ).get("IdentityId", "")
        self.step("openIdTokenGuest", public.get_open_id_token, IdentityId=guest)
        creds = self.step("credentialsGuest", public.get_credentials_for_identity, IdentityId=guest)
        caller("callerGuest", creds.get("Credentials", {}))
        google = {sc.GOOGLE: i.google_token}
        alice = self.step("getIdGoogle", public.get_id, IdentityPoolId=pool_id, Logins=google).get(
            "IdentityId", ""
        )
        token = self.step(
            "openIdTokenGoogle", public.get_open_id_token, IdentityId=alice, Logins=google
        ).get("Token", "")
        assumed = self.step(
            "assumeRoleWithWebIdentity",
            public_sts.assume_role_with_web_identity,
            RoleArn=i.auth_role,
            RoleSessionName=i.session_name,
            WebIdentityToken=token,
            DurationSeconds=sc.BASIC_FLOW_SECONDS,
        )
        caller("callerBasicFlow", assumed.get("Credentials", {}))
        creds = self.step(
            "credentialsGoogle",
            public.get_credentials_for_identity,
            IdentityId=alice,
            Logins=google,
        )
        caller("callerGoogle", creds.get("Credentials", {}))
        self.step("credentialsWithoutLogins", public.get_credentials_for_identity, IdentityId=alice)

        # The backend: developer logins, linked to Alice's Google login and on their own.
        self.step(
            "developerTokenAlice",
            backend.get_open_id_token_for_developer_identity,
            IdentityPoolId=pool_id,
            IdentityId=alice,
            Logins={sc.DEVELOPER: "alice", **google},
        )
        self.step("describeAlice", backend.describe_identity, IdentityId=alice)
        bob = self.step(
            "developerTokenBob",
            backend.get_open_id_token_for_developer_identity,
            IdentityPoolId=pool_id,
            Logins={sc.DEVELOPER: "bob"},
        )
        self.step(
            "bobRegisteredElsewhere",
            backend.get_open_id_token_for_developer_identity,
            IdentityPoolId=pool_id,
            IdentityId=guest,
            Logins={sc.DEVELOPER: "bob"},
        )
        creds = self.step(
            "credentialsDeveloper",
            public.get_credentials_for_identity,
            IdentityId=bob.get("IdentityId", ""),
            Logins={sc.ENHANCED: bob.get("Token", "")},
        )
        caller("callerDeveloper", creds.get("Credentials", {}))
        self.step(
            "lookupByIdentity",
            backend.lookup_developer_identity,
            IdentityPoolId=pool_id,
            IdentityId=alice,
            MaxResults=10,
        )
        self.step(
            "mergeDeveloperIdentities",
            backend.merge_developer_identities,
            SourceUserIdentifier="bob",
            DestinationUserIdentifier="alice",
            DeveloperProviderName=sc.DEVELOPER,
            IdentityPoolId=pool_id,
        )
        self.step(
            "lookupByUser",
            backend.lookup_developer_identity,
            IdentityPoolId=pool_id,
            DeveloperUserIdentifier="bob",
            MaxResults=10,
        )
        self.step(
            "unlinkDeveloperIdentity",
            backend.unlink_developer_identity,
            IdentityId=alice,
            IdentityPoolId=pool_id,
            DeveloperProviderName=sc.DEVELOPER,
            DeveloperUserIdentifier="bob",
        )
        self.step(
            "lookupAfterUnlink",
            backend.lookup_developer_identity,
            IdentityPoolId=pool_id,
            IdentityId=alice,
            MaxResults=10,
        )
        self.step(
            "unlinkIdentity",
            public.unlink_identity,
            IdentityId=alice,
            Logins=google,
            LoginsToRemove=[sc.GOOGLE],
        )
        self.step("describeAfterUnlink", backend.describe_identity, IdentityId=alice)
        self.step("getIdGoogleAfterUnlink", public.get_id, IdentityPoolId=pool_id, Logins=google)

        # Clean-up, and the pool is gone.
        self.step("listIdentities", backend.list_identities, IdentityPoolId=pool_id, MaxResults=60)
        self.step("deleteIdentities", backend.delete_identities, IdentityIdsToDelete=[guest])
        self.step("listAfterDelete", backend.list_identities, IdentityPoolId=pool_id, MaxResults=60)
        self.step("deleteIdentityPool", backend.delete_identity_pool, IdentityPoolId=pool_id)
        self.step("describeDeletedPool", backend.describe_identity_pool, IdentityPoolId=pool_id)
        self.step("listPoolsAfterDelete", backend.list_identity_pools, MaxResults=60)


@dataclass(frozen=True)
class Finished:
    run: Boto3Run
    window: sc.Window


@pytest.fixture(scope="module")
def boto3_run(world: World) -> Finished:
    """The scenario, run once per store in an account of its own."""
    account = world.server.new_account()
    inputs = sc.inputs_for(account, world.google, "boto3")
    run = Boto3Run(world, inputs, (account.access_key_id, account.secret_access_key))
    started = datetime.now(UTC)
    run.run()
    return Finished(run, sc.Window(started, datetime.now(UTC)))


def test_scenario(boto3_run: Finished, world: World) -> None:
    run = boto3_run.run
    sc.verify(run.steps, run.inputs, world.server.url, boto3_run.window)
    # Each step is one request; the expected errors are the only non-200 answers.
    assert len(run.calls) == len(sc.STEPS)
    errors = [name for name, outcome in run.steps.items() if outcome.output is None]
    assert errors == ["credentialsWithoutLogins", "bobRegisteredElsewhere", "describeDeletedPool"]
    assert sorted(run.statuses) == sorted([200] * (len(sc.STEPS) - 3) + [400] * 3)


def test_every_operation_is_exercised(boto3_run: Finished) -> None:
    calls = boto3_run.run.calls
    assert missing_operations(calls) == {COGNITO: [], STS: []}
    assert unexpected_operations(calls) == []


def test_the_table_is_the_service_model() -> None:
    """The 23 operations of ``operations.py`` are exactly those of botocore's model (the
    operation names boto3 users call as snake_case methods)."""
    session = botocore.session.get_session()
    model = session.get_service_model("cognito-identity")
    assert sorted(model.operation_names) == sorted(OPERATIONS)
    assert len(OPERATIONS) == len(set(OPERATIONS)) == 23
    assert set(STS_OPERATIONS) <= set(session.get_service_model("sts").operation_names)
