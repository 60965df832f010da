"""The local mesh: details service, sidecars, callers and a capture of the wire — no cluster, no root.

::

    caller app ──plain──▶ outbound sidecar ══mutual TLS══▶ [wire port] ══▶ inbound sidecar ──plain──▶ details
                        (caller's identity)                 captured      (details' identity)

Everything listens on 127.0.0.1 only, lives at most ``time_limit`` seconds, and holds a bounded
number of connections. The wire is captured with tcpdump when running as root, otherwise by the
relay tap (:mod:`kslab.mesh.tap`); the result says which.

>>> result = run("plaintext-http", capture=None)
>>> result.calls[0].responses[0].status
200
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kslab import settings
from kslab.errors import UsageError
from kslab.mesh import conventions as conv
from kslab.mesh.app import DetailsService, Response, get
from kslab.mesh.ca import MeshCA
from kslab.mesh.capture import CapturePlan, Tcpdump, capture_plan
from kslab.mesh.scenarios import SCENARIOS, Caller, Scenario
from kslab.mesh.relay import Server
from kslab.mesh.sidecar import POLICIES, TLS_VERSIONS, Inbound, Outbound
from kslab.mesh.tap import Tap

MAX_CALLS = 200_000


@dataclass
class Call:
    """One caller's connection and the responses it got."""

    caller: str
    responses: list[Response]

    def __str__(self) -> str:
        return f"{self.caller}: " + "; ".join(str(r) for r in self.responses)


@dataclass
class DemoResult:
    """What the demo did, what the proxies observed, and where the capture is."""

    scenario: str
    settings: str
    capture: Path | None
    capture_method: str
    calls: list[Call] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"scenario {self.scenario}: {self.settings}",
                 f"capture: {self.capture.name if self.capture else 'none'} — {self.capture_method}"]
        lines += [f"  call  {c}" for c in self.calls]
        lines += [f"  event {e}" for e in self.events]
        return "\n".join(lines)

    __repr__ = __str__


class LocalMesh:
    """The running mesh; a context manager. ``capture`` is "auto", "tcpdump", "tap" or None."""

    def __init__(self, *, policy: str = "STRICT", tls_version: str = "1.3", sidecars: bool = True,
                 capture: str | None = "auto", pcap: str | Path | None = None, wire_port: int = 0,
                 keylog: str | Path | None = None, time_limit: float = 120.0) -> None:
        if policy not in POLICIES:
            raise UsageError(f"policy {policy!r} is not one of {', '.join(POLICIES)}")
        if tls_version not in TLS_VERSIONS:
            raise UsageError(f"TLS version {tls_version!r} is not one of {', '.join(TLS_VERSIONS)}")
        self.policy, self.tls_version, self.sidecars = policy, tls_version, sidecars
        self.plan: CapturePlan | None = capture_plan(capture) if capture else None
        self.pcap = (Path(pcap) if pcap else default_capture_path("wire")) if capture else None
        self.wire_port_wanted = wire_port
        self.keylog = str(keylog) if keylog else None
        self.time_limit = time_limit
        self.events: list[str] = []
        self._lock = threading.Lock()
        self._servers: list[Server | DetailsService] = []
        self._outbound: dict[str, Outbound] = {}
        self._tcpdump: Tcpdump | None = None
        self._calls = 0
        self.ca: MeshCA | None = None
        self.app: DetailsService | None = None
        self.wire_port = 0

    def log(self, message: str) -> None:
        with self._lock:
            if len(self.events) < 1000:
                self.events.append(message)

    # ---- life cycle -----------------------------------------------------------------------------
    def start(self) -> LocalMesh:
        tap = self.plan is not None and self.plan.method == "tap"
        wire = 0 if tap else self.wire_port_wanted
        if self.sidecars:
            self.ca = MeshCA()
            self.app = DetailsService()
            server: Server | DetailsService = Inbound(
                self.ca, self.ca.issue(conv.workload_id("details")), self.app.port, policy=self.policy,
                port=wire, log=self.log, keylog=self.keylog)
            self._servers.append(server)
            target = server.port
        else:
            self.app = DetailsService(wire)
            target = self.app.port
        if tap:
            assert self.pcap is not None
            tap_server = Tap(target, self.pcap, port=self.wire_port_wanted, log=self.log)
            self._servers.append(tap_server)
            self.wire_port = tap_server.port
        else:
            self.wire_port = target
        if self.plan is not None and self.plan.method == "tcpdump":
            assert self.pcap is not None
            self._tcpdump = Tcpdump(self.pcap, self.wire_port)
            self._tcpdump.start()
        self._timer = threading.Timer(self.time_limit, self.close)
        self._timer.daemon = True
        self._timer.start()
        return self

    def close(self) -> None:
        """Stop capturing, then every server; remove the keys."""
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
        if self._tcpdump is not None:
            self._tcpdump.stop()
            self._tcpdump = None
        for s in [*self._outbound.values(), *reversed(self._servers)]:
            s.close()
        self._outbound.clear()
        self._servers.clear()
        if self.app is not None:
            self.app.close()
            self.app = None
        if self.ca is not None:
            self.ca.close()
            self.ca = None

    def __enter__(self) -> LocalMesh:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- traffic ----------------------------------------------------------------------------------
    def outbound(self, caller: Caller) -> Outbound:
        """The sidecar of a caller (started on first use)."""
        assert self.ca is not None
        key = caller.identity
        if key not in self._outbound:
            self._outbound[key] = Outbound(self.ca, self.ca.issue(key), self.wire_port,
                                           tls_version=self.tls_version, log=self.log, keylog=self.keylog)
        return self._outbound[key]

    def call(self, caller: Caller, paths: tuple[str, ...] | list[str] = ("/details/0",)) -> Call:
        """One keep-alive connection from ``caller`` asking for each path in turn."""
        self._calls += len(paths)
        if self._calls > MAX_CALLS:
            raise UsageError(f"the local mesh serves at most {MAX_CALLS} requests per run")
        if caller.service is None or not self.sidecars:
            port = self.wire_port  # no sidecar: straight onto the wire
        else:
            port = self.outbound(caller).port
        return Call(caller.identity, get(port, list(paths), host_header=f"details:{conv.SERVICE_PORT}"))

    @property
    def tapped_packets(self) -> int | None:
        """Packets the relay tap has written so far (None when tcpdump or nothing captures)."""
        taps = [s for s in self._servers if isinstance(s, Tap)]
        return taps[0].writer.packets if taps else None

    def describe(self) -> str:
        if not self.sidecars:
            return "no sidecars (plain HTTP)"
        return f"sidecars with mutual TLS {self.tls_version}, policy {self.policy}"


def default_capture_path(name: str) -> Path:
    """Where captures made in a session go: ``<kslab state dir>/captures/<name>.pcap`` (outside the repo)."""
    folder = settings.state_dir() / "captures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.pcap"


def run(scenario: str | Scenario, *, capture: str | None = "auto", pcap: str | Path | None = None,
        wire_port: int = 0, keylog: str | Path | None = None, **overrides: Any) -> DemoResult:
    """Run one scenario end to end and return what happened (the capture stays at ``pcap``).

    ``overrides`` change the scenario's settings, e.g. ``policy="PERMISSIVE"``.
    """
    if isinstance(scenario, str) and scenario not in SCENARIOS:
        raise UsageError(f"no scenario {scenario!r}", hint="scenarios: " + ", ".join(SCENARIOS))
    sc = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    if capture and pcap is None:
        pcap = default_capture_path(sc.name)
    settings = {"policy": sc.policy, "tls_version": sc.tls_version, "sidecars": sc.sidecars, **overrides}
    mesh = LocalMesh(capture=capture, pcap=pcap, wire_port=wire_port, keylog=keylog, **settings)
    with mesh:
        calls = [mesh.call(caller, paths) for caller, paths in sc.calls]
    return DemoResult(sc.name, mesh.describe(), mesh.pcap if capture else None,
                      mesh.plan.describe() if mesh.plan else "not captured", calls, list(mesh.events))
