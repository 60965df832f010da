"""IP fragments back into datagrams (RFC 791 section 3.2 for IPv4, RFC 8200 section 4.5 for IPv6).

A datagram too big for a link is sent in pieces, each with the same identification and its byte
offset; the last has the more-fragments flag clear. :class:`Defragmenter` holds pieces until a
datagram is whole and then returns it as a raw IP packet. Memory is bounded: at most
:data:`MAX_DATAGRAMS` datagrams and :data:`MAX_BYTES` bytes wait at once (the oldest is dropped
first), and a datagram not completed within :data:`TIMEOUT` seconds of capture time is dropped, as
RFC 8200 asks of a receiver. Overlapping pieces are refused as a whole, as RFC 5722 requires for
IPv6 (overlaps are how attacks slip past inspection).

>>> from kslab.pcap.layers import Fragment
>>> d = Defragmenter()
>>> key = (4, bytes(4), bytes(4), 1, 6)
>>> d.add(Fragment(key, 8, False, b"world!!!"), 0.0) is None
True
>>> d.add(Fragment(key, 0, True, b"hello, w"), 0.1)[20:]
b'hello, wworld!!!'
"""

from __future__ import annotations

from collections import OrderedDict

from kslab.pcap.layers import Fragment, reassembled

MAX_DATAGRAMS = 1024
MAX_BYTES = 8 << 20
MAX_DATAGRAM = 65535
TIMEOUT = 60.0


class _Pending:
    __slots__ = ("first_ts", "pieces", "size", "total")

    def __init__(self, ts: float) -> None:
        self.first_ts = ts
        self.pieces: dict[int, bytes] = {}
        self.size = 0
        self.total: int | None = None


class Defragmenter:
    """Fragments in, whole datagrams out (see the module docstring); counts what it gave up on."""

    def __init__(self) -> None:
        self._pending: OrderedDict[tuple[int, bytes, bytes, int, int], _Pending] = OrderedDict()
        self._bytes = 0
        self.reassembled = 0
        self.dropped = 0
        self.overlapping = 0

    def add(self, frag: Fragment, ts: float) -> bytes | None:
        """A fragment; returns the whole datagram as a raw IP packet once its last piece arrived."""
        self._expire(ts)
        entry = self._pending.get(frag.key)
        if entry is None:
            entry = self._pending[frag.key] = _Pending(ts)
        end = frag.offset + len(frag.data)
        if end > MAX_DATAGRAM or frag.offset in entry.pieces or (frag.more and len(frag.data) % 8):
            self._drop(frag.key, overlap=frag.offset in entry.pieces)
            return None
        entry.pieces[frag.offset] = frag.data
        entry.size += len(frag.data)
        self._bytes += len(frag.data)
        if not frag.more:
            entry.total = end
        while self._bytes > MAX_BYTES or len(self._pending) > MAX_DATAGRAMS:
            self._drop(next(iter(self._pending)))
        if entry.total is None or entry.size < entry.total:
            return None
        return self._assemble(frag.key, entry)

    def _assemble(self, key: tuple[int, bytes, bytes, int, int], entry: _Pending) -> bytes | None:
        out = bytearray()
        for offset in sorted(entry.pieces):
            if offset != len(out):  # a hole or an overlap: not a datagram we can trust
                self._drop(key, overlap=offset < len(out))
                return None
            out += entry.pieces[offset]
        del self._pending[key]
        self._bytes -= entry.size
        self.reassembled += 1
        return reassembled(key, bytes(out))

    def _drop(self, key: tuple[int, bytes, bytes, int, int], *, overlap: bool = False) -> None:
        entry = self._pending.pop(key, None)
        if entry is not None:
            self._bytes -= entry.size
            self.dropped += 1
            self.overlapping += overlap

    def _expire(self, ts: float) -> None:
        while self._pending:
            key, entry = next(iter(self._pending.items()))
            if ts - entry.first_ts <= TIMEOUT:
                return
            self._drop(key)

    @property
    def waiting(self) -> int:
        """Datagrams still incomplete (at the end of the capture: never completed)."""
        return len(self._pending)
