"""``kslab pss FILE... [--level L] [--version V] [--json]``: the Pod Security verdict for each pod in the files.

Every Pod and every workload with a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
Job, CronJob, ReplicationController, PodTemplate) is judged as the API server's PodSecurity
admission would judge it; other objects are skipped with a note on standard error. Exit 0 when
everything is allowed, 1 when anything violates the level, 2 for unreadable input or bad options.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "pss", parents=parents, help="Pod Security Standards verdict for pods and workloads",
        description="Judge every Pod or pod template in the files against a Pod Security Standard, "
                    "with the API server's wording.",
        epilog="Exit codes: 0 all allowed, 1 some violate the level, 2 bad input or usage.")
    p.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON files (multi-document); - for stdin")
    p.add_argument("--level", default="restricted", choices=["privileged", "baseline", "restricted"],
                   help="the standard to judge against (default: restricted)")
    p.add_argument("--version", default="latest", metavar="VERSION",
                   help="policy version: latest (default) or v1.0 … v1.37, like the namespace label")
    p.set_defaults(func=run)


def judge_documents(paths: list[str], level: str, version: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows ``{file, kind, name, allowed, violations}`` for every pod in the files, and notes on the rest."""
    from kslab.manifests.load import load_objects
    from kslab.pss import NOT_A_POD, evaluate, parse_level, parse_version
    from kslab.pss.workloads import pod_parts

    level, version_ = parse_level(level), parse_version(version)  # bad options fail before reading files
    loaded = load_objects(paths)
    rows, notes = [], list(loaded.notes)
    for doc in loaded.documents:
        where = f"{doc.source}: line {doc.line}"
        if not doc.kind:
            notes.append(f"{where}: skipped a document that is not a Kubernetes object (no kind)")
            continue
        if pod_parts(doc.obj) is None:
            notes.append(f"{where}: {doc.kind} {doc.name or '(unnamed)'} skipped: {NOT_A_POD}")
            continue
        verdict = evaluate(doc.obj, level, version_)
        rows.append({"file": doc.source, "kind": doc.kind, "name": doc.name, "allowed": verdict.allowed,
                     "violations": [v.as_dict() for v in verdict.violations]})
    if not rows:
        notes.append("no Pods or pod templates found")
    return rows, notes


def run(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json

    rows, notes = judge_documents(args.files, args.level, args.version)
    for note in notes:
        sys.stderr.write(f"note: {note}\n")
    if args.json:
        emit_json(rows)
    else:
        policy = f"{args.level}:{args.version}"
        for row in rows:
            count = len(row["violations"])
            verdict = "PASS" if row["allowed"] else f"FAIL ({count} violation{'s' if count != 1 else ''})"
            print(f"{row['file']}: {row['kind']} {row['name'] or '(unnamed)'}: {verdict} at {policy}")
            for violation in row["violations"]:
                print(f"  - {violation['message']}")
    return 0 if all(row["allowed"] for row in rows) else 1
