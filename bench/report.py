"""The report: the ratios and their verdicts (:func:`ratio_rows`), the printed table
(:func:`print_report`) and the results file, ``bench/results/<UTC timestamp>.json``
(:func:`write_results`). What each figure means: bench/README.md, "The figures"."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.cpu import CpuUse
from bench.load import wrk_version
from bench.measure import Measured
from bench.options import Options
from bench.references import BARE_REFERENCES, BareResult
from bench.scenarios import Scenario

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
OTHER_LOAD_WARNING = 0.15
"""Cores kept busy by other processes during a run above which the report warns."""
MAX_JWKS_FETCHES_DURING_LOAD = 1
"""The OIDC logins scenarios pass their JWKS check when the provider saw at most this many JWKS
requests during a scenario's load (warm-up and measured runs): the keys are cached, not fetched per
call (one fetch is allowed for a cache expiry falling inside the run)."""


def stamp(started: datetime) -> str:
    """The results' file name stem for a run started at ``started``."""
    return started.strftime("%Y%m%dT%H%M%SZ")


def ratio(
    name: str,
    num: float | None,
    den: float | None,
    target: float | None,
    problem: str | None,
    unit: str,
) -> dict[str, Any]:
    """``num / den`` against ``target`` (at least); ``target`` None: for information."""
    value = num / den if (num is not None and den) else None
    if value is None:
        verdict = f"n/a ({problem or 'no data'})"
    elif target is None:
        verdict = "(information)"
    else:
        verdict = "PASS" if value >= target else "MISS"
    return {"name": name, "value": value, "target": target, "unit": unit, "verdict": verdict}


def ratio_rows(
    rows: list[Measured], bares: dict[str, BareResult], scenarios: list[Scenario]
) -> list[dict[str, Any]]:
    """Every "ours / moto" ratio, then every "ours / bare" one, then the JWKS counts."""

    def rate(scenario: str, server: str) -> tuple[float | None, str | None]:
        row = next((r for r in rows if r.scenario == scenario and r.server == server), None)
        if row is None:
            return None, "not run"
        if row.skipped:
            return None, row.skipped
        if row.result is None:
            return None, "failed"
        if row.result.errors:
            return None, "errors"
        return row.result.rps, None

    out: list[dict[str, Any]] = []
    for scenario in scenarios:
        ours_rate, ours_problem = rate(scenario.name, "ours")
        moto_rate, moto_problem = rate(scenario.name, "moto")
        if scenario.vs_moto_target is None and (ours_problem or moto_problem):
            continue  # an information ratio is left out when a side is missing
        out.append(
            ratio(
                f"{scenario.name} ours / moto",
                ours_rate,
                moto_rate,
                scenario.vs_moto_target,
                ours_problem or moto_problem,
                "x",
            )
        )
    for scenario in scenarios:
        if scenario.vs_bare is None:
            continue
        reference, target = scenario.vs_bare
        ours_rate, ours_problem = rate(scenario.name, "ours")
        bare = bares.get(reference)
        out.append(
            ratio(
                f"{scenario.name} ours / {BARE_REFERENCES[reference].removeprefix('bare ')}",
                ours_rate,
                bare.rate if bare else None,
                target,
                ours_problem or (None if bare else "not run"),
                "%",
            )
        )
    out += _issue13_ratios(rows, bares, scenarios, rate)
    for row in rows:
        if row.provider_requests is None:
            continue
        fetched = row.provider_requests["jwks"]
        out.append(
            {
                "name": f"{row.scenario} JWKS requests during the load",
                "value": fetched,
                "target": MAX_JWKS_FETCHES_DURING_LOAD,
                "unit": "requests",
                "verdict": "PASS" if fetched <= MAX_JWKS_FETCHES_DURING_LOAD else "MISS",
            }
        )
    return out


def _per_core(rows: list[Measured], scenario: str) -> float | None:
    """Our req/s per server core busy: requests per second of the server's CPU, which the other
    load on the machine affects far less than req/s."""
    row = next((r for r in rows if r.scenario == scenario and r.server == "ours"), None)
    if row is None or row.result is None or row.cpu is None or row.cpu.server <= 0:
        return None
    return row.result.rps / row.cpu.server


def _bare_per_core(bare: BareResult | None) -> float | None:
    """A bare loop's rate per core busy (its count over its CPU time), else per second."""
    if bare is None:
        return None
    return bare.count / bare.cpu_s if bare.cpu_s else bare.rate


def _issue13_ratios(
    rows: list[Measured],
    bares: dict[str, BareResult],
    scenarios: list[Scenario],
    rate: Callable[[str, str], tuple[float | None, str | None]],
) -> list[dict[str, Any]]:
    """Each scenario's ratio to the one it is compared with (``vs_scenario``: ours req/s of the
    same run), then, for information, the same ratios and the decisions' ratio to the bare
    evaluation per server core busy (req/s / srv cpu) rather than per second."""
    out: list[dict[str, Any]] = []
    for scenario in scenarios:
        if scenario.vs_scenario is None:
            continue
        peer, target = scenario.vs_scenario
        ours_rate, ours_problem = rate(scenario.name, "ours")
        peer_rate, peer_problem = rate(peer, "ours")
        out.append(
            ratio(
                f"{scenario.name} / {peer} (ours req/s)",
                ours_rate,
                peer_rate,
                target,
                ours_problem or (f"{peer}: {peer_problem}" if peer_problem else None),
                "%",
            )
        )
    for scenario in scenarios:
        if scenario.vs_scenario is not None:
            peer = scenario.vs_scenario[0]
            name = f"{scenario.name} / {peer} per server core"
            out.append(
                ratio(name, _per_core(rows, scenario.name), _per_core(rows, peer), None, None, "%")
            )
        elif scenario.vs_bare is not None and scenario.vs_bare[0] == "decide":
            bare = bares.get("decide")
            name = f"{scenario.name} ours per server core / bare policy evaluation per core"
            per_core = _per_core(rows, scenario.name)
            out.append(ratio(name, per_core, _bare_per_core(bare), None, None, "%"))
    return out


def fmt_ratio(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "%":
        return f"{value:.0%}"
    if unit == "x":
        return f"{value:.1f}x"
    return f"{value:g}"


def fmt_target(target: float | None, unit: str) -> str:
    if target is None:
        return ""
    if unit == "%":
        return f">= {target:.0%}"
    if unit == "x":
        return f">= {target:g}x"
    return f"<= {target:g}"


def print_report(
    rows: list[Measured],
    bares: dict[str, BareResult],
    extra_bares: list[BareResult],
    ratios: list[dict[str, Any]],
    options: Options,
) -> None:
    print()
    print(
        f"wrk: {options.threads} thread, {options.connections} connections,"
        f" {options.duration:g} s per scenario after {options.warmup:g} s warm-up"
        + (f", fastest of {options.repeat} runs" if options.repeat > 1 else "")
        + f"; store {options.store}"
        + (f"; cognitoidentity served by {options.http}" if options.http != "ours" else "")
    )
    bare_rows = [
        (BARE_REFERENCES[name], bares[name]) for name in BARE_REFERENCES if name in bares
    ] + [(f"bare RS256 verify ({b.label}, info)", b) for b in extra_bares]
    width = max([22, *(len(r.scenario) for r in rows), *(len(label) for label, _ in bare_rows)])
    header = (
        f"{'scenario':<{width}} {'server':<16} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'errors':>7}  {'srv cpu':>7} {'other':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        label = "cognitoidentity" if row.server == "ours" else "moto_server"
        if row.skipped:
            print(f"{row.scenario:<{width}} {label:<16} {'n/a':>10}: {row.skipped}")
            continue
        if row.result is None:
            print(f"{row.scenario:<{width}} {label:<16} {'FAILED':>10}  {row.failure}")
            continue
        r = row.result
        cpu = row.cpu or CpuUse(0, 0, 0, 0)
        print(
            f"{row.scenario:<{width}} {label:<16} {r.rps:>10,.0f} {r.p50_ms:>8.2f}"
            f" {r.p99_ms:>8.2f} {r.errors:>7}  {cpu.server:>7.2f} {cpu.other:>6.2f}"
        )
    for label, bare in bare_rows:
        print(f"{label:<{width}} {bare.label:<16} {bare.rate:>10,.0f}")
    busiest = max((r.cpu.other for r in rows if r.cpu), default=0.0)
    print(
        "(srv cpu, other: cores kept busy on average during the run by the server's processes, and"
        " by everything but the server, wrk"
        + (" and PostgreSQL" if options.store == "postgresql" else "")
        + "; bare rows: one thread of this script, after the servers stopped)"
    )
    for row in rows:
        if row.provider_requests is not None:
            p = row.provider_requests
            print(
                f"OIDC provider, {row.scenario} load: {p['discovery']} discovery and {p['jwks']}"
                f" JWKS requests ({p['before']} before it, set-up included)"
            )
    _print_issue13(rows, bares, options.selected)
    if busiest > OTHER_LOAD_WARNING:
        print(
            f"WARNING: other processes kept up to {busiest:.2f} cores busy during a run: the"
            " machine was shared and these figures are low and noisy; run again when it is"
            " quiet."
        )
    print()
    name_width = max((len(r["name"]) for r in ratios), default=10)
    for q in ratios:
        target = fmt_target(q["target"], q["unit"])
        target_text = f"target {target:<8}" if target else f"{'':<15}"
        print(
            f"{q['name']:<{name_width}}  {fmt_ratio(q['value'], q['unit']):>8}  {target_text}"
            f"  {q['verdict']}"
        )


def _print_issue13(
    rows: list[Measured], bares: dict[str, BareResult], scenarios: list[Scenario]
) -> None:
    """Server CPU per request of issue 13's scenarios and of those they are compared with, and
    the bare evaluation's CPU per decision (bench/README.md, "Decisions and trust")."""
    names: list[str] = []
    for scenario in scenarios:
        if scenario.vs_scenario is not None:
            names += [scenario.vs_scenario[0], scenario.name]
        elif scenario.vs_bare is not None and scenario.vs_bare[0] == "decide":
            names.append(scenario.name)
    if not names:
        return
    print("server CPU per request (µs: srv cpu / req/s), issue 13's scenarios and their peers:")
    for name in dict.fromkeys(names):
        per_core = _per_core(rows, name)
        if per_core:
            print(f"  {name:<40} {1e6 / per_core:>8.1f} µs")
    bare_rate = _bare_per_core(bares.get("decide"))
    if bare_rate:
        print(f"  {'bare policy evaluation (one thread)':<40} {1e6 / bare_rate:>8.1f} µs")


def git_commit() -> str | None:
    with suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def write_results(
    rows: list[Measured],
    bares: dict[str, BareResult],
    extra_bares: list[BareResult],
    ratios: list[dict[str, Any]],
    options: Options,
    started: datetime,
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp(started)}.json"
    document = {
        "started_at": started.isoformat(),
        "settings": asdict(options),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "wrk": wrk_version(),
            "git_commit": git_commit(),
        },
        "runs": [
            {
                "scenario": r.scenario,
                "server": r.server,
                "failure": r.failure,
                **({"skipped": r.skipped} if r.skipped else {}),
                **({"result": asdict(r.result)} if r.result else {}),
                **({"cpu_cores": asdict(r.cpu)} if r.cpu else {}),
                "rps_of_each_run": r.attempts,
                **({"oidc_provider_requests": r.provider_requests} if r.provider_requests else {}),
                **({"profile": r.profile} if r.profile else {}),
            }
            for r in rows
        ],
        "bare": {name: asdict(b) for name, b in bares.items()},
        "bare_information": [asdict(b) for b in extra_bares],
        "ratios": ratios,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
