"""One direction of a TCP connection, put back in order (RFC 9293 sequence numbers).

A capture shows segments, not streams: they can arrive out of order, twice (retransmissions),
overlapping, or not at all (the capture dropped them). A :class:`Stream` turns segments back
into the byte stream the application wrote and hands it, in order, to a ``deliver`` callback;
missing bytes are reported to ``lose`` so the protocol parser knows it lost its place.

Memory is bounded: at most :data:`PENDING_LIMIT` bytes wait for a hole to be filled; past that the
hole is declared lost and delivery moves on.

>>> got = []
>>> s = Stream(got.append, lambda n: got.append(f"<{n} lost>"))
>>> s.syn(999)
>>> s.segment(1005, b"world")          # arrives first, waits
>>> s.segment(1000, b"hello")          # fills the hole: both are delivered
>>> s.segment(1000, b"hello")          # a retransmission: ignored
>>> got, s.retransmitted, s.out_of_order
([b'hello', b'world'], 5, 1)
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

MASK = 0xFFFFFFFF
HALF = 1 << 31
#: Out-of-order bytes held per direction while waiting for a missing segment.
PENDING_LIMIT = 1 << 20
#: Out-of-order segments held per direction (each costs a Python object even when it is one byte).
PENDING_SEGMENTS = 1 << 13


_EMPTY: dict[int, tuple[bytes, int]] = {}  # never written to: see Stream.segment
_EMPTY_HEAP: list[int] = []


class Stream:
    """Reassemble one direction; see the module docstring.

    Held segments are keyed by their position in the stream as an unbounded integer (sequence
    numbers unwrapped past 2**32), and a heap of those positions gives the earliest in O(log n),
    so reassembly stays linear however the segments are shuffled.
    """

    __slots__ = ("deliver", "lose", "side", "next_seq", "_pos", "pending", "_heap", "pending_bytes",
                 "retransmitted", "out_of_order", "missing", "skip")

    def __init__(self, deliver: Callable[..., int | None], lose: Callable[..., None], side: int | None = None) -> None:
        # Called with each run of in-order bytes, and with the number of bytes missing; with ``side``
        # first when one is given (one bound method serves both directions, no closure per stream).
        # ``deliver`` may return a number of following bytes it does not need (see ``skip``).
        self.deliver = deliver
        self.lose = lose
        self.side = side
        self.next_seq: int | None = None
        self._pos = 0  # the unwrapped stream position of next_seq
        # Unwrapped position -> (payload, missing), and a heap of those positions; shared empty ones
        # until a segment is first held (most streams never hold one).
        self.pending: dict[int, tuple[bytes, int]] = _EMPTY
        self._heap: list[int] = _EMPTY_HEAP
        self.pending_bytes = 0
        self.retransmitted = 0
        self.out_of_order = 0
        self.missing = 0
        #: Bytes still to pass over undelivered (the rest of an encrypted TLS record): counted by sequence
        #: number only, never copied. A hole in them is still reported to ``lose``.
        self.skip = 0

    def syn(self, seq: int) -> None:
        """The SYN's sequence number: data starts one after it (the SYN takes one number)."""
        if self.next_seq is None:
            self.next_seq = (seq + 1) & MASK

    def segment(self, seq: int, payload: bytes, missing: int = 0) -> None:
        """A segment's payload; ``missing`` bytes after it were cut off by the snap length."""
        if seq == self.next_seq and not missing and not self.pending:
            # In order with nothing held (most segments): deliver it here. Inside a record being
            # skipped only the sequence numbers move.
            n = len(payload)
            if not n:
                return
            self.next_seq = (seq + n) & MASK
            self._pos += n
            skip = self.skip
            if skip:
                if n <= skip:
                    self.skip = skip - n
                    return
                self.skip = 0
                payload = payload[skip:]
            side = self.side
            more = self.deliver(payload) if side is None else self.deliver(side, payload)
            if more:
                self.skip = more
            return
        if not payload and not missing:
            return
        if self.next_seq is None:
            self.next_seq = seq
        ahead = (seq - self.next_seq) & MASK
        if 0 < ahead < HALF:  # a hole before it: hold it until the hole is filled
            at = self._pos + ahead
            if self.pending is _EMPTY:
                self.pending, self._heap = {}, []
            held = self.pending.get(at)
            if held is not None and len(held[0]) + held[1] >= len(payload) + missing:
                self.retransmitted += len(payload) + missing
                return
            self.out_of_order += 1
            if held is None:
                heapq.heappush(self._heap, at)
            self.pending[at] = (payload, missing)
            self.pending_bytes += len(payload) - (len(held[0]) if held else 0)
            if self.pending_bytes > PENDING_LIMIT or len(self.pending) > PENDING_SEGMENTS:
                self._skip_hole()
            return
        self._accept(seq, payload, missing)
        if self.pending:
            self._drain()

    def _accept(self, seq: int, payload: bytes, missing: int) -> None:
        """Deliver a segment that starts at or before the next expected byte (trimming what we have)."""
        nxt = self.next_seq or 0
        old = (nxt - seq) & MASK  # bytes of it already delivered
        length = len(payload) + missing
        if old >= length:
            self.retransmitted += length
            return
        self.retransmitted += old
        if old >= len(payload):
            self._take(b"", length - old)
        else:
            self._take(payload[old:] if old else payload, missing)

    def finish(self) -> None:
        """The capture ended: deliver what was held, declaring the holes before it lost."""
        while self.pending:
            self._skip_hole()

    def _take(self, payload: bytes, missing: int) -> None:
        n = len(payload) + missing
        side = self.side
        skip = self.skip
        if skip and payload:
            if skip >= len(payload):
                self.skip = skip - len(payload)
                payload = b""
            else:
                self.skip = 0
                payload = payload[skip:]
        if payload:
            more = self.deliver(payload) if side is None else self.deliver(side, payload)
            if more:
                self.skip = more
        if missing:
            self.missing += missing
            self._lost(missing)
        self.next_seq = ((self.next_seq or 0) + n) & MASK
        self._pos += n

    def _lost(self, n: int) -> None:
        self.skip = 0  # the consumer has lost its place: it will not ask to skip what it no longer follows
        if self.side is None:
            self.lose(n)
        else:
            self.lose(self.side, n)

    def _pop(self) -> tuple[int, bytes, int]:
        """The earliest held segment: (unwrapped position, payload, missing)."""
        at = heapq.heappop(self._heap)
        payload, missing = self.pending.pop(at)
        self.pending_bytes -= len(payload)
        return at, payload, missing

    def _drain(self) -> None:
        """Deliver held segments that now start at (or before) the next expected byte, in order."""
        heap = self._heap
        while heap and heap[0] <= self._pos:
            at, payload, missing = self._pop()
            seq = ((self.next_seq or 0) - (self._pos - at)) & MASK  # back to a wire sequence number
            self._accept(seq, payload, missing)

    def _skip_hole(self) -> None:
        first = self._heap[0]
        hole = first - self._pos
        if hole > 0:
            self.missing += hole
            self._lost(hole)
            self.next_seq = ((self.next_seq or 0) + hole) & MASK
            self._pos = first
        self._drain()
