"""The ports a Kubernetes node listens on, and a probe that tells which answer, and to whom.

:data:`PORTS` is the modern port map (the 2019 slide's table, corrected and completed). :func:`probe`
connects to one address with short timeouts and, for each port that is open, says whether it speaks
TLS or plain HTTP and how it treats a caller with no credentials: answers (200/404), accepts the
anonymous caller but forbids it (403: anonymous auth is on), or demands authentication (401), or
refuses the TLS handshake without a client certificate.

It only probes loopback or a node of the student's own lab cluster (:func:`allowed_address`).

>>> print(port_table([p for p in PORTS if p.port in ("10250", "10255")]))
PORT   COMPONENT  WHAT                                              AUTHENTICATION
10250  kubelet    kubelet API: exec, logs, port-forward, /configz,  required: x509 client certificates or tokens
                  /metrics/cadvisor                                 (webhook), authorization Webhook
10255  kubelet    read-only kubelet API: pods, node stats           none: anyone who reaches it can read
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kslab.errors import ApiError, NotALabContext, UsageError
from kslab.views.tables import Table, format_table

if TYPE_CHECKING:
    from kslab.cluster.lab import Lab


@dataclass(frozen=True)
class Port:
    """One entry of the port map."""

    port: str  # "6443" or a range "30000-32767"
    component: str
    what: str
    auth: str
    today: str  # status today, and what changed since 2019
    probe_path: str = ""  # what the probe asks for when the port answers
    in_2019_slide: bool = False


PORTS: tuple[Port, ...] = (
    Port("6443", "kube-apiserver", "the Kubernetes API", "required unless --anonymous-auth is on; then "
         "authorization (Node,RBAC) decides", "unchanged; the only port the API is served on since the "
         "insecure port 8080 was removed (1.20/1.24)", "/api", True),
    Port("2379-2380", "etcd", "etcd clients (the API server) / etcd peers", "client certificates "
         "(kubeadm: --client-cert-auth)", "kubeadm binds clients to 127.0.0.1 and the node IP", "/version"),
    Port("10250", "kubelet", "kubelet API: exec, logs, port-forward, /configz, /metrics/cadvisor",
         "required: x509 client certificates or tokens (webhook), authorization Webhook",
         "unchanged; the one port a node must expose to the API server", "/pods", True),
    Port("10255", "kubelet", "read-only kubelet API: pods, node stats", "none: anyone who reaches it can read",
         "closed by default when the kubelet uses a config file (readOnlyPort: 0, kubeadm, kind); CIS 4.2.4",
         "/pods", True),
    Port("10256", "kube-proxy", "kube-proxy health check (/healthz)", "none (health only)",
         "unchanged", "/healthz", True),
    Port("10257", "kube-controller-manager", "controller manager health and metrics", "required for "
         "/metrics (delegated to the API server); /healthz open", "kubeadm binds it to 127.0.0.1 (CIS 1.3.7)",
         "/metrics"),
    Port("10259", "kube-scheduler", "scheduler health and metrics", "required for /metrics (delegated to "
         "the API server); /healthz open", "kubeadm binds it to 127.0.0.1 (CIS 1.4.2)", "/metrics"),
    Port("9099", "calico-felix", "Calico's health check (only with Calico or Canal)", "none (health only)",
         "only on clusters that use Calico; kind's default CNI does not", "/liveness", True),
    Port("30000-32767", "kube-proxy", "NodePort Services", "whatever the Service's pods do",
         "unchanged (--service-node-port-range)"),
    Port("4149", "(none)", "the 2019 slide's \"default cAdvisor port\": a mistake", "-",
         "the cAdvisor port was 4194, not 4149", in_2019_slide=True),
    Port("4194", "kubelet (cAdvisor)", "cAdvisor's own UI and API (--cadvisor-port)", "none",
         "removed in 1.12; container metrics are at :10250/metrics/cadvisor, behind the kubelet's auth"),
)


def port_table(ports: Iterable[Port] = PORTS, *, width: int = 50) -> Table:
    """The port map as a table (HTML in a notebook; as text, long values wrap at ``width``)."""
    rows = [{"port": p.port, "component": p.component, "what": p.what, "auth": p.auth} for p in ports]
    return Table(rows, ["port", "component", "what", "auth"], ["PORT", "COMPONENT", "WHAT", "AUTHENTICATION"],
                 wrap={"what": width, "auth": width})


def then_vs_now_table() -> Table:
    """The 2019 slide's rows next to what is true today."""
    rows = [{"port": p.port, "component": p.component, "today": p.today} for p in PORTS if p.in_2019_slide]
    return Table(rows, ["port", "component", "today"], ["PORT (2019 SLIDE)", "COMPONENT", "TODAY"],
                 wrap={"today": 70})


# ---- the guard rail ------------------------------------------------------------------------------

def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


#: What a student hears when their kubeconfig may not list nodes (a classroom's is namespace-scoped).
NODES_FORBIDDEN = ("you may not list nodes (403 Forbidden: your kubeconfig is namespace-scoped, as in a "
                   "classroom), so kslab cannot tell which addresses are your cluster's nodes")
NODES_FORBIDDEN_HINT = ("probe 127.0.0.1 instead (probe('127.0.0.1')), or ask your instructor for the node "
                        "addresses and what they answer")


def visible_node_addresses(lab: Lab) -> list[str] | None:
    """The addresses of the lab cluster's nodes (InternalIP/ExternalIP), or None when this identity
    may not list nodes. Live and lab context only."""
    lab.require_lab("probing a node's ports")
    try:
        nodes = lab.list_nodes()
    except ApiError as err:  # a 403 is an answer; the rest stay errors
        if err.status == 403:
            return None
        raise
    return sorted({a.address for n in nodes for a in (n.status.addresses or [])
                   if a.type in ("InternalIP", "ExternalIP")})


def lab_node_addresses(lab: Lab) -> list[str]:
    """The addresses of the lab cluster's nodes; :class:`NotALabContext` when they may not be listed."""
    addresses = visible_node_addresses(lab)
    if addresses is None:
        raise NotALabContext(NODES_FORBIDDEN, hint=NODES_FORBIDDEN_HINT)
    return addresses


def allowed_address(address: str, lab: Lab | None = None) -> str:
    """Return ``address`` if it may be probed: loopback, or a node of the student's lab cluster.

    >>> allowed_address("127.0.0.1")
    '127.0.0.1'
    >>> allowed_address("8.8.8.8")
    Traceback (most recent call last):
    ...
    kslab.errors.NotALabContext: refusing to probe 8.8.8.8: it is not loopback and not a node of your lab cluster
    """
    if _is_loopback(address):
        return address
    if lab is not None and getattr(lab, "live", False) and getattr(lab, "lab_context", False):
        if address in lab_node_addresses(lab):
            return address
    raise NotALabContext(f"refusing to probe {address}: it is not loopback and not a node of your lab cluster",
                         hint="probe 127.0.0.1, or a node address shown by `kubectl get nodes -o wide` "
                              "on the course's cluster (kslab.connect() on a lab context)")


# ---- the probe ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProbeResult:
    """What one port did when asked without credentials."""

    port: int
    component: str
    open: bool
    protocol: str = ""  # "HTTPS", "HTTP", "TLS", "TCP"
    status: int | None = None  # HTTP status code, when there was one
    anonymous: str = ""  # the verdict in words

    @property
    def answers_anonymously(self) -> bool:
        return self.status is not None and self.status not in (401,) and self.status < 500 \
            and self.status != 403

    def as_dict(self) -> dict[str, Any]:
        return {"port": self.port, "component": self.component, "open": self.open,
                "protocol": self.protocol, "status": self.status, "anonymous": self.anonymous}


def _http_status(sock: socket.socket, host: str, path: str) -> int | None:
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kslab-probe\r\n"
               "Accept: application/json\r\nConnection: close\r\n\r\n")
    sock.sendall(request.encode())
    data = b""
    while b"\r\n" not in data and len(data) < 4096:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    first = data.split(b"\r\n", 1)[0].decode("latin-1", "replace").split()
    if len(first) >= 2 and first[0].startswith("HTTP/") and first[1].isdigit():
        return int(first[1])
    return None


def _verdict(status: int | None) -> str:
    if status is None:
        return "answers, but not HTTP"
    if status == 401:
        return "authentication required (401)"
    if status == 403:
        return "anonymous accepted, then forbidden (403): anonymous auth is on"
    if 200 <= status < 300:
        return f"answers anonymously ({status})"
    if status == 404:
        return "answers anonymously (404 for this path)"
    return f"answered {status}"


def probe_port(address: str, port: int, *, path: str = "/", timeout: float = 0.5,
               component: str = "") -> ProbeResult:
    """Probe one port (the address must already be allowed): TCP, then TLS or plain HTTP."""
    try:
        raw = socket.create_connection((address, port), timeout=timeout)
    except OSError:
        return ProbeResult(port, component, False, anonymous="closed")
    raw.settimeout(max(timeout, 1.0))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # we ask how it treats strangers, not whether we trust it
    try:
        with ctx.wrap_socket(raw, server_hostname=None if address[0].isdigit() or ":" in address
                             else address) as tls:
            try:
                status = _http_status(tls, address, path)
            except ssl.SSLError as exc:
                if "CERTIFICATE" in str(exc).upper():
                    return ProbeResult(port, component, True, "TLS", None,
                                       "client certificate required (TLS alert)")
                return ProbeResult(port, component, True, "TLS", None, "TLS, then closed without "
                                   "answering: a client certificate is probably required")
            except OSError:
                return ProbeResult(port, component, True, "TLS", None, "TLS, then closed without "
                                   "answering: a client certificate is probably required")
            return ProbeResult(port, component, True, "HTTPS", status, _verdict(status))
    except ssl.SSLError as exc:
        if "CERTIFICATE" in str(exc).upper():  # TLS 1.2: the handshake itself demands a certificate
            return ProbeResult(port, component, True, "TLS", None, "client certificate required (TLS alert)")
        # otherwise not TLS: try plain HTTP on a fresh connection
    except OSError:
        return ProbeResult(port, component, True, "TCP", None, "open, closed the connection")
    try:
        with socket.create_connection((address, port), timeout=timeout) as plain:
            plain.settimeout(max(timeout, 1.0))
            status = _http_status(plain, address, path)
    except OSError:
        return ProbeResult(port, component, True, "TCP", None, "open, but did not answer HTTP")
    return ProbeResult(port, component, True, "HTTP" if status else "TCP", status,
                       _verdict(status) + (" over plain HTTP" if status else ""))


def _single_ports() -> dict[int, Port]:
    out: dict[int, Port] = {}
    for p in PORTS:
        if p.port.isdigit() and p.probe_path:
            out[int(p.port)] = p
        elif "-" in p.port and p.probe_path:
            out[int(p.port.split("-")[0])] = p
    return out


@dataclass
class ProbeReport:
    address: str
    results: list[ProbeResult]

    def __str__(self) -> str:
        rows = [{"port": r.port, "component": r.component, "state": "open" if r.open else "closed",
                 "protocol": r.protocol, "anonymous": r.anonymous if r.open else ""} for r in self.results]
        return f"ports of {self.address} (probed without credentials)\n" + format_table(
            rows, ["port", "component", "state", "protocol", "anonymous"],
            ["PORT", "COMPONENT", "STATE", "PROTOCOL", "A CALLER WITHOUT CREDENTIALS"])

    def __repr__(self) -> str:
        return str(self)

    def as_dict(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self.results]


def probe(address: str, ports: Iterable[int] | None = None, *, lab: Lab | None = None, timeout: float = 0.5,
          paths: Mapping[int, str] | None = None) -> ProbeReport:
    """Probe a node address (loopback, or a node of the lab cluster) on the map's ports.

    ``ports`` defaults to every single port of :data:`PORTS` with something to ask; ``paths`` gives
    the HTTP path per port for ports not in the map.
    """
    allowed_address(address, lab)
    known = _single_ports()
    chosen = sorted(known) if ports is None else list(ports)
    if any(not 0 < p < 65536 for p in chosen):
        raise UsageError("ports must be between 1 and 65535")
    results = []
    for port in chosen:
        entry = known.get(port)
        path = (paths or {}).get(port) or (entry.probe_path if entry else "/")
        results.append(probe_port(address, port, path=path, timeout=timeout,
                                  component=entry.component if entry else ""))
    return ProbeReport(address, results)


def probe_lab(lab: Lab, *, timeout: float = 0.5) -> ProbeReport | str:
    """Probe the lab cluster's first node; offline there is no node, and this says so."""
    if not getattr(lab, "live", False):
        return ("offline: there is no node to probe. On the course's kind cluster this probes the "
                "node's address and shows which of the ports above answer a caller without credentials.")
    addresses = visible_node_addresses(lab)
    if addresses is None:
        return f"{NODES_FORBIDDEN}. Nothing was probed: {NODES_FORBIDDEN_HINT}."
    if not addresses:
        return "the cluster reports no node addresses to probe"
    return probe(addresses[0], lab=lab, timeout=timeout)
