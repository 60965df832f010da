"""How long each course notebook takes to run offline, its slowest cells, and what its kernel imported.

Each notebook is converted from its source and executed as ``tools/notebooks.py build`` does
(KSLAB_MODE=offline, a throw-away KSLAB_HOME) in a fresh kernel, without storing anything. Reported
per notebook: wall time, the kernel's CPU time (user + system of the finished kernel process, from
``getrusage(RUSAGE_CHILDREN)``), the ratio to an empty notebook's kernel measured in the same run
(the cost of starting a kernel at all), the slowest cells, and which heavy modules the kernel ended
up importing (``rfc3987_syntax`` means someone paid for its grammar build; ``pandas`` for a table).

    python bench/notebooks.py            # every notebook
    python bench/notebooks.py 03 04      # some
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from _measure import Cost, load_average

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

SLOWEST = 3
WATCHED = ("rfc3987_syntax", "jsonschema", "pandas", "matplotlib", "kubernetes", "scapy")
REPORT = "import sys, json; print('KSLAB-BENCH ' + json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(nb: Any, cwd: Path) -> tuple[Cost, list[tuple[float, str]], list[str]]:
    """Execute a notebook in a fresh kernel: its cost, (seconds, first line) per cell, modules seen."""
    import nbformat
    from nbclient import NotebookClient

    nb.cells.append(nbformat.v4.new_code_cell(REPORT.format(watched=WATCHED)))
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="kslab-bench-nb-") as home:
        os.environ.update({"KSLAB_MODE": "offline", "KSLAB_HOME": home})
        os.environ.pop("KSLAB_CONTEXT", None)
        cpu, wall = _children_cpu(), time.perf_counter()
        try:
            NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=True,
                           resources={"metadata": {"path": str(cwd)}}).execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        cost = Cost(_children_cpu() - cpu, time.perf_counter() - wall)
    cells = []
    for cell in nb.cells[:-1]:
        timing = cell.metadata.get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            seconds = (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()
            first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")),
                         cell.source.splitlines()[0] if cell.source else "")
            cells.append((seconds, first[:70]))
    modules: list[str] = []
    for out in nb.cells[-1].get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith("KSLAB-BENCH "):
                modules = json.loads(line.split(" ", 1)[1])
    return cost, cells, modules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="*", help="notebook numbers (e.g. 03); default all")
    args = parser.parse_args()
    import nbformat
    from notebooks import NB_DIR, convert, sources

    print(load_average())
    empty, _, empty_modules = run(nbformat.v4.new_notebook(), NB_DIR)
    print(f"empty notebook (a kernel starting)   {empty}  (reference); imports {empty_modules or 'none watched'}")
    for src in sources():
        if args.which and src.stem[:2] not in args.which:
            continue
        cost, cells, modules = run(convert(src), NB_DIR)
        print(f"{src.stem:<34} {cost}  ratio {cost.cpu / empty.cpu:.1f}x; imports {', '.join(modules) or 'none watched'}")
        for seconds, first in sorted(cells, reverse=True)[:SLOWEST]:
            print(f"    {seconds:6.2f} s  {first}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
