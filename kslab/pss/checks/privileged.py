"""privileged (baseline, v1.0+): no privileged containers (they switch off most isolation).

The standard: ``securityContext.privileged`` of every container false or unset.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, containers_phrase


def run_1_0(pod: PodView) -> Forbidden | None:
    bad = [name for name, context in pod.contexts if context.get("privileged") is True]
    if not bad:
        return None
    return Forbidden("privileged", f"{containers_phrase(bad)} must not set securityContext.privileged=true")


CHECK = Check("privileged", BASELINE, (VersionedCheck(since(0), run_1_0),))
