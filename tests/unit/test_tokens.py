"""OpenID tokens: issue, verify, refuse forgeries, rotate keys; checked with joserfc and with the bare
RS512 algorithm (``cryptography``) against the published JWKS, not only with our own verifier."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from joserfc import jwt
from joserfc.jwk import KeySet

from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.store import SigningKeyRecord, Store
from cognitoidentity.server.store.sqlite import SqliteStore
from cognitoidentity.server.tokens import (
    CLOCK_SKEW,
    MAX_TOKEN_LIFETIME,
    REFRESH_SECONDS,
    RETENTION,
    SIGNING_KEY_PURPOSE,
    TAGS_CLAIM,
    OpenIdTokenIssuer,
    SigningKeys,
    TokenError,
    TokenExpired,
    TokenInvalid,
    TokenIssuerMismatch,
    openid_configuration,
)

ISSUER = "https://identity.example.com"
POOL = "us-east-1:5e6212d7-b907-4b6b-9b78-3cf761ff209f"
IDENTITY = "us-east-1:ee869f3c-2c41-4d24-8f07-2e0c3f9a1b6e"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TEN_MINUTES = timedelta(seconds=600)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def segments(token: str) -> tuple[bytes, bytes, bytes]:
    header, payload, signature = token.split(".")
    return unb64(header), unb64(payload), unb64(signature)


@dataclass
class Clock:
    """Wall clock and monotonic clock, moved by hand."""

    now: datetime = T0
    mono: float = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


class CountingStore:
    """A store that counts the calls made to it (to check the cache bounds its reads)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return await target(*args, **kwargs)

        return counted


@dataclass
class World:
    store: Store
    clock: Clock
    master: MasterKey
    keys: SigningKeys
    issuer: OpenIdTokenIssuer

    def process(
        self, store: Store | None = None, issuer_url: str = ISSUER, *, caches: bool = True
    ) -> OpenIdTokenIssuer:
        """Another server process on the same store (same master key), with the same clocks."""
        keys = SigningKeys(
            store or self.store,
            self.master.box(SIGNING_KEY_PURPOSE),
            clock=self.clock.wall,
            monotonic=self.clock.monotonic,
            caches=caches,
        )
        return OpenIdTokenIssuer(keys, issuer_url, self.clock.wall)

    async def token(self, **kw: Any) -> str:
        args: dict[str, Any] = {
            "identity_id": IDENTITY,
            "pool_id": POOL,
            "amr": ["unauthenticated"],
            "lifetime": TEN_MINUTES,
        }
        args.update(kw)
        return await self.issuer.issue(**args)


def run(tmp_path: Path, body: Callable[[World], Awaitable[None]]) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "store.db")
        clock = Clock()
        master = MasterKey(secrets.token_bytes(32))
        keys = SigningKeys(
            store, master.box(SIGNING_KEY_PURPOSE), clock=clock.wall, monotonic=clock.monotonic
        )
        world = World(store, clock, master, keys, OpenIdTokenIssuer(keys, ISSUER, clock.wall))
        try:
            await body(world)
        finally:
            await store.close()

    asyncio.run(main())


def public_key_of(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    n = int.from_bytes(unb64(jwk["n"]), "big")
    e = int.from_bytes(unb64(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def rfc7638_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 §3: SHA-256 of the required members in lexicographic order, no whitespace."""
    canonical = f'{{"e":"{jwk["e"]}","kty":"RSA","n":"{jwk["n"]}"}}'
    return b64(hashlib.sha256(canonical.encode()).digest())


# -- issuing ------------------------------------------------------------------------------------


def test_issue_and_verify_round_trip(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        amr = ["authenticated", "login.example", f"login.example:{POOL}:user-1"]
        token = await w.token(amr=amr)
        verified = await w.issuer.verify(token)
        assert verified.identity_id == IDENTITY
        assert verified.pool_id == POOL
        assert verified.amr == tuple(amr)
        assert verified.issued_at == T0
        assert verified.expires_at == T0 + TEN_MINUTES
        assert verified.principal_tags == {}
        assert verified.kid == (await w.keys.current()).kid
        assert verified.claims["iss"] == ISSUER

    run(tmp_path, body)


def test_header_and_claims_have_cognitos_shape_and_order(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token(lifetime=timedelta(minutes=15))
        header, payload, signature = segments(token)
        kid = (await w.keys.current()).kid
        assert header == b'{"kid":"' + kid.encode() + b'","typ":"JWS","alg":"RS512"}'
        claims = orjson.loads(payload)
        assert list(claims) == ["sub", "aud", "amr", "iss", "exp", "iat"]
        epoch = int(T0.timestamp())
        assert claims == {
            "sub": IDENTITY,
            "aud": POOL,
            "amr": ["unauthenticated"],
            "iss": ISSUER,
            "exp": epoch + 900,
            "iat": epoch,
        }
        assert len(signature) == 256  # RSA-2048

    run(tmp_path, body)


def test_principal_tags_are_single_element_lists_after_the_standard_claims(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token(
            amr=["authenticated"], principal_tags={"department": "eng", "team": "identity"}
        )
        claims = orjson.loads(segments(token)[1])
        assert list(claims) == ["sub", "aud", "amr", "iss", "exp", "iat", TAGS_CLAIM]
        assert claims[TAGS_CLAIM] == {
            "principal_tags": {"department": ["eng"], "team": ["identity"]}
        }
        verified = await w.issuer.verify(token)
        assert verified.principal_tags == {"department": "eng", "team": "identity"}

        untagged = orjson.loads(segments(await w.token(principal_tags={}))[1])
        assert TAGS_CLAIM not in untagged

    run(tmp_path, body)


def test_extra_claims_follow_and_cannot_replace_standard_ones(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token(principal_tags={"k": "v"}, extra_claims={"nonce": "n-1"})
        assert list(orjson.loads(segments(token)[1]))[-2:] == [TAGS_CLAIM, "nonce"]
        for name in ("sub", "iss", "exp", TAGS_CLAIM):
            with pytest.raises(ValueError, match="may not replace"):
                await w.token(extra_claims={name: "x"})

    run(tmp_path, body)


@pytest.mark.parametrize("seconds", [0, 0.5, -1, 86401])
def test_lifetime_out_of_bounds_is_refused(tmp_path: Path, seconds: float) -> None:
    async def body(w: World) -> None:
        with pytest.raises(ValueError, match="lifetime"):
            await w.token(lifetime=timedelta(seconds=seconds))
        assert timedelta(seconds=86400) == MAX_TOKEN_LIFETIME
        await w.token(lifetime=MAX_TOKEN_LIFETIME)

    run(tmp_path, body)


# -- verification by others ---------------------------------------------------------------------


def test_tokens_verify_with_joserfc_and_with_bare_rs512_against_the_jwks(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token(principal_tags={"k": "v"})
        published = orjson.loads(orjson.dumps(await w.keys.jwks()))  # as served
        (jwk,) = published["keys"]
        assert jwk["kty"] == "RSA"
        assert jwk["use"] == "sig"
        assert jwk["alg"] == "RS512"
        assert jwk["kid"] == rfc7638_thumbprint(jwk)
        assert "d" not in jwk  # public members only
        public_key = public_key_of(jwk)
        assert public_key.key_size == 2048

        # 1. The bare algorithm: RSASSA-PKCS1-v1_5 with SHA-512 over "header.payload".
        header, payload, signature = token.split(".")
        signing_input = f"{header}.{payload}".encode()
        public_key.verify(unb64(signature), signing_input, padding.PKCS1v15(), hashes.SHA512())
        with pytest.raises(InvalidSignature):
            public_key.verify(
                unb64(signature), b"x" + signing_input, padding.PKCS1v15(), hashes.SHA512()
            )

        # 2. A JWT library, given only the published key set.
        decoded = jwt.decode(token, KeySet.import_key_set(published), algorithms=["RS512"])
        assert decoded.header == {"kid": jwk["kid"], "typ": "JWS", "alg": "RS512"}
        registry = jwt.JWTClaimsRegistry(
            now=int(T0.timestamp()) + 1,
            iss={"essential": True, "value": ISSUER},
            aud={"essential": True, "value": POOL},
            sub={"essential": True, "value": IDENTITY},
        )
        registry.validate(decoded.claims)

    run(tmp_path, body)


# -- refusals -----------------------------------------------------------------------------------


def test_expiry_is_checked_without_leeway(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token()
        exp = int(T0.timestamp()) + 600
        await w.issuer.verify(token, now=T0 + TEN_MINUTES - timedelta(seconds=1))
        with pytest.raises(TokenExpired) as caught:
            await w.issuer.verify(token, now=T0 + TEN_MINUTES)
        assert str(caught.value) == (
            f"Token expired: current date/time {exp} must be before the expiration date/time {exp}"
        )
        assert caught.value.code == "expired"
        w.clock.advance(3600)  # the issuer's own clock is the default
        with pytest.raises(TokenExpired, match=f"current date/time {exp + 3000} must be"):
            await w.issuer.verify(token)

    run(tmp_path, body)


def test_issued_in_the_future_beyond_the_skew_is_refused(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token()
        await w.issuer.verify(token, now=T0 - CLOCK_SKEW)
        with pytest.raises(TokenInvalid, match=r"iat \d+ is in the future"):
            await w.issuer.verify(token, now=T0 - CLOCK_SKEW - timedelta(seconds=1))

    run(tmp_path, body)


def test_tampered_tokens_are_refused(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token()
        header, payload, signature = token.split(".")
        claims = orjson.loads(unb64(payload))

        forged_claims = {**claims, "sub": "us-east-1:00000000-0000-0000-0000-000000000000"}
        forged = f"{header}.{b64(orjson.dumps(forged_claims))}.{signature}"
        with pytest.raises(TokenInvalid, match="signature does not verify"):
            await w.issuer.verify(forged)

        raw = bytearray(unb64(signature))
        raw[-1] ^= 0x01
        with pytest.raises(TokenInvalid, match="signature does not verify"):
            await w.issuer.verify(f"{header}.{payload}.{b64(bytes(raw))}")

        longer = {**claims, "exp": claims["exp"] + 86400}
        with pytest.raises(TokenInvalid):
            await w.issuer.verify(f"{header}.{b64(orjson.dumps(longer))}.{signature}")

    run(tmp_path, body)


def test_unknown_kid_and_foreign_keys_are_refused(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token()
        header, payload, signature = token.split(".")
        renamed = orjson.loads(unb64(header)) | {"kid": "not-a-key"}
        with pytest.raises(TokenInvalid, match="unknown key id 'not-a-key'"):
            await w.issuer.verify(f"{b64(orjson.dumps(renamed))}.{payload}.{signature}")

        # A well-formed token from another deployment (its own store and master key).
        other_dir = tmp_path / "other"
        other_store = SqliteStore(other_dir / "store.db")
        try:
            other_keys = SigningKeys(
                other_store, MasterKey(secrets.token_bytes(32)).box(SIGNING_KEY_PURPOSE)
            )
            other = OpenIdTokenIssuer(other_keys, ISSUER)
            foreign = await other.issue(
                identity_id=IDENTITY, pool_id=POOL, amr=["unauthenticated"], lifetime=TEN_MINUTES
            )
            await other.verify(foreign)
            with pytest.raises(TokenInvalid, match="unknown key id"):
                await w.issuer.verify(foreign)
        finally:
            await other_store.close()

    run(tmp_path, body)


def test_alg_none_and_hs256_with_the_public_key_as_secret_are_refused(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        token = await w.token()
        kid = (await w.keys.current()).kid
        payload = token.split(".")[1]
        (jwk,) = (await w.keys.jwks())["keys"]

        def forged(alg: str, secret: bytes | None) -> str:
            header = b64(orjson.dumps({"kid": kid, "typ": "JWS", "alg": alg}))
            signing_input = f"{header}.{payload}".encode()
            mac = b"" if secret is None else hmac.new(secret, signing_input, "sha256").digest()
            return f"{header}.{payload}.{b64(mac)}"

        for candidate in (
            forged("none", None),
            forged("none", None) + "AAAA",
            forged("HS256", orjson.dumps(jwk)),
            forged("HS256", public_key_pem(jwk)),
        ):
            with pytest.raises(TokenInvalid) as caught:
                await w.issuer.verify(candidate)
            assert caught.value.code == "invalid"
        with pytest.raises(TokenInvalid, match="algorithm 'HS256' is not accepted"):
            await w.issuer.verify(forged("HS256", public_key_pem(jwk)))
        for alg in ("RS256", "ES256", "PS512", "EdDSA"):
            with pytest.raises(TokenInvalid, match=f"algorithm '{alg}' is not accepted"):
                await w.issuer.verify(forged(alg, b"k"))

    run(tmp_path, body)


def public_key_pem(jwk: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key_of(jwk).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c.d", "..", "!!!.e30.AA", "W10.e30.AA", "e30.e30.AA", "x" * 20_000],
)
def test_malformed_tokens_are_refused(tmp_path: Path, token: str) -> None:
    async def body(w: World) -> None:
        with pytest.raises(TokenInvalid):
            await w.issuer.verify(token)

    run(tmp_path, body)


def test_another_issuer_is_refused(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        elsewhere = w.process(issuer_url="https://elsewhere.example.com")
        token = await elsewhere.issue(
            identity_id=IDENTITY, pool_id=POOL, amr=["unauthenticated"], lifetime=TEN_MINUTES
        )
        with pytest.raises(TokenIssuerMismatch) as caught:
            await w.issuer.verify(token)
        assert str(caught.value) == (
            "No OpenIDConnect provider found in your account for https://elsewhere.example.com"
        )
        assert isinstance(caught.value, TokenError)

    run(tmp_path, body)


# -- keys: creation, rotation, several processes ---------------------------------------------


def test_first_key_is_made_once_by_racing_processes(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        counting = CountingStore(w.store)
        second_store = SqliteStore(tmp_path / "store.db")  # a second process on the same file
        try:
            first = w.process(counting)
            second = w.process(second_store)
            keys = await asyncio.gather(
                *(first.keys.current() for _ in range(5)),
                *(second.keys.current() for _ in range(5)),
            )
            assert len({k.kid for k in keys}) == 1
            assert counting.calls["create_signing_key"] == 1  # one attempt per process
            assert len(await w.store.list_signing_keys()) == 1
        finally:
            await second_store.close()

    run(tmp_path, body)


def test_rotation_keeps_old_tokens_valid_until_the_retired_key_is_purged(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        old_token = await w.token(lifetime=MAX_TOKEN_LIFETIME)
        old_kid = (await w.keys.current()).kid

        new_kid = await w.keys.rotate()
        assert new_kid != old_kid
        new_token = await w.token()
        assert orjson.loads(segments(new_token)[0])["kid"] == new_kid
        assert (await w.issuer.verify(old_token)).kid == old_kid
        assert (await w.issuer.verify(new_token)).kid == new_kid
        assert [k["kid"] for k in (await w.keys.jwks())["keys"]] == [new_kid, old_kid]
        (retired,) = [r for r in await w.store.list_signing_keys() if r.kid == old_kid]
        assert retired.retired_at == T0
        assert retired.delete_after == T0 + RETENTION

        # Still published one second before the end of its retention...
        w.clock.advance((RETENTION - timedelta(seconds=1)).total_seconds())
        assert [k["kid"] for k in (await w.keys.jwks())["keys"]] == [new_kid, old_kid]
        # ...then gone: from the JWKS, from the store, and tokens naming it are refused.
        w.clock.advance(1)
        assert [k["kid"] for k in (await w.keys.jwks())["keys"]] == [new_kid]
        assert [r.kid for r in await w.store.list_signing_keys()] == [new_kid]
        with pytest.raises(TokenInvalid, match="unknown key id"):
            await w.issuer.verify(old_token)

    run(tmp_path, body)


def test_rotation_by_another_process_is_followed(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        counting = CountingStore(w.store)
        here = w.process(counting)
        there = w.process()
        old_kid = (await here.keys.current()).kid
        assert (await there.keys.current()).kid == old_kid

        new_kid = await there.keys.rotate()
        token = await there.issue(
            identity_id=IDENTITY, pool_id=POOL, amr=["unauthenticated"], lifetime=TEN_MINUTES
        )
        # An unknown kid makes "here" re-read the store at once...
        reads = counting.calls["list_signing_keys"]
        assert (await here.verify(token)).kid == new_kid
        assert counting.calls["list_signing_keys"] == reads + 1
        # ...the JWKS follows within a second...
        assert [k["kid"] for k in (await here.keys.jwks())["keys"]] == [new_kid, old_kid]
        # ...and signing switches (at once here, since the set was just re-read).
        assert (await here.keys.current()).kid == new_kid

        # Forced re-reads for unknown kids are bounded: at most one per second.
        reads = counting.calls["list_signing_keys"]
        assert await here.keys.public_key("unknown") is None
        assert counting.calls["list_signing_keys"] == reads  # the last forced re-read was just now
        w.clock.advance(1)
        for _ in range(20):
            assert await here.keys.public_key("unknown") is None
        assert counting.calls["list_signing_keys"] == reads + 1
        w.clock.advance(1)
        assert await here.keys.public_key("unknown") is None
        assert counting.calls["list_signing_keys"] == reads + 2

    run(tmp_path, body)


def test_with_caches_off_every_use_reads_the_key_set(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        counting = CountingStore(w.store)
        here = w.process(counting, caches=False)
        assert not here.keys.loaded
        first = (await here.keys.current()).kid  # the first key, made here
        assert here.keys.loaded
        reads = counting.calls["list_signing_keys"]
        assert (await here.keys.current()).kid == first
        assert counting.calls["list_signing_keys"] == reads + 1
        rotated = await w.keys.rotate()  # another process: seen at once, no refresh to wait for
        assert (await here.keys.current()).kid == rotated
        assert [k["kid"] for k in (await here.keys.jwks())["keys"]] == [rotated, first]

    run(tmp_path, body)


def test_signing_switches_after_the_refresh_interval(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        here, there = w.process(), w.process()
        old_kid = (await here.keys.current()).kid
        new_kid = await there.keys.rotate()
        w.clock.advance(REFRESH_SECONDS - 1)
        assert (await here.keys.current()).kid == old_kid  # cached
        w.clock.advance(1)
        assert (await here.keys.current()).kid == new_kid

    run(tmp_path, body)


def test_private_keys_are_sealed_with_the_master_key(tmp_path: Path) -> None:
    async def body(w: World) -> None:
        kid = (await w.keys.current()).kid
        (record,) = await w.store.list_signing_keys()
        assert isinstance(record, SigningKeyRecord)
        assert b"PRIVATE KEY" not in record.private_key_ciphertext
        pem = w.master.box(SIGNING_KEY_PURPOSE).open(record.private_key_ciphertext, kid.encode())
        assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")

        stranger = SigningKeys(w.store, MasterKey(secrets.token_bytes(32)).box(SIGNING_KEY_PURPOSE))
        with pytest.raises(RuntimeError, match="same master key"):
            await stranger.current()

    run(tmp_path, body)


def test_openid_configuration() -> None:
    assert openid_configuration(ISSUER) == {
        "issuer": ISSUER,
        "jwks_uri": ISSUER + "/.well-known/jwks_uri",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS512"],
        "claims_supported": ["sub", "aud", "amr", "iss", "exp", "iat"],
    }
