"""Fuzz the YAML/JSON loader for longer than the test suite does, with fresh random examples.

    python tools/fuzz_yaml.py                 # 20,000 examples per target (a few minutes each)
    python tools/fuzz_yaml.py 200000 -k bytes  # more, one target

The targets are the properties in tests/test_manifests_fuzz.py (the suite runs them briefly and
deterministically); a failure prints the smallest input hypothesis found.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    examples = argv[0] if argv and argv[0].isdigit() else "20000"
    rest = argv[1:] if argv and argv[0].isdigit() else argv
    env = {**os.environ, "KSLAB_FUZZ_EXAMPLES": examples}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_manifests_fuzz.py"),
           "--hypothesis-show-statistics", *rest]
    return subprocess.run(cmd, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
