"""The cores kept busy during a measured run, from /proc: by the server process (with its child
processes: granian serves from a worker process under its own), by wrk (this process's children),
by the database server (PostgreSQL store only) and by everything else."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuUse:
    """Cores busy on average during a measured run: the server (its processes), wrk, the database
    server (PostgreSQL store only; every ``postgres`` process), and everything else."""

    server: float
    wrk: float
    database: float
    other: float


def machine_cpu() -> float:
    """Busy CPU seconds of the whole machine so far, all cores, from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already inside user
    return (total - idle) / CLOCK_TICKS


def _stat_cpu(fields_after_name: list[str]) -> float:
    """utime + stime of a /proc/<pid>/stat line, the fields after the command name."""
    return (int(fields_after_name[11]) + int(fields_after_name[12])) / CLOCK_TICKS


def process_tree_cpu(pid: int) -> float:
    """CPU seconds used so far by process ``pid`` and its live descendants (all their threads)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = _stat_cpu(fields)
    tree = {pid}
    grew = True
    while grew:
        found = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(used.get(p, 0.0) for p in tree)


def named_processes_cpu(name: str) -> float:
    """CPU seconds used so far by every live process whose command name is ``name``."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        head, _, tail = text.rpartition(")")
        if head.partition("(")[2] == name:
            total += _stat_cpu(tail.split())
    return total


def children_cpu() -> float:
    """CPU seconds used so far by this process's waited-for children (wrk)."""
    times = os.times()
    return times.children_user + times.children_system


def cpu_during(run: Callable[[], T], server_pid: int, database: str | None) -> tuple[T, CpuUse]:
    """``run()``'s result, and the cores kept busy while it ran; ``database``: the command name
    of the database server's processes, counted apart (None: none)."""

    def db_cpu() -> float:
        return named_processes_cpu(database) if database else 0.0

    def server_cpu() -> float:
        return process_tree_cpu(server_pid)

    busy0, server0, db0, wrk0 = machine_cpu(), server_cpu(), db_cpu(), children_cpu()
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    busy1, server1, db1, wrk1 = machine_cpu(), server_cpu(), db_cpu(), children_cpu()
    server = (server1 - server0) / elapsed
    wrk = (wrk1 - wrk0) / elapsed
    db = (db1 - db0) / elapsed
    machine = (busy1 - busy0) / elapsed
    return result, CpuUse(server, wrk, db, max(0.0, machine - server - wrk - db))
