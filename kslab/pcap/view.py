"""A ``tcpdump -A``-like view of one flow: each packet's header line, then its payload as text.

Like ``tcpdump -A``, printable ASCII is shown as is, line breaks are kept, carriage returns
dropped and every other byte printed as ``.``. Unlike it, the IP and TCP headers are not dumped,
times are relative to the flow's first packet (so the view does not depend on your time zone) and
sequence numbers are relative, as tcpdump prints them by default.

>>> tcp_flags(0x18), tcp_flags(0x02), tcp_flags(0x14)
('[P.]', '[S]', '[R.]')
"""

from __future__ import annotations

from pathlib import Path

from kslab.errors import UsageError
from kslab.pcap.layers import ACK, FIN, PSH, RST, SYN, URG

#: tcpdump's flag letters, in its order; "." stands for ACK.
FLAG_LETTERS = ((SYN, "S"), (FIN, "F"), (PSH, "P"), (RST, "R"), (URG, "U"), (ACK, "."))


def tcp_flags(flags: int) -> str:
    """TCP flags as tcpdump writes them."""
    return "[" + "".join(letter for bit, letter in FLAG_LETTERS if flags & bit) + "]"


def ascii_text(payload: bytes, limit: int = 600) -> str:
    """Payload as ``tcpdump -A`` prints it (at most ``limit`` bytes).

    >>> ascii_text(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\x16\\x03")
    'GET / HTTP/1.1\\nHost: x\\n..'
    """
    out = []
    for b in payload[:limit]:
        if b == 13:
            continue
        out.append(chr(b) if 32 <= b < 127 or b in (9, 10) else ".")
    more = len(payload) - limit
    return "".join(out) + (f"\n[… {more} more bytes]" if more > 0 else "")


def view(path: str | Path, flow_id: int = 1, *, packets: int = 40, payload_limit: int = 600) -> str:
    """The first ``packets`` packets of flow ``flow_id`` (as numbered by ``kslab pcap summary``).

    >>> from kslab.pcap import bundled
    >>> print(view(bundled("plaintext-http.pcap"), 1).splitlines()[0])  # doctest: +ELLIPSIS
    flow 1: 127.0.0.1:... → 127.0.0.1:9080 (HTTP), first ... packets
    """
    from kslab.pcap.flows import Analysis

    found = None
    for flow in Analysis(path, watch=flow_id, watch_limit=packets):
        if flow.id == flow_id:
            found = flow
    if found is None or found.trace is None:
        raise UsageError(f"{path}: there is no flow {flow_id}", hint="`kslab pcap summary FILE` numbers the flows")
    ends = (found.client, found.server)
    first_ts = found.trace[0][0] if found.trace else 0.0
    base: dict[int, int] = {}
    lines = [f"flow {found.id}: {found.client} → {found.server} ({found.protocol}), first "
             f"{len(found.trace)} of {sum(found.packets)} packets"]
    for ts, side, flags, seq, ack, payload in found.trace:
        base.setdefault(side, seq)  # relative numbers start at each side's first (SYN) sequence number
        rel = (seq - base[side]) & 0xFFFFFFFF
        src, dst = _dotted(ends[side]), _dotted(ends[1 - side])
        parts = [f"+{ts - first_ts:.6f} {src} > {dst}: Flags {tcp_flags(flags)}"]
        if payload:
            parts.append(f"seq {rel}:{rel + len(payload)}")
        elif flags & (SYN | FIN | RST):
            parts.append(f"seq {rel}")
        if flags & ACK and 1 - side in base:
            parts.append(f"ack {(ack - base[1 - side]) & 0xFFFFFFFF}")
        parts.append(f"length {len(payload)}")
        lines.append(", ".join(parts))
        if payload:
            lines.append(ascii_text(payload, payload_limit))
    return "\n".join(lines)


def _dotted(ep: str) -> str:
    """``127.0.0.1:9080`` → ``127.0.0.1.9080``, tcpdump's way of writing an endpoint."""
    host, _, port = ep.rpartition(":")
    return f"{host.strip('[]')}.{port}"
