"""runAsUser (restricted, v1.23+): do not ask for uid 0 explicitly.

The standard: ``runAsUser`` of the pod and of every container must be non-zero or unset (pod and
containers are judged separately: a container's 1000 does not excuse the pod's 0). From v1.35 a
pod in its own user namespace (``hostUsers: false``) passes.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import RESTRICTED
from kslab.pss.pod import PodView, setters_phrase


def _is_root(value: object) -> bool:
    return value is not None and value is not False and value == 0


def run_1_23(pod: PodView) -> Forbidden | None:
    pod_bad = _is_root(pod.security_context.get("runAsUser"))
    bad = [name for name, context in pod.contexts if _is_root(context.get("runAsUser"))]
    if not (pod_bad or bad):
        return None
    return Forbidden("runAsUser=0", f"{setters_phrase(pod_bad, bad)} must not set runAsUser=0")


def run_1_35(pod: PodView) -> Forbidden | None:
    return None if pod.user_namespace else run_1_23(pod)


CHECK = Check("runAsUser", RESTRICTED, (VersionedCheck(since(23), run_1_23), VersionedCheck(since(35), run_1_35)))
