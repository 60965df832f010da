"""``kslab mesh demo`` and ``kslab mesh record --out DIR``: the local mesh, no cluster and no root.

``demo`` runs one scenario (mutual TLS 1.3 by default) on 127.0.0.1, captures the wire and prints
what the proxies observed next to what the capture shows. ``record`` regenerates the bundled
captures (``kslab mesh record --out kslab/data/captures``) and their README.
Exit code 0 when every call got the answer the scenario expects (a refusal, for a plaintext
client under STRICT), else 1.
"""

from __future__ import annotations

import argparse
from typing import Any

CAPTURES = ("auto", "tcpdump", "tap", "none")


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    from kslab.mesh.scenarios import SCENARIOS

    p = subparsers.add_parser("mesh", help="the local mTLS mesh demo (no cluster, no root)",
                              description="A local bookinfo-like mesh with sidecars doing Istio-style mTLS.")
    sub = p.add_subparsers(dest="mesh_command", metavar="ACTION", required=True)
    d = sub.add_parser("demo", parents=parents, help="run one scenario and show its capture",
                       description="Run one scenario on 127.0.0.1 and summarise the captured wire. "
                                   "Scenarios: " + "; ".join(f"{n}: {s.description}" for n, s in SCENARIOS.items()))
    d.add_argument("--scenario", default="mtls-tls13", choices=list(SCENARIOS), help="default mtls-tls13")
    d.add_argument("--policy", choices=("STRICT", "PERMISSIVE"), help="override the scenario's PeerAuthentication mode")
    d.add_argument("--tls", choices=("1.2", "1.3"), help="override the scenario's TLS version")
    d.add_argument("--capture", choices=CAPTURES, default="auto",
                   help="auto: tcpdump when root, else the relay tap (default auto)")
    d.add_argument("--out", help="where to write the capture (default: kslab's state dir)")
    d.set_defaults(func=run_demo)
    r = sub.add_parser("record", parents=parents, help="regenerate the bundled captures",
                       description="Run every scenario and write <scenario>.pcap and README.md into DIR.")
    r.add_argument("--out", required=True, help="output directory, e.g. kslab/data/captures")
    r.add_argument("--capture", choices=CAPTURES[:3], default="auto", help="default auto")
    r.set_defaults(func=run_record)


def _expected(result: Any) -> bool:
    """Each call answered 200, except a plaintext client under STRICT, which must be refused."""
    from kslab.mesh.scenarios import PLAINTEXT

    strict = "STRICT" in result.settings
    for call in result.calls:
        refused_ok = call.caller == PLAINTEXT and strict
        for resp in call.responses:
            if resp.ok == refused_ok:
                return False
    return True


def run_demo(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.mesh.demo import run
    from kslab.pcap.summary import summarize

    overrides = {k: v for k, v in (("policy", args.policy), ("tls_version", args.tls)) if v}
    capture = None if args.capture == "none" else args.capture
    result = run(args.scenario, capture=capture, pcap=args.out, **overrides)
    summary = summarize(result.capture) if result.capture else None
    ok = _expected(result)
    if args.json:
        emit_json({"scenario": result.scenario, "settings": result.settings, "as_expected": ok,
                   "capture": str(result.capture) if result.capture else None,
                   "capture_method": result.capture_method,
                   "calls": [{"caller": c.caller, "responses": [vars(r) for r in c.responses]}
                             for c in result.calls],
                   "events": result.events, "summary": summary.to_dict() if summary else None})
    else:
        print(result)
        if summary is not None:
            print()
            print(summary.table())
            print(f"\nsee everything: kslab pcap summary {result.capture}")
        print("\nresult: as expected" if ok else "\nresult: NOT as expected")
    return 0 if ok else 1


def run_record(args: argparse.Namespace) -> int:
    from kslab.cli.output import emit_json
    from kslab.mesh.record import record

    results = record(args.out, capture=args.capture)
    ok = all(_expected(r) for r in results)
    if args.json:
        emit_json([{"scenario": r.scenario, "capture": str(r.capture), "capture_method": r.capture_method,
                    "as_expected": _expected(r)} for r in results])
    else:
        for r in results:
            print(f"{r.capture}: {r.capture_method}{'' if _expected(r) else '  (NOT as expected)'}")
        print(f"README: {args.out}/README.md")
    return 0 if ok else 1
