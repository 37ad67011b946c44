"""``cognitoidentity``: serve the API, and manage accounts and access keys.

    cognitoidentity serve [--host H] [--port P] [--data-dir D] [--database-url URL] [--region R]
                          [--outbound-allow HOSTS,NETWORKS] [--caches on|off] [--workers N|auto]
                          [--console on|off]
    cognitoidentity accounts create|list|delete ...
    cognitoidentity keys create|list|delete ...
    cognitoidentity signing-keys list|rotate ...
    cognitoidentity apply|dump|export|import ...   (and serve --config FILE: see cli_state.py)
    cognitoidentity explain --pool POOL [--login PROVIDER=TOKEN ...]   (see cli_explain.py)

Every flag also reads from ``COGNITOIDENTITY_<NAME>`` (e.g. ``COGNITOIDENTITY_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cognitoidentity.server import cli_explain, cli_state
from cognitoidentity.server.accounts import ACCESS_KEY_PURPOSE, AccountAdmin, utc_now
from cognitoidentity.server.cache import parse_caches
from cognitoidentity.server.crypto import load_master_key
from cognitoidentity.server.outbound import parse_allow_list
from cognitoidentity.server.settings import Settings, parse_workers, settings_from_env
from cognitoidentity.server.store import Store, open_store

if TYPE_CHECKING:
    import uvicorn

    # The server's machinery (HTTP, botocore models, JWT, login verifiers) is imported by the
    # commands that run it, so that the account and key commands start fast.
    from cognitoidentity.server.app import Mounted
    from cognitoidentity.server.bootstrap import Started

T = TypeVar("T")


def _store_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (default ./data)")
    parser.add_argument(
        "--database-url",
        help="SQLite file path, sqlite:///path.db or postgresql://... (default: SQLite in data dir)",
    )
    parser.add_argument("--master-key-file", type=Path, help="file holding the base64 master key")


def _allow_list(text: str) -> tuple[str, ...]:
    try:
        return parse_allow_list(text)
    except ValueError as exc:  # argparse shows only an ArgumentTypeError's own message
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _on_off(text: str) -> bool:
    try:
        return parse_caches(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _workers(text: str) -> int:
    try:
        return parse_workers(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cognitoidentity", description="A self-hosted Amazon Cognito Identity server."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4566)")
    serve.add_argument("--region", help="region of requests that name none (default us-east-1)")
    serve.add_argument("--issuer-url", help="iss of issued OpenID tokens (default: the base URL)")
    serve.add_argument(
        "--log-level", choices=["critical", "error", "warning", "info", "debug"], help="log level"
    )
    serve.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="text lines (default) or one JSON object per line",
    )
    serve.add_argument(
        "--outbound-allow",
        type=_allow_list,
        help="hosts, addresses and CIDR networks identity providers may be fetched from over"
        " http:// or at non-public addresses, comma-separated; 'loopback', or 'none' (default:"
        " loopback when listening on a loopback host, else none)",
    )
    serve.add_argument(
        "--caches",
        type=_on_off,
        metavar="on|off",
        help="keep the per-process caches (default on); off: every cache misses, the answers are"
        " the same, only slower (for debugging)",
    )
    serve.add_argument(
        "--workers",
        type=_workers,
        metavar="N|auto",
        help="server processes on the one port (default 1); auto: one per core",
    )
    serve.add_argument(
        "--console",
        type=_on_off,
        metavar="on|off",
        help="serve the web console at /console/ (default on); off: /console answers 404",
    )
    cli_state.add_serve_flags(serve)
    _store_flags(serve)

    accounts = commands.add_parser("accounts", help="manage accounts")
    account_commands = accounts.add_subparsers(dest="action", required=True)
    create = account_commands.add_parser("create", help="create an account")
    create.add_argument("--name", default="account")
    create.add_argument("--account-id", help="12 digits (default: random)")
    create.add_argument("--with-key", action="store_true", help="also create an access key")
    create.add_argument(
        "--count", type=int, default=1, help="how many accounts to create (random ids only)"
    )
    _store_flags(create)
    listing = account_commands.add_parser("list", help="list accounts")
    _store_flags(listing)
    delete = account_commands.add_parser(
        "delete", help="delete an account with its keys, pools and identities"
    )
    delete.add_argument("account_id")
    _store_flags(delete)

    keys = commands.add_parser("keys", help="manage access keys")
    key_commands = keys.add_subparsers(dest="action", required=True)
    kcreate = key_commands.add_parser("create", help="create an access key")
    kcreate.add_argument("--account", required=True, help="account id")
    _store_flags(kcreate)
    klist = key_commands.add_parser("list", help="list access keys (never their secrets)")
    klist.add_argument("--account", help="only this account's keys")
    _store_flags(klist)
    kdelete = key_commands.add_parser("delete", help="delete an access key")
    kdelete.add_argument("access_key_id")
    _store_flags(kdelete)

    signing = commands.add_parser("signing-keys", help="manage the keys that sign OpenID tokens")
    signing_commands = signing.add_subparsers(dest="action", required=True)
    slist = signing_commands.add_parser(
        "list", help="list signing keys: kid, created, retired, published until"
    )
    _store_flags(slist)
    srotate = signing_commands.add_parser(
        "rotate", help="retire the current key (still published until its tokens expire)"
    )
    _store_flags(srotate)
    cli_state.add_commands(commands, _store_flags)
    cli_explain.add_command(commands, _store_flags)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return settings_from_env(
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        region=getattr(args, "region", None),
        log_level=getattr(args, "log_level", None),
        log_format=getattr(args, "log_format", None),
        issuer_url=getattr(args, "issuer_url", None),
        outbound_allow=getattr(args, "outbound_allow", None),
        caches=getattr(args, "caches", None),
        workers=getattr(args, "workers", None),
        console=getattr(args, "console", None),
        data_dir=args.data_dir,
        database_url=args.database_url,
        master_key_file=args.master_key_file,
    )


def serve(settings: Settings) -> int:
    from cognitoidentity.server.logs import configure as configure_logging

    configure_logging(settings.log_level, settings.log_format)
    if settings.workers > 1:
        from cognitoidentity.server import workers

        return workers.serve(settings, lambda: _server_config(settings, announce=False))
    import uvicorn

    uvicorn.Server(_server_config(settings, announce=True)).run()
    return 0


def _server_config(settings: Settings, *, announce: bool) -> uvicorn.Config:
    """uvicorn's configuration of one server process; ``announce``: it prints the banner when its
    store is open (with several workers, the supervisor prints it once instead)."""
    import uvicorn

    from cognitoidentity.server.app import Application
    from cognitoidentity.server.bootstrap import banner, mount, start, stop
    from cognitoidentity.server.http1 import protocol_class
    from cognitoidentity.server.workers import WORKER_HEADER_ENV, with_worker_header

    async def mount_app() -> Mounted:
        started = await start(settings)
        if announce:
            print(banner(settings, started.new_root_key), flush=True)
        return mount(started)

    async def unmount(mounted: Mounted) -> None:
        await stop(mounted.runtime)

    app: Any = Application(mount_app, unmount)
    if os.environ.get(WORKER_HEADER_ENV):
        app = with_worker_header(app)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",
        # uvicorn serves; each connection is ours (http1/: one write per answer, among others).
        http=protocol_class(settings.max_body_bytes),
        lifespan="on",
        access_log=False,
        log_level=settings.log_level,
        log_config=None,
        server_header=False,
        # Nothing here reads the client address or scheme (SigV4 signs the Host header; the
        # issuer URL is a setting), so X-Forwarded-* need no rewriting on every request.
        proxy_headers=False,
    )


@dataclass(frozen=True, slots=True)
class _Admin:
    store: Store
    admin: AccountAdmin


def _run_admin(settings: Settings, work: Callable[[_Admin], Awaitable[T]]) -> T:
    """Run ``work`` on the store alone: accounts and keys need nothing else of the server."""

    async def main() -> T:
        box = load_master_key(settings).box(ACCESS_KEY_PURPOSE)
        store = await open_store(settings.effective_database_url)
        try:
            return await work(_Admin(store, AccountAdmin(store, box, utc_now)))
        finally:
            await store.close()

    return asyncio.run(main())


def _run(settings: Settings, work: Callable[[Started], Awaitable[T]]) -> T:
    from cognitoidentity.server.bootstrap import start, stop

    async def main() -> T:
        started = await start(settings, bootstrap=False)
        try:
            return await work(started)
        finally:
            await stop(started.runtime)

    return asyncio.run(main())


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "accounts":
        if args.action == "create":

            async def create(s: _Admin) -> str:
                if args.count < 1 or (args.count > 1 and args.account_id):
                    raise ValueError("--count must be at least 1, and 1 with --account-id")
                blocks = []
                for _ in range(args.count):
                    account = await s.admin.create_account(args.name, args.account_id)
                    block = f"{account.account_id}\t{account.name}"
                    if args.with_key:
                        key = await s.admin.create_key(account.account_id)
                        block += f"\n{_key_lines(key.access_key_id, key.secret_access_key)}"
                    blocks.append(block)
                return "\n".join(blocks)

            print(_run_admin(settings, create))
        elif args.action == "list":

            async def list_accounts(s: _Admin) -> str:
                accounts = await s.store.list_accounts()
                return "\n".join(
                    f"{a.account_id}\t{a.name}\t{a.created_at:%Y-%m-%dT%H:%M:%SZ}" for a in accounts
                )

            print(_run_admin(settings, list_accounts))
        else:

            async def delete(s: _Admin) -> bool:
                return await s.store.delete_account(args.account_id)

            if not _run_admin(settings, delete):
                print(f"no account {args.account_id}", file=sys.stderr)
                return 1
        return 0
    if args.command == "signing-keys":
        return _signing_keys(args, settings)
    if args.action == "create":

        async def create_key(s: _Admin) -> str:
            key = await s.admin.create_key(args.account)
            return _key_lines(key.access_key_id, key.secret_access_key)

        print(_run_admin(settings, create_key))
    elif args.action == "list":

        async def list_keys(s: _Admin) -> str:
            keys = await s.store.list_access_keys(args.account)
            return "\n".join(
                f"{k.access_key_id}\t{k.account_id}\t{k.created_at:%Y-%m-%dT%H:%M:%SZ}"
                for k in keys
            )

        print(_run_admin(settings, list_keys))
    else:

        async def delete_key(s: _Admin) -> bool:
            return await s.store.delete_access_key(args.access_key_id)

        if not _run_admin(settings, delete_key):
            print(f"no access key {args.access_key_id}", file=sys.stderr)
            return 1
    return 0


def _signing_keys(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "rotate":

        async def rotate(s: Started) -> str:
            return await s.runtime.tokens.keys.rotate()

        print(_run(settings, rotate))
        return 0

    async def list_signing_keys(s: Started) -> str:
        def when(value: datetime | None) -> str:
            return "-" if value is None else f"{value:%Y-%m-%dT%H:%M:%SZ}"

        keys = await s.runtime.store.list_signing_keys()
        return "\n".join(
            f"{k.kid}\t{when(k.created_at)}\t{when(k.retired_at)}\t{when(k.delete_after)}"
            for k in keys
        )

    print(_run(settings, list_signing_keys))
    return 0


def _key_lines(access_key_id: str, secret: str) -> str:
    return f"AWS_ACCESS_KEY_ID={access_key_id}\nAWS_SECRET_ACCESS_KEY={secret}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = _settings(args)
    try:
        if args.command == "serve":
            if args.config is not None:
                cli_state.apply_at_start(settings, args.config)
            return serve(settings)
        if args.command in cli_state.COMMANDS:
            return cli_state.run(args, settings)
        if args.command == cli_explain.COMMAND:
            return cli_explain.run(args, settings)
        return _admin(args, settings)
    except ValueError as exc:
        print(f"cognitoidentity: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
