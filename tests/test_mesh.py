"""The local mesh: real mutual TLS on 127.0.0.1, its policies, its captures (tap and tcpdump)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kslab.errors import UsageError
from kslab.mesh import conventions as conv
from kslab.mesh.ca import MeshCA
from kslab.mesh.capture import Tcpdump, can_capture
from kslab.mesh.demo import LocalMesh, run
from kslab.mesh.scenarios import PLAINTEXT, Caller
from kslab.mesh.sidecar import Outbound
from kslab.pcap import summarize

PRODUCTPAGE = Caller("productpage")
CAN_TCPDUMP = bool(shutil.which("tcpdump")) and can_capture()


def test_ca_issues_istio_shaped_certificates_and_removes_its_keys() -> None:
    from cryptography import x509

    with MeshCA() as ca:
        w = ca.issue(conv.workload_id("details"))
        assert stat.S_IMODE(ca.dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(w.key_file.stat().st_mode) == 0o600
        leaf, root = x509.load_pem_x509_certificates(w.chain_file.read_bytes())
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert san.critical and san.value.get_values_for_type(x509.UniformResourceIdentifier) == [
            "spiffe://cluster.local/ns/istio-app/sa/bookinfo-details"]
        assert len(leaf.subject) == 0 and leaf.issuer == root.subject
        assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).total_seconds() == 24 * 3600
        assert leaf.public_key().key_size == 2048 and root.public_key().key_size == 2048
        assert "PRIVATE" not in repr(w) + repr(ca)
        folder = ca.dir
    assert not folder.exists()


def test_tls13_over_the_tap_gives_the_bundled_facts(tmp_path: Path) -> None:
    result = run("mtls-tls13", capture="tap", pcap=tmp_path / "t.pcap")
    assert "relay tap" in result.capture_method
    assert result.calls[0].responses[0].status == 200
    assert any("inbound: mutual TLS from spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage (TLSv1.3"
               in e for e in result.events)
    [flow] = summarize(result.capture).flows
    t = flow.tls
    assert (t.version, t.sni, t.alpn_offered) == ("TLS 1.3", conv.istio_sni("details"),
                                                  list(conv.CLIENT_ALPN["http/1.1"]))
    assert t.certificates == {"client": [], "server": []}
    assert flow.ended == "closed (FIN both ways)" and flow.missing == 0


def test_tls12_two_callers_identities_on_the_wire(tmp_path: Path) -> None:
    result = run("mtls-tls12", capture="tap", pcap=tmp_path / "t.pcap")
    flows = summarize(result.capture).flows
    assert [f.tls.identities for f in flows] == [
        {"client": [conv.workload_id("productpage")], "server": [conv.workload_id("details")]},
        {"client": ["spiffe://cluster.local/ns/default/sa/curl"], "server": [conv.workload_id("details")]}]
    assert all(f.tls.alpn_selected == "http/1.1" for f in flows)


def test_strict_refuses_plaintext_and_permissive_lets_it_through(tmp_path: Path) -> None:
    strict = run("strict-refuses-plaintext", capture="tap", pcap=tmp_path / "s.pcap")
    [resp] = strict.calls[0].responses
    assert resp.status is None and "curl would exit with code 56" in resp.error
    assert summarize(strict.capture).flows[0].ended == "reset by the server"
    permissive = run("strict-refuses-plaintext", capture="tap", pcap=tmp_path / "p.pcap", policy="PERMISSIVE")
    assert permissive.calls[0].caller == PLAINTEXT and permissive.calls[0].responses[0].status == 200
    assert any("PERMISSIVE accepted a plaintext connection" in e for e in permissive.events)


def test_keep_alive_requests_share_one_connection() -> None:
    with LocalMesh(capture=None) as mesh:
        call = mesh.call(PRODUCTPAGE, ["/details/3", "/books?count=2", "/nope"])
    assert [r.status for r in call.responses] == [200, 200, 404]
    assert json.loads(call.responses[1].body)["books"][1]["id"] == 1
    assert sum("mutual TLS from" in e for e in mesh.events) == 1


def test_a_caller_from_another_ca_is_refused() -> None:
    """Mutual TLS authenticates both ends: a certificate the mesh's root did not sign gets nothing."""
    with LocalMesh(capture=None) as mesh, MeshCA() as rogue:
        assert mesh.ca is not None
        intruder = Outbound(rogue, rogue.issue(conv.workload_id("productpage")), mesh.wire_port, log=mesh.log)
        try:
            from kslab.mesh.app import get

            [resp] = get(intruder.port, ["/details/0"])
        finally:
            intruder.close()
    assert resp.status is None
    assert any("handshake failed" in e or "failed" in e for e in mesh.events)


def test_the_client_sidecar_checks_the_server_identity() -> None:
    with LocalMesh(capture=None) as mesh:
        assert mesh.ca is not None
        out = Outbound(mesh.ca, mesh.ca.issue(conv.workload_id("productpage")), mesh.wire_port,
                       service="ratings", log=mesh.log)  # expects ratings' identity, meets details'
        try:
            from kslab.mesh.app import get

            [resp] = get(out.port, ["/details/0"])
        finally:
            out.close()
    assert resp.status is None
    assert any("expected spiffe://cluster.local/ns/istio-app/sa/bookinfo-ratings: refused" in e for e in mesh.events)


def test_keylog_lets_scapy_decrypt_tls13(tmp_path: Path) -> None:
    from kslab.pcap.scapy_tools import decrypt

    keylog = tmp_path / "keys.log"
    result = run("mtls-tls13", capture="tap", pcap=tmp_path / "k.pcap", keylog=keylog)
    plain = decrypt(result.capture, keylog)
    assert plain.requests[0].start_line == "GET /details/0 HTTP/1.1"
    assert json.loads(plain.responses[0].body)["id"] == 0
    assert plain.identities == {"server": [conv.workload_id("details")], "client": [conv.workload_id("productpage")]}


def test_bounds_and_bad_settings() -> None:
    with pytest.raises(UsageError, match="policy 'LOOSE'"):
        LocalMesh(policy="LOOSE")
    with pytest.raises(UsageError, match="TLS version '1.1'"):
        LocalMesh(tls_version="1.1")
    mesh = LocalMesh(capture=None, time_limit=0.3).start()
    port = mesh.wire_port
    time.sleep(0.8)  # the time limit closes everything
    from kslab.mesh.app import get

    assert get(port, ["/details/0"], timeout=2)[0].status is None


def test_demo_runs_without_capture_privileges(tmp_path: Path) -> None:
    """As a user without CAP_NET_RAW (here: root with every capability dropped), the tap captures."""
    argv = [sys.executable, "-m", "kslab", "mesh", "demo", "--json", "--out", str(tmp_path / "u.pcap")]
    if can_capture():
        if not shutil.which("setpriv"):
            pytest.skip("cannot drop privileges here (no setpriv)")
        argv = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KSLAB_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["as_expected"] and "relay tap" in doc["capture_method"]
    assert doc["summary"]["flows"][0]["tls"]["version"] == "TLS 1.3"


def test_record_regenerates_every_capture_and_the_readme(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "kslab", "mesh", "record", "--out", str(tmp_path), "--capture", "tap"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in tmp_path.glob("*.pcap"))
    assert names == ["mtls-tls12.pcap", "mtls-tls13.pcap", "plaintext-http.pcap", "strict-refuses-plaintext.pcap"]
    readme = (tmp_path / "README.md").read_text()
    assert readme.count("captured with: a relay tap") == 4 and "kslab mesh record" in readme


@pytest.mark.skipif(not CAN_TCPDUMP, reason="needs tcpdump and root (CAP_NET_RAW)")
def test_real_tcpdump_capture(tmp_path: Path) -> None:
    result = run("mtls-tls12", capture="tcpdump", pcap=tmp_path / "d.pcap")
    assert "real tcpdump" in result.capture_method
    flows = summarize(result.capture).flows
    assert len(flows) == 2 and all(f.tls.version == "TLS 1.2" for f in flows)


@pytest.mark.skipif(not CAN_TCPDUMP, reason="needs tcpdump and root (CAP_NET_RAW)")
def test_tcpdump_any_interface_writes_linux_cooked_v2(tmp_path: Path) -> None:
    from kslab.mesh.app import DetailsService, get

    # On a loaded machine tcpdump -i any sometimes loses packets ("N packets dropped by kernel" on its
    # stderr): a capture that lacks the server's answer is taken again, up to five times, and each one is
    # read. What is judged is the reader on the captures tcpdump did write whole.
    stats = []
    for attempt in range(5):
        out = tmp_path / f"any{attempt}.pcap"
        app = DetailsService()
        try:
            with Tcpdump(out, app.port, interface="any") as dump:
                assert get(app.port, ["/details/5"])[0].status == 200
        finally:
            app.close()
        stats.append(" / ".join(dump.stderr[-3:]))
        cap = summarize(out)
        assert cap.totals.link_types == {276}
        if all(f.payload_bytes[1] for f in cap.flows if f.payload_bytes[0]):
            break
    else:
        pytest.fail(f"tcpdump lost the server's answer five times: {stats}")
    assert any(f.requests and f.requests[0].target == "/details/5" and f.responses and f.responses[0].status == 200
               for f in cap.flows)
    # Loopback on "any" shows each packet once per direction of the interface: never a retransmission.
    assert all(f.retransmitted == 0 for f in cap.flows)
