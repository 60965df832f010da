"""Run kslab's fuzz targets (tests/test_fuzz.py) for longer than the test suite does.

    python tools/fuzz.py                      # every target, 1 minute each
    python tools/fuzz.py --minutes 10 duration kubeconfig   # targets whose name contains a word
    python tools/fuzz.py --list               # the targets

Each target runs in rounds of ``--examples`` fresh random examples (a new seed each round) until its
time is up; the first failure stops that target and prints Hypothesis' smallest failing input,
with the seed to replay it (``pytest --hypothesis-seed=SEED``). Exit 1 if any target failed.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS_FILE = ROOT / "tests" / "test_fuzz.py"


def targets() -> list[str]:
    """The fuzz targets' test names, in file order."""
    return re.findall(r"^def (test_fuzz_\w+)\(", TARGETS_FILE.read_text(encoding="utf-8"), flags=re.M)


def run_round(target: str, examples: int, seed: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KSLAB_FUZZ_EXAMPLES": str(examples)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--no-header",
         f"--hypothesis-seed={seed}", f"{TARGETS_FILE}::{target}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("words", nargs="*", help="run only targets whose name contains one of these")
    parser.add_argument("--minutes", type=float, default=1.0, help="time per target (default 1)")
    parser.add_argument("--examples", type=int, default=2000, help="examples per round (default 2000)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    chosen = [t for t in targets() if not args.words or any(w in t for w in args.words)]
    if args.list or not chosen:
        print("\n".join(targets()))
        return 0 if chosen or args.list else 2
    failed = []
    for target in chosen:
        deadline = time.monotonic() + args.minutes * 60
        rounds = 0
        while time.monotonic() < deadline:
            seed = random.SystemRandom().randrange(2 ** 32)
            done = run_round(target, args.examples, seed)
            rounds += 1
            if done.returncode != 0:
                print(f"FAIL {target} (round {rounds}, replay with --hypothesis-seed={seed})")
                print(done.stdout[-6000:])
                failed.append(target)
                break
        else:
            print(f"ok   {target}: {rounds} round(s) of {args.examples} examples, nothing found")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
