"""``kslab modernize FILE... [--target-version v1.N] [--json] [--write DIR]``: 2019 -> today, explained.

Reads manifests (YAML/JSON) or scripts and texts (shell lines, here-document manifests), reports
every change a Kubernetes ``v1.N`` cluster needs (default: latest, v1.36) with its rule, releases,
replacement, reason and source, and with ``--write DIR`` writes the modern files, validated.
Exit 0 nothing to change, 1 changes found (or a written document is invalid), 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "modernize", parents=parents, help="turn 2019-era manifests and commands into today's, explained",
        description="Find what in manifests or scripts no longer works on a current cluster — removed API "
                    "versions, PodSecurityPolicy, misplaced security settings, hostPort, token Secrets, "
                    "Istio's alpha APIs, old kubectl/istioctl commands and kube-apiserver flags — and say "
                    "what replaces each, and why.",
        epilog="Exit codes: 0 nothing to change, 1 changes found, 2 bad input or usage.")
    p.add_argument("files", nargs="+", metavar="FILE", help="manifests (YAML/JSON) or scripts/texts; - for stdin")
    p.add_argument("--target-version", default="latest", metavar="v1.N",
                   help="the Kubernetes release to modernise for (default: latest = v1.36)")
    p.add_argument("--write", metavar="DIR",
                   help="write the modern files into DIR (not an input's folder), each document validated")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.manifests.load import read_source
    from kslab.modernize.report import Report
    from kslab.modernize.run import modernize_source, parse_target

    target = parse_target(args.target_version)  # bad options fail before reading anything
    results = []
    for path in args.files:
        text, name = read_source(path)
        results.append(modernize_source(text, name, target))
    report = Report(target, results)
    code = report.exit_code
    written = []
    if args.write:
        from kslab.modernize.writer import write

        written = write(report, args.write)
        if any(w.problems for w in written):
            code = 1
    for note in report.notes:
        sys.stderr.write(f"note: {note}\n")
    if args.json:
        emit_json(report.rows())
    else:
        print(report)
    for w in written:
        verdict = "valid" if not w.problems else "INVALID: " + "; ".join(w.problems)
        what = f"{w.documents} document{'s' if w.documents != 1 else ''}"
        if w.script:
            what = f"the script, with {what} embedded"
        sys.stderr.write(f"wrote {w.path} ({what}, {verdict} for v1.{target})\n")
        for item in w.left_out:
            sys.stderr.write(f"  left out: {item}\n")
        for item in w.unchecked:
            sys.stderr.write(f"  not validated: {item}\n")
    return code
