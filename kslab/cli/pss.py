"""``kslab pss FILE... [--level L] [--version V] [--json]``: the Pod Security verdict for each pod in the files.

Every Pod and every workload with a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
Job, CronJob, ReplicationController, PodTemplate) is judged as the API server's PodSecurity
admission would judge it; other objects are skipped with a note on standard error. Exit 0 when
everything is allowed, 1 when anything violates the level, 2 for unreadable input or bad options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
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


def judgements(paths: list[str], level: str, version: str, notes: list[str]) -> Iterator[dict[str, Any]]:
    """A row ``{file, kind, name, allowed, violations}`` per pod in the files, as each document is read.

    The files are parsed document by document and each is dropped once judged, so a huge file
    costs memory for one document at a time. Notes on what was skipped go to ``notes``.
    """
    from kslab.errors import InputError
    from kslab.manifests.load import iter_objects
    from kslab.pss import NOT_A_POD, evaluate, parse_level, parse_version
    from kslab.pss.workloads import pod_parts
    from kslab.text import brief, clip_name

    level, version_ = parse_level(level), parse_version(version)  # bad options fail before reading files
    for doc in iter_objects(paths, notes):
        if not doc.kind:
            notes.append(f"{doc.source}: line {doc.line}: skipped a document that is not a Kubernetes "
                         "object (no kind)")
            continue
        try:
            parts = pod_parts(doc.obj)
        except InputError as err:
            raise InputError(f"{doc.source}: line {doc.line}: {doc.kind} {brief(doc.name)}: {err.message}",
                             hint=err.hint) from None
        if parts is None:
            notes.append(f"{doc.source}: line {doc.line}: {clip_name(doc.kind)} {clip_name(doc.name or '(unnamed)')} skipped: "
                         f"{NOT_A_POD}")
            continue
        verdict = evaluate(doc.obj, level, version_)
        yield {"file": doc.source, "kind": doc.kind, "name": doc.name, "allowed": verdict.allowed,
               "violations": [v.as_dict() for v in verdict.violations]}


def run(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.text import clip_name

    notes: list[str] = []
    rows = judgements(args.files, args.level, args.version, notes)
    count = allowed = 0
    if args.json:  # rows are small: kept, so the output is one valid JSON document
        kept = list(rows)
        count, allowed = len(kept), sum(row["allowed"] for row in kept)
    else:  # printed as each document is judged
        policy = f"{args.level}:{args.version}"
        for row in rows:
            count += 1
            allowed += row["allowed"]
            n = len(row["violations"])
            verdict = "PASS" if row["allowed"] else f"FAIL ({n} violation{'s' if n != 1 else ''})"
            name = clip_name(row["name"]) if row["name"] else "(unnamed)"
            lines = [f"{row['file']}: {row['kind']} {name}: {verdict} at {policy}"]
            lines += [f"  - {violation['message']}" for violation in row["violations"]]
            sys.stdout.write("\n".join(lines) + "\n")  # one write per pod: output is escaped per write
    if not count:
        notes.append("no Pods or pod templates found")
    for note in notes:
        sys.stderr.write(f"note: {note}\n")
    if args.json:
        emit_json(kept)
    return 0 if allowed == count else 1
