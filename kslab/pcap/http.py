"""HTTP/1.x as an eavesdropper reads it: every request and response, in plain text.

Sans-IO, in the style of h11: an :class:`HttpStream` is fed one direction's bytes in order and
turns them into :class:`HttpMessage` objects. Message framing follows RFC 9112 section 6: a body
is delimited by ``Transfer-Encoding: chunked``, else ``Content-Length``, else (responses only)
the end of the connection; responses to HEAD and 1xx/204/304 responses have no body.

Memory stays bounded however long the connection: headers up to 64 KiB, the first
:data:`BODY_EXCERPT` bytes of each body, the first :data:`KEEP_MESSAGES` messages (later ones
are only counted).

>>> req = HttpStream("request")
>>> req.data(b"GET /details/0 HTTP/1.1\\r\\nHost: details:9080\\r\\n\\r\\n")
>>> m = req.messages[0]
>>> m.method, m.target, m.header("host")
('GET', '/details/0', 'details:9080')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

#: Request methods known to start a request line: IANA's HTTP Method Registry (RFC 9110 section 9,
#: PATCH from RFC 5789, WebDAV's from RFC 4918 and its extensions, PRI from RFC 9113), then methods in
#: wide use outside it: UPnP/SSDP (M-SEARCH, NOTIFY, SUBSCRIBE, UNSUBSCRIBE), cache PURGE, Cisco CCM_POST.
METHODS = frozenset(m.encode() for m in (
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY", "PRI",
    "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "COPY", "LABEL", "LINK", "LOCK", "MERGE",
    "MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF", "MKWORKSPACE", "MOVE", "ORDERPATCH", "PROPFIND",
    "PROPPATCH", "REBIND", "REPORT", "SEARCH", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UPDATE",
    "UPDATEREDIRECTREF", "VERSION-CONTROL",
    "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "CCM_POST"))
_METHOD = re.compile(rb"[A-Za-z][A-Za-z0-9_-]*")
MAX_HEAD = 1 << 16
BODY_EXCERPT = 1024
KEEP_MESSAGES = 64
#: Any other method is a token (RFC 9110 section 9.1: ``CCM_POST``, WebDAV's ``PROPFIND``): accepted
#: when the whole request line is there and names HTTP, so other text protocols are not taken for HTTP.
#: Methods in use are words (letters, digits, ``_``, ``-``), so bytes like ``.GET`` are not one.
_TOKEN_REQUEST = re.compile(rb"[A-Za-z][A-Za-z0-9_-]* [^ \r\n]+ HTTP/")
#: The end of a header block. RFC 9112 section 2.2: a recipient may take a bare LF as a line end.
_HEAD_END = re.compile(rb"\r?\n\r?\n")


def looks_like_request(data: bytes) -> bool:
    """True if the bytes begin like an HTTP/1.x request line.

    >>> looks_like_request(b"POST /x HTTP/1.1\\r\\n"), looks_like_request(b"\\x16\\x03\\x01")
    (True, False)
    >>> looks_like_request(b"CCM_POST / HTTP/1.\\n"), looks_like_request(b"EHLO mail.example\\r\\n")
    (True, False)
    """
    m = _METHOD.match(data)
    if m is not None and m.group() in METHODS:
        # A known method followed by a space, or alone on its line (``OPTIONS`` then LF: servers answer it).
        return data[m.end():m.end() + 1] in (b" ", b"\r", b"\n")
    return _TOKEN_REQUEST.match(data) is not None


@dataclass
class HttpMessage:
    """One request or response. ``body`` is an excerpt; ``body_length`` is the whole body's size."""

    start_line: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    body_length: int = 0
    complete: bool = False

    @property
    def is_request(self) -> bool:
        return not self.start_line.startswith("HTTP/")

    @property
    def method(self) -> str | None:
        return self.start_line.split(" ", 1)[0] if self.is_request else None

    @property
    def target(self) -> str | None:
        """The request target (``""`` when the request line has none, as in a bare ``OPTIONS``)."""
        if not self.is_request:
            return None
        parts = self.start_line.split(" ")
        return parts[1] if len(parts) > 1 else ""

    @property
    def status(self) -> int | None:
        parts = self.start_line.split(" ")
        if self.is_request or len(parts) < 2 or not parts[1].isdigit():
            return None
        return int(parts[1])

    def header(self, name: str) -> str | None:
        """The first header with this name (case-insensitive), or None."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def body_text(self) -> str:
        """The body excerpt as text if it is text, else a note on its size."""
        if not self.body:
            return ""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{self.body_length} bytes of binary data>"
        more = self.body_length - len(self.body)
        return text + (f"… (+{more} bytes)" if more > 0 else "")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"start_line": self.start_line, "headers": [list(h) for h in self.headers],
                                  "body": self.body_text(), "body_length": self.body_length,
                                  "complete": self.complete}
        if self.is_request:
            out.update(method=self.method, target=self.target, host=self.header("host"))
        else:
            out.update(status=self.status)
        return out


class HttpStream:
    """One direction of an HTTP/1.x connection: ``kind`` is ``"request"`` or ``"response"``.

    A response stream can be given the request stream of the same connection (``requests``),
    so that the answer to a HEAD request is known to have no body.
    """

    def __init__(self, kind: str, requests: HttpStream | None = None) -> None:
        self.kind = kind
        self.requests = requests
        self.messages: list[HttpMessage] = []
        self.count = 0
        self.problem = ""
        #: Where the bytes go once a CONNECT opened a tunnel (RFC 9110 section 9.3.6); set by the caller.
        self.on_tunnel: Callable[[bytes], None] | None = None
        self._buf = bytearray()
        # head | length | chunk-size | chunk-data | chunk-crlf | trailer | close | connect-wait | tunnel | dead
        self._state = "head"
        self._left = 0
        self._current: HttpMessage | None = None

    @property
    def tunnel(self) -> bool:
        """A CONNECT request was answered with 2xx: what follows is not HTTP any more."""
        return self._state == "tunnel"

    def data(self, chunk: bytes) -> None:
        """In-order bytes of this direction."""
        if self._state == "dead":
            return
        if self._state == "tunnel":
            if self.on_tunnel is not None:
                self.on_tunnel(chunk)
            return
        if self._state == "connect-wait":  # after CONNECT: hold until the answer says tunnel or not
            if len(self._buf) + len(chunk) > MAX_HEAD:
                self._die("more than 64 KiB sent before the CONNECT was answered")
                return
            self._buf += chunk
            return
        if self._state in ("length", "chunk-data", "close") and not self._buf:
            chunk = self._body(chunk)  # fast path: body bytes need no buffering
            if not chunk:
                return
        self._buf += chunk
        while self._buf and self._state != "dead":
            if not self._step():
                break

    def gap(self, nbytes: int) -> None:
        """Missing bytes: if they fall inside a body of known length, skip them; else give up."""
        if self._state == "length" and nbytes <= self._left and self._current:
            self._left -= nbytes
            self._current.body_length += nbytes
            if self._left == 0:
                self._finish()
            return
        if self._state == "head" and b"\n" in self._buf:
            # Keep what is readable of a header block cut short (a small snap length does this).
            head = bytes(self._buf[:self._buf.rfind(b"\n")]).decode("latin-1")
            self._buf.clear()
            self._start(head)
            if self._current is not None:
                self._current.complete = False
        self._state = "dead"
        self.problem = f"{nbytes} bytes missing from the capture; later messages not followed"

    def end(self) -> None:
        """The connection closed: a body read until close is complete now."""
        if self._state == "close" and self._current is not None:
            self._finish()

    # ---- internals ------------------------------------------------------------------------------
    def _step(self) -> bool:
        """Consume from the buffer; False when more data is needed."""
        if self._state == "head":
            skip = 0
            while skip < len(self._buf) and self._buf[skip] in (13, 10):
                skip += 1  # empty lines before a message are ignored (RFC 9112 section 2.2)
            if skip:
                del self._buf[:skip]
                if not self._buf:
                    return False
            m = _HEAD_END.search(self._buf)
            if m is None:
                if len(self._buf) > MAX_HEAD:
                    self._die("a header block longer than 64 KiB (not HTTP?)")
                return False
            head = bytes(self._buf[:m.start()]).decode("latin-1")
            del self._buf[:m.end()]
            self._start(head)
            return True
        if self._state == "connect-wait":
            return False
        if self._state == "tunnel":
            rest = bytes(self._buf)
            self._buf.clear()
            if self.on_tunnel is not None:
                self.on_tunnel(rest)
            return False
        if self._state == "chunk-crlf":  # the CRLF (or a bare LF) that ends each chunk's data
            if self._buf[:1] == b"\n":
                del self._buf[:1]
            elif len(self._buf) < 2:
                return False
            elif self._buf[:2] == b"\r\n":
                del self._buf[:2]
            else:
                self._die("a chunk not followed by CRLF")
                return False
            self._state = "chunk-size"
            return True
        if self._state in ("chunk-size", "trailer"):
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > 4096:
                    self._die("a chunk-size line longer than 4 KiB")
                return False
            line = bytes(self._buf[:end]).rstrip(b"\r")
            del self._buf[:end + 1]
            if self._state == "trailer":
                if not line:
                    self._finish()
            else:
                try:
                    self._left = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self._die("a malformed chunk size")
                    return False
                self._state = "chunk-data" if self._left else "trailer"
            return True
        rest = self._body(bytes(self._buf))
        self._buf.clear()
        if rest:
            self._buf += rest
        return bool(rest)

    def _body(self, chunk: bytes) -> bytes:
        """Take body bytes from ``chunk``; returns what is left after the body (or chunk) ends."""
        msg = self._current
        assert msg is not None
        if self._state == "close":
            take = len(chunk)
        else:
            take = min(self._left, len(chunk))
            self._left -= take
        room = BODY_EXCERPT - len(msg.body)
        if room > 0:
            msg.body += chunk[:min(room, take)]
        msg.body_length += take
        if self._state == "length" and self._left == 0:
            self._finish()
        elif self._state == "chunk-data" and self._left == 0:
            self._state = "chunk-crlf"
        return chunk[take:]

    def _start(self, head: str) -> None:
        lines = [line[:-1] if line.endswith("\r") else line for line in head.split("\n")]
        start = lines[0]
        if self.kind == "request" and not looks_like_request(start.encode("latin-1") + b"\n"):
            self._die(f"not an HTTP request line: {start[:40]!r}")
            return
        if self.kind == "response" and not start.startswith("HTTP/"):
            self._die(f"not an HTTP status line: {start[:40]!r}")
            return
        msg = HttpMessage(start_line=start)
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and msg.headers:  # obs-fold: a continuation line (RFC 9112 5.2)
                name, value = msg.headers[-1]
                msg.headers[-1] = (name, f"{value} {line.strip()}".strip())
                continue
            name, sep, value = line.partition(":")
            if sep:
                msg.headers.append((name.strip(), value.strip()))
        self._current = msg
        if len(self.messages) < KEEP_MESSAGES:
            self.messages.append(msg)
        status = msg.status
        if status is not None and 100 <= status < 200:
            self._finish(final=False)
            return
        if self.kind == "request" and msg.method == "CONNECT":
            self._finish()
            self._state = "connect-wait"
            return
        answered = self._answered_method()
        if answered == "CONNECT" and self.requests is not None:
            # RFC 9110 section 9.3.6: a 2xx answer to CONNECT turns the connection into a tunnel at
            # once (no body); any other answer leaves it HTTP, and the client may try again.
            if status is not None and 200 <= status < 300:
                self._finish()
                self._state = "tunnel"
                self.requests._connect_answered(True)
                return
            self.requests._connect_answered(False)
        # Which framing? (RFC 9112 section 6.3)
        if self.kind == "response" and (status in (204, 304) or answered == "HEAD"):
            self._finish()
        elif "chunked" in (msg.header("transfer-encoding") or "").lower():
            self._state = "chunk-size"
        elif msg.header("content-length") is not None:
            try:
                self._left = int(msg.header("content-length") or "0")
            except ValueError:
                self._die("a malformed Content-Length")
                return
            self._state = "length"
            if self._left == 0:
                self._finish()
        elif self.kind == "response":
            self._state = "close"
        else:
            self._finish()  # a request without a body

    def _answered_method(self) -> str | None:
        """The method of the request this response answers (responses pair with requests in order)."""
        if self.requests is None:
            return None
        index = self.count
        msgs = self.requests.messages
        return msgs[index].method if index < len(msgs) else None

    def _connect_answered(self, opened: bool) -> None:
        """The server answered our CONNECT: open the tunnel, or go on reading HTTP."""
        if self._state != "connect-wait":
            return
        held = bytes(self._buf)
        self._buf.clear()
        self._state = "tunnel" if opened else "head"
        if held:
            self.data(held)  # as HTTP again, or into the tunnel

    def _finish(self, *, final: bool = True) -> None:
        if self._current is not None:
            self._current.complete = True
        if final:
            self.count += 1
        self._current = None
        self._state = "head"

    def _die(self, why: str) -> None:
        self._state = "dead"
        self.problem = f"stopped reading: {why}"
        self._buf.clear()
