"""The HTTP layer, side by side: our application served by ``cognitoidentity serve`` (uvicorn with
``server/http1/``) and by granian, measured in alternation on the same scenarios.

    .venv/bin/python -m bench.http_layer [--rounds 3] [--duration 10] [--scenarios NAMES]
                                         [--contenders ours,granian]

Both servers run at once (each on its own SQLite data directory, the same set-up as ``bench/run``
gives ours); the idle one costs nothing. For every round and every scenario, each contender gets a
warm-up then a measured wrk run, one after the other, the order turning every round (A B, B A,
A B, ...; with three, A B C, B C A, C A B), so that load from other processes on a shared machine
falls on all alike and none is always first. The report gives, per scenario and contender, the
median req/s with the slowest and fastest run, the median server CPU per request (the server's
processes, granian's worker included), the ratio of medians to the first contender with the spread
of the per-round ratios, and the median of the cores kept busy by everything else (``other``).
Results: ``bench/results/<UTC timestamp>-http-layer.json`` (every run, the versions).
Exit status: 0; 1 when a run failed or any request errored; 2 on a usage error or a missing tool.
The figures and the decision they led to: bench/README.md, "The HTTP layer".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.calls import build_request, check, compact_json
from bench.cpu import CpuUse, cpu_during
from bench.fixture import Fixture, set_up
from bench.load import WrkOptions, WrkResult, run_wrk, write_script, wrk_missing, wrk_version
from bench.login import BenchLogin
from bench.report import RESULTS, ROOT, git_commit, stamp
from bench.scenarios import SCENARIOS, Scenario, select
from bench.servers import HTTP_LAYERS, Server, granian_missing, ours

# Issue 13's scenarios (trust policies, the decision endpoint) are about roles and policies.
REPLAYED = [
    s for s in SCENARIOS if not s.name.endswith("/fresh") and s.group not in ("trust", "decisions")
]
"""The default scenarios: every replayed one (the ``/fresh`` ones vary their body per call)."""


@dataclass(frozen=True, slots=True)
class Settings:
    rounds: int
    duration: float
    warmup: float
    connections: int
    threads: int
    timeout: float
    scenarios: str | None
    contenders: str

    @property
    def selected(self) -> list[Scenario]:
        return select(self.scenarios) if self.scenarios else REPLAYED

    @property
    def layers(self) -> list[str]:
        return [c.strip() for c in self.contenders.split(",") if c.strip()]


@dataclass
class Run:
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu: CpuUse

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu.server / self.rps * 1e6 if self.rps else 0.0


@dataclass
class Row:
    scenario: str
    layer: str
    runs: list[Run] = field(default_factory=list)
    failure: str | None = None

    @property
    def median_rps(self) -> float:
        return statistics.median(r.rps for r in self.runs) if self.runs else 0.0

    @property
    def median_cpu_us(self) -> float:
        return statistics.median(r.cpu_us_per_request for r in self.runs) if self.runs else 0.0

    @property
    def median_other(self) -> float:
        return statistics.median(r.cpu.other for r in self.runs) if self.runs else 0.0

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_layer",
        description="Our HTTP layer (uvicorn + server/http1/) against granian, alternating.",
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each (3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up before each run (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--timeout", type=float, default=5.0, help="wrk per-request timeout (5)")
    parser.add_argument(
        "--scenarios", help="comma-separated scenarios or groups (every replayed scenario)"
    )
    parser.add_argument(
        "--contenders",
        default="ours,granian",
        help=f"comma-separated, the first is the reference; of {', '.join(HTTP_LAYERS)}"
        " (ours,granian)",
    )
    args = parser.parse_args(argv)
    settings = Settings(**vars(args))
    if args.rounds < 1 or args.duration <= 0 or args.threads < 1 or args.connections < args.threads:
        parser.error("--rounds, --duration, --threads must be positive, connections >= threads")
    layers = settings.layers
    if len(layers) < 2 or len(set(layers)) != len(layers) or set(layers) - set(HTTP_LAYERS):
        parser.error(f"--contenders: two or more of {', '.join(HTTP_LAYERS)}, each once")
    try:
        settings.selected  # noqa: B018 (validates --scenarios)
    except ValueError as exc:
        parser.error(str(exc))
    return settings


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    missing = wrk_missing() or granian_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    selected = settings.selected
    layers = settings.layers
    wrk = WrkOptions(settings.connections, settings.threads, settings.timeout)
    rows = {(s.name, layer): Row(s.name, layer) for s in selected for layer in layers}
    logins = any(s.group == "logins" for s in selected)
    serving: AbstractContextManager[BenchLogin | None] = BenchLogin() if logins else nullcontext()
    with (
        tempfile.TemporaryDirectory(prefix="cognitoidentity-http-") as tmp,
        serving as login,
        ExitStack() as stack,
    ):
        work = Path(tmp)
        servers: dict[str, Server] = {}
        fixtures: dict[str, Fixture] = {}
        for layer in layers:
            server = ours(work, None, layer)
            stack.callback(server.stop)
            print(f"== {server.label}: starting on {server.url}", flush=True)
            server.start()
            servers[layer] = server
            fixtures[layer] = set_up(server, login)
        scripts: dict[tuple[str, str], Path] = {}
        for scenario in selected:
            for layer, server in servers.items():
                row = rows[scenario.name, layer]
                missing = scenario.needs(fixtures[layer]) if scenario.needs else None
                if missing:
                    row.failure = missing
                    continue
                headers, body = build_request(server, scenario, fixtures[layer])
                status, answer = check(server, headers, body)
                if not 200 <= status < 300:
                    row.failure = f"check request answered {status}: {answer[:300]!r}"
                    continue
                script = work / f"{layer}-{scenario.name.replace('/', '-')}.lua"
                variants = scenario.variants(fixtures[layer]) if scenario.variants else None
                write_script(script, headers, body, [compact_json(v) for v in variants or []])
                scripts[scenario.name, layer] = script
        for number in range(1, settings.rounds + 1):
            turn = (number - 1) % len(layers)
            order = layers[turn:] + layers[:turn]  # A B, B A, A B ... (A B C, B C A, C A B ...)
            print(f"== round {number}/{settings.rounds}: {' then '.join(order)}", flush=True)
            for scenario in selected:
                for layer in order:
                    row = rows[scenario.name, layer]
                    script_path = scripts.get((scenario.name, layer))
                    if script_path is None or row.failure:
                        continue
                    try:
                        run = _measure(servers[layer], script_path, settings, wrk, number)
                    except Exception as exc:
                        row.failure = str(exc)
                        print(f"   {scenario.name} on {layer}: FAILED {exc}", flush=True)
                        continue
                    row.runs.append(run)
                    print(
                        f"   {scenario.name:<34} {layer:<13} {run.rps:>8,.0f} req/s"
                        f"  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms"
                        f"  srv cpu {run.cpu.server:4.2f} ({run.cpu_us_per_request:5.0f} µs/req)"
                        f"  wrk {run.cpu.wrk:4.2f}  other {run.cpu.other:4.2f}"
                        + (f"  {run.errors} ERRORS" if run.errors else ""),
                        flush=True,
                    )
    table = report(selected, layers, rows)
    path = _write(settings, started, rows, table)
    print(f"\nresults: {path.relative_to(ROOT)}")
    problems = [f"{r.scenario} on {r.layer}: {r.failure}" for r in rows.values() if r.failure]
    problems += [f"{r.scenario} on {r.layer}: {r.errors} errors" for r in rows.values() if r.errors]
    if problems:
        print("\nNOT A VALID BENCHMARK — failed or erroring runs:", *problems, sep="\n  ")
        return 1
    return 0


def _measure(server: Server, script: Path, settings: Settings, wrk: WrkOptions, number: int) -> Run:
    if settings.warmup > 0:
        run_wrk(server.url, script, settings.warmup, wrk)
    result: WrkResult
    result, cpu = cpu_during(
        lambda: run_wrk(server.url, script, settings.duration, wrk), server.pid, None
    )
    return Run(number, result.rps, result.p50_ms, result.p99_ms, result.errors, cpu)


def report(
    selected: list[Scenario], layers: list[str], rows: dict[tuple[str, str], Row]
) -> list[dict[str, Any]]:
    """Print the table; return its rows (for the results file)."""
    reference = layers[0]
    print(
        f"\n{'scenario':<32} {'server':<13} {'req/s median':>12} {'(min-max)':>17}"
        f" {'µs cpu/req':>10} {'req/s vs ' + reference:>18} {'per round':>14}"
        f" {'cpu/req vs ' + reference:>16} {'other':>6}"
    )
    out: list[dict[str, Any]] = []
    for scenario in selected:
        base = rows[scenario.name, reference]
        for layer in layers:
            row = rows[scenario.name, layer]
            if row.failure or not row.runs:
                print(f"{scenario.name:<32} {layer:<13} n/a: {row.failure or 'no runs'}")
                out.append({"scenario": scenario.name, "server": layer, "failure": row.failure})
                continue
            low = min(r.rps for r in row.runs)
            high = max(r.rps for r in row.runs)
            paired = _paired_ratios(base, row)
            rps_ratio = row.median_rps / base.median_rps if base.runs else None
            cpu_ratio = row.median_cpu_us / base.median_cpu_us if base.runs else None
            spread = f"{min(paired):.2f}-{max(paired):.2f}" if paired else "-"
            print(
                f"{scenario.name:<32} {layer:<13} {row.median_rps:>12,.0f}"
                f" {f'({low:,.0f}-{high:,.0f})':>17} {row.median_cpu_us:>10.0f}"
                f" {_fmt(rps_ratio):>18} {spread:>14} {_fmt(cpu_ratio):>16}"
                f" {row.median_other:>6.2f}"
            )
            out.append(
                {
                    "scenario": scenario.name,
                    "server": layer,
                    "median_rps": row.median_rps,
                    "min_rps": low,
                    "max_rps": high,
                    "median_cpu_us_per_request": row.median_cpu_us,
                    "rps_ratio_of_medians": rps_ratio,
                    "rps_ratio_per_round": paired,
                    "cpu_per_request_ratio_of_medians": cpu_ratio,
                    "median_other_cores": row.median_other,
                }
            )
    print(
        f"(median of the rounds; per round: that round's req/s ratio to {reference}, slowest to"
        " fastest; µs cpu/req: the server's processes' CPU time per answered request; other: cores"
        " kept busy by everything but the server and wrk, median)"
    )
    return out


def _paired_ratios(base: Row, row: Row) -> list[float]:
    by_round = {r.round: r.rps for r in base.runs}
    return [r.rps / by_round[r.round] for r in row.runs if by_round.get(r.round)]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _versions() -> dict[str, str]:
    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    packages = ("granian", "uvicorn", "httptools", "uvloop")
    return {**{name: version(name) for name in packages}, "wrk": wrk_version()}


def _write(
    settings: Settings,
    started: datetime,
    rows: dict[tuple[str, str], Row],
    table: list[dict[str, Any]],
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp(started)}-http-layer.json"
    document = {
        "started_at": started.isoformat(),
        "settings": asdict(settings),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "git_commit": git_commit(),
            **_versions(),
        },
        "table": table,
        "runs": [
            {
                "scenario": row.scenario,
                "server": row.layer,
                "failure": row.failure,
                "runs": [
                    {**asdict(r), "cpu_us_per_request": r.cpu_us_per_request} for r in row.runs
                ],
            }
            for row in rows.values()
        ],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
