"""``kslab classroom``: one shared cluster for a whole class, each student isolated in a namespace.

    kslab classroom create --context CTX (--students N | --roster FILE) [--out DIR] [--hub-namespace NS]
                           [--token-expiry 24h] [--server URL] [--dry-run]
    kslab classroom status --context CTX (--students N | --roster FILE | --all)
    kslab classroom delete --context CTX (--students N | --roster FILE | --all) [--wait SECONDS]
    kslab classroom verify --context CTX (--students N | --roster FILE) [--hub-namespace NS] [--predicted]
    kslab classroom progress --context CTX (--students N | --roster FILE) [--lab NN] [-w [--interval S]]

The cluster is always named with ``--context``: a classroom is never made on whatever the current
context happens to be. ``create --dry-run`` prints the objects as YAML and ``verify --predicted``
runs the isolation proof with kslab's RBAC evaluator; neither needs a cluster. ``progress`` shows
every student's exercise checks (mirrored by their notebooks into their namespace). Exit codes: 0 ok;
1 verify found a leak or a missing permission, or status found something missing; 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.cluster.lab import Lab

ACTIONS = ("create", "status", "delete", "verify", "progress")
#: ``progress --watch``: seconds between refreshes by default, and the most refreshes one run makes.
WATCH_INTERVAL = 5.0
WATCH_MAX = 720


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("classroom", parents=parents,
                                   help="one shared cluster for a class: namespaces, kubeconfigs, isolation proof",
                                   description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    helps = {"create": "create (or update) every student's namespace, role binding and kubeconfig",
             "status": "what exists of the classroom", "delete": "delete exactly what create made",
             "verify": "prove with access reviews that each student is confined to their namespace",
             "progress": "every student's exercise progress: who is stuck where"}
    for action in ACTIONS:
        p = sub.add_parser(action, parents=parents, help=helps[action])
        p.add_argument("--context", help="the kube context of the class's cluster (required: named explicitly)")
        who = p.add_mutually_exclusive_group()
        who.add_argument("--students", type=int, metavar="N", help="N students: student-01 … student-N")
        who.add_argument("--roster", metavar="FILE", help="one student per line, or a CSV with a name column")
        if action in ("status", "delete"):
            who.add_argument("--all", action="store_true", help="every classroom student found on the cluster")
        p.add_argument("--prefix", default="kslab-", help="namespace prefix: <prefix><student> (default kslab-)")
        if action in ("create", "verify"):
            p.add_argument("--hub-namespace", metavar="NS",
                           help="JupyterHub's namespace: where the students' kubeconfig Secrets live")
        if action == "create":
            p.add_argument("--out", metavar="DIR",
                           help="write each student's kubeconfig here (0600; not in a git repository)")
            p.add_argument("--token-expiry", default="24h", metavar="DURATION",
                           help="lifetime of the students' tokens, e.g. 8h, 24h, 7d (default 24h)")
            p.add_argument("--server", metavar="URL",
                           help="API server URL written into the kubeconfigs (default: your kubeconfig's); "
                                "from JupyterHub pods: https://kubernetes.default.svc")
            p.add_argument("--psa-version", default="latest", help="Pod Security policy version (default latest)")
            p.add_argument("--dry-run", action="store_true", help="print the objects as YAML; no cluster needed")
        if action in ("create", "delete", "verify"):
            p.add_argument("--workers", type=int, default=16, help="requests in flight at once (default 16)")
        if action == "delete":
            p.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                           help="wait up to this long for the namespaces to be gone")
        if action == "verify":
            p.add_argument("--predicted", action="store_true",
                           help="only kslab's RBAC evaluator on the generated objects; no cluster needed")
        if action == "progress":
            p.add_argument("--lab", metavar="NN", help="one column per exercise of this lab, e.g. 03")
            p.add_argument("-w", "--watch", action="store_true",
                           help=f"refresh until Ctrl-C (at most {WATCH_MAX} times; JSON: one object per line)")
            p.add_argument("--interval", type=float, default=WATCH_INTERVAL, metavar="SECONDS",
                           help=f"seconds between refreshes with --watch (default {WATCH_INTERVAL:g}, at least 1)")
    parser.set_defaults(func=run)


def _students(args: argparse.Namespace) -> list[Any] | None:
    from kslab.classroom.roster import choose
    from kslab.errors import UsageError

    if getattr(args, "all", False):
        return None
    if args.students is None and args.roster is None:
        extra = " | --all" if args.action in ("status", "delete") else ""
        raise UsageError(f"say who is in the class: --students N | --roster FILE{extra}",
                         hint="e.g. kslab classroom create --context CTX --students 30")
    return choose(args.students, args.roster)


def _connect(args: argparse.Namespace) -> Lab:
    import kslab
    from kslab.errors import UsageError

    if not args.context:
        raise UsageError(f"kslab classroom {args.action} needs the cluster named: --context CTX",
                         hint="a classroom is never made on whatever your current context is; "
                              "`kubectl config get-contexts` lists yours")
    return kslab.connect(mode="live", context=args.context)


def _warn_renamed(students: list[Any]) -> None:
    for s in students or []:
        if getattr(s, "renamed", False):
            sys.stderr.write(f"note: roster line {s.line}: {s.written!r} is the student {s.name!r} "
                             "(JupyterHub users must be named so too, or their kubeconfig Secret is not found)\n")


def _dry_run(args: argparse.Namespace, names: list[str]) -> int:
    import yaml

    from kslab.classroom.objects import classroom_objects, secret_name
    from kslab.cli.output import emit_json

    objs = classroom_objects(names, prefix=args.prefix, psa_version=args.psa_version)
    if args.json:
        emit_json({"apiVersion": "v1", "kind": "List", "items": objs}, whole=True)  # for kubectl apply -f -
        return 0
    hub = args.hub_namespace
    where = f" and Secrets {secret_name('<student>', args.prefix)} in {hub}" if hub else ""
    print(f"# kslab classroom create --dry-run: {len(names)} student(s), {len(objs)} objects (offline).\n"
          f"# Not shown: each student's kubeconfig{where} — a bound token needs the live API server.")
    print(yaml.safe_dump_all(objs, sort_keys=False), end="")
    return 0


def _colour(text: str) -> str:
    """Passed in the terminal's "good" colour, tried-not-passed in its "warning" colour; the caller
    colours only a terminal without NO_COLOR (:func:`kslab.views.styles.terminal_colours`)."""
    import re

    from kslab.views.styles import terminal

    text = re.sub(r"\bPASS \d+", lambda m: terminal(m.group(0), "good", enabled=True), text)
    text = re.sub(r"\btry \d+", lambda m: terminal(m.group(0), "warning", enabled=True), text)
    return re.sub(r"^stuck .*$", lambda m: terminal(m.group(0), "warning", enabled=True), text, flags=re.M)


def _progress(args: argparse.Namespace, names: list[str]) -> int:
    import json
    import time

    from kslab.cli.output import emit_json
    from kslab.errors import UsageError
    from kslab.exercises import NOTEBOOK_MODULES
    from kslab.exercises.mirror import class_progress
    from kslab.views.styles import terminal_colours

    lab_id = args.lab.zfill(2) if args.lab else None
    if lab_id is not None and lab_id not in NOTEBOOK_MODULES:
        raise UsageError(f"no lab {args.lab!r}", hint=f"one of {', '.join(NOTEBOOK_MODULES)}")
    if args.interval < 1:
        raise UsageError("--interval must be at least 1 second", hint=f"the default is {WATCH_INTERVAL:g}")
    lab = _connect(args)
    clear = args.watch and not args.json and sys.stdout.isatty()
    colour = not args.json and terminal_colours(sys.stdout)
    try:
        for n in range(WATCH_MAX if args.watch else 1):
            if n:
                time.sleep(args.interval)
            view = class_progress(lab, names, prefix=args.prefix)
            if args.json:
                if args.watch:
                    print(json.dumps(view.as_dict(), default=str), flush=True)
                else:
                    emit_json(view.as_dict())
            else:
                if clear:
                    sys.stdout.write("\x1b[H\x1b[2J")
                print(_colour(view.text(lab_id)) if colour else view.text(lab_id), flush=True)
                if args.watch:
                    print(f"\n(refreshing every {args.interval:g}s; Ctrl-C stops)", flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def run(args: argparse.Namespace) -> int:
    from kslab.classroom.objects import check_prefix
    from kslab.cli.output import emit_json
    from kslab.errors import UsageError

    check_prefix(args.prefix)
    students = _students(args)
    names = None if students is None else [s.name for s in students]
    if getattr(args, "workers", 1) < 1:
        raise UsageError("--workers must be at least 1", hint="the default, 8, suits most clusters")
    if args.action == "create":
        from kslab.classroom.durations import parse_duration
        from kslab.classroom.output import check_out_dir

        expiry = parse_duration(args.token_expiry)
        if args.out:
            check_out_dir(args.out)
    _warn_renamed(students or [])
    if args.action == "progress":
        return _progress(args, names or [])
    if args.action == "create" and args.dry_run:
        return _dry_run(args, names or [])
    if args.action == "verify" and args.predicted:
        from kslab.classroom.verify import predicted

        report: Any = predicted(names or [], prefix=args.prefix, hub_namespace=args.hub_namespace)
        emit_json(report.as_dict()) if args.json else print(report)
        return 0 if report.ok else 1

    from kslab.cluster import classroom

    lab = _connect(args)
    def to_stderr(line: str) -> None:
        sys.stderr.write(line + "\n")

    progress = to_stderr if not args.json else None
    if args.action == "create":
        report = classroom.create(lab, names or [], prefix=args.prefix, psa_version=args.psa_version, out=args.out,
                                  hub_namespace=args.hub_namespace, expiration_seconds=expiry,
                                  server=args.server, workers=args.workers, progress=progress)
        code = 0
    elif args.action == "status":
        report = classroom.status(lab, names, prefix=args.prefix)
        code = 0 if report.ready else 1
    elif args.action == "delete":
        report = classroom.delete(lab, names, prefix=args.prefix, wait=args.wait, workers=args.workers)
        code = 0
    else:
        report = classroom.verify(lab, names or [], prefix=args.prefix, hub_namespace=args.hub_namespace,
                                  workers=args.workers)
        code = 0 if report.ok else 1
    emit_json(report.as_dict()) if args.json else print(report)
    return code
