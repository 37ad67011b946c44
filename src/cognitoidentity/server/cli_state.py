"""The commands that declare, dump and move what a store holds, for :mod:`.cli`:

    cognitoidentity serve --config FILE   apply FILE at start, then serve (env COGNITOIDENTITY_CONFIG)
    cognitoidentity apply FILE [--dry-run]
    cognitoidentity dump [--output FILE]
    cognitoidentity export [--output FILE]
    cognitoidentity import [FILE]

The configuration machinery (botocore models, the operations) and the backup code are imported
when one of these commands runs, so that the other commands start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from cognitoidentity.server.accounts import ACCESS_KEY_PURPOSE, AccountAdmin, utc_now
from cognitoidentity.server.crypto import MasterKey, load_master_key
from cognitoidentity.server.settings import Settings, env
from cognitoidentity.server.store import Store, open_store

COMMANDS = ("apply", "dump", "export", "import")


def add_serve_flags(serve: argparse.ArgumentParser) -> None:
    serve.add_argument(
        "--config",
        type=Path,
        default=env("CONFIG"),
        help="a configuration file (TOML) applied to the store at every start: what it declares"
        " is created or updated, nothing is deleted",
    )


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    store_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    apply = commands.add_parser(
        "apply", help="make the store hold what a configuration file declares (never deletes)"
    )
    apply.add_argument("file", type=Path, help="the configuration file (TOML)")
    apply.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    dump = commands.add_parser("dump", help="write the store's configuration as a file for apply")
    dump.add_argument("--output", type=Path, help="file to write (default: standard output)")
    export = commands.add_parser(
        "export", help="write everything in the store as JSON lines (a backup; secrets stay sealed)"
    )
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    restore = commands.add_parser(
        "import", help="load an export into an empty store (needs the exporting master key)"
    )
    restore.add_argument("file", nargs="?", type=Path, help="the export (default: standard input)")
    for parser in (apply, dump, export, restore):
        store_flags(parser)


@contextlib.asynccontextmanager
async def _opened(
    settings: Settings, master: MasterKey
) -> AsyncIterator[tuple[Store, AccountAdmin]]:
    store = await open_store(settings.effective_database_url)
    try:
        yield store, AccountAdmin(store, master.box(ACCESS_KEY_PURPOSE), utc_now)
    finally:
        await store.close()


def apply_at_start(settings: Settings, file: Path) -> None:
    """``serve --config``: apply ``file`` before the server starts, and say what was done. Raises
    ``ValueError`` (a ``ConfigError`` for the file's problems), and nothing is served."""
    from cognitoidentity.server.config import apply_file, load_file

    config = load_file(file, settings, os.environ, utc_now())

    async def main() -> str:
        async with _opened(settings, load_master_key(settings)) as (store, admin):
            return (await apply_file(config, store, admin, settings, dry_run=False)).render()

    print(asyncio.run(main()), flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of :data:`COMMANDS`; ``ValueError`` for what the operator must fix."""
    if args.command == "apply":
        return _apply(args.file, settings, dry_run=args.dry_run)
    if args.command == "dump":
        return _dump(settings, args.output)
    if args.command == "export":
        return _export(settings, args.output)
    return _import(settings, args.file)


def _apply(file: Path, settings: Settings, *, dry_run: bool) -> int:
    from cognitoidentity.server.config import apply_file, load_file

    config = load_file(file, settings, os.environ, utc_now())

    async def main() -> str:
        async with _opened(settings, load_master_key(settings)) as (store, admin):
            return (await apply_file(config, store, admin, settings, dry_run=dry_run)).render()

    print(("(dry run: nothing written)\n" if dry_run else "") + asyncio.run(main()))
    return 0


def _dump(settings: Settings, output: Path | None) -> int:
    from cognitoidentity.server.config import dump_store

    async def main() -> str:
        async with _opened(settings, load_master_key(settings)) as (store, _):
            return await dump_store(store)

    text = asyncio.run(main())
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    return 0


def _export(settings: Settings, output: Path | None) -> int:
    from cognitoidentity.server.backup import existing_master_key, export_store

    master = existing_master_key(settings)

    async def main(out: BinaryIO) -> dict[str, int]:
        async with _opened(settings, master) as (store, _):
            return await export_store(store, master, out, now=utc_now())

    with _binary_output(output) as out:
        counts = asyncio.run(main(out))
    print(f"exported {_counts(counts)}", file=sys.stderr)
    return 0


def _import(settings: Settings, file: Path | None) -> int:
    from cognitoidentity.server.backup import existing_master_key, import_store

    master = existing_master_key(settings)

    async def main(lines: BinaryIO) -> dict[str, int]:
        async with _opened(settings, master) as (store, _):
            return await import_store(store, master, lines)

    with sys.stdin.buffer if file is None else file.open("rb") as lines:
        counts = asyncio.run(main(lines))
    print(f"imported {_counts(counts)}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _binary_output(output: Path | None) -> Iterator[BinaryIO]:
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with output.open("wb") as out:
        yield out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in counts.items())
