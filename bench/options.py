"""The command line: ``bench/run --help``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.scenarios import SCENARIOS, Scenario, scenario_groups, select
from bench.servers import HTTP_LAYERS

DESCRIPTION = (
    "Throughput benchmark: our server against moto_server, and against bare reference rates."
)
VALIDITY_MARGIN_S = 30.0
"""Seconds left, besides a scenario's warm-up and runs, for its check request and wrk's starts,
when its replayed request is accepted for a limited time (``Scenario.valid_for``)."""
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True, slots=True)
class Options:
    """The parsed flags; the results file keeps them as they are (its ``settings``)."""

    duration: float
    warmup: float
    connections: int
    threads: int
    timeout: float
    store: str
    postgres_url: str
    only: str | None
    http: str
    scenarios: str | None
    repeat: int
    insert_seconds: float
    crypto_seconds: float
    profile: bool
    scale: bool = False
    scale_identities: int = 1_000_000

    @property
    def selected(self) -> list[Scenario]:
        """The scenarios ``--scenarios`` names (all of them by default), in :data:`SCENARIOS`
        order."""
        return select(self.scenarios) if self.scenarios else SCENARIOS

    @property
    def kinds(self) -> list[str]:
        """The servers measured, ours first (moto skips what ours could not run)."""
        return [self.only] if self.only else ["ours", "moto"]


def parse_args(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="bench/run", description=DESCRIPTION)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--timeout", type=float, default=5.0, help="wrk per-request timeout (5 s)")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help=f"database for --store postgresql ({POSTGRES_URL})",
    )
    parser.add_argument("--only", choices=["ours", "moto"], help="measure one server only")
    parser.add_argument(
        "--http",
        choices=HTTP_LAYERS,
        default="ours",
        help="our application's HTTP server: ours (cognitoidentity serve: uvicorn with"
        " server/http1/) or granian (needs `.venv/bin/pip install granian`; granian-rust: with"
        " its Rust task implementation) (ours)",
    )
    parser.add_argument(
        "--scenarios",
        help="comma-separated scenarios or groups; groups: "
        + "; ".join(f"{g} = {', '.join(names)}" for g, names in scenario_groups().items())
        + " (all)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measured runs per scenario (and bare loops); the fastest counts (1)",
    )
    parser.add_argument(
        "--insert-seconds",
        type=float,
        default=5.0,
        help="length of the bare store insert loop (5 s; 0 skips it)",
    )
    parser.add_argument(
        "--crypto-seconds",
        type=float,
        default=3.0,
        help="length of each bare RS512 sign, RS256 verify and policy evaluation loop (3 s; 0"
        " skips them)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after each of our scenarios, one more run under py-spy; top frames",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="instead of the scenarios: the scale scenario (bench/scale.py: a pool of"
        " --scale-identities loaded in bulk against one of 1,000, a delete under load, and on"
        " PostgreSQL --workers 2 against 1); takes a few minutes",
    )
    parser.add_argument(
        "--scale-identities",
        type=int,
        default=1_000_000,
        help="identities of the big pool of --scale (1,000,000)",
    )
    args = parser.parse_args(argv)
    if args.scale_identities < 20_000:
        parser.error("--scale-identities must be at least 20,000 (a page 10,000 deep)")
    if args.duration <= 0 or args.connections < 1 or args.threads < 1 or not 1 <= args.repeat <= 20:
        parser.error("--duration, --connections, --threads must be positive, --repeat 1 to 20")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads")
    if args.scenarios:
        try:
            select(args.scenarios)
        except ValueError as exc:
            parser.error(str(exc))
    options = Options(**vars(args))
    if not options.scale:
        lasting = options.warmup + options.duration * (options.repeat + options.profile)
        for scenario in options.selected:
            if scenario.valid_for is not None and lasting + VALIDITY_MARGIN_S > scenario.valid_for:
                parser.error(
                    f"{scenario.name} replays a request the server accepts for"
                    f" {scenario.valid_for:g} s after it is signed: --warmup + --duration x"
                    f" (--repeat{' + 1 for --profile' if options.profile else ''}) must stay"
                    f" under {scenario.valid_for - VALIDITY_MARGIN_S:g} s, not {lasting:g}"
                )
    return options
