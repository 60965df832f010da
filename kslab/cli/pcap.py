"""``kslab pcap summary FILE [--json]`` and ``kslab pcap view FILE [--flow N]``: what an eavesdropper sees.

The summary streams: each flow is printed as soon as it is over, so a capture of any size is
read in bounded memory (``--json`` streams a JSON document the same way). A capture without TCP
traffic prints "nothing to see" and exits 0; a file that is not a capture exits 2 with one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

#: Lines of `kslab pcap summary` gathered before each write.
WRITE_LINES = 4096


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("pcap", help="analyse a packet capture: what an eavesdropper sees",
                              description="Analyse pcap/pcapng captures: TCP flows, HTTP, TLS.")
    sub = p.add_subparsers(dest="pcap_command", metavar="ACTION", required=True)
    s = sub.add_parser("summary", parents=parents, help="per-flow facts: endpoints, HTTP, TLS, certificates",
                       description="Per TCP flow: endpoints, protocol, HTTP requests and responses, TLS "
                                   "version, cipher, SNI, ALPN offered and selected, certificates where visible.")
    s.add_argument("file", help="a .pcap or .pcapng file (tcpdump -w, tshark -w, Wireshark)")
    s.add_argument("--entropy", action="store_true", help="also estimate each direction's byte entropy")
    s.add_argument("--leaks", action="store_true", help="also list, per flow, what an eavesdropper sees")
    s.set_defaults(func=run_summary)
    v = sub.add_parser("view", parents=parents, help="a tcpdump -A-like view of one flow",
                       description="Each packet of one flow with its payload as text, like tcpdump -A.")
    v.add_argument("file", help="a .pcap or .pcapng file")
    v.add_argument("--flow", type=int, default=1, help="the flow number from `kslab pcap summary` (default 1)")
    v.add_argument("--packets", type=int, default=40, help="how many packets to show (default 40)")
    v.set_defaults(func=run_view)


def run_summary(args: argparse.Namespace) -> int:
    from kslab.pcap.summary import footer_line, header_line, iter_flows, nothing_to_see

    totals, flows = iter_flows(args.file, entropy=args.entropy)
    out = sys.stdout
    if args.json:
        out.write(f'{{"file": {json.dumps(totals.file)}, "format": {json.dumps(totals.format)}, "flows": [')
        for i, flow in enumerate(flows):
            out.write(("," if i else "") + "\n  " + json.dumps(flow.to_dict(), default=str))
        rest = {k: v for k, v in totals.to_dict().items() if k not in ("file", "format")}
        rest["nothing_to_see"] = nothing_to_see(totals)
        out.write("\n], " + json.dumps(rest)[1:] + "\n")
        return 0
    out.write(header_line(totals) + "\n")
    # Written a few hundred flows at a time: one write per flow costs more than the flow's analysis
    # on a capture of many small connections (the stream escapes every write, see PrintableStream).
    pending: list[str] = []
    for flow in flows:
        pending.append("")
        pending.extend(flow.lines())
        if args.leaks:
            for leak in flow.eavesdropper():
                mark = "SEES  " if leak.visible else "hidden"
                pending.append(f"    {mark}  {leak.fact}: {leak.value}")
        if len(pending) > WRITE_LINES:
            out.write("\n".join(pending) + "\n")
            pending.clear()
    if pending:
        out.write("\n".join(pending) + "\n")
    out.write("\n" + footer_line(totals) + "\n")
    return 0


def run_view(args: argparse.Namespace) -> int:
    from kslab.errors import UsageError
    from kslab.pcap.view import view

    if args.packets < 1 or args.flow < 1:
        raise UsageError("--flow and --packets must be positive numbers")
    text = view(args.file, args.flow, packets=args.packets)
    if args.json:
        from kslab.cli.output import emit_json

        emit_json({"file": args.file, "flow": args.flow, "view": text.splitlines()})
    else:
        print(text)
    return 0
