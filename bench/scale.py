"""``bench/run --scale``: what a million identities in one pool cost, in one run.

1. Our server (SQLite, or ``--store postgresql``) gets two pools through the API, then
   ``--scale-identities`` identities (1,000,000) in the big one and 1,000 in the small one, loaded
   in bulk straight into its database and interleaved (:mod:`bench.bulk`).
2. Each call is measured against the small pool, then the big one, with wrk (``--duration``,
   ``--connections``...): GetId, DescribeIdentity and GetCredentialsForIdentity (each call names
   another of 1,000 identities picked at random in the pool, DescribeIdentity signed once per
   identity), ListIdentities' first page and, in the big pool, the page 10,000 identities deep.
   The server runs with its caches off (``COGNITOIDENTITY_CACHES=off``), so every call reads the
   store: what is compared is the store's work at each size. Target: the big pool's rate within
   1.2x of the small pool's; and GetId's p99 at most 10x its p50.
3. Delete under load: GetId on the small pool while the big pool is deleted (DeleteIdentityPool,
   then the server's deleter in the background) until its last row is gone; the worst GetId
   latency meanwhile (target: under 250 ms), how long the delete took, and on SQLite the
   write-ahead log's size after it.
4. With ``--store postgresql``: GetId and GetCredentialsForIdentity on ``serve --workers 2``
   against one worker (fresh schemas, caches on), as requests per second per server core busy.
   wrk runs on the same 2-core machine, unpinned (one thread): its share of the cores, and
   PostgreSQL's, are printed beside the server's.

The results go to ``bench/results/<UTC timestamp>-scale.json``; bench/README.md ("Scale") says
what they were.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bulk import Database
from bench.cpu import CpuUse, cpu_during
from bench.fixture import ROLES
from bench.load import (
    REPORT_LUA,
    WrkOptions,
    WrkResult,
    lua_string,
    parse_wrk,
    run_wrk,
    wrk_command,
)
from bench.options import Options
from bench.report import RESULTS, ROOT, git_commit, stamp
from bench.servers import Server
from tests.support.http import json_headers, sign
from tests.support.postgres import schema_in
from tests.support.server import REGION, ServerProcess

SMALL = 1_000
DEEP = 10_000
PAGE = 60
DISTINCT = 1_000
"""Identities each point-read scenario names in turn, in each pool."""
RATIO_TARGET = 1.2
TAIL_TARGET = 10.0
DELETE_TARGET_MS = 250.0


@dataclass
class Run:
    scenario: str
    pool: str
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    cpu: CpuUse | None = None


@dataclass
class ScaleReport:
    store: str
    identities: int
    load_seconds: float = 0.0
    runs: list[Run] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)
    delete: dict[str, Any] = field(default_factory=dict)
    workers: list[dict[str, Any]] = field(default_factory=list)
    machine: dict[str, Any] = field(default_factory=dict)


def run_scale(options: Options) -> int:
    started = datetime.now(UTC)
    report = ScaleReport(options.store, options.scale_identities)
    report.machine = {"cores": os.cpu_count(), "load_before": os.getloadavg()}
    wrk = WrkOptions(options.connections, options.threads, options.timeout)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="cognitoidentity-scale-") as tmp:
        work = Path(tmp)
        with _database(options, work, "scale") as (url, database):
            server = _server(work / "scale", url, {"COGNITOIDENTITY_CACHES": "off"})
            try:
                _measure_scale(server, database, options, wrk, report, work)
            except Exception as exc:
                problems.append(f"scale: {exc}")
                print(f"   FAILED: {exc}\n{server.log_tail()}", flush=True)
            finally:
                server.stop()
        if options.store == "postgresql":
            for workers in (1, 2):
                with _database(options, work, f"workers{workers}") as (url, _):
                    env = {"COGNITOIDENTITY_WORKERS": str(workers)}
                    server = _server(work / f"workers{workers}", url, env)
                    try:
                        report.workers += _measure_workers(server, workers, options, wrk, work)
                    except Exception as exc:
                        problems.append(f"workers {workers}: {exc}")
                        print(f"   FAILED: {exc}\n{server.log_tail()}", flush=True)
                    finally:
                        server.stop()
    report.machine["load_after"] = os.getloadavg()
    errors = [f"{r.scenario} {r.pool}: {r.errors} errors" for r in report.runs if r.errors]
    path = _write(report, options, started)
    print(f"\nresults: {path.relative_to(ROOT)}")
    if problems or errors:
        print("\nNOT A VALID BENCHMARK — failed or erroring runs:", *problems, *errors, sep="\n  ")
        return 1
    return 0


@contextmanager
def _database(options: Options, work: Path, name: str) -> Iterator[tuple[str, Database]]:
    """The server's database URL and a handle on it: a SQLite file under ``work/name``, or a
    throwaway PostgreSQL schema."""
    if options.store == "postgresql":
        with schema_in(options.postgres_url, "bench") as url:
            yield url, Database(postgres_url=url)
        return
    path = work / name / "cognitoidentity.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    yield str(path), Database(sqlite_path=path)


def _server(data_dir: Path, url: str, env: dict[str, str]) -> Server:
    data_dir.mkdir(parents=True, exist_ok=True)
    process = ServerProcess(data_dir, url, extra_env=env)
    server = Server("ours", process, process.root)
    print(f"== cognitoidentity ({', '.join(f'{k}={v}' for k, v in env.items())})", flush=True)
    server.start()
    return server


def _pool(client: Any, name: str) -> str:
    pool_id: str = client.create_identity_pool(
        IdentityPoolName=name, AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    client.set_identity_pool_roles(IdentityPoolId=pool_id, Roles=ROLES)
    return pool_id


def _measure_scale(
    server: Server,
    database: Database,
    options: Options,
    wrk: WrkOptions,
    report: ScaleReport,
    work: Path,
) -> None:
    client = server.client()
    big, small = _pool(client, "big"), _pool(client, "small")
    report.load_seconds = database.load(big, small, options.scale_identities, SMALL)
    sizes = {"big": database.count(big), "small": database.count(small)}
    print(
        f"   loaded {sizes['big']:,} + {sizes['small']:,} identities in"
        f" {report.load_seconds:.1f}s; store {database.file_bytes() or 0:,} bytes",
        flush=True,
    )
    report.delete["bytes_before"] = database.file_bytes()
    pools = {"small": small, "big": big}
    ids = {name: database.sample(pool, DISTINCT) for name, pool in pools.items()}
    deep = _token_after(client, big, DEEP)
    requests: dict[str, dict[str, list[tuple[dict[str, str], bytes]]]] = {
        "GetId": {k: [_unsigned(server, "GetId", {"IdentityPoolId": p})] for k, p in pools.items()},
        "DescribeIdentity": {
            k: [_signed(server, "DescribeIdentity", {"IdentityId": i}) for i in ids[k]]
            for k in pools
        },
        "GetCredentialsForIdentity": {
            k: [_unsigned(server, "GetCredentialsForIdentity", {"IdentityId": i}) for i in ids[k]]
            for k in pools
        },
        "ListIdentities": {
            k: [_signed(server, "ListIdentities", {"IdentityPoolId": p, "MaxResults": PAGE})]
            for k, p in pools.items()
        },
        "ListIdentities/deep": {
            "big": [
                _signed(
                    server,
                    "ListIdentities",
                    {"IdentityPoolId": big, "MaxResults": PAGE, "NextToken": deep},
                )
            ]
        },
    }
    scripts = work / "scripts"
    scripts.mkdir(exist_ok=True)
    for scenario, by_pool in requests.items():
        for pool_name, calls in by_pool.items():
            script = scripts / f"{scenario.replace('/', '-')}-{pool_name}.lua"
            _write_script(script, calls)
            run = _measure(server, script, scenario, pool_name, options, wrk)
            report.runs.append(run)
    _ratios(report)
    get_id = requests["GetId"]["small"]
    _delete_under_load(server, database, big, get_id, options, wrk, report, scripts)


def _token_after(client: Any, pool_id: str, depth: int) -> str:
    """ListIdentities' NextToken after the first ``depth`` identities of the pool."""
    token: str | None = None
    seen = 0
    while seen < depth:
        params: dict[str, Any] = {"IdentityPoolId": pool_id, "MaxResults": PAGE}
        if token:
            params["NextToken"] = token
        page = client.list_identities(**params)
        seen += len(page["Identities"])
        token = page.get("NextToken")
        if token is None:
            raise RuntimeError(f"the pool has fewer than {depth} identities")
    if token is None:
        raise RuntimeError("no page was read")
    return token


def _unsigned(server: Server, target: str, body: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    return {"Host": server.host, **json_headers(target)}, _json(body)


def _signed(server: Server, target: str, body: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    raw = _json(body)
    headers = {"Host": server.host, **json_headers(target)}
    signed = sign(server.url + "/", raw, headers, server.credentials, region=REGION)
    return {k: v for k, v in signed.items() if k.lower() != "content-length"}, raw


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _write_script(path: Path, calls: list[tuple[dict[str, str], bytes]]) -> None:
    """wrk's script: the calls in turn, each with its own headers (signatures) and body."""
    lines = ["local calls = {"]
    for headers, body in calls:
        pairs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        lines.append(f"  {{ {{ {pairs} }}, {lua_string(body)} }},")
    lines += [
        "}",
        "local n = 0",
        "function request()",
        "   n = n % #calls + 1",
        '   return wrk.format("POST", "/", calls[n][1], calls[n][2])',
        "end",
    ]
    path.write_text("\n".join(lines) + "\n\n" + REPORT_LUA.read_text())


def _measure(
    server: Server, script: Path, scenario: str, pool: str, options: Options, wrk: WrkOptions
) -> Run:
    if options.warmup > 0:
        run_wrk(server.url, script, options.warmup, wrk)
    database = "postgres" if options.store == "postgresql" else None
    result, cpu = cpu_during(
        lambda: run_wrk(server.url, script, options.duration, wrk), server.pid, database
    )
    run = _run(scenario, pool, result, cpu)
    print(
        f"   {scenario} ({pool} pool): {run.rps:,.0f} req/s, p50 {run.p50_ms:.2f} ms,"
        f" p99 {run.p99_ms:.2f} ms, max {run.max_ms:.0f} ms, {run.errors} errors;"
        f" cores: server {cpu.server:.2f}, wrk {cpu.wrk:.2f}, db {cpu.database:.2f},"
        f" other {cpu.other:.2f}",
        flush=True,
    )
    return run


def _run(scenario: str, pool: str, result: WrkResult, cpu: CpuUse | None) -> Run:
    latency = result.detail["latency_us"]
    return Run(
        scenario,
        pool,
        result.rps,
        result.p50_ms,
        result.p99_ms,
        (latency["max"] or 0) / 1000,
        result.errors,
        cpu,
    )


def _ratios(report: ScaleReport) -> None:
    """How much slower the big pool is than the small one (rates), per scenario; the deep page
    against the small pool's first page; GetId's p99 over its p50."""
    by = {(r.scenario, r.pool): r for r in report.runs}
    for scenario in ("GetId", "DescribeIdentity", "GetCredentialsForIdentity", "ListIdentities"):
        report.ratios[scenario] = by[scenario, "small"].rps / by[scenario, "big"].rps
    deep = by["ListIdentities/deep", "big"]
    report.ratios["ListIdentities/deep"] = by["ListIdentities", "small"].rps / deep.rps
    for pool in ("small", "big"):
        get_id = by["GetId", pool]
        report.ratios[f"GetId p99/p50 ({pool})"] = get_id.p99_ms / get_id.p50_ms
    print("   ratios (small pool's rate / big pool's; target <= 1.2; GetId p99/p50 <= 10):")
    for name, value in report.ratios.items():
        target = TAIL_TARGET if "p99" in name else RATIO_TARGET
        print(f"     {name}: {value:.2f}x {'PASS' if value <= target else 'MISS'}", flush=True)


def _delete_under_load(
    server: Server,
    database: Database,
    big: str,
    get_id: list[tuple[dict[str, str], bytes]],
    options: Options,
    wrk: WrkOptions,
    report: ScaleReport,
    scripts: Path,
) -> None:
    """GetId on the small pool while the big pool is deleted, until its last row is gone."""
    script = scripts / "GetId-during-delete.lua"
    _write_script(script, get_id)
    rss_before = _rss_kib(server.pid)
    wal_before = database.wal_bytes()
    command = wrk_command(server.url, script, 3600, wrk)
    loader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)  # GetId's steady state first
        started = time.perf_counter()
        server.client().delete_identity_pool(IdentityPoolId=big)
        answered = time.perf_counter() - started
        wal_peak = wal_before or 0
        while database.pool_row_exists(big):
            wal_peak = max(wal_peak, database.wal_bytes() or 0)
            time.sleep(0.25)
        took = time.perf_counter() - started
        time.sleep(2)  # and the compaction after it
    finally:
        loader.send_signal(signal.SIGINT)
        out, err = loader.communicate(timeout=60)
    result = _run("GetId during delete", "small", parse_wrk(loader.returncode, out, err), None)
    report.runs.append(result)
    report.delete.update(
        answered_seconds=answered,
        deleted_seconds=took,
        worst_get_id_ms=result.max_ms,
        get_id_p99_ms=result.p99_ms,
        get_id_rps=result.rps,
        wal_bytes_before=wal_before,
        wal_bytes_peak=wal_peak,
        wal_bytes_after=database.wal_bytes(),
        bytes_after=database.file_bytes(),
        rss_kib_before=rss_before,
        rss_kib_after=_rss_kib(server.pid),
    )
    verdict = "PASS" if result.max_ms < DELETE_TARGET_MS else "MISS"
    print(
        f"   delete of the big pool: answered in {answered * 1000:.0f} ms, rows gone after"
        f" {took:.1f}s; GetId meanwhile {result.rps:,.0f} req/s, p99 {result.p99_ms:.1f} ms,"
        f" worst {result.max_ms:.0f} ms (target < {DELETE_TARGET_MS:.0f} ms: {verdict}),"
        f" {result.errors} errors",
        flush=True,
    )
    print(f"   {report.delete}", flush=True)


def _rss_kib(pid: int) -> int:
    """Resident memory of the server process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _measure_workers(
    server: Server, workers: int, options: Options, wrk: WrkOptions, work: Path
) -> list[dict[str, Any]]:
    client = server.client()
    pool = _pool(client, "workers")
    identity = client.get_id(IdentityPoolId=pool)["IdentityId"]
    rows = []
    for scenario, body in (
        ("GetId", {"IdentityPoolId": pool}),
        ("GetCredentialsForIdentity", {"IdentityId": identity}),
    ):
        script = work / f"workers{workers}-{scenario}.lua"
        _write_script(script, [_unsigned(server, scenario, body)])
        run = _measure(server, script, scenario, f"{workers} worker(s)", options, wrk)
        assert run.cpu is not None
        per_core = run.rps / run.cpu.server if run.cpu.server > 0 else 0.0
        print(f"     {per_core:,.0f} req/s per busy server core", flush=True)
        rows.append({"workers": workers, **asdict(run), "rps_per_server_core": per_core})
    return rows


def _write(report: ScaleReport, options: Options, started: datetime) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stamp(started)}-scale.json"
    document = {
        "started": started.isoformat(),
        "commit": git_commit(),
        "settings": asdict(options),
        **asdict(report),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
