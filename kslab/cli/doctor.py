"""``kslab doctor [--json] [--no-probe]``: tools, versions, kube contexts, reachability and mode."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("doctor", parents=parents, help="check tools, packages and cluster access",
                              description="Check what this machine has for the course, and what to install next.")
    p.add_argument("--no-probe", action="store_true", help="do not contact any cluster")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.doctor import doctor

    report = doctor(probe_cluster=not args.no_probe)
    if args.json:
        emit_json({**report.as_dict(), "ok": report.ok})
    else:
        print(report)
    return 0 if report.ok else 1
