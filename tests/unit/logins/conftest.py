"""Fixtures for the login verifier tests: local identity providers on loopback, and helpers to
build a pool and run the dispatcher against them."""

from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def oidc_idp() -> Iterator[OidcProvider]:
    server = OidcProvider()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def user_pool_idp() -> Iterator[OidcProvider]:
    """A stand-in user pool ``us-east-1_Test1234`` (reach it by overriding
    ``cognito-idp.us-east-1.amazonaws.com``)."""
    server = OidcProvider(f"https://{USER_POOL_KEY}", issuer_path=f"/{USER_POOL_ID}")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def google_idp() -> Iterator[OidcProvider]:
    server = OidcProvider("https://accounts.google.com")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def apple_idp() -> Iterator[OidcProvider]:
    server = OidcProvider("https://appleid.apple.com")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def graph() -> Iterator[GraphApi]:
    server = GraphApi()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def amazon_api() -> Iterator[AmazonApi]:
    server = AmazonApi()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def twitter_api() -> Iterator[TwitterApi]:
    server = TwitterApi()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer().start()
    try:
        yield server
    finally:
        server.stop()
