"""Opening and closing what a server process runs on: master key, store, first credentials."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from cognitoidentity.server.accounts import (
    ACCESS_KEY_PURPOSE,
    AccessKeyResolver,
    AccountAdmin,
    IssuedKey,
)
from cognitoidentity.server.app import Mounted
from cognitoidentity.server.context import Runtime
from cognitoidentity.server.crypto import MasterKey
from cognitoidentity.server.settings import Settings
from cognitoidentity.server.sigv4 import SigV4Verifier
from cognitoidentity.server.store import open_store

log = logging.getLogger("cognitoidentity")

SIGNING_NAME = "cognito-identity"


def load_master_key(settings: Settings) -> MasterKey:
    """The operator's key (``COGNITOIDENTITY_MASTER_KEY`` or ``--master-key-file``), else the data
    directory's ``master.key``, created on first start with owner-only permissions. Every process
    sharing a PostgreSQL store must be given the same key."""
    if settings.master_key:
        return MasterKey.from_text(settings.master_key)
    if settings.master_key_file is not None:
        return MasterKey.from_text(Path(settings.master_key_file).read_text())
    return MasterKey.load_or_create(settings.data_dir / "master.key")


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
    runtime = Runtime(settings=settings, store=store, master_key=master)
    box = master.box(ACCESS_KEY_PURPOSE)
    admin = AccountAdmin(store, box, runtime.clock)
    issued = None
    if bootstrap:
        issued = await admin.ensure_root(
            settings.root_account_id, settings.root_access_key_id, settings.root_secret_access_key
        )
    resolver = AccessKeyResolver(store, box, settings.key_cache_seconds)
    return Started(runtime, admin, resolver, issued)


def verifier_for(started: Started) -> SigV4Verifier:
    return SigV4Verifier(started.resolver, service=SIGNING_NAME, clock=started.runtime.clock)


def mount(started: Started) -> Mounted:
    """What the HTTP application serves, from a started runtime."""
    return Mounted(runtime=started.runtime, verifier=verifier_for(started))


def banner(settings: Settings, issued: IssuedKey | None) -> str:
    """What ``serve`` prints at start: where the endpoint is and how to get credentials."""
    lines = [
        f"cognitoidentity listening on {settings.base_url} (region {settings.region}, "
        f"store {_describe_store(settings)})",
        f"  export AWS_ENDPOINT_URL_COGNITO_IDENTITY={settings.base_url}",
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
