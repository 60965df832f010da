"""appArmorProfile (baseline, v1.0+): do not override or disable the runtime's AppArmor profile.

The standard: ``spec.securityContext.appArmorProfile.type`` and every container's
``securityContext.appArmorProfile.type`` may be ``RuntimeDefault``, ``Localhost`` or unset; the
deprecated annotations ``container.apparmor.security.beta.kubernetes.io/*`` may be
``runtime/default``, ``localhost/*``, empty or unset.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import EMPTY, PodView, go_quote, join_quote, name_of, pluralize, security_context

ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
ALLOWED_ANNOTATION_VALUES = frozenset({"", "runtime/default"})
ALLOWED_ANNOTATION_PREFIX = "localhost/"


def _bad_type(profile: object) -> str | None:
    """The forbidden type of a set profile, or None when it is unset or allowed."""
    if profile is None:
        return None
    kind = (profile or EMPTY).get("type") or ""
    return None if kind in ALLOWED_TYPES else str(kind)


def run_1_0(pod: PodView) -> Forbidden | None:
    setters: list[str] = []
    bad_values: set[str] = set()
    pod_bad = _bad_type(pod.security_context.get("appArmorProfile"))
    if pod_bad is not None:
        setters.append("pod")
        bad_values.add(pod_bad)
    bad_containers = []
    for c in pod.containers:
        bad = _bad_type(security_context(c).get("appArmorProfile"))
        if bad is not None:
            bad_containers.append(name_of(c))
            bad_values.add(bad)
    if bad_containers:
        setters.append(f'{pluralize("container", "containers", len(bad_containers))} '
                       f"{join_quote(bad_containers)}")
    bad_annotations = sorted(
        f"{key}={go_quote(value)}" for key, value in pod.annotations.items()
        if key.startswith(ANNOTATION_PREFIX) and value not in ALLOWED_ANNOTATION_VALUES
        and not str(value).startswith(ALLOWED_ANNOTATION_PREFIX))
    values = sorted(bad_values) + bad_annotations
    if bad_annotations:
        setters.append(pluralize("annotation", "annotations", len(bad_annotations)))
    if not setters:
        return None
    return Forbidden(pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(values)),
                     f"{' and '.join(setters)} must not set AppArmor profile type to {join_quote(values)}")


CHECK = Check("appArmorProfile", BASELINE, (VersionedCheck(since(0), run_1_0),))
