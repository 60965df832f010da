"""procMount (baseline): keep the default masks on /proc.

The standard: ``securityContext.procMount`` of every container ``Default`` or unset — or, from
v1.35, any value when the pod runs in its own user namespace (``hostUsers: false``).
At restricted v1.35+ this check is replaced by procMount_restricted, which has no such relaxation.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, containers_phrase, join_quote

ID = "procMount"
ALLOWED = "Default"


def run_1_0(pod: PodView) -> Forbidden | None:
    bad_containers = []
    kinds: set[str] = set()
    for name, context in pod.contexts:
        value = context.get("procMount")
        if value is not None and value != ALLOWED:
            bad_containers.append(name)
            kinds.add(str(value))
    if not bad_containers:
        return None
    return Forbidden("procMount", f"{containers_phrase(bad_containers)} must not set securityContext.procMount "
                                  f"to {join_quote(sorted(kinds))}")


def run_1_35(pod: PodView) -> Forbidden | None:
    return None if pod.user_namespace else run_1_0(pod)


CHECK = Check(ID, BASELINE, (VersionedCheck(since(0), run_1_0), VersionedCheck(since(35), run_1_35)))
