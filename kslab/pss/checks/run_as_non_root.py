"""runAsNonRoot (restricted): containers must be required to run as a non-root user.

The standard: ``runAsNonRoot: true`` on the pod (containers may then leave it unset) or on every
container; ``false`` anywhere fails. A non-zero ``runAsUser`` does not count: the kubelet only
refuses to start a root container when ``runAsNonRoot`` asks it to. From v1.35 a pod in its own
user namespace (``hostUsers: false``) passes.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import RESTRICTED
from kslab.pss.pod import PodView, containers_phrase, setters_phrase


def run_1_0(pod: PodView) -> Forbidden | None:
    pod_value = pod.security_context.get("runAsNonRoot")
    explicit, implicit = [], []
    for name, context in pod.contexts:
        value = context.get("runAsNonRoot")
        if value is None:
            if pod_value is not True:
                implicit.append(name)
        elif value is not True:
            explicit.append(name)
    pod_bad = pod_value is not None and pod_value is not True
    if pod_bad or explicit:
        return Forbidden("runAsNonRoot != true",
                         f"{setters_phrase(pod_bad, explicit)} must not set securityContext.runAsNonRoot=false")
    if implicit:
        return Forbidden("runAsNonRoot != true",
                         f"pod or {containers_phrase(implicit)} must set securityContext.runAsNonRoot=true")
    return None


def run_1_35(pod: PodView) -> Forbidden | None:
    return None if pod.user_namespace else run_1_0(pod)


CHECK = Check("runAsNonRoot", RESTRICTED, (VersionedCheck(since(0), run_1_0), VersionedCheck(since(35), run_1_35)))
