"""The sans-IO layers on their own: bytes in, facts out — fed whole, byte by byte, and in pieces."""

from __future__ import annotations

import struct

import pytest

from kslab.pcap import tls_registry as reg
from kslab.pcap.entropy import profile, random_level, shannon
from kslab.pcap.http import HttpStream
from kslab.pcap.layers import Fragment, decode, link_decoder
from kslab.pcap.reassembly import PENDING_LIMIT, Stream
from kslab.pcap.tls import TlsConnection, build_client_hello, parse_client_hello
from kslab.pcap.write import PcapWriter, TcpConversation, ipv4_tcp_frame


def feed(stream: HttpStream, data: bytes, step: int) -> HttpStream:
    for i in range(0, len(data), step):
        stream.data(data[i:i + step])
    return stream


REQUESTS = (b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n")
RESPONSES = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia!\r\n0\r\n\r\n"
             b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"          # HEAD: no body despite the length
             b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
             b"HTTP/1.1 204 No Content\r\n\r\n")


@pytest.mark.parametrize("step", [1, 3, 17, 10_000])
def test_http_pipelined_messages_any_split(step: int) -> None:
    req = feed(HttpStream("request"), REQUESTS, step)
    resp = feed(HttpStream("response", req), RESPONSES, step)
    assert [(m.method, m.target) for m in req.messages] == [("GET", "/a"), ("HEAD", "/b"), ("POST", "/c"), ("GET", "/d")]
    assert req.messages[2].body == b"hello" and req.count == 4
    assert [m.status for m in resp.messages] == [200, 200, 100, 201, 204]
    assert resp.messages[0].body == b"Wikipedia!" and resp.messages[0].body_length == 10
    assert resp.messages[1].body == b"" and resp.messages[3].body == b"ok"
    assert resp.count == 4 and not resp.problem and all(m.complete for m in resp.messages)


def test_http_body_until_close_and_a_gap_inside_a_known_body() -> None:
    resp = HttpStream("response")
    resp.data(b"HTTP/1.0 200 OK\r\n\r\n<html>")
    resp.data(b"</html>")
    assert not resp.messages[0].complete
    resp.end()
    assert resp.messages[0].complete and resp.messages[0].body == b"<html></html>"
    s = HttpStream("response")
    s.data(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab")
    s.gap(5)
    s.data(b"cde")
    assert s.messages[0].complete and s.messages[0].body_length == 10 and not s.problem


def test_http_garbage_stops_with_a_reason() -> None:
    s = HttpStream("request")
    s.data(b"\x16\x03\x01 not http\r\n\r\n")
    assert s.messages == [] and "not an HTTP request line" in s.problem


def test_client_hello_round_trip_and_grease() -> None:
    rec = build_client_hello(sni="a.example", alpn=["istio", "h2"], versions=(0x3A3A, 0x0304), ciphers=(0x1A1A, 0x1301))
    ch = parse_client_hello(rec[9:])
    assert (ch.sni, ch.alpn) == ("a.example", ["istio", "h2"])
    assert [reg.version_name(v) for v in ch.versions] == ["GREASE", "TLS 1.3"]
    assert [reg.cipher_name(c) for c in ch.cipher_suites] == ["GREASE", "TLS_AES_128_GCM_SHA256"]
    with pytest.raises(ValueError):
        parse_client_hello(rec[9:40])


def _record(ctype: int, body: bytes) -> bytes:
    return bytes([ctype, 3, 3]) + struct.pack("!H", len(body)) + body


def _handshake(mtype: int, body: bytes) -> bytes:
    return bytes([mtype]) + len(body).to_bytes(3, "big") + body


def _server_hello(version: int | None, random: bytes = bytes(32), alpn: str | None = None) -> bytes:
    exts = b""
    if version:
        exts += struct.pack("!HHH", 43, 2, version)
    if alpn:
        proto = bytes([len(alpn)]) + alpn.encode()
        exts += struct.pack("!HH", 16, len(proto) + 2) + struct.pack("!H", len(proto)) + proto
    body = b"\x03\x03" + random + b"\x00" + struct.pack("!H", 0x1302) + b"\x00" + struct.pack("!H", len(exts)) + exts
    return _record(22, _handshake(2, body))


def test_tls13_hello_retry_then_encrypted_everything() -> None:
    conn = TlsConnection()
    hello = build_client_hello(sni="s")
    conn.data(0, hello)
    conn.data(1, _server_hello(0x0304, reg.HELLO_RETRY_RANDOM))
    assert conn.hello_retry and not conn.dirs[0].encrypted  # the second ClientHello is still in clear
    conn.data(0, hello)
    conn.data(1, _server_hello(0x0304) + _record(20, b"\x01") + _record(23, bytes(300)))
    conn.data(0, _record(20, b"\x01") + _record(23, bytes(50)))
    assert conn.version == "TLS 1.3" and conn.second_client_hello is not None
    assert conn.dirs[1].encrypted_records == 1 and conn.dirs[1].encrypted_bytes == 300
    assert conn.dirs[0].encrypted_records == 1 and conn.dirs[0].change_cipher_spec


def test_tls12_alert_in_clear_and_alpn_selected() -> None:
    conn = TlsConnection()
    conn.data(0, build_client_hello(alpn=["h2", "http/1.1"], versions=(0x0303,)))
    conn.data(1, _server_hello(None, alpn="http/1.1") + _record(21, b"\x02\x74"))
    assert conn.version == "TLS 1.2" and conn.server_hello.alpn == "http/1.1"
    assert conn.alerts == [("server", "fatal certificate_required", True)]


def test_tls_not_records_stops_following() -> None:
    conn = TlsConnection()
    conn.data(0, build_client_hello(sni="x") + b"GET / HTTP/1.1\r\n")
    assert conn.client_hello is not None and conn.client_hello.sni == "x"
    assert any("not a TLS record header" in n for n in conn.notes)
    other = TlsConnection()
    other.data(0, b"\x16\x03\x01\x00\x05hello")
    assert any("implausibly long handshake message" in n for n in other.notes)


def test_reassembly_across_sequence_wraparound_and_holes() -> None:
    got: list[bytes] = []
    lost: list[int] = []
    s = Stream(got.append, lost.append)
    s.syn(0xFFFFFFFD)                       # data starts at 0xFFFFFFFE and wraps to 0
    s.segment(0, b"cd")                     # after the wrap, early
    s.segment(0xFFFFFFFE, b"ab")            # fills the hole
    s.segment(0xFFFFFFFF, b"bcd")           # overlaps what we have: only retransmitted bytes
    s.segment(8, b"zz")                     # a hole of 6 bytes never filled
    s.finish()
    assert got == [b"ab", b"cd", b"zz"] and lost == [6]
    assert s.retransmitted == 3 and s.missing == 6


def test_reassembly_memory_is_bounded() -> None:
    got: list[bytes] = []
    s = Stream(got.append, lambda n: None)
    s.syn(0)
    chunk = bytes(64 * 1024)
    for i in range(1, 40):                  # 2.5 MiB all after a hole that never fills
        s.segment(1 + 100 + i * len(chunk), chunk)
        assert s.pending_bytes <= PENDING_LIMIT + len(chunk)
    assert s.missing > 0 and got


def test_decode_names_what_it_does_not_follow() -> None:
    eth = link_decoder(1)
    frame = ipv4_tcp_frame("10.0.0.1", "10.0.0.2", 1, 2, 0, 0, 0x18, b"x")
    frag = bytearray(frame)
    frag[14 + 6] |= 0x20  # more-fragments
    piece = decode(eth, bytes(frag))
    assert isinstance(piece, Fragment) and (piece.offset, piece.more, piece.data[20:]) == (0, True, b"x")
    assert decode(eth, frame[:30]) == "truncated"
    seg = decode(eth, frame)
    assert isinstance(seg, tuple) and seg[7] == b"x"


def test_written_frames_have_valid_checksums(tmp_path) -> None:
    """Scapy recomputes IPv4 and TCP checksums: they must equal the ones our writer stored."""
    from scapy.all import IP, TCP, Ether, rdpcap

    path = tmp_path / "w.pcap"
    with open(path, "wb") as f:
        conv = TcpConversation(PcapWriter(f), ("127.0.0.1", 40000), ("127.0.0.1", 9080), mss=100)
        conv.open(1.0)
        conv.send(0, b"x" * 250, 1.1)
        conv.send(1, b"y" * 33, 1.2)
        conv.reset(1, 1.3)
    pkts = rdpcap(str(path))
    # handshake 3; 250 bytes as 100+100 (ACKed at once, every second segment) +50; 33 bytes back; RST
    assert len(pkts) == 3 + 4 + 1 + 1
    for p in pkts:
        stored = (p[IP].chksum, p[TCP].chksum)
        fresh = Ether(bytes(p))
        del fresh[IP].chksum, fresh[TCP].chksum
        fresh = Ether(bytes(fresh))
        assert stored == (fresh[IP].chksum, fresh[TCP].chksum)
    assert [len(bytes(p[TCP].payload)) for p in pkts if p[TCP].flags & 0x08] == [50, 33]


def test_entropy_estimates() -> None:
    assert shannon(b"") == 0.0 and shannon(b"abab") == 1.0
    assert profile(b"x" * 1000, 256) == [0.0, 0.0, 0.0]
    assert 7.1 < random_level(256) < 7.25 < random_level(1024) < 8
