"""Shared by the bench scripts: CPU time (ours and a child's) next to wall time, and the load average.

Wall time on a shared machine swings with load; CPU time (user + system, from ``getrusage`` for
this process and ``wait4`` for a child) is what the targets are judged on, always as a ratio to a
reference measured in the same run. Not a bench itself (``make bench`` skips ``_*.py``).
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Cost:
    """What one piece of work cost: CPU seconds (user + system), wall seconds, peak RSS in MB."""

    cpu: float
    wall: float
    peak_mb: float = 0.0

    def __str__(self) -> str:
        peak = f", peak {self.peak_mb:.0f} MB" if self.peak_mb else ""
        return f"{self.cpu:7.3f} s CPU ({self.wall:.3f} s wall{peak})"


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def in_process(fn: Callable[[], Any]) -> tuple[Cost, Any]:
    """Run ``fn`` here; its CPU and wall time, and its result."""
    cpu, wall = _self_cpu(), time.perf_counter()
    result = fn()
    return Cost(_self_cpu() - cpu, time.perf_counter() - wall), result


def child(argv: Sequence[str], *, stdin: str | None = None, env: dict[str, str] | None = None,
          ok: Sequence[int] = (0,)) -> tuple[Cost, int]:
    """Run a command (no shell); its CPU (from wait4), wall time, peak RSS, and exit status.

    Its output goes to /dev/null: printing is not what is measured.
    """
    stdin_file = None
    if stdin is not None:
        stdin_file = open(stdin, "rb")  # noqa: SIM115 - closed below
    wall = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdin=stdin_file or subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - wall
    if stdin_file:
        stdin_file.close()
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return Cost(usage.ru_utime + usage.ru_stime, elapsed, usage.ru_maxrss / 1024), proc.returncode


def compiled_env(cache: Path) -> dict[str, str]:
    """The environment for Python children that run kslab from compiled bytecode, as an installed package
    does: ``PYTHONDONTWRITEBYTECODE`` dropped and the bytecode cached under ``cache`` (the bench's temporary
    directory, ``PYTHONPYCACHEPREFIX``). Run the command once untimed to fill it; otherwise, where the
    environment forbids writing bytecode, every timed run would compile kslab's source again (~0.06 s)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    return env


def best(costs: Sequence[Cost]) -> Cost:
    """The cheapest of several runs (by CPU), as is usual for costs disturbed by other work."""
    return min(costs, key=lambda c: c.cpu)


def load_average() -> str:
    """The 1/5/15-minute load average and the core count, to judge how noisy the wall times are."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def verdict(label: str, value: float, limit: float, *, at_most: bool = True, unit: str = "") -> bool:
    """Print one target line and return whether it is met."""
    ok = value <= limit if at_most else value >= limit
    sign = "<=" if at_most else ">="
    print(f"target {label}: {value:,.2f}{unit} {sign} {limit:,.2f}{unit}: {'met' if ok else 'NOT met'}")
    return ok
