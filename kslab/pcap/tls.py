"""TLS as an eavesdropper reads it: records, the handshake in clear, and sizes of the rest.

Sans-IO: a :class:`TlsConnection` is fed the bytes of each direction in order (by the flow
reassembly) and collects facts. Nothing here touches a socket or a file.

What is readable depends on the version (RFC 8446 section 2 vs RFC 5246 section 7.3):

* both: the ClientHello (SNI, ALPN offered, versions and ciphers offered) and the ServerHello
  (chosen version and cipher suite);
* TLS 1.2 only: everything up to ChangeCipherSpec, i.e. the selected ALPN, both certificate
  chains (mutual TLS sends the client's in clear too), the CertificateRequest, the key exchange
  group, alerts;
* TLS 1.3: after the ServerHello every handshake message is encrypted, so certificates and the
  selected ALPN are hidden; only record sizes and timing leak.

Records are split on their 5-byte header (type, version, length). Handshake messages may span
records and records may hold several messages (RFC 8446 section 5.1), so handshake bytes are
buffered per direction until each message is whole. Once a direction is encrypted only record
sizes are kept and nothing is buffered.

>>> hello = build_client_hello(sni="details.example", alpn=["h2", "http/1.1"])
>>> ch = parse_client_hello(hello[9:])
>>> ch.sni, ch.alpn, [version_name(v) for v in ch.versions]
('details.example', ['h2', 'http/1.1'], ['TLS 1.3', 'TLS 1.2'])
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from kslab.pcap import tls_registry as reg
from kslab.pcap.tls_registry import cipher_name, version_name

CLIENT, SERVER = 0, 1
SIDES = ("client", "server")
#: How many record sizes to remember per direction (the first ones tell the most).
KEEP_SIZES = 16
#: Bound on a handshake message we buffer (certificate chains are a few KiB).
MAX_HANDSHAKE = 1 << 18
MAX_CERTS = 8
MAX_EVENTS = 48
MAX_ALERTS = 16
#: An extension's type and length (RFC 8446 section 4.2).
_EXTENSION_HEADER = struct.Struct("!HH").unpack_from
#: A record header (RFC 8446 section 5.1): content type, version (major, minor), length.
_RECORD_HEADER = struct.Struct("!BBBH").unpack_from
#: The certificates of a connection that showed none (shared, never written to: see _certificates).
_NO_CERTIFICATES: dict[str, list[bytes]] = {"client": [], "server": []}


class _Cursor:
    """Bounds-checked reading of length-prefixed TLS structures (RFC 8446 section 3.4)."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def take(self, n: int) -> bytes:
        pos = self.pos
        if pos + n > self.end:
            raise ValueError("truncated structure")
        self.pos = pos + n
        return self.data[pos:pos + n]

    def u8(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise ValueError("truncated structure")
        self.pos = pos + 1
        return self.data[pos]

    def u16(self) -> int:
        pos, data = self.pos, self.data
        if pos + 2 > self.end:
            raise ValueError("truncated structure")
        self.pos = pos + 2
        return data[pos] << 8 | data[pos + 1]

    def vec(self, width: int) -> bytes:
        """A vector with a 1-, 2- or 3-byte length prefix."""
        pos, data = self.pos, self.data
        start = pos + width
        if start > self.end:
            raise ValueError("truncated structure")
        n = data[pos] if width == 1 else data[pos] << 8 | data[pos + 1] if width == 2 else \
            int.from_bytes(data[pos:start], "big")
        end = start + n
        if end > self.end:
            raise ValueError("truncated structure")
        self.pos = end
        return data[start:end]

    def left(self) -> int:
        return self.end - self.pos


@functools.lru_cache(maxsize=1024)
def _u16_list(data: bytes) -> tuple[int, ...]:
    """A list of 16-bit values. Cached: the hellos of one client program repeat the same lists, and
    sharing one tuple keeps thousands of open connections small."""
    return struct.unpack(f"!{len(data) // 2}H", data[:len(data) // 2 * 2])


def _truncated() -> ValueError:
    return ValueError("truncated structure")


def _vector16(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """Where a vector with a 2-byte length at ``pos`` holds its contents: ``(start, stop)``; a vector that
    runs past ``end`` is refused (RFC 8446 section 3.4's variable-length vectors)."""
    if pos + 2 > end:
        raise _truncated()
    stop = pos + 2 + (data[pos] << 8 | data[pos + 1])
    if stop > end:
        raise _truncated()
    return pos + 2, stop


def _extensions(body: bytes, pos: int, listed: list[int], reads: frozenset[int]) -> Iterator[tuple[int, int, int]]:
    """The extensions of the block (RFC 8446 section 4.2) at ``pos``: each one's type is added to ``listed``,
    and ``(type, start, stop)`` of its data in ``body`` is yielded for those in ``reads`` (the others are
    only listed: a hello may carry a dozen). None when the message ends first (extensions are optional in
    TLS 1.2 hellos)."""
    end = len(body)
    if pos >= end:
        return
    pos, stop = _vector16(body, pos, end)
    add = listed.append
    while pos < stop:
        if pos + 4 > stop:
            raise ValueError("truncated extension")
        etype, size = _EXTENSION_HEADER(body, pos)
        at = pos + 4
        pos = at + size
        if pos > stop:
            raise ValueError("truncated extension")
        add(etype)
        if etype in reads:
            yield etype, at, pos


# The ALPN and SNI readers are cached like _u16_list: every connection of one client program offers the
# same protocols, and a mesh's clients ask for the same few servers.
@functools.lru_cache(maxsize=1024)
def _alpn(data: bytes) -> tuple[str, ...]:
    """The protocol names of an ALPN extension (RFC 7301 section 3.1)."""
    pos, stop = _vector16(data, 0, len(data))
    names: list[str] = []
    while pos < stop:
        at = pos + 1
        pos = at + data[pos]
        if pos > stop:
            raise _truncated()
        names.append(data[at:pos].decode("ascii", "replace"))
    return tuple(names)


@functools.lru_cache(maxsize=1024)
def _sni(data: bytes) -> str | None:
    """The host name of a server_name extension (RFC 6066 section 3), None when it names none."""
    pos, stop = _vector16(data, 0, len(data))
    while pos < stop:
        if pos + 3 > stop:
            raise _truncated()
        name_type, at = data[pos], pos + 3
        pos = at + (data[pos + 1] << 8 | data[pos + 2])
        if pos > stop:
            raise _truncated()
        if name_type == 0:  # host_name
            return data[at:pos].decode("ascii", "replace")
    return None


#: The ClientHello extensions whose contents are read (the others are only listed by type).
_CLIENT_HELLO_READS = frozenset({reg.EXT_SERVER_NAME, reg.EXT_ALPN, reg.EXT_SUPPORTED_VERSIONS, reg.EXT_SUPPORTED_GROUPS,
                                 reg.EXT_KEY_SHARE, reg.EXT_PRE_SHARED_KEY, reg.EXT_ECH})


#: The ServerHello extensions whose contents are read.
_SERVER_HELLO_READS = frozenset({reg.EXT_SUPPORTED_VERSIONS, reg.EXT_ALPN, reg.EXT_KEY_SHARE})


@dataclass(slots=True)
class ClientHello:
    """What a ClientHello says, all of it readable on the wire."""

    legacy_version: int
    sni: str | None = None
    alpn: list[str] = field(default_factory=list)
    versions: Sequence[int] = ()
    cipher_suites: Sequence[int] = ()
    extensions: list[int] = field(default_factory=list)
    groups: Sequence[int] = ()
    key_share_groups: list[int] = field(default_factory=list)
    psk_offered: bool = False
    ech_offered: bool = False


@dataclass(slots=True)
class ServerHello:
    """What a ServerHello says: the server's choices."""

    legacy_version: int
    version: int
    cipher_suite: int
    alpn: str | None = None
    extensions: list[int] = field(default_factory=list)
    key_share_group: int | None = None
    hello_retry: bool = False


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello message body (RFC 8446 section 4.1.2).

    Raises ValueError on a malformed message. Read by offsets, one slice per extension it reads
    (a server handshaking with thousands of clients reads thousands of these).
    """
    end = len(body)
    if end < 35:  # legacy_version, random, the legacy_session_id's length
        raise _truncated()
    pos = 35 + body[34]  # past legacy_session_id
    if pos + 2 > end:
        raise _truncated()
    start = pos + 2
    pos = start + (body[pos] << 8 | body[pos + 1])
    if pos >= end:  # the cipher suites, then legacy_compression_methods' length
        raise _truncated()
    hello = ClientHello(legacy_version=body[0] << 8 | body[1], cipher_suites=_u16_list(body[start:pos]))
    pos += 1 + body[pos]
    if pos > end:
        raise _truncated()
    for etype, at, to in _extensions(body, pos, hello.extensions, _CLIENT_HELLO_READS):
        if etype == reg.EXT_SERVER_NAME:
            if to > at:
                hello.sni = _sni(body[at:to])
        elif etype == reg.EXT_ALPN:
            hello.alpn = list(_alpn(body[at:to]))
        elif etype == reg.EXT_SUPPORTED_VERSIONS:  # a vector with a 1-byte length
            if at >= to or at + 1 + body[at] > to:
                raise _truncated()
            hello.versions = _u16_list(body[at + 1:at + 1 + body[at]])
        elif etype == reg.EXT_SUPPORTED_GROUPS or etype == reg.EXT_KEY_SHARE:  # a vector with a 2-byte length
            start, stop_at = _vector16(body, at, to)
            if etype == reg.EXT_SUPPORTED_GROUPS:
                hello.groups = _u16_list(body[start:stop_at])
                continue
            shares = hello.key_share_groups  # KeyShareEntry: a group, then a key with a 2-byte length
            while start < stop_at:
                if start + 4 > stop_at:
                    raise _truncated()
                shares.append(body[start] << 8 | body[start + 1])
                start += 4 + (body[start + 2] << 8 | body[start + 3])
                if start > stop_at:
                    raise _truncated()
        elif etype == reg.EXT_PRE_SHARED_KEY:
            hello.psk_offered = True
        elif etype == reg.EXT_ECH:
            hello.ech_offered = True
    if not hello.versions:  # no supported_versions: the legacy field is the offer (TLS <= 1.2)
        hello.versions = (hello.legacy_version,)
    return hello


def parse_server_hello(body: bytes) -> ServerHello:
    """Parse a ServerHello (RFC 8446 section 4.1.3; a HelloRetryRequest has the same shape).

    TLS 1.3 drafts up to 21 sent their version in the first field and had neither a session id
    echo nor a compression method; later drafts and RFC 8446 use the TLS 1.2 layout.
    """
    end = len(body)
    if end < 34:  # legacy_version, random
        raise _truncated()
    legacy = body[0] << 8 | body[1]
    draft = reg.TLS13_DRAFT < legacy <= reg.TLS13_DRAFT + reg.LAST_OLD_SERVER_HELLO_DRAFT
    pos = 34
    if not draft:
        if pos >= end:
            raise _truncated()
        pos += 1 + body[pos]  # legacy_session_id_echo
    if pos + 2 > end:
        raise _truncated()
    hello = ServerHello(legacy_version=legacy, version=legacy, cipher_suite=body[pos] << 8 | body[pos + 1],
                        hello_retry=body[2:34] == reg.HELLO_RETRY_RANDOM)
    pos += 2
    if not draft:
        if pos >= end:
            raise _truncated()
        pos += 1  # legacy_compression_method
    for etype, at, to in _extensions(body, pos, hello.extensions, _SERVER_HELLO_READS):
        if etype == reg.EXT_SUPPORTED_VERSIONS and to - at >= 2:
            hello.version = body[at] << 8 | body[at + 1]
        elif etype == reg.EXT_ALPN:
            names = _alpn(body[at:to])
            hello.alpn = names[0] if names else None
        elif etype == reg.EXT_KEY_SHARE and to - at >= 2:
            hello.key_share_group = body[at] << 8 | body[at + 1]
    return hello


def _sslv2_ciphers(specs: bytes) -> list[int]:
    """SSL 2.0 cipher specs are 3 bytes; those starting with 0 are TLS cipher suites (RFC 5246 E.2)."""
    return [int.from_bytes(specs[i + 1:i + 3], "big") if specs[i] == 0 else
            int.from_bytes(specs[i:i + 3], "big") for i in range(0, len(specs) - 2, 3)]


def parse_sslv2_client_hello(body: bytes) -> ClientHello:
    """An SSL 2.0 CLIENT-HELLO message: type, version, three lengths, cipher specs, session id, challenge.

    It has no extensions, so no SNI and no ALPN; its version field is the highest one offered.
    """
    cur = _Cursor(body)
    cur.u8()  # msg_type 1
    hello = ClientHello(legacy_version=cur.u16())
    spec_len, sid_len, challenge_len = cur.u16(), cur.u16(), cur.u16()
    hello.cipher_suites = _sslv2_ciphers(cur.take(spec_len))
    cur.take(sid_len)
    cur.take(challenge_len)
    hello.versions = (hello.legacy_version,)
    return hello


def parse_sslv2_server_hello(body: bytes) -> tuple[ServerHello, bytes]:
    """An SSL 2.0 SERVER-HELLO: the version, the server's certificate in clear and its cipher specs."""
    cur = _Cursor(body)
    cur.u8()  # msg_type 4
    cur.u8()  # session_id_hit
    cur.u8()  # certificate_type
    version = cur.u16()
    cert_len, spec_len, _conn_len = cur.u16(), cur.u16(), cur.u16()
    cert = cur.take(cert_len)
    specs = _sslv2_ciphers(cur.take(spec_len))
    return ServerHello(legacy_version=version, version=version, cipher_suite=specs[0] if specs else 0), cert


def parse_certificate_list(body: bytes, *, tls13: bool) -> list[bytes]:
    """The DER certificates of a Certificate message, leaf first.

    TLS 1.2 (RFC 5246 section 7.4.2): a list of 3-byte-length certificates. TLS 1.3 (RFC 8446
    section 4.4.2): a request context first, and extensions after each certificate.
    """
    cur = _Cursor(body)
    if tls13:
        cur.vec(1)  # certificate_request_context
    entries = _Cursor(cur.vec(3))
    certs = []
    while entries.left():
        certs.append(entries.vec(3))
        if tls13:
            entries.vec(2)  # per-certificate extensions
    return certs


def _server_key_exchange_group(body: bytes) -> int | None:
    # RFC 8422 section 5.4: ECParameters starts with curve_type; 3 = named_curve, then the group.
    if len(body) >= 3 and body[0] == 3:
        return int.from_bytes(body[1:3], "big")
    return None


@dataclass(slots=True)
class Direction:
    """Record counts and sizes of one direction; encrypted records are known by their size only."""

    records: int = 0
    encrypted_records: int = 0
    encrypted_bytes: int = 0
    sizes: list[int] = field(default_factory=list)
    encrypted: bool = False
    change_cipher_spec: bool = False


class TlsConnection:
    """Both directions of one TLS connection (sans-IO); feed with :meth:`data`.

    Facts collected: ``client_hello``, ``server_hello``, ``certificates`` (DER, per side),
    ``certificate_request``, ``key_exchange_group``, ``alerts``, ``events`` (handshake
    messages and records seen, in order), ``dirs`` (per-direction sizes), ``notes``.
    """

    __slots__ = ("client_hello", "second_client_hello", "server_hello", "hello_retry", "certificates",
                 "certificate_request", "key_exchange_group", "alerts", "events", "dirs", "notes", "record_version",
                 "_buf", "_hs", "_skip", "_lost")

    def __init__(self) -> None:
        self.client_hello: ClientHello | None = None
        self.second_client_hello: ClientHello | None = None
        self.server_hello: ServerHello | None = None
        self.hello_retry = False
        self.certificates: dict[str, list[bytes]] = _NO_CERTIFICATES  # copied when one is seen
        self.certificate_request = False
        self.key_exchange_group: int | None = None
        self.alerts: list[tuple[str, str, bool]] = []  # (sender, name or "encrypted", clear?)
        self.events: list[tuple[str, str]] = []       # (sender, what)
        self.dirs = (Direction(), Direction())
        self.notes: list[str] = []
        self.record_version: int | None = None
        # Bytes of an unfinished record and of an unfinished handshake message, per side; b"" when there
        # are none (most of the time: a hundred thousand open connections keep no empty buffers).
        self._buf: list[bytearray | bytes] = [b"", b""]
        self._hs: list[bytearray | bytes] = [b"", b""]
        self._skip = [0, 0]
        self._lost = [False, False]

    # ---- facts -------------------------------------------------------------------------------
    @property
    def tls13(self) -> bool:
        return bool(self.server_hello and not self.server_hello.hello_retry
                    and reg.is_tls13(self.server_hello.version))

    def _note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 8:
            self.notes.append(text)

    def _event(self, side: int, what: str) -> None:
        if len(self.events) < MAX_EVENTS:
            self.events.append((SIDES[side], what))

    # ---- the byte stream --------------------------------------------------------------------------
    def data(self, side: int, chunk: bytes) -> None:
        """In-order bytes from one side (0 = client, 1 = server)."""
        skip = self.follow(side, chunk)
        if skip:
            self._skip[side] = skip  # passed over here, as the next bytes come

    def follow(self, side: int, chunk: bytes) -> int | None:
        """:meth:`data` for a caller that passes over the rest of an encrypted record itself: returns how
        many of this side's next bytes it need not deliver (None for none)."""
        if self._lost[side]:
            return None
        skip = self._skip[side]
        if skip:
            if len(chunk) <= skip:
                self._skip[side] = skip - len(chunk)
                return None
            chunk = chunk[skip:]
            self._skip[side] = 0
        if self._buf[side]:
            self._whole(self._buf, side, chunk, self._records)
        else:
            # Nothing held (the usual case): the records are read in the chunk itself, only an unfinished one kept.
            used = self._records(side, chunk)
            if used < len(chunk) and not self._lost[side]:
                self._buf[side] = bytearray(chunk[used:])
        skip = self._skip[side]
        if not skip:
            return None
        self._skip[side] = 0
        return skip

    def _whole(self, bufs: list[bytearray | bytes], side: int, chunk: bytes,
               parse: Callable[[int, bytes | bytearray], int]) -> None:
        """Let ``parse`` take the whole records (or handshake messages) of ``chunk``, after what ``bufs``
        holds of this side, and keep the unfinished rest. They are read where they lie, in the chunk
        itself, so one that comes whole is never copied; a side's buffer exists only while something is
        unfinished (``b""`` otherwise: a hundred thousand open connections keep no empty buffers)."""
        held = bufs[side]
        data: bytes | bytearray = chunk
        if isinstance(held, bytearray) and held:
            held += chunk
            data = held
        used = parse(side, data)
        if used >= len(data) or self._lost[side]:
            bufs[side] = b""
        elif data is held and isinstance(held, bytearray):  # the held bytes: drop what was used
            del held[:used]
        else:
            bufs[side] = bytearray(data[used:])

    def take_skip(self, side: int) -> int:
        """Hand over the rest of the encrypted record this side is in: the caller promises not to deliver
        these bytes (TCP reassembly passes over them by sequence number, without copying them)."""
        skip = self._skip[side]
        self._skip[side] = 0
        return skip

    def _records(self, side: int, data: bytes | bytearray) -> int:
        """Handle the whole records ``data`` holds; returns how many of its bytes were used (the rest is
        the start of an unfinished record). An encrypted record is counted from its header alone: the
        part of its body past ``data`` is left to :attr:`_skip`."""
        direction = self.dirs[side]
        pos, end = 0, len(data)
        while end - pos >= 5:
            if direction.encrypted:
                # Application data in an encrypted direction, nearly all of a long connection: counted by the
                # headers alone, in one loop; any other record is read below.
                sizes = direction.sizes
                count = size = 0
                while end - pos >= 5:
                    first, major, minor, length = _RECORD_HEADER(data, pos)
                    if first != reg.APPLICATION_DATA or major != 3 or length > reg.MAX_RECORD:
                        break
                    if self.record_version is None:
                        self.record_version = (major << 8) | minor
                    count += 1
                    size += length
                    if len(sizes) < KEEP_SIZES:
                        sizes.append(length)
                    pos += 5 + length
                direction.records += count
                direction.encrypted_records += count
                direction.encrypted_bytes += size
                if pos >= end:
                    self._skip[side] = pos - end  # the rest of the last record: its body is not read
                    return end
                if end - pos < 5:
                    break
            first, major, minor, length = _RECORD_HEADER(data, pos)
            if first & 0x80 and direction.records == 0:
                # An SSL 2.0 record header (2 bytes, top bit set): an SSLv2-format hello.
                whole = pos + 2 + (((first & 0x7F) << 8) | major)
                if end < whole:
                    return pos
                body = bytes(data[pos + 2:whole])
                pos = whole
                direction.records += 1
                self._sslv2(side, body)
                if self._lost[side]:
                    return end
                continue
            if first not in reg.CONTENT_TYPES or major != 3 or length > reg.MAX_RECORD:
                self._lose(side, "bytes that are not a TLS record header")
                return end
            whole = pos + 5 + length
            if not direction.encrypted and end < whole:
                return pos  # a record in clear: wait for all of it (at most MAX_RECORD bytes)
            if self.record_version is None:
                self.record_version = (major << 8) | minor
            direction.records += 1
            if len(direction.sizes) < KEEP_SIZES:
                direction.sizes.append(length)
            if direction.encrypted:
                if first == reg.CHANGE_CIPHER_SPEC:
                    # TLS 1.3 still sends a clear one for middleboxes (RFC 8446 appendix D.4).
                    self._event(side, "change_cipher_spec (compatibility)")
                    direction.change_cipher_spec = True
                else:  # an alert or handshake record (application data was counted above)
                    direction.encrypted_records += 1
                    direction.encrypted_bytes += length
                    if first == reg.ALERT and len(self.alerts) < MAX_ALERTS:
                        self.alerts.append((SIDES[side], "encrypted alert", False))
                    elif first == reg.HANDSHAKE:
                        self._event(side, "encrypted handshake record")
                if whole > end:
                    self._skip[side] = whole - end
                    return end
                pos = whole
                continue
            body = bytes(data[pos + 5:whole])
            pos = whole
            self._record(side, first, body)
            if self._lost[side]:
                return end
        return pos

    def gap(self, side: int, nbytes: int) -> None:
        """Bytes of one side are missing from the capture: record boundaries are lost from here."""
        self._lose(side, f"{nbytes} bytes missing from the capture")

    def _lose(self, side: int, why: str) -> None:
        self._lost[side] = True
        buf = self._buf[side]
        if isinstance(buf, bytearray):
            buf.clear()
        self._note(f"{SIDES[side]} records not followed after {why}")

    # ---- records in clear -------------------------------------------------------------------
    def _record(self, side: int, ctype: int, body: bytes) -> None:
        if ctype == reg.HANDSHAKE:
            self._whole(self._hs, side, body, self._messages)
        elif ctype == reg.CHANGE_CIPHER_SPEC:
            self.dirs[side].change_cipher_spec = True
            if self.server_hello is None or self.tls13:
                # Not a switch to encryption: TLS 1.3 sends one for middleboxes, and may do so right
                # after a HelloRetryRequest or before the second ClientHello (RFC 8446 section D.4).
                self._event(side, "change_cipher_spec (compatibility)")
            else:  # TLS 1.2 and older: everything this side sends from now on is encrypted
                self._event(side, "change_cipher_spec")
                self.dirs[side].encrypted = True
        elif ctype == reg.ALERT and len(body) >= 2 and len(self.alerts) < MAX_ALERTS:
            self.alerts.append((SIDES[side], reg.alert_name(body[0], body[1]), True))
            self._event(side, f"alert: {reg.alert_name(body[0], body[1])}")
        elif ctype == reg.APPLICATION_DATA:
            # Application data before any ChangeCipherSpec: only possible if we missed the start.
            self.dirs[side].encrypted = True
            self.dirs[side].encrypted_records += 1
            self.dirs[side].encrypted_bytes += len(body)
            self._note("application data seen before the handshake finished (capture started late?)")

    def _messages(self, side: int, data: bytes | bytearray) -> int:
        """Handle each whole handshake message ``data`` holds; returns how many of its bytes were used
        (the rest is the start of an unfinished message; all of them once this side is encrypted, as
        what follows is ciphertext)."""
        pos, end = 0, len(data)
        while end - pos >= 4:
            whole = pos + 4 + (data[pos + 1] << 16 | data[pos + 2] << 8 | data[pos + 3])
            if whole - pos - 4 > MAX_HANDSHAKE:
                self._lose(side, "an implausibly long handshake message")
                return end
            if end < whole:
                break
            mtype, msg = data[pos], bytes(data[pos + 4:whole])
            pos = whole
            self._handshake(side, mtype, msg)
            if self.dirs[side].encrypted:
                return end
        return pos

    def _certificates(self, side: str, certs: list[bytes]) -> None:
        if self.certificates is _NO_CERTIFICATES:
            self.certificates = {"client": [], "server": []}
        self.certificates[side] = certs

    def _sslv2(self, side: int, body: bytes) -> None:
        """An SSL 2.0 record: a CLIENT-HELLO (often the backwards-compatible hello of RFC 5246
        appendix E.2, offering TLS) or a SERVER-HELLO (the server chose SSL 2.0 itself)."""
        try:
            if side == CLIENT and body[:1] == b"\x01" and self.client_hello is None:
                self._event(side, "client_hello (SSLv2 format)")
                self.client_hello = parse_sslv2_client_hello(body)
                self._note("the ClientHello is in the SSL 2.0 format (backwards-compatible hello)")
            elif side == SERVER and body[:1] == b"\x04" and self.server_hello is None:
                self._event(side, "server_hello (SSL 2.0)")
                hello, cert = parse_sslv2_server_hello(body)
                self.server_hello = hello
                if cert:
                    self._certificates("server", [cert])
                self._note("the server chose SSL 2.0; its later records are not followed")
                for s in (CLIENT, SERVER):
                    self._lost[s] = True
                    buf = self._buf[s]
                    if isinstance(buf, bytearray):
                        buf.clear()
            else:
                self._lose(side, "an SSL 2.0 record that is not a hello")
        except (ValueError, IndexError):
            self._note(f"malformed SSL 2.0 hello from the {SIDES[side]}")
            self._lose(side, "a malformed SSL 2.0 hello")

    def _handshake(self, side: int, mtype: int, msg: bytes) -> None:
        self._event(side, reg.handshake_name(mtype))
        try:
            if mtype == reg.CLIENT_HELLO and side == CLIENT:
                hello = parse_client_hello(msg)
                if self.client_hello is None:
                    self.client_hello = hello
                else:
                    self.second_client_hello = hello
            elif mtype == reg.SERVER_HELLO and side == SERVER:
                server_hello = parse_server_hello(msg)
                if server_hello.hello_retry:
                    self.hello_retry = True
                    return
                self.server_hello = server_hello
                if self.tls13:
                    # RFC 8446 section 2: everything after the ServerHello is encrypted, both ways.
                    self.dirs[SERVER].encrypted = True
                    self.dirs[CLIENT].encrypted = True
            elif mtype == reg.CERTIFICATE:
                certs = parse_certificate_list(msg, tls13=self.tls13)
                self._certificates(SIDES[side], certs[:MAX_CERTS])
            elif mtype == reg.CERTIFICATE_REQUEST and side == SERVER:
                self.certificate_request = True
            elif mtype == 12 and side == SERVER:
                self.key_exchange_group = _server_key_exchange_group(msg)
        except (ValueError, IndexError):
            self._note(f"malformed {reg.handshake_name(mtype)} from the {SIDES[side]}")

    # ---- convenient views --------------------------------------------------------------------
    @property
    def version(self) -> str | None:
        """The negotiated version's name (from the ServerHello), or None if none was seen."""
        return version_name(self.server_hello.version) if self.server_hello else None

    @property
    def cipher(self) -> str | None:
        return cipher_name(self.server_hello.cipher_suite) if self.server_hello else None


def build_client_hello(*, sni: str | None = None, alpn: list[str] | None = None,
                       versions: tuple[int, ...] = (0x0304, 0x0303),
                       ciphers: tuple[int, ...] = (0x1302, 0x1301, 0xC030, 0xC02F)) -> bytes:
    """A minimal, well-formed ClientHello *record* (for tests and examples; no real key share).

    >>> rec = build_client_hello(sni="a.b")
    >>> rec[:3].hex(), len(rec) - 5 == int.from_bytes(rec[3:5], "big")
    ('160301', True)
    """
    def vec(width: int, data: bytes) -> bytes:
        return len(data).to_bytes(width, "big") + data

    exts = b""
    if sni is not None:
        name = sni.encode()
        exts += struct.pack("!H", 0) + vec(2, vec(2, b"\x00" + vec(2, name)))
    if alpn:
        exts += struct.pack("!H", 16) + vec(2, vec(2, b"".join(vec(1, p.encode()) for p in alpn)))
    exts += struct.pack("!H", 43) + vec(2, vec(1, b"".join(struct.pack("!H", v) for v in versions)))
    body = (b"\x03\x03" + bytes(32) + vec(1, b"") + vec(2, b"".join(struct.pack("!H", c) for c in ciphers))
            + vec(1, b"\x00") + vec(2, exts))
    msg = b"\x01" + vec(3, body)
    return b"\x16\x03\x01" + vec(2, msg)
