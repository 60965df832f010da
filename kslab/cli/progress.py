"""``kslab progress [NOTEBOOK] [--json] [--reset ID|--reset-all]``: the student's exercise progress."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("progress", parents=parents, help="show exercise progress",
                              description="Show which exercises you have passed (kept outside the repo).")
    p.add_argument("notebook", nargs="?", help="only this notebook, e.g. 03")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--reset", metavar="ID", help="forget one exercise's progress")
    group.add_argument("--reset-all", action="store_true", help="forget all progress")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    import warnings

    from kslab.cli.output import emit_json, format_table
    from kslab.errors import UsageError
    from kslab.exercises import all_exercises, progress_rows
    from kslab.exercises.progress import ProgressStore, ProgressWarning
    from kslab.text import brief

    exercises = all_exercises()
    notebooks = sorted({ex.notebook for ex in exercises.values()})
    notebook = args.notebook.zfill(2) if args.notebook else None
    if notebook is not None and notebook not in notebooks:
        raise UsageError(f"no notebook {brief(args.notebook)}", hint=f"the notebooks are {', '.join(notebooks)}")
    if args.reset and args.reset not in exercises:
        raise UsageError(f"no exercise {brief(args.reset)}", hint="`kslab progress` lists the ids")
    store = ProgressStore()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgressWarning)
        if args.reset or args.reset_all:
            store.reset(args.reset)
        rows = progress_rows(store, notebook)
    for warning in caught:  # said once, as the command line says things, not as a Python warning
        sys.stderr.write(f"kslab progress: warning: {warning.message}\n")
    if args.json:
        emit_json(rows)
    else:
        print(format_table(rows, ["id", "status", "attempts", "hints", "title"]))
        done = sum(r["status"] == "PASS" for r in rows)
        print(f"\n{done} of {len(rows)} exercises passed. Progress file: {store.path}")
    return 0
