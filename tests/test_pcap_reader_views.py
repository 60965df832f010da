"""The zero-copy capture reader (issue #16): a file, a pipe and an in-memory stream give the same
packets, the same truncation and the same errors; views stay valid after the reader moved on; a file
truncated while it is read ends the read cleanly (it is not mapped, so no SIGBUS)."""

from __future__ import annotations

import io
import os
import struct
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kslab.errors import InputError
from kslab.pcap import bundled, bundled_captures, capture, summarize
from kslab.pcap.capture import CaptureReader, open_capture

LONG = os.environ.get("KSLAB_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(LONG) if LONG else 150, derandomize=not LONG, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
                database=None)

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def block(order: str, btype: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack(order + "II", btype, total) + body + struct.pack(order + "I", total)


def as_pcapng(packets: list[tuple[float, int, bytes, int]], order: str = "<") -> bytes:
    """The packets again as pcapng: one section, one interface (ns ticks), an EPB each."""
    shb = block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsresol = struct.pack(order + "HHB3x", 9, 1, 9) + struct.pack(order + "HH", 0, 0)
    out = bytearray(shb + block(order, 1, struct.pack(order + "HHI", packets[0][1], 0, 65535) + tsresol))
    for ts, _link, frame, wire in packets:
        ticks = round(ts * 1e9)
        pad = bytes(-len(frame) % 4)
        out += block(order, 6, struct.pack(order + "IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), wire)
                     + frame + pad)
    return bytes(out)


def streamed(data: bytes) -> tuple[list[tuple[float, int, bytes, int]], bool, int]:
    reader = CaptureReader(io.BytesIO(data))
    return list(reader), reader.truncated, reader.packets


def from_file(path: Path) -> tuple[list[tuple[float, int, bytes, int]], bool, int]:
    stream, reader = open_capture(path)
    with stream:
        got = list(reader)
    assert all(isinstance(f, memoryview) and f.readonly for _ts, _l, f, _w in got)
    return [(ts, link, bytes(f), w) for ts, link, f, w in got], reader.truncated, reader.packets


@pytest.mark.parametrize("path", bundled_captures(), ids=lambda p: p.name)
def test_a_file_and_a_stream_read_the_same_packets(path: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A new block every 4 KiB: the views kept in the list must survive it.
    monkeypatch.setattr(capture, "CHUNK", 4096)
    want = streamed(path.read_bytes())
    assert want[0] and not want[1]
    assert from_file(path) == want
    for order in "<>":
        ng = tmp_path / f"{path.stem}{order == '>'}.pcapng"
        ng.write_bytes(as_pcapng(want[0], order))
        got = from_file(ng)
        assert got == streamed(ng.read_bytes())
        # The same packets (timestamps in ns ticks now: equal to the microsecond).
        assert [(round(ts, 6), *rest) for ts, *rest in got[0]] == [(round(ts, 6), *rest) for ts, *rest in want[0]]
        assert got[1:] == want[1:]


def test_a_record_longer_than_a_block_is_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture, "CHUNK", 4096)
    frame = bytes(range(256)) * 80  # 20 KiB, five times the block
    record = struct.pack("<IIII", 7, 0, len(frame), len(frame)) + frame
    path = tmp_path / "big.pcap"
    path.write_bytes(PCAP_HEADER + record * 3)
    packets, truncated, count = from_file(path)
    assert [p[2] for p in packets] == [frame] * 3 and not truncated and count == 3
    path.write_bytes(PCAP_HEADER + record * 2 + record[:-1])
    assert from_file(path)[1:] == (True, 2)


def test_a_capture_through_a_pipe_gives_the_same_summary(tmp_path: Path) -> None:
    """A named pipe, written in small pieces: read in blocks as the bytes come."""
    source = bundled("mtls-tls13.pcap")
    data = source.read_bytes()
    fifo = tmp_path / "live.pcap"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("wb", buffering=0) as out:
            for at in range(0, len(data), 700):
                out.write(data[at:at + 700])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        got = summarize(fifo).to_dict()
    finally:
        writer.join(timeout=30)
    want = summarize(source).to_dict()
    got["file"] = want["file"]
    assert got == want and want["packets"] > 10


@FUZZ
@given(body=st.binary(max_size=400), ng=st.booleans(), cut=st.integers(0, 400))
def test_file_and_stream_agree_on_damaged_files(tmp_path_factory: pytest.TempPathFactory, body: bytes,
                                                    ng: bool, cut: int) -> None:
    """Whatever the bytes: the same packets, the same truncation, or the same one-line error."""
    good = [(1.5, 1, b"abcdefgh", 8), (2.25, 1, b"ijk", 30)]
    data = as_pcapng(good) if ng else PCAP_HEADER + b"".join(
        struct.pack("<IIII", int(ts), round(ts % 1 * 1e6), len(f), w) + f for ts, _l, f, w in good)
    data = data[:len(data) - cut % 40] + body
    path = tmp_path_factory.mktemp("views") / "x.pcap"
    path.write_bytes(data)

    def outcome(read: object) -> object:
        try:
            return read()  # type: ignore[operator]
        except InputError as exc:
            assert "\n" not in str(exc)
            return str(exc).replace(str(path), "capture")

    assert outcome(lambda: from_file(path)) == outcome(lambda: streamed(data))


def _frames() -> list[bytes]:
    frames = []
    for path in bundled_captures():
        frames += [f for _ts, _l, f, _w in CaptureReader(io.BytesIO(path.read_bytes()))][:12]
    return frames


FRAMES = _frames()


#: Header bytes worth changing (EtherType, version/IHL, total length, fragment field, protocol, TCP
#: data offset) and values worth writing there.
FIELDS = st.one_of(st.sampled_from([12, 13, 14, 16, 17, 20, 21, 23, 46]), st.integers(0, 60))
VALUES = st.one_of(st.sampled_from([0, 0x08, 0x20, 0x40, 0x45, 0x46, 0x06, 0x11, 0xF0]), st.integers(0, 255))


@FUZZ
@given(pick=st.integers(0, len(FRAMES) - 1), changes=st.lists(st.tuples(FIELDS, VALUES), max_size=4),
       tso=st.booleans(), cut=st.integers(0, 80), link=st.sampled_from([1, 101, 276, 113, 0]))
def test_the_decoders_fast_path_agrees_with_the_general_one(pick: int, changes: list[tuple[int, int]], tso: bool,
                                                            cut: int, link: int) -> None:
    """Real Ethernet frames, re-framed for other links, a few header bytes changed, maybe cut short:
    the one-unpack fast path for TCP in IPv4 answers exactly as the general decoder does."""
    from kslab.pcap.layers import LINK_TYPES, _decode, decode

    frame = bytearray(FRAMES[pick])
    if tso:  # an IPv4 total length of 0, as TSO leaves it
        frame[16:18] = b"\0\0"
    for at, value in changes:
        frame[at % len(frame)] = value
    ip = bytes(frame[14:])
    framed = {1: bytes(frame), 101: ip, 276: frame[12:14] + bytes(18) + ip, 113: bytes(14) + frame[12:14] + ip,
              0: b"\x02\x00\x00\x00" + ip}[link]
    framed = framed[:len(framed) - cut] if cut < 60 else framed
    decoder = LINK_TYPES[link][1]
    want = _decode(decoder, framed)
    assert decode(decoder, framed) == want == decode(decoder, memoryview(framed))
