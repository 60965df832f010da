"""A relay tap: capture the wire between two sidecars without root.

tcpdump needs root (or CAP_NET_RAW); Binder and most laptops' notebooks have neither. The tap is
the unprivileged alternative: a TCP relay placed on the wire's port that forwards every byte
unchanged and records, per connection, when it opened, each chunk each side wrote, and how it
ended (FIN or RST). :class:`~kslab.pcap.write.TcpConversation` turns that into the packets a
wire would have carried, so the same analysis reads both kinds of capture.

What differs from tcpdump, honestly: segment boundaries, ACK timing, window sizes and TCP
options are synthesised (the bytes, their order and the timing of each chunk are real).
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any

from kslab.mesh.sidecar import HOST, TIMEOUT, EventLog, Server
from kslab.pcap.write import PcapWriter, TcpConversation

CLIENT, SERVER = 0, 1


class Tap(Server):
    """Listen on ``port``, relay to ``upstream_port``, write what passed to ``pcap``."""

    name = "tap"

    def __init__(self, upstream_port: int, pcap: str | Path, *, port: int = 0, log: EventLog | None = None) -> None:
        self.path = Path(pcap)
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        self.writer = PcapWriter(self._file)
        self.upstream_port = upstream_port
        self.connections = 0
        self._isn = 0x10000000
        self._lock = threading.Lock()
        super().__init__(port, log)

    def handle(self, conn: socket.socket, peer: Any) -> None:
        upstream = socket.create_connection((HOST, self.upstream_port), timeout=TIMEOUT)
        with self._lock:
            self.connections += 1
            isn = self._isn = (self._isn + 0x01234567) & 0xFFFFFFFF
        talk = TcpConversation(self.writer, (peer[0], peer[1]), (HOST, self.port), isn=(isn, isn ^ 0x5A5A5A5A))
        talk.open(time.time())
        was_reset = threading.Event()
        back = threading.Thread(target=self._pump, args=(upstream, conn, talk, SERVER, was_reset), daemon=True)
        back.start()
        self._pump(conn, upstream, talk, CLIENT, was_reset)
        back.join(TIMEOUT * 2)
        for s in (conn, upstream):
            try:
                s.close()  # with SO_LINGER 0 set after a reset, this sends the RST on
            except OSError:
                pass

    def _pump(self, src: socket.socket, dst: socket.socket, talk: TcpConversation, side: int,
              was_reset: threading.Event) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                talk.send(side, data, time.time())
                dst.sendall(data)
        except ConnectionResetError:
            # The sender reset the connection: record a RST and pass one on. SO_LINGER 0 turns the
            # final close into a RST; SHUT_RD wakes the other pump, blocked reading ``dst``.
            was_reset.set()
            talk.reset(side, time.time())
            try:
                dst.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                dst.shutdown(socket.SHUT_RD)
            except OSError:
                pass
            return
        except OSError:
            pass
        if was_reset.is_set():
            return
        talk.close(side, time.time())
        try:
            socket.socket.shutdown(dst, socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        super().close()
        time.sleep(0.05)  # let connection threads record their last packets
        try:
            self._file.flush()
            self._file.close()
        except OSError:
            pass
