"""hostPorts (baseline, v1.0+): containers must not bind ports of the node.

The standard: ``ports[*].hostPort`` of every container unset or 0. The 2019 webapp's
``hostPort: 3000`` fails here; today a Service (or ``kubectl port-forward``) reaches the pod.
"""

from __future__ import annotations

from kslab.pss.check import Check, Forbidden, VersionedCheck, since
from kslab.pss.levels import BASELINE
from kslab.pss.pod import PodView, containers_phrase, name_of, pluralize


def run_1_0(pod: PodView) -> Forbidden | None:
    bad_containers = []
    ports: set[str] = set()
    for c in pod.containers:
        declared = c.get("ports")
        if not declared:
            continue
        used = [str(p.get("hostPort")) for p in declared if p.get("hostPort")]
        if used:
            bad_containers.append(name_of(c))
            ports.update(used)
    if not bad_containers:
        return None
    # Ports are listed as sorted strings ("10" before "9"), as the API server lists them.
    return Forbidden("hostPort",
                     f"{containers_phrase(bad_containers)} {pluralize('uses', 'use', len(bad_containers))} "
                     f"{pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}")


CHECK = Check("hostPorts", BASELINE, (VersionedCheck(since(0), run_1_0),))
