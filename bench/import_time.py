"""How long `import kslab` takes, against `import kubernetes` measured in the same run.

Each import runs in a fresh interpreter (so nothing is cached in-process), several times; the best
(minimum) wall time is reported, as is usual for start-up costs. Target: kslab <= 0.3 s.

    python bench/import_time.py
"""

from __future__ import annotations

import subprocess
import sys
import time

RUNS = 7
TARGET = 0.3


def best_import_time(module: str) -> float:
    """Minimum wall time of `python -c "import <module>"` minus the bare interpreter start-up."""
    def run(code: str) -> float:
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - start)
        return min(times)

    return max(run(f"import {module}") - run("pass"), 0.0)


def main() -> int:
    kslab_s = best_import_time("kslab")
    k8s_s = best_import_time("kubernetes")
    print(f"import kslab      {kslab_s * 1000:7.1f} ms (beyond interpreter start-up)")
    print(f"import kubernetes {k8s_s * 1000:7.1f} ms (reference, same run)")
    print(f"ratio kslab / kubernetes = {kslab_s / k8s_s:.3f}")
    ok = kslab_s <= TARGET
    print(f"target <= {TARGET:.1f} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
