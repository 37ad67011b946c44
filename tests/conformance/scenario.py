"""The conformance scenario, written once: its inputs, the steps every SDK runs, and what each step
must give back.

Each SDK module runs the same steps in its own idiom (boto3 calls, ``aws`` commands, JavaScript v3
commands) and hands back, per step, an :class:`Outcome`: the output as that SDK parsed it (dates
turned into timezone-aware datetimes only after checking they have the SDK's own date type), or the
error code and message that SDK reported. :func:`verify` then asserts what a user sees.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from tests.support.idp import OidcProvider
from tests.support.server import REGION, Credentials

GOOGLE: Final = "accounts.google.com"
GOOGLE_ISSUER: Final = "https://accounts.google.com"
GOOGLE_CLIENT: Final = "conformance-client.apps.googleusercontent.com"
DEVELOPER: Final = "login.conformance.example"
ENHANCED: Final = "cognito-identity.amazonaws.com"
"""The ``Logins`` key under which a developer OpenID token is handed to GetCredentialsForIdentity."""
POOL_NAME: Final = "conformance"
RENAMED: Final = "conformance renamed"
ALICE_SUB: Final = "alice-google-sub"
ALICE_EMAIL: Final = "alice@example.com"
BASIC_FLOW_SECONDS: Final = 900
ENHANCED_SESSION: Final = "CognitoIdentityCredentials"

LOGINS_DONT_MATCH: Final = (
    "Logins don't match. Please include at least one valid login for this identity or identity "
    "pool."
)
ALREADY_REGISTERED: Final = (
    "Developer user identifier 'bob' is already registered to another identity."
)

TIMESTAMP_KEYS: Final = frozenset({"CreationDate", "LastModifiedDate", "Expiration"})

STEPS: Final = (
    "createIdentityPool",
    "describeIdentityPool",
    "updateIdentityPool",
    "listIdentityPools",
    "tagResource",
    "tagsAfterTag",
    "untagResource",
    "tagsAfterUntag",
    "setIdentityPoolRoles",
    "getIdentityPoolRoles",
    "setPrincipalTagAttributeMap",
    "getPrincipalTagAttributeMap",
    "getIdGuest",
    "openIdTokenGuest",
    "credentialsGuest",
    "callerGuest",
    "getIdGoogle",
    "openIdTokenGoogle",
    "assumeRoleWithWebIdentity",
    "callerBasicFlow",
    "credentialsGoogle",
    "callerGoogle",
    "credentialsWithoutLogins",
    "developerTokenAlice",
    "describeAlice",
    "developerTokenBob",
    "bobRegisteredElsewhere",
    "credentialsDeveloper",
    "callerDeveloper",
    "lookupByIdentity",
    "mergeDeveloperIdentities",
    "lookupByUser",
    "unlinkDeveloperIdentity",
    "lookupAfterUnlink",
    "unlinkIdentity",
    "describeAfterUnlink",
    "getIdGoogleAfterUnlink",
    "listIdentities",
    "deleteIdentities",
    "listAfterDelete",
    "deleteIdentityPool",
    "describeDeletedPool",
    "listPoolsAfterDelete",
)
"""Every step, in the order the SDKs run them; each names one request."""


@dataclass(frozen=True)
class Inputs:
    """What the test hands a scenario: the account, a Google ID token for Alice, and a label
    (``sdk``) that makes the scenario's tag values and session names its own."""

    account_id: str
    sdk: str
    google_token: str

    @property
    def auth_role(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/Cognito_ConformanceAuth_Role"

    @property
    def unauth_role(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/Cognito_ConformanceUnauth_Role"

    @property
    def session_name(self) -> str:
        return f"conformance-{self.sdk}"

    def pool_arn(self, pool_id: str) -> str:
        return f"arn:aws:cognito-identity:{REGION}:{self.account_id}:identitypool/{pool_id}"

    def assumed_role_arn(self, role_arn: str, session: str) -> str:
        return f"arn:aws:sts::{self.account_id}:assumed-role/{role_arn.rsplit('/', 1)[1]}/{session}"


def inputs_for(account: Credentials, google: OidcProvider, sdk: str) -> Inputs:
    token = google.mint(sub=ALICE_SUB, aud=GOOGLE_CLIENT, email=ALICE_EMAIL)
    return Inputs(account.account_id, sdk, token)


# --- what each SDK is asked to send ---------------------------------------------------------------


def pool_settings() -> dict[str, Any]:
    """The pool's configuration, as CreateIdentityPool and UpdateIdentityPool both take it."""
    return {
        "AllowUnauthenticatedIdentities": True,
        "AllowClassicFlow": True,
        "SupportedLoginProviders": {GOOGLE: GOOGLE_CLIENT},
        "DeveloperProviderName": DEVELOPER,
    }


POOL_TAGS: Final = {"suite": "conformance", "stage": "test"}
PRINCIPAL_TAGS: Final = {"username": "sub", "mail": "email"}


def tags_to_add(inputs: Inputs) -> dict[str, str]:
    return {"owner": inputs.sdk, "stage": "prod"}


def roles(inputs: Inputs) -> dict[str, str]:
    return {"authenticated": inputs.auth_role, "unauthenticated": inputs.unauth_role}


ROLE_MAPPINGS: Final = {
    GOOGLE: {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"},
}


# --- what comes back ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One step as the SDK reported it: ``output`` on success, else ``code`` and ``message``."""

    output: dict[str, Any] | None = None
    code: str | None = None
    message: str | None = None
    status: int | None = None
    """The HTTP status, where the SDK exposes it (the CLI does not print it)."""

    @property
    def ok(self) -> dict[str, Any]:
        assert self.output is not None, f"expected success, got {self.code}: {self.message}"
        return self.output


def normalize(value: Any, timestamp: Callable[[Any], datetime]) -> Any:
    """``value`` with every member named in :data:`TIMESTAMP_KEYS` passed through ``timestamp``
    (which checks the SDK's own date type and returns an aware datetime)."""
    if isinstance(value, Mapping):
        return {
            k: timestamp(v) if k in TIMESTAMP_KEYS else normalize(v, timestamp)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalize(v, timestamp) for v in value]
    return value


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


# --- the expectations ----------------------------------------------------------------------------

ID_SHAPE: Final = re.compile(
    rf"{REGION}:[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"
)
ACCESS_KEY_SHAPE: Final = re.compile(r"ASIA[A-Z2-7]{16}")
ROLE_ID_SHAPE: Final = re.compile(r"AROA[A-Z2-7]{17}")
SLACK: Final = timedelta(seconds=5)
"""Clock slack for expiry checks: the wire carries whole seconds."""


@dataclass(frozen=True)
class Window:
    """When the scenario ran, to check that dates and expiries are the server's ``now``."""

    started: datetime
    finished: datetime

    def check_recent(self, moment: datetime, what: str) -> None:
        assert self.started - SLACK <= moment <= self.finished + SLACK, (what, moment, self)

    def check_expiry(self, moment: datetime, lifetime: timedelta, what: str) -> None:
        low, high = self.started + lifetime - SLACK, self.finished + lifetime + SLACK
        assert low <= moment <= high, (what, moment, lifetime, self)


class Verifier:
    """The assertions of the scenario, one method per group of steps, all on the ``steps`` an SDK
    reported. ``server_url`` is where the server runs (its OpenID issuer)."""

    def __init__(
        self, steps: Mapping[str, Outcome], inputs: Inputs, server_url: str, window: Window
    ) -> None:
        self.steps = steps
        self.inputs = inputs
        self.server_url = server_url
        self.window = window
        self.pool_id = ""
        self.guest = self.alice = self.bob = self.carol = ""

    def ok(self, step: str) -> dict[str, Any]:
        assert step in self.steps, f"{step} never ran"
        outcome = self.steps[step]
        assert outcome.output is not None, f"{step} failed: {outcome.code}: {outcome.message}"
        assert outcome.status in (None, 200), (step, outcome)
        return outcome.output

    def fails(self, step: str, code: str, message: str) -> None:
        assert step in self.steps, f"{step} never ran"
        outcome = self.steps[step]
        assert outcome.output is None, f"{step} should fail with {code}, got {outcome.output}"
        assert (outcome.code, outcome.message) == (code, message), step
        assert outcome.status in (None, 400), (step, outcome)

    def new_identity(self, step: str) -> str:
        output = self.ok(step)
        assert set(output) == {"IdentityId"}, (step, output)
        identity_id: str = output["IdentityId"]
        assert ID_SHAPE.fullmatch(identity_id), (step, identity_id)
        return identity_id

    def all(self) -> None:
        self.pools()
        self.tags()
        self.configuration()
        self.guest_flows()
        self.google_flows()
        self.developer_flows()
        self.unlinking()
        self.clean_up()
        assert list(self.steps) == list(STEPS), "every step ran once, in order"

    def pools(self) -> None:
        created = self.ok("createIdentityPool")
        self.pool_id = created["IdentityPoolId"]
        assert ID_SHAPE.fullmatch(self.pool_id), created
        assert created == {
            "IdentityPoolId": self.pool_id,
            "IdentityPoolName": POOL_NAME,
            "IdentityPoolTags": POOL_TAGS,
            **pool_settings(),
        }
        assert self.ok("describeIdentityPool") == created
        # UpdateIdentityPool without IdentityPoolTags keeps the tags.
        assert self.ok("updateIdentityPool") == {**created, "IdentityPoolName": RENAMED}
        assert self.ok("listIdentityPools") == {
            "IdentityPools": [{"IdentityPoolId": self.pool_id, "IdentityPoolName": RENAMED}]
        }

    def tags(self) -> None:
        assert self.ok("tagResource") == {}
        assert self.ok("tagsAfterTag") == {"Tags": {**POOL_TAGS, **tags_to_add(self.inputs)}}
        assert self.ok("untagResource") == {}
        assert self.ok("tagsAfterUntag") == {"Tags": tags_to_add(self.inputs)}

    def configuration(self) -> None:
        assert self.ok("setIdentityPoolRoles") == {}
        assert self.ok("getIdentityPoolRoles") == {
            "IdentityPoolId": self.pool_id,
            "Roles": roles(self.inputs),
            "RoleMappings": ROLE_MAPPINGS,
        }
        tag_map = {
            "IdentityPoolId": self.pool_id,
            "IdentityProviderName": GOOGLE,
            "UseDefaults": False,
            "PrincipalTags": PRINCIPAL_TAGS,
        }
        assert self.ok("setPrincipalTagAttributeMap") == tag_map
        assert self.ok("getPrincipalTagAttributeMap") == tag_map

    def token(self, step: str, identity_id: str, lifetime: int) -> dict[str, Any]:
        """The claims of the OpenID token of ``step``, checked for what every token says."""
        output = self.ok(step)
        assert set(output) == {"IdentityId", "Token"}, (step, output)
        assert output["IdentityId"] == identity_id, step
        claims = claims_of(output["Token"])
        assert claims["iss"] == self.server_url, (step, claims)
        assert claims["sub"] == identity_id, (step, claims)
        assert claims["aud"] == self.pool_id, (step, claims)
        assert claims["exp"] - claims["iat"] == lifetime, (step, claims)
        issued = datetime.fromtimestamp(claims["iat"], UTC)
        self.window.check_recent(issued, f"{step} iat")
        return claims

    def credentials(self, step: str, identity_id: str) -> None:
        """GetCredentialsForIdentity: the identity and one hour of temporary credentials."""
        output = self.ok(step)
        assert set(output) == {"IdentityId", "Credentials"}, (step, output)
        assert output["IdentityId"] == identity_id, step
        creds = output["Credentials"]
        assert set(creds) == {"AccessKeyId", "SecretKey", "SessionToken", "Expiration"}, step
        assert ACCESS_KEY_SHAPE.fullmatch(creds["AccessKeyId"]), (step, creds)
        assert len(creds["SecretKey"]) == 40 and creds["SessionToken"], (step, creds)
        self.window.check_expiry(creds["Expiration"], timedelta(hours=1), step)

    def caller(self, step: str, arn: str) -> None:
        """GetCallerIdentity with temporary credentials: the assumed role's session."""
        session = arn.rsplit("/", 1)[1]
        output = self.ok(step)
        assert set(output) == {"UserId", "Account", "Arn"}, (step, output)
        assert output["Account"] == self.inputs.account_id, step
        assert output["Arn"] == arn, step
        role_id, _, user_session = output["UserId"].partition(":")
        assert ROLE_ID_SHAPE.fullmatch(role_id) and user_session == session, (step, output)

    def guest_flows(self) -> None:
        i = self.inputs
        self.guest = self.new_identity("getIdGuest")
        claims = self.token("openIdTokenGuest", self.guest, 600)
        assert claims["amr"] == ["unauthenticated"]
        self.credentials("credentialsGuest", self.guest)
        self.caller("callerGuest", i.assumed_role_arn(i.unauth_role, ENHANCED_SESSION))

    def google_flows(self) -> None:
        i = self.inputs
        self.alice = self.new_identity("getIdGoogle")
        assert self.alice != self.guest
        claims = self.token("openIdTokenGoogle", self.alice, 600)
        assert claims["amr"] == ["authenticated", GOOGLE, f"{GOOGLE}:{ALICE_SUB}"]
        assert claims["https://aws.amazon.com/tags"] == {
            "principal_tags": {"username": [ALICE_SUB], "mail": [ALICE_EMAIL]}
        }

        # The basic flow: STS trades the OpenID token for the authenticated role.
        assumed = self.ok("assumeRoleWithWebIdentity")
        session_arn = i.assumed_role_arn(i.auth_role, i.session_name)
        assert set(assumed) == {
            "Credentials",
            "SubjectFromWebIdentityToken",
            "AssumedRoleUser",
            "PackedPolicySize",
            "Provider",
            "Audience",
        }, assumed
        assert assumed["SubjectFromWebIdentityToken"] == self.alice
        assert assumed["Audience"] == self.pool_id
        assert assumed["Provider"] == self.server_url.removeprefix("http://")
        assert assumed["AssumedRoleUser"]["Arn"] == session_arn
        role_id = assumed["AssumedRoleUser"]["AssumedRoleId"]
        assert ROLE_ID_SHAPE.fullmatch(role_id.split(":")[0])
        assert role_id.endswith(f":{i.session_name}")
        # The two principal tags became session tags, which count against the packed size.
        assert isinstance(assumed["PackedPolicySize"], int) and assumed["PackedPolicySize"] > 0
        creds = assumed["Credentials"]
        assert set(creds) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
        assert ACCESS_KEY_SHAPE.fullmatch(creds["AccessKeyId"]), creds
        self.window.check_expiry(
            creds["Expiration"], timedelta(seconds=BASIC_FLOW_SECONDS), "basic flow"
        )
        self.caller("callerBasicFlow", session_arn)
        assert self.ok("callerBasicFlow")["UserId"] == role_id

        # The enhanced flow with the Google login: the Token role mapping finds no cognito:roles
        # claim in a Google token, so AmbiguousRoleResolution gives the authenticated role.
        self.credentials("credentialsGoogle", self.alice)
        self.caller("callerGoogle", i.assumed_role_arn(i.auth_role, ENHANCED_SESSION))
        # An authenticated identity gets nothing without one of its logins.
        self.fails("credentialsWithoutLogins", "NotAuthorizedException", LOGINS_DONT_MATCH)

    def developer_flows(self) -> None:
        i = self.inputs
        claims = self.token("developerTokenAlice", self.alice, 900)
        assert claims["amr"] == [
            "authenticated",
            DEVELOPER,
            f"{DEVELOPER}:{self.pool_id}:alice",
            GOOGLE,
            f"{GOOGLE}:{ALICE_SUB}",
        ]
        alice = self.ok("describeAlice")
        assert set(alice) == {"IdentityId", "Logins", "CreationDate", "LastModifiedDate"}
        assert alice["IdentityId"] == self.alice
        assert sorted(alice["Logins"]) == sorted([GOOGLE, DEVELOPER])
        self.window.check_recent(alice["CreationDate"], "describeAlice CreationDate")
        assert alice["CreationDate"] <= alice["LastModifiedDate"]

        bob = self.ok("developerTokenBob")
        self.bob = bob["IdentityId"]
        assert ID_SHAPE.fullmatch(self.bob) and self.bob not in (self.guest, self.alice)
        claims = self.token("developerTokenBob", self.bob, 900)
        assert claims["amr"] == ["authenticated", DEVELOPER, f"{DEVELOPER}:{self.pool_id}:bob"]
        self.fails(
            "bobRegisteredElsewhere", "DeveloperUserAlreadyRegisteredException", ALREADY_REGISTERED
        )
        # The enhanced flow with the developer token, as the SDKs hand it over.
        self.credentials("credentialsDeveloper", self.bob)
        self.caller("callerDeveloper", i.assumed_role_arn(i.auth_role, ENHANCED_SESSION))

        assert self.ok("lookupByIdentity") == {
            "IdentityId": self.alice,
            "DeveloperUserIdentifierList": ["alice"],
        }
        assert self.ok("mergeDeveloperIdentities") == {"IdentityId": self.alice}
        by_user = self.ok("lookupByUser")
        assert set(by_user) == {"IdentityId", "DeveloperUserIdentifierList"}, by_user
        assert by_user["IdentityId"] == self.alice
        assert sorted(by_user["DeveloperUserIdentifierList"]) == ["alice", "bob"]
        assert self.ok("unlinkDeveloperIdentity") == {}
        assert self.ok("lookupAfterUnlink") == {
            "IdentityId": self.alice,
            "DeveloperUserIdentifierList": ["alice"],
        }

    def unlinking(self) -> None:
        assert self.ok("unlinkIdentity") == {}
        after = self.ok("describeAfterUnlink")
        assert set(after) == {"IdentityId", "Logins", "CreationDate", "LastModifiedDate"}, after
        assert after["IdentityId"] == self.alice
        assert after["CreationDate"] == self.ok("describeAlice")["CreationDate"]
        assert after["Logins"] == [DEVELOPER]
        assert after["LastModifiedDate"] >= self.ok("describeAlice")["LastModifiedDate"]
        # The unlinked Google user is a new identity the next time it is seen.
        self.carol = self.new_identity("getIdGoogleAfterUnlink")
        assert self.carol not in (self.guest, self.alice, self.bob)

    def listed(self, step: str) -> dict[str, list[str]]:
        """ListIdentities as ``{identity id: its logins}``, checked for shape and dates."""
        output = self.ok(step)
        assert set(output) == {"IdentityPoolId", "Identities"}, (step, output)
        assert output["IdentityPoolId"] == self.pool_id
        found: dict[str, list[str]] = {}
        for item in output["Identities"]:
            assert set(item) <= {"IdentityId", "Logins", "CreationDate", "LastModifiedDate"}
            assert {"IdentityId", "CreationDate", "LastModifiedDate"} <= set(item), item
            self.window.check_recent(item["CreationDate"], f"{step} CreationDate")
            self.window.check_recent(item["LastModifiedDate"], f"{step} LastModifiedDate")
            found[item["IdentityId"]] = sorted(item.get("Logins", []))
        return found

    def clean_up(self) -> None:
        everyone = {
            self.guest: [],
            self.alice: [DEVELOPER],
            self.bob: [],  # merged into Alice: its only login moved, the identity is disabled
            self.carol: [GOOGLE],
        }
        assert self.listed("listIdentities") == everyone
        assert self.ok("deleteIdentities") == {"UnprocessedIdentityIds": []}
        del everyone[self.guest]
        assert self.listed("listAfterDelete") == everyone
        assert self.ok("deleteIdentityPool") == {}
        self.fails(
            "describeDeletedPool",
            "ResourceNotFoundException",
            f"IdentityPool '{self.pool_id}' not found.",
        )
        assert self.ok("listPoolsAfterDelete") == {"IdentityPools": []}


def verify(steps: Mapping[str, Outcome], inputs: Inputs, server_url: str, window: Window) -> None:
    """Assert every step's result, as the SDK that ran them reported it."""
    Verifier(steps, inputs, server_url, window).all()
