"""Reading capture files as a stream of packets: classic pcap and pcapng, never loaded whole.

The reader is the outermost layer of the analysis: it knows file formats, nothing about
protocols. It yields ``(timestamp, link_type, frame, wire_length)`` one packet at a time (the flow
analysis takes each frame where it lies in the block read instead: :meth:`CaptureReader.in_place`).

The capture is read in blocks of 1 MiB (a regular file, a pipe or any other stream alike) into a
buffer that only grows to hold one packet (at most 64 MiB); each frame is a :class:`memoryview` of
it, so no packet is copied or concatenated on its way to the decoder, and a buffer is never
overwritten, so a view stays valid as long as it is kept (a block is freed when no view of it is
left, so resident memory stays flat however big the file is). A file is not mapped (``mmap``): when
another program truncates a mapped file, touching the pages it no longer has kills the reader with
SIGBUS, while a read just ends where the file now ends. :class:`CaptureReader` yields ``bytes``
unless asked for views; :func:`open_capture` (the analysis) asks for views.

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
>>> [bytes(frame) for _ts, _link, frame, _len in CaptureReader(io.BytesIO(header + record), views=True)]
[b'abc']
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

from kslab.errors import InputError, NamedReader, file_error

#: One packet as the reader yields it: (seconds since the epoch, link type, frame, length on the wire).
#: The frame is ``bytes``, or a read-only ``memoryview`` when the reader was asked for views.
Packet = tuple[float, int, bytes | memoryview, int]
#: One packet where it lies (:meth:`CaptureReader.in_place`): (seconds, link type, block, start, end); the
#: frame is ``block[start:end]``.
InPlace = tuple[float, int, memoryview, int, int]

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
#: No real frame or block is longer (64 MiB): a longer one means a damaged file, not a big read.
MAX_RECORD = 0x4000000
CHUNK = 1 << 20

_PCAP_RECORD = {"<": struct.Struct("<IIII"), ">": struct.Struct(">IIII")}
_BLOCK_HEAD = {"<": struct.Struct("<II"), ">": struct.Struct(">II")}
_EPB = {"<": struct.Struct("<IIIII"), ">": struct.Struct(">IIIII")}
_OBSOLETE_PB = {"<": struct.Struct("<HHIIII"), ">": struct.Struct(">HHIIII")}
_U32 = {"<": struct.Struct("<I"), ">": struct.Struct(">I")}


class _Window:
    """The capture's bytes as one read-only buffer and a way to get more of them: a buffer is replaced by
    a new one that starts with the unread rest of the old (never resized or overwritten, so views of it
    stay valid)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.buf = memoryview(b"")

    def fill(self, buf: memoryview, pos: int, need: int) -> tuple[memoryview, int]:
        """A buffer holding at least ``need`` bytes from ``pos`` if the capture has them
        (fewer at its end), and the new position of ``pos`` in it."""
        if len(buf) - pos >= need:
            return buf, pos
        rest = len(buf) - pos
        new = bytearray(rest + max(CHUNK, need - rest))
        new[:rest] = buf[pos:]
        view = memoryview(new)
        have = rest
        readinto = getattr(self.stream, "readinto", None)
        while have < len(new):  # a whole block, as read(CHUNK) would (a short read is not the end)
            if readinto is not None:
                got = readinto(view[have:]) or 0
            else:
                more = self.stream.read(len(new) - have)
                got = len(more)
                view[have:have + got] = more
            if not got:
                break
            have += got
        self.buf = view[:have].toreadonly()
        return self.buf, 0


class CaptureReader:
    """Iterate over the packets of a pcap or pcapng stream (see the module docstring).

    ``views=True`` yields each frame as a read-only ``memoryview`` (no copy); otherwise ``bytes``.
    After iteration: ``packets`` read, ``truncated`` (the file ended inside a packet),
    ``format`` and ``link_types`` (every link type seen).
    """

    def __init__(self, stream: BinaryIO, *, name: str = "capture", views: bool = False) -> None:
        self.stream = stream
        self.name = name
        self.views = views
        self.packets = 0
        self.truncated = False
        self.link_types: set[int] = set()
        self._window = window = _Window(stream)
        buf, pos = window.fill(window.buf, 0, 24)
        head = bytes(buf[pos:pos + 4])
        if len(head) == 0:
            raise InputError(f"{name}: the file is empty",
                             hint="capture again; tcpdump writes nothing until a packet arrives "
                                  "(use -U so each packet is written at once)")
        if head in PCAP_MAGIC:
            self.format = "pcap"
            self._order, self._unit = PCAP_MAGIC[head]
            have = min(len(buf) - pos, 24)
            if have < 24:
                raise InputError(f"{name}: the pcap file header is cut short ({have} of 24 bytes)",
                                 hint="the capture was interrupted before any packet was written")
            # The upper bits of the link-type field may carry an FCS length; the type is the low 16 bits.
            self._link_type = _U32[self._order].unpack_from(buf, pos + 20)[0] & 0xFFFF
            self.link_types.add(self._link_type)
            self._pos = pos + 24
        elif len(head) == 4 and struct.unpack("<I", head)[0] == PCAPNG_SHB:
            self.format = "pcapng"
            self._pos = pos
        else:
            raise InputError(f"{name}: not a pcap or pcapng capture (starts with {head.hex(' ')})",
                             hint="give a file written by tcpdump -w, tshark -w or Wireshark")
        self._buf = buf

    def __iter__(self) -> Iterator[Packet]:
        return cast(Iterator[Packet], self._pcap() if self.format == "pcap" else self._pcapng())

    def in_place(self) -> Iterator[InPlace]:
        """Each packet as ``(timestamp, link_type, block, start, end)``: its frame is ``block[start:end]``,
        handed over where it lies in the block read, with no view or copy made of it (the flow analysis
        decodes the headers there, see :func:`kslab.pcap.layers.decode_at`). A block is never
        overwritten, so the frame stays valid as long as the block is kept.

        >>> import io, struct
        >>> header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        >>> cap = CaptureReader(io.BytesIO(header + struct.pack("<IIII", 1, 0, 3, 3) + b"abc"))
        >>> [(ts, link, bytes(block[start:end])) for ts, link, block, start, end in cap.in_place()]
        [(1.0, 1, b'abc')]
        """
        return cast(Iterator[InPlace], self._pcap(in_place=True) if self.format == "pcap"
                    else self._pcapng(in_place=True))

    # ---- classic pcap: a 24-byte file header, then (16-byte record header + frame) ----------------
    def _pcap(self, in_place: bool = False) -> Iterator[Packet | InPlace]:
        unit, link_type, views = self._unit, self._link_type, self.views
        unpack = _PCAP_RECORD[self._order].unpack_from
        window = self._window
        buf, pos = self._buf, self._pos
        limit = len(buf)
        count = self.packets  # counted here, stored on the way out: an attribute write per packet costs
        try:
            while True:
                start = pos + 16
                if start <= limit:
                    sec, frac, caplen, wirelen = unpack(buf, pos)
                    end = start + caplen
                    if end <= limit and caplen <= MAX_RECORD:
                        count += 1
                        if in_place:
                            yield sec + frac * unit, link_type, buf, start, end
                        else:
                            yield sec + frac * unit, link_type, buf[start:end] if views else bytes(buf[start:end]), wirelen
                        pos = end
                        continue
                    if caplen > MAX_RECORD:
                        raise InputError(f"{self.name}: packet {count + 1} claims {caplen} bytes; "
                                         "the file is damaged", hint="capture again")
                    need = 16 + caplen
                else:
                    need = 16
                # The slow path: the end of the buffer (read more) or of the file.
                self.packets = count
                buf, pos = window.fill(buf, pos, need)
                limit = len(buf)
                if limit - pos < need:
                    self.truncated = limit > pos
                    return
        finally:
            self.packets = count

    # ---- pcapng: blocks (type, total length, body, total length) -------------------------------------
    def _pcapng(self, in_place: bool = False) -> Iterator[Packet | InPlace]:
        order = "<"
        head, u32 = _BLOCK_HEAD[order].unpack_from, _U32[order].unpack_from
        epb, obsolete = _EPB[order].unpack_from, _OBSOLETE_PB[order].unpack_from
        interfaces: list[tuple[int, float, int]] = []  # (link type, seconds per tick, snaplen)
        views = self.views
        window = self._window
        buf, pos = self._buf, self._pos
        limit = len(buf)
        while True:
            if pos + 12 > limit:
                buf, pos = window.fill(buf, pos, 12)
                limit = len(buf)
                if limit - pos < 8:
                    self.truncated = limit > pos
                    return
            btype, length = head(buf, pos)
            if btype == PCAPNG_SHB:
                # A new section: its byte-order magic decides how to read every later block.
                if limit - pos < 12:
                    self.truncated = True
                    return
                magic = buf[pos + 8:pos + 12]
                order = "<" if struct.unpack_from("<I", magic)[0] == PCAPNG_BYTE_ORDER_MAGIC else ">"
                if struct.unpack_from(order + "I", magic)[0] != PCAPNG_BYTE_ORDER_MAGIC:
                    raise InputError(f"{self.name}: pcapng section header has a bad byte-order magic",
                                     hint="the file is damaged; capture again")
                head, u32 = _BLOCK_HEAD[order].unpack_from, _U32[order].unpack_from
                epb, obsolete = _EPB[order].unpack_from, _OBSOLETE_PB[order].unpack_from
                length = u32(buf, pos + 4)[0]
                if length < MIN_BLOCK[PCAPNG_SHB] or length % 4 or length > MAX_RECORD:
                    raise InputError(f"{self.name}: pcapng section header of impossible length {length}",
                                     hint="the file is damaged; capture again")
                interfaces = []
            elif length < MIN_BLOCK.get(btype, 12) or length % 4 or length > MAX_RECORD:
                what = BLOCK_NAMES.get(btype, "block")
                raise InputError(f"{self.name}: pcapng {what} of impossible length {length}",
                                 hint="the file is damaged; capture again")
            if pos + length > limit:
                buf, pos = window.fill(buf, pos, length)
                limit = len(buf)
                if limit - pos < length:
                    self.truncated = True
                    return
            body, end = pos + 8, pos + length - 4  # the body, without the trailing copy of the length
            pos += length
            if btype == BLOCK_EPB or btype == BLOCK_OBSOLETE_PB:
                if btype == BLOCK_EPB:
                    iface, hi, lo, caplen, wirelen = epb(buf, body)
                else:
                    iface, _drops, hi, lo, caplen, wirelen = obsolete(buf, body)
                if iface >= len(interfaces):
                    raise InputError(f"{self.name}: packet on undeclared interface {iface}",
                                     hint="the file is damaged; capture again")
                link_type, tick, _snap = interfaces[iface]
                self.packets += 1
                start, stop = body + 20, min(body + 20 + caplen, end)
                if in_place:
                    yield ((hi << 32) | lo) * tick, link_type, buf, start, stop
                else:
                    frame = buf[start:stop]
                    yield ((hi << 32) | lo) * tick, link_type, frame if views else bytes(frame), wirelen
            elif btype == BLOCK_IDB:
                interfaces.append(_interface(buf[body:end], order))
                self.link_types.add(interfaces[-1][0])
            elif btype == BLOCK_SPB:
                if not interfaces:
                    raise InputError(f"{self.name}: simple packet before any interface",
                                     hint="the file is damaged; capture again")
                link_type, _tick, snap = interfaces[0]
                wirelen = u32(buf, body)[0]
                caplen = min(wirelen, snap or wirelen, end - body - 4)
                self.packets += 1
                if in_place:
                    yield 0.0, link_type, buf, body + 4, body + 4 + caplen
                else:
                    frame = buf[body + 4:body + 4 + caplen]
                    yield 0.0, link_type, frame if views else bytes(frame), wirelen


def _interface(body: bytes | memoryview, order: str) -> tuple[int, float, int]:
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


def open_capture(path: str | Path, *, views: bool = True) -> tuple[BinaryIO, CaptureReader]:
    """Open a capture file for streaming; returns the open file (close it) and its reader, whose
    frames are ``memoryview`` s of the blocks it reads (``views=False``: ``bytes``).

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
        return named, CaptureReader(named, name=str(p), views=views)
    except OSError as exc:
        stream.close()
        raise file_error(p, exc) from None
    except BaseException:
        stream.close()
        raise
