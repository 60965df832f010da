"""``kslab audit apiserver|kubelet (FILE | --live)`` and ``kslab audit import FILE``.

CIS-mapped (cis-1.12) audits of a kube-apiserver manifest or command line, a kubelet configuration,
or the live cluster's; ``import`` reads kube-bench's ``--json`` output into the same rows.
Exit codes: 0 every scored check passes, 1 a scored check FAILs, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from kslab.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover - for the type checker only: the command line imports lazily
    from kslab.audit.report import AuditReport


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("audit", parents=parents, help="CIS-mapped audits of the API server and kubelet",
                              description=__doc__.split("\n\n")[1])
    # --json may come before or after the target; after it, it must not reset one given before.
    sub_json = argparse.ArgumentParser(add_help=False)
    sub_json.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                          help="machine-readable output")
    parents = [sub_json]
    sub = p.add_subparsers(dest="target", metavar="TARGET")
    api = sub.add_parser("apiserver", parents=parents, help="audit a kube-apiserver",
                         description="Audit a kube-apiserver static pod manifest, a file holding its "
                                     "command line, or (--live) the cluster's own.")
    api.add_argument("file", nargs="?", metavar="FILE", help="manifest or command-line file (- for stdin)")
    api.add_argument("--live", action="store_true", help="audit the live cluster's kube-apiserver")
    api.add_argument("--encryption-config", metavar="FILE",
                     help="the EncryptionConfiguration file named by --encryption-provider-config (check 1.2.28)")
    api.set_defaults(func=run)
    kub = sub.add_parser("kubelet", parents=parents, help="audit a kubelet",
                         description="Audit a KubeletConfiguration file (YAML/JSON, or a /configz answer), "
                                     "optionally with the kubelet's command line, or (--live) a node's.")
    kub.add_argument("file", nargs="?", metavar="FILE", help="KubeletConfiguration file (- for stdin)")
    kub.add_argument("--cmdline", metavar="FILE", help="a file holding the kubelet's command line (flags win)")
    kub.add_argument("--live", action="store_true", help="audit a live node's kubelet via /configz")
    kub.add_argument("--node", help="with --live: which node (default: the first Ready one)")
    kub.set_defaults(func=run)
    imp = sub.add_parser("import", parents=parents, help="read kube-bench's --json output",
                         description="Show kube-bench's JSON result (kube-bench --json) as kslab audit rows.")
    imp.add_argument("file", metavar="FILE", help="kube-bench JSON output (- for stdin)")
    imp.set_defaults(func=run)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _live(target: str, node: str | None) -> AuditReport:
    import kslab  # noqa: PLC0415
    from kslab.audit import audit  # noqa: PLC0415
    from kslab.cluster.components import apiserver_input, kubelet_input  # noqa: PLC0415
    from kslab.errors import ApiError  # noqa: PLC0415

    lab = kslab.connect()
    lab.require_live(f"kslab audit {target} --live")
    visible = apiserver_input(lab) if target == "apiserver" else kubelet_input(lab, node)
    if visible.input is None:
        raise ApiError(f"cannot audit the live {target}: {visible.reason}",
                       hint=f"audit a file instead: kslab audit {target} FILE")
    return audit(visible.input)


def run(args: argparse.Namespace) -> int:
    from kslab.audit import audit_apiserver, audit_kubelet  # noqa: PLC0415
    from kslab.audit.kube_bench import import_kube_bench  # noqa: PLC0415
    from kslab.cli.output import emit_json  # noqa: PLC0415

    target = args.target
    if target == "import":
        report = import_kube_bench(args.file)
    else:
        given = [x for x in (args.file, args.live or None) if x]
        if len(given) != 1:
            raise UsageError(f"give either FILE or --live (got {'both' if given else 'neither'})",
                             hint=f"kslab audit {target} FILE, or kslab audit {target} --live")
        if args.live:
            report = _live(target, getattr(args, "node", None))
        elif target == "apiserver":
            report = audit_apiserver(args.file, encryption_config=args.encryption_config)
        else:
            report = audit_kubelet(args.file, command_line=args.cmdline)
    if args.json:
        emit_json(report.to_json())
    else:
        print(report)
    return report.exit_code
