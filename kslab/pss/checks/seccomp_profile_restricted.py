"""seccompProfile_restricted (restricted, v1.19+): a seccomp profile must be set, and not Unconfined.

The standard: ``seccompProfile.type`` must be ``RuntimeDefault`` or ``Localhost`` — set on the pod
(containers may then leave it unset) or on every container. From v1.25 Windows pods pass.
Replaces seccompProfile_baseline at restricted.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.checks.seccomp_profile_baseline import ID as BASELINE_ID
from kslab.pss.checks.seccomp_profile_baseline import explicit_forbidden, explicit_violations
from kslab.pss.levels import RESTRICTED
from kslab.pss.pod import PodView, containers_phrase


def run_1_19(pod: PodView) -> Forbidden | None:
    pod_bad, containers, values = explicit_violations(pod)
    if pod_bad or containers:
        return explicit_forbidden(pod_bad, containers, values)
    if pod.security_context.get("seccompProfile") is not None:
        return None  # a valid pod-level profile covers containers that set none
    unset = [name for name, context in pod.contexts if context.get("seccompProfile") is None]
    if not unset:
        return None
    return Forbidden("seccompProfile", f"pod or {containers_phrase(unset)} must set "
                                       'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"')


def run_1_25(pod: PodView) -> Forbidden | None:
    return None if pod.windows else run_1_19(pod)


CHECK = Check("seccompProfile_restricted", RESTRICTED, (
    VersionedCheck(since(19), run_1_19, overrides=(BASELINE_ID,)),
    VersionedCheck(since(25), run_1_25, overrides=(BASELINE_ID,)),
))
