"""The facts of a capture as text: what ``kslab pcap summary`` prints and the notebooks' one-line rows.

A view, apart from the data model (:mod:`kslab.pcap.facts`): it reads a
:class:`~kslab.pcap.facts.FlowSummary` and the capture's :class:`~kslab.pcap.facts.Totals` and imports
neither at run time, so the model can call it (``str(flow)``) without an import circle.

>>> from kslab.pcap import bundled, summarize
>>> cap = summarize(bundled("plaintext-http.pcap"))
>>> render_flow(cap.flows[0])[1]
'  → GET /details/0 HTTP/1.1  (Host: details:9080)'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kslab.pcap.layers import link_name
from kslab.pcap.text import human_bytes, printable

if TYPE_CHECKING:
    from kslab.pcap.facts import FlowSummary, Totals

__all__ = ["flow_row", "footer_line", "header_line", "nothing_to_see", "render_flow"]


def header_line(totals: Totals) -> str:
    kinds = ", ".join(sorted({link_name(t) for t in totals.link_types}))
    return f"capture {Path(totals.file).name}: {totals.format}" + (f", {kinds}" if kinds else "")


def nothing_to_see(totals: Totals) -> str | None:
    """A sentence when there is no TCP flow to report, else None."""
    if totals.packets == 0:
        return "nothing to see: the capture holds no packets"
    if totals.flows == 0:
        other = ", ".join(f"{n} {k}" for k, n in sorted(totals.other.items())) or "nothing decodable"
        return f"nothing to see: no TCP traffic in {totals.packets} packets ({other})"
    return None


def footer_line(totals: Totals) -> str:
    text = (f"{totals.packets} packets, {totals.tcp_packets} TCP in {totals.flows} flow"
            f"{'s' if totals.flows != 1 else ''}")
    if totals.format == "pcapng" and totals.link_types:
        text += " (link types: " + ", ".join(sorted({link_name(t) for t in totals.link_types})) + ")"
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
        tls13 = t.encrypts_handshake
        selected = (t.alpn_selected or "(none)") if t.alpn_selected_visible else \
            ("hidden (encrypted in TLS 1.3)" if tls13 else "?")
        add(f"  ALPN offered: {', '.join(t.alpn_offered) or '(none)'}; selected: {selected}")
        add(f"  versions offered: {', '.join(t.versions_offered)}")
        if t.certificate_request:
            add("  the server asked for a client certificate (mutual TLS)")
        if t.certificates_visible:
            for side in ("server", "client"):
                for i, cert in enumerate(t.certificates.get(side) or []):
                    add(f"  {side} certificate {i + 1}: {cert.one_line()}")
        elif tls13:
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
