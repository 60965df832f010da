"""Serve the sandboxed webapp's page on this machine's loopback, and nowhere else.

The container has its own network namespace with nothing but loopback: it cannot reach this machine's
services (a Jupyter server, a kubelet, anything bound to 127.0.0.1) nor the network. Running it in the
host's namespace bound to 127.0.0.1 would be simpler but would let the attacker inside talk to every
local service, so instead :class:`Forwarder` listens on the host's 127.0.0.1 and, for each connection,
opens one to port 3000 *inside* the container's namespace (``setns`` on a helper thread, then back),
copying bytes both ways — like ``kubectl port-forward``.

>>> CLONE_NEWNET
1073741824
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from contextlib import suppress

CLONE_NEWNET = 0x40000000
PORT = 3000


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def connect_in(pid: int, port: int = PORT, timeout: float = 5.0) -> socket.socket:
    """A TCP connection to 127.0.0.1:``port`` in the network namespace of process ``pid``."""
    result: dict[str, object] = {}

    def work() -> None:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        try:
            _setns(target)
            try:
                result["sock"] = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            except OSError as exc:
                result["error"] = exc
            finally:
                _setns(own)  # the socket keeps its namespace; the thread goes back
        finally:
            os.close(own)
            os.close(target)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout + 1)
    if "sock" in result:
        sock = result["sock"]
        assert isinstance(sock, socket.socket)
        return sock
    raise OSError(f"cannot connect to port {port} in the sandbox: {result.get('error', 'timed out')}")


def _pump(src: socket.socket, dst: socket.socket) -> None:
    with suppress(OSError):
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    with suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


def rootless_refusal() -> str:
    """Why ``serve`` cannot run for this caller ('' as root): a rootless caller may not ``setns`` into the
    container's network namespace, which belongs to kslab's user namespace, not to the caller's."""
    if os.geteuid() == 0:
        return ""
    return ("`kslab sandbox serve` needs root: it opens each connection inside the container's network "
            "namespace, which a rootless caller may not enter (`kslab sandbox hack` and `shell` run rootless)")


class Forwarder:
    """Listen on 127.0.0.1:``port`` (0: any free port) and forward each connection into the sandbox."""

    def __init__(self, pid: int, port: int = 0) -> None:
        self.pid = pid
        self.server = socket.create_server(("127.0.0.1", port))
        self.server.settimeout(0.5)
        self.port = int(self.server.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> Forwarder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(30)
        try:
            upstream = connect_in(self.pid)
        except OSError:
            client.close()
            return
        upstream.settimeout(30)
        back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join(30)
        client.close()
        upstream.close()
