"""Writing pcap files, and turning "what each side of a connection wrote" into TCP packets.

The mesh demo's relay tap uses this when tcpdump cannot run (no root): it forwards the real
bytes between two sidecars and records each chunk; :class:`TcpConversation` then writes the
packets a wire would have carried — handshake, data cut into MSS-sized segments with consistent
sequence and acknowledgement numbers, ACKs, FIN or RST — with correct IPv4 and TCP checksums.

>>> import io
>>> out = io.BytesIO()
>>> w = PcapWriter(out)
>>> conv = TcpConversation(w, ("127.0.0.1", 40000), ("127.0.0.1", 9080))
>>> conv.open(0.0); conv.send(0, b"hello", 0.1); conv.close(0, 0.2); conv.close(1, 0.2)
>>> w.packets  # SYN, SYN-ACK, ACK; data, its delayed ACK (40 ms later); FIN, ACK; FIN, ACK
9
"""

from __future__ import annotations

import ipaddress
import struct
import sys
import threading
from array import array
from typing import BinaryIO

from kslab.pcap.layers import ACK, FIN, PSH, RST, SYN

LINKTYPE_ETHERNET = 1
ETHERNET_HEADER = bytes(12) + b"\x08\x00"  # loopback-style zero MACs, EtherType IPv4
MSS = 1448  # 1500-byte MTU minus IPv4 (20), TCP (20) and the timestamp option (12)


class PcapWriter:
    """A classic pcap writer (microsecond timestamps, Ethernet); thread-safe."""

    def __init__(self, stream: BinaryIO, *, link_type: int = LINKTYPE_ETHERNET, snaplen: int = 262144) -> None:
        self.stream = stream
        self.packets = 0
        self._lock = threading.Lock()
        stream.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, link_type))

    def write(self, ts: float, frame: bytes) -> None:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        if usec >= 1_000_000:
            sec, usec = sec + 1, usec - 1_000_000
        with self._lock:
            self.stream.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            self.packets += 1


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071), as the 16-bit value to store in network order.

    >>> hex(checksum(bytes.fromhex("4500003c1c4640004006 0000 ac100a63ac100a0c".replace(" ", ""))))
    '0xb1e6'
    """
    if len(data) % 2:
        data += b"\x00"
    words = array("H", data)
    if sys.byteorder == "little":
        words.byteswap()
    total = sum(words)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_tcp_frame(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int,
                   payload: bytes = b"", *, ip_id: int = 0, window: int = 65535) -> bytes:
    """An Ethernet + IPv4 + TCP frame with valid checksums."""
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                      window, 0, 0)
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp + payload)) + tcp[18:]
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ip_id & 0xFFFF, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ETHERNET_HEADER + ip + tcp + payload


class TcpConversation:
    """The packets of one TCP connection, synthesised from what each side sent (side 0 = client).

    ACKs follow the usual delayed-ACK behaviour of a TCP stack: every second full segment is
    ACKed at once; otherwise the ACK rides on the receiver's next data, or comes on its own when
    the delayed-ACK timer (40 ms) would have fired, or right after a FIN.
    """

    DELAYED_ACK = 0.040

    def __init__(self, writer: PcapWriter, client: tuple[str, int], server: tuple[str, int], *,
                 mss: int = MSS, isn: tuple[int, int] = (0x1000, 0x8000)) -> None:
        self.writer = writer
        self.ends = (client, server)
        self.mss = mss
        self.seq = [isn[0], isn[1]]
        self.ip_id = [1, 1]
        self.closed = [False, False]
        self.unacked = [0, 0]         # segments each side has received and not yet ACKed
        self.last_ts = 0.0

    def _emit(self, side: int, ts: float, flags: int, payload: bytes = b"") -> None:
        (sa, sp), (da, dp) = self.ends[side], self.ends[1 - side]
        ack = self.seq[1 - side] if flags & ACK else 0
        frame = ipv4_tcp_frame(sa, da, sp, dp, self.seq[side], ack, flags, payload, ip_id=self.ip_id[side])
        self.ip_id[side] += 1
        if flags & ACK:
            self.unacked[side] = 0  # any segment with ACK set acknowledges everything received so far
        self.last_ts = ts
        self.writer.write(ts, frame)

    def _ack_if_due(self, side: int, ts: float) -> None:
        if self.unacked[side] and ts - self.last_ts >= self.DELAYED_ACK:
            self._emit(side, self.last_ts + self.DELAYED_ACK, ACK)

    def open(self, ts: float) -> None:
        """The three-way handshake."""
        self._emit(0, ts, SYN)
        self.seq[0] += 1
        self._emit(1, ts, SYN | ACK)
        self.seq[1] += 1
        self._emit(0, ts, ACK)

    def send(self, side: int, data: bytes, ts: float) -> None:
        """``data`` written by one side: MSS-sized segments, ACKed as a TCP stack would."""
        self._ack_if_due(1 - side, ts)
        pieces = [data[i:i + self.mss] for i in range(0, len(data), self.mss)]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            self._emit(side, ts, ACK | (PSH if last else 0), piece)
            self.seq[side] += len(piece)
            self.unacked[1 - side] += 1
            if self.unacked[1 - side] >= 2:
                self._emit(1 - side, ts, ACK)

    def close(self, side: int, ts: float) -> None:
        """A FIN from one side, ACKed at once by the other."""
        if self.closed[side]:
            return
        self._ack_if_due(1 - side, ts)
        self.closed[side] = True
        self._emit(side, ts, FIN | ACK)
        self.seq[side] += 1
        self._emit(1 - side, ts, ACK)

    def reset(self, side: int, ts: float) -> None:
        """A RST from one side: the connection is gone."""
        if all(self.closed):
            return
        self._emit(side, ts, RST | ACK)
        self.closed = [True, True]
