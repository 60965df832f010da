"""Crafted captures: the same real TLS 1.2 conversation cut, shuffled, duplicated and wrapped in
every link layer and file format the reader supports — the facts must not change.

The conversation is the first flow of the bundled ``mtls-tls12.pcap``, read here with Scapy (not
with kslab), so the crafted files are built independently of the code under test.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kslab.errors import InputError
from kslab.pcap import bundled, summarize
from kslab.pcap.flows import Analysis

C_ADDR, S_ADDR, C6, S6 = "10.1.0.7", "10.1.0.9", "fd00::7", "fd00::9"
C_PORT, S_PORT = 51000, 9080


def conversation(name: str = "mtls-tls12.pcap") -> list[tuple[int, bytes]]:
    """The first flow's payloads in capture order: (0 = client / 1 = server, bytes), via Scapy."""
    from scapy.all import TCP, rdpcap

    pkts = rdpcap(str(bundled(name)))
    client_port = next(p[TCP].sport for p in pkts if TCP in p and p[TCP].flags == "S")
    out = []
    for p in pkts:
        if TCP in p and client_port in (p[TCP].sport, p[TCP].dport) and bytes(p[TCP].payload):
            out.append((0 if p[TCP].sport == client_port else 1, bytes(p[TCP].payload)))
    return out


def segments(conv: list[tuple[int, bytes]], *, size: int = 7, shuffle: bool = False, duplicate: float = 0.0,
             overlap: bool = False, drop: Callable[[int, int], bool] | None = None,
             seed: int = 5) -> list[tuple[int, int, bytes]]:
    """(side, seq offset, bytes) segments: each chunk cut into ``size``-byte pieces, optionally shuffled
    within the chunk, some sent twice, some re-sent overlapping the next piece, some dropped."""
    rng = random.Random(seed)
    offset = [0, 0]
    out: list[tuple[int, int, bytes]] = []
    for side, data in conv:
        pieces = [(side, offset[side] + i, data[i:i + size]) for i in range(0, len(data), size)]
        if overlap:
            pieces += [(side, offset[side] + i + 3, data[i + 3:i + size + 5]) for i in range(0, len(data) - 8, size * 3)]
        if duplicate:
            pieces += [p for p in pieces if rng.random() < duplicate]
        if shuffle:
            rng.shuffle(pieces)
        if drop:
            pieces = [p for p in pieces if not drop(p[0], p[1])]
        out.extend(pieces)
        offset[side] += len(data)
    return out


def tcp_packets(segs: list[tuple[int, int, bytes]], wrap: Callable[[Any, int], Any], *, v6: bool = False) -> list[Any]:
    """Scapy packets: handshake, the segments, FINs; ``wrap(ip_packet, side)`` adds the link layer."""
    from scapy.all import IP, TCP, IPv6

    isn = (1000, 5000)
    last = [0, 0]
    for side, off, data in segs:
        last[side] = max(last[side], off + len(data))

    def pkt(side: int, seq: int, flags: str, data: bytes = b"", ack: int = 0) -> Any:
        src, dst = ((C6, S6) if v6 else (C_ADDR, S_ADDR))[::1 if side == 0 else -1]
        sport, dport = (C_PORT, S_PORT) if side == 0 else (S_PORT, C_PORT)
        ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
        return wrap(ip / TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags) / data, side)

    out = [pkt(0, isn[0], "S"), pkt(1, isn[1], "SA", ack=isn[0] + 1), pkt(0, isn[0] + 1, "A", ack=isn[1] + 1)]
    for side, off, data in segs:
        out.append(pkt(side, isn[side] + 1 + off, "PA", data, ack=isn[1 - side] + 1))
    out += [pkt(0, isn[0] + 1 + last[0], "FA"), pkt(1, isn[1] + 1 + last[1], "FA")]
    for i, p in enumerate(out):
        p.time = 1_700_000_000 + i * 0.001
    return out


def ether(ip: Any, side: int) -> Any:
    from scapy.all import Ether

    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip


def write(path: Path, pkts: list[Any], linktype: int | None = None) -> Path:
    from scapy.all import wrpcap

    if linktype is None:
        wrpcap(str(path), pkts)
    else:
        wrpcap(str(path), pkts, linktype=linktype)
    return path


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    """The TLS facts of the original capture's first flow."""
    return summarize(bundled("mtls-tls12.pcap")).flows[0].tls.to_dict()


def _only_flow(path: Path) -> Any:
    cap = summarize(path)
    assert len(cap.flows) == 1, [str(f) for f in cap.flows]
    return cap.flows[0]


def test_records_split_in_7_byte_segments_give_the_same_facts(tmp_path: Path, reference: dict[str, Any]) -> None:
    flow = _only_flow(write(tmp_path / "split.pcap", tcp_packets(segments(conversation()), ether)))
    assert flow.tls.to_dict() == reference
    assert flow.out_of_order == 0 and flow.retransmitted == 0


def test_out_of_order_retransmitted_and_overlapping_segments(tmp_path: Path, reference: dict[str, Any]) -> None:
    segs = segments(conversation(), size=11, shuffle=True, duplicate=0.2, overlap=True)
    flow = _only_flow(write(tmp_path / "messy.pcap", tcp_packets(segs, ether)))
    assert flow.tls.to_dict() == reference
    assert flow.out_of_order > 0 and flow.retransmitted > 0 and flow.missing == 0


@pytest.mark.parametrize("layer", ["vlan", "qinq", "sll", "sll2", "null", "raw"])
def test_link_layers(tmp_path: Path, reference: dict[str, Any], layer: str) -> None:
    from scapy.all import CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Ether, Loopback

    wraps: dict[str, tuple[Callable[[Any, int], Any], int | None]] = {
        "vlan": (lambda ip, side: Ether() / Dot1Q(vlan=42) / ip, None),
        "qinq": (lambda ip, side: Ether() / Dot1AD(vlan=7) / Dot1Q(vlan=42) / ip, None),
        "sll": (lambda ip, side: CookedLinux(pkttype=4 if side else 0, lladdrtype=772, proto=0x0800) / ip, 113),
        "sll2": (lambda ip, side: CookedLinuxV2(proto=0x0800, ifindex=1, lladdrtype=772) / ip, 276),
        "null": (lambda ip, side: Loopback(type=2) / ip, 0),
        "raw": (lambda ip, side: ip, 101),
    }
    wrap, linktype = wraps[layer]
    path = write(tmp_path / f"{layer}.pcap", tcp_packets(segments(conversation(), size=300), wrap), linktype)
    flow = _only_flow(path)
    assert flow.tls.to_dict() == reference
    assert flow.client == f"{C_ADDR}:{C_PORT}" and flow.server == f"{S_ADDR}:{S_PORT}"


def test_ipv6_with_an_extension_header(tmp_path: Path, reference: dict[str, Any]) -> None:
    from scapy.all import IPv6ExtHdrHopByHop

    def wrap(ip: Any, side: int) -> Any:
        tcp = ip.payload
        ip.remove_payload()
        return ether(ip / IPv6ExtHdrHopByHop() / tcp, side)

    flow = _only_flow(write(tmp_path / "v6.pcap", tcp_packets(segments(conversation(), size=500), wrap, v6=True)))
    assert flow.tls.to_dict() == reference
    assert flow.client == f"[{C6}]:{C_PORT}" and flow.server == f"[{S6}]:{S_PORT}"


def test_pcapng_and_nanosecond_and_big_endian_pcap(tmp_path: Path, reference: dict[str, Any]) -> None:
    from scapy.all import wrpcap, wrpcapng

    pkts = tcp_packets(segments(conversation(), size=200), ether)
    ng = tmp_path / "c.pcapng"
    wrpcapng(str(ng), pkts)
    nano = tmp_path / "nano.pcap"
    wrpcap(str(nano), pkts, nano=True)
    little = write(tmp_path / "le.pcap", pkts)
    big = tmp_path / "be.pcap"
    data = little.read_bytes()
    header = struct.unpack("<IHHiIII", data[:24])
    out = bytearray(struct.pack(">IHHiIII", *header))
    pos = 24
    while pos < len(data):
        rec = struct.unpack("<IIII", data[pos:pos + 16])
        out += struct.pack(">IIII", *rec) + data[pos + 16:pos + 16 + rec[2]]
        pos += 16 + rec[2]
    big.write_bytes(bytes(out))
    starts = set()
    for path, fmt in ((ng, "pcapng"), (nano, "pcap"), (big, "pcap")):
        cap = summarize(path)
        assert cap.totals.format == fmt and len(cap.flows) == 1
        assert cap.flows[0].tls.to_dict() == reference
        starts.add(round(cap.flows[0].start, 6))
    assert starts == {1_700_000_000.0}


def test_a_lost_segment_during_application_data(tmp_path: Path, reference: dict[str, Any]) -> None:
    conv = conversation()
    handshake_bytes = sum(len(d) for s, d in conv[:4] if s == 1)
    segs = segments(conv, size=50, drop=lambda side, off: side == 1 and off == handshake_bytes + 100)
    flow = _only_flow(write(tmp_path / "lossy.pcap", tcp_packets(segs, ether)))
    assert flow.missing == 50
    assert flow.tls.certificates == summarize(bundled("mtls-tls12.pcap")).flows[0].tls.certificates
    assert any("missing from the capture" in n for n in flow.tls.notes)


def test_snap_length_cut_reports_missing_bytes(tmp_path: Path) -> None:
    """A capture made with a small snap length (tcpdump -s 128): headers readable, payload cut."""
    src = bundled("plaintext-http.pcap").read_bytes()
    out = bytearray(src[:16] + struct.pack("<I", 128) + src[20:24])
    pos = 24
    while pos < len(src):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", src[pos:pos + 16])
        frame = src[pos + 16:pos + 16 + caplen]
        out += struct.pack("<IIII", sec, usec, min(caplen, 128), wirelen) + frame[:128]
        pos += 16 + caplen
    path = tmp_path / "snap.pcap"
    path.write_bytes(bytes(out))
    flow = _only_flow(path)
    assert flow.missing > 0
    assert flow.requests[0].start_line == "GET /details/0 HTTP/1.1"
    assert flow.http_problems  # the body was cut: the parser says it stopped following


def test_truncated_file_is_read_up_to_the_last_whole_packet(tmp_path: Path) -> None:
    data = bundled("mtls-tls12.pcap").read_bytes()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[:len(data) // 2 + 7])
    cap = summarize(path)
    assert cap.totals.truncated
    assert cap.flows[0].tls.sni == "outbound_.9080_._.details.istio-app.svc.cluster.local"
    assert "ends in the middle of a packet" in str(cap)


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\xd4\xc3\xb2\xa1\x02\x00", "header is cut short"),
    (bytes(range(200)), "not a pcap or pcapng capture"),
    (b"GET / HTTP/1.1\r\n\r\n", "not a pcap or pcapng capture"),
])
def test_bad_files_raise_one_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        summarize(path)


def test_unsupported_link_type(tmp_path: Path) -> None:
    from scapy.all import Raw

    path = write(tmp_path / "usb.pcap", [Raw(b"\x00" * 40)], linktype=220)
    with pytest.raises(InputError, match=r"link type 220 \(Linux USB\) is not supported"):
        summarize(path)


def test_udp_only_capture_has_nothing_to_see(tmp_path: Path) -> None:
    from scapy.all import DNS, DNSQR, IP, UDP, Ether

    pkts = [Ether() / IP(dst="10.0.0.53") / UDP(dport=53) / DNS(qd=DNSQR(qname="details")) for _ in range(3)]
    cap = summarize(write(tmp_path / "dns.pcap", pkts))
    assert cap.flows == [] and cap.totals.other == {"UDP": 3}
    assert "nothing to see: no TCP traffic in 3 packets (3 UDP)" in str(cap)


def test_flows_are_reported_while_the_file_is_still_being_read(tmp_path: Path) -> None:
    """Streaming: a closed flow is yielded long before the end of a long capture."""
    from scapy.all import IP, TCP

    pkts = []
    t = 1_700_000_000.0
    for i in range(300):
        sport = 20000 + i
        for p in (IP(src=C_ADDR, dst=S_ADDR) / TCP(sport=sport, dport=80, flags="S", seq=1),
                  IP(src=S_ADDR, dst=C_ADDR) / TCP(sport=80, dport=sport, flags="SA", seq=9, ack=2),
                  IP(src=C_ADDR, dst=S_ADDR) / TCP(sport=sport, dport=80, flags="PA", seq=2, ack=10) / b"x",
                  IP(src=C_ADDR, dst=S_ADDR) / TCP(sport=sport, dport=80, flags="FA", seq=3, ack=10),
                  IP(src=S_ADDR, dst=C_ADDR) / TCP(sport=80, dport=sport, flags="FA", seq=10, ack=4)):
            framed = ether(p, 0)
            framed.time = t
            t += 0.1
            pkts.append(framed)
    analysis = Analysis(write(tmp_path / "many.pcap", pkts))
    first = next(iter(analysis))
    assert first.id == 1 and analysis._reader.packets < len(pkts) // 2
    rest = list(analysis)
    assert len(rest) == 299 and analysis.totals.flows == 300


def test_a_reused_four_tuple_starts_a_new_flow(tmp_path: Path) -> None:
    from scapy.all import IP, TCP

    pkts = []
    for seq in (100, 900000):
        for p in (IP(src=C_ADDR, dst=S_ADDR) / TCP(sport=40000, dport=80, flags="S", seq=seq),
                  IP(src=S_ADDR, dst=C_ADDR) / TCP(sport=80, dport=40000, flags="SA", seq=7, ack=seq + 1),
                  IP(src=C_ADDR, dst=S_ADDR) / TCP(sport=40000, dport=80, flags="PA", seq=seq + 1, ack=8)
                  / b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
                  IP(src=S_ADDR, dst=C_ADDR) / TCP(sport=80, dport=40000, flags="R", seq=8)):
            pkts.append(ether(p, 0))
    cap = summarize(write(tmp_path / "reuse.pcap", pkts))
    assert [f.id for f in cap.flows] == [1, 2]
    assert all(f.requests[0].target == "/x" and f.ended == "reset by the server" for f in cap.flows)


def test_no_handshake_seen_guesses_the_server_by_port(tmp_path: Path) -> None:
    from scapy.all import IP, TCP

    pkt = IP(src=S_ADDR, dst=C_ADDR) / TCP(sport=80, dport=41000, flags="PA", seq=1, ack=1) / b"HTTP/1.1 204 No Content\r\n\r\n"
    flow = _only_flow(write(tmp_path / "mid.pcap", [ether(pkt, 0)]))
    assert flow.direction_guessed and flow.server == f"{S_ADDR}:80"
    assert flow.protocol == "HTTP" and flow.responses[0].status == 204


# ---- tunnels, Wi-Fi and fragments (issue #17): the same facts through every wrapping tshark follows ----
@pytest.mark.parametrize("layer", ["radiotap", "wifi", "gre", "gre-ethernet", "mpls", "vlan-mpls", "ip-in-ip",
                                   "ipv6-in-ipv4"])
def test_tunnels_and_wifi(tmp_path: Path, reference: dict[str, Any], layer: str) -> None:
    from scapy.all import GRE, IP, LLC, SNAP, Dot1Q, Dot11, Dot11QoS, Ether, RadioTap
    from scapy.contrib.mpls import MPLS

    def wifi(ip: Any, side: int) -> Any:
        to_or_from_ds = 1 if side == 0 else 2
        return Dot11(type=2, subtype=8, FCfield=to_or_from_ds) / Dot11QoS() / LLC() / SNAP() / ip

    def outer(proto: int = 47) -> Any:  # explicit MACs: scapy would ARP for them otherwise
        return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="192.0.2.1", dst="192.0.2.2", proto=proto)

    wraps: dict[str, tuple[Callable[[Any, int], Any], int | None]] = {
        "radiotap": (lambda ip, side: RadioTap() / wifi(ip, side), 127),
        "wifi": (wifi, 105),
        "gre": (lambda ip, side: outer() / GRE() / ip, None),
        "gre-ethernet": (lambda ip, side: outer() / GRE(key_present=1, key=9)
                         / Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04") / Dot1Q(vlan=5) / ip, None),
        "mpls": (lambda ip, side: Ether(type=0x8847) / MPLS(label=16, s=0) / MPLS(label=17, s=1) / ip, None),
        "vlan-mpls": (lambda ip, side: Ether() / Dot1Q(vlan=3, type=0x8847) / MPLS(label=16, s=1) / ip, None),
        "ip-in-ip": (lambda ip, side: outer(4) / ip, None),
        "ipv6-in-ipv4": (lambda ip, side: outer(41) / ip, None),
    }
    wrap, linktype = wraps[layer]
    flow = _only_flow(write(tmp_path / f"{layer}.pcap", tcp_packets(segments(conversation(), size=300), wrap,
                                                                      v6=layer == "ipv6-in-ipv4"), linktype))
    assert flow.tls.to_dict() == reference


def test_wifi_frames_without_ip_are_named(tmp_path: Path) -> None:
    from scapy.all import Dot11, Dot11Beacon, RadioTap

    beacon = RadioTap() / Dot11(type=0, subtype=8) / Dot11Beacon()
    protected = RadioTap() / Dot11(type=2, subtype=0, FCfield=0x40)  # protected / (b"\x00" * 40)
    cap = summarize(write(tmp_path / "air.pcap", [beacon, protected], 127))
    assert cap.totals.other == {"802.11 management": 1, "802.11 encrypted (WEP/WPA)": 1}


@pytest.mark.parametrize("v6", [False, True])
def test_ip_fragments_are_reassembled(tmp_path: Path, reference: dict[str, Any], v6: bool) -> None:
    from scapy.all import fragment, fragment6

    pkts = tcp_packets(segments(conversation(), size=600), ether, v6=v6)
    out: list[Any] = []
    for i, p in enumerate(pkts):
        if len(p) < 200:
            out.append(p)
            continue
        if v6:
            pieces = fragment6(_with_fragment_header(p, i), 200)
        else:
            pieces = fragment(p, fragsize=96)
        if i % 3 == 0:
            pieces = list(reversed(pieces))  # out of order too
        for piece in pieces:
            piece.time = p.time
        out.extend(pieces)
    cap = summarize(write(tmp_path / "frag.pcap", out))
    assert len(cap.flows) == 1 and cap.flows[0].tls.to_dict() == reference
    assert cap.totals.other["IP datagrams reassembled from fragments"] > 10
    assert "fragmented IP datagrams never completed" not in cap.totals.other


def _with_fragment_header(p: Any, ident: int) -> Any:
    from scapy.all import IPv6, IPv6ExtHdrFragment

    ip = p[IPv6]
    return p.__class__(src=p.src, dst=p.dst) / IPv6(src=ip.src, dst=ip.dst) / IPv6ExtHdrFragment(id=ident) / ip.payload


def test_an_atomic_ipv6_fragment_is_just_the_packet(tmp_path: Path, reference: dict[str, Any]) -> None:
    """RFC 6946: a fragment header with offset 0 and no more fragments is a whole packet."""
    from scapy.all import IPv6, IPv6ExtHdrFragment

    def atomic(ip: Any, side: int) -> Any:
        return ether(IPv6(src=ip.src, dst=ip.dst) / IPv6ExtHdrFragment(id=7, offset=0, m=0) / ip.payload, side)

    flow = _only_flow(write(tmp_path / "atomic.pcap", tcp_packets(segments(conversation(), size=300), atomic, v6=True)))
    assert flow.tls.to_dict() == reference


def test_fragment_reassembly_is_bounded_and_refuses_overlaps() -> None:
    from kslab.pcap.fragments import MAX_DATAGRAMS, Defragmenter
    from kslab.pcap.layers import Fragment

    d = Defragmenter()
    for i in range(MAX_DATAGRAMS * 3):  # first pieces only: never completed
        assert d.add(Fragment((4, b"\x01" * 4, b"\x02" * 4, i, 6), 0, True, bytes(8)), 0.0) is None
    assert d.waiting == MAX_DATAGRAMS and d.dropped == 2 * MAX_DATAGRAMS
    key = (4, b"\x01" * 4, b"\x02" * 4, 99_999, 6)
    d.add(Fragment(key, 0, True, bytes(16)), 1.0)
    assert d.add(Fragment(key, 8, False, bytes(16)), 1.0) is None and d.overlapping == 1
    assert d.add(Fragment((4, b"\x01" * 4, b"\x02" * 4, 5, 6), 0, True, bytes(8)), 500.0) is None
    assert d.waiting == 1  # everything older than the timeout was dropped
