"""The summary of each bundled capture shows exactly the facts that capture contains.

The expected values are the mesh's conventions (kslab.mesh.conventions) and the scenarios that
made the captures; two independent readers cross-check ours where present: Scapy's TLS
dissection (always) and tshark (when installed).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from kslab.mesh import conventions as conv
from kslab.mesh.app import book
from kslab.pcap import bundled, bundled_captures, summarize

SNI = "outbound_.9080_._.details.istio-app.svc.cluster.local"
ALPN = ["istio-http/1.1", "istio", "http/1.1"]
PRODUCTPAGE = "spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage"
DETAILS = "spiffe://cluster.local/ns/istio-app/sa/bookinfo-details"
CURL = "spiffe://cluster.local/ns/default/sa/curl"
ISTIO_TLS12_SUITES = {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                      "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256"}


def test_the_four_captures_are_bundled_and_small() -> None:
    names = {p.name for p in bundled_captures()}
    assert names == {"plaintext-http.pcap", "mtls-tls13.pcap", "mtls-tls12.pcap", "strict-refuses-plaintext.pcap"}
    for p in bundled_captures():
        assert 200 < p.stat().st_size < 300_000, p


def test_plaintext_http_shows_request_response_and_json_body() -> None:
    cap = summarize(bundled("plaintext-http.pcap"))
    assert len(cap.flows) == 1
    flow = cap.flows[0]
    assert flow.protocol == "HTTP" and flow.tls is None
    assert flow.server == "127.0.0.1:9080" and flow.syn_seen and not flow.direction_guessed
    assert flow.ended == "closed (FIN both ways)"
    [req] = flow.requests
    [resp] = flow.responses
    assert (req.method, req.target, req.header("host")) == ("GET", "/details/0", "details:9080")
    assert resp.status == 200 and resp.header("content-type") == "application/json"
    assert json.loads(resp.body) == book(0)
    assert resp.body_length == int(resp.header("content-length"))
    leaks = {leak.fact: leak for leak in flow.eavesdropper()}
    assert leaks["response body"].visible and "William Shakespeare" in leaks["response body"].value
    assert leaks["request line (method, path)"].value == "GET /details/0"


def test_tls13_capture_shows_hello_facts_and_hides_certificates() -> None:
    cap = summarize(bundled("mtls-tls13.pcap"))
    assert len(cap.flows) == 1
    t = cap.flows[0].tls
    assert t is not None
    assert (t.version, t.sni, t.alpn_offered) == ("TLS 1.3", SNI, ALPN)
    assert t.versions_offered == ["TLS 1.3", "TLS 1.2"]
    assert t.cipher in {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"}
    assert t.alpn_selected is None and not t.alpn_selected_visible
    assert t.certificates == {"client": [], "server": []} and not t.certificate_request
    assert t.encrypted["client"]["records"] >= 3 and t.encrypted["server"]["records"] >= 4
    leaks = {leak.fact: leak for leak in cap.flows[0].eavesdropper()}
    assert not leaks["server identity (certificate)"].visible
    assert not leaks["client identity (certificate)"].visible
    assert leaks["server name (SNI)"].visible and leaks["server name (SNI)"].value == SNI
    assert cap.flows[0].requests == [] and cap.flows[0].protocol == "TLS"


def test_tls12_capture_shows_both_certificates_and_identities() -> None:
    cap = summarize(bundled("mtls-tls12.pcap"))
    assert len(cap.flows) == 2
    callers = []
    for flow in cap.flows:
        t = flow.tls
        assert t is not None
        assert (t.version, t.sni, t.alpn_offered, t.alpn_selected) == ("TLS 1.2", SNI, ALPN, "http/1.1")
        assert t.alpn_selected_visible and t.certificate_request
        assert t.versions_offered == ["TLS 1.2"]
        assert t.cipher in ISTIO_TLS12_SUITES
        server_leaf, root = t.certificates["server"]
        assert server_leaf.uris == (DETAILS,)
        client_leaf, client_root = t.certificates["client"]
        for leaf in (server_leaf, client_leaf):
            assert leaf.subject == "" and leaf.issuer == "O=cluster.local" and not leaf.is_ca
            assert leaf.lifetime_hours == conv.WORKLOAD_CERT_HOURS and leaf.key == "RSA 2048"
        assert root.subject == "O=cluster.local" and root.is_ca and root == client_root
        assert 3650 * 24 <= root.lifetime_hours <= 3653 * 24
        callers.append(client_leaf.uris[0])
        assert t.identities == {"client": [client_leaf.uris[0]], "server": [DETAILS]}
    assert callers == [PRODUCTPAGE, CURL]


def test_strict_capture_shows_a_refused_plaintext_request() -> None:
    cap = summarize(bundled("strict-refuses-plaintext.pcap"))
    [flow] = cap.flows
    assert flow.protocol == "HTTP" and flow.ended == "reset by the server"
    assert [m.start_line for m in flow.requests] == ["GET /details/0 HTTP/1.1"]
    assert flow.responses == [] and flow.payload_bytes[1] == 0
    assert "no response" in str(flow)


@pytest.mark.parametrize("name", ["mtls-tls13.pcap", "mtls-tls12.pcap"])
def test_scapy_reads_the_same_client_hello(name: str) -> None:
    """An independent dissector agrees on SNI, ALPN and the offered cipher suites."""
    from kslab.pcap.scapy_tools import _client_bytes, _flow, _load_tls
    from kslab.pcap.tls_registry import cipher_name

    tls = _load_tls()
    ours = summarize(bundled(name)).flows[0].tls
    data = _client_bytes(_flow(bundled(name), 1))
    hello = tls.TLS(data[:5 + int.from_bytes(data[3:5], "big")]).msg[0]
    exts = {type(e).__name__: e for e in hello.ext}
    sni = exts["TLS_Ext_ServerName"].servernames[0].servername.decode()
    alpn = [p.protocol.decode() for p in exts["TLS_Ext_ALPN"].protocols]
    assert (sni, alpn) == (ours.sni, ours.alpn_offered)
    assert [cipher_name(c) for c in hello.ciphers] == ours.ciphers_offered


@pytest.mark.skipif(not shutil.which("tshark"), reason="tshark is not installed")
@pytest.mark.parametrize("name", ["mtls-tls13.pcap", "mtls-tls12.pcap"])
def test_tshark_agrees_on_sni_version_and_certificates(name: str) -> None:
    out = subprocess.run(["tshark", "-r", str(bundled(name)), "-d", "tcp.port==9080,tls", "-Y",
                          "tls.handshake.type==1", "-T", "fields", "-e", "tls.handshake.extensions_server_name"],
                         capture_output=True, text=True, timeout=60, check=True).stdout.split()
    cap = summarize(bundled(name))
    assert out == [f.tls.sni for f in cap.flows]
    certs = subprocess.run(["tshark", "-r", str(bundled(name)), "-d", "tcp.port==9080,tls", "-Y",
                            "tls.handshake.type==11", "-T", "fields", "-e", "x509ce.uniformResourceIdentifier"],
                           capture_output=True, text=True, timeout=60, check=True).stdout.split()
    ours = [u for f in cap.flows for side in ("server", "client") for c in f.tls.certificates[side] for u in c.uris]
    assert sorted(",".join(certs).split(",") if certs else []) == sorted(ours)
