"""Opening and closing what a server process runs on: master key, store, first credentials."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import orjson

from cognitoidentity.server.accounts import (
    ACCESS_KEY_PURPOSE,
    AccessKeyResolver,
    AccountAdmin,
    IssuedKey,
    utc_now,
)
from cognitoidentity.server.app import ConsoleHandler, Mounted, PageHandler
from cognitoidentity.server.authorization import SessionPolicies
from cognitoidentity.server.console.disabled import console_disabled
from cognitoidentity.server.context import Runtime
from cognitoidentity.server.credentials import CredentialVault, TemporaryCredentialResolver
from cognitoidentity.server.crypto import load_master_key
from cognitoidentity.server.iam_directory import StoreProviderDirectory
from cognitoidentity.server.logins.base import ProviderDirectory
from cognitoidentity.server.logins.dispatch import LoginVerifier
from cognitoidentity.server.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from cognitoidentity.server.metrics import Metrics
from cognitoidentity.server.native_api import native_service
from cognitoidentity.server.pool_deleter import PoolDeleter
from cognitoidentity.server.role_directory import RoleDirectory
from cognitoidentity.server.services import Service, build_services
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.sigv4 import SigV4Verifier
from cognitoidentity.server.store import open_store
from cognitoidentity.server.store.base import Store
from cognitoidentity.server.tokens import (
    JWKS_JSON_PATH,
    JWKS_PATH,
    OPENID_CONFIGURATION_PATH,
    SIGNING_KEY_PURPOSE,
    OpenIdTokenIssuer,
    SigningKeys,
    openid_configuration,
)

log = logging.getLogger("cognitoidentity")

SIGNING_NAME = "cognito-identity"
READY_PATH: Final = "/ready"
METRICS_PATH: Final = "/metrics"
READY_TIMEOUT_SECONDS: Final = 2.0
"""How long ``/ready`` waits for its store read; a busy store is as bad as none for a balancer."""
JSON: Final = "application/json"


@dataclass(frozen=True, slots=True)
class Started:
    runtime: Runtime
    admin: AccountAdmin
    resolver: AccessKeyResolver
    new_root_key: IssuedKey | None


async def start(
    settings: Settings, *, bootstrap: bool = True, clock: Callable[[], datetime] = utc_now
) -> Started:
    """Open the store and, for a server (``bootstrap``), make sure usable credentials exist
    and count what it does (:class:`Metrics`). ``clock`` is the runtime's time (tests move it)."""
    master = load_master_key(settings)
    metrics = Metrics.from_environment() if bootstrap else None
    store = await open_store(
        settings.effective_database_url, caches=settings.caches, metrics=metrics
    )
    keys = SigningKeys(store, master.box(SIGNING_KEY_PURPOSE), clock=clock, caches=settings.caches)
    tokens = OpenIdTokenIssuer(keys, settings.effective_issuer_url, clock, metrics=metrics)
    runtime = Runtime(
        settings=settings,
        store=store,
        master_key=master,
        credentials=CredentialVault(master, clock, metrics=metrics, caches=settings.caches),
        tokens=tokens,
        logins=LoginVerifier.from_settings(settings, provider_directory(store), metrics=metrics),
        roles=RoleDirectory(store, caches_enabled=settings.caches),
        session_policies=SessionPolicies(store, caches_enabled=settings.caches),
        clock=clock,
        metrics=metrics,
        # A server deletes deleted pools' identities in the background, resuming at start what an
        # earlier process left unfinished.
        pool_deleter=PoolDeleter(store) if bootstrap else None,
    )
    box = master.box(ACCESS_KEY_PURPOSE)
    admin = AccountAdmin(store, box, runtime.clock)
    issued = None
    if bootstrap:
        issued = await admin.ensure_root(
            settings.root_account_id, settings.root_access_key_id, settings.root_secret_access_key
        )
        # The first signing key is made (RSA generation takes a while) in the background, so the
        # server answers at once and the first token request rarely has to wait for it.
        keys.warm_up()
    if metrics is not None:
        metrics.start()
    if runtime.pool_deleter is not None:
        runtime.pool_deleter.start()
    resolver = AccessKeyResolver(store, box, settings.key_cache_seconds, caches=settings.caches)
    return Started(runtime, admin, resolver, issued)


def provider_directory(store: Store) -> ProviderDirectory:
    """Where login verification finds the IAM OIDC and SAML providers pools name: the store, where
    the IAM endpoint (:mod:`.operations.iam`) keeps them."""
    return StoreProviderDirectory(store)


async def stop(runtime: Runtime) -> None:
    """Release what :func:`start` opened."""
    if runtime.pool_deleter is not None:  # its batch in flight lands before the store closes
        await runtime.pool_deleter.aclose()
    if runtime.metrics is not None:
        runtime.metrics.close()
    await runtime.tokens.keys.aclose()
    await runtime.logins.aclose()
    await runtime.store.close()


def verifier_for(started: Started, service: str = SIGNING_NAME) -> SigV4Verifier:
    """A SigV4 verifier for ``service`` that takes long-term keys and temporary credentials."""
    resolver = TemporaryCredentialResolver(started.runtime.credentials, started.resolver)
    return SigV4Verifier(
        resolver,
        service=service,
        clock=started.runtime.clock,
        caches=started.runtime.settings.caches,
    )


def mount(started: Started) -> Mounted:
    """What the HTTP application serves, from a started runtime."""
    services = (
        *build_services(lambda signing_name: verifier_for(started, signing_name)),
        # This server's own endpoints (the decision endpoint, ...), tried last.
        native_service(
            verifier_for(started),
            TemporaryCredentialResolver(started.runtime.credentials, started.resolver),
            started.runtime.clock,
            caches=started.runtime.settings.caches,
        ),
    )
    return Mounted(
        runtime=started.runtime,
        services=services,
        pages={**openid_pages(started.runtime.tokens), **operator_pages(started.runtime)},
        metrics=started.runtime.metrics,
        console=console_for(started, services),
    )


def console_for(started: Started, services: Sequence[Service]) -> ConsoleHandler:
    """The web console at ``/console/`` over ``services`` (the same operations), signing in with
    the access keys ``started.resolver`` finds; with the ``console`` setting off, a handler that
    answers 404 (the console's modules, Jinja2 included, are then never imported)."""
    if not started.runtime.settings.console:
        return console_disabled
    from cognitoidentity.server.console.app import Console

    return Console(started.runtime, services, started.resolver)


def openid_pages(tokens: OpenIdTokenIssuer) -> dict[str, PageHandler]:
    """The OpenID discovery document and the JWKS (under Cognito's name and the usual one)."""
    discovery = orjson.dumps(openid_configuration(tokens.issuer_url))

    async def configuration() -> tuple[int, bytes, str]:
        return 200, discovery, JSON

    async def jwks() -> tuple[int, bytes, str]:
        return 200, orjson.dumps(await tokens.keys.jwks()), JSON

    return {OPENID_CONFIGURATION_PATH: configuration, JWKS_PATH: jwks, JWKS_JSON_PATH: jwks}


def operator_pages(runtime: Runtime) -> dict[str, PageHandler]:
    """``/ready`` (200 when :func:`not_ready` finds nothing wrong, else 503 with the reason) and,
    with metrics, ``/metrics``. ``/health`` (alive) is the application's own."""

    async def ready() -> tuple[int, bytes, str]:
        reason = await not_ready(runtime)
        if reason is None:
            return 200, b'{"status":"ready"}', JSON
        return 503, orjson.dumps({"status": "not ready", "reason": reason}), JSON

    pages: dict[str, PageHandler] = {READY_PATH: ready}
    metrics = runtime.metrics
    if metrics is not None:

        async def scrape() -> tuple[int, bytes, str]:
            return 200, metrics.exposition(), METRICS_CONTENT_TYPE

        pages[METRICS_PATH] = scrape
    return pages


async def not_ready(runtime: Runtime) -> str | None:
    """Why this process cannot serve yet, or None: it must hold a signing key (the first one is
    made in the background at start) and read from the store within
    :data:`READY_TIMEOUT_SECONDS`. The answer names the kind of failure only (it is unsigned);
    the log has the details."""
    if not runtime.tokens.keys.loaded:
        return "no signing key loaded yet"
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await runtime.store.get_account(runtime.settings.root_account_id)
    except TimeoutError:
        log.warning("not ready: the store did not answer within %gs", READY_TIMEOUT_SECONDS)
        return f"the store did not answer within {READY_TIMEOUT_SECONDS:g}s"
    except Exception as exc:
        log.warning("not ready: the store failed: %r", exc)
        return f"the store failed ({type(exc).__name__})"
    return None


def banner(settings: Settings, issued: IssuedKey | None) -> str:
    """What ``serve`` prints at start: where the endpoint is and how to get credentials."""
    lines = [
        f"cognitoidentity listening on {settings.base_url} (region {settings.region}, "
        f"store {_describe_store(settings)})",
        f"  export AWS_ENDPOINT_URL_COGNITO_IDENTITY={settings.base_url}",
        f"  export AWS_ENDPOINT_URL_STS={settings.base_url}",
        f"  export AWS_ENDPOINT_URL_IAM={settings.base_url}",
        f"  export AWS_DEFAULT_REGION={settings.region}",
    ]
    if issued is not None:
        lines += [
            f"Root credentials of account {issued.account_id}, shown only this once:",
            f"  export AWS_ACCESS_KEY_ID={issued.access_key_id}",
            f"  export AWS_SECRET_ACCESS_KEY={issued.secret_access_key}",
        ]
    elif settings.root_access_key_id:
        lines.append(
            f"Credentials: the access key {settings.root_access_key_id} from "
            "COGNITOIDENTITY_ROOT_ACCESS_KEY_ID (account "
            f"{settings.root_account_id})."
        )
    else:
        lines.append(
            "Credentials: make an access key with "
            f"`cognitoidentity keys create --account {settings.root_account_id}"
            f" --data-dir {settings.data_dir}`."
        )
    return "\n".join(lines)


def _describe_store(settings: Settings) -> str:
    url = settings.effective_database_url
    if url.startswith(("postgresql://", "postgres://")):
        return "PostgreSQL"
    return f"SQLite {url}"
