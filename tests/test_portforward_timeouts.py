"""The port-forward's websocket has a connect and a read timeout, and is closed when either fires
(issue #15): against real sockets on 127.0.0.1 that stall, not against a mock."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from kslab.cluster.portforward import open_forward

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455


class StallingServer:
    """Accepts one connection, runs ``behave(conn)`` on it, then reports whether the client closed it."""

    def __init__(self, behave: Callable[[socket.socket], None]) -> None:
        self.behave = behave
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.client_closed = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.listener.settimeout(30)
        conn, _ = self.listener.accept()
        with conn:
            self.behave(conn)
            conn.settimeout(30)
            try:
                while conn.recv(4096):  # the client's close frame, if any, then end-of-file
                    pass
                self.client_closed.set()
            except OSError:
                self.client_closed.set()  # reset by the client: closed too

    def close(self) -> None:
        self.listener.close()


def _api(port: int):  # type: ignore[no-untyped-def]
    from kubernetes import client

    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    return client.ApiClient(configuration)


@pytest.fixture()
def serve() -> Iterator[Callable[[Callable[[socket.socket], None]], StallingServer]]:
    servers: list[StallingServer] = []

    def start(behave: Callable[[socket.socket], None]) -> StallingServer:
        servers.append(StallingServer(behave))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _say_nothing(conn: socket.socket) -> None:
    threading.Event().wait(0)  # accept the connection and never answer the upgrade


def _upgrade_then_stall_mid_frame(conn: socket.socket) -> None:
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
               if line.lower().startswith(b"sec-websocket-key:"))
    accept = base64.b64encode(hashlib.sha1(key + WEBSOCKET_GUID.encode()).digest())
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n")
    conn.sendall(bytes([0x82, 10]) + b"\x00\x50")  # a binary frame of 10 bytes, of which 2 come


def test_a_server_that_never_answers_the_upgrade_fails_the_connect_and_is_closed(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(_say_nothing)
    with pytest.raises(Exception) as info:
        open_forward(_api(server.port), "ns", "pod", 80, connect_timeout=1, read_timeout=1)
    assert "timed out" in str(info.value).lower()
    assert server.client_closed.wait(20), "the half-open socket was left behind"


def test_a_stream_that_stalls_mid_frame_is_closed_and_its_local_end_ends(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(_upgrade_then_stall_mid_frame)
    forward = open_forward(_api(server.port), "ns", "pod", 80, connect_timeout=5, read_timeout=1)
    local = forward.socket(80)
    local.settimeout(20)  # far longer than the read timeout: end-of-file must come first
    assert local.recv(100) == b""
    assert "no data from the API server" in forward.websocket.failure
    assert server.client_closed.wait(20)
