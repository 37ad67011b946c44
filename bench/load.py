"""The load: wrk on loopback, driven by a generated Lua script per scenario (the request, then
wrk_report.lua, whose ``done()`` prints one ``WRK_JSON`` line parsed here)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_LUA = Path(__file__).with_name("wrk_report.lua")
WRK_MISSING = (
    "bench/run needs wrk (https://github.com/wg/wrk), which is not on PATH: install it"
    " (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`), then retry."
)


@dataclass(frozen=True, slots=True)
class WrkOptions:
    connections: int
    threads: int
    timeout: float


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    detail: dict[str, Any]


def wrk_missing() -> str | None:
    """What to install when wrk is missing (None: it is there)."""
    return None if shutil.which("wrk") else WRK_MISSING


def wrk_version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    output = done.stdout or done.stderr
    return output.splitlines()[0].strip() if output else "?"


def lua_string(value: str | bytes) -> str:
    raw = value.encode() if isinstance(value, str) else value
    out = []
    for byte in raw:
        char = chr(byte)
        if char in '"\\' or not 32 <= byte < 127:
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def write_script(
    path: Path,
    headers: dict[str, str],
    body: bytes,
    variants: list[bytes] | None = None,
    *,
    url_path: str = "/",
    expect: str | None = None,
) -> None:
    """wrk's script: ``body`` replayed to ``url_path``, or with ``variants`` each of them in turn
    (wrk's ``request()`` formats the next one; the headers stay, Content-Length follows the
    body). ``expect``: what every 2xx answer must contain (else wrk_report.lua counts it as
    ``unexpected``, an error)."""
    lines = ['wrk.method = "POST"', f"wrk.path = {lua_string(url_path)}"]
    lines.append(f"wrk.body = {lua_string(body)}")
    if expect is not None:
        lines.append(f"expect = {lua_string(expect)}")
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()]
    if variants:
        lines.append("local bodies = {")
        lines += [f"  {lua_string(v)}," for v in variants]
        lines += [
            "}",
            "local next_body = 0",
            "function request()",
            "   next_body = next_body % #bodies + 1",
            "   return wrk.format(nil, nil, nil, bodies[next_body])",
            "end",
        ]
    path.write_text("\n".join(lines) + "\n\n" + REPORT_LUA.read_text())


def run_wrk(url: str, script: Path, seconds: float, options: WrkOptions) -> WrkResult:
    command = wrk_command(url, script, seconds, options)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + options.timeout + 60
    )
    return parse_wrk(done.returncode, done.stdout, done.stderr)


def wrk_command(url: str, script: Path, seconds: float, options: WrkOptions) -> list[str]:
    return [
        "wrk",
        f"--threads={options.threads}",
        f"--connections={options.connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={max(1, round(options.timeout))}s",
        f"--script={script}",
        url + "/",
    ]


def parse_wrk(returncode: int, stdout: str, stderr: str) -> WrkResult:
    """The result of a wrk run from its output (the ``WRK_JSON`` line of wrk_report.lua)."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({returncode}):\n{stdout}\n{stderr}")
    detail = json.loads(line.removeprefix("WRK_JSON "))
    errors = detail["errors"]
    total_errors = (
        errors["non_2xx"]
        + errors.get("unexpected", 0)
        + errors["connect"]
        + errors["read"]
        + errors["write"]
        + errors["timeout"]
    )
    duration = detail["duration_us"] / 1e6
    latency = detail["latency_us"]
    return WrkResult(
        requests=detail["requests"],
        duration_s=duration,
        rps=detail["requests"] / duration if duration > 0 else 0.0,
        p50_ms=(latency["p50"] or 0) / 1000,
        p99_ms=(latency["p99"] or 0) / 1000,
        errors=total_errors,
        detail=detail,
    )
