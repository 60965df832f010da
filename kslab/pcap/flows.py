"""TCP flows from a capture: the loop that ties reader, decoder, reassembly and parsers together.

For each packet: :func:`~kslab.pcap.layers.decode` it (a few field unpacks), find its flow by
the 4-tuple, count it, and pass its payload to that direction's :class:`~kslab.pcap.reassembly.Stream`.
The streams hand ordered bytes to the flow's :class:`~kslab.pcap.session.Session`, which picks the
protocol parser from the first bytes (:func:`detect`): TLS, HTTP/1.x or "other", or finds where TLS
or HTTP starts after a clear-text prelude. No packet is dissected beyond its headers unless its
bytes belong to a handshake or an HTTP header block.

Flows are yielded as soon as they are over (both FINs, or a RST, plus a short linger for the last
ACKs), so memory holds only the flows still open: a capture of any length is read in bounded
memory as long as the number of *simultaneous* connections is bounded.

>>> detect(b"\\x16\\x03\\x01\\x02\\x00", b""), detect(b"GET / HTTP/1.1\\r\\n", b""), detect(b"SSH-2.0-x", b"", final=True)
('TLS', 'HTTP', 'other')
"""

from __future__ import annotations

import gc
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from kslab.errors import InputError
from kslab.pcap.capture import open_capture
from kslab.pcap.fragments import Defragmenter
from kslab.pcap.layers import ACK, FIN, RST, SYN, LINK_TYPES, Fragment, decode, link_decoder, link_name, raw_ip
from kslab.pcap.reassembly import Stream
from kslab.pcap.session import Session, detect

__all__ = ["Analysis", "Flow", "Totals", "detect"]

CLIENT, SERVER = 0, 1
#: Seconds (capture time) a closed flow waits for its last ACKs before it is reported.
LINGER = 2.0
#: Bytes of each direction kept for the entropy estimate.
SAMPLE = 1 << 16
#: Closed 4-tuples remembered, so a stray late ACK does not start a phantom flow.
TOMBSTONES = 1 << 16


class Flow:
    """The state of one TCP connection while the capture is read (internal; see FlowSummary).

    Nothing here points back at the flow (the streams call the session directly), so a finished flow
    is freed at once by reference counting and the cycle collector has nothing to do.
    """

    __slots__ = ("id", "client", "server", "first_ts", "last_ts", "syn_seen", "guessed", "packets", "payload",
                 "fin", "rst_by", "closed_at", "session", "samples", "trace", "streams")

    def __init__(self, fid: int, client: tuple[bytes, int], server: tuple[bytes, int], ts: float,
                 *, syn_seen: bool, guessed: bool, entropy: bool) -> None:
        self.id = fid
        self.client, self.server = client, server
        self.first_ts = self.last_ts = ts
        self.syn_seen, self.guessed = syn_seen, guessed
        self.packets = [0, 0]
        self.payload = [0, 0]
        self.fin = [False, False]
        self.rst_by: int | None = None
        self.closed_at: float | None = None
        session = self.session = Session(syn_seen=syn_seen)
        #: Packets kept for a view of this flow (only for the flow being watched): see kslab.pcap.view.
        self.trace: list[tuple[float, int, int, int, int, bytes]] | None = None
        if entropy:
            self.samples: tuple[bytearray, bytearray] | None = (bytearray(), bytearray())
            deliver = partial(_sampled, self.samples, session.data)
        else:
            self.samples = None
            deliver = session.data
        lose = session.gap
        self.streams = (Stream(deliver, lose, CLIENT), Stream(deliver, lose, SERVER))

    def finish(self) -> None:
        """The flow is over (or the capture is): flush what reassembly held and close parsers."""
        for stream in self.streams:
            stream.finish()
        self.session.finish()


def _sampled(samples: tuple[bytearray, bytearray], deliver: Callable[[int, bytes], None], side: int,
             data: bytes) -> None:
    """Keep the first :data:`SAMPLE` bytes of a direction (for its entropy), then pass the bytes on."""
    sample = samples[side]
    if len(sample) < SAMPLE:
        sample.extend(data[:SAMPLE - len(sample)])
    deliver(side, data)


class Totals:
    """Capture-wide counts, complete once the flows have all been read."""

    def __init__(self, name: str, fmt: str) -> None:
        self.file = name
        self.format = fmt
        self.link_types: set[int] = set()
        self.packets = 0
        self.tcp_packets = 0
        self.flows = 0
        self.other: dict[str, int] = {}
        self.truncated = False
        self.late_packets = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "format": self.format,
                "link_types": [link_name(t) for t in sorted(self.link_types)], "packets": self.packets,
                "tcp_packets": self.tcp_packets, "flow_count": self.flows,
                "other_packets": dict(sorted(self.other.items())), "truncated": self.truncated}


class Analysis:
    """Read a capture and yield a :class:`~kslab.pcap.summary.FlowSummary` per TCP flow.

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
        self._flows: Iterator[Any] | None = None
        if self._reader.format == "pcap":  # one link type for the whole file, known now: check it early
            try:
                link_decoder(next(iter(self._reader.link_types)), str(self.path))
            except InputError:
                self._file.close()
                raise
        self.totals.link_types = self._reader.link_types  # known from the pcap header; pcapng adds as it reads

    def __iter__(self) -> Iterator[Any]:
        # One pass over the file: iterating again continues where the first iteration stopped.
        if self._flows is None:
            self._flows = self._stream()
        return self._flows

    def _stream(self) -> Iterator[Any]:
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

    def _run(self) -> Iterator[Any]:
        from kslab.pcap.summary import flow_summary

        totals = self.totals
        other = totals.other
        table: dict[tuple[bytes, int, bytes, int], tuple[Flow, int]] = {}
        closing: deque[Flow] = deque()
        tombs: OrderedDict[tuple[bytes, int, bytes, int], None] = OrderedDict()
        decoders: dict[int, Any] = {}
        defrag = Defragmenter()
        next_id = 1
        ts = 0.0

        def retire(flow: Flow) -> Any:
            c, s = flow.client, flow.server
            for key in ((c[0], c[1], s[0], s[1]), (s[0], s[1], c[0], c[1])):
                if table.get(key, (None,))[0] is flow:
                    del table[key]
                tombs[key] = None
            while len(tombs) > TOMBSTONES:
                tombs.popitem(last=False)
            flow.finish()
            return flow_summary(flow, entropy=self.entropy)

        for ts, link_type, frame, _wirelen in self._reader:
            decoder = decoders.get(link_type)
            if decoder is None:
                if link_type not in LINK_TYPES:
                    other[f"link type {link_type}"] = other.get(f"link type {link_type}", 0) + 1
                    continue
                decoder = decoders[link_type] = link_decoder(link_type)
            seg = decode(decoder, frame)
            if seg.__class__ is not tuple:  # not a TCP segment: a fragment, or the name of something else
                if seg.__class__ is Fragment:
                    name = f"IPv{seg[0][0]} fragment"  # type: ignore[index]
                    other[name] = other.get(name, 0) + 1
                    whole = defrag.add(seg, ts)  # type: ignore[arg-type]
                    if whole is None:
                        continue
                    seg = decode(raw_ip, whole)
                if seg.__class__ is str:
                    other[seg] = other.get(seg, 0) + 1  # type: ignore[index]
                    continue
            src, sport, dst, dport, seq, ack, flags, payload, missing = seg  # type: ignore[misc]
            totals.tcp_packets += 1
            key = (src, sport, dst, dport)
            entry = table.get(key)
            if entry is not None and flags & SYN and not flags & ACK and entry[0].closed_at is not None:
                # The same 4-tuple reused by a new connection: report the old one first.
                old = entry[0]
                if old in closing:
                    closing.remove(old)
                yield retire(old)
                entry = None
            if entry is None:
                if key in tombs and not flags & SYN:
                    totals.late_packets += 1
                    continue
                tombs.pop(key, None)
                if flags & SYN:
                    # The SYN's sender is the client; a SYN-ACK's sender is the server.
                    client_side = not flags & ACK
                    guessed = False
                else:
                    # No handshake seen: guess that the lower port is the server's.
                    client_side = sport > dport or (sport == dport and src > dst)
                    guessed = True
                cl, sv = ((src, sport), (dst, dport)) if client_side else ((dst, dport), (src, sport))
                flow = Flow(next_id, cl, sv, ts, syn_seen=bool(flags & SYN), guessed=guessed,
                            entropy=self.entropy)
                if next_id == self.watch:
                    flow.trace = []
                next_id += 1
                totals.flows += 1
                table[(cl[0], cl[1], sv[0], sv[1])] = (flow, CLIENT)
                table[(sv[0], sv[1], cl[0], cl[1])] = (flow, SERVER)
                side = CLIENT if client_side else SERVER
            else:
                flow, side = entry
            flow.packets[side] += 1
            flow.last_ts = ts
            if flow.trace is not None and len(flow.trace) < self.watch_limit:
                flow.trace.append((ts, side, flags, seq, ack, payload))
            stream = flow.streams[side]
            if flags & SYN:
                stream.syn(seq)
                seq = (seq + 1) & 0xFFFFFFFF
            if payload or missing:
                flow.payload[side] += len(payload) + missing
                stream.segment(seq, payload, missing)
            if flags & (FIN | RST):
                if flags & RST:
                    if flow.rst_by is None:
                        flow.rst_by = side
                else:
                    flow.fin[side] = True
                if flow.closed_at is None and (flags & RST or (flow.fin[0] and flow.fin[1])):
                    flow.closed_at = ts
                    closing.append(flow)
            while closing and ts - (closing[0].closed_at or ts) > LINGER:
                yield retire(closing.popleft())
        totals.packets = self._reader.packets
        totals.truncated = self._reader.truncated
        if defrag.reassembled:
            other["IP datagrams reassembled from fragments"] = defrag.reassembled
        if defrag.waiting or defrag.dropped:
            other["fragmented IP datagrams never completed"] = defrag.waiting + defrag.dropped
        for flow, side in list(table.values()):
            if side == CLIENT:
                yield retire(flow)
        if totals.packets and not totals.tcp_packets and all(k.startswith("link type") for k in other):
            types = sorted(self._reader.link_types)
            raise InputError(f"{self.path}: link type {types[0]} ({link_name(types[0])}) is not supported",
                             hint="capture on an Ethernet or loopback interface, or with tcpdump -i any")
