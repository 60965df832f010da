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
from kslab.pss.pod import EMPTY, PodView, go_quote, join_quote, name_of, pluralize, security_context, setters_phrase

ID = "seccompProfile_baseline"
ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
ALLOWED_ANNOTATION_VALUES = frozenset({"runtime/default", "docker/default"})
ALLOWED_ANNOTATION_PREFIX = "localhost/"


def _annotation_ok(value: object) -> bool:
    return value in ALLOWED_ANNOTATION_VALUES or str(value).startswith(ALLOWED_ANNOTATION_PREFIX)


def bad_profile_type(profile: object) -> str | None:
    """The forbidden ``type`` of a set seccomp profile, or None when unset or allowed."""
    if profile is None:
        return None
    kind = str((profile or EMPTY).get("type") or "")  # type: ignore[union-attr]
    return None if kind in ALLOWED_TYPES else kind


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
    values: set[str] = set()
    pod_bad = bad_profile_type(pod.security_context.get("seccompProfile"))
    if pod_bad is not None:
        values.add(pod_bad)
    containers = []
    for c in pod.containers:
        bad = bad_profile_type(security_context(c).get("seccompProfile"))
        if bad is not None:
            containers.append(name_of(c))
            values.add(bad)
    return pod_bad is not None, containers, values


def explicit_forbidden(pod_bad: bool, containers: list[str], values: set[str]) -> Forbidden:
    return Forbidden("seccompProfile", f"{setters_phrase(pod_bad, containers)} must not set "
                                       f"securityContext.seccompProfile.type to {join_quote(sorted(values))}")


def run_1_19(pod: PodView) -> Forbidden | None:
    pod_bad, containers, values = explicit_violations(pod)
    return explicit_forbidden(pod_bad, containers, values) if pod_bad or containers else None


CHECK = Check(ID, BASELINE, (VersionedCheck(since(0), run_1_0), VersionedCheck(since(19), run_1_19)))
