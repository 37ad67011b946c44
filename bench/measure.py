"""Every selected scenario on one server: its set-up, each scenario's check request, wrk's
warm-up and measured runs with the cores they kept busy, the OIDC provider's requests during the
logins scenarios and, with ``--profile``, one more run under py-spy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bench.calls import build_request, check, compact_json
from bench.cpu import CpuUse, cpu_during
from bench.fixture import Fixture, set_up
from bench.load import WrkOptions, WrkResult, run_wrk, write_script
from bench.login import BenchLogin
from bench.options import Options
from bench.profiling import profile_run
from bench.servers import Server


@dataclass
class Measured:
    scenario: str
    server: str
    result: WrkResult | None = None
    failure: str | None = None
    skipped: str | None = None
    """Why the scenario could not run here ("needs ..."): not a failure."""
    cpu: CpuUse | None = None
    attempts: list[float] = field(default_factory=list)
    """req/s of every measured run (--repeat); ``result`` is the fastest."""
    provider_requests: dict[str, int] | None = None
    """OIDC logins scenarios: requests the bench's provider answered during the load (warm-up
    and measured runs), and ``before``: what it had answered until then (set-up included)."""
    profile: dict[str, Any] | None = None


def measure_server(
    server: Server,
    options: Options,
    scripts: Path,
    login: BenchLogin | None,
    unavailable: dict[str, str],
    spy: str | None,
    fixtures: list[Fixture] | None = None,
) -> list[Measured]:
    """Every selected scenario on ``server``, started here. ``unavailable`` maps the scenarios
    our server could not run to why: moto skips those too (ours runs first), and ours adds to it.
    ``spy``: py-spy's path, for ``--profile`` (None: not installed). ``fixtures``: the server's
    fixture is added to it (the bare policy evaluation reads what ours decided at set-up)."""
    out: list[Measured] = []
    print(f"== {server.label}: starting on {server.url}", flush=True)
    server.start()
    fixture = set_up(server, login)
    if fixtures is not None:
        fixtures.append(fixture)
    wrk = WrkOptions(options.connections, options.threads, options.timeout)
    database = "postgres" if server.kind == "ours" and options.store == "postgresql" else None
    for scenario in options.selected:
        row = Measured(scenario.name, server.kind)
        out.append(row)
        missing = scenario.needs(fixture) if scenario.needs else None
        missing = missing or unavailable.get(scenario.name)
        if missing:
            row.skipped = missing
            if server.kind == "ours":
                unavailable[scenario.name] = missing
            print(f"   {scenario.name}: n/a: {missing}", flush=True)
            continue
        headers, body = build_request(server, scenario, fixture)
        status, answer = check(server, headers, body, scenario.path)
        if not 200 <= status < 300:
            row.failure = f"check request answered {status}: {answer[:300]!r}"
            print(f"   {scenario.name}: {row.failure}", flush=True)
            continue
        script = scripts / f"{server.kind}-{scenario.name.replace('/', '-')}.lua"
        variants = scenario.variants(fixture) if scenario.variants else None
        write_script(
            script,
            headers,
            body,
            [compact_json(v) for v in variants or []],
            url_path=scenario.path,
            expect=scenario.expect,
        )
        counting = login is not None and scenario.group == "logins" and server.kind == "ours"
        before = login.snapshot() if counting and login else None
        if options.warmup > 0:
            run_wrk(server.url, script, options.warmup, wrk)
        measured = partial(run_wrk, server.url, script, options.duration, wrk)
        attempts = [cpu_during(measured, server.pid, database) for _ in range(options.repeat)]
        row.attempts = [a[0].rps for a in attempts]
        # The fastest run counts (interference only slows a run down), unless one had errors:
        # then the one with the most errors does, so that they are reported.
        row.result, row.cpu = max(attempts, key=lambda a: (a[0].errors, a[0].rps))
        r, cpu = row.result, row.cpu
        if options.repeat > 1:
            print(f"   {scenario.name}: runs " + ", ".join(f"{x:,.0f}" for x in row.attempts))
        print(
            f"   {scenario.name}: {r.rps:,.0f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms,"
            f" {r.errors} errors; cores busy: server {cpu.server:.2f}, wrk {cpu.wrk:.2f},"
            + (f" postgres {cpu.database:.2f}," if database else "")
            + f" other {cpu.other:.2f}",
            flush=True,
        )
        if r.errors and r.detail.get("sample"):
            print(f"     first non-2xx: {r.detail['sample']}", flush=True)
        if before is not None and login is not None:
            row.provider_requests = _provider_requests(scenario.name, before, login.snapshot())
        if options.profile and server.kind == "ours":
            if spy is None:
                row.profile = {"error": "py-spy not found"}
            else:
                raw = scripts / f"{scenario.name.replace('/', '-')}.collapsed"
                row.profile = profile_run(
                    spy, server.pid, server.url, script, options.duration, wrk, raw
                )
    return out


def _provider_requests(
    scenario: str, before: dict[str, int], after: dict[str, int]
) -> dict[str, int]:
    """The provider's requests between two snapshots, and ``before``: its discovery and JWKS
    requests until the first (set-up included)."""
    during = {k: after[k] - before[k] for k in after}
    during["before"] = before["discovery"] + before["jwks"]
    print(
        f"   {scenario}: the OIDC provider answered, during the load,"
        f" {during['discovery']} discovery and {during['jwks']} JWKS requests (before it:"
        f" {before['discovery']} discovery, {before['jwks']} JWKS)",
        flush=True,
    )
    return during
