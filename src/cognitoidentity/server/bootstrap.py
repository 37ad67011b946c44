"""Opening and closing what a server process runs on: master key, store, first credentials."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson

from cognitoidentity.server.accounts import (
    ACCESS_KEY_PURPOSE,
    AccessKeyResolver,
    AccountAdmin,
    IssuedKey,
    utc_now,
)
from cognitoidentity.server.app import Mounted, PageHandler
from cognitoidentity.server.context import Runtime
from cognitoidentity.server.credentials import CredentialVault, TemporaryCredentialResolver
from cognitoidentity.server.crypto import load_master_key
from cognitoidentity.server.iam_directory import StoreProviderDirectory
from cognitoidentity.server.logins.base import ProviderDirectory
from cognitoidentity.server.logins.dispatch import LoginVerifier
from cognitoidentity.server.services import build_services
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


@dataclass(frozen=True, slots=True)
class Started:
    runtime: Runtime
    admin: AccountAdmin
    resolver: AccessKeyResolver
    new_root_key: IssuedKey | None


async def start(settings: Settings, *, bootstrap: bool = True) -> Started:
    """Open the store and, for a server (``bootstrap``), make sure usable credentials exist."""
    master = load_master_key(settings)
    store = await open_store(settings.effective_database_url)
    clock = utc_now
    keys = SigningKeys(store, master.box(SIGNING_KEY_PURPOSE), clock=clock)
    tokens = OpenIdTokenIssuer(keys, settings.effective_issuer_url, clock)
    runtime = Runtime(
        settings=settings,
        store=store,
        master_key=master,
        credentials=CredentialVault(master, clock),
        tokens=tokens,
        logins=LoginVerifier.from_settings(settings, provider_directory(store)),
        clock=clock,
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
    resolver = AccessKeyResolver(store, box, settings.key_cache_seconds)
    return Started(runtime, admin, resolver, issued)


def provider_directory(store: Store) -> ProviderDirectory:
    """Where login verification finds the IAM OIDC and SAML providers pools name: the store, where
    the IAM endpoint (:mod:`.operations.iam`) keeps them."""
    return StoreProviderDirectory(store)


async def stop(runtime: Runtime) -> None:
    """Release what :func:`start` opened."""
    await runtime.tokens.keys.aclose()
    await runtime.logins.aclose()
    await runtime.store.close()


def verifier_for(started: Started, service: str = SIGNING_NAME) -> SigV4Verifier:
    """A SigV4 verifier for ``service`` that takes long-term keys and temporary credentials."""
    resolver = TemporaryCredentialResolver(started.runtime.credentials, started.resolver)
    return SigV4Verifier(resolver, service=service, clock=started.runtime.clock)


def mount(started: Started) -> Mounted:
    """What the HTTP application serves, from a started runtime."""
    return Mounted(
        runtime=started.runtime,
        services=build_services(lambda signing_name: verifier_for(started, signing_name)),
        pages=openid_pages(started.runtime.tokens),
    )


def openid_pages(tokens: OpenIdTokenIssuer) -> dict[str, PageHandler]:
    """The OpenID discovery document and the JWKS (under Cognito's name and the usual one)."""
    discovery = orjson.dumps(openid_configuration(tokens.issuer_url))

    async def configuration() -> tuple[bytes, str]:
        return discovery, "application/json"

    async def jwks() -> tuple[bytes, str]:
        return orjson.dumps(await tokens.keys.jwks()), "application/json"

    return {OPENID_CONFIGURATION_PATH: configuration, JWKS_PATH: jwks, JWKS_JSON_PATH: jwks}


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
