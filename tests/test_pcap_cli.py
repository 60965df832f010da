"""``kslab pcap``: the command-line contract (output, --json, exit codes, bad input as one line)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from kslab.pcap import bundled


def kslab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kslab", *args], capture_output=True, text=True, timeout=120)


def test_summary_of_the_tls12_capture() -> None:
    done = kslab("pcap", "summary", str(bundled("mtls-tls12.pcap")), "--leaks")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("TLS: TLS 1.2") == 2
    assert "SNI: outbound_.9080_._.details.istio-app.svc.cluster.local" in out
    assert "ALPN offered: istio-http/1.1, istio, http/1.1; selected: http/1.1" in out
    assert "URI SAN spiffe://cluster.local/ns/default/sa/curl" in out
    assert "SEES    client identity (certificate): spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage" in out
    assert "hidden  request and response contents" in out


def test_summary_json_is_one_valid_document() -> None:
    done = kslab("pcap", "summary", str(bundled("plaintext-http.pcap")), "--json", "--entropy")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["format"] == "pcap" and doc["flows"][0]["protocol"] == "HTTP"
    http = doc["flows"][0]["http"]
    assert http["requests"][0]["target"] == "/details/0" and http["responses"][0]["status"] == 200
    assert json.loads(http["responses"][0]["body"])["author"] == "William Shakespeare"
    assert 3.0 < doc["flows"][0]["entropy_bits_per_byte"]["client"] < 6.0
    assert doc["nothing_to_see"] is None and doc["packets"] == doc["tcp_packets"]


def test_view_shows_the_request_as_text() -> None:
    done = kslab("pcap", "view", str(bundled("plaintext-http.pcap")), "--flow", "1")
    assert done.returncode == 0, done.stderr
    assert "Flags [S]" in done.stdout and "GET /details/0 HTTP/1.1\nAccept-Encoding" in done.stdout
    missing = kslab("pcap", "view", str(bundled("plaintext-http.pcap")), "--flow", "7")
    assert missing.returncode == 2 and "there is no flow 7" in missing.stderr


def _udp_only(path: Path) -> Path:
    from scapy.all import IP, UDP, Ether, wrpcap

    wrpcap(str(path), [Ether() / IP() / UDP(dport=53) / b"q"])
    return path


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"") and p, "the file is empty"),
    (lambda p: p.write_bytes(b"\x00garbage" * 50) and p, "not a pcap or pcapng capture"),
    (lambda p: p.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 220)
                             + struct.pack("<IIII", 0, 0, 4, 4) + b"abcd") and p, "link type 220"),
    (lambda p: p.parent, "is a directory"),
    (lambda p: p.parent / "nope.pcap", "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, make: object, message: str) -> None:
    target = tmp_path / "x.pcap"
    path = make(target) or target  # type: ignore[operator]
    done = kslab("pcap", "summary", str(path))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "hint:" in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_non_tcp_capture_says_nothing_to_see(tmp_path: Path) -> None:
    done = kslab("pcap", "summary", str(_udp_only(tmp_path / "u.pcap")))
    assert done.returncode == 0 and "nothing to see: no TCP traffic in 1 packets (1 UDP)" in done.stdout
    doc = json.loads(kslab("pcap", "summary", str(tmp_path / "u.pcap"), "--json").stdout)
    assert doc["flows"] == [] and doc["nothing_to_see"].startswith("nothing to see")
