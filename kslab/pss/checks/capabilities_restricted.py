"""capabilities_restricted (restricted, v1.22+): drop ALL capabilities; add back at most NET_BIND_SERVICE.

The standard: every container's ``securityContext.capabilities.drop`` must include ``ALL``, and
``capabilities.add`` may only contain ``NET_BIND_SERVICE``. From v1.25 Windows pods pass.
Replaces capabilities_baseline at restricted.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.checks.capabilities_baseline import ID as BASELINE_ID
from kslab.pss.levels import RESTRICTED
from kslab.pss.pod import PodView, containers_phrase, join_quote

MUST_DROP = "ALL"
MAY_ADD = frozenset({"NET_BIND_SERVICE"})


def run_1_22(pod: PodView) -> Forbidden | None:
    missing_drop, adding = [], []
    extra: set[str] = set()
    for name, context in pod.contexts:
        caps = context.get("capabilities")
        if caps is None:
            missing_drop.append(name)
            continue
        if MUST_DROP not in (caps.get("drop") or ()):
            missing_drop.append(name)
        added = caps.get("add")
        if not added:
            continue
        forbidden = [str(cap) for cap in added if cap not in MAY_ADD]
        if forbidden:
            adding.append(name)
            extra.update(forbidden)
    details = []
    if missing_drop:
        details.append(f'{containers_phrase(missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(f"{containers_phrase(adding)} must not include {join_quote(sorted(extra))} "
                       "in securityContext.capabilities.add")
    return Forbidden("unrestricted capabilities", "; ".join(details)) if details else None


def run_1_25(pod: PodView) -> Forbidden | None:
    return None if pod.windows else run_1_22(pod)


CHECK = Check("capabilities_restricted", RESTRICTED, (
    VersionedCheck(since(22), run_1_22, overrides=(BASELINE_ID,)),
    VersionedCheck(since(25), run_1_25, overrides=(BASELINE_ID,)),
))
