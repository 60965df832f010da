"""Capturing the local mesh's wire: real tcpdump on loopback when possible, the relay tap otherwise.

tcpdump on ``lo`` needs root or CAP_NET_RAW. It is started with ``--immediate-mode -U`` (hand
each packet over and write it at once), we wait for its "listening on" line before sending
traffic, and wait a moment before stopping it — otherwise the last packets are lost. Only
traffic to or from the wire's port on 127.0.0.1 is captured.

>>> capture_plan("tap").method
'tap'
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kslab import programs
from kslab.errors import ToolMissing

SETTLE = 1.0          # seconds between the last packet and SIGTERM, at least
SETTLE_MAX = 6.0      # ... and at most, while tcpdump is still writing (a loaded machine lags)
START_TIMEOUT = 5.0   # seconds to wait for "listening on"


@dataclass(frozen=True)
class CapturePlan:
    """How the wire will be captured and why."""

    method: str   # "tcpdump" | "tap"
    reason: str

    def describe(self) -> str:
        what = "real tcpdump on loopback" if self.method == "tcpdump" else \
            "a relay tap that records the real bytes and writes the packets"
        return f"{what} ({self.reason})"


CAP_NET_RAW = 13  # capability number (linux/capability.h)


def can_capture(status: str | None = None) -> bool:
    """True if this process may open raw sockets: CAP_NET_RAW in its effective set (Linux).

    >>> can_capture("CapEff: 0000000000002000"), can_capture("CapEff: 0000000000000000")
    (True, False)
    """
    if status is None:
        try:
            status = Path("/proc/self/status").read_text()
        except OSError:  # not Linux: root is the best guess
            return hasattr(os, "geteuid") and os.geteuid() == 0
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> CAP_NET_RAW & 1)
    return False


def capture_plan(requested: str = "auto") -> CapturePlan:
    """Choose: ``tcpdump`` (installed, and we hold CAP_NET_RAW, e.g. as root), else ``tap``."""
    tcpdump = shutil.which("tcpdump")
    privileged = can_capture()
    if requested == "tap":
        return CapturePlan("tap", "asked for")
    if requested == "tcpdump":
        if not tcpdump:
            raise ToolMissing("tcpdump is not installed", hint="apt-get install tcpdump, or use capture='tap'")
        return CapturePlan("tcpdump", "asked for" + ("" if privileged else "; without CAP_NET_RAW it may be refused"))
    if tcpdump and privileged:
        return CapturePlan("tcpdump", "tcpdump is installed and this process may capture (CAP_NET_RAW)")
    why = "tcpdump is not installed" if not tcpdump else "no root / CAP_NET_RAW, so tcpdump cannot capture"
    return CapturePlan("tap", why)


class Tcpdump:
    """``tcpdump -i lo`` writing ``out``, limited to TCP port ``port``; use as a context manager."""

    def __init__(self, out: str | Path, port: int, *, interface: str = "lo") -> None:
        self.out = Path(out)
        self.port = port
        self.interface = interface
        self.proc: subprocess.Popen[str] | None = None
        self.stderr: list[str] = []

    def argv(self) -> list[str]:
        """The command line (an argument list: no shell)."""
        argv = ["tcpdump", "-i", self.interface, "-n", "-s", "0", "-U", "--immediate-mode",
                "-w", str(self.out)]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv += ["-Z", "root"]  # keep root for writing the file (Debian drops to user tcpdump)
        return argv + ["tcp", "port", str(self.port), "and", "host", "127.0.0.1"]

    def start(self) -> None:
        self.proc = programs.start(self.argv())
        listening = threading.Event()

        def read() -> None:
            assert self.proc is not None and self.proc.stderr is not None
            for line in self.proc.stderr:
                self.stderr.append(line.rstrip())
                if "listening on" in line:
                    listening.set()

        threading.Thread(target=read, daemon=True).start()
        end = time.monotonic() + START_TIMEOUT
        while time.monotonic() < end and not listening.is_set() and self.proc.poll() is None:
            time.sleep(0.02)
        if not listening.is_set():
            self.stop()
            raise ToolMissing(f"tcpdump did not start: {' '.join(self.stderr[-2:]) or 'no output'}",
                              hint="tcpdump needs root or CAP_NET_RAW; the relay tap needs neither")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._settle()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def _settle(self) -> None:
        """Wait until the capture file stops growing (tcpdump has written what the kernel gave it):
        at least SETTLE seconds, at most SETTLE_MAX. SIGTERM drops what tcpdump has not read yet."""
        start = time.monotonic()
        size, quiet_since = -1, start
        while time.monotonic() - start < SETTLE_MAX:
            try:
                now = self.out.stat().st_size
            except OSError:
                now = -1
            if now != size:
                size, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= 0.5 and time.monotonic() - start >= SETTLE:
                return
            time.sleep(0.1)

    def __enter__(self) -> Tcpdump:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
