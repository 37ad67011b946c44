"""What each server is given before the load, through boto3: see :class:`Fixture`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bench.decisions import DecisionCase, set_up_decisions, set_up_trust
from bench.login import OIDC_CLIENT_ID, BenchLogin
from bench.servers import Server
from tests.support.server import REGION, ROOT_ACCOUNT

DEVELOPER_PROVIDER = "login.bench.example"
"""The pools' DeveloperProviderName."""
DEVELOPER_USER = "bench-developer-user"
"""The developer user identifier, registered once at set-up and then replayed."""
ROLES = {
    "authenticated": f"arn:aws:iam::{ROOT_ACCOUNT}:role/BenchAuthenticated",
    "unauthenticated": f"arn:aws:iam::{ROOT_ACCOUNT}:role/BenchUnauthenticated",
}


@dataclass(frozen=True, slots=True)
class Fixture:
    """What each server is given before the load.

    - ``pool_id``: a pool allowing unauthenticated identities, with ``DeveloperProviderName``
      :data:`DEVELOPER_PROVIDER` and the :data:`ROLES` (SetIdentityPoolRoles; moto has no such
      operation and goes without); ``identity_id``: one unauthenticated identity in it; the
      developer user :data:`DEVELOPER_USER` registered once (GetOpenIdTokenForDeveloperIdentity).
    - OIDC logins (only when a ``logins`` scenario is selected): ``oidc_pool_id``, a pool naming an
      IAM OIDC provider created on the server for the bench's own provider, the :data:`ROLES`;
      ``login_key`` (the provider's URL without scheme), ``id_token`` (minted by the bench) and
      ``login_identity_id``, the identity GetId gave for that login at set-up;
      ``fresh_id_tokens``, more tokens of that login, all different (``bench.login.FRESH_TOKENS``).
      ``logins_problem`` says why these are missing (the scenarios then read ``n/a``).
    - Trust (ours only; ``bench.decisions.set_up_trust``): ``trust_pool_id``, a pool allowing
      guests whose roles exist in our IAM with the standard Cognito trust policy;
      ``trust_identity_id``, a guest identity in it; ``trust_problem`` says why not.
    - Decisions (ours only, with the OIDC logins; ``bench.decisions.set_up_decisions``):
      ``decision``, a session with principal tags whose role has 3 policies of 10 statements, and
      what the decision endpoint answered for it at set-up; ``decisions_pool_id``,
      ``decisions_identity_id`` and ``tagged_id_token``, the pool, identity and ID token (with
      the claims mapped to the tags) it was issued for; ``decisions_problem`` says why not.
    """

    pool_id: str
    identity_id: str
    region: str = REGION
    oidc_pool_id: str = ""
    login_key: str = ""
    id_token: str = ""
    login_identity_id: str = ""
    fresh_id_tokens: tuple[str, ...] = ()
    logins_problem: str | None = "needs a logins scenario selected"
    trust_pool_id: str = ""
    trust_identity_id: str = ""
    trust_problem: str | None = "not set up"
    decision: DecisionCase | None = None
    decisions_pool_id: str = ""
    decisions_identity_id: str = ""
    tagged_id_token: str = ""
    decisions_problem: str | None = "needs the OIDC login (a logins or decisions scenario selected)"


def set_up(server: Server, login: BenchLogin | None) -> Fixture:
    """The pools and identities every scenario needs; the OIDC logins part only with a ``login``
    (a logins scenario is selected)."""
    client = server.client()
    pool = client.create_identity_pool(
        IdentityPoolName="bench",
        AllowUnauthenticatedIdentities=True,
        DeveloperProviderName=DEVELOPER_PROVIDER,
    )
    pool_id = pool["IdentityPoolId"]
    _set_roles(server, client, pool_id)
    identity = client.get_id(IdentityPoolId=pool_id)
    # Register the developer user once: the scenario then finds its identity.
    client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER_PROVIDER: DEVELOPER_USER}
    )
    fixture = Fixture(pool_id, identity["IdentityId"], **set_up_trust(server, client))
    if login is None:
        return fixture
    return replace(fixture, **_logins(server, client, login))


def _set_roles(server: Server, client: Any, pool_id: str) -> None:
    """SetIdentityPoolRoles; moto has no such operation (its GetCredentialsForIdentity needs
    none), so there a refusal is ignored."""
    try:
        client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=ROLES)
    except Exception:
        if server.kind == "ours":
            raise


def _logins(server: Server, client: Any, login: BenchLogin) -> dict[str, Any]:
    """An IAM OIDC provider for the bench's (through our IAM endpoint; moto's pool just names an
    ARN, it never verifies logins), a pool naming it, and the identity of the bench's login. When
    a step fails on our server, ``logins_problem`` says which."""
    if server.kind == "ours":
        try:
            arn = server.client("iam").create_open_id_connect_provider(
                Url=login.url, ClientIDList=[OIDC_CLIENT_ID]
            )["OpenIDConnectProviderArn"]
        except Exception as exc:
            return {"logins_problem": f"needs IAM CreateOpenIDConnectProvider ({exc})"}
    else:
        arn = f"arn:aws:iam::{ROOT_ACCOUNT}:oidc-provider/{login.login_key}"
    try:
        pool = client.create_identity_pool(
            IdentityPoolName="bench_oidc",
            AllowUnauthenticatedIdentities=False,
            OpenIdConnectProviderARNs=[arn],
        )
        _set_roles(server, client, pool["IdentityPoolId"])
    except Exception as exc:
        return {"logins_problem": f"needs a pool naming an IAM OIDC provider ({exc})"}
    logins = {login.login_key: login.id_token}
    try:
        identity = client.get_id(IdentityPoolId=pool["IdentityPoolId"], Logins=logins)
    except Exception as exc:
        return {"logins_problem": f"needs OIDC login verification (GetId with Logins: {exc})"}
    found = {
        "oidc_pool_id": pool["IdentityPoolId"],
        "login_key": login.login_key,
        "id_token": login.id_token,
        "login_identity_id": identity["IdentityId"],
        "fresh_id_tokens": login.fresh_id_tokens,
        "logins_problem": None,
    }
    if server.kind != "ours":
        return {**found, "decisions_problem": "roles, policies, decisions: cognitoidentity only"}
    return {**found, **set_up_decisions(server, client, login, arn)}
