"""Per-flow facts, and what an eavesdropper on the wire learns from each flow.

A :class:`FlowSummary` is plain data (it renders as text and as JSON); :func:`summarize` reads
a whole capture into a :class:`CaptureSummary` (for notebooks), :func:`iter_flows` streams the
flows of a capture of any size (for the command line).

What leaks is a table of rules (:data:`LEAK_RULES`): for each fact an eavesdropper might want,
where it comes from and when it is visible. Plaintext HTTP gives everything away; TLS 1.2 hides
the payload but shows both certificates; TLS 1.3 hides the certificates too, leaving the
ClientHello's SNI and ALPN, the chosen version and cipher, and sizes and timing.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.pcap.certs import CertFacts, cert_facts
from kslab.pcap.entropy import shannon
from kslab.pcap.http import HttpMessage
from kslab.pcap.layers import endpoint
from kslab.pcap.prelude import Prelude
from kslab.pcap.tls import TlsConnection
from kslab.pcap.tls_registry import cipher_name, group_name, version_name
from kslab.views.tables import Table, format_table


@dataclass
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


def tls_facts(conn: TlsConnection) -> TlsFacts:
    """Turn a parsed :class:`TlsConnection` into reportable facts."""
    ch, sh = conn.client_hello, conn.server_hello
    tls13 = conn.tls13
    if sh is None:
        selected, visible = None, False
    elif tls13:
        selected, visible = None, False  # in EncryptedExtensions (RFC 8446 section 4.3.1)
    else:
        selected, visible = sh.alpn, True
    group = conn.key_exchange_group if conn.key_exchange_group is not None else (sh.key_share_group if sh else None)
    encrypted = {side: {"records": d.encrypted_records, "bytes": d.encrypted_bytes,
                        "first_record_sizes": d.sizes}
                 for side, d in zip(("client", "server"), conn.dirs)}
    return TlsFacts(
        version=conn.version, cipher=conn.cipher, sni=ch.sni if ch else None,
        alpn_offered=list(ch.alpn) if ch else [], alpn_selected=selected, alpn_selected_visible=visible,
        versions_offered=[version_name(v) for v in ch.versions] if ch else [],
        ciphers_offered=[cipher_name(c) for c in ch.cipher_suites] if ch else [],
        key_exchange_group=group_name(group) if group is not None else None,
        hello_retry=conn.hello_retry, certificate_request=conn.certificate_request,
        certificates={side: [cert_facts(der) for der in ders] for side, ders in conn.certificates.items()},
        alerts=[f"{who}: {name}" for who, name, _ in conn.alerts[:16]],
        handshake=[f"{who}: {what}" for who, what in conn.events],
        encrypted=encrypted, notes=list(conn.notes))


@dataclass
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
        """What someone capturing this flow can and cannot read (see :data:`LEAK_RULES`)."""
        return [leak for rule in LEAK_RULES if (leak := rule(self)) is not None]

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


# ---- what leaks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Leak:
    """One fact and whether an eavesdropper sees it (with its value) or not (with why)."""

    fact: str
    visible: bool
    value: str

    def to_dict(self) -> dict[str, Any]:
        return {"fact": self.fact, "visible": self.visible, "value": self.value}


def _rule(fact: str, when: Callable[[FlowSummary], bool],
          value: Callable[[FlowSummary], tuple[bool, str]]) -> Callable[[FlowSummary], Leak | None]:
    def apply(flow: FlowSummary) -> Leak | None:
        if not when(flow):
            return None
        visible, text = value(flow)
        return Leak(fact, visible, text)
    return apply


def _is_http(f: FlowSummary) -> bool:
    return f.protocol == "HTTP" or f.http_also


def _is_tls(f: FlowSummary) -> bool:
    return f.tls is not None


def _tls(f: FlowSummary) -> TlsFacts:
    assert f.tls is not None
    return f.tls


def _cert_leak(side: str) -> Callable[[FlowSummary], tuple[bool, str]]:
    def value(f: FlowSummary) -> tuple[bool, str]:
        t = _tls(f)
        certs = t.certificates.get(side) or []
        if certs:
            leaf = certs[0]
            who = ", ".join(leaf.spiffe_ids) or leaf.subject or "(no name)"
            return True, f"{who} (issuer {leaf.issuer or '(empty)'}, {leaf.lifetime_hours:g} h)"
        if t.encrypts_handshake:
            return False, "encrypted (TLS 1.3 encrypts everything after the ServerHello)"
        if side == "client" and not t.certificate_request and t.version:
            return False, "none sent (the server did not ask for one)"
        return False, "not seen in the capture"
    return value


def _http_value(f: FlowSummary, what: Callable[[HttpMessage], str | None], side: str = "request") -> tuple[bool, str]:
    msgs = f.requests if side == "request" else f.responses
    values = [v for m in msgs if (v := what(m))]
    return (True, "; ".join(dict.fromkeys(values))) if values else (False, "none in the capture")


def _alpn_selected(f: FlowSummary) -> tuple[bool, str]:
    t = _tls(f)
    if t.alpn_selected_visible:
        return True, t.alpn_selected or "(none negotiated)"
    if t.encrypts_handshake:
        return False, "encrypted (in EncryptedExtensions)"
    return False, "no ServerHello in the capture"


def _prelude_value(f: FlowSummary) -> str:
    p = f.prelude
    assert p is not None
    said = "; ".join(line.split(": ", 1)[1] for line in p.lines(3) if not line.endswith("in all)"))
    return _shortened(f"{p.name} ({p.client_bytes} → / {p.server_bytes} ← bytes): {said}", 200)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _sizes(f: FlowSummary) -> tuple[bool, str]:
    return True, (f"{human_bytes(f.payload_bytes[0])} → / ← {human_bytes(f.payload_bytes[1])} "
                  f"in {f.packets[0] + f.packets[1]} packets over {f.duration:.3f} s")


#: The eavesdropper's checklist, in reading order. Each rule applies to some flows only.
LEAK_RULES: tuple[Callable[[FlowSummary], Leak | None], ...] = (
    _rule("who talks to whom (addresses, ports)", lambda f: True, lambda f: (True, f"{f.client} → {f.server}")),
    _rule("how much, and when", lambda f: True, _sizes),
    _rule("request line (method, path)", _is_http,
          lambda f: _http_value(f, lambda m: f"{m.method} {m.target}")),
    _rule("Host header", _is_http, lambda f: _http_value(f, lambda m: m.header("host"))),
    _rule("all headers (cookies, tokens ...)", _is_http,
          lambda f: _http_value(f, lambda m: ", ".join(k for k, _ in m.headers) or None)),
    _rule("response status", _is_http, lambda f: _http_value(f, lambda m: m.start_line, "response")),
    _rule("response body", _is_http,
          lambda f: _http_value(f, lambda m: _shortened(m.body_text(), 120) or None, "response")),
    _rule("said in clear before the switch", lambda f: f.prelude is not None,
          lambda f: (True, _prelude_value(f))),
    _rule("server name (SNI)", _is_tls,
          lambda f: (True, str(_tls(f).sni)) if _tls(f).sni else (False, "no SNI sent")),
    _rule("protocols offered (ALPN)", _is_tls,
          lambda f: (bool(_tls(f).alpn_offered), ", ".join(_tls(f).alpn_offered) or "none offered")),
    _rule("TLS versions offered", _is_tls, lambda f: (True, ", ".join(_tls(f).versions_offered) or "?")),
    _rule("negotiated version and cipher", _is_tls,
          lambda f: (bool(_tls(f).version), f"{_tls(f).version}, {_tls(f).cipher}" if _tls(f).version
                     else "no ServerHello in the capture")),
    _rule("protocol selected (ALPN)", _is_tls, _alpn_selected),
    _rule("server identity (certificate)", _is_tls, _cert_leak("server")),
    _rule("client identity (certificate)", _is_tls, _cert_leak("client")),
    _rule("request and response contents", _is_tls,
          lambda f: (False, "encrypted: only record sizes show ("
                            f"{_tls(f).encrypted['client']['records']} → / "
                            f"{_tls(f).encrypted['server']['records']} ← records)")),
    _rule("contents", lambda f: f.protocol == "other",
          lambda f: (True, "not encrypted by TLS: see the excerpt") if f.excerpts else (False, "no payload")),
)


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


# ---- building summaries ----------------------------------------------------------------------------
def flow_summary(flow: Any, *, entropy: bool = False) -> FlowSummary:
    """Summarise a finished :class:`~kslab.pcap.flows.Flow`."""
    streams = flow.streams
    if flow.rst_by is not None:
        ended = f"reset by the {('client', 'server')[flow.rst_by]}"
    elif flow.fin[0] and flow.fin[1]:
        ended = "closed (FIN both ways)"
    elif flow.fin[0] or flow.fin[1]:
        ended = f"half-closed by the {'client' if flow.fin[0] else 'server'}"
    else:
        ended = "still open at the end of the capture"
    session = flow.session
    protocol = session.protocol or ("no payload" if not any(flow.payload) else "other")
    summary = FlowSummary(
        id=flow.id, client=endpoint(*flow.client), server=endpoint(*flow.server), protocol=protocol,
        start=flow.first_ts, duration=max(0.0, flow.last_ts - flow.first_ts),
        packets=(flow.packets[0], flow.packets[1]), payload_bytes=(flow.payload[0], flow.payload[1]),
        syn_seen=flow.syn_seen, direction_guessed=flow.guessed, ended=ended,
        retransmitted=sum(s.retransmitted for s in streams), out_of_order=sum(s.out_of_order for s in streams),
        missing=sum(s.missing for s in streams), trace=flow.trace)
    inner = session.inner
    http = session.http or (inner.http if inner is not None else None)
    if http is not None:
        req, resp = http
        summary.requests, summary.responses = list(req.messages), list(resp.messages)
        summary.http_counts = (req.count + (req._current is not None), resp.count + (resp._current is not None))
        summary.http_problems = [f"{side}: {s.problem}" for side, s in (("client", req), ("server", resp))
                                 if s.problem]
        if session.http is not None and protocol != "HTTP":
            summary.http_also = True
    tls = session.tls or (inner.tls if inner is not None else None)
    if tls is not None:
        summary.tls = tls_facts(tls)
    summary.prelude = session.prelude
    summary.notes = list(session.notes) + (list(inner.notes) if inner is not None else [])
    if inner is not None:
        summary.tunnel = inner.protocol or "no payload"
    if protocol == "other":
        summary.excerpts = {side: bytes(b) for side, b in zip(("client", "server"), session.excerpt or ()) if b}
    if entropy and flow.samples is not None:
        summary.samples = {side: bytes(b) for side, b in zip(("client", "server"), flow.samples) if b}
        summary.entropy = {side: round(shannon(b), 3) for side, b in summary.samples.items()}
    return summary


@dataclass
class CaptureSummary:
    """A whole capture: its flows and capture-wide counts."""

    totals: Any
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

    def table(self, *, wrap: int | None = None) -> str:
        """One line per flow: the facts that matter most, as aligned text (``wrap``: the long columns,
        what and identities, continue on more lines of at most that many characters)."""
        long = {"what": wrap, "identities": wrap} if wrap else None
        return format_table([flow_row(f) for f in self.flows],
                            ["id", "client", "server", "protocol", "what", "identities"], wrap=long,
                            blank_between=bool(wrap) and len(self.flows) > 1)

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
        return f"<pre>{html.escape(str(self))}</pre>"


def iter_flows(path: str | Path, *, entropy: bool = False) -> tuple[Any, Iterator[FlowSummary]]:
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


# ---- text --------------------------------------------------------------------------------------------
def human_bytes(n: int) -> str:
    """``1.2 KiB`` style sizes.

    >>> human_bytes(512), human_bytes(2048), human_bytes(5 * 1024 ** 3)
    ('512 B', '2.0 KiB', '5.0 GiB')
    """
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def printable(data: bytes) -> str:
    """Bytes as ``tcpdump -A`` shows them: printable ASCII kept, everything else as ``.``.

    >>> printable(b"GET /\\r\\n\\x16\\x03")
    'GET /....'
    """
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)


def header_line(totals: Any) -> str:
    kinds = ", ".join(sorted({_link(t) for t in totals.link_types}))
    return f"capture {Path(totals.file).name}: {totals.format}" + (f", {kinds}" if kinds else "")


def _link(t: int) -> str:
    from kslab.pcap.layers import link_name

    return link_name(t)


def nothing_to_see(totals: Any) -> str | None:
    """A sentence when there is no TCP flow to report, else None."""
    if totals.packets == 0:
        return "nothing to see: the capture holds no packets"
    if totals.flows == 0:
        other = ", ".join(f"{n} {k}" for k, n in sorted(totals.other.items())) or "nothing decodable"
        return f"nothing to see: no TCP traffic in {totals.packets} packets ({other})"
    return None


def footer_line(totals: Any) -> str:
    text = (f"{totals.packets} packets, {totals.tcp_packets} TCP in {totals.flows} flow"
            f"{'s' if totals.flows != 1 else ''}")
    if totals.format == "pcapng" and totals.link_types:
        text += " (link types: " + ", ".join(sorted({_link(t) for t in totals.link_types})) + ")"
    if totals.other:
        text += "; also " + ", ".join(f"{n} {k}" for k, n in sorted(totals.other.items()))
    if totals.truncated:
        text += "; the file ends in the middle of a packet (capture interrupted?)"
    empty = nothing_to_see(totals)
    return f"{empty}\n{text}" if empty else text


def flow_row(f: FlowSummary) -> dict[str, Any]:
    """The one-line view of a flow (for tables)."""
    if f.tls is not None:
        t = f.tls
        what = f"{t.version or 'TLS ?'} SNI={t.sni or '-'} ALPN={','.join(t.alpn_offered) or '-'}"
        ids = t.identities
        identities = " → ".join(", ".join(ids[s]) or "?" for s in ("client", "server")) \
            if t.certificates_visible else "hidden" if t.encrypts_handshake else "-"
    elif f.protocol == "HTTP":
        req = f.requests[0] if f.requests else None
        resp = f.responses[0] if f.responses else None
        what = (f"{req.method} {req.target}" if req else "?") + (f" → {resp.status}" if resp else " → no response")
        identities = "none (plaintext)"
    else:
        what, identities = f.protocol, "-"
    return {"id": f.id, "client": f.client, "server": f.server, "protocol": f.protocol, "what": what,
            "identities": identities}


def render_flow(f: FlowSummary) -> list[str]:
    """The indented text block for one flow."""
    guessed = " (direction guessed: no SYN seen)" if f.direction_guessed else ""
    lines = [f"flow {f.id}: {f.client} → {f.server}  {f.protocol}  "
             f"{f.packets[0] + f.packets[1]} packets, {human_bytes(f.payload_bytes[0])} → / "
             f"{human_bytes(f.payload_bytes[1])} ←, {f.ended}{guessed}"]
    add = lines.append
    if f.retransmitted or f.out_of_order or f.missing:
        add(f"  TCP: {f.retransmitted} bytes retransmitted, {f.out_of_order} segments out of order, "
            f"{f.missing} bytes missing")
    if f.prelude is not None:
        p = f.prelude
        add(f"  before {p.then}: {p.name}, {p.client_bytes} bytes → / {p.server_bytes} bytes ← in clear")
        lines.extend(f"    {line}" for line in p.lines(6))
    if f.tunnel is not None:
        add(f"  CONNECT tunnel carrying {f.tunnel}")
    for n in f.notes:
        add(f"  note: {n}")
    if f.protocol == "HTTP" or f.http_also:
        pairs = max(len(f.requests), len(f.responses))
        for i in range(pairs):
            if i < len(f.requests):
                m = f.requests[i]
                add(f"  → {m.start_line}" + (f"  (Host: {m.header('host')})" if m.header("host") else ""))
                if m.body_length:
                    add(f"    body: {m.body_text()[:200]}")
            if i < len(f.responses):
                m = f.responses[i]
                ctype = m.header("content-type")
                add(f"  ← {m.start_line}" + (f"  ({ctype}, {m.body_length} bytes)" if ctype else ""))
                if m.body_length:
                    add(f"    body: {m.body_text()[:200]}")
            elif i < len(f.requests):
                add(f"  ← no response ({f.ended})")
        shown = max(len(f.requests), len(f.responses))
        total = max(f.http_counts)
        if total > shown:
            add(f"  … {total - shown} more messages not shown")
        for problem in f.http_problems:
            add(f"  note: {problem}")
    if f.tls is not None:
        t = f.tls
        add(f"  TLS: {t.version or 'no ServerHello seen'}" + (f", cipher {t.cipher}" if t.cipher else "")
            + (f", key exchange {t.key_exchange_group}" if t.key_exchange_group else "")
            + (" (after a HelloRetryRequest)" if t.hello_retry else ""))
        add(f"  SNI: {t.sni or '(none)'}")
        selected = (t.alpn_selected or "(none)") if t.alpn_selected_visible else \
            ("hidden (encrypted in TLS 1.3)" if t.encrypts_handshake else "?")
        add(f"  ALPN offered: {', '.join(t.alpn_offered) or '(none)'}; selected: {selected}")
        add(f"  versions offered: {', '.join(t.versions_offered)}")
        if t.certificate_request:
            add("  the server asked for a client certificate (mutual TLS)")
        if t.certificates_visible:
            for side in ("server", "client"):
                for i, cert in enumerate(t.certificates.get(side) or []):
                    add(f"  {side} certificate {i + 1}: {cert.one_line()}")
        elif t.encrypts_handshake:
            add("  certificates: hidden (encrypted in TLS 1.3)")
        elif t.version:
            add("  certificates: none seen")
        for a in t.alerts:
            add(f"  alert {a}")
        enc = t.encrypted
        add(f"  encrypted: {enc['client']['records']} records ({human_bytes(enc['client']['bytes'])}) → / "
            f"{enc['server']['records']} records ({human_bytes(enc['server']['bytes'])}) ←")
        for n in t.notes:
            add(f"  note: {n}")
    if f.excerpts:
        for side, data in f.excerpts.items():
            add(f"  {side} bytes: {printable(data[:80])}")
    if f.entropy:
        add("  entropy: " + ", ".join(f"{side} {v:.2f} bits/byte" for side, v in f.entropy.items()))
    return lines
