"""hostProbesAndHostLifecycle (baseline, v1.34+): probes and lifecycle hooks may not target other hosts.

The standard: ``host`` of ``httpGet`` and ``tcpSocket`` in every container's ``livenessProbe``,
``readinessProbe``, ``startupProbe`` and ``lifecycle.postStart`` / ``lifecycle.preStop`` must be
empty or unset (the kubelet would otherwise connect to any address on the pod's behalf).
Does not run at policy versions before v1.34.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, containers_phrase, join_quote, name_of, pluralize

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")
HANDLERS = ("httpGet", "tcpSocket")


def _hosts(handler: Mapping[str, Any], found: list[str]) -> None:
    """Add the non-empty ``host`` of a probe's or hook's httpGet / tcpSocket to ``found``."""
    for kind in HANDLERS:
        action = handler.get(kind)
        if action and (host := action.get("host")):
            found.append(str(host))


def run_1_34(pod: PodView) -> Forbidden | None:
    bad_containers: set[str] = set()
    hosts: set[str] = set()
    for c in pod.containers:
        found: list[str] = []
        for probe in PROBES:
            if handler := c.get(probe):
                _hosts(handler, found)
        if lifecycle := c.get("lifecycle"):
            for hook in HOOKS:
                if handler := lifecycle.get(hook):
                    _hosts(handler, found)
        if found:
            bad_containers.add(name_of(c))
            hosts.update(found)
    if not bad_containers:
        return None
    # Unlike most checks, both containers and hosts are listed sorted (they are collected as sets).
    return Forbidden("probe or lifecycle host",
                     f"{containers_phrase(sorted(bad_containers))} "
                     f"{pluralize('uses', 'use', len(bad_containers))} "
                     f"{pluralize('probe or lifecycle host', 'probe or lifecycle hosts', len(hosts))} "
                     f"{join_quote(sorted(hosts))}")


CHECK = Check("hostProbesAndHostLifecycle", BASELINE, (VersionedCheck(since(34), run_1_34),))
