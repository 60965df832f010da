"""appArmorProfile (baseline, v1.0+): do not override or disable the runtime's AppArmor profile.

The standard: ``spec.securityContext.appArmorProfile.type`` and every container's
``securityContext.appArmorProfile.type`` may be ``RuntimeDefault``, ``Localhost`` or unset; the
deprecated annotations ``container.apparmor.security.beta.kubernetes.io/*`` may be
``runtime/default``, ``localhost/*``, empty or unset.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, forbidden_profile_setters, go_quote, join_quote, pluralize, setters_phrase

ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
ALLOWED_ANNOTATION_VALUES = frozenset({"", "runtime/default"})
ALLOWED_ANNOTATION_PREFIX = "localhost/"


def run_1_0(pod: PodView) -> Forbidden | None:
    pod_bad, bad_containers, bad_values = forbidden_profile_setters(pod, "appArmorProfile", ALLOWED_TYPES)
    setters = [setters_phrase(pod_bad, bad_containers)] if pod_bad or bad_containers else []
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
