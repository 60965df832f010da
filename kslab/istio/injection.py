"""What Istio's sidecar injector adds to a pod, and why Pod Security cares.

The two containers' security contexts below are the ones Istio's injection template gives them
(sidecar mode, Istio 1.2x); kslab writes them out as data to judge them with its Pod Security
evaluator. Without the CNI plugin, ``istio-init`` rewrites the pod's iptables rules so all traffic
goes through the proxy: for that it runs as root with NET_ADMIN and NET_RAW — which the
**baseline** level already forbids. With the CNI plugin (``components.cni.enabled=true``) the
node's CNI does that work and only ``istio-proxy`` is injected: uid 1337, no capabilities.

>>> pod = injected({"containers": [{"name": "app", "image": "app"}]})
>>> [c["name"] for c in pod["spec"]["initContainers"]], [c["name"] for c in pod["spec"]["containers"]]
(['istio-init'], ['app', 'istio-proxy'])
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kslab.views.styles import BAD, GOOD
from kslab.views.tables import Table

PROXY_UID = 1337
PROXY_IMAGE = "docker.io/istio/proxyv2"

#: istio-init: programs iptables to redirect the pod's traffic to the proxy (ports 15001 / 15006).
ISTIO_INIT = {
    "name": "istio-init", "image": PROXY_IMAGE, "args": ["istio-iptables", "-p", "15001", "-z", "15006",
                                                         "-u", str(PROXY_UID), "-m", "REDIRECT"],
    "securityContext": {"allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": False,
                        "runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0,
                        "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}},
}
#: istio-proxy: Envoy plus the agent that fetches its 24-hour certificate from istiod.
ISTIO_PROXY = {
    "name": "istio-proxy", "image": PROXY_IMAGE, "args": ["proxy", "sidecar"],
    "ports": [{"containerPort": 15090, "name": "http-envoy-prom"}],
    "securityContext": {"allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True,
                        "runAsGroup": PROXY_UID, "runAsNonRoot": True, "runAsUser": PROXY_UID,
                        "capabilities": {"drop": ["ALL"]}},
}


def injected(pod_spec: Mapping[str, Any], *, cni: bool = False, name: str = "details") -> dict[str, Any]:
    """A Pod with the sidecar injected into ``pod_spec`` (``cni=True``: no istio-init container)."""
    spec = copy.deepcopy(dict(pod_spec))
    if not cni:
        spec["initContainers"] = [*spec.get("initContainers", []), copy.deepcopy(ISTIO_INIT)]
    spec["containers"] = [*spec.get("containers", []), copy.deepcopy(ISTIO_PROXY)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "istio-app"}, "spec": spec}


def injection_verdicts(pod_spec: Mapping[str, Any]) -> Table:
    """Pod Security verdicts (baseline, restricted) of a pod injected with and without the CNI plugin:
    a :class:`~kslab.views.tables.Table` (HTML in a notebook; ``str()`` is aligned text).

    >>> t = injection_verdicts({"containers": [{"name": "app", "image": "app"}]})
    >>> [(r["injection"], r["level"], r["verdict"][:7]) for r in t.rows][:2]
    [('istio-init (no CNI)', 'baseline', 'refused'), ('istio-init (no CNI)', 'restricted', 'refused')]
    """
    from kslab import pss
    rows = []
    for cni in (False, True):
        pod = injected(pod_spec, cni=cni)
        for level in ("baseline", "restricted"):
            verdict = pss.evaluate(pod, level)
            rows.append({"injection": "with Istio CNI" if cni else "istio-init (no CNI)", "level": level,
                         "verdict": "allowed" if verdict.allowed else
                         "refused: " + "; ".join(v.message for v in verdict.violations)})
    return Table(rows, ["injection", "level", "verdict"], wrap={"verdict": 90}, blank_between=True,
                 style={"verdict": lambda v: f"color:{GOOD if v == 'allowed' else BAD}"})
