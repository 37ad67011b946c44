"""The run: the servers one after the other (ours, then moto), each on every selected scenario,
then the bare references, then the report. Exit status: 0; 1 when a run failed or any request
errored (a benchmark of errors measures nothing); 2 for a usage error or a missing tool."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

from bench.fixture import Fixture
from bench.load import wrk_missing
from bench.login import BenchLogin
from bench.measure import Measured, measure_server
from bench.options import parse_args
from bench.profiling import PY_SPY_MISSING, find_py_spy
from bench.references import BareResult, run_references
from bench.report import RESULTS, ROOT, print_report, ratio_rows, stamp, write_results
from bench.servers import granian_missing, moto, ours, store_url


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    missing = wrk_missing() or (granian_missing() if options.http != "ours" else None)
    if missing:
        print(missing, file=sys.stderr)
        return 2
    if options.scale:
        from bench.scale import run_scale

        return run_scale(options)
    spy = find_py_spy() if options.profile else None
    if options.profile and spy is None:
        print(PY_SPY_MISSING, file=sys.stderr, flush=True)
    # A plain `kill` still stops the servers: SystemExit unwinds through the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    rows: list[Measured] = []
    bares: dict[str, BareResult] = {}
    extra_bares: list[BareResult] = []
    failed: list[str] = []
    unavailable: dict[str, str] = {}
    fixtures: list[Fixture] = []
    logins = any(s.needs_login for s in options.selected)
    serving: AbstractContextManager[BenchLogin | None] = BenchLogin() if logins else nullcontext()
    kept: Path | None = None
    with tempfile.TemporaryDirectory(prefix="cognitoidentity-bench-") as tmp, serving as login:
        work = Path(tmp)
        scripts = work / "scripts"
        scripts.mkdir()
        if login is not None:
            print(f"== OIDC provider (tests/support's) on {login.url}", flush=True)
        for kind in options.kinds:
            try:
                with store_url(options.store, options.postgres_url, kind) as url:
                    server = ours(work, url, options.http) if kind == "ours" else moto(work)
                    try:
                        rows += measure_server(
                            server, options, scripts, login, unavailable, spy, fixtures
                        )
                    except Exception as exc:
                        failed.append(f"{server.label}: {exc}")
                        print(f"   {server.label} FAILED: {exc}\n{server.log_tail()}", flush=True)
                    finally:
                        server.stop()
            except Exception as exc:  # e.g. PostgreSQL unreachable
                failed.append(f"{kind}: {exc}")
                print(f"== {kind}: FAILED: {exc}", flush=True)
        if "ours" in options.kinds:
            # What our decision endpoint decided at set-up: the bare evaluation's request.
            decision = next((f.decision for f in fixtures if f.decision is not None), None)
            bares, extra_bares = run_references(options, work, login, failed, decision)
        profiles = sorted(scripts.glob("*.collapsed"))
        if profiles:  # py-spy's collapsed stacks outlive the run, for flame graphs
            kept = RESULTS / f"{stamp(started)}-profiles"
            kept.mkdir(parents=True, exist_ok=True)
            for raw in profiles:
                shutil.copy(raw, kept / raw.name)
    ratios = ratio_rows(rows, bares, options.selected)
    print_report(rows, bares, extra_bares, ratios, options)
    path = write_results(rows, bares, extra_bares, ratios, options, started)
    print(f"\nresults: {path.relative_to(ROOT)}")
    if kept is not None:
        print(f"py-spy stacks (collapsed): {kept.relative_to(ROOT)}/")
    errors = [
        f"{r.scenario} on {r.server}: {r.result.errors} errors"
        for r in rows
        if r.result is not None and r.result.errors
    ]
    failures = [f"{r.scenario} on {r.server}: {r.failure}" for r in rows if r.failure]
    problems = failed + failures + errors
    if problems:
        print("\nNOT A VALID BENCHMARK — failed or erroring runs:", *problems, sep="\n  ")
        return 1
    return 0
