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

from collections.abc import Callable

MASK = 0xFFFFFFFF
HALF = 1 << 31
#: Out-of-order bytes held per direction while waiting for a missing segment.
PENDING_LIMIT = 1 << 20


class Stream:
    """Reassemble one direction; see the module docstring."""

    __slots__ = ("deliver", "lose", "next_seq", "pending", "pending_bytes", "retransmitted",
                 "out_of_order", "missing")

    def __init__(self, deliver: Callable[[bytes], None], lose: Callable[[int], None]) -> None:
        self.deliver = deliver
        self.lose = lose
        self.next_seq: int | None = None
        self.pending: dict[int, tuple[bytes, int]] = {}
        self.pending_bytes = 0
        self.retransmitted = 0
        self.out_of_order = 0
        self.missing = 0

    def syn(self, seq: int) -> None:
        """The SYN's sequence number: data starts one after it (the SYN takes one number)."""
        if self.next_seq is None:
            self.next_seq = (seq + 1) & MASK

    def segment(self, seq: int, payload: bytes, missing: int = 0) -> None:
        """A segment's payload; ``missing`` bytes after it were cut off by the snap length."""
        if not payload and not missing:
            return
        if self.next_seq is None:
            self.next_seq = seq
        ahead = (seq - self.next_seq) & MASK
        if 0 < ahead < HALF:  # a hole before it: hold it until the hole is filled
            held = self.pending.get(seq)
            if held is not None and len(held[0]) + held[1] >= len(payload) + missing:
                self.retransmitted += len(payload) + missing
                return
            self.out_of_order += 1
            self.pending[seq] = (payload, missing)
            self.pending_bytes += len(payload) - (len(held[0]) if held else 0)
            if self.pending_bytes > PENDING_LIMIT:
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
        if payload:
            self.deliver(payload)
        if missing:
            self.missing += missing
            self.lose(missing)
        self.next_seq = ((self.next_seq or 0) + len(payload) + missing) & MASK

    def _drain(self) -> None:
        """Deliver held segments that now start at (or before) the next expected byte, in order."""
        while self.pending:
            nxt = self.next_seq or 0
            seq = min(self.pending, key=lambda s: (s - nxt + HALF) & MASK)  # the earliest relative to nxt
            if 0 < (seq - nxt) & MASK < HALF:
                return  # still a hole before the earliest one
            payload, missing = self.pending.pop(seq)
            self.pending_bytes -= len(payload)
            self._accept(seq, payload, missing)

    def _skip_hole(self) -> None:
        nxt = self.next_seq or 0
        first = min(self.pending, key=lambda s: (s - nxt) & MASK)
        hole = (first - nxt) & MASK
        if hole:
            self.missing += hole
            self.lose(hole)
            self.next_seq = first
        self._drain()
