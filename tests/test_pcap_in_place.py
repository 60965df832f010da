"""The analysis' shortcuts give what the plain paths give (issue #16's speed work).

* :meth:`CaptureReader.in_place` hands over the same frames as iterating the reader, in pcap and pcapng,
  across block boundaries;
* :func:`decode_at` on a frame inside a bigger block decodes what :func:`decode` does on the frame alone;
* :meth:`TlsConnection.follow`, whose caller passes over the rest of each encrypted record, collects the
  same facts as :meth:`TlsConnection.data` fed every byte, however the stream is cut into segments.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kslab.pcap import bundled, bundled_captures, capture
from kslab.pcap.capture import open_capture
from kslab.pcap.facts import tls_facts
from kslab.pcap.flows import Analysis
from kslab.pcap.layers import LINK_TYPES, decode, decode_at
from kslab.pcap.tls import TlsConnection
from test_pcap_reader_views import as_pcapng

LONG = os.environ.get("KSLAB_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(LONG) if LONG else 100, derandomize=not LONG, deadline=None,
                suppress_health_check=[HealthCheck.too_slow], database=None)


def frames(path: Path) -> list[tuple[float, int, bytes]]:
    stream, reader = open_capture(path)
    with stream:
        return [(ts, link, bytes(frame)) for ts, link, frame, _wire in reader]


def frames_in_place(path: Path) -> list[tuple[float, int, bytes]]:
    stream, reader = open_capture(path)
    with stream:
        return [(ts, link, bytes(block[start:end])) for ts, link, block, start, end in reader.in_place()]


@pytest.mark.parametrize("path", bundled_captures(), ids=lambda p: p.name)
def test_in_place_frames_are_the_frames(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture, "CHUNK", 4096)  # many blocks: frames cross their boundaries
    want = frames(path)
    assert want
    assert frames_in_place(path) == want
    ng = tmp_path / "x.pcapng"
    ng.write_bytes(as_pcapng([(ts, link, frame, len(frame)) for ts, link, frame in want]))
    assert [f for _ts, _l, f in frames_in_place(ng)] == [f for _ts, _l, f in want]


def test_in_place_counts_packets_and_truncation_like_iteration(tmp_path: Path) -> None:
    data = bundled("plaintext-http.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-7])  # the last packet cut short
    for path in (bundled("plaintext-http.pcap"), cut):
        stream, reader = open_capture(path)
        with stream:
            n = sum(1 for _ in reader.in_place())
        stream2, plain = open_capture(path)
        with stream2:
            m = sum(1 for _ in plain)
        assert (n, reader.packets, reader.truncated) == (m, plain.packets, plain.truncated)
    assert reader.truncated


@FUZZ
@given(link=st.sampled_from(sorted(LINK_TYPES)), frame=st.binary(max_size=120), before=st.binary(max_size=24),
       after=st.binary(max_size=24), view=st.booleans())
def test_decode_at_a_frame_inside_a_block_is_decode_of_the_frame(link: int, frame: bytes, before: bytes,
                                                                  after: bytes, view: bool) -> None:
    decoder = LINK_TYPES[link][1]
    block = before + frame + after
    assert decode_at(decoder, memoryview(block) if view else block, len(before), len(before) + len(frame)) == \
        decode(decoder, frame)


def test_decode_at_real_frames_inside_a_block() -> None:
    for path in bundled_captures():
        stream, reader = open_capture(path)
        with stream:
            for _ts, link, block, start, end in reader.in_place():
                decoder = LINK_TYPES[link][1]
                assert decode_at(decoder, block, start, end) == decode(decoder, bytes(block[start:end]))


def conversation(name: str) -> list[tuple[int, bytes]]:
    """(side, bytes) of the first flow of a bundled capture, in order, as TCP reassembly delivers them."""
    first = next(iter(Analysis(bundled(name)))).id
    for flow in Analysis(bundled(name), watch=first, watch_limit=10_000):
        if flow.id == first and flow.trace:
            return [(side, payload) for _ts, side, _f, _s, _a, payload in flow.trace if payload]
    raise AssertionError("no trace")


def facts(conn: TlsConnection) -> dict[str, object]:
    return {"facts": tls_facts(conn).to_dict(), "dirs": conn.dirs, "events": conn.events, "lost": conn._lost}


def fed_whole(chunks: list[tuple[int, bytes]]) -> TlsConnection:
    conn = TlsConnection()
    for side, data in chunks:
        conn.data(side, data)
    return conn


def fed_skipping(chunks: list[tuple[int, bytes]]) -> TlsConnection:
    """Through follow(), passing over the bytes it says it does not need, as TCP reassembly does."""
    conn = TlsConnection()
    skip = [0, 0]
    for side, data in chunks:
        if skip[side] >= len(data):
            skip[side] -= len(data)
            continue
        data, skip[side] = data[skip[side]:], 0
        skip[side] = conn.follow(side, data) or 0
    return conn


def resegmented(stream: list[tuple[int, bytes]], cuts: list[int]) -> list[tuple[int, bytes]]:
    """The same byte streams cut at other places (each side's bytes stay in order)."""
    out: list[tuple[int, bytes]] = []
    for (side, data), n in zip(stream, cuts * (len(stream) // max(1, len(cuts)) + 1)):
        step = max(1, n)
        out.extend((side, data[i:i + step]) for i in range(0, len(data), step))
    return out


@pytest.mark.parametrize("name", ["mtls-tls13.pcap", "mtls-tls12.pcap"])
def test_follow_collects_what_data_collects(name: str) -> None:
    stream = conversation(name)
    assert facts(fed_skipping(stream)) == facts(fed_whole(stream))


@FUZZ
@given(name=st.sampled_from(["mtls-tls13.pcap", "mtls-tls12.pcap"]),
       cuts=st.lists(st.integers(1, 1600), min_size=1, max_size=12))
def test_follow_collects_what_data_collects_however_the_stream_is_cut(name: str, cuts: list[int]) -> None:
    stream = resegmented(conversation(name), cuts)
    got, want = fed_skipping(stream), fed_whole(stream)
    assert facts(got) == facts(want)
    assert want.dirs[0].encrypted_records and want.dirs[1].encrypted_records  # something encrypted was counted


@pytest.mark.parametrize("cut", [0, 7, 100])
def test_encrypted_records_are_counted_and_their_first_sizes_kept(cut: int) -> None:
    """After a TLS 1.3 handshake, twenty more application-data records from the server: every one is
    counted with its bytes, and only the first KEEP_SIZES sizes of the direction are kept."""
    from kslab.pcap.tls import KEEP_SIZES

    stream = conversation("mtls-tls13.pcap")
    before = fed_whole(stream).dirs[1]
    lengths = [40 + 3 * i for i in range(20)]
    more = b"".join(b"\x17\x03\x03" + n.to_bytes(2, "big") + bytes(n) for n in lengths)
    extra = [(1, more)] if not cut else [(1, more[i:i + cut]) for i in range(0, len(more), cut)]
    for conn in (fed_whole(stream + extra), fed_skipping(stream + extra)):
        server = conn.dirs[1]
        assert server.encrypted_records == before.encrypted_records + 20
        assert server.encrypted_bytes == before.encrypted_bytes + sum(lengths)
        assert server.sizes == (before.sizes + lengths)[:KEEP_SIZES]
