"""Fuzzing every capture parser (issue #15): whatever the bytes, each ends with facts or a one-line
:class:`~kslab.errors.InputError`, never another exception.

In the suite each target runs a fixed set of examples (``derandomize``: the same every run, so the
suite stays deterministic). ``python tools/fuzz.py pcap`` runs them for minutes, with fresh random examples.
"""

from __future__ import annotations

import io
import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kslab.errors import InputError
from kslab.pcap.capture import CaptureReader
from kslab.pcap.certs import cert_facts
from kslab.pcap.der import DerError, read_certificate
from kslab.pcap.http import MAX_HEAD, HttpStream
from kslab.pcap.layers import LINK_TYPES, decode
from kslab.pcap.session import Session
from kslab.pcap.tls import TlsConnection, build_client_hello

LONG = os.environ.get("KSLAB_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(LONG) if LONG else 150, derandomize=not LONG, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
SHB = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
IDB = struct.pack("<II", 1, 20) + struct.pack("<HHI", 1, 0, 65535) + struct.pack("<I", 20)
# Seeds that start well-formed, so the fuzzer gets past the first check and into the parsers.
TLS_SEED = build_client_hello(sni="fuzz.example", alpn=["h2"])
HTTP_SEED = b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"

chunks = st.lists(st.binary(max_size=300), max_size=12)


def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """The seed with a few bytes overwritten, cut short or extended."""
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = bytearray(seed)
        for _ in range(draw(st.integers(0, 6))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        cut = draw(st.integers(0, len(data)))
        return bytes(data[:cut]) + draw(st.binary(max_size=64))
    return build()


@FUZZ
@given(body=st.one_of(st.binary(max_size=600), mutated(struct.pack("<IIII", 0, 0, 40, 40) + bytes(40))),
       ng=st.booleans())
def test_capture_reader(body: bytes, ng: bool) -> None:
    data = (SHB + IDB + body) if ng else (PCAP_HEADER + body)
    try:
        for _ts, _link, frame, _wire in CaptureReader(io.BytesIO(data)):
            assert isinstance(frame, bytes)
    except InputError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(frame=st.binary(max_size=200), link=st.sampled_from(sorted(LINK_TYPES)))
def test_decode_any_frame(frame: bytes, link: int) -> None:
    result = decode(LINK_TYPES[link][1], frame)
    assert isinstance(result, (str, tuple))


@FUZZ
@given(client=st.lists(st.one_of(mutated(TLS_SEED), st.binary(max_size=200)), max_size=6), server=chunks)
def test_tls_connection(client: list[bytes], server: list[bytes]) -> None:
    conn = TlsConnection()
    for i in range(max(len(client), len(server))):
        if i < len(client):
            conn.data(0, client[i])
        if i < len(server):
            conn.data(1, server[i])
    assert len(conn.events) <= 48 and all(len(b) <= 1 << 18 for b in conn._hs)


@FUZZ
@given(parts=st.lists(st.one_of(mutated(HTTP_SEED), st.binary(max_size=200)), max_size=8), gap=st.integers(0, 9))
def test_http_stream(parts: list[bytes], gap: int) -> None:
    req = HttpStream("request")
    resp = HttpStream("response", req)
    for i, part in enumerate(parts):
        (req if i % 2 == 0 else resp).data(part)
        if i == gap:
            req.gap(3)
    req.end()
    resp.end()
    assert len(req._buf) <= MAX_HEAD + 300 and len(req.messages) <= 64


@FUZZ
@given(client=st.lists(st.one_of(mutated(TLS_SEED), mutated(HTTP_SEED), st.binary(max_size=100)), max_size=6),
       server=chunks, syn=st.booleans())
def test_session(client: list[bytes], server: list[bytes], syn: bool) -> None:
    s = Session(syn_seen=syn)
    for i in range(max(len(client), len(server))):
        if i < len(client):
            s.data(0, client[i])
        if i < len(server):
            s.data(1, server[i])
    s.finish()
    assert s.protocol in (None, "TLS", "HTTP", "other")
    if s.prelude is not None:
        s.prelude.to_dict()


@FUZZ
@given(der=st.one_of(st.binary(max_size=400), mutated(bytes.fromhex("3082010a3081f3a003020102020101300d"))))
def test_certificates(der: bytes) -> None:
    try:
        read_certificate(der)
    except DerError:
        pass
    facts = cert_facts(der)
    assert facts.error or facts.malformed or facts.subject is not None


def _bundled_frames() -> list[bytes]:
    from kslab.pcap import bundled

    return [frame for _ts, _l, frame, _w in CaptureReader(io.BytesIO(bundled("mtls-tls12.pcap").read_bytes()))][:40]


FRAMES = _bundled_frames()


@FUZZ
@given(picks=st.lists(st.tuples(st.integers(0, len(FRAMES) - 1), st.integers(0, 300), st.integers(0, 255)),
                      min_size=1, max_size=40))
def test_whole_analysis_of_damaged_frames(tmp_path_factory: object, picks: list[tuple[int, int, int]]) -> None:
    """Real frames with one byte changed each, in any order, read as a capture: flows or an InputError."""
    from kslab.pcap import summarize

    out = bytearray(PCAP_HEADER)
    for i, (which, where, value) in enumerate(picks):
        frame = bytearray(FRAMES[which])
        frame[where % len(frame)] = value
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)) + frame
    path = tmp_path_factory.mktemp("fuzz") / "damaged.pcap"  # type: ignore[attr-defined]
    path.write_bytes(bytes(out))
    try:
        cap = summarize(path)
    except InputError:
        return
    for flow in cap.flows:
        flow.to_dict()
        flow.lines()
