"""What one TCP connection's two byte streams carry: protocol detection and routing to the parsers.

Sans-IO: a :class:`Session` is fed each side's bytes in order (by TCP reassembly) and decides
what they are from the first bytes of each side (:func:`detect`): TLS, HTTP/1.x, or neither. When
neither starts the stream, it looks for where TLS or HTTP starts later (:mod:`kslab.pcap.prelude`:
STARTTLS, a proxy, a capture begun mid-stream) and keeps what was said in clear before. A CONNECT
tunnel's content is a session of its own (:attr:`Session.inner`).

>>> s = Session(syn_seen=True)
>>> s.data(CLIENT, b"GET / HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n")
>>> s.protocol, s.http[0].messages[0].target
('HTTP', '/')
>>> detect(b"\\x16\\x03\\x01\\x02\\x00", b""), detect(b"GET / HTTP/1.1\\r\\n", b""), detect(b"SSH-2.0-x", b"", final=True)
('TLS', 'HTTP', 'other')
"""

from __future__ import annotations

from collections.abc import Callable

from kslab.pcap.http import HttpStream, looks_like_request
from kslab.pcap.prelude import KEEP, SCAN_LIMIT, Prelude, find_start, find_switch, prelude_name
from kslab.pcap.tls import TlsConnection

CLIENT, SERVER = 0, 1
_NONE: tuple[bytearray, bytearray] = (bytearray(), bytearray())  # "no bytes yet", never written to
#: Bytes of each direction kept as the excerpt of a flow that is neither TLS nor HTTP.
EXCERPT = 256
#: Bytes either side must have sent before a stream that does not start with TLS or HTTP is searched.
DECIDE_AFTER = 8
#: CONNECT inside CONNECT is followed this deep.
MAX_DEPTH = 2


def _tls_record(b: bytes) -> bool:
    """A TLS handshake record header: content type 22, major version 3 (RFC 8446 section 5.1)."""
    return len(b) >= 3 and b[0] == 0x16 and b[1] == 3 and b[2] <= 4


def _sslv2_hello(b: bytes) -> bool:
    """An SSLv2-format ClientHello offering SSL 3 or TLS (RFC 5246 appendix E.2), or SSL 2.0 itself."""
    return len(b) >= 5 and b[0] & 0x80 != 0 and b[2] == 1 and b[3] in (0, 3)


#: First-bytes signatures: (protocol, which side's bytes, test). Order matters.
SIGNATURES: tuple[tuple[str, int, Callable[[bytes], bool]], ...] = (
    ("TLS", CLIENT, _tls_record),
    ("TLS", CLIENT, _sslv2_hello),
    ("HTTP", CLIENT, looks_like_request),
    ("HTTP", SERVER, lambda b: b.startswith(b"HTTP/1.")),
    # Only the server's side in the capture (or its bytes first): a record from the server.
    ("TLS", SERVER, lambda b: len(b) >= 3 and 0x14 <= b[0] <= 0x17 and b[1] == 3 and b[2] <= 4),
)


def detect(client: bytes | bytearray, server: bytes | bytearray, *, final: bool = False) -> str | None:
    """The protocol a flow speaks from the first bytes of each side; None while undecided, ``other``
    only when ``final`` (the search for a later start is :meth:`Session._decide`'s)."""
    for proto, side, test in SIGNATURES:
        data = client if side == CLIENT else server
        if data and test(bytes(data[:512])):
            return proto
    return "other" if final and (client or server) else None


class Session:
    """The application bytes of one connection, both sides (see the module docstring).

    After the flow: ``protocol`` (``TLS``, ``HTTP``, ``other`` or None for no payload), ``tls``,
    ``http`` (request and response streams), ``excerpt`` (for ``other``), ``prelude`` and ``inner``.
    """

    __slots__ = ("syn_seen", "depth", "skips_outside", "protocol", "tls", "http", "inner", "excerpt", "notes",
                 "_early", "_waiting", "_scanned", "_pre", "_pre_len", "_switched", "_only_tls")

    def __init__(self, *, syn_seen: bool, depth: int = 0, skips_outside: bool = False) -> None:
        self.syn_seen = syn_seen
        self.depth = depth
        #: :meth:`data` returns how many of a TLS side's next bytes it need not see (the rest of an
        #: encrypted record), and the caller passes over them; otherwise the TLS parser skips them itself.
        self.skips_outside = skips_outside
        self.protocol: str | None = None
        self.tls: TlsConnection | None = None
        self.http: tuple[HttpStream, HttpStream] | None = None
        self.inner: Session | None = None
        # Buffers are made when first needed: most connections never need most of them.
        self.excerpt: tuple[bytearray, bytearray] | None = None  # for "other"
        self.notes: list[str] = []
        self._early: tuple[bytearray, bytearray] = _NONE
        self._waiting = [False, False]  # this side's start is still being searched for
        self._scanned = [0, 0]
        self._pre: tuple[bytearray, bytearray] | None = None
        self._pre_len = [0, 0]
        self._switched = False
        #: TLS is all that is left to follow (both sides started, no HTTP, no tunnel, the server has sent
        #: a record so it cannot turn out to answer in plain HTTP): bytes go straight to the TLS parser.
        self._only_tls = False

    # ---- bytes in ------------------------------------------------------------------------------
    def data(self, side: int, chunk: bytes) -> int | None:
        """In-order bytes from one side (0 = client, 1 = server). Returns how many bytes of this side that
        follow the caller should pass over undelivered (None for none; always None unless ``skips_outside``)."""
        tls = self.tls
        if self._only_tls and tls is not None:  # the common case once a handshake is under way
            if self.skips_outside:
                return tls.follow(side, chunk)
            tls.data(side, chunk)
            return None
        if self.protocol is None:
            if self._early is _NONE:
                self._early = (bytearray(), bytearray())
            self._early[side].extend(chunk)
            self._decide(final=False)
        elif self._waiting[side]:
            self._early[side].extend(chunk)
            self._look(side)
        else:
            self._route(side, chunk)
        tls = self.tls
        if tls is not None and self.http is None and self.inner is None:
            if tls.dirs[SERVER].records and not self._waiting[CLIENT] and not self._waiting[SERVER]:
                self._only_tls = True
            if self.skips_outside:
                return tls.take_skip(side) or None
        return None

    def gap(self, side: int, nbytes: int) -> None:
        """Bytes of one side are missing from the capture."""
        if self.protocol is None:
            self._decide(final=True)
        if self._waiting[side]:
            self._give_up(side, f"{nbytes} bytes missing from the capture")
        elif self.inner is not None:
            self.inner.gap(side, nbytes)
        elif self.tls is not None:
            self.tls.gap(side, nbytes)
        elif self.http is not None:
            self.http[side].gap(nbytes)

    def finish(self) -> None:
        """The connection is over: decide what is still undecided, close the parsers."""
        if self.protocol is None:
            self._decide(final=True)
        for side in (CLIENT, SERVER):
            if self._waiting[side]:
                self._give_up(side, "the end of the capture")
        if self.http is not None:
            for s in self.http:
                s.end()
                s.on_tunnel = None  # it points back here: drop the reference cycle
        if self.inner is not None:
            self.inner.finish()

    # ---- facts -------------------------------------------------------------------------------
    @property
    def prelude(self) -> Prelude | None:
        """What was sent in clear before TLS or HTTP started (None when it started the stream)."""
        if not self._switched:
            return None
        client, server = (bytes(b) for b in self._pre) if self._pre is not None else (b"", b"")
        return Prelude(prelude_name(client, server, syn_seen=self.syn_seen), self.protocol or "other",
                       client, server, self._pre_len[CLIENT], self._pre_len[SERVER])

    # ---- deciding ----------------------------------------------------------------------------
    def _decide(self, *, final: bool) -> None:
        client, server = self._early
        proto = detect(client, server)
        if proto is not None:
            self._begin(proto, {CLIENT: 0, SERVER: 0})
            return
        if not final and len(client) < DECIDE_AFTER and len(server) < DECIDE_AFTER:
            return
        switch = find_switch(client, server)
        if switch is not None:
            proto, side, at = switch
            other = 1 - side
            self._switched = True
            self._begin(proto, {side: at, other: find_start(self._early[other], other, proto)})
        elif final or len(client) > SCAN_LIMIT or len(server) > SCAN_LIMIT:
            self._begin("other" if (client or server) else "", {CLIENT: 0, SERVER: 0})

    def _begin(self, proto: str, starts: dict[int, int | None]) -> None:
        if not proto:
            return  # nothing was sent at all: stays None ("no payload")
        self.protocol = proto
        if proto == "TLS":
            self.tls = TlsConnection()
        elif proto == "HTTP":
            self._open_http()
        else:
            self.excerpt = (bytearray(), bytearray())
        early, self._early = self._early, _NONE  # kept only for a side whose start is still searched for
        for side in (CLIENT, SERVER):
            at = starts.get(side)
            if at is None:
                if self._early is _NONE:
                    self._early = (bytearray(), bytearray())
                self._early[side].extend(early[side])
                self._waiting[side] = True
                self._look(side)
            else:
                self._started(side, bytes(early[side]), at)

    def _look(self, side: int) -> None:
        """Search a waiting side's bytes for where the chosen protocol starts."""
        buf = self._early[side]
        at = find_start(buf, side, self.protocol or "TLS", max(0, self._scanned[side] - 16))
        if at is not None:
            self._waiting[side] = False
            data = bytes(buf)
            buf.clear()
            self._started(side, data, at)
        elif len(buf) > SCAN_LIMIT:
            self._give_up(side, f"{SCAN_LIMIT} bytes without a {self.protocol} start")
        else:
            self._scanned[side] = len(buf)

    def _started(self, side: int, data: bytes, at: int) -> None:
        if at:
            self._switched = True
            self._keep_prelude(side, data[:at])
            if not self.syn_seen and len(self.notes) < 4:
                self.notes.append(f"{('client', 'server')[side]}: {at} bytes skipped before the first "
                                  f"{self.protocol} message (the capture started mid-stream)")
        if data[at:]:
            self._route(side, data[at:])

    def _give_up(self, side: int, why: str) -> None:
        self._waiting[side] = False
        buf = self._early[side]
        self._keep_prelude(side, bytes(buf))
        self._early[side].clear()
        if buf:
            self._switched = True
            self.notes.append(f"{('client', 'server')[side]}: no {self.protocol} start found before {why}")

    def _keep_prelude(self, side: int, data: bytes) -> None:
        self._pre_len[side] += len(data)
        if self._pre is None:
            self._pre = (bytearray(), bytearray())
        room = KEEP - len(self._pre[side])
        if room > 0:
            self._pre[side].extend(data[:room])

    # ---- routing -----------------------------------------------------------------------------
    def _open_http(self) -> None:
        requests = HttpStream("request")
        responses = HttpStream("response", requests)
        if self.depth < MAX_DEPTH:
            requests.on_tunnel = lambda b: self._tunnel(CLIENT, b)
            responses.on_tunnel = lambda b: self._tunnel(SERVER, b)
        self.http = (requests, responses)

    def _tunnel(self, side: int, chunk: bytes) -> None:
        if self.inner is None:
            self.inner = Session(syn_seen=True, depth=self.depth + 1)
        self.inner.data(side, chunk)

    def _route(self, side: int, data: bytes) -> None:
        if self.tls is not None:
            if side == SERVER and self.http is None and not self.tls.dirs[SERVER].records \
                    and data.startswith(b"HTTP/1."):
                # A TLS client talking to a plain-HTTP server: the server's answer is readable HTTP.
                self._open_http()
                self.notes.append("the server answered the TLS ClientHello in plain HTTP")
            if side == SERVER and self.http is not None:
                self.http[SERVER].data(data)
            else:
                self.tls.data(side, data)
        elif self.http is not None:
            self.http[side].data(data)
        elif self.excerpt is not None and len(self.excerpt[side]) < EXCERPT:
            self.excerpt[side].extend(data[:EXCERPT - len(self.excerpt[side])])
