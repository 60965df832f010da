"""Capture analysis: what an eavesdropper on the wire sees of plaintext HTTP, TLS 1.2 and TLS 1.3.

Layer: a pure lesson (notebook 05), sans-IO below the capture reader; it imports only the ground floor.

The layers, outermost first (each a small module you can read next to notebook 05):

=================  ==========================================================================
``capture``        pcap / pcapng files, streamed packet by packet
``layers``         link layers (Ethernet, VLAN, Linux cooked, loopback, raw IP, 802.11/radiotap), MPLS,
                   GRE, IPv4, IPv6, TCP; ``fragments``: IP fragments back into datagrams
``reassembly``     TCP sequence numbers: segments back into ordered byte streams
``flows``          the flow analyser: a sans-IO state machine, packets in, ``FlowEnded`` events out;
                   per-flow phases keep bounded memory
``session``        one connection's bytes: protocol detection, routing to the parsers; ``prelude``:
                   where TLS or HTTP starts after clear text (STARTTLS, proxies, mid-stream)
``tls``/``http``   sans-IO parsers: bytes in, facts out (``tls_registry``: the TLS tables)
``certs``          certificates seen on the wire, read with ``cryptography`` (``der``: leniently)
``facts``          per-flow facts and capture totals as plain data; ``leaks``: the eavesdropper's
                   checklist, a table of rules
``render``         the facts as text (what ``kslab pcap summary`` prints, the one-line rows)
``summary``        the entry points (``summarize``, ``iter_flows``) and the side-by-side checklist
``view``           a ``tcpdump -A``-like view of one flow; ``entropy``: byte entropy and its plot
``write``          writing pcaps (the mesh demo's relay tap uses it)
``scapy_tools``    Scapy where it is worth it: dissecting one record, decrypting with a key log
=================  ==========================================================================

>>> cap = summarize(bundled("plaintext-http.pcap"))
>>> req = cap.flows[0].requests[0]
>>> req.method, req.target
('GET', '/details/0')
"""

from __future__ import annotations

from pathlib import Path

from kslab.pcap.summary import CaptureSummary, FlowSummary, Leak, iter_flows, summarize

__all__ = ["CaptureSummary", "FlowSummary", "Leak", "bundled", "bundled_captures", "iter_flows", "summarize"]

CAPTURES = Path(__file__).resolve().parent.parent / "data" / "captures"


def bundled(name: str) -> Path:
    """The path of a capture bundled with kslab (see ``kslab/data/captures/README.md``).

    >>> bundled("mtls-tls12.pcap").name
    'mtls-tls12.pcap'
    """
    path = CAPTURES / name
    if not path.exists():
        from kslab.errors import InputError

        raise InputError(f"no bundled capture {name!r}",
                         hint="bundled captures: " + ", ".join(p.name for p in bundled_captures()))
    return path


def bundled_captures() -> list[Path]:
    """Every bundled capture, by name."""
    return sorted(CAPTURES.glob("*.pcap*"))
