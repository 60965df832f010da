"""Moving bytes between two sockets, the way a proxy does: the plumbing of sidecars and tap.

:func:`relay` copies both ways in **one** thread (``select``), so a TLS socket is never used by two
threads at once (OpenSSL objects are not thread-safe). When one side finishes it passes the end
on: a TLS side first sends a ``close_notify`` alert (RFC 8446 section 6.1), then every side gets
a FIN (half-close), and the other direction keeps flowing until it ends too. A reset is passed on
as a reset. Hooks let the tap see every chunk and every ending.

:class:`Server` is a small threaded TCP server on 127.0.0.1: one thread per connection, a bounded
number of connections at a time, socket timeouts everywhere.
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from typing import Any

HOST = "127.0.0.1"
TIMEOUT = 10.0
MAX_CONNECTIONS = 128

EventLog = Callable[[str], None]
#: on_data(index of the sending socket, bytes); on_end(index, "fin" | "reset").
OnData = Callable[[int, bytes], None]
OnEnd = Callable[[int, str], None]


def listen(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1: ``port`` if free, else any free port."""
    for candidate in ((port, 0) if port else (0,)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, candidate))
        except OSError:
            sock.close()
            continue
        sock.listen(64)
        return sock
    raise OSError("no free port on 127.0.0.1")  # pragma: no cover


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN (SO_LINGER with a zero timeout), as Envoy does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def close_write(sock: socket.socket) -> None:
    """End our sending side: close_notify first if it is TLS, then a FIN."""
    if isinstance(sock, ssl.SSLSocket):
        timeout = sock.gettimeout()
        sock.settimeout(0)  # send close_notify without waiting for the peer's
        try:
            sock.unwrap()
        except (ssl.SSLError, OSError, ValueError):
            pass
        finally:
            sock.settimeout(timeout)
    try:
        # socket.socket.shutdown directly: SSLSocket.shutdown would drop the TLS state of the read side.
        socket.socket.shutdown(sock, socket.SHUT_WR)
    except OSError:
        pass


def _recv(sock: socket.socket) -> bytes:
    # Non-blocking: a readable TLS socket may hold only a record without application data (a TLS 1.3
    # session ticket); a blocking recv would then wait for data while the other direction starves.
    sock.settimeout(0)
    try:
        data = sock.recv(65536)
    finally:
        sock.settimeout(TIMEOUT)
    if data and isinstance(sock, ssl.SSLSocket):
        while sock.pending():  # decrypted bytes select() cannot see
            data += sock.recv(sock.pending())
    return data


def no_delay(sock: socket.socket) -> socket.socket:
    """Send small writes at once (no Nagle): a proxy must not add latency, as Envoy does not."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:
        pass
    return sock


def relay(a: socket.socket, b: socket.socket, *, on_data: OnData | None = None, on_end: OnEnd | None = None,
          timeout: float = TIMEOUT) -> None:
    """Relay a ⇄ b until both directions have ended (or nothing moves for ``timeout``); closes both."""
    socks = (no_delay(a), no_delay(b))
    reading = [a, b]
    try:
        while reading:
            ready, _, _ = select.select(reading, [], [], timeout)
            if not ready:
                break
            for src in ready:
                i = socks.index(src)
                dst = socks[1 - i]
                try:
                    data = _recv(src)
                except (ssl.SSLWantReadError, BlockingIOError):
                    continue  # half a TLS record, or a record with no data for us: wait for more
                except ConnectionResetError:
                    if on_end:
                        on_end(i, "reset")
                    reset(dst)
                    return
                except (OSError, ssl.SSLError):
                    data = b""
                if data:
                    if on_data:
                        on_data(i, data)
                    dst.sendall(data)
                    continue
                reading.remove(src)
                if on_end:
                    on_end(i, "fin")
                close_write(dst)
    except (OSError, ssl.SSLError):
        pass
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


class Server:
    """A threaded TCP server on 127.0.0.1: one thread per connection, a bounded number at a time."""

    name = "server"

    def __init__(self, port: int = 0, log: EventLog | None = None) -> None:
        self.sock = listen(port)
        self.port = int(self.sock.getsockname()[1])
        self.log = log or (lambda _msg: None)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=self.name, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            if not self._slots.acquire(timeout=TIMEOUT):
                reset(conn)
                continue
            threading.Thread(target=self._serve, args=(conn, peer), daemon=True).start()

    def _serve(self, conn: socket.socket, peer: Any) -> None:
        try:
            conn.settimeout(TIMEOUT)
            self.handle(conn, peer)
        except (OSError, ssl.SSLError) as exc:
            self.log(f"{self.name}: connection from port {peer[1]} failed: {exc}")
            try:
                conn.close()
            except OSError:
                pass
        finally:
            self._slots.release()

    def handle(self, conn: socket.socket, peer: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        self._closed.set()
        try:
            # shutdown wakes the thread blocked in accept(); close alone would leave the port bound.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(2)
