"""The port map and the probe, tested only against servers started here on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kslab.audit.ports import PORTS, allowed_address, port_table, probe, probe_lab, then_vs_now_table
from kslab.errors import NotALabContext


def test_port_map_has_the_modern_ports_and_the_2019_mistake():
    ports = {p.port: p for p in PORTS}
    for port in ("6443", "2379-2380", "10250", "10255", "10256", "10257", "10259", "9099", "30000-32767",
                 "4149", "4194"):
        assert port in ports
    assert "4194" in ports["4149"].today and "1.12" in ports["4194"].today
    assert "readOnlyPort: 0" in ports["10255"].today
    assert "4149" in then_vs_now_table().text() and "10255" in port_table().text()
    assert "10255" in port_table().html()


def make_cert(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "tls.crt", tmp / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def handler_answering(code: int) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def server(code: int, *, tls: tuple[Path, Path] | None = None, require_client_cert: bool = False
           ) -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_answering(code))
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*map(str, tls))
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(str(tls[0]))
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_probe_tells_open_closed_tls_http_and_anonymous(tmp_path):
    cert = make_cert(tmp_path)
    closed = free_port()
    with server(200) as readonly, server(401, tls=cert) as secure, server(403, tls=cert) as anon, \
            server(200, tls=cert, require_client_cert=True) as mtls:
        report = probe("127.0.0.1", [readonly, secure, anon, mtls, closed], timeout=1.0)
    r = {x.port: x for x in report.results}
    assert r[readonly].open and r[readonly].protocol == "HTTP" and r[readonly].status == 200
    assert r[readonly].answers_anonymously and "plain HTTP" in r[readonly].anonymous
    assert r[secure].protocol == "HTTPS" and r[secure].status == 401 and not r[secure].answers_anonymously
    assert r[anon].status == 403 and "anonymous auth is on" in r[anon].anonymous
    assert r[mtls].protocol == "TLS" and r[mtls].status is None and "certificate" in r[mtls].anonymous
    assert not r[closed].open and r[closed].anonymous == "closed"
    assert "A CALLER WITHOUT CREDENTIALS" in str(report)


def test_probe_refuses_addresses_outside_loopback_and_the_lab():
    for address in ("10.0.0.1", "192.168.1.1", "example.com", "8.8.8.8"):
        with pytest.raises(NotALabContext, match="refusing to probe"):
            probe(address, [10250])
    assert allowed_address("::1") == "::1" and allowed_address("localhost") == "localhost"


def test_probe_lab_offline_says_there_is_nothing_to_probe():
    import kslab

    assert probe_lab(kslab.connect(mode="offline")).startswith("offline: there is no node to probe")
