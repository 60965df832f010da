"""Hostile and damaged inputs for the capture reader and the TCP reassembly (issue #15): every
one ends with a one-line :class:`~kslab.errors.InputError` or a correct result, never a crash."""

from __future__ import annotations

import io
import random
import struct

import pytest

from kslab.errors import InputError
from kslab.pcap.capture import CaptureReader
from kslab.pcap.reassembly import Stream


def shb(length: int = 28) -> bytes:
    """A pcapng Section Header Block (little-endian), its total length as given."""
    return struct.pack("<IIIHHq", 0x0A0D0D0A, length, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", length)


def block(btype: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


IDB = block(1, struct.pack("<HHI", 1, 0, 65535))


@pytest.mark.parametrize(("data", "words"), [
    (struct.pack("<IIIHHq", 0x0A0D0D0A, 0, 0x1A2B3C4D, 1, 0, -1), "section header of impossible length 0"),
    (shb() + block(1, b""), "interface description block of impossible length 12"),
    (shb() + IDB + block(6, b""), "enhanced packet block of impossible length 12"),
    (shb() + IDB + block(3, b""), "simple packet block of impossible length 12"),
    (shb() + IDB + block(2, b""), "packet block of impossible length 12"),
], ids=["shb-0", "idb-12", "epb-12", "spb-12", "pb-12"])
def test_pcapng_blocks_too_short_to_parse(data: bytes, words: str) -> None:
    with pytest.raises(InputError) as err:
        list(CaptureReader(io.BytesIO(data), name="x.pcapng"))
    assert words in str(err.value) and "\n" not in str(err.value)


def test_a_cut_if_tsresol_option_keeps_the_default_unit() -> None:
    idb = block(1, struct.pack("<HHI", 1, 0, 65535) + struct.pack("<HH", 9, 1))  # option says 1 byte, has 0
    epb = block(6, struct.pack("<IIIII", 0, 0, 2_000_000, 3, 3) + b"abc\x00")
    assert list(CaptureReader(io.BytesIO(shb() + idb + epb))) == [(2.0, 1, b"abc", 3)]


def test_reassembly_of_20000_shuffled_one_byte_segments_with_gaps() -> None:
    """Every other byte missing, the rest in random order: the held segments are kept in a heap, so this
    is O(n log n) (it was quadratic: min() over everything held, per segment)."""
    got: list[bytes | int] = []
    s = Stream(got.append, got.append)
    s.syn(0)
    segs = [(1 + 2 * i, bytes([i % 251])) for i in range(20_000)]
    random.Random(7).shuffle(segs)
    for seq, data in segs:
        s.segment(seq, data)
    s.finish()
    delivered = b"".join(x for x in got if isinstance(x, bytes))
    lost = sum(x for x in got if isinstance(x, int))
    # The stream spans 39,999 bytes: each is delivered once or declared lost, in order. What is held is
    # bounded, so segments arriving after their hole was given up count as retransmitted instead.
    assert lost == s.missing and len(delivered) + lost == 39_999
    assert len(delivered) + s.retransmitted == 20_000 and not s.pending


def test_reassembly_in_order_after_holes_is_exact() -> None:
    got: list[bytes | int] = []
    s = Stream(got.append, got.append)
    s.syn(0xFFFFFFF0)  # wraps around 2**32 on the way
    pieces = [(0xFFFFFFF1 + 3 * i) & 0xFFFFFFFF for i in range(200)]
    order = list(range(200))
    random.Random(3).shuffle(order)
    for i in order:
        s.segment(pieces[i], b"%03d" % i)
    assert b"".join(x for x in got if isinstance(x, bytes)) == b"".join(b"%03d" % i for i in range(200))
    assert s.missing == 0 and not s.pending
