"""The scenarios: one list, :data:`SCENARIOS`. Each is one operation, signed or not, whose request
body is made from the :class:`~bench.fixture.Fixture` set up in each server; ``--scenarios`` picks
scenarios and groups (:func:`select`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

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

    @property
    def operation(self) -> str:
        return self.action or self.name


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
    """The scenarios ``names`` (comma-separated scenario and group names) designate, in
    :data:`SCENARIOS` order; ValueError names an unknown one and lists the known ones."""
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
    return [s for s in SCENARIOS if s.name in wanted]
