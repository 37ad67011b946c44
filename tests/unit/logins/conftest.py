"""Fixtures for the login verifier tests: local identity providers on loopback, and helpers to
build a pool and run the dispatcher against them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar

import pytest

from tests.support.idp import (
    AmazonApi,
    GraphApi,
    HangingServer,
    OidcProvider,
    TwitterApi,
    moto,
)
from tests.support.idp_harness import USER_POOL_ID, USER_POOL_KEY, Harness

__all__ = ["moto"]  # the session-wide moto_server fixture, shared from tests.support.idp

S = TypeVar("S", bound="_Startable")


class _Startable(Protocol):
    def start(self) -> object: ...
    def stop(self) -> None: ...


def running(server: S) -> Iterator[S]:
    """``server`` started for a fixture's test, and stopped after it."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def oidc_idp() -> Iterator[OidcProvider]:
    yield from running(OidcProvider())


@pytest.fixture
def user_pool_idp() -> Iterator[OidcProvider]:
    """A stand-in user pool ``us-east-1_Test1234`` (reach it by overriding
    ``cognito-idp.us-east-1.amazonaws.com``)."""
    yield from running(OidcProvider(f"https://{USER_POOL_KEY}", issuer_path=f"/{USER_POOL_ID}"))


@pytest.fixture
def google_idp() -> Iterator[OidcProvider]:
    yield from running(OidcProvider("https://accounts.google.com"))


@pytest.fixture
def apple_idp() -> Iterator[OidcProvider]:
    yield from running(OidcProvider("https://appleid.apple.com"))


@pytest.fixture
def graph() -> Iterator[GraphApi]:
    yield from running(GraphApi())


@pytest.fixture
def amazon_api() -> Iterator[AmazonApi]:
    yield from running(AmazonApi())


@pytest.fixture
def twitter_api() -> Iterator[TwitterApi]:
    yield from running(TwitterApi())


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    yield from running(HangingServer())
