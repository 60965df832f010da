"""Reading capture files as a stream of packets: classic pcap and pcapng, never loaded whole.

The reader is the outermost layer of the analysis: it knows file formats, nothing about
protocols. It yields ``(timestamp, link_type, frame_bytes, wire_length)`` one packet at a time,
reading the file in 1 MiB blocks, so a capture of any size is processed in constant memory.

File formats (the magic numbers are the first four bytes):

================  ====================  =================================================
format            magic                 reference
================  ====================  =================================================
pcap, µs          ``a1 b2 c3 d4``       draft-ietf-opsawg-pcap (either byte order)
pcap, ns          ``a1 b2 3c 4d``       draft-ietf-opsawg-pcap (either byte order)
pcapng            ``0a 0d 0d 0a``       draft-ietf-opsawg-pcapng (Section Header Block)
================  ====================  =================================================

A file that ends in the middle of a packet (tcpdump killed while writing) is read up to the
last whole packet and reported as truncated; a file that is not a capture at all raises
:class:`~kslab.errors.InputError` before anything is yielded.

>>> import io, struct
>>> header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
>>> record = struct.pack("<IIII", 1, 500000, 3, 3) + b"abc"
>>> cap = CaptureReader(io.BytesIO(header + record), name="tiny.pcap")
>>> list(cap)
[(1.5, 1, b'abc', 3)]
>>> cap.format, cap.truncated
('pcap', False)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from kslab.errors import InputError, NamedReader, file_error

#: One packet as the reader yields it: (seconds since the epoch, link type, frame, length on the wire).
Packet = tuple[float, int, bytes, int]

PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),  # microsecond timestamps
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),  # nanosecond timestamps
}
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_BYTE_ORDER_MAGIC = 0x1A2B3C4D
# pcapng block types we read; every other block is skipped by its length.
BLOCK_IDB, BLOCK_SPB, BLOCK_EPB, BLOCK_OBSOLETE_PB = 1, 3, 6, 2
BLOCK_NAMES = {PCAPNG_SHB: "section header", BLOCK_IDB: "interface description block",
               BLOCK_SPB: "simple packet block", BLOCK_EPB: "enhanced packet block",
               BLOCK_OBSOLETE_PB: "packet block"}
#: The smallest total length of each block we read: 12 bytes of framing plus its fixed fields.
MIN_BLOCK = {PCAPNG_SHB: 28, BLOCK_IDB: 20, BLOCK_SPB: 16, BLOCK_EPB: 32, BLOCK_OBSOLETE_PB: 32}
CHUNK = 1 << 20


class CaptureReader:
    """Iterate over the packets of a pcap or pcapng stream (see the module docstring).

    After iteration: ``packets`` read, ``truncated`` (the file ended inside a packet),
    ``format`` and ``link_types`` (every link type seen).
    """

    def __init__(self, stream: BinaryIO, *, name: str = "capture") -> None:
        self.stream = stream
        self.name = name
        self.packets = 0
        self.truncated = False
        self.link_types: set[int] = set()
        head = stream.read(4)
        if len(head) == 0:
            raise InputError(f"{name}: the file is empty",
                             hint="capture again; tcpdump writes nothing until a packet arrives "
                                  "(use -U so each packet is written at once)")
        if head in PCAP_MAGIC:
            self.format = "pcap"
            self._order, self._unit = PCAP_MAGIC[head]
            rest = stream.read(20)
            if len(rest) < 20:
                raise InputError(f"{name}: the pcap file header is cut short ({4 + len(rest)} of 24 bytes)",
                                 hint="the capture was interrupted before any packet was written")
            # The upper bits of the link-type field may carry an FCS length; the type is the low 16 bits.
            self._link_type = struct.unpack(self._order + "I", rest[16:20])[0] & 0xFFFF
            self.link_types.add(self._link_type)
        elif len(head) == 4 and struct.unpack("<I", head)[0] == PCAPNG_SHB:
            self.format = "pcapng"
        else:
            raise InputError(f"{name}: not a pcap or pcapng capture (starts with {head.hex(' ')})",
                             hint="give a file written by tcpdump -w, tshark -w or Wireshark")
        self._head = head

    def __iter__(self) -> Iterator[Packet]:
        return self._pcap() if self.format == "pcap" else self._pcapng()

    # ---- classic pcap: a 24-byte file header, then (16-byte record header + frame) ----------------
    def _pcap(self) -> Iterator[Packet]:
        order, unit, link_type = self._order, self._unit, self._link_type
        record = struct.Struct(order + "IIII")
        read = self.stream.read
        buf, pos = b"", 0
        while True:
            if len(buf) - pos < 16:
                more = read(CHUNK)
                if not more:
                    self.truncated = len(buf) > pos
                    return
                buf, pos = buf[pos:] + more, 0
                continue
            sec, frac, caplen, wirelen = record.unpack_from(buf, pos)
            end = pos + 16 + caplen
            if end > len(buf):
                if caplen > 0x4000000:  # 64 MiB: no real frame is that long
                    raise InputError(f"{self.name}: packet {self.packets + 1} claims {caplen} bytes; "
                                     "the file is damaged", hint="capture again")
                more = read(max(CHUNK, caplen + 16))
                if not more:
                    self.truncated = True
                    return
                buf, pos = buf[pos:] + more, 0
                continue
            self.packets += 1
            yield sec + frac * unit, link_type, buf[pos + 16:end], wirelen
            pos = end

    # ---- pcapng: blocks (type, total length, body, total length) -------------------------------------
    def _pcapng(self) -> Iterator[Packet]:
        order = "<"
        interfaces: list[tuple[int, float, int]] = []  # (link type, seconds per tick, snaplen)
        head = self._head
        read = self.stream.read
        while True:
            block = head + read(8 - len(head))
            head = b""
            if len(block) == 0:
                return
            if len(block) < 8:
                self.truncated = True
                return
            btype = struct.unpack(order + "I", block[:4])[0]
            if btype == PCAPNG_SHB:
                # A new section: its byte-order magic decides how to read every later block.
                magic = read(4)
                if len(magic) < 4:
                    self.truncated = True
                    return
                order = "<" if struct.unpack("<I", magic)[0] == PCAPNG_BYTE_ORDER_MAGIC else ">"
                if struct.unpack(order + "I", magic)[0] != PCAPNG_BYTE_ORDER_MAGIC:
                    raise InputError(f"{self.name}: pcapng section header has a bad byte-order magic",
                                     hint="the file is damaged; capture again")
                length = struct.unpack(order + "I", block[4:8])[0]
                if length < MIN_BLOCK[PCAPNG_SHB] or length % 4 or length > 0x4000000:
                    raise InputError(f"{self.name}: pcapng section header of impossible length {length}",
                                     hint="the file is damaged; capture again")
                body = magic + read(length - 12)
                interfaces = []
            else:
                length = struct.unpack(order + "I", block[4:8])[0]
                if length < MIN_BLOCK.get(btype, 12) or length % 4 or length > 0x4000000:
                    what = BLOCK_NAMES.get(btype, "block")
                    raise InputError(f"{self.name}: pcapng {what} of impossible length {length}",
                                     hint="the file is damaged; capture again")
                body = read(length - 8)
            if len(body) < length - 8:
                self.truncated = True
                return
            body = body[:-4]  # the trailing copy of the block length
            if btype == BLOCK_IDB:
                interfaces.append(_interface(body, order))
                self.link_types.add(interfaces[-1][0])
            elif btype == BLOCK_EPB or btype == BLOCK_OBSOLETE_PB:
                if btype == BLOCK_EPB:
                    iface, hi, lo, caplen, wirelen = struct.unpack_from(order + "IIIII", body)
                else:
                    iface, _drops, hi, lo, caplen, wirelen = struct.unpack_from(order + "HHIIII", body)
                if iface >= len(interfaces):
                    raise InputError(f"{self.name}: packet on undeclared interface {iface}",
                                     hint="the file is damaged; capture again")
                link_type, tick, _snap = interfaces[iface]
                self.packets += 1
                yield ((hi << 32) | lo) * tick, link_type, body[20:20 + caplen], wirelen
            elif btype == BLOCK_SPB:
                if not interfaces:
                    raise InputError(f"{self.name}: simple packet before any interface",
                                     hint="the file is damaged; capture again")
                link_type, _tick, snap = interfaces[0]
                wirelen = struct.unpack_from(order + "I", body)[0]
                caplen = min(wirelen, snap or wirelen, len(body) - 4)
                self.packets += 1
                yield 0.0, link_type, body[4:4 + caplen], wirelen


def _interface(body: bytes, order: str) -> tuple[int, float, int]:
    """An Interface Description Block: link type, timestamp unit (option if_tsresol), snaplen."""
    link_type, _reserved, snaplen = struct.unpack_from(order + "HHI", body)
    tick = 1e-6
    pos = 8
    while pos + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, pos)
        if code == 0:  # opt_endofopt
            break
        if code == 9 and length >= 1 and pos + 4 < len(body):  # if_tsresol: 10^-n, or 2^-n (top bit set)
            res = body[pos + 4]
            tick = 2.0 ** -(res & 0x7F) if res & 0x80 else 10.0 ** -res
        pos += 4 + (length + 3) // 4 * 4
    return link_type, tick, snaplen


def open_capture(path: str | Path) -> tuple[BinaryIO, CaptureReader]:
    """Open a capture file for streaming; returns the open file (close it) and its reader.

    >>> open_capture("/nonexistent.pcap")
    Traceback (most recent call last):
    ...
    kslab.errors.InputError: /nonexistent.pcap: no such file
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a capture file", hint="give a .pcap or .pcapng file")
    try:
        stream = open(p, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise InputError(f"{p}: no such file", hint="check the path; bundled captures are listed by "
                         "kslab.pcap.bundled()") from None
    except OSError as exc:
        raise file_error(p, exc) from None
    try:
        named = cast(BinaryIO, NamedReader(stream, str(p)))  # a read error names the file too
        return named, CaptureReader(named, name=str(p))
    except OSError as exc:
        stream.close()
        raise file_error(p, exc) from None
    except BaseException:
        stream.close()
        raise
