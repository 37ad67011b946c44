"""``--profile``: after each of our scenarios, one more wrk run of the same length with py-spy
sampling the server, and the frames where it spent its time. py-spy is not a project dependency:
when it is missing the run goes on without profiles and says what to install."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.load import WrkOptions, run_wrk

PY_SPY_MISSING = (
    "--profile needs py-spy, which is not installed: `.venv/bin/pip install py-spy`"
    " (it is not a project dependency); this run goes on without profiles."
)
OUTER_FRAMES = (
    "<module>",
    "uvicorn/",
    "asyncio/",
    "threading.py",
    "server/cli.py",
    "server/app.py",
)
"""Frames that every request passes through (the event loop, uvicorn, our ASGI application): left
out of the "handler" list, which shows where the operations themselves spend their time."""


def find_py_spy() -> str | None:
    """py-spy beside this interpreter (the virtualenv's), else on PATH; None when missing."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def top_frames(raw: Path, limit: int = 15) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive shares of samples per frame, from py-spy's collapsed ("raw") output;
    ``handler``: the inclusive ones without :data:`OUTER_FRAMES`."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1] if frames[0].startswith("thread ") else "?"
        frames = [f for f in frames if not f.startswith(("process ", "thread "))] or ["(native)"]
        total += count
        threads[thread] += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if total == 0:
        return {"threads": [], "self": [], "inclusive": [], "handler": []}
    handler = [(f, n) for f, n in inclusive.most_common() if not any(o in f for o in OUTER_FRAMES)]
    return {
        "threads": [(t, n / total) for t, n in threads.most_common()],
        "self": [(f, n / total) for f, n in own.most_common(limit)],
        "inclusive": [(f, n / total) for f, n in inclusive.most_common(limit)],
        "handler": [(f, n / total) for f, n in handler[:limit]],
    }


def profile_run(
    spy: str, pid: int, url: str, script: Path, duration: float, wrk: WrkOptions, raw: Path
) -> dict[str, Any]:
    """A further wrk run of ``duration`` with py-spy sampling process ``pid``, its collapsed
    stacks written to ``raw``; not in the table."""
    seconds = max(1, round(duration))
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "250",
            "--nonblocking",
            "--threads",
            "--subprocesses",  # granian (--http granian) serves from a worker process
            "--format",
            "raw",
            "--output",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        result = run_wrk(url, script, seconds, wrk)
        _, err = recorder.communicate(timeout=seconds + 60)
    finally:
        if recorder.poll() is None:
            recorder.send_signal(signal.SIGINT)
            try:
                recorder.wait(10)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
    if not raw.exists():
        return {"error": f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}"}
    frames = top_frames(raw)
    shares = ", ".join(f"{t} {share:.0%}" for t, share in frames["threads"])
    print(
        f"   profiled run (py-spy attached): {result.rps:,.0f} req/s; samples by thread:"
        f" {shares}; top self time:",
        flush=True,
    )
    for frame, share in frames["self"][:10]:
        print(f"     {share:6.1%}  {frame}", flush=True)
    print("   top inclusive time below the ASGI application:", flush=True)
    for frame, share in frames["handler"][:10]:
        print(f"     {share:6.1%}  {frame}", flush=True)
    return {"rps_while_profiled": result.rps, **frames}
