"""``cognitoidentity explain``: how GetCredentialsForIdentity would choose a role (:mod:`.explain`),
for :mod:`.cli`::

    cognitoidentity explain --pool POOL_ID [--login PROVIDER=TOKEN | PROVIDER=@FILE ...]
                            [--identity-id ID] [--custom-role-arn ARN] [--json]

It works on the store, like ``apply`` and ``dump`` (the same ``--data-dir`` / ``--database-url`` /
``--master-key-file`` flags and environment), as the operator: any account's pool. Logins are
verified against their providers as the server would (``COGNITOIDENTITY_PROVIDER_ENDPOINTS`` and
``COGNITOIDENTITY_OUTBOUND_ALLOW`` apply); nothing is written. ``@FILE`` reads a token from a file
(``@-``: standard input), so that it stays out of the process list and the shell's history.

Exit status: 0 when the call would be given credentials, 1 when it would fail (the error is
printed), 2 for a usage error (no such pool, a malformed ``--login``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from cognitoidentity.server.settings import Settings

COMMAND = "explain"


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    store_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    parser = commands.add_parser(
        COMMAND,
        help="explain the role GetCredentialsForIdentity would choose for a pool and logins",
    )
    parser.add_argument("--pool", required=True, help="the identity pool id")
    parser.add_argument(
        "--login",
        action="append",
        default=[],
        metavar="PROVIDER=TOKEN",
        help="a Logins entry (repeatable); PROVIDER=@FILE reads the token from FILE (@- stdin)",
    )
    parser.add_argument("--identity-id", help="the identity (default: the logins' own)")
    parser.add_argument("--custom-role-arn", help="GetCredentialsForIdentity's CustomRoleArn")
    parser.add_argument("--json", action="store_true", help="print the endpoint's JSON answer")
    store_flags(parser)


def parse_logins(entries: list[str]) -> dict[str, str]:
    """``PROVIDER=TOKEN`` / ``PROVIDER=@FILE`` entries as a ``Logins`` map; raises ``ValueError``."""
    logins: dict[str, str] = {}
    for entry in entries:
        provider, equals, token = entry.partition("=")
        if not equals or not provider or not token:
            raise ValueError(f"--login must be PROVIDER=TOKEN or PROVIDER=@FILE, not {entry!r}")
        if token.startswith("@"):
            source = token[1:]
            token = sys.stdin.read() if source == "-" else Path(source).read_text()
        logins[provider] = token.strip()
    return logins


def run(args: argparse.Namespace, settings: Settings) -> int:
    logins = parse_logins(args.login)
    result = asyncio.run(_explain(settings, args, logins))
    if result is None:
        raise ValueError(f"no identity pool {args.pool}")
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        from cognitoidentity.server.explain import render_text

        print(render_text(result))
    return 0 if result["Error"] is None else 1


async def _explain(
    settings: Settings, args: argparse.Namespace, logins: dict[str, str]
) -> dict[str, Any] | None:
    # The server's machinery is imported here, so that the other commands start fast.
    from cognitoidentity.server.bootstrap import start, stop
    from cognitoidentity.server.context import RequestContext
    from cognitoidentity.server.explain import explain_role_choice

    started = await start(settings, bootstrap=False)
    try:
        runtime = started.runtime
        pool = await runtime.store.get_pool(args.pool)
        if pool is None:
            return None
        ctx = RequestContext(runtime, "cli", "ExplainRoleChoice", None)
        return await explain_role_choice(
            ctx,
            pool,
            logins=logins,
            identity_id=args.identity_id,
            custom_role_arn=args.custom_role_arn,
        )
    finally:
        await stop(started.runtime)
