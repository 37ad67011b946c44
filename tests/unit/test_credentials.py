"""Temporary credentials: issued by one vault, opened by any vault with the same master key, and
refused when tampered with, mismatched, expired or sealed under another key."""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cognitoidentity.server.credentials import (
    CredentialVault,
    InvalidSessionToken,
    Session,
    SessionExpired,
    TemporaryCredentialResolver,
    role_id,
    role_name,
)
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.errors import ExpiredTokenException
from cognitoidentity.server.sigv4 import ResolvedCredential

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
ROLE = "arn:aws:iam::123456789012:role/service/Cognito_PoolAuth_Role"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def master() -> MasterKey:
    return MasterKey(secrets.token_bytes(32))


def session(**changes: object) -> Session:
    values: dict[str, object] = {
        "account_id": "123456789012",
        "role_arn": ROLE,
        "session_name": "CognitoIdentityCredentials",
        "expires_at": NOW + timedelta(hours=1),
        "source_identity_id": "us-east-1:0f6a9a9e-3b9c-4d8e-b1f2-7c1e5b0e2d44",
        "pool_id": "us-east-1:4c5b2f0e-8f4e-4c0a-9d53-2a1d0e5a7f11",
        "provider": "cognito-identity.example.com",
        "tags": {"client": "app-1", "username": "alice"},
    }
    values.update(changes)
    return Session(**values)  # type: ignore[arg-type]


def test_issue_and_open_round_trip() -> None:
    vault = CredentialVault(master(), Clock())
    original = session()
    issued = vault.issue(original)
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", issued.access_key_id)
    assert len(issued.secret_access_key) == 40
    assert issued.expiration == original.expires_at
    assert re.fullmatch(r"[A-Za-z0-9_-]+", issued.session_token)
    secret, opened = vault.open(issued.access_key_id, issued.session_token)
    assert secret == issued.secret_access_key
    assert opened == original


def test_minimal_session_round_trips() -> None:
    vault = CredentialVault(master(), Clock())
    original = session(source_identity_id=None, pool_id=None, provider=None, tags={})
    issued = vault.issue(original)
    assert vault.open(issued.access_key_id, issued.session_token)[1] == original


def test_every_issue_is_new() -> None:
    vault = CredentialVault(master(), Clock())
    first, second = vault.issue(session()), vault.issue(session())
    assert first.access_key_id != second.access_key_id
    assert first.secret_access_key != second.secret_access_key
    assert first.session_token != second.session_token


def test_session_names_the_assumed_role() -> None:
    s = session()
    assert s.role_name == "Cognito_PoolAuth_Role" == role_name(ROLE)
    assert s.assumed_role_arn == (
        "arn:aws:sts::123456789012:assumed-role/Cognito_PoolAuth_Role/CognitoIdentityCredentials"
    )
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", s.role_id)
    assert s.role_id == role_id(ROLE)  # deterministic, so the same in every process
    assert role_id(ROLE + "2") != s.role_id
    assert s.assumed_role_id == f"{s.role_id}:CognitoIdentityCredentials"


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize("index", [0, 12, 40, -1])
def test_a_tampered_token_is_refused(index: int) -> None:
    vault = CredentialVault(master(), Clock())
    issued = vault.issue(session())
    with pytest.raises(InvalidSessionToken):
        vault.open(issued.access_key_id, _flip(issued.session_token, index))


@pytest.mark.parametrize("token", ["", "not base64 !", "AAAA", "A" * 20_000, "é" * 10, "abc=def"])
def test_garbage_tokens_are_refused(token: str) -> None:
    vault = CredentialVault(master(), Clock())
    with pytest.raises(InvalidSessionToken):
        vault.open("ASIAAAAAAAAAAAAAAAAA", token)


def test_a_token_only_opens_for_its_own_access_key() -> None:
    vault = CredentialVault(master(), Clock())
    first, second = vault.issue(session()), vault.issue(session())
    with pytest.raises(InvalidSessionToken):
        vault.open(second.access_key_id, first.session_token)


def test_an_expired_session_is_refused() -> None:
    clock = Clock()
    vault = CredentialVault(master(), clock)
    issued = vault.issue(session(expires_at=NOW + timedelta(seconds=900)))
    clock.now = NOW + timedelta(seconds=899)
    vault.open(issued.access_key_id, issued.session_token)
    clock.now = NOW + timedelta(seconds=900)
    with pytest.raises(SessionExpired) as exc:
        vault.open(issued.access_key_id, issued.session_token)
    assert exc.value.session.session_name == "CognitoIdentityCredentials"


def test_another_process_with_the_same_master_key_opens_it() -> None:
    key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    issuer = CredentialVault(MasterKey.from_text(key), Clock())
    other = CredentialVault(MasterKey.from_text(key), Clock())
    issued = issuer.issue(session())
    assert other.open(issued.access_key_id, issued.session_token)[0] == issued.secret_access_key


def test_a_different_master_key_does_not() -> None:
    issued = CredentialVault(master(), Clock()).issue(session())
    with pytest.raises(InvalidSessionToken):
        CredentialVault(master(), Clock()).open(issued.access_key_id, issued.session_token)


def test_a_token_of_another_purpose_does_not_open() -> None:
    key = master()
    sealed = key.box("access-key-secrets/v1").seal(b"[1]", b"ASIAAAAAAAAAAAAAAAAA")
    token = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
    with pytest.raises(InvalidSessionToken):
        CredentialVault(key, Clock()).open("ASIAAAAAAAAAAAAAAAAA", token)


def _sealed(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_each_hour_seals_under_its_own_key() -> None:
    """AES-GCM's random nonces are safe for 2^32 messages under one key: each hour's tokens are
    sealed under a key derived for that hour, named in the token, so no key nears the bound."""
    key, clock = master(), Clock()
    vault = CredentialVault(key, clock)
    long = session(expires_at=NOW + timedelta(hours=3))
    first = vault.issue(long)
    clock.now = NOW + timedelta(hours=1)
    second = vault.issue(session(expires_at=NOW + timedelta(hours=2)))
    epochs = []
    for issued in (first, second):
        sealed = _sealed(issued.session_token)
        assert sealed[0] == 2
        epoch = int.from_bytes(sealed[1:5], "big")
        epochs.append(epoch)
        own = AESGCM(key.derive(f"sts-session-tokens/v2/{epoch}"))
        plain = own.decrypt(sealed[5:17], sealed[17:], sealed[:5] + issued.access_key_id.encode())
        assert issued.access_key_id.encode() in plain
    assert epochs == [int(NOW.timestamp()) // 3600, int(NOW.timestamp()) // 3600 + 1]
    # The first token still opens an hour later (its hour is named in it)...
    assert vault.open(first.access_key_id, first.session_token)[1] == long
    # ...and a header naming another hour does not open it: the hour is authenticated.
    header = bytearray(_sealed(first.session_token))
    header[4] ^= 1
    forged = base64.urlsafe_b64encode(bytes(header)).rstrip(b"=").decode()
    with pytest.raises(InvalidSessionToken):
        vault.open(first.access_key_id, forged)


def test_tokens_of_hours_past_the_longest_session_do_not_open() -> None:
    key, clock = master(), Clock()
    issued = CredentialVault(key, clock).issue(session(expires_at=NOW + timedelta(days=3)))
    clock.now = NOW + timedelta(hours=14)  # past 12 hours and the hour of skew allowed
    with pytest.raises(InvalidSessionToken):
        CredentialVault(key, clock).open(issued.access_key_id, issued.session_token)


def test_tokens_of_the_first_layout_still_open() -> None:
    """Sealed before keys were per hour: the nonce first, one key (``sts-session-tokens/v1``)."""
    key = master()
    document = orjson.dumps(
        [1, "ASIAAAAAAAAAAAAAAAAA", "s" * 40, "123456789012", ROLE, "CognitoIdentityCredentials",
         int((NOW + timedelta(hours=1)).timestamp()), None, None, None, {}]
    )  # fmt: skip
    sealed = key.box("sts-session-tokens/v1").seal(document, b"ASIAAAAAAAAAAAAAAAAA")
    token = base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()
    secret, opened = CredentialVault(key, Clock()).open("ASIAAAAAAAAAAAAAAAAA", token)
    assert (secret, opened.role_arn) == ("s" * 40, ROLE)


class LongTerm:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    async def __call__(
        self, access_key_id: str, session_token: str | None
    ) -> ResolvedCredential | None:
        self.calls.append((access_key_id, session_token))
        if access_key_id == "AKIALONGTERM" and session_token is None:
            return ResolvedCredential("secret", "111111111111", "arn:aws:iam::111111111111:root")
        return None


def test_resolver_opens_temporary_credentials_and_delegates_the_rest() -> None:
    clock = Clock()
    vault = CredentialVault(master(), clock)
    long_term = LongTerm()
    resolver = TemporaryCredentialResolver(vault, long_term)
    issued = vault.issue(session())

    resolved = asyncio.run(resolver(issued.access_key_id, issued.session_token))
    assert resolved is not None
    assert resolved.secret_access_key == issued.secret_access_key
    assert resolved.account_id == "123456789012"
    assert resolved.principal_arn == session().assumed_role_arn
    assert resolved.session == session()
    assert long_term.calls == []

    tampered = asyncio.run(resolver(issued.access_key_id, _flip(issued.session_token, 20)))
    assert tampered is None
    assert asyncio.run(resolver("AKIALONGTERM", None)) is not None
    assert asyncio.run(resolver(issued.access_key_id, None)) is None  # no token: unknown key
    assert long_term.calls == [("AKIALONGTERM", None), (issued.access_key_id, None)]

    clock.now = NOW + timedelta(hours=2)
    with pytest.raises(ExpiredTokenException) as exc:
        asyncio.run(resolver(issued.access_key_id, issued.session_token))
    assert exc.value.message == "The security token included in the request is expired"


def test_opening_is_fast() -> None:
    vault = CredentialVault(master(), Clock())
    issued = vault.issue(session())
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        vault.open(issued.access_key_id, issued.session_token)
    per_open = (time.perf_counter() - started) / rounds
    assert per_open < 200e-6  # ~5 µs here; generous for slow CI machines


# -- the "opened sessions" cache ------------------------------------------------------------------


def test_a_kept_session_is_reused_only_for_the_same_token_and_key() -> None:
    vault = CredentialVault(master(), Clock())
    first, second = vault.issue(session()), vault.issue(session(session_name="other"))
    secret, opened = vault.open(first.access_key_id, first.session_token)
    assert vault.open(first.access_key_id, first.session_token)[1] is opened  # kept
    assert secret == first.secret_access_key
    # Kept, yet never handed out for another key id, another token or a tampered one.
    with pytest.raises(InvalidSessionToken):
        vault.open(second.access_key_id, first.session_token)
    with pytest.raises(InvalidSessionToken):
        vault.open(first.access_key_id, _flip(first.session_token, 40))
    other_secret, other = vault.open(second.access_key_id, second.session_token)
    assert (other_secret, other.session_name) == (second.secret_access_key, "other")
    assert vault.open(first.access_key_id, first.session_token)[1] is opened


def test_a_kept_session_is_refused_once_expired() -> None:
    clock = Clock()
    vault = CredentialVault(master(), clock)
    resolver = TemporaryCredentialResolver(vault, LongTerm())
    issued = vault.issue(session(expires_at=NOW + timedelta(seconds=900)))
    clock.now = NOW + timedelta(seconds=899)
    kept = asyncio.run(resolver(issued.access_key_id, issued.session_token))
    assert asyncio.run(resolver(issued.access_key_id, issued.session_token)) is kept
    clock.now = NOW + timedelta(seconds=900)
    with pytest.raises(SessionExpired):
        vault.open(issued.access_key_id, issued.session_token)
    with pytest.raises(ExpiredTokenException):
        asyncio.run(resolver(issued.access_key_id, issued.session_token))


def test_a_kept_session_follows_the_boxs_epochs() -> None:
    """What the box refuses for the age of the token's epoch (or a clock moved back before it) is
    refused from the cache too."""
    key, clock = master(), Clock()
    vault = CredentialVault(key, clock)
    issued = vault.issue(session(expires_at=NOW + timedelta(days=3)))
    vault.open(issued.access_key_id, issued.session_token)
    clock.now = NOW + timedelta(hours=14)
    with pytest.raises(InvalidSessionToken):
        vault.open(issued.access_key_id, issued.session_token)
    clock.now = NOW - timedelta(hours=2)  # the token's hour is more than one ahead
    with pytest.raises(InvalidSessionToken):
        vault.open(issued.access_key_id, issued.session_token)
    clock.now = NOW
    vault.open(issued.access_key_id, issued.session_token)


def test_caches_off_keeps_no_session() -> None:
    vault = CredentialVault(master(), Clock(), caches=False)
    issued = vault.issue(session())
    first = vault.open(issued.access_key_id, issued.session_token)[1]
    again = vault.open(issued.access_key_id, issued.session_token)[1]
    assert first == again
    assert first is not again
    assert len(vault._opened) == 0


def test_times_are_the_clocks_second_made_once_per_second() -> None:
    vault = CredentialVault(master(), Clock())
    lifetime = timedelta(hours=1)
    first = vault.times(NOW + timedelta(microseconds=250), lifetime)
    assert first.now == NOW and first.now.tzinfo is UTC
    assert first.epoch == int(NOW.timestamp())
    assert first.expires_at == NOW + lifetime
    assert first.expires == int((NOW + lifetime).timestamp())
    # The same second (and lifetime): the same answer; another second, zone or lifetime: anew.
    assert vault.times(NOW + timedelta(microseconds=999_999), lifetime) is first
    later = vault.times(NOW + timedelta(seconds=1), lifetime)
    assert later.now == NOW + timedelta(seconds=1)
    assert vault.times(NOW - timedelta(microseconds=1), lifetime).now == NOW - timedelta(seconds=1)
    assert vault.times(NOW, timedelta(minutes=15)).expires_at == NOW + timedelta(minutes=15)
    elsewhere = timezone(timedelta(hours=2))
    local = vault.times(NOW.astimezone(elsewhere), timedelta(minutes=15))
    assert local.now.tzinfo is elsewhere and local.now == NOW
    naive = vault.times(datetime(2026, 11, 26, 12, 0, 0, 5), lifetime)
    assert naive.now == datetime(2026, 11, 26, 12, 0, 0) and naive.now.tzinfo is None


def test_a_session_made_of_times_opens_as_any_other() -> None:
    clock = Clock(NOW + timedelta(milliseconds=300))
    vault = CredentialVault(master(), clock)
    times = vault.times(clock(), timedelta(hours=1))
    original = session(expires_at=times.expires_at, issued_at=times.now)
    issued = vault.issue(original)
    assert issued.expiration == NOW + timedelta(hours=1)
    assert vault.open(issued.access_key_id, issued.session_token)[1] == original
    # Equal datetimes that are not times()'s own objects seal the same epochs.
    copied = session(expires_at=NOW + timedelta(hours=1), issued_at=NOW)
    again = vault.issue(copied)
    assert vault.open(again.access_key_id, again.session_token)[1] == original
