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
import threading
import time
from pathlib import Path
from typing import Any

from kslab.mesh.relay import HOST, TIMEOUT, EventLog, Server, relay
from kslab.pcap.write import PcapWriter, TcpConversation


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

        def on_end(side: int, how: str) -> None:
            (talk.reset if how == "reset" else talk.close)(side, time.time())

        # Socket 0 is the client's, socket 1 the upstream's: the same numbering as the conversation's sides.
        relay(conn, upstream, on_data=lambda side, data: talk.send(side, data, time.time()), on_end=on_end)

    def close(self) -> None:
        super().close()
        time.sleep(0.05)  # let connection threads record their last packets
        try:
            self._file.flush()
            self._file.close()
        except OSError:
            pass
