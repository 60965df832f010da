"""From a captured frame to a TCP segment: link layers, IPv4, IPv6 and TCP headers, as tables.

:func:`decode` is the hot path of the analysis: it runs once per packet, so it unpacks only the
header fields the flow analysis needs and never builds objects (Scapy would take ~100 µs per
packet; this takes about one). What it does not follow (UDP, ARP, fragments ...) it names, so the
summary can say what else was in the capture.

Link types (numbers from the tcpdump.org LINKTYPE_ registry):

>>> sorted(LINK_TYPES)
[0, 1, 12, 101, 108, 113, 228, 229, 276]
>>> LINK_TYPES[276][0]
'Linux cooked capture v2 (SLL2, tcpdump -i any)'
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from kslab.errors import InputError

#: A TCP segment: (src addr, src port, dst addr, dst port, seq, ack, flags, payload, bytes missing).
#: Addresses are raw bytes (4 or 16); "bytes missing" counts payload the snap length cut off.
Segment = tuple[bytes, int, bytes, int, int, int, int, bytes, int]

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
_IPV4 = struct.Struct("!BxHxxHxB")


def _ethernet(frame: bytes) -> tuple[int, int]:
    """Ethernet II, following any number of VLAN tags; returns (EtherType, offset of its payload)."""
    etype = _ETH.unpack_from(frame, 12)[0]
    pos = 14
    while etype in VLAN_TYPES:
        etype = _ETH.unpack_from(frame, pos + 2)[0]
        pos += 4
    return etype, pos


def _sll(frame: bytes) -> tuple[int, int]:
    """Linux cooked capture v1: 16 bytes, the protocol (an EtherType) at offset 14."""
    return _ETH.unpack_from(frame, 14)[0], 16


def _sll2(frame: bytes) -> tuple[int, int]:
    """Linux cooked capture v2: 20 bytes, the protocol (an EtherType) at offset 0."""
    return _ETH.unpack_from(frame, 0)[0], 20


#: BSD address-family values meaning IPv6 (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30).
_AF_INET6 = frozenset({10, 24, 28, 30})


def _null(frame: bytes) -> tuple[int, int]:
    """BSD loopback: a 4-byte address family in the *capturing host's* byte order."""
    family = frame[0] or frame[3]
    return (ETH_IPV4 if family == 2 else ETH_IPV6 if family in _AF_INET6 else -family), 4


def _loop(frame: bytes) -> tuple[int, int]:
    """OpenBSD loopback: the same 4-byte family, always in network byte order."""
    family = frame[3]
    return (ETH_IPV4 if family == 2 else ETH_IPV6 if family in _AF_INET6 else -family), 4


def _raw(frame: bytes) -> tuple[int, int]:
    """Raw IP: no link header; the IP version nibble says which."""
    return (ETH_IPV4 if frame[0] >> 4 == 4 else ETH_IPV6), 0


#: Link type -> (name, decoder returning (EtherType, payload offset)).
LINK_TYPES: dict[int, tuple[str, Callable[[bytes], tuple[int, int]]]] = {
    0: ("BSD loopback (NULL)", _null),
    1: ("Ethernet", _ethernet),
    12: ("raw IP", _raw),
    101: ("raw IP", _raw),
    108: ("OpenBSD loopback (LOOP)", _loop),
    113: ("Linux cooked capture (SLL)", _sll),
    228: ("raw IPv4", _raw),
    229: ("raw IPv6", _raw),
    276: ("Linux cooked capture v2 (SLL2, tcpdump -i any)", _sll2),
}
#: A few link types students may meet, named in the error message (not analysed).
UNSUPPORTED_NAMES = {105: "IEEE 802.11 (Wi-Fi)", 127: "802.11 with radiotap", 147: "user-defined",
                     195: "IEEE 802.15.4", 220: "Linux USB", 253: "Linux netlink",
                     9: "PPP", 50: "PPP in HDLC", 104: "Cisco HDLC"}


def link_name(link_type: int) -> str:
    """The name of a link type, supported or not.

    >>> link_name(1), link_name(105)
    ('Ethernet', 'IEEE 802.11 (Wi-Fi)')
    """
    if link_type in LINK_TYPES:
        return LINK_TYPES[link_type][0]
    return UNSUPPORTED_NAMES.get(link_type, f"link type {link_type}")


def link_decoder(link_type: int, source: str = "capture") -> Callable[[bytes], tuple[int, int]]:
    """The decoder for a link type, or an :class:`InputError` naming it.

    >>> link_decoder(105, "wifi.pcap")
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: wifi.pcap: link type 105 (IEEE 802.11 (Wi-Fi)) is not supported
    """
    if link_type not in LINK_TYPES:
        raise InputError(f"{source}: link type {link_type} ({link_name(link_type)}) is not supported",
                         hint="capture on an Ethernet or loopback interface, or with tcpdump -i any; "
                              "supported: " + ", ".join(sorted({n for n, _ in LINK_TYPES.values()})))
    return LINK_TYPES[link_type][1]


def decode(link: Callable[[bytes], tuple[int, int]], frame: bytes) -> Segment | str:
    """One frame -> a TCP :data:`Segment`, or a short name for what it is instead.

    >>> frame = bytes(12) + b"\\x08\\x06" + bytes(28)
    >>> decode(_ethernet, frame)
    'ARP'
    """
    try:
        etype, pos = link(frame)
        if etype == ETH_IPV4:
            vihl, total, frag, proto = _IPV4.unpack_from(frame, pos)
            if vihl >> 4 != 4:
                return "malformed IP"
            if frag & 0x3FFF:  # more-fragments flag or a fragment offset: not reassembled
                return "IPv4 fragment"
            start, end = pos + (vihl & 15) * 4, pos + total
            if total == 0:  # TSO on the capturing host: the length field is not filled in
                end = len(frame)
        elif etype == ETH_IPV6:
            proto, start = frame[pos + 6], pos + 40
            # A payload length of 0 means a jumbogram (RFC 2675) or a GSO frame: trust the capture.
            end = start + (_ETH.unpack_from(frame, pos + 4)[0] or len(frame) - start)
            while proto in IPV6_EXTENSIONS:
                if proto == 44:
                    return "IPv6 fragment"
                hdr_len = (frame[start + 1] + 2) * 4 if proto == 51 else (frame[start + 1] + 1) * 8
                proto, start = frame[start], start + hdr_len
        elif etype == ETH_ARP:
            return "ARP"
        elif etype < 0:
            return f"loopback family {-etype}"
        elif etype < 0x0600:
            return "802.3/LLC"
        else:
            return f"EtherType 0x{etype:04x}"
        if proto != 6:
            return IP_PROTOCOLS.get(proto, f"IP protocol {proto}")
        sport, dport, seq, ack, off, flags = _TCP.unpack_from(frame, start)
        data_at = start + (off >> 4) * 4
        payload = frame[data_at:end]
        missing = end - data_at - len(payload)
        if missing < 0:
            return "malformed TCP"
        if etype == ETH_IPV4:
            src, dst = frame[pos + 12:pos + 16], frame[pos + 16:pos + 20]
        else:
            src, dst = frame[pos + 8:pos + 24], frame[pos + 24:pos + 40]
        if len(dst) < len(src):
            return "truncated"
        return src, sport, dst, dport, seq, ack, flags, payload, missing
    except (struct.error, IndexError):
        return "truncated"


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
