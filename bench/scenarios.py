"""The scenarios: one list, :data:`SCENARIOS`. Each is one operation, signed or not, whose request
body is made from the :class:`~bench.fixture.Fixture` set up in each server; ``--scenarios`` picks
scenarios and groups (:func:`select`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bench.decisions import ALLOWED, DECISION_VALIDITY_S, decide_body
from bench.fixture import DEVELOPER_PROVIDER, DEVELOPER_USER, Fixture


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    signed: bool
    body: Callable[[Fixture], dict[str, Any]]
    group: str = "identities"
    """For ``--scenarios``, which takes scenario names and group names."""
    action: str | None = None
    """The operation (X-Amz-Target), when it is not ``name``."""
    vs_moto_target: float | None = 20.0
    """ours / moto req/s must reach this (None: the ratio is printed for information only)."""
    vs_bare: tuple[str, float | None] | None = None
    """(reference, target): ours req/s / that bare rate (``bench.references.BARE_REFERENCES``)
    must reach the target (a target None: for information; None: no such ratio)."""
    variants: Callable[[Fixture], list[dict[str, Any]]] | None = None
    """Request bodies that wrk sends in turn, one per call, instead of replaying ``body`` (which
    is still the set-up check's); unsigned scenarios only."""
    needs: Callable[[Fixture], str | None] | None = None
    """Why the scenario cannot run with this fixture (None: it can)."""
    path: str = "/"
    """Where the request goes: ``/`` for the AWS services (JSON 1.1, ``X-Amz-Target``), or one
    of this server's own endpoints (plain JSON, ``POST <path>``)."""
    expect: str | None = None
    """What every 2xx answer of the load must contain; one that does not counts as an error
    (None: any 2xx answer will do)."""
    valid_for: float | None = None
    """Seconds the replayed request is accepted for after it is built (None: as long as any run
    lasts); ``bench/run`` refuses options whose warm-up and runs would outlast it."""
    vs_scenario: tuple[str, float | None] | None = None
    """(scenario, target): ours req/s / that scenario's ours req/s of the same run must reach the
    target (None: for information). Selecting this scenario selects that one too."""
    uses_login: bool = False
    """Whether it needs the bench's OpenID provider and login (as the ``logins`` group does)."""

    @property
    def operation(self) -> str:
        return self.action or self.name

    @property
    def needs_login(self) -> bool:
        return self.group == "logins" or self.uses_login


def _logins(f: Fixture) -> dict[str, str]:
    return {f.login_key: f.id_token}


SCENARIOS: list[Scenario] = [
    # Unsigned; every call creates (and durably commits) a new identity.
    Scenario(
        "GetId",
        signed=False,
        body=lambda f: {"IdentityPoolId": f.pool_id},
        vs_bare=("insert", 0.70),
    ),
    # Signed read: SigV4 verification plus one pool lookup.
    Scenario("DescribeIdentityPool", signed=True, body=lambda f: {"IdentityPoolId": f.pool_id}),
    # Unsigned; an RS512 token for the unauthenticated identity: one RSA-2048 signature per call.
    # moto answers a random string, not a JWT: its rate is for information.
    Scenario(
        "GetOpenIdToken",
        group="tokens",
        signed=False,
        body=lambda f: {"IdentityId": f.identity_id},
        vs_moto_target=None,
        vs_bare=("sign", 0.70),
    ),
    # Unsigned; sealed temporary credentials for the unauthenticated role (no JWT on this path).
    Scenario(
        "GetCredentialsForIdentity",
        group="tokens",
        signed=False,
        body=lambda f: {"IdentityId": f.identity_id},
    ),
    # The same for a guest of a pool whose role exists in our IAM: its trust policy (the standard
    # Cognito one: aud and amr conditions) is checked at every call. Issue 13's target: at least
    # 85 % of GetCredentialsForIdentity's rate (no trust policy: the pool's roles are not in our
    # IAM, lenient mode).
    Scenario(
        "GetCredentialsForIdentity+trust",
        action="GetCredentialsForIdentity",
        group="trust",
        signed=False,
        body=lambda f: {"IdentityId": f.trust_identity_id},
        vs_moto_target=None,
        vs_scenario=("GetCredentialsForIdentity", 0.85),
        needs=lambda f: f.trust_problem,
    ),
    # Signed; the developer user is registered at set-up, so this finds its identity and signs a
    # token. moto answers a random string: for information.
    Scenario(
        "GetOpenIdTokenForDeveloperIdentity",
        group="developer",
        signed=True,
        body=lambda f: {
            "IdentityPoolId": f.pool_id,
            "Logins": {DEVELOPER_PROVIDER: DEVELOPER_USER},
        },
        vs_moto_target=None,
        vs_bare=("sign", 0.60),
    ),
    # Unsigned, with an OIDC ID token of the bench's provider (RS256) for the identity it already
    # has: one signature verification (keys cached) plus the login lookup. moto ignores Logins.
    Scenario(
        "GetId+oidc",
        action="GetId",
        group="logins",
        signed=False,
        body=lambda f: {"IdentityPoolId": f.oidc_pool_id, "Logins": _logins(f)},
        vs_moto_target=None,
        vs_bare=("verify", 0.35),
        needs=lambda f: f.logins_problem,
    ),
    # The same verification, then credentials for the authenticated role.
    Scenario(
        "GetCredentialsForIdentity+oidc",
        action="GetCredentialsForIdentity",
        group="logins",
        signed=False,
        body=lambda f: {"IdentityId": f.login_identity_id, "Logins": _logins(f)},
        vs_bare=("verify", 0.35),
        needs=lambda f: f.logins_problem,
    ),
    # The same login in the decisions pool: its claims mapped to 3 principal tags, its role in
    # our IAM, whose trust policy is checked for sts:AssumeRoleWithWebIdentity and
    # sts:TagSession at every call. For information, next to GetCredentialsForIdentity+oidc.
    Scenario(
        "GetCredentialsForIdentity+oidc+trust",
        action="GetCredentialsForIdentity",
        group="trust",
        signed=False,
        body=lambda f: {
            "IdentityId": f.decisions_identity_id,
            "Logins": {f.login_key: f.tagged_id_token},
        },
        vs_moto_target=None,
        vs_scenario=("GetCredentialsForIdentity+oidc", None),
        needs=lambda f: f.logins_problem or f.decisions_problem,
        uses_login=True,
    ),
    # Signed with the account's key: the decision endpoint, asked about a GET a session with
    # principal tags signed for a self-hosted service (SigV4 verified, session opened, its role's
    # 3 policies of 10 statements evaluated). Issue 13's target: at least 50 % of the bare
    # engine's rate on the same policies and context. Every answer must be an Allow.
    Scenario(
        "Decide",
        group="decisions",
        signed=True,
        body=decide_body,
        path="/_cognitoidentity/v1/decisions",
        expect=ALLOWED,
        valid_for=DECISION_VALIDITY_S,
        vs_moto_target=None,
        vs_bare=("decide", 0.50),
        needs=lambda f: f.logins_problem or f.decisions_problem,
        uses_login=True,
    ),
]


def _with_fresh_tokens(scenario: Scenario) -> Scenario:
    """``scenario`` with a different token of the bench's login at each call (more tokens than
    the server remembers as verified), so that every call checks a signature. For information."""

    def variants(f: Fixture) -> list[dict[str, Any]]:
        base = scenario.body(f)
        return [{**base, "Logins": {f.login_key: token}} for token in f.fresh_id_tokens]

    return replace(
        scenario,
        name=scenario.name + "/fresh",
        variants=variants,
        vs_moto_target=None,
        vs_bare=("verify", None),
    )


SCENARIOS += [_with_fresh_tokens(s) for s in SCENARIOS if s.group == "logins"]


def scenario_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for scenario in SCENARIOS:
        groups.setdefault(scenario.group, []).append(scenario.name)
    return groups


def select(names: str) -> list[Scenario]:
    """The scenarios ``names`` (comma-separated scenario and group names) designate, with those
    they are compared with (``vs_scenario``), in :data:`SCENARIOS` order; ValueError names an
    unknown one and lists the known ones."""
    groups = scenario_groups()
    wanted: set[str] = set()
    for item in (s.strip() for s in names.split(",")):
        if not item:
            continue
        if item in groups:
            wanted.update(groups[item])
        elif any(s.name == item for s in SCENARIOS):
            wanted.add(item)
        else:
            raise ValueError(
                f"unknown scenario or group: {item} (scenarios: "
                + ", ".join(s.name for s in SCENARIOS)
                + "; groups: "
                + ", ".join(groups)
                + ")"
            )
    wanted.update(s.vs_scenario[0] for s in SCENARIOS if s.name in wanted and s.vs_scenario)
    return [s for s in SCENARIOS if s.name in wanted]
