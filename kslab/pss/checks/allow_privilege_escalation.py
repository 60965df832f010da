"""allowPrivilegeEscalation (restricted, v1.8+): no gaining privileges through setuid or setgid files.

The standard: every container must set ``securityContext.allowPrivilegeEscalation: false``
(unset counts as allowed to escalate). From v1.25 a Windows pod (``spec.os.name: windows``)
passes: the field does not exist there. This is what stops the course's ``become-root``.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import RESTRICTED
from kslab.pss.pod import PodView, containers_phrase


def run_1_8(pod: PodView) -> Forbidden | None:
    bad = [name for name, context in pod.contexts if context.get("allowPrivilegeEscalation") is not False]
    if not bad:
        return None
    return Forbidden("allowPrivilegeEscalation != false",
                     f"{containers_phrase(bad)} must set securityContext.allowPrivilegeEscalation=false")


def run_1_25(pod: PodView) -> Forbidden | None:
    return None if pod.windows else run_1_8(pod)


CHECK = Check("allowPrivilegeEscalation", RESTRICTED,
              (VersionedCheck(since(8), run_1_8), VersionedCheck(since(25), run_1_25)))
