"""From a captured frame to a TCP segment: link layers, IPv4, IPv6 and TCP headers, as tables.

:func:`decode` is the hot path of the analysis (as :func:`decode_at`, on a frame where it lies in the
reader's block): it runs once per packet, so it unpacks only the header fields the flow analysis
needs and never builds objects (Scapy would take ~100 µs per packet; this takes about one). It
follows VLAN tags, MPLS labels, GRE and IP-in-IP tunnels to the TCP inside, hands IP fragments to
:mod:`kslab.pcap.fragments`, and names what it does not follow (UDP, ARP ...), so the summary can
say what else was in the capture.

Link types (numbers from the tcpdump.org LINKTYPE_ registry):

>>> sorted(LINK_TYPES)
[0, 1, 12, 101, 105, 108, 113, 127, 228, 229, 276]
>>> LINK_TYPES[276][0]
'Linux cooked capture v2 (SLL2, tcpdump -i any)'
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import NamedTuple

from kslab.errors import InputError

#: A TCP segment: (src addr, src port, dst addr, dst port, seq, ack, flags, payload, bytes missing).
#: Addresses are raw bytes (4 or 16); "bytes missing" counts payload the snap length cut off.
Segment = tuple[bytes, int, bytes, int, int, int, int, bytes, int]

#: A frame as the decoders take it: bytes, or a memoryview of the capture (the reader's frames).
Frame = bytes | memoryview

# TCP flags (RFC 9293 section 3.1).
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

ETH_IPV4, ETH_IPV6, ETH_ARP = 0x0800, 0x86DD, 0x0806
#: 802.1Q VLAN tag, 802.1ad (QinQ) service tag and the old QinQ value: a 4-byte tag, then an EtherType.
VLAN_TYPES = frozenset({0x8100, 0x88A8, 0x9100})

#: IP protocol numbers worth naming in the "other traffic" line (IANA registry).
IP_PROTOCOLS = {1: "ICMP", 2: "IGMP", 17: "UDP", 47: "GRE", 50: "ESP", 58: "ICMPv6", 132: "SCTP"}
#: IPv6 extension headers that may sit between the fixed header and TCP (RFC 8200 section 4).
IPV6_EXTENSIONS = {0: "hop-by-hop", 43: "routing", 60: "destination options", 51: "AH", 44: "fragment"}

_ETH = struct.Struct("!H")
_TCP = struct.Struct("!HHIIBB")
_IPV4 = struct.Struct("!BxHHHxB")
_ADDR4 = struct.Struct("4s4s")
_ADDR6 = struct.Struct("16s16s")
#: IPv4 (no options) and TCP headers in one; the same after a 14-byte Ethernet header (see decode).
_FAST4 = struct.Struct("!BxHxxHxB2x4s4sHHIIBB")
_FAST_ETH4 = struct.Struct("!12xHBxHxxHxB2x4s4sHHIIBB")

#: MPLS unicast and multicast (RFC 3032): 4-byte labels until the bottom-of-stack bit, then IP.
MPLS_TYPES = frozenset({0x8847, 0x8848})
#: GRE's protocol type for a whole Ethernet frame inside (transparent Ethernet bridging).
GRE_ETHERNET = 0x6558
#: Encapsulations followed inside each other (VLAN in GRE in MPLS ...), at most.
MAX_NESTING = 8

#: What a link decoder says when a frame carries no IP at all (values below any EtherType).
WIFI_MANAGEMENT, WIFI_CONTROL, WIFI_PROTECTED, WIFI_NO_DATA, WIFI_NOT_SNAP = -1001, -1002, -1003, -1004, -1005
NOT_IP = {WIFI_MANAGEMENT: "802.11 management", WIFI_CONTROL: "802.11 control",
          WIFI_PROTECTED: "802.11 encrypted (WEP/WPA)", WIFI_NO_DATA: "802.11 null data",
          WIFI_NOT_SNAP: "802.11 data without LLC/SNAP"}


class Fragment(NamedTuple):
    """One piece of a fragmented IP datagram (RFC 791 section 3.2, RFC 8200 section 4.5)."""

    key: tuple[int, bytes, bytes, int, int]  # (IP version, source, destination, identification, protocol)
    offset: int
    more: bool
    data: bytes


def _ethernet(frame: Frame, pos: int = 0) -> tuple[int, int]:
    """Ethernet II, following any number of VLAN tags; returns (EtherType, offset of its payload)."""
    etype = _ETH.unpack_from(frame, pos + 12)[0]
    pos += 14
    while etype in VLAN_TYPES:
        etype = _ETH.unpack_from(frame, pos + 2)[0]
        pos += 4
    return etype, pos


def _sll(frame: Frame) -> tuple[int, int]:
    """Linux cooked capture v1: 16 bytes, the protocol (an EtherType) at offset 14."""
    return _ETH.unpack_from(frame, 14)[0], 16


def _sll2(frame: Frame) -> tuple[int, int]:
    """Linux cooked capture v2: 20 bytes, the protocol (an EtherType) at offset 0."""
    return _ETH.unpack_from(frame, 0)[0], 20


#: BSD address-family values meaning IPv6 (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30).
_AF_INET6 = frozenset({10, 24, 28, 30})


def _null(frame: Frame) -> tuple[int, int]:
    """BSD loopback: a 4-byte address family in the *capturing host's* byte order."""
    family = frame[0] or frame[3]
    return (ETH_IPV4 if family == 2 else ETH_IPV6 if family in _AF_INET6 else -family), 4


def _loop(frame: Frame) -> tuple[int, int]:
    """OpenBSD loopback: the same 4-byte family, always in network byte order."""
    family = frame[3]
    return (ETH_IPV4 if family == 2 else ETH_IPV6 if family in _AF_INET6 else -family), 4


def raw_ip(frame: Frame) -> tuple[int, int]:
    """Raw IP: no link header; the IP version nibble says which."""
    return (ETH_IPV4 if frame[0] >> 4 == 4 else ETH_IPV6), 0


_raw = raw_ip


def _ieee80211(frame: Frame, pos: int = 0) -> tuple[int, int]:
    """An IEEE 802.11 frame: data frames carry an LLC/SNAP header and then an EtherType.

    The MAC header is 24 bytes, 30 with a fourth address (to and from the distribution system),
    2 more for QoS data, 4 more for an HT control field (IEEE 802.11-2020 section 9.2).
    """
    fc0, fc1 = frame[pos], frame[pos + 1]
    kind = (fc0 >> 2) & 3
    if kind != 2:
        return (WIFI_MANAGEMENT if kind == 0 else WIFI_CONTROL), pos
    if fc1 & 0x40:  # the Protected Frame bit: the body is encrypted
        return WIFI_PROTECTED, pos
    subtype = fc0 >> 4
    if subtype & 4:  # null data, CF-ack/poll without data
        return WIFI_NO_DATA, pos
    header = 30 if (fc1 & 3) == 3 else 24
    if subtype & 8:  # QoS data
        header += 2 + (4 if fc1 & 0x80 else 0)
    at = pos + header
    if frame[at:at + 3] != b"\xaa\xaa\x03":  # LLC: SNAP, unnumbered information
        return WIFI_NOT_SNAP, pos
    return _ETH.unpack_from(frame, at + 6)[0], at + 8


def _radiotap(frame: Frame) -> tuple[int, int]:
    """Radiotap (the radio's metadata, little-endian length at offset 2), then an 802.11 frame."""
    return _ieee80211(frame, frame[2] | frame[3] << 8)


def _gre(frame: Frame, pos: int) -> tuple[int, int]:
    """GRE (RFC 2784, with RFC 2890's key and sequence number): flags, then the protocol type."""
    flags, etype = struct.unpack_from("!HH", frame, pos)
    pos += 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
    if flags & 7:  # version 1 is PPTP's enhanced GRE, carrying PPP
        return -1, pos
    if etype == GRE_ETHERNET:
        return _ethernet(frame, pos)
    return etype, pos


def _mpls(frame: Frame, pos: int) -> tuple[int, int]:
    """Skip MPLS labels to the bottom of the stack; the payload's version nibble says what follows."""
    while not frame[pos + 2] & 1:
        pos += 4
    pos += 4
    nibble = frame[pos] >> 4
    return (ETH_IPV4 if nibble == 4 else ETH_IPV6 if nibble == 6 else -2), pos


#: Link type -> (name, decoder returning (EtherType, payload offset)).
LINK_TYPES: dict[int, tuple[str, Callable[[Frame], tuple[int, int]]]] = {
    0: ("BSD loopback (NULL)", _null),
    1: ("Ethernet", _ethernet),
    12: ("raw IP", _raw),
    101: ("raw IP", _raw),
    105: ("IEEE 802.11 (Wi-Fi)", _ieee80211),
    108: ("OpenBSD loopback (LOOP)", _loop),
    113: ("Linux cooked capture (SLL)", _sll),
    127: ("802.11 with radiotap", _radiotap),
    228: ("raw IPv4", _raw),
    229: ("raw IPv6", _raw),
    276: ("Linux cooked capture v2 (SLL2, tcpdump -i any)", _sll2),
}
#: A few link types students may meet, named in the error message (not analysed).
UNSUPPORTED_NAMES = {147: "user-defined", 195: "IEEE 802.15.4", 220: "Linux USB", 253: "Linux netlink",
                     9: "PPP", 50: "PPP in HDLC", 104: "Cisco HDLC", 119: "802.11 with Prism header",
                     163: "802.11 with AVS header"}


def link_name(link_type: int) -> str:
    """The name of a link type, supported or not.

    >>> link_name(1), link_name(105), link_name(220)
    ('Ethernet', 'IEEE 802.11 (Wi-Fi)', 'Linux USB')
    """
    if link_type in LINK_TYPES:
        return LINK_TYPES[link_type][0]
    return UNSUPPORTED_NAMES.get(link_type, f"link type {link_type}")


def link_decoder(link_type: int, source: str = "capture") -> Callable[[Frame], tuple[int, int]]:
    """The decoder for a link type, or an :class:`InputError` naming it.

    >>> link_decoder(220, "usb.pcap")
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: usb.pcap: link type 220 (Linux USB) is not supported
    """
    if link_type not in LINK_TYPES:
        raise InputError(f"{source}: link type {link_type} ({link_name(link_type)}) is not supported",
                         hint="capture on an Ethernet or loopback interface, or with tcpdump -i any; "
                              "supported: " + ", ".join(sorted({n for n, _ in LINK_TYPES.values()})))
    return LINK_TYPES[link_type][1]


def decode(link: Callable[..., tuple[int, int]], frame: Frame) -> Segment | Fragment | str:
    """One frame -> a TCP :data:`Segment`, a :class:`Fragment` to reassemble, or a short name for
    what it is instead. Tunnels (GRE, IP in IP, MPLS) are followed to the TCP inside.

    The frame may be a ``memoryview`` of the capture: headers are unpacked in place, and only what is
    handed on is copied out as ``bytes`` (the addresses, a non-empty payload, a fragment's data), so
    nothing handed on keeps the capture's buffer alive.

    >>> frame = bytes(12) + b"\\x08\\x06" + bytes(28)
    >>> decode(_ethernet, frame)
    'ARP'
    >>> decode(_ethernet, memoryview(frame))
    'ARP'
    """
    return decode_at(link, frame, 0, len(frame))


def decode_at(link: Callable[..., tuple[int, int]], block: Frame, start: int, end: int) -> Segment | Fragment | str:
    """:func:`decode` of the frame ``block[start:end]``, read where it lies in the reader's block: the
    analysis calls this once per packet, and no view of the frame is made on the way.

    >>> block = b"junk" + bytes(12) + b"\\x08\\x06" + bytes(28) + b"junk"
    >>> decode_at(_ethernet, block, 4, len(block) - 4)
    'ARP'
    """
    try:
        # The fast path: TCP in IPv4 without options or fragments, most of any capture, unpacked in one
        # call (with the Ethernet header too when that is the link). Anything else takes the general path.
        # Offsets (pos, ip_end, data_at) are in ``frame``: the block itself on Ethernet, else the frame.
        if link is _ethernet and end - start >= 48:
            etype, vihl, total, frag, proto, src, dst, sport, dport, seq, ack, off, flags = \
                _FAST_ETH4.unpack_from(block, start)
            frame, pos = block, start + 14
        else:
            frame = block if start == 0 and end == len(block) else block[start:end]
            start, end = 0, end - start
            etype, pos = link(frame)
            vihl = 0
            if etype == ETH_IPV4 and end >= pos + 34:
                vihl, total, frag, proto, src, dst, sport, dport, seq, ack, off, flags = _FAST4.unpack_from(frame, pos)
        if vihl == 0x45 and etype == ETH_IPV4 and proto == 6 and not frag & 0x3FFF:
            ip_end = pos + total if total else end
            data_at = pos + 20 + (off >> 4) * 4
            stop = ip_end if ip_end < end else end
            if stop > data_at:
                return src, sport, dst, dport, seq, ack, flags, bytes(frame[data_at:stop]), ip_end - stop
            if ip_end < data_at:
                return "malformed TCP"
            return src, sport, dst, dport, seq, ack, flags, b"", ip_end - data_at
    except (struct.error, IndexError):
        return "truncated"
    return _decode(link, frame if start == 0 and end == len(frame) else frame[start:end])


def _decode(link: Callable[..., tuple[int, int]], frame: Frame) -> Segment | Fragment | str:
    """:func:`decode` without its fast path: every link, tunnel, fragment and damage."""
    try:
        etype, pos = link(frame)
        for _ in range(MAX_NESTING):
            if etype == ETH_IPV4:
                vihl, total, ident, frag, proto = _IPV4.unpack_from(frame, pos)
                if vihl >> 4 != 4:
                    return "malformed IP"
                ip, start = pos, pos + (vihl & 15) * 4
                # The IP length, not the frame's: a snap length may have cut the frame (that is "missing").
                # 0: TSO on the capturing host, the length field is not filled in.
                end = pos + total if total else len(frame)
                if frag & 0x3FFF:  # more-fragments flag or a fragment offset
                    return Fragment((4, bytes(frame[pos + 12:pos + 16]), bytes(frame[pos + 16:pos + 20]), ident,
                                     proto), (frag & 0x1FFF) * 8, bool(frag & 0x2000), bytes(frame[start:end]))
            elif etype == ETH_IPV6:
                ip, proto, start = pos, frame[pos + 6], pos + 40
                # A payload length of 0 means a jumbogram (RFC 2675) or a GSO frame: trust the capture.
                end = start + (_ETH.unpack_from(frame, pos + 4)[0] or len(frame) - start)
                while proto in IPV6_EXTENSIONS:
                    if proto == 44:
                        offset_flags = _ETH.unpack_from(frame, start + 2)[0]
                        if offset_flags & 0xFFF9:  # a real fragment (not an atomic one, RFC 6946)
                            key = (6, bytes(frame[pos + 8:pos + 24]), bytes(frame[pos + 24:pos + 40]),
                                   struct.unpack_from("!I", frame, start + 4)[0], frame[start])
                            return Fragment(key, offset_flags & 0xFFF8, bool(offset_flags & 1),
                                            bytes(frame[start + 8:end]))
                        proto, start = frame[start], start + 8
                        continue
                    hdr_len = (frame[start + 1] + 2) * 4 if proto == 51 else (frame[start + 1] + 1) * 8
                    proto, start = frame[start], start + hdr_len
            elif etype in MPLS_TYPES:
                etype, pos = _mpls(frame, pos)
                continue
            elif etype in VLAN_TYPES:
                etype, pos = _ETH.unpack_from(frame, pos + 2)[0], pos + 4
                continue
            elif etype == ETH_ARP:
                return "ARP"
            elif etype < 0:
                return NOT_IP.get(etype) or (f"loopback family {-etype}" if etype > -1000 else "not IP")
            elif etype < 0x0600:
                return "802.3/LLC"
            else:
                return f"EtherType 0x{etype:04x}"
            if proto == 6:
                break
            if proto == 47:  # GRE
                etype, pos = _gre(frame, start)
                if etype == -1:
                    return "GRE (PPTP)"
            elif proto == 4 or proto == 41:  # IPv4 or IPv6 in IP (RFC 2003, RFC 4213)
                etype, pos = (ETH_IPV4 if proto == 4 else ETH_IPV6), start
            else:
                return IP_PROTOCOLS.get(proto, f"IP protocol {proto}")
        else:
            return "nested too deeply"
        sport, dport, seq, ack, off, flags = _TCP.unpack_from(frame, start)
        data_at = start + (off >> 4) * 4
        # The payload is frame[data_at:end]; what the frame lacks of it the snap length cut off.
        stop = end if end < len(frame) else len(frame)
        if stop > data_at:
            payload, missing = bytes(frame[data_at:stop]), end - stop
        else:
            payload, missing = b"", end - data_at
            if missing < 0:
                return "malformed TCP"
        if etype == ETH_IPV4:
            if len(frame) < ip + 20:  # the TCP header fits where the addresses should be (a header length < 5)
                return "truncated"
            src, dst = _ADDR4.unpack_from(frame, ip + 12)
        else:
            src, dst = _ADDR6.unpack_from(frame, ip + 8)
        return src, sport, dst, dport, seq, ack, flags, payload, missing
    except (struct.error, IndexError):
        return "truncated"


def reassembled(key: tuple[int, bytes, bytes, int, int], payload: bytes) -> bytes:
    """A whole datagram rebuilt from its fragments' payload, as a raw IP packet :func:`decode` reads.

    >>> pkt = reassembled((4, bytes(4), bytes(4), 7, 6), b"x" * 20)
    >>> pkt[0], len(pkt)
    (69, 40)
    """
    version, src, dst, _ident, proto = key
    if version == 4:
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst) + payload
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64, src, dst) + payload


def address(raw: bytes) -> str:
    """An address in its usual text form.

    >>> address(bytes([127, 0, 0, 1])), address(bytes(15) + b"\\x01")
    ('127.0.0.1', '::1')
    """
    import ipaddress

    return str(ipaddress.ip_address(raw))


def endpoint(raw: bytes, port: int) -> str:
    """``host:port``, with brackets for IPv6.

    >>> endpoint(bytes(15) + b"\\x01", 443)
    '[::1]:443'
    """
    text = address(raw)
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"
