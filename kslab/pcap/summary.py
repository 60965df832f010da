"""The entry points: a whole capture for a notebook, or its flows streamed, and the side-by-side checklist.

:func:`summarize` reads a whole capture into a :class:`~kslab.pcap.facts.CaptureSummary` (for
notebooks), :func:`iter_flows` streams the flows of a capture of any size (for the command line).
The facts themselves are plain data in :mod:`kslab.pcap.facts`, shown as text by
:mod:`kslab.pcap.render`; what leaks to an eavesdropper is the table of rules in
:mod:`kslab.pcap.leaks` (all re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kslab.pcap.facts import CaptureSummary, FlowSummary, TlsFacts, Totals, tls_facts
from kslab.pcap.leaks import LEAK_RULES, Leak
from kslab.pcap.render import flow_row, footer_line, header_line, nothing_to_see, render_flow
from kslab.pcap.text import human_bytes, printable
from kslab.views.tables import Table

__all__ = ["LEAK_RULES", "CaptureSummary", "FlowSummary", "Leak", "TlsFacts", "Totals", "flow_row", "footer_line",
           "header_line", "human_bytes", "iter_flows", "nothing_to_see", "printable", "render_flow",
           "side_by_side", "summarize", "tls_facts"]


def side_by_side(flows: dict[str, FlowSummary], *, width: int = 27, fact_width: int = 21) -> Table:
    """The eavesdropper's checklist for several flows, one column each, every value whole: an HTML table
    in a notebook; as text a value wider than ``width`` continues on the next lines of its column (four
    flows fit in 140 characters).

    A cell is the value read on the wire, ``(encrypted)`` or why it is not there in brackets, and
    ``-`` when the question does not apply (there is no certificate to ask about in plain HTTP).
    """
    columns = list(flows)
    table: dict[str, dict[str, str]] = {}
    for name, flow in flows.items():
        for leak in flow.eavesdropper():
            value = " ".join(leak.value.split())
            if not leak.visible:
                value = "(encrypted)" if value.startswith("encrypted") else f"({value})"
            table.setdefault(leak.fact, {"fact": leak.fact})[name] = value
    rows = [{c: row.get(c, "-") for c in ["fact", *columns]} for row in table.values()]
    return Table(rows, ["fact", *columns], ["WHAT THE WIRE SHOWS", *columns],
                 wrap={"fact": fact_width, **dict.fromkeys(columns, width)}, blank_between=True)


def iter_flows(path: str | Path, *, entropy: bool = False) -> tuple[Totals, Iterator[FlowSummary]]:
    """Stream a capture: returns ``(totals, flows)``; ``totals`` is complete once ``flows`` is exhausted."""
    from kslab.pcap.flows import Analysis

    analysis = Analysis(path, entropy=entropy)
    return analysis.totals, iter(analysis)


def summarize(path: str | Path, *, entropy: bool = False) -> CaptureSummary:
    """Read a capture (in bounded memory) and return all its flows, in the order they started.

    >>> from kslab.pcap import bundled
    >>> cap = summarize(bundled("mtls-tls13.pcap"))
    >>> flow = cap.flows[0]
    >>> flow.tls.version, flow.tls.alpn_offered
    ('TLS 1.3', ['istio-http/1.1', 'istio', 'http/1.1'])
    """
    totals, flows = iter_flows(path, entropy=entropy)
    collected = sorted(flows, key=lambda f: f.id)
    return CaptureSummary(totals, collected)
