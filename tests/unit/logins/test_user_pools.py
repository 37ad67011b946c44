"""Cognito user pool ID tokens: real ones minted by moto's user pool, and crafted ones from a
stand-in user pool, through the dispatcher with ``cognito-idp.us-east-1.amazonaws.com``
overridden to the local server."""

from __future__ import annotations

import time

import pytest

from cognitoidentity.server.api.cognito_identity import NotAuthorizedException
from cognitoidentity.server.logins.base import CLOCK_SKEW_SECONDS
from cognitoidentity.server.store.base import IdentityPool
from tests.support.idp import MotoServer, OidcProvider, forge_token
from tests.support.idp_harness import USER_POOL_KEY, Clock, Harness, make_pool

UNSUPPORTED = "Token is not from a supported provider of this identity pool."


def refused(harness: Harness, pool: IdentityPool, key: str, token: str) -> str:
    with pytest.raises(NotAuthorizedException) as info:
        harness.verify_one(pool, key, token)
    return info.value.message


# --- moto ----------------------------------------------------------------------------------------


def test_moto_id_token_verifies(moto: MotoServer) -> None:
    login = moto.user_pool_login()
    harness = Harness(endpoints=moto.provider_endpoints())
    pool = make_pool(cognito=((login.provider_name, login.client_id),))
    identity = harness.verify_one(pool, login.provider_name, login.id_token)
    assert identity.user_id == login.sub
    assert identity.claims["cognito:username"] == login.username
    assert identity.claims["token_use"] == "id"
    assert identity.amr == f"{login.provider_name}:CognitoSignIn:{login.sub}"
    assert identity.mapping_keys == (
        f"{login.provider_name}:{login.client_id}",
        login.provider_name,
    )


def test_moto_access_token_is_missing_aud(moto: MotoServer) -> None:
    """AWS's answer when an app sends the access token instead of the ID token."""
    login = moto.user_pool_login()
    harness = Harness(endpoints=moto.provider_endpoints())
    pool = make_pool(cognito=((login.provider_name, login.client_id),))
    assert refused(harness, pool, login.provider_name, login.access_token) == (
        "Invalid login token. Missing a required claim: aud"
    )


def test_moto_token_for_another_app_client_is_unsupported(moto: MotoServer) -> None:
    login = moto.user_pool_login()
    harness = Harness(endpoints=moto.provider_endpoints())
    pool = make_pool(cognito=((login.provider_name, "some-other-client"),))
    assert refused(harness, pool, login.provider_name, login.id_token) == UNSUPPORTED


def test_moto_token_under_another_pools_key_is_an_issuer_mismatch(moto: MotoServer) -> None:
    first, second = moto.user_pool_login(), moto.user_pool_login(username="bob")
    harness = Harness(endpoints=moto.provider_endpoints())
    pool = make_pool(
        cognito=(
            (first.provider_name, first.client_id),
            (second.provider_name, second.client_id),
        )
    )
    assert refused(harness, pool, second.provider_name, first.id_token) == (
        "Invalid login token. Issuer doesn't match providerName"
    )


def test_moto_token_expired(moto: MotoServer) -> None:
    login = moto.user_pool_login()
    later = time.time() + 3600 + CLOCK_SKEW_SECONDS + 10
    harness = Harness(endpoints=moto.provider_endpoints(), clock=Clock(later))
    pool = make_pool(cognito=((login.provider_name, login.client_id),))
    message = refused(harness, pool, login.provider_name, login.id_token)
    assert message.startswith(f"Invalid login token. Token expired: {int(later)} >= ")


# --- a stand-in user pool ------------------------------------------------------------------------


@pytest.fixture
def pool_harness(user_pool_idp: OidcProvider) -> Harness:
    return Harness(endpoints={"cognito-idp.us-east-1.amazonaws.com": user_pool_idp.url})


def user_pool_token(idp: OidcProvider, **claims: object) -> str:
    values: dict[str, object] = {"aud": "app-1", "token_use": "id", "cognito:groups": ["admins"]}
    values.update(claims)
    return idp.mint(idp.claims(**values))


def test_every_client_id_of_the_provider_name_is_accepted(
    user_pool_idp: OidcProvider, pool_harness: Harness
) -> None:
    pool = make_pool(cognito=((USER_POOL_KEY, "app-1"), (USER_POOL_KEY, "app-2")))
    for client in ("app-1", "app-2"):
        identity = pool_harness.verify_one(
            pool, USER_POOL_KEY, user_pool_token(user_pool_idp, aud=client)
        )
        assert identity.mapping_keys == (f"{USER_POOL_KEY}:{client}", USER_POOL_KEY)
        assert identity.claims["cognito:groups"] == ["admins"]
    assert refused(pool_harness, pool, USER_POOL_KEY, user_pool_token(user_pool_idp, aud="x")) == (
        UNSUPPORTED
    )


def test_not_a_jwt_is_not_a_cognito_token(pool_harness: Harness) -> None:
    pool = make_pool(cognito=((USER_POOL_KEY, "app-1"),))
    for token in ("not-a-token", "a.b", "x.y.z", ""):
        assert refused(pool_harness, pool, USER_POOL_KEY, token) == (
            "Invalid login token. Not a Cognito token."
        )


def test_issuer_must_be_https_plus_the_key(
    user_pool_idp: OidcProvider, pool_harness: Harness
) -> None:
    pool = make_pool(cognito=((USER_POOL_KEY, "app-1"),))
    for issuer in (f"http://{USER_POOL_KEY}", USER_POOL_KEY, f"https://{USER_POOL_KEY}/"):
        token = user_pool_token(user_pool_idp, iss=issuer)
        assert refused(pool_harness, pool, USER_POOL_KEY, token) == (
            "Invalid login token. Issuer doesn't match providerName"
        )


def test_token_use_must_be_id(user_pool_idp: OidcProvider, pool_harness: Harness) -> None:
    pool = make_pool(cognito=((USER_POOL_KEY, "app-1"),))
    for use in ("access", None):
        token = user_pool_token(user_pool_idp, token_use=use)
        assert refused(pool_harness, pool, USER_POOL_KEY, token) == (
            "Invalid login token. Not an ID token."
        )


def test_bad_signature_could_not_be_verified(
    user_pool_idp: OidcProvider, pool_harness: Harness
) -> None:
    pool = make_pool(cognito=((USER_POOL_KEY, "app-1"),))
    other = OidcProvider(user_pool_idp.issuer)  # same issuer and kid, another key: never started
    try:
        token = other.mint(kid=other.current, header={"kid": user_pool_idp.current}, aud="app-1")
    finally:
        other.stop()
    assert refused(pool_harness, pool, USER_POOL_KEY, token) == (
        "Invalid login token. Couldn't verify signed token."
    )
    forged = forge_token(
        {"alg": "none"}, {"iss": user_pool_idp.issuer, "aud": "app-1", "token_use": "id"}
    )
    assert refused(pool_harness, pool, USER_POOL_KEY, forged) == (
        "Invalid login token. Couldn't verify signed token."
    )


def test_expired_message_uses_epoch_seconds(
    user_pool_idp: OidcProvider, pool_harness: Harness
) -> None:
    pool = make_pool(cognito=((USER_POOL_KEY, "app-1"),))
    now = int(pool_harness.clock.now)
    pool_harness.clock.now = now
    token = user_pool_token(user_pool_idp, exp=now - 3600)
    assert refused(pool_harness, pool, USER_POOL_KEY, token) == (
        f"Invalid login token. Token expired: {now} >= {now - 3600}"
    )


def test_unconfigured_user_pool_is_unsupported(
    user_pool_idp: OidcProvider, pool_harness: Harness
) -> None:
    pool = make_pool(cognito=(("cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", "app-1"),))
    assert refused(pool_harness, pool, USER_POOL_KEY, user_pool_token(user_pool_idp)) == (
        UNSUPPORTED
    )
