"""``kslab sandbox``: the webapp of a pod manifest under a real OCI runtime (runc or crun), no cluster needed.

    kslab sandbox hack FILE [--container C]     run lab 03's hack in it; exit 1 if it disagrees with the prediction
    kslab sandbox shell FILE [--container C]    a shell in it, as the pod's user (like kubectl exec -it POD -- sh)
    kslab sandbox serve FILE [--port P]         serve its page on http://127.0.0.1:P/ until Ctrl-C (or --for S)
    kslab sandbox spec FILE [--container C]     the OCI config.json the securityContext becomes (nothing is run)
    kslab sandbox status                        whether a sandbox can run here (as root or rootless), and why not

Everything it shows is observed in a local sandbox, not on a Kubernetes node. Where no faithful
sandbox can run here (no runtime, not root, a pod the sandbox refuses) it exits 2 with the reason.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

SHELL_LIMIT = 3600  # seconds: a shell in the sandbox ends after an hour


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("sandbox", parents=parents, help="run the webapp in a local OCI sandbox",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    for name, helptext in (("hack", "run lab 03's hack in the sandbox"), ("shell", "open a shell in the sandbox"),
                           ("serve", "serve the page on a loopback port"),
                           ("spec", "print the OCI config.json (nothing is run)")):
        action = sub.add_parser(name, parents=parents, help=helptext)
        action.add_argument("file", metavar="FILE", help="a Pod or workload manifest (- for stdin)")
        action.add_argument("--container", "-c", help="the container (default: the first)")
        if name == "serve":
            action.add_argument("--port", type=int, default=0, help="loopback port (default: any free one)")
            action.add_argument("--for", dest="duration", type=float, default=0,
                                help="stop after this many seconds (default: until Ctrl-C)")
        if name == "shell":
            action.add_argument("--timeout", type=float, default=SHELL_LIMIT, help="end the shell after S seconds")
    sub.add_parser("status", parents=parents, help="can a sandbox run here? why not?")
    parser.set_defaults(func=run)


def _object(path: str) -> dict[str, Any]:
    from kslab.errors import InputError
    from kslab.manifests.load import load_objects
    from kslab.pss.workloads import pod_parts

    loaded = load_objects([path])
    pods = [d.obj for d in loaded.documents if d.kind and pod_parts(d.obj) is not None]
    if not pods:
        raise InputError(f"{path}: no Pod or pod template found", hint="give the webapp's Deployment or Pod")
    if len(pods) > 1:
        sys.stderr.write(f"note: {path} holds {len(pods)} pods; using the first\n")
    return pods[0]


def run(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json

    if args.action == "status":
        return _status(args)
    obj = _object(args.file)
    if args.action == "spec":
        from kslab.sandbox.machine import host_facts
        from kslab.sandbox.security import effective, refusal
        from kslab.sandbox.spec import IMAGE, BundlePaths, oci_spec

        why = refusal(obj, args.container)
        if why:
            from kslab.errors import InputError

            raise InputError(why, hint="a cluster would refuse this pod too; fix its securityContext")
        emit_json(oci_spec(effective(obj, args.container), IMAGE, host_facts(), BundlePaths("rootfs", {})))
        return 0
    if args.action == "hack":
        from kslab.hack import sandboxed

        report = sandboxed(obj, args.container)
        if args.json:
            emit_json(as_json(report))
        else:
            print(report)
        return 1 if report.disagreements else 0
    from kslab.sandbox import session

    if args.action == "shell":
        with session.webapp(obj, args.container) as running:
            sys.stderr.write(f"A shell in a local sandbox ({running.runtime.label}), not a Kubernetes node; "
                             "`exit` ends it and removes the sandbox.\n")
            return running.interactive(["/bin/sh"], timeout=args.timeout)
    from kslab.sandbox.security import SandboxRefused
    from kslab.sandbox.serve import Forwarder, rootless_refusal

    if rootless_refusal():
        raise SandboxRefused(rootless_refusal())
    with session.webapp(obj, args.container) as running, Forwarder(running.pid, args.port) as forwarder:
        if args.json:
            emit_json({"url": forwarder.url, "runtime": running.runtime.label, "observed": True})
        else:
            print(f"Serving the webapp from a local sandbox ({running.runtime.label}) at {forwarder.url} "
                  "(loopback only); Ctrl-C stops it and removes the sandbox.", flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0


def as_json(report: Any) -> dict[str, Any]:
    """``{runtime, observed: true, where, rows: [{step, works, output, predicted, agrees}]}`` for ``--json``."""
    return {"runtime": report.extra.get("runtime", ""), "observed": True, "where": report.observed_from,
            "rows": [{"step": r.step.id, "works": r.observed.works if r.observed else None,
                      "output": r.observed.shown if r.observed else "not run",
                      "predicted": r.predicted.shown, "agrees": r.agrees} for r in report.rows]}


def _rootless_note() -> str:
    """How a rootless run maps ids and what it bounds ('' as root)."""
    import os

    from kslab.sandbox import defaults, machine

    if os.geteuid() == 0:
        return ""
    plan = machine.rootless_plan()
    if not plan.ok:
        return ""
    maps = ", ".join(f"{m['containerID']}-{m['containerID'] + m['size'] - 1} -> {m['hostID']}-{m['hostID'] + m['size'] - 1}"
                     for m in plan.uid_mappings)
    return (f"rootless: a user namespace maps container uids {maps} (newuidmap/newgidmap); no cgroup limits, "
            f"memory bounded per process (RLIMIT_AS {defaults.ROOTLESS_ADDRESS_SPACE // 2**20} MiB), processes "
            "not bounded; `serve` needs root")


def _status(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.sandbox import available

    state = available()
    note = _rootless_note() if state.ok else ""
    data = {"available": state.ok, "runtime": state.runtime.label if state.runtime else None,
            "reason": state.reason, "rootless": bool(note), "note": note}
    if args.json:
        emit_json(data)
    else:
        print(f"sandbox: {'available' if state.ok else 'not available'}"
              + (f" ({state.runtime.label})" if state.runtime else "") + (f": {state.reason}" if state.reason else "")
              + (f"; {note}" if note else ""))
    return 0 if state.ok else 1
