"""Which PeerAuthentication decides a workload's mTLS mode: Istio's precedence, as a pure function.

The lab reads the PeerAuthentications from the cluster (:mod:`kslab.cluster.istio_lab`), the exercises and
notebook 05 pass bundled ones offline; both get their answer here.

>>> effective_mode([{"metadata": {"namespace": "istio-app", "name": "default"},
...                  "spec": {"mtls": {"mode": "STRICT"}}}], "istio-app", {"app": "details"})
('STRICT', 'PeerAuthentication istio-app/default (namespace-wide)')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Istio's root namespace: a PeerAuthentication there without a selector is mesh-wide.
ROOT_NAMESPACE = "istio-system"


def effective_mode(peer_authentications: Iterable[Mapping[str, Any]], namespace: str,
                   labels: Mapping[str, str], *, root_namespace: str = ROOT_NAMESPACE) -> tuple[str, str]:
    """The mTLS mode a workload gets, and which PeerAuthentication decided it.

    Istio's precedence: a policy selecting the workload, then the namespace-wide one (no
    selector), then the mesh-wide one (no selector, in the root namespace); ``UNSET`` defers to
    the next level; with none at all the mode is PERMISSIVE. Of several policies at one level Istio
    uses the oldest: give them oldest first (sort by metadata.creationTimestamp).
    """
    def applies(pa: Mapping[str, Any], level: str) -> bool:
        meta, spec = pa.get("metadata") or {}, pa.get("spec") or {}
        selector = ((spec.get("selector") or {}).get("matchLabels")) or {}
        ns = meta.get("namespace")
        if level == "workload":
            return ns == namespace and bool(selector) and all(labels.get(k) == v for k, v in selector.items())
        if level == "namespace":
            return ns == namespace and not selector and ns != root_namespace
        return ns == root_namespace and not selector

    items = list(peer_authentications)
    for level in ("workload", "namespace", "mesh"):
        for pa in items:
            mode = ((pa.get("spec") or {}).get("mtls") or {}).get("mode", "UNSET")
            if applies(pa, level) and mode != "UNSET":
                meta = pa.get("metadata") or {}
                what = {"workload": "selects this workload", "namespace": "namespace-wide",
                        "mesh": "mesh-wide"}[level]
                return mode, f"PeerAuthentication {meta.get('namespace')}/{meta.get('name')} ({what})"
    return "PERMISSIVE", "no PeerAuthentication applies: Istio's default"
