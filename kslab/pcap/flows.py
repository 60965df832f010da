"""TCP flows from a capture: a sans-IO state machine, packets in, typed events out.

:class:`FlowTracker` is fed the capture's packets (from any iterable: it opens no file; each frame
where it lies, as :meth:`~kslab.pcap.capture.CaptureReader.in_place` gives them) and yields a
:class:`FlowEnded` event, carrying the flow's :class:`~kslab.pcap.facts.FlowSummary`, as soon as a
flow is over. For each packet it :func:`~kslab.pcap.layers.decode`\\ s the headers (a few field
unpacks), finds the flow by the 4-tuple and hands the segment to that :class:`Flow`, whose
:class:`Phase` says what it still keeps:

* ``QUIET``: no payload yet, only counters (most connections of a port scan or a connection pool
  never leave this phase, so they cost no reassembly and no parser);
* ``PARSING``: each direction's :class:`~kslab.pcap.reassembly.Stream` puts the bytes back in
  order for the flow's :class:`~kslab.pcap.session.Session`, which picks the protocol parser from
  the first bytes (:func:`detect`): TLS, HTTP/1.x or "other".

No packet is dissected beyond its headers unless its bytes belong to a handshake or an HTTP header
block. A flow is over after both FINs, or a RST, plus a short linger for the last ACKs; when its
4-tuple starts a new connection; or at the end of the capture. Memory holds only the flows still
open, so a capture of any length is read in bounded memory as long as the number of *simultaneous*
connections is bounded. :class:`Analysis` is the I/O around it: it reads a file.

>>> detect(b"\\x16\\x03\\x01\\x02\\x00", b""), detect(b"GET / HTTP/1.1\\r\\n", b""), detect(b"SSH-2.0-x", b"", final=True)
('TLS', 'HTTP', 'other')
"""

from __future__ import annotations

import gc
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from functools import partial
from pathlib import Path
from typing import NamedTuple

from kslab.errors import InputError
from kslab.pcap.capture import open_capture
from kslab.pcap.entropy import shannon
from kslab.pcap.facts import FlowSummary, Totals, tls_facts
from kslab.pcap.fragments import Defragmenter
from kslab.pcap.layers import (ACK, FIN, LINK_TYPES, RST, SYN, Fragment, Frame, Segment, decode, decode_at, endpoint,
                               link_decoder, link_name, raw_ip)
from kslab.pcap.reassembly import Stream
from kslab.pcap.session import Session, detect

__all__ = ["Analysis", "Flow", "FlowEnded", "FlowTracker", "Phase", "Totals", "detect"]

CLIENT, SERVER = 0, 1
#: Seconds (capture time) a closed flow waits for its last ACKs before it is reported.
LINGER = 2.0
#: Bytes of each direction kept for the entropy estimate: always the first ones, in stream order.
SAMPLE = 1 << 16
#: Closed 4-tuples remembered, so a stray late ACK does not start a phantom flow.
TOMBSTONES = 1 << 16
#: Addresses remembered to share one copy between flows (forgotten all at once past this many).
ADDRESSES = 1 << 16

#: A flow's key: (source address, source port, destination address, destination port).
Key = tuple[bytes, int, bytes, int]
#: (time, side, flags, seq, ack, payload) of a packet kept for a view of one flow (see kslab.pcap.view).
TracePacket = tuple[float, int, int, int, int, bytes]


class Phase(Enum):
    """What a flow keeps while it is open (see the module docstring)."""

    QUIET = "no payload yet"
    PARSING = "parsing its payload"


class FlowEnded(NamedTuple):
    """A flow is over; ``why``: ``closed`` (FIN both ways or a RST, then the linger), ``reused`` (its
    4-tuple opened a new connection) or ``end of capture``. (A named tuple: one is made per flow.)"""

    summary: FlowSummary
    why: str


class Flow:
    """The state of one TCP connection while the capture is read (internal; see FlowSummary).

    Small on purpose (a capture may hold a hundred thousand open connections): the client's
    4-tuple is the only copy of the endpoints, the counters share one list, and reassembly and
    the session exist only once there is payload (:class:`Phase`). Nothing here points back at
    the flow (the streams call the session directly), so a finished flow is freed at once by
    reference counting and the cycle collector has nothing to do.
    """

    __slots__ = ("id", "key", "first_ts", "last_ts", "syn_seen", "guessed", "phase", "counts", "fin", "rst_by",
                 "closed_at", "isn_client", "isn_server", "entropy", "session", "samples", "trace", "streams")

    def __init__(self, fid: int, key: Key, ts: float, *, syn_seen: bool, guessed: bool, entropy: bool) -> None:
        self.id = fid
        self.key = key  # (client address, client port, server address, server port)
        self.first_ts = self.last_ts = ts
        self.syn_seen, self.guessed = syn_seen, guessed
        self.phase = Phase.QUIET
        #: Packets from the client, from the server, then payload bytes from each.
        self.counts = [0, 0, 0, 0]
        self.fin = 0  # bit 0: the client sent a FIN, bit 1: the server did
        self.rst_by: int | None = None
        self.closed_at: float | None = None
        #: The SYN's sequence number of each side, kept until the streams exist (QUIET flows have none).
        self.isn_client: int | None = None
        self.isn_server: int | None = None
        self.entropy = entropy
        self.session: Session | None = None
        self.samples: tuple[bytearray, bytearray] | None = None
        self.trace: list[TracePacket] | None = None
        self.streams: tuple[Stream, Stream] | None = None

    @property
    def client(self) -> tuple[bytes, int]:
        return self.key[0], self.key[1]

    @property
    def server(self) -> tuple[bytes, int]:
        return self.key[2], self.key[3]

    # ---- packets in ---------------------------------------------------------------------------
    def packet(self, ts: float, side: int, flags: int, seq: int, payload: bytes, missing: int) -> bool:
        """One segment from ``side``; True when it closes the flow (both FINs seen, or a RST)."""
        counts = self.counts
        counts[side] += 1
        self.last_ts = ts
        if flags & SYN:
            if self.streams is not None:
                self.streams[side].syn(seq)
            elif side == CLIENT:
                if self.isn_client is None:
                    self.isn_client = seq
            elif self.isn_server is None:
                self.isn_server = seq
            seq = (seq + 1) & 0xFFFFFFFF
        if payload or missing:
            counts[2 + side] += len(payload) + missing
            streams = self.streams if self.streams is not None else self._start()
            streams[side].segment(seq, payload, missing)
        if flags & (FIN | RST):
            if flags & RST:
                if self.rst_by is None:
                    self.rst_by = side
            else:
                self.fin |= 1 << side
            if self.closed_at is None and (flags & RST or self.fin == 3):
                self.closed_at = ts
                return True
        return False

    def _start(self) -> tuple[Stream, Stream]:
        """The first payload: QUIET -> PARSING, with reassembly and a session to parse it."""
        # Without a sample to take, the session hands the bodies of encrypted records back to the streams,
        # which pass over them by sequence number (no copy, no parser call): see Stream.skip.
        session = self.session = Session(syn_seen=self.syn_seen, skips_outside=not self.entropy)
        deliver: Callable[[int, bytes], int | None]
        if self.entropy:
            samples = self.samples = (bytearray(), bytearray())
            deliver = partial(_sampled, samples, session.data)
        else:
            deliver = session.data
        streams = self.streams = (Stream(deliver, session.gap, CLIENT), Stream(deliver, session.gap, SERVER))
        for stream, isn in zip(streams, (self.isn_client, self.isn_server)):  # the SYNs came before any payload
            if isn is not None:
                stream.syn(isn)
        self.phase = Phase.PARSING
        return streams

    def finish(self) -> None:
        """The flow is over (or the capture is): flush what reassembly held and close parsers."""
        if self.streams is not None:
            for stream in self.streams:
                stream.finish()
        if self.session is not None:
            self.session.finish()

    # ---- facts out ----------------------------------------------------------------------------
    def ended(self) -> str:
        """How the connection ended, in words."""
        if self.rst_by is not None:
            return f"reset by the {('client', 'server')[self.rst_by]}"
        if self.fin == 3:
            return "closed (FIN both ways)"
        if self.fin:
            return f"half-closed by the {'client' if self.fin & 1 else 'server'}"
        return "still open at the end of the capture"

    def summary(self) -> FlowSummary:
        """The facts of this (finished) flow."""
        counts, key = self.counts, self.key
        streams, session = self.streams, self.session
        if streams is None:  # QUIET to the end: no payload, so no reassembly and no session
            retransmitted = out_of_order = missing = 0
        else:
            client, server = streams
            retransmitted = client.retransmitted + server.retransmitted
            out_of_order, missing = client.out_of_order + server.out_of_order, client.missing + server.missing
        protocol = (session.protocol if session is not None else None) or \
            ("no payload" if not (counts[2] or counts[3]) else "other")
        summary = FlowSummary(
            id=self.id, client=_endpoint(key[0], key[1]), server=_endpoint(key[2], key[3]),
            protocol=protocol,
            start=self.first_ts, duration=max(0.0, self.last_ts - self.first_ts),
            packets=(counts[0], counts[1]), payload_bytes=(counts[2], counts[3]),
            syn_seen=self.syn_seen, direction_guessed=self.guessed, ended=self.ended(),
            retransmitted=retransmitted, out_of_order=out_of_order, missing=missing, trace=self.trace)
        if session is None:
            return summary
        inner = session.inner
        http = session.http or (inner.http if inner is not None else None)
        if http is not None:
            req, resp = http
            summary.requests, summary.responses = list(req.messages), list(resp.messages)
            summary.http_counts = (req.count + (req._current is not None), resp.count + (resp._current is not None))
            summary.http_problems = [f"{side}: {s.problem}" for side, s in (("client", req), ("server", resp))
                                     if s.problem]
            if session.http is not None and protocol != "HTTP":
                summary.http_also = True
        tls = session.tls or (inner.tls if inner is not None else None)
        if tls is not None:
            summary.tls = tls_facts(tls)
        summary.prelude = session.prelude
        summary.notes = list(session.notes) + (list(inner.notes) if inner is not None else [])
        if inner is not None:
            summary.tunnel = inner.protocol or "no payload"
        if protocol == "other":
            summary.excerpts = {side: bytes(b) for side, b in zip(("client", "server"), session.excerpt or ()) if b}
        if self.samples is not None:
            summary.samples = {side: bytes(b) for side, b in zip(("client", "server"), self.samples) if b}
            summary.entropy = {side: round(shannon(b), 3) for side, b in summary.samples.items()}
        return summary


def _endpoint(address: bytes, port: int) -> str:
    """:func:`~kslab.pcap.layers.endpoint`; an IPv4 one written directly (the ``ipaddress`` module takes
    ten times as long, and a capture may end with a hundred thousand flows to name)."""
    if len(address) == 4:
        return f"{address[0]}.{address[1]}.{address[2]}.{address[3]}:{port}"
    return endpoint(address, port)


def _sampled(samples: tuple[bytearray, bytearray], deliver: Callable[[int, bytes], int | None], side: int,
             data: bytes) -> None:
    """Keep the first :data:`SAMPLE` bytes of a direction (for its entropy), then pass the bytes on."""
    sample = samples[side]
    if len(sample) < SAMPLE:
        sample.extend(data[:SAMPLE - len(sample)])
    deliver(side, data)


class FlowTracker:
    """The flows of a stream of packets (sans-IO: the packets come from any iterable).

    >>> from kslab.pcap.capture import open_capture
    >>> from kslab.pcap import bundled
    >>> fh, reader = open_capture(bundled("plaintext-http.pcap"))
    >>> tracker = FlowTracker(Totals("plaintext-http.pcap", reader.format))
    >>> events = [*tracker.feed(reader.in_place()), *tracker.end()]
    >>> fh.close()
    >>> [(e.summary.id, e.summary.protocol, e.why) for e in events]
    [(1, 'HTTP', 'end of capture')]
    """

    def __init__(self, totals: Totals, *, entropy: bool = False, watch: int | None = None,
                 watch_limit: int = 200) -> None:
        self.totals = totals
        self.entropy = entropy
        self.watch, self.watch_limit = watch, watch_limit
        #: The client's 4-tuple -> its flow (a server's packet is looked up with its 4-tuple reversed: one
        #: entry per flow, as a capture may hold a hundred thousand open ones).
        self._table: dict[Key, Flow] = {}
        self._closing: deque[Flow] = deque()
        self._tombs: OrderedDict[Key, None] = OrderedDict()
        self._decoders: dict[int, Callable[[Frame], tuple[int, int]]] = {}
        self._defrag = Defragmenter()
        self._next_id = 1
        #: One bytes object per address for all the flows that name it (a server serves many).
        self._addresses: dict[bytes, bytes] = {}

    def feed(self, packets: Iterable[tuple[float, int, Frame, int, int]]) -> Iterator[FlowEnded]:
        """Read ``(time, link type, block, start, end)`` packets (the frame is ``block[start:end]``); yields
        each flow as it ends. (A frame of its own is ``(time, link type, frame, 0, len(frame))``.)"""
        table, closing, totals = self._table, self._closing, self.totals
        # Per packet, so kept in locals: the last link type's decoder (a file rarely has two), the TCP
        # packet count (written back whenever the caller gets control), whether a flow is watched.
        link, decoder = -1, None
        tcp = totals.tcp_packets
        watching, watch_limit = self.watch is not None, self.watch_limit
        # When the oldest closing flow closed (None: none is closing), checked against LINGER per packet.
        head = closing[0].closed_at if closing else None
        try:
            for ts, link_type, block, start, end in packets:
                if link_type != link:
                    link, decoder = link_type, self._decoders.get(link_type) or self._decoder(link_type)
                if decoder is None:
                    link = -1  # each such packet is counted by _decoder
                    continue
                decoded = decode_at(decoder, block, start, end)
                if type(decoded) is tuple:  # a Segment; else a name (str) or a Fragment (a named tuple)
                    seg: Segment = decoded  # type: ignore[assignment]  # (typing.cast is a call per packet)
                else:
                    whole = self._not_a_segment(decoded, ts)  # type: ignore[arg-type]
                    if whole is None:
                        continue
                    seg = whole
                src, sport, dst, dport, seq, ack, flags, payload, missing = seg
                tcp += 1
                key = (src, sport, dst, dport)
                flow = table.get(key)
                if flow is not None:
                    # A connection to itself (one address and port at both ends): its two 4-tuples are one,
                    # and its packets count as the server's (as when each direction had its own table entry).
                    side = SERVER if sport == dport and src == dst else CLIENT
                else:
                    flow = table.get((dst, dport, src, sport))
                    side = SERVER
                if flow is not None and flags & SYN and not flags & ACK and flow.closed_at is not None:
                    # The same 4-tuple reused by a new connection: report the old one first.
                    if flow in closing:
                        closing.remove(flow)
                        head = closing[0].closed_at if closing else None
                    totals.tcp_packets = tcp
                    yield self._retire(flow, "reused")
                    flow = None
                if flow is None:
                    opened = self._open(key, ts, flags)
                    if opened is None:
                        continue
                    flow, side = opened
                if watching and flow.trace is not None and len(flow.trace) < watch_limit:
                    flow.trace.append((ts, side, flags, seq, ack, payload))
                if flow.packet(ts, side, flags, seq, payload, missing):
                    closing.append(flow)
                    if head is None:
                        head = flow.closed_at
                if head is not None and ts - (head or ts) > LINGER:
                    totals.tcp_packets = tcp
                    while closing and ts - (closing[0].closed_at or ts) > LINGER:
                        yield self._retire(closing.popleft(), "closed")
                    head = closing[0].closed_at if closing else None
        finally:
            totals.tcp_packets = tcp

    def end(self) -> Iterator[FlowEnded]:
        """The packets are over: the flows still open end here, in the order they started."""
        defrag, other = self._defrag, self.totals.other
        if defrag.reassembled:
            other["IP datagrams reassembled from fragments"] = defrag.reassembled
        if defrag.waiting or defrag.dropped:
            other["fragmented IP datagrams never completed"] = defrag.waiting + defrag.dropped
        # Nothing comes after: no tombstones to leave, and each flow is let go as soon as it is reported.
        flows, self._table = deque(self._table.values()), {}
        while flows:
            flow = flows.popleft()
            flow.finish()
            yield FlowEnded(flow.summary(), "end of capture")

    # ---- the steps of a packet -------------------------------------------------------------------
    def _decoder(self, link_type: int) -> Callable[[Frame], tuple[int, int]] | None:
        if link_type not in LINK_TYPES:
            self.totals.count(f"link type {link_type}")
            return None
        decoder = self._decoders[link_type] = link_decoder(link_type)
        return decoder

    def _not_a_segment(self, what: Fragment | str, ts: float) -> Segment | None:
        """Count what is not a TCP segment; a fragment may complete a datagram, decoded here."""
        if isinstance(what, Fragment):
            self.totals.count(f"IPv{what.key[0]} fragment")
            whole = self._defrag.add(what, ts)
            if whole is None:
                return None
            decoded = decode(raw_ip, whole)
            if not isinstance(decoded, (str, Fragment)):
                return decoded
            what = decoded if isinstance(decoded, str) else "IP fragment inside a fragment"
        self.totals.count(what)
        return None

    def _open(self, key: Key, ts: float, flags: int) -> tuple[Flow, int] | None:
        """A 4-tuple not in the table: a new flow, or None for a late packet of a finished one."""
        tombs = self._tombs
        if key in tombs:
            if not flags & SYN:
                self.totals.late_packets += 1
                return None
            del tombs[key]
        src, sport, dst, dport = key
        addresses = self._addresses
        if len(addresses) > ADDRESSES:
            addresses.clear()
        src = addresses.setdefault(src, src)
        dst = addresses.setdefault(dst, dst)
        if flags & SYN:
            # The SYN's sender is the client; a SYN-ACK's sender is the server.
            client_side, guessed = not flags & ACK, False
        else:
            # No handshake seen: guess that the lower port is the server's.
            client_side, guessed = sport > dport or (sport == dport and src > dst), True
        client_key = (src, sport, dst, dport) if client_side else (dst, dport, src, sport)
        fid = self._next_id
        self._next_id += 1
        flow = Flow(fid, client_key, ts, syn_seen=bool(flags & SYN), guessed=guessed, entropy=self.entropy)
        if fid == self.watch:
            flow.trace = []
        self.totals.flows += 1
        self._table[client_key] = flow
        return flow, CLIENT if client_side else SERVER

    def _retire(self, flow: Flow, why: str) -> FlowEnded:
        table, tombs = self._table, self._tombs
        key = flow.key
        if table.get(key) is flow:
            del table[key]
        tombs[key] = None
        tombs[(key[2], key[3], key[0], key[1])] = None
        while len(tombs) > TOMBSTONES:
            tombs.popitem(last=False)
        flow.finish()
        return FlowEnded(flow.summary(), why)


class Analysis:
    """Read a capture and yield a :class:`~kslab.pcap.facts.FlowSummary` per TCP flow.

    Iterate once; afterwards ``totals`` holds the capture-wide counts. ``entropy=True`` keeps
    the first 64 KiB of each direction to estimate its byte entropy.
    """

    def __init__(self, path: str | Path, *, entropy: bool = False, watch: int | None = None,
                 watch_limit: int = 200) -> None:
        self.path = Path(path)
        self.entropy = entropy
        self.watch, self.watch_limit = watch, watch_limit
        self._file, self._reader = open_capture(self.path)
        self.totals = Totals(str(self.path), self._reader.format)
        self._flows: Iterator[FlowSummary] | None = None
        if self._reader.format == "pcap":  # one link type for the whole file, known now: check it early
            try:
                link_decoder(next(iter(self._reader.link_types)), str(self.path))
            except InputError:
                self._file.close()
                raise
        self.totals.link_types = self._reader.link_types  # known from the pcap header; pcapng adds as it reads

    def __iter__(self) -> Iterator[FlowSummary]:
        # One pass over the file: iterating again continues where the first iteration stopped.
        if self._flows is None:
            self._flows = self._stream()
        return self._flows

    def _stream(self) -> Iterator[FlowSummary]:
        # The loop makes no reference cycles (see Flow), so the cycle collector would only rescan the
        # open flows again and again (half the time on a capture of many never-closing connections):
        # it is paused until the capture is read (what the caller frees meanwhile is freed at once by
        # reference counting; only cycles wait for the end).
        collecting = gc.isenabled()
        gc.disable()
        try:
            yield from self._run()
        finally:
            if collecting:
                gc.enable()
            self._file.close()

    def _run(self) -> Iterator[FlowSummary]:
        tracker = FlowTracker(self.totals, entropy=self.entropy, watch=self.watch, watch_limit=self.watch_limit)
        for event in tracker.feed(self._reader.in_place()):
            yield event.summary
        totals, reader = self.totals, self._reader
        totals.packets, totals.truncated = reader.packets, reader.truncated
        for event in tracker.end():
            yield event.summary
        if totals.packets and not totals.tcp_packets and all(k.startswith("link type") for k in totals.other):
            types = sorted(reader.link_types)
            raise InputError(f"{self.path}: link type {types[0]} ({link_name(types[0])}) is not supported",
                             hint="capture on an Ethernet or loopback interface, or with tcpdump -i any")
