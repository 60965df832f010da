"""``kslab cluster``: the course's kind cluster and the labs' objects in any cluster.

    kslab cluster up                      create the course's kind cluster (a no-op if it exists)
    kslab cluster down                    delete it (a no-op if it is absent)
    kslab cluster status                  present? nodes, context, API reachable (exit 1 if absent)
    kslab cluster istio install|uninstall|status   Istio for lab 05
    kslab cluster check [--context CTX]   do you have the permissions each lab needs? (exit 1 if not)
    kslab cluster clean (LAB | --all) [--context CTX]   delete what kslab created, by its labels

Every subcommand takes ``--json``. Progress lines go to stderr when ``--json`` is given, so stdout
stays one JSON document.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("cluster", parents=parents, help="the course's kind cluster; clean-up",
                                   description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    up = sub.add_parser("up", parents=parents, help="create the course's kind cluster")
    up.add_argument("--wait", default="3m", help="how long kind waits for the control plane (default 3m)")
    sub.add_parser("down", parents=parents, help="delete the course's kind cluster")
    sub.add_parser("status", parents=parents, help="is the course's kind cluster there and answering?")
    sub.add_parser("config", parents=parents,
                   help="what the course cluster's configuration enforces (validated, no cluster needed)")
    istio = sub.add_parser("istio", parents=parents, help="install, uninstall or inspect Istio (lab 05)")
    istio.add_argument("istio_action", choices=["install", "uninstall", "status"])
    istio.add_argument("--context", help="kube context (default: KSLAB_CONTEXT or the course cluster)")
    check = sub.add_parser("check", parents=parents,
                           help="check with access reviews that you have the permissions the labs need")
    check.add_argument("--context", help="kube context to check (default: KSLAB_CONTEXT or the course cluster)")
    check.add_argument("-n", "--namespace", default=None,
                       help="namespace to check namespaced permissions in (default: the context's, else default)")
    clean = sub.add_parser("clean", parents=parents, help="delete what kslab created (by its labels)")
    which = clean.add_mutually_exclusive_group(required=True)
    which.add_argument("lab", nargs="?", help="the lab whose objects to delete, e.g. 03")
    which.add_argument("--all", action="store_true",
                       help="every lab's objects (never a classroom's: kslab classroom delete ends a class)")
    clean.add_argument("--context", help="kube context (default: KSLAB_CONTEXT or the course cluster)")
    parser.set_defaults(func=run)


def progress_for(args: argparse.Namespace) -> Any:
    """Where progress lines go: stderr under --json (stdout stays one JSON document), else stdout."""
    stream = sys.stderr if args.json else sys.stdout

    def show(line: str) -> None:
        stream.write(line + "\n")
        stream.flush()
    return show


def emit(args: argparse.Namespace, result: Any) -> None:
    """Print a result: its ``as_dict()`` as JSON under --json, else its text."""
    from kslab.cli.output import emit_json

    if args.json:
        emit_json(result.as_dict())
    else:
        print(result)


def run(args: argparse.Namespace) -> int:
    action = args.action
    if action in ("up", "down", "status"):
        from kslab.cluster import kind

        if action == "up":
            result: Any = kind.up(progress=progress_for(args), wait=args.wait)
        elif action == "down":
            result = kind.down(progress=progress_for(args))
        else:
            result = kind.status()
        emit(args, result)
        return 0 if action != "status" or result.exists else 1
    if action == "config":
        from kslab.course import kind_config

        design = kind_config.describe()
        problems = kind_config.validate()
        if args.json:
            from kslab.cli.output import emit_json

            emit_json({"design": dict(design.rows()), "problems": problems})
        else:
            print(design)
            print("\n".join(["", *problems]) if problems else "\nconfiguration valid (kind, kubeadm, "
                  "kubelet, admission and audit schemas; mounts cross-checked)")
        return 1 if problems else 0
    if action == "clean":
        from kslab.cli.context import live_lab
        from kslab.cluster.cleanup import check_lab_name, clean
        from kslab.errors import NotALabContext

        lab_name = None if args.all else check_lab_name(args.lab)
        lab = live_lab(args.context, "kslab cluster clean")
        if not lab.lab_context:  # clean-up deletes: never on a context nobody opted in
            raise NotALabContext(f"context {lab.context} is not a lab context, so kslab will not delete there",
                                 hint=f"if labs ran there, name it: kslab cluster clean ... --context {lab.context}")
        report = clean(lab, lab_name)
        emit(args, report)
        return 0
    if action == "check":
        from kslab.cli.context import live_lab
        from kslab.cluster.permissions import check_permissions

        permissions = check_permissions(live_lab(args.context, "kslab cluster check"), namespace=args.namespace)
        emit(args, permissions)
        return 0 if permissions.ok else 1
    if action == "istio":
        from kslab.cli.context import live_lab
        from kslab.cluster import istio

        lab = live_lab(args.context, f"kslab cluster istio {args.istio_action}")
        if args.istio_action == "install":
            result = istio.install(lab, progress=progress_for(args))
        elif args.istio_action == "uninstall":
            result = istio.uninstall(lab, progress=progress_for(args))
        else:
            result = istio.status(lab)
        emit(args, result)
        return 0 if args.istio_action != "status" or result.ready else 1
    raise AssertionError(action)  # argparse only lets the actions above through
