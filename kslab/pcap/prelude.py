"""Where TLS or HTTP starts when it does not start the stream, and what was said in clear before.

Many protocols begin in plain text and switch to TLS on request: SMTP, IMAP, POP3, XMPP and LDAP
have a STARTTLS command, PostgreSQL an SSLRequest message, MySQL a flag in its login packet; a
SOCKS or HTTP ``CONNECT`` proxy opens a tunnel and relays whatever comes next. An eavesdropper
reads everything before the switch (the greeting banner, the server's capabilities, the proxy's
target host), and can see whether encryption was offered at all — the classic downgrade is an
attacker deleting the STARTTLS offer from that clear text.

The same search also finds the first record or request line when a capture starts in the middle of
a connection (a keep-alive byte, half a message): those bytes are skipped with a note.

The search is bounded: at most :data:`SCAN_LIMIT` bytes of each side are looked at.

>>> find_start(b"220 mx ESMTP\\r\\nSTARTTLS\\r\\n\\x16\\x03\\x01\\x00\\xc8\\x01\\x00", 0, "TLS")
24
>>> prelude_name(b"EHLO me\\r\\nSTARTTLS\\r\\n", b"220 mx ESMTP ready\\r\\n", syn_seen=True)
'SMTP STARTTLS'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CLIENT, SERVER = 0, 1
#: Bytes of each side searched for the start of TLS or HTTP before a flow is called "other".
SCAN_LIMIT = 1 << 14
#: Bytes of each side's clear-text prelude kept for the report.
KEEP = 1024

#: Where a TLS handshake starts, per side: a handshake record (type 22, version 3.x, a length
#: below 2^14 + 2048) holding a ClientHello (1) or a ServerHello (2); for the client also an
#: SSLv2-format ClientHello (top bit set, message type 1, version 3.x).
_TLS = (re.compile(rb"\x16\x03[\x00-\x04][\x00-\x48].\x01|[\x80-\xbf].\x01\x03[\x00-\x04]", re.S),
        re.compile(rb"\x16\x03[\x00-\x04][\x00-\x48].\x02", re.S))
#: Where HTTP/1.x starts, per side: a request line, or a status line.
_HTTP = (re.compile(rb"(?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) [!-~]+ HTTP/1\.\d\r?\n"),
         re.compile(rb"HTTP/1\.\d \d\d\d[ \r\n]"))
_PATTERNS = {"TLS": _TLS, "HTTP": _HTTP}


def find_start(data: bytes | bytearray, side: int, protocol: str, start: int = 0) -> int | None:
    """The offset in ``data`` (one side's bytes) where ``protocol`` ("TLS" or "HTTP") begins, or None."""
    m = _PATTERNS[protocol][side].search(data, start, SCAN_LIMIT + 64)
    return m.start() if m else None


def find_switch(client: bytes | bytearray, server: bytes | bytearray) -> tuple[str, int, int] | None:
    """The protocol a stream switches to and where: ``(protocol, side, offset)``; the earliest wins,
    the client's bytes first (a client starts TLS and HTTP)."""
    for side, data in ((CLIENT, client), (SERVER, server)):
        found = [(at, proto) for proto in ("TLS", "HTTP") if (at := find_start(data, side, proto)) is not None]
        if found:
            at, proto = min(found)
            return proto, side, at
    return None


#: Naming the clear-text prelude: (name, side whose first bytes tell, pattern). The first match wins.
PRELUDES: tuple[tuple[str, int, re.Pattern[bytes]], ...] = (
    ("PostgreSQL SSLRequest", CLIENT, re.compile(rb"\A\x00\x00\x00\x08\x04\xd2\x16\x2f")),
    ("LDAP StartTLS", CLIENT, re.compile(rb"\A\x30.{1,16}1\.3\.6\.1\.4\.1\.1466\.20037", re.S)),
    ("SOCKS 5", CLIENT, re.compile(rb"\A\x05[\x01-\x09]")),
    ("SOCKS 4", CLIENT, re.compile(rb"\A\x04[\x01\x02]")),
    ("MySQL SSL", SERVER, re.compile(rb"\A...\x00\x0a[0-9]", re.S)),
    ("XMPP STARTTLS", CLIENT, re.compile(rb"\A\s*(?:<\?xml|<stream:stream)")),
    ("FTP AUTH TLS", CLIENT, re.compile(rb"(?im)^AUTH TLS")),
    ("POP3 STLS", SERVER, re.compile(rb"\A\+OK")),
    ("IMAP STARTTLS", SERVER, re.compile(rb"\A\* OK")),
    ("SMTP STARTTLS", CLIENT, re.compile(rb"(?i)\A(?:EHLO|HELO)\b")),
    ("SMTP STARTTLS", SERVER, re.compile(rb"\A220[ -]")),
    ("STARTTLS", CLIENT, re.compile(rb"(?i)\bSTARTTLS\b")),
)


def prelude_name(client: bytes, server: bytes, *, syn_seen: bool) -> str:
    """What the bytes before the switch are, by :data:`PRELUDES`.

    >>> prelude_name(bytes.fromhex("0000000804d2162f"), b"S", syn_seen=True)
    'PostgreSQL SSLRequest'
    >>> prelude_name(b"\\x00", b"", syn_seen=False)
    'bytes before the first message (the capture started mid-stream)'
    """
    for name, side, pattern in PRELUDES:
        if pattern.search(client if side == CLIENT else server):
            return name
    if not syn_seen:
        return "bytes before the first message (the capture started mid-stream)"
    return "clear-text bytes"


@dataclass(frozen=True)
class Prelude:
    """What each side sent in clear before TLS or HTTP started (the first :data:`KEEP` bytes of it)."""

    name: str
    then: str
    client: bytes
    server: bytes
    client_bytes: int
    server_bytes: int

    def to_dict(self) -> dict[str, object]:
        return {"protocol": self.name, "then": self.then, "client": _printable(self.client),
                "server": _printable(self.server), "client_bytes": self.client_bytes,
                "server_bytes": self.server_bytes}

    def lines(self, per_side: int = 12) -> list[str]:
        """Each side's clear text, a line per line, as an eavesdropper reads it."""
        out = []
        for side, data, total in (("client", self.client, self.client_bytes),
                                  ("server", self.server, self.server_bytes)):
            out += [f"{side}: {_printable(line[:100])}" for line in data.splitlines()[:per_side]]
            if total > len(data):
                out.append(f"{side}: … ({total} bytes in all)")
        return out


def _printable(data: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)
