"""How long `import kslab` takes, against `import kubernetes` measured in the same run.

Each import runs in a fresh interpreter (so nothing is cached in-process), several times; the best
(least CPU) run is reported, as is usual for start-up costs, minus a bare interpreter's start-up.
CPU time (user + system, from wait4) is what is judged; wall time is printed beside it.
Target: kslab <= 0.3 s.

    python bench/import_time.py
"""

from __future__ import annotations

import sys

from _measure import Cost, best, child, load_average

RUNS = 7
TARGET = 0.3


def import_cost(module: str) -> Cost:
    """Least CPU (and its wall time) of `python -c "import <module>"` minus the bare interpreter's."""
    def run(code: str) -> Cost:
        return best([child([sys.executable, "-c", code])[0] for _ in range(RUNS)])

    bare, cost = run("pass"), run(f"import {module}")
    return Cost(max(cost.cpu - bare.cpu, 0.0), max(cost.wall - bare.wall, 0.0))


def main() -> int:
    print(load_average())
    kslab = import_cost("kslab")
    k8s = import_cost("kubernetes")
    print(f"import kslab      {kslab}  (beyond interpreter start-up)")
    print(f"import kubernetes {k8s}  (reference, same run)")
    print(f"ratio kslab / kubernetes = {kslab.cpu / k8s.cpu:.3f} (CPU)")
    ok = kslab.cpu <= TARGET
    print(f"target <= {TARGET:.1f} s CPU: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
