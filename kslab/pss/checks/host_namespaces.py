"""hostNamespaces (baseline, v1.0+): do not share the host's network, PID or IPC namespace.

The standard: ``spec.hostNetwork``, ``spec.hostPID``, ``spec.hostIPC`` unset or false.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView

FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def run_1_0(pod: PodView) -> Forbidden | None:
    shared = [f"{field}=true" for field in FIELDS if pod.spec.get(field) is True]
    return Forbidden("host namespaces", ", ".join(shared)) if shared else None


CHECK = Check("hostNamespaces", BASELINE, (VersionedCheck(since(0), run_1_0),))
