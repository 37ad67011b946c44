"""The one cache type (bound, order of forgetting, time to live, clearing, switched off) and the
``caches`` setting that switches every cache off."""

from __future__ import annotations

import asyncio
import secrets
import types
from pathlib import Path

import pytest

from cognitoidentity.server import accounts
from cognitoidentity.server.accounts import (
    ACCESS_KEY_PURPOSE,
    AccessKeyResolver,
    AccountAdmin,
    utc_now,
)
from cognitoidentity.server.cache import Cache, parse_caches
from cognitoidentity.server.cli import _settings, build_parser
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.settings import settings_from_env
from cognitoidentity.server.store.sqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cache(
    max_entries: int = 3,
    *,
    ttl: float | None = None,
    clock: Clock | None = None,
    enabled: bool = True,
) -> Cache[str, int]:
    return Cache(
        "numbers",
        rule="test",
        max_entries=max_entries,
        ttl=ttl,
        clock=clock or Clock(),
        enabled=enabled,
    )


def test_get_put_and_default() -> None:
    numbers = cache()
    assert numbers.get("a") is None
    assert numbers.get("a", -1) == -1
    numbers.put("a", 1)
    assert numbers.get("a") == 1
    assert numbers.get("a", -1) == 1
    assert len(numbers) == 1


def test_none_can_be_kept_and_told_apart_from_a_miss() -> None:
    maybe: Cache[str, int | None] = Cache("maybe", rule="test", max_entries=2)
    missing = object()
    maybe.put("nothing", None)
    assert maybe.get("nothing", missing) is None
    assert maybe.get("other", missing) is missing


def test_the_bound_forgets_the_entry_stored_first() -> None:
    numbers = cache(max_entries=3)
    for n, key in enumerate("abcd"):
        numbers.put(key, n)
    assert len(numbers) == 3
    assert numbers.get("a") is None
    assert [numbers.get(k) for k in "bcd"] == [1, 2, 3]
    numbers.get("b")  # reading does not make an entry younger
    numbers.put("e", 4)
    assert numbers.get("b") is None
    assert [numbers.get(k) for k in "cde"] == [2, 3, 4]


def test_storing_a_kept_key_again_makes_it_the_youngest() -> None:
    numbers = cache(max_entries=2)
    numbers.put("a", 1)
    numbers.put("b", 2)
    numbers.put("a", 10)
    numbers.put("c", 3)
    assert numbers.get("b") is None
    assert (numbers.get("a"), numbers.get("c")) == (10, 3)


def test_entries_live_ttl_seconds_after_they_were_stored() -> None:
    clock = Clock()
    numbers = cache(ttl=5.0, clock=clock)
    numbers.put("a", 1)
    clock.now += 4.9
    assert numbers.get("a") == 1
    numbers.put("b", 2)
    clock.now += 0.1
    assert numbers.get("a") is None
    assert len(numbers) == 1  # forgotten, not only hidden
    assert numbers.get("b") == 2
    numbers.put("b", 20)  # stored anew: its time starts again
    clock.now += 4.9
    assert numbers.get("b") == 20
    clock.now += 0.1
    assert numbers.get("b", -1) == -1


def test_timed_entries_are_bounded_too() -> None:
    clock = Clock()
    numbers = cache(max_entries=2, ttl=60.0, clock=clock)
    for n, key in enumerate("abc"):
        numbers.put(key, n)
    assert numbers.get("a") is None
    assert (numbers.get("b"), numbers.get("c")) == (1, 2)


def test_discard_and_clear() -> None:
    clock = Clock()
    for numbers in (cache(), cache(ttl=5.0, clock=clock)):
        numbers.put("a", 1)
        numbers.put("b", 2)
        numbers.discard("a")
        numbers.discard("never")
        assert numbers.get("a") is None and numbers.get("b") == 2
        numbers.clear()
        assert len(numbers) == 0 and numbers.get("b") is None
        numbers.put("c", 3)  # still usable
        assert numbers.get("c") == 3


def test_a_cache_switched_off_keeps_nothing() -> None:
    for numbers in (cache(enabled=False), cache(enabled=False, ttl=5.0)):
        numbers.put("a", 1)
        assert numbers.get("a") is None
        assert numbers.get("a", -1) == -1
        assert len(numbers) == 0


def test_a_cache_says_what_it_keeps_and_by_which_rule() -> None:
    numbers = Cache[str, int]("access keys", rule="5 s after the lookup", max_entries=10)
    numbers.put("a", 1)
    assert repr(numbers) == "<Cache 'access keys' 1/10: 5 s after the lookup>"
    off = Cache[str, int]("access keys", rule="5 s", max_entries=10, enabled=False)
    assert repr(off) == "<Cache 'access keys' off: 5 s>"
    with pytest.raises(ValueError, match="at least 1"):
        Cache[str, int]("none", rule="-", max_entries=0)


# --- the setting --------------------------------------------------------------------------------


def test_parse_caches() -> None:
    assert parse_caches("on") is True
    assert parse_caches(" OFF ") is False
    with pytest.raises(ValueError, match="on or off"):
        parse_caches("no")


def test_the_caches_setting_from_the_environment_and_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COGNITOIDENTITY_CACHES", raising=False)
    assert settings_from_env().caches is True
    monkeypatch.setenv("COGNITOIDENTITY_CACHES", "off")
    assert settings_from_env().caches is False
    serve = ["serve", "--data-dir", "/tmp/unused"]
    assert _settings(build_parser().parse_args(serve)).caches is False
    assert _settings(build_parser().parse_args([*serve, "--caches", "on"])).caches is True
    monkeypatch.setenv("COGNITOIDENTITY_CACHES", "sometimes")
    with pytest.raises(ValueError, match="COGNITOIDENTITY_CACHES: expected on or off"):
        settings_from_env()


def test_the_caches_flag_refuses_other_values(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--caches", "maybe"])
    assert "expected on or off, not 'maybe'" in capsys.readouterr().err


# --- an owner's rule: the access-key lookup ----------------------------------------------------


@pytest.mark.parametrize("caches", [True, False])
def test_a_deleted_access_key_is_trusted_only_while_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caches: bool
) -> None:
    """With the caches a looked-up key is trusted for the key cache's seconds, even once deleted;
    without them, not a moment."""
    clock = Clock()
    monkeypatch.setattr(accounts, "time", types.SimpleNamespace(monotonic=clock))

    async def main() -> None:
        store = SqliteStore(tmp_path / "store.db")
        box = MasterKey(secrets.token_bytes(32)).box(ACCESS_KEY_PURPOSE)
        try:
            admin = AccountAdmin(store, box, utc_now)
            account = await admin.create_account("keys")
            key = await admin.create_key(account.account_id)
            resolve = AccessKeyResolver(store, box, 5.0, caches=caches)
            found = await resolve(key.access_key_id, None)
            assert found is not None and found.secret_access_key == key.secret_access_key
            assert await store.delete_access_key(key.access_key_id)
            clock.now += 4.9
            assert (await resolve(key.access_key_id, None) == found) is caches
            clock.now += 0.1
            assert await resolve(key.access_key_id, None) is None
        finally:
            await store.close()

    asyncio.run(main())
