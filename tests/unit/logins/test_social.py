"""Facebook, Login with Amazon and Twitter access tokens, checked against local fakes of their
APIs through endpoint overrides."""

from __future__ import annotations

import pytest

from cognitoidentity.server.api.cognito_identity import NotAuthorizedException
from cognitoidentity.server.logins.twitter import (
    authorization_header,
    signature,
    signature_base_string,
)
from cognitoidentity.server.store.base import IdentityPool
from tests.support.idp import AmazonApi, GraphApi, TwitterApi
from tests.support.idp_harness import Harness, make_pool

UNSUPPORTED = "Token is not from a supported provider of this identity pool."


def refused(harness: Harness, pool: IdentityPool, key: str, token: str) -> str:
    with pytest.raises(NotAuthorizedException) as info:
        harness.verify_one(pool, key, token)
    return info.value.message


# --- Facebook ------------------------------------------------------------------------------------

FB_APP = "1234567890123456"


@pytest.fixture
def facebook(graph: GraphApi) -> tuple[Harness, IdentityPool]:
    harness = Harness(endpoints={"graph.facebook.com": graph.url})
    return harness, make_pool(supported={"graph.facebook.com": FB_APP})


def test_facebook_token_of_the_pools_app(
    graph: GraphApi, facebook: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = facebook
    token, user_id = graph.issue(FB_APP)
    identity = harness.verify_one(pool, "graph.facebook.com", token)
    assert identity.user_id == user_id
    assert identity.amr == f"graph.facebook.com:{user_id}"
    assert identity.mapping_keys == ("graph.facebook.com",)
    assert identity.claims["sub"] == user_id
    assert identity.claims["aud"] == FB_APP
    assert identity.claims["name"] == "Ada"
    assert graph.hits["/me"] == 1 and graph.hits["/app"] == 1


def test_facebook_token_of_another_app_is_refused(
    graph: GraphApi, facebook: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = facebook
    token, _ = graph.issue("999")
    assert refused(harness, pool, "graph.facebook.com", token) == UNSUPPORTED


def test_facebook_expired_and_invalid_tokens(
    graph: GraphApi, facebook: tuple[Harness, IdentityPool]
) -> None:
    harness, pool = facebook
    expired, _ = graph.issue(FB_APP, expired=True)
    assert refused(harness, pool, "graph.facebook.com", expired) == (
        "Invalid login token. Token is expired."
    )
    assert refused(harness, pool, "graph.facebook.com", "EAAnot-a-token") == (
        "Invalid login token. graph.facebook.com rejected the token: Invalid OAuth access token"
        " - Cannot parse access token"
    )
    assert refused(harness, pool, "graph.facebook.com", "") == (
        "Invalid login token. graph.facebook.com rejected the token: not an access token"
    )


# --- Login with Amazon ---------------------------------------------------------------------------

AMZN_APP = "amzn1.application.0123456789abcdef"
AMZN_CLIENT = "amzn1.application-oa2-client.0123456789abcdef"


@pytest.fixture
def amazon(amazon_api: AmazonApi) -> Harness:
    return Harness(endpoints={"api.amazon.com": amazon_api.url})


@pytest.mark.parametrize("configured", [AMZN_APP, AMZN_CLIENT])
def test_amazon_token_of_the_pools_app(
    configured: str, amazon_api: AmazonApi, amazon: Harness
) -> None:
    pool = make_pool(supported={"www.amazon.com": configured})
    token, user_id = amazon_api.issue(app_id=AMZN_APP, client_id=AMZN_CLIENT)
    identity = amazon.verify_one(pool, "www.amazon.com", token)
    assert identity.user_id == user_id
    assert identity.amr == f"www.amazon.com:{user_id}"
    assert identity.claims["sub"] == user_id
    assert identity.claims["aud"] == AMZN_CLIENT
    assert identity.claims["email"] == "ada@example.com"
    assert amazon_api.hits["/auth/o2/tokeninfo"] == 1 and amazon_api.hits["/user/profile"] == 1


def test_amazon_token_with_another_aud_is_refused(amazon_api: AmazonApi, amazon: Harness) -> None:
    pool = make_pool(supported={"www.amazon.com": AMZN_APP})
    token, _ = amazon_api.issue(
        app_id="amzn1.application.other", client_id="amzn1.application-oa2-client.other"
    )
    assert refused(amazon, pool, "www.amazon.com", token) == UNSUPPORTED
    assert amazon_api.hits["/user/profile"] == 0


def test_amazon_expired_and_invalid_tokens(amazon_api: AmazonApi, amazon: Harness) -> None:
    pool = make_pool(supported={"www.amazon.com": AMZN_APP})
    expired, _ = amazon_api.issue(app_id=AMZN_APP, client_id=AMZN_CLIENT, expired=True)
    assert refused(amazon, pool, "www.amazon.com", expired) == (
        "Invalid login token. Token is expired."
    )
    assert refused(amazon, pool, "www.amazon.com", "Atza|made-up") == (
        "Invalid login token. www.amazon.com rejected the token: The request has an invalid"
        " parameter : access_token"
    )


# --- Twitter -------------------------------------------------------------------------------------


@pytest.fixture
def twitter(twitter_api: TwitterApi) -> tuple[Harness, IdentityPool, tuple[str, str]]:
    consumer = twitter_api.consumer()
    harness = Harness(endpoints={"api.twitter.com": twitter_api.url})
    pool = make_pool(supported={"api.twitter.com": f"{consumer[0]};{consumer[1]}"})
    return harness, pool, consumer


def test_twitter_signed_request_is_accepted(
    twitter_api: TwitterApi, twitter: tuple[Harness, IdentityPool, tuple[str, str]]
) -> None:
    harness, pool, (consumer_key, _) = twitter
    token, secret, user_id = twitter_api.issue(consumer_key)
    identity = harness.verify_one(pool, "api.twitter.com", f"{token};{secret}")
    assert identity.user_id == user_id
    assert identity.amr == f"api.twitter.com:{user_id}"
    assert identity.claims["screen_name"] == "ada"
    assert identity.claims["aud"] == consumer_key
    assert twitter_api.last_params["oauth_signature_method"] == "HMAC-SHA1"
    assert twitter_api.last_params["oauth_token"] == token


def test_twitter_wrong_token_secret_fails_the_signature(
    twitter_api: TwitterApi, twitter: tuple[Harness, IdentityPool, tuple[str, str]]
) -> None:
    harness, pool, (consumer_key, _) = twitter
    token, _, _ = twitter_api.issue(consumer_key)
    assert refused(harness, pool, "api.twitter.com", f"{token};wrong-secret") == (
        "Invalid login token. api.twitter.com rejected the token: Could not authenticate you."
    )


def test_twitter_wrong_consumer_secret_fails_the_signature(twitter_api: TwitterApi) -> None:
    consumer_key, _ = twitter_api.consumer()
    harness = Harness(endpoints={"api.twitter.com": twitter_api.url})
    pool = make_pool(supported={"api.twitter.com": f"{consumer_key};not-the-secret"})
    token, secret, _ = twitter_api.issue(consumer_key)
    assert refused(harness, pool, "api.twitter.com", f"{token};{secret}") == (
        "Invalid login token. api.twitter.com rejected the token: Could not authenticate you."
    )


def test_twitter_unknown_token_and_malformed_values(
    twitter_api: TwitterApi, twitter: tuple[Harness, IdentityPool, tuple[str, str]]
) -> None:
    harness, pool, _ = twitter
    assert refused(harness, pool, "api.twitter.com", "unknown;secret") == (
        "Invalid login token. api.twitter.com rejected the token: Invalid or expired token."
    )
    for value in ("no-separator", ";secret", "token;", "a;b;c"):
        assert refused(harness, pool, "api.twitter.com", value) == (
            "Invalid login token. api.twitter.com rejected the token: not"
            " '<access token>;<access token secret>'"
        )
    assert twitter_api.hits[TwitterApi.PATH] == 1


def test_oauth1_signature_matches_the_published_example() -> None:
    """Twitter's documented example request ("Creating a signature"): the same base string rules
    and HMAC-SHA1 key give its published signature."""
    params = {
        "status": "Hello Ladies + Gentlemen, a signed OAuth request!",
        "include_entities": "true",
        "oauth_consumer_key": "xvz1evFS4wEEPTGEFPHBog",
        "oauth_nonce": "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": "1318622958",
        "oauth_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "oauth_version": "1.0",
    }
    base = signature_base_string(
        "POST", "https://api.twitter.com/1.1/statuses/update.json", params.items()
    )
    assert base.startswith(
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue"
    )
    assert (
        signature(
            base,
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        )
        == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
    )


def test_oauth1_header_covers_query_parameters_and_port() -> None:
    header = authorization_header(
        "GET",
        "http://127.0.0.1:8080/1.1/account/verify_credentials.json?include_email=true",
        consumer_key="ck",
        consumer_secret="cs",
        token="t",
        token_secret="ts",
        nonce="n",
        timestamp="1",
    )
    base = signature_base_string(
        "GET",
        "http://127.0.0.1:8080/1.1/account/verify_credentials.json?include_email=true",
        {
            "oauth_consumer_key": "ck",
            "oauth_nonce": "n",
            "oauth_signature_method": "HMAC-SHA1",
            "oauth_timestamp": "1",
            "oauth_token": "t",
            "oauth_version": "1.0",
        }.items(),
    )
    assert "include_email%3Dtrue" in base
    assert "127.0.0.1%3A8080" in base
    assert header.startswith('OAuth oauth_consumer_key="ck"')
    expected = (
        signature(base, "cs", "ts").replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    )
    assert f'oauth_signature="{expected}"' in header
