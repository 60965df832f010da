"""Fuzz a parser's targets for longer than the test suite does, with fresh random examples.

    python tools/fuzz_suite.py yaml                 # the YAML/JSON loader: 20,000 examples per target
    python tools/fuzz_suite.py pcap 200000 -k tls   # the capture parsers: more, one target

The targets are the properties in tests/test_manifests_fuzz.py (yaml) and tests/test_pcap_fuzz.py (pcap);
the suite runs them briefly and deterministically. A failure prints the smallest input hypothesis found.
(tools/fuzz.py runs tests/test_fuzz.py's targets by time instead.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"yaml": "test_manifests_fuzz.py", "pcap": "test_pcap_fuzz.py"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SUITES:
        print(f"usage: python tools/fuzz_suite.py {{{'|'.join(SUITES)}}} [EXAMPLES] [pytest args]", file=sys.stderr)
        return 2
    suite, argv = SUITES[argv[0]], argv[1:]
    examples = argv[0] if argv and argv[0].isdigit() else "20000"
    rest = argv[1:] if argv and argv[0].isdigit() else argv
    env = {**os.environ, "KSLAB_FUZZ_EXAMPLES": examples}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / suite),
           "--hypothesis-show-statistics", *rest]
    return subprocess.run(cmd, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
