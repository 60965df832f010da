"""The situations the local mesh records: who calls the details service, and how the mesh is set.

Each scenario becomes one bundled capture (``kslab mesh record``); the notebook compares them.

>>> SCENARIOS["mtls-tls12"].tls_version
'1.2'
>>> [c.identity for c, _ in SCENARIOS["mtls-tls12"].calls]
['spiffe://cluster.local/ns/istio-app/sa/bookinfo-productpage', 'spiffe://cluster.local/ns/default/sa/curl']
"""

from __future__ import annotations

from dataclasses import dataclass

from kslab.mesh import conventions as conv

PLAINTEXT = "plaintext client (no sidecar)"


@dataclass(frozen=True)
class Caller:
    """Who calls: a bookinfo service (or another workload) in a namespace; ``None`` = no sidecar."""

    service: str | None
    namespace: str = conv.NAMESPACE

    @property
    def identity(self) -> str:
        return conv.workload_id(self.service, self.namespace) if self.service else PLAINTEXT


@dataclass(frozen=True)
class Scenario:
    """One recorded situation: the mesh's settings and who calls what."""

    name: str
    description: str
    sidecars: bool = True
    policy: str = "STRICT"
    tls_version: str = "1.3"
    calls: tuple[tuple[Caller, tuple[str, ...]], ...] = ((Caller("productpage"), ("/details/0",)),)


#: The bundled captures, one per scenario (``kslab mesh record`` regenerates them).
SCENARIOS = {s.name: s for s in (
    Scenario("plaintext-http", "productpage calls details without any sidecar: plain HTTP on the wire",
             sidecars=False),
    Scenario("mtls-tls13", "productpage's sidecar calls details' sidecar over mutual TLS 1.3 (Istio's default)"),
    Scenario("mtls-tls12", "the same call pinned to TLS 1.2, plus a call from a curl workload in namespace "
                           "default: both certificates cross the wire in clear",
             tls_version="1.2",
             calls=((Caller("productpage"), ("/details/0",)), (Caller("curl", "default"), ("/details/1",)))),
    Scenario("strict-refuses-plaintext", "a client without a sidecar sends plain HTTP to details under "
                                         "STRICT: the sidecar resets the connection",
             calls=((Caller(None), ("/details/0",)),)),
)}
