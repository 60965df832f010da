"""Two sidecar-like proxies doing Istio-style mutual TLS between them, on 127.0.0.1.

* :class:`Outbound` (the caller's sidecar) accepts the application's plain connection and opens
  mutual TLS to the destination's sidecar, sending Istio's SNI and ALPN and its own certificate,
  and checking that the server presents the SPIFFE ID it expects (no hostname check: in a mesh
  the identity is the URI SAN, not a DNS name).
* :class:`Inbound` (the destination's sidecar) peeks at the first bytes of each connection. A TLS
  ClientHello gets the mutual-TLS handshake (client certificate required); anything else is
  plaintext, which ``PERMISSIVE`` passes to the application and ``STRICT`` refuses with a reset.

Both then relay bytes both ways. Each is a small threaded server, bounded in connections and with
socket timeouts, closed with :meth:`close`. Every decision goes to an event log, so a demo can
show what the proxies observed next to what the capture shows.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from kslab.mesh import conventions as conv
from kslab.mesh.ca import MeshCA, Workload
from kslab.mesh.relay import HOST, TIMEOUT, EventLog, Server, relay, reset

POLICIES = ("STRICT", "PERMISSIVE")
TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def peer_spiffe_id(tls: ssl.SSLSocket) -> str | None:
    """The SPIFFE ID in the peer certificate's URI SAN (Python's ssl exposes SANs as pairs)."""
    cert: dict[str, Any] = dict(tls.getpeercert() or {})
    for kind, value in cert.get("subjectAltName", ()):
        if kind == "URI" and str(value).startswith("spiffe://"):
            return str(value)
    return None


def server_context(ca: MeshCA, me: Workload, *, keylog: str | None = None) -> ssl.SSLContext:
    """The inbound sidecar's TLS: client certificate required, TLS 1.2–1.3, Istio's ciphers and ALPN."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.set_ciphers(":".join(conv.TLS12_CIPHERS))
    ctx.load_cert_chain(me.chain_file, me.key_file)
    ctx.load_verify_locations(ca.root_file)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.set_alpn_protocols(list(conv.SERVER_ALPN))
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


def client_context(ca: MeshCA, me: Workload, *, tls_version: str = "1.3", app_protocol: str = "http/1.1",
                   keylog: str | None = None) -> ssl.SSLContext:
    """The outbound sidecar's TLS: its own certificate, the root to check the server, Istio's ALPN."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # the identity is checked on the SPIFFE ID instead (see Outbound)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = TLS_VERSIONS[tls_version]
    ctx.set_ciphers(":".join(conv.TLS12_CIPHERS))
    ctx.load_cert_chain(me.chain_file, me.key_file)
    ctx.load_verify_locations(ca.root_file)
    ctx.set_alpn_protocols(list(conv.CLIENT_ALPN[app_protocol]))
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


class Inbound(Server):
    """The destination's sidecar: mutual TLS in, plain HTTP to the application on ``app_port``."""

    name = "inbound"

    def __init__(self, ca: MeshCA, me: Workload, app_port: int, *, policy: str = "STRICT", port: int = 0,
                 log: EventLog | None = None, keylog: str | None = None) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}")
        self.ctx = server_context(ca, me, keylog=keylog)
        self.app_port = app_port
        self.policy = policy
        super().__init__(port, log)

    def handle(self, conn: socket.socket, peer: Any) -> None:
        first = conn.recv(3, socket.MSG_PEEK)
        if not first:
            conn.close()
            return
        if first[0] == 0x16:  # a TLS handshake record: mesh traffic
            tls = self.ctx.wrap_socket(conn, server_side=True)
            caller = peer_spiffe_id(tls)
            self.log(f"inbound: mutual TLS from {caller} ({tls.version()}, {(tls.cipher() or ('?',))[0]}, "
                     f"ALPN {tls.selected_alpn_protocol()})")
            relay(tls, socket.create_connection((HOST, self.app_port), timeout=TIMEOUT))
        elif self.policy == "STRICT":
            self.log(f"inbound: STRICT refused a plaintext connection from port {peer[1]} (reset)")
            conn.recv(4096)  # what the client sent is on the wire already; read it, then refuse
            reset(conn)
        else:
            self.log(f"inbound: PERMISSIVE accepted a plaintext connection from port {peer[1]}")
            relay(conn, socket.create_connection((HOST, self.app_port), timeout=TIMEOUT))


class Outbound(Server):
    """The caller's sidecar: plain connections in, mutual TLS out to ``upstream_port``."""

    name = "outbound"

    def __init__(self, ca: MeshCA, me: Workload, upstream_port: int, *, service: str = "details",
                 namespace: str = conv.NAMESPACE, tls_version: str = "1.3", port: int = 0,
                 log: EventLog | None = None, keylog: str | None = None) -> None:
        self.ctx = client_context(ca, me, tls_version=tls_version, keylog=keylog)
        self.upstream_port = upstream_port
        self.sni = conv.istio_sni(service, namespace)
        self.expected = conv.workload_id(service, namespace)
        self.me = me
        super().__init__(port, log)

    def handle(self, conn: socket.socket, peer: Any) -> None:
        raw = socket.create_connection((HOST, self.upstream_port), timeout=TIMEOUT)
        try:
            tls = self.ctx.wrap_socket(raw, server_hostname=self.sni)
        except (OSError, ssl.SSLError) as exc:
            self.log(f"outbound ({self.me.spiffe_id}): handshake failed: {exc}")
            reset(conn)
            raw.close()
            return
        server_id = peer_spiffe_id(tls)
        if server_id != self.expected:
            self.log(f"outbound: server presented {server_id}, expected {self.expected}: refused")
            tls.close()
            reset(conn)
            return
        self.log(f"outbound: {self.me.spiffe_id} → {server_id} ({tls.version()}, SNI {self.sni})")
        relay(conn, tls)
