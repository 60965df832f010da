"""seccompProfile_baseline (baseline): do not switch the seccomp filter off.

The standard, v1.0–v1.18 (annotations; fields are not read): the annotations
``seccomp.security.alpha.kubernetes.io/pod`` and
``container.seccomp.security.alpha.kubernetes.io/<container name>``, when present, must be
``runtime/default``, ``docker/default`` or ``localhost/*``.
From v1.19 (fields; annotations are not read): ``seccompProfile.type`` of the pod and of every
container, when set, must be ``RuntimeDefault`` or ``Localhost``.
At restricted v1.19+ this check is replaced by seccompProfile_restricted.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, forbidden_profile_setters, go_quote, join_quote, name_of, pluralize, setters_phrase

ID = "seccompProfile_baseline"
ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
ALLOWED_ANNOTATION_VALUES = frozenset({"runtime/default", "docker/default"})
ALLOWED_ANNOTATION_PREFIX = "localhost/"


def _annotation_ok(value: object) -> bool:
    return value in ALLOWED_ANNOTATION_VALUES or str(value).startswith(ALLOWED_ANNOTATION_PREFIX)


def run_1_0(pod: PodView) -> Forbidden | None:
    annotations = pod.annotations
    keys = [POD_ANNOTATION] + [CONTAINER_ANNOTATION_PREFIX + name_of(c) for c in pod.containers]
    forbidden = sorted({f"{key}={go_quote(annotations[key])}" for key in keys
                        if key in annotations and not _annotation_ok(annotations[key])})
    if not forbidden:
        return None
    return Forbidden("seccompProfile",
                     f"forbidden {pluralize('annotation', 'annotations', len(forbidden))} {', '.join(forbidden)}")


def explicit_violations(pod: PodView) -> tuple[bool, list[str], set[str]]:
    """Who sets a forbidden profile type: (pod does, containers that do, the forbidden values)."""
    return forbidden_profile_setters(pod, "seccompProfile", ALLOWED_TYPES)


def explicit_forbidden(pod_bad: bool, containers: list[str], values: set[str]) -> Forbidden:
    return Forbidden("seccompProfile", f"{setters_phrase(pod_bad, containers)} must not set "
                                       f"securityContext.seccompProfile.type to {join_quote(sorted(values))}")


def run_1_19(pod: PodView) -> Forbidden | None:
    pod_bad, containers, values = explicit_violations(pod)
    return explicit_forbidden(pod_bad, containers, values) if pod_bad or containers else None


CHECK = Check(ID, BASELINE, (VersionedCheck(since(0), run_1_0), VersionedCheck(since(19), run_1_19)))
