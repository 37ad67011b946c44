"""OpenID Connect ID tokens through the dispatcher: an IAM OIDC provider, Google and Apple, against
local providers on loopback. Signatures, algorithms, keys, issuer, audience, times, JWKS caching."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc import jws

from cognitoidentity.server.api.cognito_identity import (
    ExternalServiceException,
    NotAuthorizedException,
)
from cognitoidentity.server.logins import LoginIdentity, OidcProviderConfig
from cognitoidentity.server.logins.base import CLOCK_SKEW_SECONDS
from cognitoidentity.server.logins.oidc import JWKS_REFETCH_INTERVAL_SECONDS, JWKS_TTL_SECONDS
from cognitoidentity.server.store.base import IdentityPool
from tests.support.idp import OidcProvider, b64url, forge_token
from tests.support.idp_harness import ACCOUNT, Harness, make_pool

COULD_NOT_VERIFY = "Invalid login token. Couldn't verify signed token."
UNSUPPORTED = "Token is not from a supported provider of this identity pool."
ISSUER_MISMATCH = "Invalid login token. Issuer doesn't match providerName"


@pytest.fixture
def oidc(oidc_idp: OidcProvider, harness: Harness) -> Iterator[tuple[IdentityPool, str]]:
    """A pool with the local provider registered as an IAM OIDC provider (client ids
    ``client-1`` and ``client-2``); yields the pool and the ``Logins`` key."""
    key = f"127.0.0.1:{oidc_idp.port}"
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
    harness.directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(
        oidc_idp.url, ("client-1", "client-2")
    )
    yield make_pool(oidc_arns=(arn,)), key


def refused(harness: Harness, pool: IdentityPool, key: str, token: str) -> str:
    with pytest.raises(NotAuthorizedException) as info:
        harness.verify_one(pool, key, token)
    return info.value.message


# --- success -----------------------------------------------------------------------------------


def test_valid_token_gives_identity_claims_amr_and_mapping_keys(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    token = oidc_idp.mint(sub="user-42", aud="client-2", email="ada@example.com")
    identity = harness.verify_one(pool, key, token)
    assert identity.provider == key
    assert identity.user_id == "user-42"
    assert identity.claims["email"] == "ada@example.com"
    assert identity.amr == f"{key}:user-42"
    assert identity.mapping_keys == (f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}", key)
    assert identity.roles_from_assertion == ()


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"])
def test_every_allowed_algorithm_verifies(
    alg: str, oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    kid = oidc_idp.add_key(alg)
    assert harness.verify_one(pool, key, oidc_idp.mint(kid=kid)).user_id


def test_aud_list_needs_one_configured_client(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    assert harness.verify_one(pool, key, oidc_idp.mint(aud=["other", "client-1"])).user_id
    assert refused(harness, pool, key, oidc_idp.mint(aud=["other", "else"])) == UNSUPPORTED


def test_token_without_kid_is_checked_against_matching_keys(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    oidc_idp.add_key("ES256")
    token = oidc_idp.mint(header={"kid": None})
    assert harness.verify_one(pool, key, token).user_id


# --- signature and algorithm tampering -----------------------------------------------------------


def test_tampered_payload_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    header, payload, signature = oidc_idp.mint(sub="alice").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "mallory"
    forged = ".".join((header, b64url(json.dumps(claims).encode()), signature))
    assert refused(harness, pool, key, forged) == COULD_NOT_VERIFY


def test_tampered_signature_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    header, payload, signature = oidc_idp.mint().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    assert refused(harness, pool, key, f"{header}.{payload}.{b64url(bytes(raw))}") == (
        COULD_NOT_VERIFY
    )


def test_alg_none_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    token = forge_token({"alg": "none", "kid": oidc_idp.current}, oidc_idp.claims())
    assert refused(harness, pool, key, token) == COULD_NOT_VERIFY
    assert refused(harness, pool, key, token.rstrip(".") + ".") == COULD_NOT_VERIFY


def test_hs256_signed_with_the_public_key_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    """The classic key-confusion forgery: HMAC keyed with the RSA public key the JWKS publishes."""
    pool, key = oidc
    public_pem = oidc_idp.keys[oidc_idp.current].as_pem(private=False)
    for secret in (public_pem, json.dumps(oidc_idp.jwks()["keys"][0]).encode()):
        header = {"alg": "HS256", "kid": oidc_idp.current, "typ": "JWT"}
        signing_input = (
            f"{b64url(json.dumps(header).encode())}."
            f"{b64url(json.dumps(oidc_idp.claims()).encode())}"
        )
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert refused(harness, pool, key, f"{signing_input}.{b64url(mac)}") == COULD_NOT_VERIFY


@pytest.mark.parametrize("alg", ["PS256", "EdDSA", "HS512", "RS1", ""])
def test_algorithms_outside_the_allowlist_are_refused(
    alg: str, oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    token = forge_token({"alg": alg, "kid": oidc_idp.current}, oidc_idp.claims(), b"x" * 64)
    assert refused(harness, pool, key, token) == COULD_NOT_VERIFY


def test_key_type_confusion_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    """A header ``alg`` that does not fit the key ``kid`` names (RSA vs EC, or the wrong curve) is
    never verified with that key."""
    pool, key = oidc
    ec256 = oidc_idp.add_key("ES256")
    ec384 = oidc_idp.add_key("ES384")
    rsa_kid = oidc_idp.current
    # ES256 naming the RSA key, ES384 naming the P-256 key, RS256 naming an EC key: each
    # signature is real, made with the header's algorithm by a key of the right type.
    tokens = [
        _resign(oidc_idp, signer=ec256, header_kid=rsa_kid, header_alg="ES256"),
        _resign(oidc_idp, signer=ec384, header_kid=ec256, header_alg="ES384"),
        _resign(oidc_idp, signer=rsa_kid, header_kid=ec384, header_alg="RS256"),
    ]
    # The same tokens naming their real signer verify: the refusals above are the kid binding.
    assert harness.verify_one(
        pool, key, _resign(oidc_idp, signer=ec384, header_kid=ec384, header_alg="ES384")
    ).user_id
    for token in tokens:
        assert refused(harness, pool, key, token) == COULD_NOT_VERIFY


def _resign(provider: OidcProvider, *, signer: str, header_kid: str, header_alg: str) -> str:
    """A token really signed by key ``signer`` with ``header_alg``, whose header names the key
    ``header_kid`` instead."""
    return provider.mint(kid=signer, alg=header_alg, header={"kid": header_kid})


def test_jwks_key_with_another_alg_is_not_used(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    """A JWK that declares ``alg: RS512`` is not used for an RS256 token, even by the same key."""
    pool, key = oidc
    kid = oidc_idp.add_key("RS512")
    token = oidc_idp.mint(kid=kid, alg="RS256")
    assert refused(harness, pool, key, token) == COULD_NOT_VERIFY


# --- issuer, audience, azp -------------------------------------------------------------------------


def test_wrong_issuer_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    for issuer in ("https://evil.example.com", oidc_idp.url + "/", key, None):
        assert refused(harness, pool, key, oidc_idp.mint(iss=issuer)) == ISSUER_MISMATCH


def test_wrong_audience_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    assert refused(harness, pool, key, oidc_idp.mint(aud="client-9")) == UNSUPPORTED


def test_missing_audience_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    assert refused(harness, pool, key, oidc_idp.mint(aud=None)) == (
        "Invalid login token. Missing a required claim: aud"
    )


def test_azp_decides_when_present(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    """Developer Guide: "If azp is present it must be in the provider's client IDs; otherwise aud
    must be"."""
    pool, key = oidc
    assert harness.verify_one(pool, key, oidc_idp.mint(aud="web-client", azp="client-1")).user_id
    assert refused(harness, pool, key, oidc_idp.mint(aud="client-1", azp="android")) == UNSUPPORTED


def test_missing_sub_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    assert refused(harness, pool, key, oidc_idp.mint(sub=None)) == (
        "Invalid login token. Missing a required claim: sub"
    )


def test_value_that_is_not_a_jwt_is_refused(
    oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    for token in ("ya29.a0AfH6SMB-access-token", "a.b", "!!!.???.###", "", "e30.e30.sig.x"):
        assert refused(harness, pool, key, token) == (
            "Invalid login token. Not a valid OpenId Connect identity token."
        )


# --- times ---------------------------------------------------------------------------------------


def test_expired_token_message_and_skew_edge(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    now = int(harness.clock.now)
    harness.clock.now = now
    # exp 5 minutes ago is the last second of grace: still refused at exactly exp + skew...
    at_edge = oidc_idp.mint(exp=now - CLOCK_SKEW_SECONDS)
    assert refused(harness, pool, key, at_edge) == (
        f"Invalid login token. Token expired: {now} >= {now - CLOCK_SKEW_SECONDS}"
    )
    # ...and accepted one second before it.
    inside = oidc_idp.mint(exp=now - CLOCK_SKEW_SECONDS + 1)
    assert harness.verify_one(pool, key, inside).user_id


def test_not_yet_valid_and_future_iat_are_refused_beyond_the_skew(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    now = int(harness.clock.now)
    harness.clock.now = now
    assert harness.verify_one(pool, key, oidc_idp.mint(nbf=now + CLOCK_SKEW_SECONDS)).user_id
    assert harness.verify_one(pool, key, oidc_idp.mint(iat=now + CLOCK_SKEW_SECONDS)).user_id
    late = now + CLOCK_SKEW_SECONDS + 1
    assert refused(harness, pool, key, oidc_idp.mint(nbf=late)) == (
        f"Invalid login token. Token not yet valid: {now} < {late}"
    )
    assert refused(harness, pool, key, oidc_idp.mint(iat=late)) == (
        f"Invalid login token. Token issued in the future: {now} < {late}"
    )


def test_missing_or_non_numeric_exp_is_refused(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    assert refused(harness, pool, key, oidc_idp.mint(exp=None)) == (
        "Invalid login token. Missing a required claim: exp"
    )
    assert refused(harness, pool, key, oidc_idp.mint(exp="never")) == (
        "Invalid login token. Invalid claim: exp"
    )
    assert refused(harness, pool, key, oidc_idp.mint(exp=True)) == (
        "Invalid login token. Invalid claim: exp"
    )


# --- the JWKS cache ------------------------------------------------------------------------------


def test_jwks_is_fetched_once_for_many_verifications(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    tokens = [oidc_idp.mint(sub=f"user-{i}") for i in range(20)]

    async def main() -> None:
        async with harness.session() as verifier:
            # Concurrent first uses share one fetch; later ones use the cache.
            await asyncio.gather(*(verifier.verify(pool, {key: t}) for t in tokens[:10]))
            for token in tokens[10:]:
                await verifier.verify(pool, {key: token})

    asyncio.run(main())
    assert oidc_idp.hits["/jwks"] == 1
    assert oidc_idp.hits["/.well-known/openid-configuration"] == 1


def test_with_caches_off_every_verification_fetches_the_keys_and_checks_the_signature(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    harness: Harness,
    signature_checks: list[str],
) -> None:
    pool, key = oidc
    token = oidc_idp.mint()
    harness.caches = False

    async def main() -> list[LoginIdentity]:
        async with harness.session() as verifier:
            return [(await verifier.verify(pool, {key: token}))[0] for _ in range(3)]

    first, *others = asyncio.run(main())
    assert others == [first, first]
    assert signature_checks == [token] * 3
    assert oidc_idp.hits["/jwks"] == 3
    assert oidc_idp.hits["/.well-known/openid-configuration"] == 3


def test_jwks_is_fetched_again_after_the_ttl(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc

    async def main() -> None:
        async with harness.session() as verifier:
            await verifier.verify(pool, {key: oidc_idp.mint()})
            harness.clock.advance(JWKS_TTL_SECONDS - 1)
            await verifier.verify(pool, {key: oidc_idp.mint(iat=int(harness.clock.now))})
            assert oidc_idp.hits["/jwks"] == 1
            harness.clock.advance(1)
            token = oidc_idp.mint(iat=int(harness.clock.now), exp=int(harness.clock.now) + 60)
            await verifier.verify(pool, {key: token})
            assert oidc_idp.hits["/jwks"] == 2

    asyncio.run(main())


def test_unknown_kid_refetches_at_most_once_per_interval(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    """Rotation: a token signed by a key the cache has not seen causes one re-fetch, and a flood of
    unknown kids (forged or not) at most one fetch per interval."""
    pool, key = oidc

    async def main() -> None:
        async with harness.session() as verifier:
            await verifier.verify(pool, {key: oidc_idp.mint()})
            assert oidc_idp.hits["/jwks"] == 1
            new_kid = oidc_idp.rotate()
            rotated = oidc_idp.mint(kid=new_kid)
            # Within the interval since the last fetch: no re-fetch, the unknown kid is refused.
            harness.clock.advance(JWKS_REFETCH_INTERVAL_SECONDS - 1)
            for _ in range(5):
                with pytest.raises(NotAuthorizedException, match="Couldn't verify"):
                    await verifier.verify(pool, {key: rotated})
            assert oidc_idp.hits["/jwks"] == 1
            # Once the interval has passed: exactly one re-fetch finds the new key.
            harness.clock.advance(1)
            results = await asyncio.gather(
                *(verifier.verify(pool, {key: rotated}) for _ in range(5))
            )
            assert all(r[0].user_id for r in results)
            assert oidc_idp.hits["/jwks"] == 2
            # A made-up kid right after: refused without another fetch.
            bogus = forge_token({"alg": "RS256", "kid": "nope"}, oidc_idp.claims(), b"x" * 256)
            with pytest.raises(NotAuthorizedException, match="Couldn't verify"):
                await verifier.verify(pool, {key: bogus})
            assert oidc_idp.hits["/jwks"] == 2

    asyncio.run(main())


def test_jwks_without_keys_list_is_an_external_service_error(
    oidc_idp: OidcProvider, oidc: tuple[IdentityPool, str], harness: Harness
) -> None:
    pool, key = oidc
    oidc_idp.published = []
    with pytest.raises(NotAuthorizedException, match="Couldn't verify"):
        harness.verify_one(pool, key, oidc_idp.mint())

    original = oidc_idp.jwks
    oidc_idp.jwks = lambda: {"no": "keys"}  # type: ignore[method-assign]
    try:
        with pytest.raises(ExternalServiceException, match="not a JWKS"):
            harness.verify_one(pool, key, oidc_idp.mint())
    finally:
        oidc_idp.jwks = original  # type: ignore[method-assign]


# --- verified tokens remembered ------------------------------------------------------------------


@pytest.fixture
def signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature the verifier checks (joserfc's ``deserialize_compact``)."""
    checked: list[str] = []
    original = jws.deserialize_compact

    def counting(value: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(value if isinstance(value, str) else value.decode())
        return original(value, *args, **kwargs)

    monkeypatch.setattr(jws, "deserialize_compact", counting)
    return checked


@pytest.fixture(params=[None, 1], ids=["chosen-each-time", "choice-kept"])
def kept(request: pytest.FixtureRequest, harness: Harness) -> Harness:
    """The harness, with a directory that either cannot tell whether anything changed (a verifier
    is chosen for each login) or can (one verifier serves until a change): the remembered-token
    rules hold both ways."""
    harness.directory.current_version = request.param
    return harness


def test_a_repeated_token_is_verified_once_while_its_key_set_is_in_use(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    kept: Harness,
    signature_checks: list[str],
) -> None:
    """The enhanced flow sends one ID token to GetId and then GetCredentialsForIdentity."""
    pool, key = oidc
    token = oidc_idp.mint(sub="user-7", email="ada@example.com")
    other = oidc_idp.mint(sub="user-8")

    async def main() -> list[LoginIdentity]:
        async with kept.session() as verifier:
            return [
                (await verifier.verify(pool, {key: value}))[0]
                for value in (token, token, other, token)
            ]

    first, second, third, fourth = asyncio.run(main())
    assert signature_checks == [token, other]
    assert first == second == fourth
    assert (first.user_id, third.user_id) == ("user-7", "user-8")


def test_a_remembered_token_still_expires(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    kept: Harness,
    signature_checks: list[str],
) -> None:
    pool, key = oidc
    now = int(kept.clock.now)
    token = oidc_idp.mint(iat=now, exp=now + 60)

    async def main() -> None:
        async with kept.session() as verifier:
            await verifier.verify(pool, {key: token})
            kept.clock.advance(60 + CLOCK_SKEW_SECONDS)
            with pytest.raises(NotAuthorizedException) as info:
                await verifier.verify(pool, {key: token})
            assert info.value.message == (
                f"Invalid login token. Token expired: {now + 60 + CLOCK_SKEW_SECONDS} >= {now + 60}"
            )

    asyncio.run(main())
    assert signature_checks == [token]


def test_a_remembered_token_is_checked_against_the_current_client_ids(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    kept: Harness,
    signature_checks: list[str],
) -> None:
    """Removing a client id from the IAM provider refuses its tokens at once, remembered or not."""
    pool, key = oidc
    token = oidc_idp.mint(aud="client-1")
    arn = pool.openid_connect_provider_arns[0]

    async def main() -> None:
        async with kept.session() as verifier:
            await verifier.verify(pool, {key: token})
            kept.directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(oidc_idp.url, ("client-2",))
            if kept.directory.current_version is not None:
                kept.directory.current_version += 1  # the change was committed
            with pytest.raises(NotAuthorizedException, match=UNSUPPORTED):
                await verifier.verify(pool, {key: token})

    asyncio.run(main())
    assert signature_checks == [token]


def test_a_refetched_key_set_forgets_remembered_tokens(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    kept: Harness,
    signature_checks: list[str],
) -> None:
    """A token is only trusted on memory while the JWKS that verified it is in use: after the TTL
    its signature is checked again, and refused once the provider has withdrawn its key."""
    pool, key = oidc
    now = int(kept.clock.now)
    token = oidc_idp.mint(iat=now, exp=now + 3 * int(JWKS_TTL_SECONDS))

    async def main() -> None:
        async with kept.session() as verifier:
            await verifier.verify(pool, {key: token})
            kept.clock.advance(JWKS_TTL_SECONDS)
            await verifier.verify(pool, {key: token})
            assert len(signature_checks) == 2
            oidc_idp.rotate()  # the token's key is no longer published
            kept.clock.advance(JWKS_TTL_SECONDS)
            with pytest.raises(NotAuthorizedException, match="Couldn't verify"):
                await verifier.verify(pool, {key: token})

    asyncio.run(main())
    assert oidc_idp.hits["/jwks"] == 3


def test_a_refused_token_is_checked_again_each_time(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    harness: Harness,
    signature_checks: list[str],
) -> None:
    pool, key = oidc
    header, payload, signature = oidc_idp.mint().split(".")
    tampered = ".".join(
        (header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB"))
    )

    async def main() -> None:
        async with harness.session() as verifier:
            for _ in range(2):
                with pytest.raises(NotAuthorizedException, match="Couldn't verify"):
                    await verifier.verify(pool, {key: tampered})

    asyncio.run(main())
    assert signature_checks == [tampered, tampered]


def test_the_oldest_remembered_tokens_are_forgotten_first(
    oidc_idp: OidcProvider,
    oidc: tuple[IdentityPool, str],
    harness: Harness,
    signature_checks: list[str],
) -> None:
    pool, key = oidc
    tokens = [oidc_idp.mint(sub=f"user-{i}") for i in range(3)]

    async def main() -> None:
        async with harness.session() as verifier:
            verifier.jwks.verified.max_entries = 2
            for token in [*tokens, tokens[2], tokens[1], tokens[0]]:
                await verifier.verify(pool, {key: token})

    asyncio.run(main())
    # The third token pushed out the first; the first, verified again, pushed out the second.
    assert signature_checks == [*tokens, tokens[0]]


# --- IAM OIDC provider lookup --------------------------------------------------------------------


def test_provider_found_by_url_when_the_arn_does_not_name_it(
    oidc_idp: OidcProvider, harness: Harness
) -> None:
    key = f"127.0.0.1:{oidc_idp.port}"
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/renamed"
    harness.directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(oidc_idp.url + "/", ("client-1",))
    pool = make_pool(oidc_arns=(arn,))
    identity = harness.verify_one(pool, key, oidc_idp.mint())
    assert identity.mapping_keys == (arn, key)


def test_provider_missing_from_the_directory_is_unsupported(
    oidc_idp: OidcProvider, harness: Harness
) -> None:
    key = f"127.0.0.1:{oidc_idp.port}"
    pool = make_pool(oidc_arns=(f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}",))
    assert refused(harness, pool, key, oidc_idp.mint()) == UNSUPPORTED


def test_provider_of_another_account_is_not_used(oidc_idp: OidcProvider, harness: Harness) -> None:
    key = f"127.0.0.1:{oidc_idp.port}"
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
    harness.directory.oidc[("999999999999", arn)] = OidcProviderConfig(oidc_idp.url, ("client-1",))
    pool = make_pool(oidc_arns=(arn,))
    assert refused(harness, pool, key, oidc_idp.mint()) == UNSUPPORTED


def test_oidc_provider_with_an_issuer_path(harness: Harness) -> None:
    server = OidcProvider(issuer_path="/tenants/acme")
    server.start()
    try:
        key = f"127.0.0.1:{server.port}/tenants/acme"
        arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
        harness.directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(server.issuer, ("client-1",))
        identity = harness.verify_one(make_pool(oidc_arns=(arn,)), key, server.mint(sub="x"))
        assert identity.user_id == "x"
        assert identity.amr == f"{key}:x"
    finally:
        server.stop()


def test_plain_http_to_a_non_loopback_issuer_is_refused(harness: Harness) -> None:
    key = "login.example.com"
    arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{key}"
    harness.directory.oidc[(ACCOUNT, arn)] = OidcProviderConfig(
        "http://login.example.com", ("client-1",)
    )
    token = forge_token(
        {"alg": "RS256", "kid": "k"},
        {"iss": "http://login.example.com", "aud": "client-1", "sub": "s", "exp": 2**40},
        b"x" * 256,
    )
    with pytest.raises(ExternalServiceException, match="not an HTTPS URL"):
        harness.verify_one(make_pool(oidc_arns=(arn,)), key, token)


# --- Google and Apple ----------------------------------------------------------------------------


def test_google_id_token_through_an_endpoint_override(
    google_idp: OidcProvider, harness: Harness
) -> None:
    harness.endpoints["accounts.google.com"] = google_idp.url
    pool = make_pool(supported={"accounts.google.com": "123-web.apps.googleusercontent.com"})
    token = google_idp.mint(sub="1098", aud="123-web.apps.googleusercontent.com")
    identity = harness.verify_one(pool, "accounts.google.com", token)
    assert identity.user_id == "1098"
    assert identity.amr == "accounts.google.com:1098"
    assert identity.mapping_keys == ("accounts.google.com",)
    # Google also issues iss without the scheme.
    bare = google_idp.mint(iss="accounts.google.com", aud="123-web.apps.googleusercontent.com")
    assert harness.verify_one(pool, "accounts.google.com", bare).user_id
    # Another client id: AWS's "not from a supported provider".
    other = google_idp.mint(aud="456-ios.apps.googleusercontent.com")
    assert refused(harness, pool, "accounts.google.com", other) == UNSUPPORTED
    # An Android sign-in: the web client (configured) in aud, the Android client in azp.
    android = google_idp.mint(aud="123-web.apps.googleusercontent.com", azp="123-android")
    assert harness.verify_one(pool, "accounts.google.com", android).user_id
    # A token from another issuer under the Google key.
    evil = google_idp.mint(iss="https://evil.example.com", aud="123-web.apps.googleusercontent.com")
    assert refused(harness, pool, "accounts.google.com", evil) == ISSUER_MISMATCH


def test_apple_id_token_through_an_endpoint_override(
    apple_idp: OidcProvider, harness: Harness
) -> None:
    harness.endpoints["appleid.apple.com"] = apple_idp.url
    pool = make_pool(supported={"appleid.apple.com": "com.example.app"})
    token = apple_idp.mint(sub="001234.abc", aud="com.example.app")
    identity = harness.verify_one(pool, "appleid.apple.com", token)
    assert identity.user_id == "001234.abc"
    assert identity.amr == "appleid.apple.com:001234.abc"
    assert refused(harness, pool, "appleid.apple.com", apple_idp.mint(aud="com.other")) == (
        UNSUPPORTED
    )
