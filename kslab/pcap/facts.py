"""The facts of a capture, flow by flow: plain data, rendered as text by :mod:`kslab.pcap.render`
and as JSON by ``to_dict``.

The flow analysis (:mod:`kslab.pcap.flows`) fills a :class:`FlowSummary` per TCP flow and the
capture's :class:`Totals`; :class:`TlsFacts` is what a TLS handshake showed in clear; what an
eavesdropper learns from a flow is :mod:`kslab.pcap.leaks`. Nothing here imports the analysis.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kslab.pcap.certs import CertFacts, cert_facts
from kslab.pcap.http import HttpMessage
from kslab.pcap.layers import link_name
from kslab.pcap.leaks import Leak, eavesdropper
from kslab.pcap.prelude import Prelude
from kslab.pcap.render import flow_row, footer_line, header_line, nothing_to_see, render_flow  # the text view
from kslab.pcap.text import printable
from kslab.pcap.tls import TlsConnection
from kslab.pcap.tls_registry import cipher_name, group_name, version_name
from kslab.views.tables import Table
from kslab.views.text import pre


class Totals:
    """Capture-wide counts, complete once the flows have all been read."""

    def __init__(self, name: str, fmt: str) -> None:
        self.file = name
        self.format = fmt
        self.link_types: set[int] = set()
        self.packets = 0
        self.tcp_packets = 0
        self.flows = 0
        self.other: dict[str, int] = {}
        self.truncated = False
        self.late_packets = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None

    def count(self, what: str, n: int = 1) -> None:
        """Count a packet that is not part of a TCP flow, by what it is (``UDP``, ``ARP`` ...)."""
        self.other[what] = self.other.get(what, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format,
                "link_types": [link_name(t) for t in sorted(self.link_types)], "packets": self.packets,
                "tcp_packets": self.tcp_packets, "flow_count": self.flows,
                "other_packets": dict(sorted(self.other.items())), "truncated": self.truncated}


@dataclass(slots=True)
class TlsFacts:
    """The TLS facts of one flow (what the handshake showed in clear, and encrypted sizes)."""

    version: str | None
    cipher: str | None
    sni: str | None
    alpn_offered: list[str]
    alpn_selected: str | None
    alpn_selected_visible: bool
    versions_offered: list[str]
    ciphers_offered: list[str]
    key_exchange_group: str | None
    hello_retry: bool
    certificate_request: bool
    certificates: dict[str, list[CertFacts]]
    alerts: list[str]
    handshake: list[str]
    encrypted: dict[str, dict[str, Any]]
    notes: list[str]

    @property
    def encrypts_handshake(self) -> bool:
        """TLS 1.3 (or a draft of it): everything after the ServerHello is encrypted."""
        return (self.version or "").startswith("TLS 1.3")

    @property
    def certificates_visible(self) -> bool:
        return any(self.certificates.values())

    @property
    def identities(self) -> dict[str, list[str]]:
        """SPIFFE IDs seen in each side's leaf certificate."""
        return {side: list(certs[0].spiffe_ids) if certs else [] for side, certs in self.certificates.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "cipher": self.cipher, "sni": self.sni,
                "alpn_offered": self.alpn_offered, "alpn_selected": self.alpn_selected,
                "alpn_selected_visible": self.alpn_selected_visible,
                "versions_offered": self.versions_offered, "ciphers_offered": self.ciphers_offered,
                "key_exchange_group": self.key_exchange_group, "hello_retry": self.hello_retry,
                "certificate_request": self.certificate_request,
                "certificates": {k: [c.to_dict() for c in v] for k, v in self.certificates.items()},
                "identities": self.identities, "alerts": self.alerts, "handshake": self.handshake,
                "encrypted": self.encrypted, "notes": self.notes}


@lru_cache(maxsize=256)
def _names(name: Callable[[int], str], codes: tuple[int, ...]) -> tuple[str, ...]:
    """Registry names of a ClientHello's list: one program's hellos repeat the same lists."""
    return tuple(name(c) for c in codes)


def tls_facts(conn: TlsConnection) -> TlsFacts:
    """Turn a parsed :class:`TlsConnection` into reportable facts."""
    ch, sh = conn.client_hello, conn.server_hello
    if sh is None or conn.tls13:  # TLS 1.3 selects ALPN in EncryptedExtensions (RFC 8446 section 4.3.1)
        selected, visible = None, False
    else:
        selected, visible = sh.alpn, True
    group = conn.key_exchange_group if conn.key_exchange_group is not None else (sh.key_share_group if sh else None)
    client, server = conn.dirs
    certificates = conn.certificates
    return TlsFacts(
        version=conn.version, cipher=conn.cipher, sni=ch.sni if ch else None,
        alpn_offered=list(ch.alpn) if ch else [], alpn_selected=selected, alpn_selected_visible=visible,
        versions_offered=list(_names(version_name, tuple(ch.versions))) if ch else [],
        ciphers_offered=list(_names(cipher_name, tuple(ch.cipher_suites))) if ch else [],
        key_exchange_group=group_name(group) if group is not None else None,
        hello_retry=conn.hello_retry, certificate_request=conn.certificate_request,
        certificates={side: [cert_facts(der) for der in ders] for side, ders in certificates.items()}
        if any(certificates.values()) else {"client": [], "server": []},
        alerts=[f"{who}: {name}" for who, name, _ in conn.alerts[:16]] if conn.alerts else [],
        handshake=[f"{who}: {what}" for who, what in conn.events],
        encrypted={"client": {"records": client.encrypted_records, "bytes": client.encrypted_bytes,
                              "first_record_sizes": client.sizes},
                   "server": {"records": server.encrypted_records, "bytes": server.encrypted_bytes,
                              "first_record_sizes": server.sizes}},
        notes=list(conn.notes))


@dataclass(slots=True)
class FlowSummary:
    """Everything the analysis knows about one TCP flow."""

    id: int
    client: str
    server: str
    protocol: str
    start: float
    duration: float
    packets: tuple[int, int]
    payload_bytes: tuple[int, int]
    syn_seen: bool
    direction_guessed: bool
    ended: str
    retransmitted: int
    out_of_order: int
    missing: int
    requests: list[HttpMessage] = field(default_factory=list)
    responses: list[HttpMessage] = field(default_factory=list)
    http_counts: tuple[int, int] = (0, 0)
    http_problems: list[str] = field(default_factory=list)
    tls: TlsFacts | None = None
    #: True when a TLS flow's server answered in plain HTTP (its responses are in ``responses``).
    http_also: bool = False
    #: What was said in clear before TLS or HTTP started (STARTTLS, a proxy), or skipped mid-stream.
    prelude: Prelude | None = None
    #: What a CONNECT tunnel carried (``TLS``, ``HTTP``, ``other``), if one was opened.
    tunnel: str | None = None
    notes: list[str] = field(default_factory=list)
    excerpts: dict[str, bytes] = field(default_factory=dict)
    entropy: dict[str, float] = field(default_factory=dict)
    samples: dict[str, bytes] = field(default_factory=dict)
    #: (time, side, flags, seq, ack, payload) of each packet, for the flow being viewed only.
    trace: list[tuple[float, int, int, int, int, bytes]] | None = field(default=None, repr=False)

    @property
    def protocol_name(self) -> str:
        """The protocol as a reader names it: ``HTTP``, ``TLS 1.3`` (``TLS`` when no version was seen)."""
        return (self.tls.version or "TLS") if self.tls else self.protocol

    @property
    def label(self) -> str:
        """A short name for plots: id, protocol and version."""
        return f"#{self.id} {self.protocol_name}"

    def eavesdropper(self) -> list[Leak]:
        """What someone capturing this flow can and cannot read (see :data:`kslab.pcap.leaks.LEAK_RULES`)."""
        return eavesdropper(self)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "client": self.client, "server": self.server, "protocol": self.protocol,
            "start": round(self.start, 6), "duration": round(self.duration, 6),
            "packets": {"client": self.packets[0], "server": self.packets[1]},
            "payload_bytes": {"client": self.payload_bytes[0], "server": self.payload_bytes[1]},
            "syn_seen": self.syn_seen, "direction_guessed": self.direction_guessed, "ended": self.ended,
            "retransmitted_bytes": self.retransmitted, "out_of_order_segments": self.out_of_order,
            "missing_bytes": self.missing,
        }
        if self.prelude is not None:
            out["prelude"] = self.prelude.to_dict()
        if self.tunnel is not None:
            out["tunnel"] = self.tunnel
        if self.notes:
            out["notes"] = self.notes
        if self.protocol == "HTTP" or self.http_also or self.requests or self.responses:
            out["http"] = {"requests": [m.to_dict() for m in self.requests],
                           "responses": [m.to_dict() for m in self.responses],
                           "request_count": self.http_counts[0], "response_count": self.http_counts[1],
                           "problems": self.http_problems}
        if self.tls is not None:
            out["tls"] = self.tls.to_dict()
        if self.excerpts:
            out["excerpts"] = {k: printable(v) for k, v in self.excerpts.items()}
        if self.entropy:
            out["entropy_bits_per_byte"] = self.entropy
        out["eavesdropper"] = [leak.to_dict() for leak in self.eavesdropper()]
        return out

    def lines(self) -> list[str]:
        """The flow as indented text lines (what ``kslab pcap summary`` prints)."""
        return render_flow(self)

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass
class CaptureSummary:
    """A whole capture: its flows and capture-wide counts."""

    totals: Totals
    flows: list[FlowSummary]

    def flow(self, fid: int) -> FlowSummary:
        """The flow with this id."""
        for f in self.flows:
            if f.id == fid:
                return f
        raise KeyError(f"no flow {fid}; flows: {[f.id for f in self.flows]}")

    def to_dict(self) -> dict[str, Any]:
        return {**self.totals.to_dict(), "flows": [f.to_dict() for f in self.flows],
                "nothing_to_see": nothing_to_see(self.totals)}

    def table(self, *, wrap: int | None = None) -> Table:
        """One row per flow: the facts that matter most, as a :class:`~kslab.views.tables.Table` (HTML
        in a notebook; ``str()`` is aligned text, where ``wrap`` makes the long columns, what and
        identities, continue on more lines of at most that many characters)."""
        long = {"what": wrap, "identities": wrap} if wrap else None
        return Table([flow_row(f) for f in self.flows],
                     ["id", "client", "server", "protocol", "what", "identities"], wrap=long,
                     blank_between=bool(wrap) and len(self.flows) > 1, abbreviate={"identities": 160})

    def __str__(self) -> str:
        parts = [header_line(self.totals)]
        for f in self.flows:
            parts.append("")
            parts.extend(f.lines())
        parts.append("")
        parts.append(footer_line(self.totals))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return pre(str(self))
