"""Run kslab's fuzz targets for minutes instead of the test suite's seconds, with fresh random seeds.

    python tools/fuzz.py --list                        # every target, by suite
    python tools/fuzz.py                               # every target of every suite, 1 minute each
    python tools/fuzz.py --minutes 10 pcap             # the capture parsers' targets, 10 minutes each
    python tools/fuzz.py --minutes 10 -k duration -k tls --jobs 2   # some targets, two at a time

The suites are the fuzz files the test suite runs briefly and deterministically:
``inputs`` (tests/test_fuzz.py: Go durations and integers, command lines, kubeconfigs, rosters, the
progress file, bounded messages and escaping, the command line's argument paths), ``yaml``
(tests/test_manifests_fuzz.py: the YAML/JSON loader) and ``pcap`` (tests/test_pcap_fuzz.py: the capture,
TLS, HTTP and certificate parsers). A target is every ``@given`` test of those files.

Each target runs in rounds of fresh random examples (a new seed each round, ``KSLAB_FUZZ_EXAMPLES``
examples sized to about a minute) until its time is up, and the runner prints how many examples it ran
and what it found. The first failure stops that target and prints Hypothesis' smallest failing input
with the seed to replay it (``pytest --hypothesis-seed=SEED``); a round that runs far past its expected
time is killed and reported as a hang. Exit 1 if any target failed or hung. Run it niced on a shared
machine: ``nice -n 19 python tools/fuzz.py ...``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"inputs": "test_fuzz.py", "yaml": "test_manifests_fuzz.py", "pcap": "test_pcap_fuzz.py"}
# A round aims at this many seconds: long enough that pytest's start-up is small beside it,
# short enough that the last round ends close to the deadline.
ROUND_SECONDS = 90.0
FIRST_ROUND = 50
MAX_ROUND = 200_000
_GIVEN_TEST = re.compile(r"^@given\((?:.|\n)*?^def (test_\w+)\(", re.M)
# Hypothesis 6 writes "- 50 passing, 0 failing, and 0 invalid test cases" (older: "... examples").
_EXAMPLES = re.compile(r"- during generate phase[^\n]*\n(?:(?!\s*- during)[^\n]*\n)*?\s*- (\d+) passing\b[^,]*, (\d+) failing")
_print_lock = threading.Lock()


@dataclass(frozen=True)
class Target:
    suite: str
    name: str

    @property
    def node(self) -> str:
        return f"tests/{SUITES[self.suite]}::{self.name}"


@dataclass
class Result:
    target: Target
    minutes: float
    examples: int
    rounds: int
    outcome: str  # "nothing found", "FAIL ...", "HANG ..."
    detail: str = ""


def targets(suites: list[str] | None = None) -> list[Target]:
    """Every ``@given`` test of the chosen suites' files, in file order.

    >>> any(t.name == "test_tls_connection" for t in targets(["pcap"]))
    True
    """
    found = []
    for suite in suites or list(SUITES):
        text = (ROOT / "tests" / SUITES[suite]).read_text(encoding="utf-8")
        found += [Target(suite, name) for name in _GIVEN_TEST.findall(text)]
    return found


def examples_run(pytest_output: str) -> int:
    """Examples Hypothesis ran in its generate phase, read from ``--hypothesis-show-statistics``."""
    return sum(int(passing) + int(failing) for passing, failing in _EXAMPLES.findall(pytest_output))


def _round(target: Target, examples: int, seed: int, timeout: float) -> tuple[int | None, str]:
    env = {**os.environ, "KSLAB_FUZZ_EXAMPLES": str(examples)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--no-header",
           "--hypothesis-show-statistics", f"--hypothesis-seed={seed}", target.node]
    try:
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                              timeout=timeout)
    except subprocess.TimeoutExpired as hung:
        out = hung.stdout.decode(errors="replace") if isinstance(hung.stdout, bytes) else (hung.stdout or "")
        return None, out
    return done.returncode, done.stdout + done.stderr


def fuzz(target: Target, minutes: float) -> Result:
    """Run one target in rounds of fresh seeds until ``minutes`` are up or it fails."""
    start = time.monotonic()
    deadline = start + minutes * 60
    size, total, rounds = FIRST_ROUND, 0, 0
    while time.monotonic() < deadline:
        seed = random.SystemRandom().randrange(2 ** 32)
        began = time.monotonic()
        expected = ROUND_SECONDS if rounds else 30.0
        code, out = _round(target, size, seed, timeout=max(300.0, 5 * expected))
        took = time.monotonic() - began
        rounds += 1
        ran = examples_run(out)
        total += ran
        spent = (time.monotonic() - start) / 60
        if code is None:
            return Result(target, spent, total, rounds, f"HANG (round of {size} killed after {took:.0f} s, "
                                                        f"seed {seed})", out[-4000:])
        if code != 0:
            return Result(target, spent, total, rounds, f"FAIL (replay: --hypothesis-seed={seed})", out[-6000:])
        rate = max(ran, 1) / max(took, 0.1)
        left = deadline - time.monotonic()
        size = int(max(10, min(MAX_ROUND, rate * min(ROUND_SECONDS, left))))
    return Result(target, (time.monotonic() - start) / 60, total, rounds, "nothing found")


def _report(result: Result) -> None:
    with _print_lock:
        print(f"{'ok  ' if result.outcome == 'nothing found' else 'FAIL'} {result.target.node}: "
              f"{result.minutes:.1f} min, {result.examples:,} examples in {result.rounds} round(s), "
              f"{result.outcome}", flush=True)
        if result.detail:
            print(result.detail, flush=True)


def table(results: list[Result]) -> str:
    """The results as a Markdown table, as docs/hardening.md records them."""
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    rows = ["| target | minutes | examples | outcome | date |", "|---|--:|--:|---|---|"]
    rows += [f"| `{r.target.suite}` {r.target.name} | {r.minutes:.1f} | {r.examples:,} | {r.outcome} | {day} |"
             for r in results]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", metavar="suite",
                        help=f"run only these suites ({', '.join(SUITES)}; default all)")
    parser.add_argument("-k", dest="words", action="append", default=[], metavar="TARGET",
                        help="run only targets whose name contains this (repeatable)")
    parser.add_argument("--minutes", type=float, default=1.0, help="time per target (default 1)")
    parser.add_argument("--jobs", type=int, default=1, help="targets run at the same time (default 1)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    unknown = [s for s in args.suites if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite {unknown[0]!r} (choose from {', '.join(SUITES)})")
    every = targets(args.suites or None)
    chosen = [t for t in every if not args.words or any(w in t.name for w in args.words)]
    if args.list or not chosen:
        print("\n".join(t.node for t in (chosen or every)))
        return 0 if chosen else 2
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(fuzz, t, args.minutes) for t in chosen]
        for future in futures:  # each target is reported the moment it ends
            future.add_done_callback(lambda f: _report(f.result()))
        results = [f.result() for f in futures]
    print(table(results), flush=True)
    return 0 if all(r.outcome == "nothing found" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
