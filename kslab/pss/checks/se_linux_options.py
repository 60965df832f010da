"""seLinuxOptions (baseline): only the container SELinux types; no custom user or role.

The standard: ``seLinuxOptions`` of the pod and of every container may set ``type`` only to one
of the types below (or leave it empty), and must leave ``user`` and ``role`` empty; ``level`` is
free. ``container_engine_t`` is allowed from v1.31.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, join_quote, pluralize, setters_phrase

ALLOWED_TYPES = {
    0: frozenset({"", "container_t", "container_init_t", "container_kvm_t"}),
    31: frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}),
}


def _judge(pod: PodView, allowed_types: frozenset[str]) -> Forbidden | None:
    bad_types: set[str] = set()
    flags = {"user": False, "role": False}

    def valid(opts: Mapping[str, Any]) -> bool:
        ok = True
        kind = str(opts.get("type") or "")
        if kind not in allowed_types:
            ok = False
            bad_types.add(kind)
        for field in ("user", "role"):  # every field is looked at, so all problems are reported
            if opts.get(field):
                ok = False
                flags[field] = True
        return ok

    # Unset options are valid (and most pods set none).
    pod_bad = (opts := pod.security_context.get("seLinuxOptions")) is not None and not valid(opts)
    bad_containers = [name for name, context in pod.contexts
                      if (opts := context.get("seLinuxOptions")) is not None and not valid(opts)]
    if not (pod_bad or bad_containers):
        return None
    problems = []
    if bad_types:
        problems.append(f"{pluralize('type', 'types', len(bad_types))} {join_quote(sorted(bad_types))}")
    problems += [f"{field} may not be set" for field in ("user", "role") if flags[field]]
    return Forbidden("seLinuxOptions", f"{setters_phrase(pod_bad, bad_containers)} set forbidden "
                                       f"securityContext.seLinuxOptions: {'; '.join(problems)}")


def run_1_0(pod: PodView) -> Forbidden | None:
    return _judge(pod, ALLOWED_TYPES[0])


def run_1_31(pod: PodView) -> Forbidden | None:
    return _judge(pod, ALLOWED_TYPES[31])


CHECK = Check("seLinuxOptions", BASELINE, (VersionedCheck(since(0), run_1_0), VersionedCheck(since(31), run_1_31)))
