"""Scapy where it is worth its cost: dissecting one record in full, and decrypting with a key log.

The summary's hot path never uses Scapy (dissecting every packet would take ~2 ms each). Two
things Scapy does that the course wants to show:

* :func:`dissect_client_hello` — the first ClientHello of a flow, every field, as Scapy sees it;
* :func:`decrypt` — with the session secrets the endpoints wrote to an NSS key log
  (``SSLKEYLOGFILE`` / ``SSLContext.keylog_filename``), Scapy decrypts TLS 1.2 and 1.3, and
  the inner HTTP becomes readable again: encryption protects the bytes, not the keys' holders.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab.errors import InputError, UsageError
from kslab.pcap.certs import cert_facts
from kslab.pcap.http import HttpMessage, HttpStream
from kslab.pcap.reassembly import Stream
from kslab.pcap.tls import parse_certificate_list
from kslab.views.tables import wrap_cell


def _load_tls() -> Any:
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import load_layer  # noqa: PLC0415 - 0.8 s: only when asked

    load_layer("tls")
    import scapy.layers.tls.all as tls  # noqa: PLC0415

    return tls


def _flow(path: str | Path, flow_id: int, packets: int = 400) -> Any:
    from kslab.pcap.flows import Analysis

    for flow in Analysis(path, watch=flow_id, watch_limit=packets):
        if flow.id == flow_id:
            return flow
    raise UsageError(f"{path}: there is no flow {flow_id}", hint="`kslab pcap summary FILE` numbers the flows")


def _client_bytes(flow: Any, limit: int = 1 << 16) -> bytes:
    """The client's first bytes in order, rebuilt from the flow's packets by our reassembly."""
    out = bytearray()
    stream = Stream(out.extend, lambda n: None)
    for _ts, side, flags, seq, _ack, payload in flow.trace or []:
        if side != 0:
            continue
        if flags & 0x02:
            stream.syn(seq)
        elif payload:
            stream.segment(seq, payload)
        if len(out) >= limit:
            break
    stream.finish()
    return bytes(out)


def dissect_client_hello(path: str | Path, flow_id: int = 1) -> str:
    """Scapy's full dissection (``show``) of the first TLS record the client sent in a flow."""
    flow = _flow(path, flow_id)
    data = _client_bytes(flow)
    if len(data) < 5 or data[0] != 0x16:
        raise InputError(f"flow {flow_id} does not start with a TLS handshake", hint="pick a TLS flow")
    length = int.from_bytes(data[3:5], "big")
    tls = _load_tls()
    record = tls.TLS(data[:5 + length])
    return fold_long_fields(str(record.show(dump=True)))


def fold_long_fields(shown: str, width: int = 120) -> str:
    """Scapy's ``show()`` text with each line wider than ``width`` (cipher suites, groups …) folded: its
    value continues on more lines, under the value's start. No field or value is dropped.

    >>> print(fold_long_fields("  |  groups    = [x25519, secp256r1, x448, secp521r1]", width=40))
      |  groups    = [x25519, secp256r1,
      |              x448, secp521r1]
    """
    out = []
    for line in shown.splitlines():
        name, eq, value = line.partition("= ")
        if len(line) <= width or not eq:
            out.append(line)
            continue
        tree = re.match(r"[ |]*", name).group(0).rstrip()  # type: ignore[union-attr]  # scapy's "   |   |"
        indent = tree + " " * (len(name) + len(eq) - len(tree))
        first, *rest = wrap_cell(value, max(width - len(indent), 20))
        out += [name + eq + first, *(indent + r for r in rest)]
    return "\n".join(out)


@dataclass
class Decrypted:
    """The application data of one flow, decrypted, and the HTTP messages read from it."""

    flow_id: int
    records: dict[str, int] = field(default_factory=lambda: {"client": 0, "server": 0})
    requests: list[HttpMessage] = field(default_factory=list)
    responses: list[HttpMessage] = field(default_factory=list)
    handshake: list[str] = field(default_factory=list)
    identities: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"flow {self.flow_id}, decrypted with the key log: {self.records['client']} client and "
                 f"{self.records['server']} server records of application data"]
        lines += [f"  encrypted message: {h}" for h in self.handshake]
        lines += [f"  {side} certificate (decrypted): {', '.join(ids)}" for side, ids in self.identities.items()]
        for i in range(max(len(self.requests), len(self.responses))):
            if i < len(self.requests):
                lines.append(f"  → {self.requests[i].start_line}  (Host: {self.requests[i].header('host')})")
            if i < len(self.responses):
                lines.append(f"  ← {self.responses[i].start_line}")
                lines.append(f"    body: {self.responses[i].body_text()[:200]}")
        return "\n".join(lines)

    __repr__ = __str__


@contextlib.contextmanager
def _keylog_session(keylog: Path) -> Iterator[None]:
    """Point Scapy at a de-duplicated copy of the key log (both sidecars may log the same secrets)."""
    from scapy.config import conf  # noqa: PLC0415

    lines = list(dict.fromkeys(keylog.read_text(encoding="ascii", errors="replace").splitlines()))
    saved = (conf.tls_session_enable, conf.tls_nss_filename, getattr(conf, "tls_nss_keys", None))
    with tempfile.TemporaryDirectory(prefix="kslab-keylog-") as tmp:
        copy = Path(tmp) / "keys.log"
        copy.write_text("\n".join(lines) + "\n", encoding="ascii")
        conf.tls_session_enable = True
        conf.tls_nss_filename = str(copy)
        try:
            yield
        finally:
            conf.tls_session_enable, conf.tls_nss_filename = saved[0], saved[1]
            conf.tls_nss_keys = saved[2]  # type: ignore[assignment]  # restores what was there, None included


def decrypt(path: str | Path, keylog: str | Path, flow_id: int = 1) -> Decrypted:
    """Decrypt one TLS flow with an NSS key log and read the HTTP inside (Scapy's TLS sessions)."""
    keylog = Path(keylog)
    if not keylog.is_file():
        raise InputError(f"{keylog}: no such key log", hint="write one with SSLContext.keylog_filename "
                                                            "or SSLKEYLOGFILE while the traffic is captured")
    flow = _flow(path, flow_id, packets=0)
    server_port = int(flow.server.rsplit(":", 1)[1])
    client_port = int(flow.client.rsplit(":", 1)[1])
    tls = _load_tls()
    from scapy.all import TCPSession, bind_layers, sniff, split_layers  # noqa: PLC0415
    from scapy.layers.inet import TCP  # noqa: PLC0415

    result = Decrypted(flow_id)
    streams = {"client": HttpStream("request")}
    streams["server"] = HttpStream("response", streams["client"])
    bind_layers(TCP, tls.TLS, dport=server_port)
    bind_layers(TCP, tls.TLS, sport=server_port)
    try:
        with _keylog_session(keylog):
            for pkt in sniff(offline=str(path), session=TCPSession):
                if TCP not in pkt or {pkt[TCP].sport, pkt[TCP].dport} != {server_port, client_port}:
                    continue
                side = "client" if pkt[TCP].dport == server_port else "server"
                layer = pkt[TCP].payload
                while layer is not None and layer.__class__.__name__ != "NoPayload":
                    # .fields, not getattr: Scapy's getattr also searches the layers below this one.
                    inner = layer.fields.get("inner")
                    msgs = (inner.fields.get("msg") if inner is not None else None) or layer.fields.get("msg")
                    for msg in msgs or []:
                        name = type(msg).__name__
                        if name == "TLSApplicationData":
                            result.records[side] += 1
                            streams[side].data(bytes(msg.data))
                        elif inner is not None and len(result.handshake) < 12:
                            result.handshake.append(f"{side}: {name}")
                            if name == "TLS13Certificate":
                                ders = parse_certificate_list(bytes(msg)[4:], tls13=True)
                                result.identities[side] = [u for d in ders[:1] for u in cert_facts(d).spiffe_ids]
                    layer = layer.payload
    finally:
        split_layers(TCP, tls.TLS, dport=server_port)
        split_layers(TCP, tls.TLS, sport=server_port)
    streams["server"].end()
    result.requests, result.responses = streams["client"].messages, streams["server"].messages
    return result


#: What each ClientHello field shown by :func:`client_hello_view` tells an eavesdropper (RFC 8446).
CLIENT_HELLO_FIELDS = {
    "record version": "the record layer says TLS 1.0 for compatibility (RFC 8446 §5.1); it means nothing",
    "hello version": "TLS 1.3 clients write 1.2 here and put the real offer in supported_versions",
    "gmt_unix_time": "not a clock: Scapy reads the first 4 of the 32 random bytes as a date. TLS 1.3 "
                     "(RFC 8446 §4.1.2) fills all 32 at random, so the 'date' is noise",
    "session id": "32 random bytes that resume nothing: TLS 1.3's middlebox compatibility mode "
                  "(RFC 8446 §D.4)",
    "cipher suites": "what the client can do; the server's choice is in the ServerHello",
    "server name (SNI)": "the destination, in clear: service, port and subset",
    "ALPN offered": "Istio's protocol names: mesh traffic carrying HTTP/1.1",
    "supported versions": "the real version offer",
    "key share": "the group of the client's Diffie-Hellman share; the share itself is public",
}


@dataclass
class ClientHelloView:
    """The ClientHello fields the lesson is about, each explained, with Scapy's full dump folded away."""

    fields: list[dict[str, str]]
    dump: str

    def table(self) -> Any:
        from kslab.views.tables import Table  # noqa: PLC0415

        return Table(self.fields, ["field", "value", "meaning"], wrap={"value": 50, "meaning": 60})

    def __repr__(self) -> str:
        return self.table().text() + "\n(Scapy's full dissection: kslab.pcap.scapy_tools.dissect_client_hello)"

    def _repr_html_(self) -> str:
        from kslab.views.text import pre  # noqa: PLC0415

        return (f"<div>{self.table().html()}<details><summary>Scapy's full dissection "
                f"({len(self.dump.splitlines())} lines)</summary>{pre(self.dump)}</details></div>")


def client_hello_view(path: str | Path, flow_id: int = 1) -> ClientHelloView:
    """Scapy's reading of a flow's ClientHello, reduced to the fields :data:`CLIENT_HELLO_FIELDS` explains."""
    flow = _flow(path, flow_id)
    data = _client_bytes(flow)
    if len(data) < 5 or data[0] != 0x16:
        raise InputError(f"flow {flow_id} does not start with a TLS handshake", hint="pick a TLS flow")
    tls = _load_tls()
    record = tls.TLS(data[:5 + int.from_bytes(data[3:5], "big")])
    hello = record.msg[0]

    def shown(pkt: Any, name: str) -> str:
        return str(pkt.get_field(name).i2repr(pkt, getattr(pkt, name)))

    def ext(cls: str) -> Any:
        return next((e for e in (hello.ext or []) if type(e).__name__ == cls), None)

    sni, alpn = ext("TLS_Ext_ServerName"), ext("TLS_Ext_ALPN")
    versions, share = ext("TLS_Ext_SupportedVersion_CH"), ext("TLS_Ext_KeyShare_CH")
    ciphers = shown(hello, "ciphers").strip("[]").split(", ")
    values = {
        "record version": shown(record, "version"),
        "hello version": shown(hello, "version"),
        "gmt_unix_time": shown(hello, "gmt_unix_time"),
        "session id": f"{len(hello.sid or b'')} bytes",
        "cipher suites": f"{len(ciphers)}: {', '.join(ciphers[:3])}, …",
        "server name (SNI)": ", ".join(n.servername.decode() for n in sni.servernames) if sni else "(none)",
        "ALPN offered": ", ".join(p.protocol.decode() for p in alpn.protocols) if alpn else "(none)",
        "supported versions": shown(versions, "versions").strip("[]") if versions else "(none)",
        "key share": ", ".join(shown(s, "group") for s in share.client_shares) if share else "(none)",
    }
    rows = [{"field": k, "value": v, "meaning": CLIENT_HELLO_FIELDS[k]} for k, v in values.items()]
    return ClientHelloView(rows, fold_long_fields(str(record.show(dump=True))))
