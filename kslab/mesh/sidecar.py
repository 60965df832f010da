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
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from kslab.mesh import conventions as conv
from kslab.mesh.ca import MeshCA, Workload

HOST = "127.0.0.1"
TIMEOUT = 10.0
MAX_CONNECTIONS = 128
POLICIES = ("STRICT", "PERMISSIVE")
TLS_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

EventLog = Callable[[str], None]


def listen(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1: ``port`` if free, else any free port."""
    for candidate in ((port, 0) if port else (0,)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, candidate))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        return sock
    raise OSError("no free port on 127.0.0.1")  # pragma: no cover


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER with a zero timeout), as Envoy does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _shut_write(sock: socket.socket) -> None:
    # socket.socket.shutdown directly: SSLSocket.shutdown would drop the TLS state of the read side.
    try:
        socket.socket.shutdown(sock, socket.SHUT_WR)
    except OSError:
        pass


def pump(src: socket.socket, dst: socket.socket, on_data: Callable[[bytes], None] | None = None) -> None:
    """Copy bytes src → dst until EOF, then half-close dst (the FIN travels on, TCP-style)."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if on_data is not None:
                on_data(data)
            dst.sendall(data)
    except (OSError, ssl.SSLError):
        pass
    finally:
        _shut_write(dst)


def relay(a: socket.socket, b: socket.socket) -> None:
    """Relay both ways until both directions are finished, then close both sockets."""
    back = threading.Thread(target=pump, args=(b, a), daemon=True)
    back.start()
    pump(a, b)
    back.join(TIMEOUT * 2)
    for s in (a, b):
        try:
            s.close()
        except OSError:
            pass


class Server:
    """A threaded TCP server on 127.0.0.1: one thread per connection, a bounded number at a time."""

    name = "server"

    def __init__(self, port: int = 0, log: EventLog | None = None) -> None:
        self.sock = listen(port)
        self.port = int(self.sock.getsockname()[1])
        self.log = log or (lambda _msg: None)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=self.name, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            if not self._slots.acquire(timeout=TIMEOUT):
                reset(conn)
                continue
            threading.Thread(target=self._serve, args=(conn, peer), daemon=True).start()

    def _serve(self, conn: socket.socket, peer: Any) -> None:
        try:
            conn.settimeout(TIMEOUT)
            self.handle(conn, peer)
        except (OSError, ssl.SSLError) as exc:
            self.log(f"{self.name}: connection from port {peer[1]} failed: {exc}")
            try:
                conn.close()
            except OSError:
                pass
        finally:
            self._slots.release()

    def handle(self, conn: socket.socket, peer: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        self._closed.set()
        try:
            # shutdown wakes the thread blocked in accept(); close alone would leave the port bound.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(2)


def peer_spiffe_id(tls: ssl.SSLSocket) -> str | None:
    """The SPIFFE ID in the peer certificate's URI SAN (Python's ssl exposes SANs as pairs)."""
    cert = tls.getpeercert() or {}
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
            self.log(f"inbound: mutual TLS from {caller} ({tls.version()}, {tls.cipher()[0]}, "
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


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it is true or the timeout passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
