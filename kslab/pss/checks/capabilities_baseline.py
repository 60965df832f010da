"""capabilities_baseline (baseline, v1.0+): no capabilities beyond the container runtime's default set.

The standard: ``securityContext.capabilities.add`` of every container may only hold names from
the default set below (exact, upper-case, without ``CAP_``). ``drop`` is not read.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, containers_phrase, join_quote

ID = "capabilities_baseline"
DEFAULT_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})


def run_1_0(pod: PodView) -> Forbidden | None:
    bad_containers = []
    extra: set[str] = set()
    for name, context in pod.contexts:
        added = (context.get("capabilities") or {}).get("add")
        if not added:
            continue
        forbidden = [cap for cap in map(str, added) if cap not in DEFAULT_CAPABILITIES]
        if forbidden:
            bad_containers.append(name)
            extra.update(forbidden)
    if not bad_containers:
        return None
    return Forbidden("non-default capabilities",
                     f"{containers_phrase(bad_containers)} must not include {join_quote(sorted(extra))} "
                     "in securityContext.capabilities.add")


CHECK = Check(ID, BASELINE, (VersionedCheck(since(0), run_1_0),))
